//! Nothing is left behind, whatever happens; bad input gets one clear line.

use std::time::{Duration, Instant};

use crate::common::*;

fn wait_for_container_of(pid: u32, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if leftovers_of(pid).iter().any(|l| l.contains("-run-")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn ctrl_c_in_the_middle_of_a_run_leaves_nothing_and_keeps_what_was_measured() {
    let bench = probe_benchmark("interrupted", &["sleep", "0.1"]);
    let dir = scratch("interrupted-script");
    let json = dir.join("out.json");
    let script = script(
        &dir,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let net = network();
        let ing = ingester(net);
        let quick = measure(image, #{ name: "quick" }, #{ runs: 1, warmup: 0 });
        save(quick);
        measure(image, #{ name: "long", cmd: ["sleep", "120"], network: net }, #{ runs: 1, warmup: 0 });
        "#,
    );
    let child = Pyrobench::new()
        .arg(&script)
        .arg(&bench)
        .arg("--json")
        .arg(&json)
        .spawn();
    let pid = child.id();
    assert!(
        wait_for_container_of(pid, Duration::from_secs(120)),
        "the long run never started"
    );
    std::thread::sleep(Duration::from_millis(500));
    interrupt(pid);
    let started = Instant::now();
    let finished = finish(child, pid);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "shutdown took {:?}",
        started.elapsed()
    );
    assert_eq!(finished.code, Some(130), "stderr:\n{}", finished.stderr);
    assert!(
        finished.stderr.contains("interrupted"),
        "{}",
        finished.stderr
    );
    assert_nothing_left(&finished);
    let json = read_json(&json);
    assert_eq!(
        scenario(&json, 0, "quick")["runs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_run_that_hangs_is_killed_reported_and_cleaned_up() {
    let bench = probe_benchmark("hangs", &["hang"]);
    let started = Instant::now();
    let (finished, json) = run_script(
        "hangs",
        &bench,
        "let image = build_image(BENCHMARKS[0]);\nmeasure(image, #{ name: \"stuck\" }, #{ runs: 1, warmup: 0 });\n",
        &["--timeout", "3"],
    );
    finished.assert_failure();
    assert!(started.elapsed() < Duration::from_secs(60));
    let error = finished.error_line();
    assert!(error.contains("test.rhai:2:1"), "{error}");
    assert!(
        error.contains("timed out after 3 s and was killed"),
        "{error}"
    );
    assert!(error.contains("--timeout"), "{error}");
    assert_nothing_left(&finished);
    let json = read_json(&json);
    let run = &scenario(&json, 0, "stuck")["runs"][0];
    assert_eq!(run["timed_out"], true);
    assert!(run["wall_s"].is_null());
}

#[test]
fn a_missing_folder_is_named() {
    let finished = Pyrobench::new()
        .arg("scripts/default.rhai")
        .arg("benchmarks/no-such-benchmark")
        .run();
    finished.assert_failure();
    assert_eq!(
        finished.error_line(),
        "error: benchmark folder benchmarks/no-such-benchmark does not exist: give the path of a folder that holds a Dockerfile"
    );
    assert_nothing_left(&finished);
}

#[test]
fn a_folder_without_dockerfile_is_named() {
    let empty = scratch("no-dockerfile");
    let finished = Pyrobench::new()
        .arg("scripts/default.rhai")
        .arg(&empty)
        .run();
    finished.assert_failure();
    let error = finished.error_line();
    assert!(
        error.contains("no-dockerfile has no Dockerfile: add one"),
        "{error}"
    );
    assert_eq!(finished.stderr.lines().count(), 1, "{}", finished.stderr);
}

#[test]
fn an_unreadable_script_is_named() {
    let finished = Pyrobench::new().arg("scripts/no-such-script.rhai").run();
    finished.assert_failure();
    let error = finished.error_line();
    assert!(
        error.contains("cannot read script scripts/no-such-script.rhai"),
        "{error}"
    );
    assert_eq!(finished.stderr.lines().count(), 1, "{}", finished.stderr);
    let dir = scratch("script-is-a-folder");
    let finished = Pyrobench::new().arg(&dir).run();
    finished.assert_failure();
    assert!(
        finished.error_line().contains("cannot read script"),
        "{}",
        finished.stderr
    );
}

#[test]
fn no_docker_daemon_names_docker_host_and_how_to_start_one() {
    let finished = Pyrobench::new()
        .arg("scripts/default.rhai")
        .arg("benchmarks/fibonacci")
        .env("DOCKER_HOST", "unix:///no/such/docker.sock")
        .run();
    finished.assert_failure();
    let error = finished.error_line();
    assert!(
        error.contains("DOCKER_HOST=unix:///no/such/docker.sock"),
        "{error}"
    );
    assert!(error.contains("Start it"), "{error}");
    assert_eq!(finished.stderr.lines().count(), 1, "{}", finished.stderr);
}

#[test]
fn clean_sweeps_what_a_killed_process_left() {
    let bench = probe_benchmark("killed", &["sleep", "120"]);
    let dir = scratch("killed-script");
    let script = script(
        &dir,
        "let image = build_image(BENCHMARKS[0]);\nlet net = network();\nmeasure(image, #{ network: net }, #{ runs: 1, warmup: 0 });\n",
    );
    let mut child = Pyrobench::new().arg(&script).arg(&bench).spawn();
    let pid = child.id();
    assert!(
        wait_for_container_of(pid, Duration::from_secs(120)),
        "the run never started"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !leftovers_of(pid).is_empty(),
        "SIGKILL should leave the run's container"
    );
    let cleaned = Pyrobench::new().arg("clean").run();
    cleaned.assert_success();
    assert!(
        leftovers_of(pid).is_empty(),
        "clean left {:?}",
        leftovers_of(pid)
    );
}

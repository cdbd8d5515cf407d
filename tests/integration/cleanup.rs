//! Nothing is left behind, whatever happens; bad input gets one clear line.

use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn ctrl_c_in_the_middle_of_a_run_leaves_nothing_and_keeps_what_was_measured() {
    let _shared = shared();
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
    // The quick run is in the file before the long run's container starts.
    assert!(
        wait_until(Duration::from_secs(120), || runs_in(&json, "quick") == 1
            && has_run_container(pid)),
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
    let _shared = shared();
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
    let _shared = shared();
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
    let _shared = shared();
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
    let _shared = shared();
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
    let _shared = shared();
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
    let _shared = shared();
    let bench = probe_benchmark("killed", &["sleep", "120"]);
    let dir = scratch("killed-script");
    let script = script(
        &dir,
        "let image = build_image(BENCHMARKS[0]);\nlet net = network();\nmeasure(image, #{ network: net }, #{ runs: 1, warmup: 0 });\n",
    );
    let mut child = Pyrobench::new().arg(&script).arg(&bench).spawn();
    let pid = child.id();
    assert!(
        wait_until(Duration::from_secs(120), || has_run_container(pid)),
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

#[test]
fn sigkill_keeps_every_run_measured_before_it() {
    let _shared = shared();
    let bench = probe_benchmark("killed-mid-way", &["sleep", "1"]);
    let dir = scratch("killed-mid-way-script");
    let json = dir.join("out.json");
    let script = script(
        &dir,
        "let image = build_image(BENCHMARKS[0]);\n\
         measure(image, #{ name: \"slow\" }, #{ runs: 5, warmup: 0 });\n",
    );
    let mut child = Pyrobench::new()
        .arg(&script)
        .arg(&bench)
        .arg("--json")
        .arg(&json)
        .spawn();
    let pid = child.id();
    assert!(
        wait_until(Duration::from_secs(120), || runs_in(&json, "slow") >= 2),
        "two runs never reached the file"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let value = read_json(&json);
    let runs = scenario(&value, 0, "slow")["runs"]
        .as_array()
        .unwrap()
        .len();
    assert!((2..5).contains(&runs), "{runs} runs in the file");
    assert_eq!(value["benchmarks"][0]["complete"], false);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A container create that was in flight at the kill can land after a sweep: the next
    // sweep takes it.
    assert!(
        wait_until(Duration::from_secs(15), || {
            Pyrobench::new().arg("clean").run().assert_success();
            leftovers_of(pid).is_empty()
        }),
        "{:?}",
        leftovers_of(pid)
    );
}

#[test]
fn bad_flags_are_refused_before_any_docker_work() {
    let _shared = shared();
    for (flags, expected) in [
        (&["--runs", "0"][..], "error: --runs must be at least 1"),
        (
            &["--set", "max_cpu_pct=abc"][..],
            "error: --set max_cpu_pct=abc: a limit must be a number (percent, or profiles per run)",
        ),
        (
            &["--timeout", "1e20"][..],
            "error: --timeout must be a number of seconds above 0 and at most 1e6, not 100000000000000000000",
        ),
    ] {
        let finished = Pyrobench::new()
            .arg("scripts/default.rhai")
            .arg("benchmarks/calibration")
            .args(flags.iter().copied())
            .run();
        finished.assert_failure();
        assert_eq!(finished.error_line(), expected, "{flags:?}");
        assert!(
            !finished.stderr.contains("building"),
            "{flags:?}: {}",
            finished.stderr
        );
    }
}

#[test]
fn a_malformed_set_value_is_one_error_not_also_unread() {
    let _shared = shared();
    let dir = scratch("malformed-set");
    let script = script(&dir, "let jitter = param(\"jitter\", 0.5);\n");
    let finished = Pyrobench::new()
        .arg(&script)
        .args(["--set", "jitter=abc"])
        .run();
    finished.assert_error_ends_with("--set jitter=abc: `jitter` must be a number");
    assert!(
        !finished.stderr.contains("never read"),
        "{}",
        finished.stderr
    );
}

#[test]
fn ctrl_c_stops_a_script_sleep_at_once_and_negative_sleeps_are_refused() {
    let _shared = shared();
    let dir = scratch("sleepy");
    for (text, seconds, signal) in [
        ("sleep(15);", "int", libc::SIGINT),
        ("sleep(1e18);", "float", libc::SIGTERM),
    ] {
        let script = script(&dir, text);
        let child = Pyrobench::new().arg(&script).spawn();
        let pid = child.id();
        std::thread::sleep(Duration::from_secs(2));
        // SAFETY: a signal to a child process this test started.
        unsafe {
            libc::kill(pid as i32, signal);
        }
        let interrupted = Instant::now();
        let finished = finish(child, pid);
        assert_eq!(finished.code, Some(130), "{seconds}: {}", finished.stderr);
        assert!(
            interrupted.elapsed() < Duration::from_secs(5),
            "{seconds}: took {:?}",
            interrupted.elapsed()
        );
    }
    let script = script(&dir, "sleep(-1);");
    let finished = Pyrobench::new().arg(&script).run();
    finished.assert_error_ends_with("`sleep` must be a positive number of seconds");
}

#[test]
fn another_build_cannot_swap_the_image_under_a_measurement() {
    let _shared = shared();
    // Two folders of one name: a 1 s workload and a 0.1 s one.
    let slow = probe_benchmark("swap-x1/app", &["sleep", "1"]);
    let fast = probe_benchmark("swap-x2/app", &["sleep", "0.1"]);
    let dir = scratch("swap-script");
    let json = dir.join("out.json");
    let measuring = script(
        &dir,
        "let image = build_image(BENCHMARKS[0]);\n\
         print(image.tag);\n\
         save(measure(image, #{ name: \"a\" }, #{ runs: 4, warmup: 0 }));\n",
    );
    let child = Pyrobench::new()
        .arg(&measuring)
        .arg(&slow)
        .arg("--json")
        .arg(&json)
        .spawn();
    let pid = child.id();
    assert!(
        wait_until(Duration::from_secs(120), || runs_in(&json, "a") >= 1),
        "the first run never reached the file"
    );
    let other = scratch("swap-other");
    let building = script(&other, "print(build_image(BENCHMARKS[0]).tag);\n");
    let built = Pyrobench::new().arg(&building).arg(&fast).run();
    built.assert_success();
    let measured = finish(child, pid);
    measured.assert_success();
    let (tag_a, tag_b) = (measured.stdout.trim(), built.stdout.trim());
    assert_ne!(tag_a, tag_b, "two folders named app share a tag");
    let value = read_json(&json);
    let runs = scenario(&value, 0, "a")["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 4);
    for run in &runs {
        let wall = run["wall_s"].as_f64().unwrap();
        assert!(wall > 0.9, "a run took {wall} s: the image was swapped");
    }
    let id = value["benchmarks"][0]["image_id"].as_str().unwrap();
    let output = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", tag_a])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), id);
}

#[test]
fn a_plain_clean_spares_a_live_run_and_clean_all_does_not() {
    // `clean --all` removes every pyrobench container: no other test may run beside it.
    let _alone = alone();
    let bench = probe_benchmark("live", &["sleep", "30"]);
    let dir = scratch("live-script");
    let script = script(
        &dir,
        "let image = build_image(BENCHMARKS[0]);\n\
         measure(image, #{ name: \"live\" }, #{ runs: 1, warmup: 0 });\n",
    );
    let child = Pyrobench::new().arg(&script).arg(&bench).spawn();
    let pid = child.id();
    assert!(
        wait_until(Duration::from_secs(120), || has_run_container(pid)),
        "the run never started"
    );
    Pyrobench::new().arg("clean").run().assert_success();
    assert!(has_run_container(pid), "a plain clean removed a live run");
    let cleaned = Pyrobench::new().args(["clean", "--all"]).run();
    cleaned.assert_success();
    assert!(
        cleaned.stdout.contains("removed 1 container(s)"),
        "{}",
        cleaned.stdout
    );
    assert!(!has_run_container(pid), "clean --all spared a run");
    let finished = finish(child, pid);
    finished.assert_failure();
    assert_nothing_left(&finished);
}

#[test]
fn a_parameter_without_default_must_be_given() {
    let _shared = shared();
    let dir = scratch("param-without-default");
    let script = script(&dir, "print(`target ${param(\"target\")}`);\n");
    let missing = Pyrobench::new().arg(&script).run();
    missing.assert_error_ends_with("parameter `target` is not set: pass --set target=VALUE");
    let given = Pyrobench::new()
        .arg(&script)
        .args(["--set", "target=db"])
        .run();
    given.assert_success();
    assert_eq!(given.stdout.trim(), "target db");
}

#[test]
fn a_plain_container_has_no_exit_code_until_it_stops() {
    let _shared = shared();
    let bench = probe_benchmark("plain-container", &["hang"]);
    let (finished, _) = run_script(
        "plain-container",
        &bench,
        "let image = build_image(BENCHMARKS[0]);\n\
         let c = container(image, #{});\n\
         c.start();\n\
         print(`running ${c.exit_code}`);\n\
         c.stop();\n\
         print(`stopped ${c.exit_code}`);\n\
         c.remove();\n",
        &[],
    );
    finished.assert_success();
    let lines: Vec<&str> = finished.stdout.lines().collect();
    // As PID 1 with no handler the probe ignores SIGTERM: stop kills it after its grace.
    assert_eq!(lines, ["running ", "stopped 137"], "{}", finished.stdout);
    assert_nothing_left(&finished);
}

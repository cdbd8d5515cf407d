//! The engine against the real Docker engine: builds, measurement, failures, script errors.

use crate::common::*;

#[test]
fn peak_memory_is_the_amount_the_program_touched() {
    let _shared = shared();
    let bench = probe_benchmark("alloc-64", &["alloc", "64"]);
    let (finished, json) = run_script(
        "alloc-64",
        &bench,
        "let image = build_image(BENCHMARKS[0]);\n\
         save(measure(image, #{ name: \"alloc\" }, #{ runs: 1, warmup: 0 }));\n",
        &[],
    );
    finished.assert_success();
    let json = read_json(&json);
    let rss = scenario(&json, 0, "alloc")["runs"][0]["max_rss_bytes"]
        .as_u64()
        .unwrap();
    let mib = rss as f64 / (1024.0 * 1024.0);
    // 64 MiB touched by a static binary with next to nothing else resident.
    assert!(
        (64.0..68.0).contains(&mib),
        "peak RSS {mib:.2} MiB for 64 MiB"
    );
}

#[test]
fn cpu_pinning_quota_and_ptrace_reach_the_measured_container() {
    let _shared = shared();
    let bench = probe_benchmark("pinned", &["sleep", "4"]);
    let dir = scratch("pinned-script");
    let script = script(
        &dir,
        "let image = build_image(BENCHMARKS[0]);\n\
         measure(image, #{ name: \"pinned\", cpuset: \"0\", cpus: 0.5, ptrace: true }, \
         #{ runs: 1, warmup: 0 });\n",
    );
    let child = Pyrobench::new().arg(&script).arg(&bench).spawn();
    let pid = child.id();
    let mut inspected = None;
    wait_until(std::time::Duration::from_secs(60), || {
        inspected = leftovers_of(pid)
            .into_iter()
            .find(|l| l.contains("-run-"))
            .and_then(|line| {
                let name = line.split_whitespace().last()?.to_string();
                let output = std::process::Command::new("docker")
                    .args([
                        "inspect",
                        "--format",
                        "{{.HostConfig.CpusetCpus}} {{.HostConfig.NanoCpus}} {{.HostConfig.CapAdd}}",
                        &name,
                    ])
                    .output()
                    .ok()?;
                output
                    .status
                    .success()
                    .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
            });
        inspected.is_some()
    });
    let finished = finish(child, pid);
    finished.assert_success();
    assert_eq!(
        inspected.as_deref(),
        Some("0 500000000 [SYS_PTRACE]"),
        "{}",
        finished.stderr
    );
}

#[test]
fn builds_an_image_from_a_folder_and_measures_cpu_in_an_image_without_libc() {
    let _shared = shared();
    let bench = probe_benchmark("burn-one-second", &["burn", "1"]);
    let (finished, json) = run_script(
        "burn-one-second",
        &bench,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let result = measure(image, #{ name: "burn" }, #{ runs: 2, warmup: 0 });
        show(result);
        save(result);
        "#,
        &[],
    );
    finished.assert_success();
    let json = read_json(&json);
    let tag = json["benchmarks"][0]["image"].as_str().unwrap();
    assert!(tag.starts_with("pyrobench/burn-one-second-"), "{tag}");
    assert!(docker_image_created(tag).is_some());
    let runs = scenario(&json, 0, "burn")["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        let cpu = run["cpu_user_s"].as_f64().unwrap() + run["cpu_system_s"].as_f64().unwrap();
        assert!(
            (0.8..=1.2).contains(&cpu),
            "1 s of CPU reported as {cpu} s: {run}"
        );
        let wall = run["wall_s"].as_f64().unwrap();
        assert!(wall >= cpu * 0.95, "wall {wall} below CPU {cpu}");
        assert!(run["docker_wall_s"].as_f64().unwrap() >= wall * 0.9);
        assert!(run["max_rss_bytes"].as_u64().unwrap() > 0);
        assert_eq!(run["exit_code"], 0);
        assert_eq!(run["timed_out"], false);
    }
    assert!(
        finished.stdout.contains("burn"),
        "table missing:\n{}",
        finished.stdout
    );
    assert_nothing_left(&finished);
}

#[test]
fn build_arguments_reach_the_dockerfile_and_are_in_the_tag_and_the_json() {
    let _shared = shared();
    let bench = probe_benchmark_with(
        "build-args",
        &["true"],
        "ARG AGENT_VERSION=1.0\nLABEL io.pyrobench.agent.version=$AGENT_VERSION\n",
    );
    let (finished, json) = run_script(
        "build-args",
        &bench,
        "let plain = build_image(BENCHMARKS[0]);\n\
         let versioned = build_image(BENCHMARKS[0], #{ args: #{ AGENT_VERSION: \"2.5\" } });\n\
         print(`tags ${plain.tag} ${versioned.tag} args ${versioned.args.AGENT_VERSION}`);\n\
         save(measure(versioned, #{}, #{ runs: 1, warmup: 0 }));\n",
        &[],
    );
    finished.assert_success();
    let line = finished
        .stdout
        .lines()
        .find(|l| l.starts_with("tags "))
        .unwrap();
    let words: Vec<&str> = line.split(' ').collect();
    let (plain, versioned) = (words[1], words[2]);
    assert!(plain.ends_with(":latest"), "{line}");
    assert!(versioned.ends_with(":AGENT_VERSION-2.5"), "{line}");
    assert_eq!(words[4], "2.5", "{line}");
    let label = |tag: &str| {
        let out = std::process::Command::new("docker")
            .args(["image", "inspect", "--format"])
            .arg("{{index .Config.Labels \"io.pyrobench.agent.version\"}}")
            .arg(tag)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(label(plain), "1.0");
    assert_eq!(label(versioned), "2.5");
    let json = read_json(&json);
    assert_eq!(
        json["benchmarks"][0]["build_args"],
        serde_json::json!({ "AGENT_VERSION": "2.5" })
    );
    assert_nothing_left(&finished);
    // A name that cannot be an ARG is refused with what a name may hold.
    let (finished, _) = run_script(
        "build-args",
        &bench,
        "build_image(BENCHMARKS[0], #{ args: #{ \"agent-version\": \"2\" } });\n",
        &[],
    );
    finished.assert_failure();
    assert!(
        finished.stderr.contains("cannot be a Dockerfile ARG name"),
        "{}",
        finished.stderr
    );
}

#[test]
fn a_failing_dockerfile_shows_its_build_log() {
    let _shared = shared();
    let bench = scratch("broken-build");
    std::fs::write(
        bench.join("Dockerfile"),
        "FROM scratch\nCOPY no-such-file /x\n",
    )
    .unwrap();
    let dir = scratch("broken-build-script");
    let script = script(&dir, "let image = build_image(BENCHMARKS[0]);\n");
    let finished = Pyrobench::new().arg(&script).arg(&bench).run();
    finished.assert_failure();
    let error = finished.error_line();
    assert!(error.contains("test.rhai:1:13"), "{error}");
    assert!(
        error.contains("building") && error.contains("broken-build failed"),
        "{error}"
    );
    assert!(
        finished.stderr.contains("--- build log"),
        "{}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains("COPY no-such-file"),
        "{}",
        finished.stderr
    );
    assert_nothing_left(&finished);
}

#[test]
fn a_benchmark_that_exits_non_zero_is_reported_with_its_log_tail_and_kept_in_json() {
    let _shared = shared();
    let bench = probe_benchmark("fails-with-3", &["fail", "3"]);
    let (finished, json) = run_script(
        "fails-with-3",
        &bench,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let result = compare(image, [#{ name: "baseline" }], #{ runs: 3, warmup: 0 });
        save(result);
        "#,
        &[],
    );
    finished.assert_failure();
    let error = finished.error_line();
    assert!(error.contains("test.rhai:3:22"), "{error}");
    assert!(
        error.contains("scenario `baseline`, run 1: exited with code 3"),
        "{error}"
    );
    assert!(
        finished.stderr.contains("probe: giving up with code 3"),
        "{}",
        finished.stderr
    );
    let json = read_json(&json);
    let runs = scenario(&json, 0, "baseline")["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "the failed run is kept: {json:#}");
    assert_eq!(runs[0]["exit_code"], 3);
    assert_eq!(json["benchmarks"][0]["complete"], false);
    assert_nothing_left(&finished);
}

#[test]
fn keep_going_records_failures_and_finishes() {
    let _shared = shared();
    let bench = probe_benchmark("fails-keep-going", &["fail", "4"]);
    let (finished, json) = run_script(
        "fails-keep-going",
        &bench,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let result = compare(image, [
            #{ name: "ok", cmd: ["sleep", "0.1"] },
            #{ name: "x" },
        ], #{ runs: 2, warmup: 0, keep_going: true });
        save(result);
        "#,
        &[],
    );
    finished.assert_success();
    let json = read_json(&json);
    let x = scenario(&json, 0, "x");
    assert_eq!(x["summary"]["failed_runs"], 2);
    assert_eq!(x["summary"]["ok_runs"], 0);
    assert_eq!(scenario(&json, 0, "ok")["summary"]["ok_runs"], 2);
    // What ran is recorded per scenario; the top level holds only flags that were given.
    assert_eq!(x["planned_runs"], 2);
    assert_eq!(x["warmup"], 0);
    assert!(json["pyrobench"]["runs"].is_null(), "{}", json["pyrobench"]);
    // The progress line gives the reason and the log's last line, not a dangling intro.
    assert!(
        finished.stderr.contains(
            "| x | run 1/2 | FAILED: exited with code 4 (last log line: probe: giving up with code 4)"
        ),
        "{}",
        finished.stderr
    );
    assert!(
        x["runs"][0]["failure"]
            .as_str()
            .unwrap()
            .contains("giving up with code 4")
    );
}

#[test]
fn keep_going_with_every_run_failed_is_an_error_that_keeps_the_failures() {
    let _shared = shared();
    let bench = probe_benchmark("fails-every-run", &["fail", "4"]);
    let (finished, json) = run_script(
        "fails-every-run",
        &bench,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let result = measure(image, #{ name: "x" }, #{ runs: 2, warmup: 0, keep_going: true });
        save(result);
        "#,
        &[],
    );
    finished.assert_failure();
    assert!(
        finished
            .error_line()
            .contains("every run failed, so nothing was measured"),
        "{}",
        finished.stderr
    );
    let json = read_json(&json);
    let x = scenario(&json, 0, "x");
    assert_eq!(x["summary"]["failed_runs"], 2);
    assert_eq!(json["benchmarks"][0]["complete"], true);
}

#[test]
fn a_script_error_names_line_and_column() {
    let _shared = shared();
    let dir = scratch("script-errors");
    let syntax = script(&dir, "let a = 1;\nlet b = ;\n");
    let checked = Pyrobench::new().arg("check").arg(&syntax).run();
    checked.assert_failure();
    assert!(
        checked.error_line().contains("test.rhai:2:9"),
        "{}",
        checked.error_line()
    );

    let unknown_variable = script(&dir, "let a = 1;\nshow(reslt);\n");
    let checked = Pyrobench::new().arg("check").arg(&unknown_variable).run();
    checked.assert_failure();
    assert!(
        checked.error_line().contains("test.rhai:2:6"),
        "{}",
        checked.error_line()
    );
    assert!(
        checked.error_line().contains("reslt"),
        "{}",
        checked.error_line()
    );

    let runtime = script(
        &dir,
        "let x = 1;\nlet image = build_image(\"/no/such/folder\");\n",
    );
    let finished = Pyrobench::new().arg(&runtime).run();
    finished.assert_failure();
    let error = finished.error_line();
    assert!(error.contains("test.rhai:2:13"), "{error}");
    assert!(error.contains("/no/such/folder does not exist"), "{error}");
    assert_nothing_left(&finished);

    let good = Pyrobench::new()
        .arg("check")
        .arg(repo().join("scripts/default.rhai"))
        .run();
    good.assert_success();
}

#[test]
fn check_never_touches_docker() {
    let _shared = shared();
    let dir = scratch("check-no-docker");
    let path = script(&dir, "let image = build_image(\"x\");\n");
    let checked = Pyrobench::new()
        .arg("check")
        .arg(&path)
        .env("DOCKER_HOST", "unix:///no/such/docker.sock")
        .run();
    checked.assert_success();
}

#[test]
fn low_level_primitives_drive_containers_and_networks() {
    let _shared = shared();
    let bench = probe_benchmark("primitives", &["true"]);
    let dir = scratch("primitives-script");
    let script = script(
        &dir,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let net = network();
        let ing = ingester(net);
        let c = container(image, #{ cmd: ["fail", "5"], network: net, alias: "worker" });
        c.start();
        let code = c.wait(30);
        print(`exit=${code}`);
        print(`exit_code=${c.exit_code}`);
        print(`logs_have_line=${c.logs().contains("giving up with code 5")}`);
        c.remove();
        let elsewhere = network();
        let other = container(image, #{ cmd: ["sleep", "0.2"], network: elsewhere });
        net.connect(other, "late");
        net.disconnect(other);
        other.remove();
        elsewhere.remove();
        let counts = ing.stats();
        print(`requests=${counts.requests}`);
        let t0 = now();
        sleep(0.1);
        print(`slept=${now() - t0 >= 0.1}`);
        net.remove();
        "#,
    );
    let finished = Pyrobench::new().arg(&script).arg(&bench).run();
    finished.assert_success();
    for expected in [
        "exit=5",
        "exit_code=5",
        "logs_have_line=true",
        "requests=0",
        "slept=true",
    ] {
        assert!(
            finished.stdout.contains(expected),
            "missing {expected}:\n{}",
            finished.stdout
        );
    }
    assert_nothing_left(&finished);
}

#[test]
fn pinning_quota_and_ptrace_reach_the_container() {
    let _shared = shared();
    let bench = probe_benchmark("pinned", &["true"]);
    let dir = scratch("pinned-script");
    let script = script(
        &dir,
        r#"
        let image = build_image(BENCHMARKS[0]);
        let c = container(image, #{ cpuset: "0", cpus: 0.5, ptrace: true });
        print(`id=${c.id}`);
        let record = run(image, #{ cpuset: "0", cpus: 1, ptrace: true, cmd: ["burn", "0.2"] });
        print(`exit=${record.exit_code}`);
        sleep(30);
        "#,
    );
    let mut child = Pyrobench::new().arg(&script).arg(&bench).spawn();
    let pid = child.id();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut id = String::new();
    while std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0 {
        if let Some(found) = line.trim().strip_prefix("id=") {
            id = found.to_string();
            break;
        }
        line.clear();
    }
    let inspect = std::process::Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{.HostConfig.CpusetCpus}} {{.HostConfig.NanoCpus}} {{.HostConfig.CapAdd}}",
            &id,
        ])
        .output()
        .unwrap();
    interrupt(pid);
    let finished = finish(child, pid);
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        "0 500000000 [SYS_PTRACE]"
    );
    assert_eq!(finished.code, Some(130), "{}", finished.stderr);
    assert_nothing_left(&finished);
}

#[test]
fn aliases_resolve_on_the_network_and_a_disconnected_ingester_does_not() {
    let _shared = shared();
    ensure_base_images();
    let dir = scratch("aliases-script");
    // getent answers 0 when the name resolves on the network and 2 when it does not.
    let script = script(
        &dir,
        r#"
        let debian = "debian:bookworm-slim";
        let net = network();
        let ing = ingester(net);
        let server = container(debian, #{ network: net, aliases: ["db", "cache"], cmd: ["sleep", "60"] });
        server.start();
        let lookup = |names| {
            let c = container(debian, #{ network: net, cmd: ["getent", "hosts"] + names });
            c.start();
            let code = c.wait(30);
            c.remove();
            code
        };
        print(`aliases=${lookup.call(["db", "cache"])}`);
        print(`unknown=${lookup.call(["nobody"])}`);
        print(`ingester=${lookup.call(["ingester"])}`);
        net.disconnect(ing);
        print(`disconnected=${lookup.call(["ingester"])}`);
        net.connect(ing);
        print(`connected=${lookup.call(["ingester"])}`);
        let record = run(debian, #{ network: net, alias: "measured", cmd: ["getent", "hosts", "measured", "db"] });
        print(`measured=${record.exit_code}`);
        server.stop();
        net.remove();
        "#,
    );
    let finished = Pyrobench::new().arg(&script).run();
    finished.assert_success();
    for expected in [
        "aliases=0",
        "unknown=2",
        "ingester=0",
        "disconnected=2",
        "connected=0",
        "measured=0",
    ] {
        assert!(
            finished.stdout.contains(expected),
            "missing {expected}:\n{}",
            finished.stdout
        );
    }
    assert_nothing_left(&finished);
}

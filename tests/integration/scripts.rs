//! The shipped experiment scripts, on benchmarks/fibonacci with small parameters, and
//! `check` on every script in the repository.

use crate::common::*;

fn fibonacci_with(script: &str, name: &str, sets: &[&str]) -> (Finished, serde_json::Value) {
    shipped_script_on(script, name, &["benchmarks/fibonacci"], sets)
}

/// A script from the repository on these benchmark folders, with `--set` values.
fn shipped_script_on(
    script: &str,
    name: &str,
    benchmarks: &[&str],
    sets: &[&str],
) -> (Finished, serde_json::Value) {
    ensure_base_images();
    let dir = scratch(name);
    let json = dir.join("out.json");
    let mut command = Pyrobench::new()
        .arg(script)
        .args(benchmarks.iter().copied());
    for set in sets {
        command = command.args(["--set", set]);
    }
    let finished = command.arg("--json").arg(&json).run();
    finished.assert_success();
    assert_nothing_left(&finished);
    let json = read_json(&json);
    (finished, json)
}

#[test]
fn every_shipped_script_passes_check() {
    let _shared = shared();
    for script in [
        "scripts/default.rhai",
        "scripts/slow-ingester-sweep.rhai",
        "scripts/fault-matrix.rhai",
        "scripts/outage.rhai",
        "scripts/steady-state.rhai",
        "scripts/service.rhai",
        "bench/accuracy.rhai",
    ] {
        Pyrobench::new()
            .args(["check", script])
            .run()
            .assert_success();
    }
}

#[test]
fn check_catches_a_misspelled_function_before_anything_runs() {
    let _shared = shared();
    let dir = scratch("misspelled");
    let path = script(
        &dir,
        "fn helper(x) { x + 1 }\nlet f = |y| y * 2;\nlet n = helper(f(1));\nprint(n.to_string());\n\
         let image = build_image(BENCHMARKS[0]);\nlet r = compaer(image, []);\n",
    );
    let finished = Pyrobench::new().arg("check").arg(&path).run();
    finished.assert_failure();
    let line = finished.error_line();
    assert!(
        line.contains("test.rhai:6:9: unknown function `compaer`: did you mean `compare`?"),
        "{line}"
    );
    // A run refuses it too, before building anything.
    let finished = Pyrobench::new()
        .arg(&path)
        .arg("benchmarks/fibonacci")
        .run();
    finished.assert_failure();
    assert!(finished.error_line().contains("unknown function `compaer`"));
    assert!(!finished.stderr.contains("building"), "{}", finished.stderr);
}

#[test]
fn slow_ingester_sweep_prints_a_table_and_plots_overhead_against_delay() {
    let _alone = exclusive();
    let plot = scratch("sweep-plot").join("sweep");
    let plot_arg = format!("plot={}", plot.display());
    let (finished, json) = fibonacci_with(
        "scripts/slow-ingester-sweep.rhai",
        "sweep",
        &["delays_ms=0,1500", "runs=1", "warmup=0", &plot_arg],
    );
    assert!(
        finished.stdout.contains("parameters: delays_ms=[0, 1500]"),
        "{}",
        finished.stdout
    );
    for row in ["│ 0 ", "│ 1500 "] {
        assert!(
            finished.stdout.contains(row),
            "no row {row}:\n{}",
            finished.stdout
        );
    }
    let names: Vec<&str> = json["benchmarks"][0]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["baseline", "delay 0 ms", "delay 1500 ms"]);
    let slow = scenario(&json, 0, "delay 1500 ms");
    let latency = slow["runs"][0]["ingester"]["latency"]["p50_ms"]
        .as_f64()
        .unwrap();
    assert!(
        latency >= 1500.0,
        "the ingester delayed its answers: {latency} ms"
    );
    let svg = std::fs::read_to_string(format!("{}-fibonacci.svg", plot.display())).unwrap();
    assert!(svg.contains("overhead against ingester delay"));
    assert!(svg.contains("CPU time") && svg.contains("peak RSS"));
    assert!(svg.matches("<polyline").count() >= 3, "three lines");
}

#[test]
fn fault_matrix_covers_every_condition_and_flags_what_failed() {
    let _alone = exclusive();
    let (finished, json) = fibonacci_with(
        "scripts/fault-matrix.rhai",
        "fault-matrix",
        &["runs=1", "warmup=0", "timeout=60"],
    );
    let conditions = [
        "fast",
        "slow",
        "error-500",
        "error-429",
        "hang",
        "reset",
        "refused",
        "unresolvable",
        "bandwidth",
        "flaky",
    ];
    for condition in conditions {
        assert!(
            finished.stdout.contains(&format!("│ {condition} ")),
            "no row for {condition}:\n{}",
            finished.stdout
        );
    }
    assert_eq!(
        json["benchmarks"][0]["scenarios"].as_array().unwrap().len(),
        conditions.len() + 1
    );
    let run = |name: &str| scenario(&json, 0, name)["runs"][0].clone();
    assert!(run("fast")["ingester"]["profiles"].as_u64().unwrap() > 0);
    for refused in ["error-500", "error-429", "hang", "reset"] {
        let counts = &run(refused)["ingester"];
        assert!(
            counts["requests"].as_u64().unwrap() > 0,
            "{refused}: {counts}"
        );
        assert_eq!(counts["profiles"], 0, "{refused}: nothing accepted");
    }
    assert!(run("unresolvable").get("ingester").is_none());
    assert_eq!(
        run("refused")["ingester"]["requests"],
        0,
        "nothing listened"
    );
}

#[test]
fn fault_matrix_flags_a_run_that_hung() {
    let _alone = exclusive();
    // pyroscope-io waits about 10 s for an unanswered upload at exit: past a 6 s limit.
    let (finished, json) = fibonacci_with(
        "scripts/fault-matrix.rhai",
        "fault-matrix-hang",
        &["runs=1", "warmup=0", "timeout=6", "conditions=hang"],
    );
    let row = finished
        .stdout
        .lines()
        .find(|line| line.contains("│ hang "))
        .unwrap_or_else(|| panic!("no hang row:\n{}", finished.stdout));
    assert!(row.contains("1 HUNG (timed out after 6 s)"), "{row}");
    assert!(!row.contains("CRASHED"), "{row}");
    assert_eq!(scenario(&json, 0, "hang")["runs"][0]["timed_out"], true);
    assert_eq!(
        scenario(&json, 0, "baseline")["runs"][0]["timed_out"],
        false
    );
}

#[test]
fn outage_stops_the_ingester_mid_run_and_shows_the_recovery() {
    let _alone = exclusive();
    // calibration has no agent: its ingester sees no request, and the script must cope.
    let (finished, json) = shipped_script_on(
        "scripts/outage.rhai",
        "outage",
        &["benchmarks/fibonacci", "benchmarks/calibration"],
        &[
            "runs=1",
            "warmup=0",
            "env=FIBONACCI_N=39",
            "outage_at=1.0",
            "outage_for=1.5",
        ],
    );
    let run = &scenario(&json, 0, "outage")["runs"][0];
    let actions = run["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{run}");
    assert_eq!(actions[0]["label"], "ingester away (stop)");
    assert_eq!(actions[0]["during_run"], true);
    let away = actions[0]["t_s"].as_f64().unwrap();
    assert!((0.9..2.0).contains(&away), "away at {away} s");
    let back = actions[1]["t_s"].as_f64().unwrap();
    let timeline = run["ingester"]["timeline"].as_array().unwrap();
    assert!(!timeline.is_empty(), "{run}");
    for event in timeline {
        let t = event["t_s"].as_f64().unwrap();
        assert!(
            !(away + 0.2..back - 0.2).contains(&t),
            "nothing can arrive while the ingester is stopped: {event}"
        );
    }
    // FIBONACCI_N=39 (about 5 s here, 2026-12-01) outlasts the outage by far, so the
    // ingester came back during the run even on a fast machine (N=37 took 1.9 s).
    assert_eq!(actions[1]["during_run"], true, "{run}");
    assert_resumed_after(timeline, back, &finished.stdout);
    let calibration = &json["benchmarks"][1];
    assert_eq!(calibration["name"], "calibration");
    assert_eq!(
        calibration["scenarios"][2]["runs"][0]["ingester"]["requests"],
        0
    );
    assert!(
        finished.stdout.contains("no uploads at all"),
        "{}",
        finished.stdout
    );
    assert!(
        finished
            .stdout
            .contains("calibration: the agent resumed uploading after the outage in 0 of 0 runs"),
        "{}",
        finished.stdout
    );
}

/// outage.rhai with `kind` on fibonacci, long enough (FIBONACCI_N=39) to outlast the
/// outage: the outage run's actions and timeline, and the times it went away and came back.
fn outage_of_kind(kind: &str) -> (Vec<serde_json::Value>, f64, f64, String) {
    let (finished, json) = fibonacci_with(
        "scripts/outage.rhai",
        &format!("outage-{kind}"),
        &[
            "runs=1",
            "warmup=0",
            "env=FIBONACCI_N=39",
            "outage_at=1.0",
            "outage_for=1.5",
            &format!("kind={kind}"),
        ],
    );
    let run = &scenario(&json, 0, "outage")["runs"][0];
    let actions = run["actions"].as_array().unwrap();
    assert_eq!(actions[0]["label"], format!("ingester away ({kind})"));
    assert_eq!(actions[1]["during_run"], true, "{run}");
    let away = actions[0]["t_s"].as_f64().unwrap();
    let back = actions[1]["t_s"].as_f64().unwrap();
    let timeline = run["ingester"]["timeline"].as_array().unwrap().clone();
    assert_resumed_after(&timeline, back, &finished.stdout);
    (timeline, away, back, finished.stdout)
}

/// The agent uploaded again once the ingester was back, and the script said so.
fn assert_resumed_after(timeline: &[serde_json::Value], back: f64, stdout: &str) {
    assert!(
        timeline
            .iter()
            .any(|e| e["t_s"].as_f64().unwrap() > back && e["status"] == "200"),
        "the agent uploaded again after the outage: {timeline:?}"
    );
    assert!(
        stdout.contains("resumed uploading after the outage in 1 of 1"),
        "{stdout}"
    );
}

/// The statuses of the requests that arrived while the ingester was away.
fn statuses_during(timeline: &[serde_json::Value], away: f64, back: f64) -> Vec<String> {
    timeline
        .iter()
        .filter(|e| (away..back).contains(&e["t_s"].as_f64().unwrap()))
        .map(|e| e["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn outage_by_refusal_lets_nothing_in_until_it_ends() {
    let _alone = exclusive();
    let (timeline, away, back, _) = outage_of_kind("refuse");
    // An upload leaves about every second: the one due in the outage was refused.
    let during = statuses_during(&timeline, away + 0.05, back - 0.05);
    assert!(during.is_empty(), "{during:?} arrived while refusing");
}

#[test]
fn outage_by_errors_answers_503_until_it_ends() {
    let _alone = exclusive();
    let (timeline, away, back, _) = outage_of_kind("error");
    let during = statuses_during(&timeline, away, back);
    assert!(!during.is_empty(), "no upload came during the outage");
    assert!(during.iter().all(|s| s == "503"), "{during:?}");
}

#[test]
fn outage_by_hanging_holds_the_upload_in_flight() {
    let _alone = exclusive();
    let (timeline, away, back, stdout) = outage_of_kind("hang");
    let during = statuses_during(&timeline, away, back);
    assert!(during.contains(&"hang".to_string()), "{during:?}");
    // pyroscope-io waits for its upload in flight, up to its 10 s timeout.
    let resumed = timeline
        .iter()
        .filter(|e| e["status"] == "200")
        .map(|e| e["t_s"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(resumed > away + 5.0, "resumed at {resumed} s:\n{stdout}");
}

#[test]
fn fault_matrix_flags_a_run_that_crashed() {
    let _alone = exclusive();
    let bench = probe_benchmark("crashes-when-profiled", &["fail-if-profiled", "7"]);
    let (finished, json) = shipped_script_on(
        "scripts/fault-matrix.rhai",
        "fault-matrix-crash",
        &[bench.to_str().unwrap()],
        &["runs=1", "warmup=0", "conditions=fast,unresolvable"],
    );
    for condition in ["fast", "unresolvable"] {
        let row = finished
            .stdout
            .lines()
            .find(|line| line.contains(&format!("│ {condition} ")))
            .unwrap_or_else(|| panic!("no {condition} row:\n{}", finished.stdout));
        assert!(row.contains("1 CRASHED (non-zero exit)"), "{row}");
        assert!(row.contains("0/1"), "{row}");
        assert!(!row.contains("HUNG"), "{row}");
        let run = &scenario(&json, 0, condition)["runs"][0];
        assert_eq!(run["exit_code"], 7, "{run}");
    }
    assert_eq!(scenario(&json, 0, "baseline")["runs"][0]["exit_code"], 0);
}

//! Whole-container accounting, checked against probes whose profiled form costs a known
//! amount more: CPU in an orphan, memory in a second process, seconds in two phases.

use serde_json::Value;

use crate::common::*;

/// `compare` of a baseline and a profiled scenario of the probe in `mode`, 6 runs each.
fn compared(name: &str, mode: &[&str]) -> Value {
    let bench = probe_benchmark(name, mode);
    let (finished, json) = run_script(
        name,
        &bench,
        "save(compare(build_image(BENCHMARKS[0]), [#{ name: \"baseline\" }, \
         #{ name: \"profiled\", profiling: true }], #{ runs: 6, warmup: 0 }));\n",
        &[],
    );
    finished.assert_success();
    assert_nothing_left(&finished);
    read_json(&json)
}

fn overhead(json: &Value) -> &Value {
    &scenario(json, 0, "profiled")["overhead"]
}

fn runs(json: &Value) -> Vec<&Value> {
    json["benchmarks"][0]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["runs"].as_array().unwrap())
        .collect()
}

#[test]
fn cpu_of_a_child_its_parent_never_waited_for_is_counted() {
    let _one = exclusive();
    // Baseline 0.4 s of CPU; profiled, a child burns 0.4 s more and exits a zombie.
    let json = compared("orphan-cpu", &["orphan-if-profiled", "0.4"]);
    let cpu = overhead(&json)["cpu_pct"].as_f64().unwrap();
    assert!(
        (cpu - 100.0).abs() <= 2.0,
        "CPU overhead {cpu:+.1}%, truth +100%"
    );
    for run in scenario(&json, 0, "profiled")["runs"].as_array().unwrap() {
        assert_eq!(run["orphans_reaped"], 1, "{run}");
    }
}

#[test]
fn what_the_command_leaves_running_is_accounted_then_stopped() {
    let _shared = shared();
    let bench = probe_benchmark("leave-running", &["leave-running", "0.2"]);
    let (finished, json) = run_script(
        "leave-running",
        &bench,
        "save(measure(build_image(BENCHMARKS[0]), #{}, #{ runs: 1, warmup: 0, timeout: 60 }));\n",
        &[],
    );
    finished.assert_success();
    let run = &read_json(&json)["benchmarks"][0]["scenarios"][0]["runs"][0];
    assert_eq!(run["leftover_processes"], 1, "{run}");
    assert_eq!(run["timed_out"], false);
    // The child had burned 0.2 s when the parent exited; left unreaped, it counted 0.
    let cpu = run["cpu_user_s"].as_f64().unwrap() + run["cpu_system_s"].as_f64().unwrap();
    assert!(cpu >= 0.2, "{run}");
    // Stopped at the command's exit, not left to run until the limit.
    assert!(run["wall_s"].as_f64().unwrap() < 10.0, "{run}");
}

#[test]
fn memory_held_in_a_second_process_shows_in_the_container_not_the_largest_process() {
    let _one = exclusive();
    let json = compared("second-process-memory", &["memory-if-profiled", "64"]);
    let median = |name: &str, key: &str| scenario(&json, 0, name)["summary"][key].as_f64().unwrap();
    const MIB: f64 = 1024.0 * 1024.0;
    let added = (median("profiled", "container_peak_bytes")
        - median("baseline", "container_peak_bytes"))
        / MIB;
    assert!(
        (added - 64.0).abs() < 6.0,
        "container memory +{added:.1} MiB"
    );
    let rss_added =
        (median("profiled", "max_rss_bytes") - median("baseline", "max_rss_bytes")) / MIB;
    assert!(rss_added.abs() < 2.0, "largest process +{rss_added:.1} MiB");
    let rss = median("baseline", "max_rss_bytes") / MIB;
    assert!(
        (100.0..110.0).contains(&rss),
        "the largest process held {rss:.1} MiB"
    );
}

#[test]
fn phases_split_the_added_seconds_between_startup_and_shutdown() {
    let _one = exclusive();
    let json = compared("phases", &["phases-if-profiled", "0.3"]);
    let phases = overhead(&json)["phases"].as_array().unwrap();
    let phase = |name: &str| {
        phases
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no phase {name} in {phases:?}"))
    };
    let added = |name: &str| phase(name)["added_wall_s"].as_f64().unwrap();
    assert!(
        (added("startup") - 0.3).abs() <= 0.05,
        "{:?}",
        phase("startup")
    );
    assert!(
        (added("shutdown") - 0.7).abs() <= 0.05,
        "{:?}",
        phase("shutdown")
    );
    // The work is the same 0.3 s of CPU in both: its overhead is nothing worth the name
    // (a burn loop that stops on CPU time varies so little that a 0.3% drift may still
    // test as significant).
    let work_cpu = phase("work")["cpu_pct"].as_f64().unwrap();
    assert!(
        work_cpu.abs() < 2.0,
        "work CPU {work_cpu:+.2}%: {:?}",
        phase("work")
    );
    let work_added = phase("work")["added_wall_s"].as_f64().unwrap();
    assert!(
        work_added.abs() < 0.05,
        "work wall {work_added:+.3} s: {:?}",
        phase("work")
    );
    for run in runs(&json) {
        let names: Vec<&str> = run["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["startup", "work", "shutdown"], "{run}");
        let sum: f64 = run["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["wall_s"].as_f64().unwrap())
            .sum();
        let wall = run["wall_s"].as_f64().unwrap();
        assert!(
            (sum - wall).abs() <= wall * 0.01,
            "phases {sum} s, wall {wall} s"
        );
    }
}

#[test]
fn the_timeline_samples_the_run_and_the_init_costs_under_one_percent() {
    let _one = exclusive();
    let bench = probe_benchmark("timeline", &["burn", "2"]);
    let (finished, json) = run_script(
        "timeline",
        &bench,
        "save(measure(build_image(BENCHMARKS[0]), #{}, #{ runs: 1, warmup: 0 }));\n",
        &[],
    );
    finished.assert_success();
    let run = &read_json(&json)["benchmarks"][0]["scenarios"][0]["runs"][0];
    let wall = run["wall_s"].as_f64().unwrap();
    let init = run["init_cpu_s"].as_f64().unwrap();
    assert!(
        init < 0.01 * wall,
        "the init used {init} s of a {wall} s run"
    );
    let timeline = &run["timeline"];
    assert_eq!(timeline["interval_s"], 0.05);
    let samples = timeline["samples"].as_array().unwrap();
    let expected = wall / 0.05;
    // Never more than one per interval, and one more as the run ends; fewer on a loaded
    // machine, where sleeps run long.
    assert!(
        (samples.len() as f64) > expected * 0.5 && (samples.len() as f64) <= expected + 2.0,
        "{} samples in {wall} s",
        samples.len()
    );
    let cpu = |sample: &Value| sample[1].as_f64().unwrap();
    assert!(samples.windows(2).all(|w| cpu(&w[1]) >= cpu(&w[0])));
    // The probe burns 2 s of CPU: the last sample, taken just before the end, has nearly all.
    let last = samples.last().unwrap();
    assert!(cpu(last) > 1.5 && cpu(last) < 2.1, "{last}");
    let peak = run["container_peak_bytes"].as_f64().unwrap();
    assert!(samples.iter().all(|s| s[2].as_f64().unwrap() <= peak));
}

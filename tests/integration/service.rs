//! Service runs: the probe serving HTTP at a known CPU cost per request, loaded by the
//! generator in its container, then stopped with SIGTERM; and services that fail.

use serde_json::Value;

use crate::common::*;

/// A service run per scenario of `scenarios` (Rhai map literals), `runs` each.
fn service_script(scenarios: &str, runs: usize) -> String {
    format!(
        "let image = build_image(BENCHMARKS[0]);\n\
         let net = network();\n\
         let result = compare(image, [{scenarios}], #{{ runs: {runs}, warmup: 0, timeout: 60 }});\n\
         show(result);\n\
         save(result);\n"
    )
}

fn loads(json: &Value, name: &str) -> Vec<Value> {
    scenario(json, 0, name)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["load"].clone())
        .collect()
}

#[test]
fn cpu_per_request_and_latency_match_a_service_of_known_cost() {
    let _one = exclusive();
    // 2 ms of CPU per request; 3 ms when profiled: +50%.
    let bench = service_benchmark("service-known-cost", &["serve", "2000", "1000"]);
    let load = "load: #{ rate: 100, duration: 2, warmup: 0.5, connections: 4 }";
    let (finished, json) = run_script(
        "service-known-cost",
        &bench,
        &service_script(
            &format!(
                "#{{ name: \"baseline\", network: net, {load} }}, \
                 #{{ name: \"profiled\", profiling: true, network: net, {load} }}"
            ),
            6,
        ),
        &[],
    );
    finished.assert_success();
    assert_nothing_left(&finished);
    let json = read_json(&json);
    for (name, truth_ms) in [("baseline", 2.0), ("profiled", 3.0)] {
        for load in loads(&json, name) {
            assert_eq!(load["requests"], 200, "{load}");
            assert_eq!(load["ok"], 200, "{load}");
            assert_eq!(load["errors"], serde_json::json!({}), "{load}");
            let cpu = load["cpu_per_request_ms"]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}: no CPU per request in {load}"));
            // The truth plus the probe's HTTP handling (tens of microseconds), within the
            // window's edges: a request in progress there is split between in and out.
            assert!(
                cpu >= truth_ms * 0.97 && cpu <= truth_ms * 1.08,
                "{name}: {cpu} ms CPU per request, truth {truth_ms} ms"
            );
            let p50 = load["latency_ms"]["p50"].as_f64().unwrap();
            assert!(
                p50 >= truth_ms,
                "{name}: p50 {p50} ms below the work it does"
            );
        }
        let phases: Vec<&str> = scenario(&json, 0, name)["runs"][0]["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            phases,
            ["startup", "work", "shutdown"],
            "SIGTERM marks shutdown"
        );
    }
    let overhead = &scenario(&json, 0, "profiled")["overhead"]["load"]["cpu_per_request_ms"];
    let pct = overhead["pct"].as_f64().unwrap();
    assert!(
        (pct - 50.0).abs() <= 4.0,
        "CPU per request {pct:+.1}%, truth +50%"
    );
    let [low, high] = [0, 1].map(|i| overhead["ci_pct"][i].as_f64().unwrap());
    assert!(low <= pct && pct <= high && low > 0.0, "{overhead}");
    assert!(
        finished.stdout.contains("CPU/request"),
        "{}",
        finished.stdout
    );
}

#[test]
fn a_service_that_never_becomes_ready_fails_with_the_reason() {
    let _shared = shared();
    let bench = service_benchmark("service-unready", &["serve-status", "503"]);
    let (finished, json) = run_script(
        "service-unready",
        &bench,
        &service_script(
            "#{ network: net, load: #{ rate: 10, duration: 1, ready_timeout: 2 } }",
            1,
        ),
        &[],
    );
    finished.assert_failure();
    assert!(
        finished
            .stderr
            .contains("never answered 2xx on GET / within 2 s")
            && finished.stderr.contains("it answered 503"),
        "{}",
        finished.stderr
    );
    assert_nothing_left(&finished);
    let json = read_json(&json);
    let run = &scenario(&json, 0, "scenario 1")["runs"][0];
    assert!(
        run["failure"]
            .as_str()
            .unwrap()
            .contains("never answered 2xx"),
        "{run}"
    );
}

#[test]
fn a_service_that_dies_under_load_is_a_failed_run() {
    let _shared = shared();
    let bench = service_benchmark("service-dies", &["serve-dies", "30"]);
    let (finished, _) = run_script(
        "service-dies",
        &bench,
        &service_script(
            "#{ network: net, load: #{ rate: 50, duration: 3, warmup: 0 } }",
            1,
        ),
        &[],
    );
    finished.assert_failure();
    assert!(
        finished
            .stderr
            .contains("the service exited while it was being loaded")
            && finished.stderr.contains("exited with code 3"),
        "{}",
        finished.stderr
    );
    assert_nothing_left(&finished);
}

#[test]
fn failed_requests_are_counted_by_kind() {
    let _shared = shared();
    let bench = service_benchmark("service-500", &["serve-status", "500"]);
    let (finished, json) = run_script(
        "service-500",
        &bench,
        &service_script(
            "#{ network: net, load: #{ rate: 20, duration: 1, warmup: 0, ready_path: \"/ready\" } }",
            1,
        ),
        &[],
    );
    finished.assert_success();
    assert_nothing_left(&finished);
    let load = &loads(&read_json(&json), "scenario 1")[0];
    assert_eq!(load["requests"], 20, "{load}");
    assert_eq!(load["ok"], 0, "{load}");
    assert_eq!(load["errors"]["status_500"], 20, "{load}");
}

#[test]
fn a_service_needs_a_load_and_one_on_no_network_is_loaded_over_its_loopback() {
    let _shared = shared();
    let bench = service_benchmark("service-misused", &["serve", "0"]);
    let (finished, _) = run_script(
        "service-misused",
        &bench,
        "save(measure(build_image(BENCHMARKS[0]), #{}, #{ runs: 1, warmup: 0 }));\n",
        &[],
    );
    finished.assert_failure();
    assert!(
        finished
            .stderr
            .contains("is a service (LABEL io.pyrobench.kind=service): give scenario")
            && finished.stderr.contains("a `load`"),
        "{}",
        finished.stderr
    );
    assert_nothing_left(&finished);
    // No network, as "ingester down" is for a batch run: the generator shares the
    // service's namespace and reaches it all the same.
    let (finished, json) = run_script(
        "service-misused",
        &bench,
        "save(measure(build_image(BENCHMARKS[0]), \
         #{ load: #{ rate: 20, duration: 1, warmup: 0 } }, #{ runs: 1, warmup: 0 }));\n",
        &[],
    );
    finished.assert_success();
    assert_nothing_left(&finished);
    let load = &read_json(&json)["benchmarks"][0]["scenarios"][0]["runs"][0]["load"];
    assert_eq!(
        (load["requests"].as_u64(), load["ok"].as_u64()),
        (Some(20), Some(20)),
        "{load}"
    );
}

#[test]
fn the_shipped_service_script_loads_a_service_and_skips_a_batch_folder() {
    let _one = exclusive();
    let service = service_benchmark("service-shipped", &["serve", "500"]);
    let batch = probe_benchmark("service-shipped-batch", &["true"]);
    let json = scratch("service-shipped-out").join("out.json");
    let finished = Pyrobench::new()
        .arg(repo().join("scripts/service.rhai"))
        .arg(&service)
        .arg(&batch)
        .args(["--runs", "1", "--set", "path=/", "--set", "duration=1"])
        .args(["--set", "warmup=0.5", "--set", "rate=50", "--json"])
        .arg(&json)
        .run();
    finished.assert_success();
    assert_nothing_left(&finished);
    assert!(
        finished.stdout.contains(
            "service-shipped-batch: not a service (no LABEL io.pyrobench.kind=service), skipped"
        ),
        "{}",
        finished.stdout
    );
    let json = read_json(&json);
    // The rate experiment, then saturation, for the one service.
    let names: Vec<&str> = json["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["scenarios"].as_array().unwrap())
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "baseline",
            "ingester up",
            "ingester down",
            "baseline (saturated)",
            "ingester up (saturated)"
        ]
    );
    let saturated = &scenario(&json, 1, "ingester up (saturated)")["runs"][0]["load"];
    assert_eq!(saturated["model"], "closed", "{saturated}");
    assert!(saturated["rate"].as_f64().unwrap() > 100.0, "{saturated}");
}

//! Pull benchmarks in scripts: scraped by the ingester on their network while they run,
//! not scraped without one; and pull labels that say too little.

use crate::common::*;

#[test]
fn a_pull_benchmark_is_scraped_while_it_runs_and_only_where_an_ingester_is() {
    let _shared = shared();
    // 3.5 s of CPU; profiled, the probe serves 7 samples a scrape on 6060 meanwhile.
    let bench = pull_benchmark("pull-probe", &["pull", "3.5", "7"]);
    let (finished, json) = run_script(
        "pull-probe",
        &bench,
        "let image = build_image(BENCHMARKS[0]);\n\
         print(`mode ${image.mode}`);\n\
         let net = network();\n\
         let ing = ingester(net, #{ scrape_interval_s: 1, scrape_seconds: 0.2 });\n\
         let result = compare(image, [\n\
             #{ name: \"baseline\", network: net },\n\
             #{ name: \"scraped\", profiling: true, network: net },\n\
             #{ name: \"not scraped\", profiling: true },\n\
         ], #{ runs: 2, warmup: 0 });\n\
         show(result);\n\
         save(result);\n",
        &[],
    );
    finished.assert_success();
    assert_nothing_left(&finished);
    assert!(finished.stdout.contains("mode pull"), "{}", finished.stdout);
    assert!(
        finished
            .stdout
            .contains("scraped: every 1 s (0.2 s CPU profiles):"),
        "{}",
        finished.stdout
    );
    let json = read_json(&json);
    for run in scenario(&json, 0, "scraped")["runs"].as_array().unwrap() {
        let counts = &run["ingester"];
        let (scrapes, profiles) = (
            counts["scrapes"].as_u64().unwrap(),
            counts["profiles"].as_u64().unwrap(),
        );
        // Every interval of a 3.5 s run, the first within one of its start.
        assert!((3..=5).contains(&scrapes), "{counts}");
        assert!(
            profiles + 1 >= scrapes,
            "at most the last one cut short: {counts}"
        );
        assert_eq!(counts["samples"].as_u64(), Some(7 * profiles), "{counts}");
        assert_eq!(counts["scraped_every_s"], serde_json::json!([1.0, 0.2]));
        assert_eq!(counts["requests"], 0, "{counts}");
        let started = run["actions"][0]["label"].as_str().unwrap();
        assert!(
            started.starts_with("scraping ") && started.ends_with(":6060 starts"),
            "{run}"
        );
        // Scraping started as the run did, and stopped with it: nothing after its end.
        let wall = run["wall_s"].as_f64().unwrap();
        for event in counts["timeline"].as_array().unwrap() {
            let t = event["t_s"].as_f64().unwrap();
            assert!(t >= 0.0 && t <= wall + 0.1, "{event} in a run of {wall} s");
        }
    }
    // Not profiled, nothing listens and the scrapes find nothing: never a profile.
    for run in scenario(&json, 0, "baseline")["runs"].as_array().unwrap() {
        let counts = &run["ingester"];
        assert_eq!(counts["profiles"], 0, "{counts}");
        assert!(
            counts["scrape_failures"]["connect"].as_u64() >= Some(3),
            "{counts}"
        );
    }
    for run in scenario(&json, 0, "not scraped")["runs"]
        .as_array()
        .unwrap()
    {
        assert!(run["ingester"].is_null(), "{run}");
    }
}

#[test]
fn pull_labels_that_say_too_little_are_refused_with_the_label_to_add() {
    let _shared = shared();
    for (name, labels, says) in [
        (
            "pull-no-port",
            "LABEL io.pyrobench.mode=pull\n",
            "without io.pyrobench.pprof-port: add `LABEL io.pyrobench.pprof-port=6060`",
        ),
        (
            "pull-bad-port",
            "LABEL io.pyrobench.mode=pull io.pyrobench.pprof-port=http\n",
            "io.pyrobench.pprof-port=\"http\" is not a TCP port",
        ),
        (
            "pull-bad-mode",
            "LABEL io.pyrobench.mode=scrape\n",
            "io.pyrobench.mode=\"scrape\" is neither push nor pull",
        ),
    ] {
        let bench = probe_benchmark_with(name, &["true"], labels);
        let (finished, _) = run_script(name, &bench, "build_image(BENCHMARKS[0]);\n", &[]);
        finished.assert_failure();
        assert!(
            finished.stderr.contains(says),
            "{name}: {}",
            finished.stderr
        );
        assert_nothing_left(&finished);
    }
}

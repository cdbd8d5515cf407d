//! The shipped script and benchmarks, end to end, with the real Python agent.

mod common;

use common::*;

#[test]
fn default_script_on_fibonacci_prints_the_table_and_writes_json() {
    ensure_base_images();
    let _alone = exclusive();
    let dir = scratch("default-fibonacci");
    let json_path = dir.join("out.json");
    let finished = Pyrobench::new()
        .args([
            "scripts/default.rhai",
            "benchmarks/fibonacci",
            "--runs",
            "2",
            "--warmup",
            "0",
        ])
        .arg("--json")
        .arg(&json_path)
        .run();
    finished.assert_success();
    for scenario_name in [
        "baseline",
        "ingester up",
        "ingester down",
        "wall overhead",
        "CPU overhead",
    ] {
        assert!(
            finished.stdout.contains(scenario_name),
            "table lacks {scenario_name}:\n{}",
            finished.stdout
        );
    }
    let json = read_json(&json_path);
    let benchmark = &json["benchmarks"][0];
    assert_eq!(benchmark["name"], "fibonacci");
    assert_eq!(benchmark["scenarios"].as_array().unwrap().len(), 3);
    for name in ["baseline", "ingester up", "ingester down"] {
        let scenario = scenario(&json, 0, name);
        let runs = scenario["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2, "{name}");
        for run in runs {
            for key in [
                "wall_s",
                "cpu_user_s",
                "cpu_system_s",
                "max_rss_bytes",
                "docker_wall_s",
            ] {
                assert!(
                    run[key].as_f64().is_some_and(|v| v > 0.0),
                    "{name}: {key} in {run}"
                );
            }
            assert_eq!(run["exit_code"], 0);
            assert_eq!(run["timed_out"], false);
        }
        assert_eq!(scenario["overhead"].is_null(), name == "baseline", "{name}");
        if name != "baseline" {
            assert!(scenario["overhead"]["wall_pct"].is_f64());
            assert!(scenario["overhead"]["cpu_pct"].is_f64());
        }
    }
    for run in scenario(&json, 0, "ingester up")["runs"]
        .as_array()
        .unwrap()
    {
        assert!(
            run["ingester"]["requests"].as_u64().unwrap() > 0,
            "no upload arrived: {run}"
        );
        assert!(run["ingester"]["bytes"].as_u64().unwrap() > 0, "{run}");
        assert!(
            run["ingester"]["profiles"].as_u64().unwrap() > 0,
            "no profile decoded: {run}"
        );
        assert!(
            run["ingester"]["samples"].as_u64().unwrap() > 0,
            "no sample decoded: {run}"
        );
        assert_eq!(run["ingester"]["bad"], 0, "{run}");
        assert_eq!(
            run["ingester"]["apps"]["pyrobench.fibonacci.python"], run["ingester"]["requests"],
            "{run}"
        );
    }
    for run in scenario(&json, 0, "baseline")["runs"].as_array().unwrap() {
        assert!(
            run.get("ingester").is_none(),
            "baseline has no ingester: {run}"
        );
    }
    assert_nothing_left(&finished);
}

#[test]
fn cpu_overhead_on_a_second_thread_shows_while_wall_time_does_not_move() {
    ensure_base_images();
    let _alone = exclusive();
    let (finished, json) = run_script(
        "second-thread",
        std::path::Path::new("benchmarks/calibration"),
        r#"
        let image = build_image(BENCHMARKS[0]);
        let env = #{ CALIBRATION_WORK: "400", CALIBRATION_OVERHEAD_PCT: "50", CALIBRATION_MODE: "thread" };
        let result = compare(image, [
            #{ name: "baseline", env: env },
            #{ name: "extra thread", profiling: true, env: env },
        ], #{ runs: 3, warmup: 1 });
        show(result);
        save(result);
        "#,
        &[],
    );
    finished.assert_success();
    let json = read_json(&json);
    let overhead = &scenario(&json, 0, "extra thread")["overhead"];
    let cpu = overhead["cpu_pct"].as_f64().unwrap();
    let wall = overhead["wall_pct"].as_f64().unwrap();
    assert!(
        (35.0..=65.0).contains(&cpu),
        "CPU overhead {cpu}% for +50% work"
    );
    assert!(
        wall.abs() < 15.0,
        "wall overhead {wall}% should stay near 0"
    );
}

#[test]
fn the_ingester_image_is_reused_while_the_binary_is_unchanged() {
    let dir = scratch("ingester-reuse");
    let script = script(
        &dir,
        "let net = network();\nlet ing = ingester(net);\nprint(ing.stats().requests);\n",
    );
    Pyrobench::new().arg(&script).run().assert_success();
    let first = docker_image_created_prefix("pyrobench-ingester:");
    Pyrobench::new().arg(&script).run().assert_success();
    let second = docker_image_created_prefix("pyrobench-ingester:");
    assert_eq!(first, second, "the second start rebuilt the ingester image");
}

fn docker_image_created_prefix(prefix: &str) -> Vec<String> {
    let output = std::process::Command::new("docker")
        .args([
            "image",
            "ls",
            "--no-trunc",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.ID}} {{.CreatedAt}}",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

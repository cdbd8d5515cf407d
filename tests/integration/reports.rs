//! Checks of each report format against the JSON of the same run.

use std::path::Path;

use serde_json::Value;

fn scenarios(json: &Value) -> Vec<&Value> {
    json["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["scenarios"].as_array().unwrap())
        .collect()
}

fn ok_runs(scenario: &Value) -> Vec<&Value> {
    scenario["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["exit_code"] == 0 && r["timed_out"] == false)
        .collect()
}

/// A p-value as the table prints it.
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

/// The benchstat-like table: a row per scenario, each delta a percentage with its p-value
/// or `~` with it.
pub fn check_table(stdout: &str, json: &Value) {
    for scenario in scenarios(json) {
        let name = scenario["name"].as_str().unwrap();
        let row = stdout
            .lines()
            .find(|line| line.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"));
        if scenario["overhead"].is_null() {
            assert!(row.contains("baseline"), "{row}");
            continue;
        }
        let p = scenario["overhead"]["wall_p"].as_f64().expect("wall_p");
        let shown = p_text(p);
        assert!(row.contains(&shown), "row lacks {shown}: {row}");
        let pct = scenario["overhead"]["wall_pct"].as_f64().unwrap();
        if p >= 0.05 {
            let estimate = format!("~ ({pct:+.1}%");
            assert!(
                row.contains(&estimate),
                "not significant, so {estimate}: {row}"
            );
        } else {
            assert!(row.contains(&format!("{pct:+.1}%")), "{row}");
        }
        // The comparison paired by round, under the table: each run against its round's
        // baseline run.
        let rounds = scenario["overhead"]["paired_rounds"]
            .as_u64()
            .expect("paired_rounds");
        let successes = ok_runs(scenario).len() as u64;
        assert!(rounds <= successes, "{rounds} pairs from {successes} runs");
        if rounds >= 2 {
            let line = stdout
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("{name}: wall ")))
                .unwrap_or_else(|| panic!("no paired line for {name}:\n{stdout}"));
            let p = scenario["overhead"]["cpu_paired_p"]
                .as_f64()
                .expect("cpu_paired_p");
            assert!(line.contains(&p_text(p)), "{line}");
            assert!(line.ends_with(&format!("({rounds} rounds)")), "{line}");
        }
    }
}

pub fn check_markdown(path: &Path, json: &Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = json["benchmarks"][0]["name"].as_str().unwrap();
    assert!(text.contains(&format!("## {name} [")), "{text}");
    assert!(text.contains("| scenario | runs ok |"), "{text}");
    for scenario in scenarios(json) {
        let name = scenario["name"].as_str().unwrap();
        let runs = scenario["runs"].as_array().unwrap().len();
        let ok = ok_runs(scenario).len();
        assert!(
            text.contains(&format!("| {name} | {ok}/{runs} |")),
            "no summary row for {name}:\n{text}"
        );
        for figure in ["wall", "CPU", "peak RSS"] {
            assert!(
                text.contains(&format!("| {name} | {figure} |")),
                "no spread row for {name} {figure}:\n{text}"
            );
        }
    }
}

pub fn check_csv(path: &Path, json: &Value) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected = scenarios(json);
    assert_eq!(rows.len(), expected.len());
    for (row, scenario) in rows.iter().zip(expected) {
        assert_eq!(&row[column("scenario")], scenario["name"].as_str().unwrap());
        let median: f64 = row[column("wall_s_median")].parse().unwrap();
        let from_json = scenario["summary"]["wall"]["median"].as_f64().unwrap();
        assert!((median - from_json).abs() < 1e-9, "{median} vs {from_json}");
        // Every spread statistic equals the JSON's (to the last bit serde_json's default
        // float parser keeps: it may be one unit in the last place off).
        let same = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        for (figure, json_figure) in [("wall_s", "wall"), ("cpu_s", "cpu"), ("rss_bytes", "rss")] {
            for stat in ["median", "mean", "stddev", "min", "max"] {
                let name = format!("{figure}_{stat}");
                let value: f64 = row[column(&name)].parse().unwrap();
                let from_json = scenario["summary"][json_figure][stat].as_f64().unwrap();
                assert!(same(value, from_json), "{name}: {value} vs {from_json}");
            }
        }
        for (csv_name, json_name) in [
            ("cpu_overhead_pct", "cpu_pct"),
            ("wall_overhead_pct", "wall_pct"),
        ] {
            match scenario["overhead"][json_name].as_f64() {
                Some(pct) => {
                    let value: f64 = row[column(csv_name)].parse().unwrap();
                    assert!(same(value, pct), "{csv_name}: {value} vs {pct}");
                }
                None => assert_eq!(&row[column(csv_name)], ""),
            }
        }
        for (csv_name, json_name) in [("cpu_p", "cpu_p"), ("cpu_paired_p", "cpu_paired_p")] {
            match scenario["overhead"][json_name].as_f64() {
                Some(p) => assert_eq!(row[column(csv_name)].parse::<f64>().unwrap(), p),
                None => assert_eq!(&row[column(csv_name)], ""),
            }
        }
        if let Some(rounds) = scenario["overhead"]["paired_rounds"].as_u64() {
            assert_eq!(row[column("paired_rounds")], rounds.to_string());
        }
    }
}

/// Lines as Go's testing package writes them: `BenchmarkName/key=value 1 <value unit>...`.
pub fn check_gobench(path: &Path, json: &Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Benchmark"))
        .collect();
    for line in text.lines().filter(|l| !l.starts_with("Benchmark")) {
        let (key, _) = line.split_once(": ").unwrap_or_else(|| panic!("{line}"));
        assert!(
            !key.contains(' ') && key.chars().next().unwrap().is_lowercase(),
            "{line}"
        );
    }
    let mut expected = Vec::new();
    for scenario in scenarios(json) {
        for run in ok_runs(scenario) {
            expected.push((
                scenario["name"].as_str().unwrap().replace(' ', "_"),
                run["wall_s"].as_f64().unwrap(),
            ));
        }
    }
    assert_eq!(lines.len(), expected.len(), "{text}");
    for (line, (scenario, wall)) in lines.iter().zip(expected) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(
            fields[0].starts_with("BenchmarkFibonacci/scenario=")
                && fields[0].ends_with(&format!("={scenario}")),
            "{line}"
        );
        assert_eq!(fields[1], "1", "{line}");
        assert!(fields.len().is_multiple_of(2), "value/unit pairs: {line}");
        let units: Vec<&str> = fields[2..].iter().skip(1).step_by(2).copied().collect();
        assert_eq!(
            &units[..3],
            ["sec/op", "cpu-sec/op", "peak-rss-B"],
            "{line}"
        );
        let value: f64 = fields[2].parse().unwrap();
        assert!((value - wall).abs() < 1e-6, "{line} vs {wall}");
    }
}

/// One point per successful run in each of the four panels (wall, CPU, peak RSS, container
/// memory), and the scenario names.
pub fn check_svg(path: &Path, json: &Value) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.trim_start().starts_with("<svg"), "not SVG");
    assert!(text.trim_end().ends_with("</svg>"), "SVG cut short");
    let points: usize = scenarios(json).iter().map(|s| ok_runs(s).len()).sum();
    assert_eq!(text.matches("<circle").count(), points * 4);
    for scenario in scenarios(json) {
        assert!(text.contains(scenario["name"].as_str().unwrap()));
    }
    assert!(text.contains("baseline 95% CI"), "the band is labelled");
    assert!(
        text.contains("opacity=\"0.15\""),
        "the baseline band is drawn"
    );
}

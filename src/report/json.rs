//! The JSON document: every saved result, what a failed experiment measured, and the
//! thresholds checked.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use super::Provenance;
use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::Check;

#[derive(Serialize)]
struct Meta<'a> {
    version: &'static str,
    script: &'a str,
    params: &'a BTreeMap<String, String>,
    runs: Option<usize>,
    warmup: Option<usize>,
    timeout_s: f64,
}

#[derive(Serialize)]
struct Document<'a> {
    pyrobench: Meta<'a>,
    benchmarks: &'a [BenchmarkResult],
    thresholds: &'a [Check],
}

pub fn render(
    provenance: &Provenance,
    results: &[BenchmarkResult],
    checks: &[Check],
) -> Result<String> {
    let document = Document {
        pyrobench: Meta {
            version: env!("CARGO_PKG_VERSION"),
            script: &provenance.script,
            params: &provenance.params,
            runs: provenance.runs,
            warmup: provenance.warmup,
            timeout_s: provenance.timeout_s,
        },
        benchmarks: results,
        thresholds: checks,
    };
    Ok(serde_json::to_string_pretty(&document)? + "\n")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::fixtures::{FAILURE, checks, close, complete, provenance, stopped};

    fn document() -> Value {
        let results = [complete(), stopped()];
        let text = render(&provenance(), &results, &checks(&results[0])).unwrap();
        assert!(text.ends_with("}\n"));
        serde_json::from_str(&text).expect("the document is JSON")
    }

    fn number(value: &Value) -> f64 {
        value
            .as_f64()
            .unwrap_or_else(|| panic!("not a number: {value}"))
    }

    #[test]
    fn the_provenance_heads_the_document() {
        let doc = document();
        let meta = &doc["pyrobench"];
        let provenance = provenance();
        assert_eq!(meta["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(meta["script"], provenance.script.as_str());
        assert_eq!(meta["params"]["rate"], "100");
        assert_eq!(meta["params"]["agent"], "pyroscope");
        assert_eq!(meta["params"].as_object().unwrap().len(), 2);
        assert_eq!(meta["runs"], 8);
        assert_eq!(meta["warmup"], 1);
        assert_eq!(number(&meta["timeout_s"]), 120.0);
    }

    #[test]
    fn summaries_are_the_medians_of_the_successful_runs() {
        let doc = document();
        let rust = &doc["benchmarks"][0];
        assert_eq!(rust["name"], "fibonacci-rust");
        assert_eq!(rust["complete"], true);
        assert_eq!(doc["benchmarks"][1]["complete"], false);
        let scenarios = rust["scenarios"].as_array().unwrap();
        let names: Vec<&str> = scenarios
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["baseline", "pyroscope agent", "pyroscope idle"]);
        // Sorted, the baseline's runs are 2.00 2.01 2.02 2.04 | 2.06 2.07 2.08 2.09 s.
        let cpu_medians: Vec<f64> = scenarios
            .iter()
            .map(|s| number(&s["summary"]["cpu"]["median"]))
            .collect();
        assert!(close(cpu_medians[0], 2.05), "{cpu_medians:?}");
        assert!(close(cpu_medians[1], 2.05 * 1.2), "{cpu_medians:?}");
        assert!(close(cpu_medians[2], 2.05), "{cpu_medians:?}");
        let agent = &scenarios[1];
        assert!(close(
            number(&agent["summary"]["wall"]["median"]),
            2.05 * 1.04
        ));
        assert!(close(number(&agent["summary"]["wall_s"]), 2.05 * 1.04));
        assert!(close(number(&agent["summary"]["wall"]["min"]), 2.00 * 1.04));
        assert_eq!(agent["summary"]["ok_runs"], 8);
        assert_eq!(agent["summary"]["failed_runs"], 1);
        assert_eq!(number(&agent["summary"]["ingester_profiles"]), 3.0);
        assert!(scenarios[0]["overhead"].is_null());
        assert_eq!(agent["overhead"]["baseline"], "baseline");
        assert!(close(number(&agent["overhead"]["cpu_pct"]), 20.0));
        assert!(close(number(&agent["overhead"]["wall_pct"]), 4.0));
        assert_eq!(agent["overhead"]["paired_rounds"], 8);
    }

    #[test]
    fn warnings_are_plain_text_and_thresholds_are_listed() {
        let doc = document();
        for (index, result) in [complete(), stopped()].iter().enumerate() {
            let expected: Vec<Value> = result
                .warnings
                .iter()
                .map(|w| Value::String(w.to_string()))
                .collect();
            assert!(!expected.is_empty());
            assert_eq!(doc["benchmarks"][index]["warnings"], Value::Array(expected));
        }
        let thresholds = doc["thresholds"].as_array().unwrap();
        assert_eq!(thresholds.len(), 2);
        let cpu = &thresholds[0];
        assert_eq!(cpu["benchmark"], "fibonacci-rust");
        assert_eq!(cpu["scenario"], "pyroscope agent");
        assert_eq!(cpu["metric"], "max_cpu_pct");
        assert_eq!(number(&cpu["limit"]), 10.0);
        assert!(close(number(&cpu["value"]), 20.0));
        assert_eq!(cpu["passed"], false);
        assert_eq!(thresholds[1]["metric"], "min_profiles");
        assert_eq!(thresholds[1]["passed"], true);
    }

    #[test]
    fn failed_runs_are_kept_with_their_failure() {
        let doc = document();
        let runs = doc["benchmarks"][0]["scenarios"][1]["runs"]
            .as_array()
            .unwrap();
        assert_eq!(runs.len(), 9);
        let failed: Vec<&Value> = runs.iter().filter(|run| run["exit_code"] != 0).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["exit_code"], 1);
        assert_eq!(failed[0]["failure"], FAILURE);
        assert!(runs[0].get("failure").is_none(), "left out when absent");
        assert_eq!(runs[0]["round"], 1);
        assert_eq!(runs[0]["ingester"]["profiles"], 3);
        let python = &doc["benchmarks"][1]["scenarios"][1];
        assert_eq!(python["runs"][0]["failure"], FAILURE);
        assert!(python["summary"]["cpu"].is_null());
    }
}

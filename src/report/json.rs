//! The JSON document: every saved result, what a failed experiment measured, and the
//! thresholds checked.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::Check;
use crate::session::Settings;

#[derive(Serialize)]
struct Meta<'a> {
    version: &'static str,
    script: String,
    params: &'a BTreeMap<String, String>,
    runs: usize,
    warmup: usize,
    timeout_s: f64,
}

#[derive(Serialize)]
struct Document<'a> {
    pyrobench: Meta<'a>,
    benchmarks: &'a [BenchmarkResult],
    thresholds: &'a [Check],
}

pub fn render(
    settings: &Settings,
    results: &[BenchmarkResult],
    checks: &[Check],
) -> Result<String> {
    let document = Document {
        pyrobench: Meta {
            version: env!("CARGO_PKG_VERSION"),
            script: settings.script.display().to_string(),
            params: &settings.params,
            runs: settings.defaults.runs,
            warmup: settings.defaults.warmup,
            timeout_s: settings.defaults.timeout.as_secs_f64(),
        },
        benchmarks: results,
        thresholds: checks,
    };
    Ok(serde_json::to_string_pretty(&document)? + "\n")
}

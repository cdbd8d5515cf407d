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

//! The JSON file: every saved result, plus what a failed experiment measured.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::bench::result::BenchmarkResult;
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
}

/// Writes the whole document to a temporary file, then renames it, so that a reader
/// never sees half a file.
pub fn write(path: &Path, settings: &Settings, results: &[BenchmarkResult]) -> Result<()> {
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
    };
    let text = serde_json::to_string_pretty(&document)?;
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text + "\n")
        .with_context(|| format!("cannot write the JSON results to {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot write the JSON results to {}", path.display()))
}

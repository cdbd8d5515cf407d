//! The ledger of a session: results saved and results cut short, thresholds checked,
//! parameters read; and the report files written from them.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use anyhow::Result;

use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::{Check, Limit, evaluate};
use crate::report::Provenance;
use crate::report::outputs::{Outputs, write_all};
use crate::settings::Settings;

/// `--set` keys every script reads implicitly, through the run defaults.
const IMPLICIT_PARAMS: [&str; 2] = ["runs", "warmup"];

pub struct Ledger {
    outputs: Outputs,
    provenance: Provenance,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    saved: Vec<BenchmarkResult>,
    /// Experiments that stopped part-way; written out so that nothing measured is lost.
    partial: Vec<BenchmarkResult>,
    /// The experiment in progress, as far as it has got.
    current: Option<BenchmarkResult>,
    /// Every threshold checked so far, passed or breached.
    checks: Vec<Check>,
    /// Every parameter the script read, with the value it got (defaults included).
    params_read: BTreeMap<String, String>,
}

impl Ledger {
    pub fn new(settings: &Settings) -> Self {
        Self {
            outputs: settings.outputs.clone(),
            provenance: settings.provenance(),
            entries: Mutex::default(),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().expect("ledger lock")
    }

    pub fn record_param(&self, key: &str, value: &str) {
        self.entries()
            .params_read
            .insert(key.to_string(), value.to_string());
    }

    /// The parameters the script read so far, with their values.
    pub fn params_read(&self) -> BTreeMap<String, String> {
        self.entries().params_read.clone()
    }

    /// `--set` keys the script never read: misspelled, most likely.
    pub fn unread_params(&self) -> Vec<String> {
        let entries = self.entries();
        self.provenance
            .params
            .keys()
            .filter(|key| {
                !entries.params_read.contains_key(*key) && !IMPLICIT_PARAMS.contains(&key.as_str())
            })
            .cloned()
            .collect()
    }

    /// Adds a result to the report files, and rewrites them at once.
    pub fn save(&self, result: BenchmarkResult) -> Result<()> {
        self.entries().saved.push(result);
        self.write_outputs()
    }

    /// Keeps what an experiment measured before it stopped, and rewrites the report
    /// files with it; a failure to write is a warning, since an error is already on its way.
    pub fn add_partial(&self, result: BenchmarkResult) {
        self.entries().partial.push(result);
        self.write_quietly();
    }

    /// Keeps the experiment in progress as far as it has got, and rewrites the report files
    /// with it, so that a SIGKILL loses at most the run in progress.
    pub fn set_current(&self, so_far: BenchmarkResult) {
        self.entries().current = Some(so_far);
        self.write_quietly();
    }

    /// The experiment in progress ended: it is saved, or kept as partial, or dropped.
    pub fn clear_current(&self) {
        self.entries().current = None;
    }

    fn write_quietly(&self) {
        if let Err(error) = self.write_outputs() {
            eprintln!("warning: {error:#}");
        }
    }

    /// Checks limits against a result; breaches make the run exit with `EXIT_THRESHOLD`.
    pub fn check_thresholds(
        &self,
        result: &BenchmarkResult,
        limits: &[Limit],
    ) -> Result<Vec<Check>> {
        let checks = evaluate(result, limits)?;
        self.entries().checks.extend(checks.iter().cloned());
        Ok(checks)
    }

    pub fn breaches(&self) -> Vec<Check> {
        self.entries()
            .checks
            .iter()
            .filter(|check| !check.passed)
            .cloned()
            .collect()
    }

    /// Saved results, then those of experiments that stopped part-way, then the one in
    /// progress.
    pub fn results(&self) -> Vec<BenchmarkResult> {
        let entries = self.entries();
        entries
            .saved
            .iter()
            .chain(&entries.partial)
            .chain(&entries.current)
            .cloned()
            .collect()
    }

    /// Writes every report file the command line asked for.
    pub fn write_outputs(&self) -> Result<()> {
        if self.outputs.paths().is_empty() {
            return Ok(());
        }
        let checks = self.entries().checks.clone();
        write_all(&self.outputs, &self.provenance, &self.results(), &checks)
    }
}

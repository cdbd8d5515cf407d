//! Output: the terminal table, progress, and the report files.

pub mod cells;
pub mod csv;
#[cfg(test)]
mod fixtures;
pub mod format;
pub mod gobench;
pub mod json;
pub mod markdown;
pub mod outputs;
pub mod plot;
pub mod progress;
pub mod table;

use std::collections::BTreeMap;

/// How a set of results was made, as the report files state it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub script: String,
    pub params: BTreeMap<String, String>,
    /// `--runs` and `--warmup` when given; what each experiment ran is in its scenarios.
    pub runs: Option<usize>,
    pub warmup: Option<usize>,
    pub timeout_s: f64,
}

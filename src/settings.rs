//! What the command line gave the script: the script, the folders, the parameters, the
//! run defaults and the report files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::bench::spec::RunOptions;
use crate::report::Provenance;
use crate::report::outputs::Outputs;

#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub script: PathBuf,
    pub benchmarks: Vec<PathBuf>,
    pub params: BTreeMap<String, String>,
    pub defaults: RunOptions,
    pub outputs: Outputs,
}

impl Settings {
    /// A count the command line gave (`--runs` or `--set runs=`), if it gave one.
    fn flag(&self, key: &str) -> Option<usize> {
        self.params.get(key)?.trim().parse().ok()
    }

    /// How the results were made, as the report files state it.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            script: self.script.display().to_string(),
            params: self.params.clone(),
            runs: self.flag("runs"),
            warmup: self.flag("warmup"),
            timeout_s: self.defaults.timeout.as_secs_f64(),
        }
    }
}

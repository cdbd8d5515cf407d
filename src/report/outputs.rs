//! The report files a run asks for, written together: after every saved result, after
//! an error, and at the end.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{Provenance, csv, gobench, json, markdown, plot};
use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::Check;

#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub csv: Option<PathBuf>,
    pub gobench: Option<PathBuf>,
    pub plot: Option<PathBuf>,
}

impl Outputs {
    fn named(&self) -> [(&'static str, Option<&PathBuf>); 5] {
        [
            ("--json", self.json.as_ref()),
            ("--markdown", self.markdown.as_ref()),
            ("--csv", self.csv.as_ref()),
            ("--gobench", self.gobench.as_ref()),
            ("--plot", self.plot.as_ref()),
        ]
    }

    pub fn paths(&self) -> Vec<&Path> {
        self.named()
            .into_iter()
            .filter_map(|(_, path)| path.map(PathBuf::as_path))
            .collect()
    }

    /// Refuses, before anything runs, files that could not be written at the end.
    pub fn validate(&self) -> Result<()> {
        for (flag, path) in self.named() {
            let Some(path) = path else { continue };
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !parent.is_dir() {
                bail!(
                    "{flag} {}: the folder {} does not exist; create it or pick another path",
                    path.display(),
                    parent.display()
                );
            }
            if path.is_dir() {
                bail!("{flag} {}: is a folder; give a file name", path.display());
            }
        }
        if let Some(path) = &self.plot
            && path.extension().and_then(|e| e.to_str()) != Some("svg")
        {
            bail!(
                "--plot {}: the plot is SVG; give a file name ending in .svg",
                path.display()
            );
        }
        Ok(())
    }
}

/// Writes to a temporary file, then renames it, so that a reader never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
}

pub fn write_all(
    outputs: &Outputs,
    provenance: &Provenance,
    results: &[BenchmarkResult],
    checks: &[Check],
) -> Result<()> {
    if let Some(path) = &outputs.json {
        write_atomically(path, &json::render(provenance, results, checks)?)?;
    }
    if let Some(path) = &outputs.markdown {
        let breaches: Vec<Check> = checks.iter().filter(|c| !c.passed).cloned().collect();
        write_atomically(path, &markdown::render(provenance, results, &breaches))?;
    }
    if let Some(path) = &outputs.csv {
        write_atomically(path, &csv::render(results)?)?;
    }
    if let Some(path) = &outputs.gobench {
        write_atomically(path, &gobench::render(provenance, results))?;
    }
    if let Some(path) = &outputs.plot {
        write_atomically(path, &plot::render(results)?)?;
    }
    Ok(())
}

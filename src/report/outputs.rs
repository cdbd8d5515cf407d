//! The report files a run asks for, written together: after every saved result, after
//! an error, and at the end.

use std::io::Write;
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
            let parent = folder_of(path);
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
            // Really try: a folder can look fine and refuse files (/proc, read-only mounts).
            temp_file_beside(path).map_err(|error| {
                anyhow::anyhow!(
                    "{flag} {}: cannot write in {}: {error}; pick another path",
                    path.display(),
                    parent.display()
                )
            })?;
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

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A new file of our own next to `path` (created exclusively, so never through a link
/// someone placed there), removed unless persisted.
fn temp_file_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(folder_of(path))
}

/// Writes to a temporary file, then renames it, so that a reader never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    let mut file = temp_file_beside(path).with_context(cannot)?;
    file.write_all(text.as_bytes()).with_context(cannot)?;
    file.persist(path).with_context(cannot)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pyrobench-outputs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_write_replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = scratch("replace");
        let path = dir.join("out.json");
        write_atomically(&path, "first").unwrap();
        write_atomically(&path, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(files_in(&dir), ["out.json"]);
    }

    #[test]
    fn a_link_planted_at_the_old_temporary_name_is_not_followed() {
        let dir = scratch("link");
        let victim = dir.join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let path = dir.join("out.json");
        std::os::unix::fs::symlink(&victim, dir.join("out.json.partial")).unwrap();
        write_atomically(&path, "results").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "results");
    }

    #[test]
    fn a_folder_that_refuses_files_is_refused_up_front() {
        let outputs = Outputs {
            json: Some(PathBuf::from("/proc/x.json")),
            ..Default::default()
        };
        let error = outputs.validate().unwrap_err().to_string();
        assert!(
            error.starts_with("--json /proc/x.json: cannot write in /proc:"),
            "{error}"
        );
        let dir = scratch("validate");
        let fine = Outputs {
            csv: Some(dir.join("out.csv")),
            ..Default::default()
        };
        fine.validate().unwrap();
        assert!(files_in(&dir).is_empty(), "the trial file was left behind");
    }
}

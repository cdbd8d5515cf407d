//! The container's own cgroup, read from inside: CPU time and memory of everything in it.
//!
//! Docker mounts the container's cgroup at /sys/fs/cgroup in every image, FROM scratch
//! included. Under cgroup v1 each controller has its folder (`cpuacct/`, `memory/`); under v2
//! there is one folder. The kernel keeps these counters for every process of the container,
//! live or gone, which is what the phases and the timeline need at any instant.

use std::path::{Path, PathBuf};

/// Where the counters are, found once.
#[derive(Debug, Clone, Default)]
pub struct Cgroup {
    cpu: Option<CpuCounter>,
    memory_current: Option<PathBuf>,
    memory_peak: Option<PathBuf>,
}

#[derive(Debug, Clone)]
enum CpuCounter {
    /// v1 `cpuacct.usage`: nanoseconds.
    Nanoseconds(PathBuf),
    /// v2 `cpu.stat`: a `usage_usec` line.
    StatMicroseconds(PathBuf),
}

fn existing(path: PathBuf) -> Option<PathBuf> {
    path.is_file().then_some(path)
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

impl Cgroup {
    /// Finds the counters under `root` (/sys/fs/cgroup in a container).
    pub fn discover(root: &Path) -> Self {
        let v2 = root.join("cgroup.controllers").is_file();
        if v2 {
            return Self {
                cpu: existing(root.join("cpu.stat")).map(CpuCounter::StatMicroseconds),
                memory_current: existing(root.join("memory.current")),
                memory_peak: existing(root.join("memory.peak")),
            };
        }
        let cpu = ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"]
            .iter()
            .find_map(|dir| existing(root.join(dir).join("cpuacct.usage")))
            .map(CpuCounter::Nanoseconds);
        Self {
            cpu,
            memory_current: existing(root.join("memory/memory.usage_in_bytes")),
            memory_peak: existing(root.join("memory/memory.max_usage_in_bytes")),
        }
    }

    /// CPU seconds used by every process of the container so far.
    pub fn cpu_s(&self) -> Option<f64> {
        match self.cpu.as_ref()? {
            CpuCounter::Nanoseconds(path) => Some(read_u64(path)? as f64 / 1e9),
            CpuCounter::StatMicroseconds(path) => {
                let stat = std::fs::read_to_string(path).ok()?;
                let usec = stat
                    .lines()
                    .find_map(|line| line.strip_prefix("usage_usec "))?
                    .trim()
                    .parse::<u64>()
                    .ok()?;
                Some(usec as f64 / 1e6)
            }
        }
    }

    /// Memory charged to the container now (anonymous memory, page cache, kernel memory).
    pub fn memory_bytes(&self) -> Option<u64> {
        read_u64(self.memory_current.as_ref()?)
    }

    /// The kernel's own peak of that, where it keeps one (v1 always, v2 from Linux 5.19).
    pub fn peak_bytes(&self) -> Option<u64> {
        read_u64(self.memory_peak.as_ref()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn v1_reads_each_controller_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "cpuacct/cpuacct.usage", "1500000000\n");
        write(root, "memory/memory.usage_in_bytes", "4096\n");
        write(root, "memory/memory.max_usage_in_bytes", "8192\n");
        let cgroup = Cgroup::discover(root);
        assert_eq!(cgroup.cpu_s(), Some(1.5));
        assert_eq!(cgroup.memory_bytes(), Some(4096));
        assert_eq!(cgroup.peak_bytes(), Some(8192));
    }

    #[test]
    fn v2_reads_one_folder_and_may_lack_a_peak() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "cgroup.controllers", "cpu memory\n");
        write(
            root,
            "cpu.stat",
            "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
        );
        write(root, "memory.current", "12288\n");
        let cgroup = Cgroup::discover(root);
        assert_eq!(cgroup.cpu_s(), Some(2.5));
        assert_eq!(cgroup.memory_bytes(), Some(12288));
        assert_eq!(cgroup.peak_bytes(), None);
    }

    #[test]
    fn nothing_mounted_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cgroup = Cgroup::discover(dir.path());
        assert_eq!(cgroup.cpu_s(), None);
        assert_eq!(cgroup.memory_bytes(), None);
    }
}

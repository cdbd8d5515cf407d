//! Who stamped a resource, and whether that process still lives.
//!
//! A host name and a PID collide: a pyrobench in another PID namespace (inside a container)
//! has the same host name and a PID that means another process here, or none. So an owner is
//! also named by the kernel's boot ID, its PID namespace and its start time in clock ticks
//! since boot; together they cannot name two processes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const HOST: &str = "io.pyrobench.host";
pub const PID: &str = "io.pyrobench.pid";
pub const BOOT: &str = "io.pyrobench.boot";
pub const PID_NAMESPACE: &str = "io.pyrobench.pidns";
pub const STARTED: &str = "io.pyrobench.started";

/// The identity of one process, as stamped on the resources it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub host: String,
    pub pid: u32,
    pub boot: String,
    pub pid_namespace: String,
    pub started: u64,
}

/// What `/proc` says; a folder of its own in tests.
#[derive(Debug, Clone)]
pub struct Proc {
    root: PathBuf,
}

impl Default for Proc {
    fn default() -> Self {
        Self::at("/proc")
    }
}

impl Proc {
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn read(&self, path: impl AsRef<Path>) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }

    pub fn hostname(&self) -> String {
        self.read("sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_else(|| "unknown".to_string())
    }

    fn boot_id(&self) -> String {
        self.read("sys/kernel/random/boot_id")
            .map(|id| id.trim().to_string())
            .unwrap_or_default()
    }

    fn pid_namespace(&self, process: &str) -> Option<String> {
        let link = std::fs::read_link(self.root.join(process).join("ns/pid")).ok()?;
        Some(link.to_string_lossy().into_owned())
    }

    /// Field 22 of `stat`: start time in clock ticks since boot. The name in field 2 may
    /// hold spaces and parentheses, so fields are counted after its closing one.
    fn start_time(&self, process: &str) -> Option<u64> {
        let stat = self.read(format!("{process}/stat"))?;
        let (_, after_name) = stat.rsplit_once(')')?;
        after_name.split_whitespace().nth(19)?.parse().ok()
    }

    /// The PID a process has in its own (innermost) namespace: the last of `NSpid`.
    fn innermost_pid(&self, process: &str) -> Option<u32> {
        let status = self.read(format!("{process}/status"))?;
        let line = status.lines().find(|line| line.starts_with("NSpid:"))?;
        line.split_whitespace().last()?.parse().ok()
    }

    /// True in the initial PID namespace, where every process of every namespace is
    /// visible: there, PID 2 is the kernel's thread creator.
    fn sees_every_namespace(&self) -> bool {
        self.read("2/status")
            .is_some_and(|status| status.lines().next() == Some("Name:\tkthreadd"))
    }

    fn processes(&self) -> impl Iterator<Item = String> {
        std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
    }

    /// This very process.
    pub fn this_process(&self) -> Owner {
        Owner {
            host: self.hostname(),
            pid: std::process::id(),
            boot: self.boot_id(),
            pid_namespace: self.pid_namespace("self").unwrap_or_default(),
            started: self.start_time("self").unwrap_or_default(),
        }
    }

    /// Whether the owner is certainly gone. When this host cannot tell (another host, or a
    /// PID namespace it cannot see into), the owner is taken to be alive: sweeping a live
    /// run is the worse mistake, and `clean --all` removes the rest.
    pub fn is_dead(&self, owner: &Owner) -> bool {
        if owner.host != self.hostname() {
            return false;
        }
        if owner.boot != self.boot_id() {
            // Same host, another boot: every process of that boot has ended.
            return true;
        }
        let here = self.pid_namespace("self").unwrap_or_default();
        if owner.pid_namespace == here {
            return self.start_time(&owner.pid.to_string()) != Some(owner.started);
        }
        let mut namespace_seen = false;
        for process in self.processes() {
            if self.pid_namespace(&process).as_deref() != Some(&owner.pid_namespace) {
                continue;
            }
            namespace_seen = true;
            if self.innermost_pid(&process) == Some(owner.pid)
                && self.start_time(&process) == Some(owner.started)
            {
                return false;
            }
        }
        // A namespace with no process left has ended, but only where all are visible.
        namespace_seen || self.sees_every_namespace()
    }
}

impl Owner {
    pub fn labels(&self) -> [(&'static str, String); 5] {
        [
            (HOST, self.host.clone()),
            (PID, self.pid.to_string()),
            (BOOT, self.boot.clone()),
            (PID_NAMESPACE, self.pid_namespace.clone()),
            (STARTED, self.started.to_string()),
        ]
    }

    /// Reads the owner back from labels; `None` when they are missing or malformed.
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Self> {
        Some(Self {
            host: labels.get(HOST)?.clone(),
            pid: labels.get(PID)?.parse().ok()?,
            boot: labels.get(BOOT)?.clone(),
            pid_namespace: labels.get(PID_NAMESPACE)?.clone(),
            started: labels.get(STARTED)?.parse().ok()?,
        })
    }
}

/// Whether the process that stamped these labels is gone. Labels of a pyrobench from
/// before the boot and start-time labels are judged by host name and PID, as it was then.
pub fn owner_is_dead(labels: &HashMap<String, String>) -> bool {
    let proc = Proc::default();
    if let Some(owner) = Owner::from_labels(labels) {
        return proc.is_dead(&owner);
    }
    if labels.get(HOST).map(String::as_str) != Some(proc.hostname().as_str()) {
        return false;
    }
    match labels.get(PID).and_then(|pid| pid.parse::<u32>().ok()) {
        Some(pid) => !Path::new(&format!("/proc/{pid}")).exists(),
        None => true,
    }
}

#[cfg(test)]
mod tests;

//! Labels on everything pyrobench creates, so that it can always be found and swept.

use std::collections::HashMap;

pub const MANAGED: &str = "io.pyrobench.managed";
pub const SESSION: &str = "io.pyrobench.session";
pub const PID: &str = "io.pyrobench.pid";
pub const HOST: &str = "io.pyrobench.host";
pub const ROLE: &str = "io.pyrobench.role";
/// Marks cached artefacts (images, the init volume) that outlive a session on purpose.
pub const CACHE: &str = "io.pyrobench.cache";

/// Identity of one pyrobench process, stamped on its containers and networks.
#[derive(Debug, Clone)]
pub struct SessionLabels {
    pub session: String,
    pub pid: u32,
    pub host: String,
}

impl SessionLabels {
    pub fn for_this_process() -> Self {
        let pid = std::process::id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Self {
            session: format!("{:x}{:x}", pid, nanos & 0xffff_ffff),
            pid,
            host: hostname(),
        }
    }

    /// Labels for a resource with the given role (benchmark, ingester, network, ...).
    pub fn with_role(&self, role: &str) -> HashMap<String, String> {
        HashMap::from([
            (MANAGED.to_string(), "true".to_string()),
            (SESSION.to_string(), self.session.clone()),
            (PID.to_string(), self.pid.to_string()),
            (HOST.to_string(), self.host.clone()),
            (ROLE.to_string(), role.to_string()),
        ])
    }

    /// Short prefix for resource names, unique per process.
    pub fn name_prefix(&self) -> String {
        format!("pyrobench-{}", self.session)
    }
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Whether the process that stamped these labels is gone, judged from this host.
/// Resources of another host are never judged dead: we cannot see its processes.
pub fn owner_is_dead(labels: &HashMap<String, String>) -> bool {
    if labels.get(HOST).map(String::as_str) != Some(hostname().as_str()) {
        return false;
    }
    match labels.get(PID).and_then(|pid| pid.parse::<u32>().ok()) {
        Some(pid) => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_carries_the_managed_label_and_session() {
        let labels = SessionLabels::for_this_process();
        let map = labels.with_role("benchmark");
        assert_eq!(map[MANAGED], "true");
        assert_eq!(map[SESSION], labels.session);
        assert_eq!(map[ROLE], "benchmark");
    }

    #[test]
    fn this_process_is_alive_and_a_missing_pid_is_dead() {
        let labels = SessionLabels::for_this_process().with_role("x");
        assert!(!owner_is_dead(&labels));
        let mut orphan = labels.clone();
        orphan.insert(PID.to_string(), "999999999".to_string());
        assert!(owner_is_dead(&orphan));
        let mut elsewhere = orphan;
        elsewhere.insert(HOST.to_string(), "another-host".to_string());
        assert!(!owner_is_dead(&elsewhere));
    }
}

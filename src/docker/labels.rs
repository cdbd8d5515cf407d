//! Labels on everything pyrobench creates, so that it can always be found and swept.

use std::collections::HashMap;

pub const MANAGED: &str = "io.pyrobench.managed";
pub const SESSION: &str = "io.pyrobench.session";
pub const ROLE: &str = "io.pyrobench.role";
/// Marks cached artefacts (images, the init volume) that outlive a session on purpose.
pub const CACHE: &str = "io.pyrobench.cache";
/// On a session's lease: the hash of the binary whose cached artefacts it uses.
pub const BINARY: &str = "io.pyrobench.binary";

pub use super::owner::owner_is_dead;
use super::owner::{Owner, Proc};

/// Identity of one pyrobench process, stamped on its containers and networks.
#[derive(Debug, Clone)]
pub struct SessionLabels {
    pub session: String,
    pub owner: Owner,
}

impl SessionLabels {
    pub fn for_this_process() -> Self {
        let owner = Proc::default().this_process();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Self {
            session: format!("{:x}{:x}", owner.pid, nanos & 0xffff_ffff),
            owner,
        }
    }

    /// Labels for a resource with the given role (benchmark, ingester, network, ...).
    pub fn with_role(&self, role: &str) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (MANAGED.to_string(), "true".to_string()),
            (SESSION.to_string(), self.session.clone()),
            (ROLE.to_string(), role.to_string()),
        ]);
        for (key, value) in self.owner.labels() {
            labels.insert(key.to_string(), value);
        }
        labels
    }

    /// Short prefix for resource names, unique per process.
    pub fn name_prefix(&self) -> String {
        format!("pyrobench-{}", self.session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_carries_the_managed_label_session_and_owner() {
        let labels = SessionLabels::for_this_process();
        let map = labels.with_role("benchmark");
        assert_eq!(map[MANAGED], "true");
        assert_eq!(map[SESSION], labels.session);
        assert_eq!(map[ROLE], "benchmark");
        assert_eq!(Owner::from_labels(&map), Some(labels.owner));
        assert!(!owner_is_dead(&map));
    }
}

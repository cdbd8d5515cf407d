//! Leases: which binaries' cached artefacts (ingester image, init volume) live sessions use.
//!
//! A session holds its cached artefacts only while a run mounts them; between runs nothing
//! in Docker marks them as used, so another build of pyrobench could delete them. Each
//! session therefore takes a lease, an empty volume labelled with its owner and its binary's
//! hash, before it touches a cache, and gives it up in its own sweep. A stale artefact is
//! removed only once no live session holds a lease on its hash: it ages out with its last
//! user.

use std::collections::HashMap;

use anyhow::{Context, Result};
use bollard::models::VolumeCreateRequest;

use super::{DockerHost, labels};

const ROLE: &str = "lease";

/// The leases of live sessions.
#[derive(Debug, Default, Clone)]
pub struct Leases {
    /// Binary hash → PIDs of the live sessions that use it.
    by_binary: HashMap<String, Vec<String>>,
}

impl Leases {
    pub fn holds(&self, binary: &str) -> bool {
        self.by_binary.contains_key(binary)
    }

    pub fn is_empty(&self) -> bool {
        self.by_binary.is_empty()
    }

    /// The PIDs of every live session, for messages.
    pub fn pids(&self) -> Vec<String> {
        let mut pids: Vec<String> = self.by_binary.values().flatten().cloned().collect();
        pids.sort();
        pids.dedup();
        pids
    }
}

impl DockerHost {
    /// Takes this session's lease on the artefacts of `binary`; the session's sweep ends it.
    pub async fn take_lease(&self, binary: &str) -> Result<()> {
        let mut lease_labels = self.labels.with_role(ROLE);
        lease_labels.insert(labels::BINARY.to_string(), binary.to_string());
        let request = VolumeCreateRequest {
            name: Some(format!("{}-lease", self.labels.name_prefix())),
            labels: Some(lease_labels),
            ..Default::default()
        };
        self.api
            .create_volume(request)
            .await
            .context("cannot create this session's lease volume")?;
        Ok(())
    }

    /// The leases whose owner is alive (or cannot be judged from here).
    pub async fn live_leases(&self) -> Result<Leases> {
        let volumes = self
            .volumes_labelled(&format!("{}={ROLE}", labels::ROLE))
            .await
            .context("cannot list the sessions' leases")?;
        let mut leases = Leases::default();
        for volume in volumes {
            if labels::owner_is_dead(&volume.labels) {
                continue;
            }
            if let Some(binary) = volume.labels.get(labels::BINARY) {
                let pid = volume.labels.get(super::owner::PID).cloned();
                leases
                    .by_binary
                    .entry(binary.clone())
                    .or_default()
                    .extend(pid);
            }
        }
        Ok(leases)
    }
}

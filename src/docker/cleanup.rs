//! Sweeping what pyrobench created: on exit, on error, on Ctrl-C, and for `pyrobench clean`.

use std::collections::HashMap;

use anyhow::{Context, Result};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListNetworksOptionsBuilder,
    RemoveImageOptionsBuilder,
};

use super::{DockerHost, label_filter, labels};

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub containers: usize,
    pub networks: usize,
    pub images: usize,
    pub volumes: usize,
}

impl std::fmt::Display for Swept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} container(s), {} network(s), {} image(s), {} volume(s)",
            self.containers, self.networks, self.images, self.volumes
        )
    }
}

/// Which managed resources a sweep takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// This process's own session.
    Session(&'a str),
    /// Sessions whose process has died on this host.
    DeadSessions,
    /// Everything labelled as pyrobench's, live or not.
    All,
}

impl DockerHost {
    /// Removes the containers first (that detaches them), then the networks.
    pub async fn sweep(&self, scope: Scope<'_>) -> Result<Swept> {
        let label = match scope {
            Scope::Session(session) => format!("{}={session}", labels::SESSION),
            Scope::DeadSessions | Scope::All => format!("{}=true", labels::MANAGED),
        };
        let filter = label_filter(&label);
        let keep = |labels: &HashMap<String, String>| match scope {
            Scope::DeadSessions => labels::owner_is_dead(labels),
            _ => true,
        };
        let mut swept = Swept::default();
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filter)
            .build();
        let containers = self
            .api
            .list_containers(Some(options))
            .await
            .context("cannot list containers")?;
        for container in containers {
            if keep(&container.labels.unwrap_or_default())
                && let Some(id) = container.id
            {
                self.remove_container(&id).await?;
                swept.containers += 1;
            }
        }
        let options = ListNetworksOptionsBuilder::default()
            .filters(&filter)
            .build();
        let networks = self
            .api
            .list_networks(Some(options))
            .await
            .context("cannot list networks")?;
        for network in networks {
            if keep(&network.labels.unwrap_or_default())
                && let Some(id) = network.id
            {
                self.remove_network_once_empty(&id).await?;
                swept.networks += 1;
            }
        }
        // Volumes last: a session's lease goes only once what it used is gone.
        for volume in self.volumes_labelled(&label).await? {
            if keep(&volume.labels) {
                self.remove_volume(&volume.name).await?;
                swept.volumes += 1;
            }
        }
        Ok(swept)
    }

    /// Removes a network, waiting a moment while it still has endpoints: another pyrobench
    /// sweeping at the same time may still be removing its containers.
    async fn remove_network_once_empty(&self, id: &str) -> Result<()> {
        for _ in 0..20 {
            match self.api.remove_network(id).await {
                Err(bollard::errors::Error::DockerResponseServerError { message, .. })
                    if message.contains("active endpoints") =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                other => {
                    return super::ignore_not_found(other)
                        .with_context(|| format!("cannot remove network {id}"));
                }
            }
        }
        self.remove_network(id).await
    }

    /// Removes the cached images and volumes (ingester images, the init volume, built
    /// benchmark images), which are kept between runs on purpose. What a live session may
    /// use stays: an artefact of a binary it holds a lease on, and, while any session
    /// lives, the benchmark images (any of them may be the one it measures next).
    pub async fn sweep_cache(&self) -> Result<CacheSweep> {
        let filter = label_filter(&format!("{}=true", labels::CACHE));
        let leases = self.live_leases().await?;
        let in_use = |artefact_labels: Option<&HashMap<String, String>>| match artefact_labels
            .and_then(|labels| labels.get(labels::BINARY))
        {
            Some(binary) => leases.holds(binary),
            None => !leases.is_empty(),
        };
        let mut sweep = CacheSweep::default();
        for volume in self
            .volumes_labelled(&format!("{}=true", labels::CACHE))
            .await?
        {
            if in_use(Some(&volume.labels)) {
                sweep.kept += 1;
                continue;
            }
            self.remove_volume(&volume.name).await?;
            sweep.removed.volumes += 1;
        }
        let options = ListImagesOptionsBuilder::default().filters(&filter).build();
        let images = self
            .api
            .list_images(Some(options))
            .await
            .context("cannot list images")?;
        for image in images {
            if in_use(Some(&image.labels)) {
                sweep.kept += 1;
                continue;
            }
            let options = RemoveImageOptionsBuilder::default().force(true).build();
            super::ignore_not_found(
                self.api
                    .remove_image(&image.id, Some(options), None)
                    .await
                    .map(|_| ()),
            )?;
            sweep.removed.images += 1;
        }
        sweep.live_pids = leases.pids();
        Ok(sweep)
    }
}

/// What `clean --cache` removed, and what it kept for live sessions.
#[derive(Debug, Default, Clone)]
pub struct CacheSweep {
    pub removed: Swept,
    pub kept: usize,
    /// PIDs of the live sessions the kept artefacts are for.
    pub live_pids: Vec<String>,
}

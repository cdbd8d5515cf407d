//! The cached volume that carries the measuring init into every benchmark container.
//!
//! Mounting a volume costs nothing per run, where copying the binary into each container
//! would. The volume is keyed by the binary's hash, like the ingester image.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bollard::query_parameters::ListVolumesOptionsBuilder;

use crate::docker::DockerHost;
use crate::docker::container::{ContainerPlan, VolumeMount, WaitOutcome};
use crate::ingester::image::{BINARY_PATH, self_binary};

/// Where the volume is mounted in benchmark containers.
pub const MOUNT_POINT: &str = "/.pyrobench";
/// Hidden subcommand that copies this binary into a folder (run inside a container).
pub const INSTALL_SUBCOMMAND: &str = "__install-init";
const FILE_NAME: &str = "pyrobench";
const VOLUME_PREFIX: &str = "pyrobench-init-";
const READY_SUFFIX: &str = "-ready";

/// Path of the init inside a benchmark container.
pub fn init_path() -> String {
    format!("{MOUNT_POINT}/{FILE_NAME}")
}

/// Copies the running executable into `dir`. The rename makes it appear whole or not at all.
pub fn install_self_into(dir: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("cannot locate the running executable")?;
    // Unique, because two installers may fill the same volume at once.
    let partial = dir.join(format!("{FILE_NAME}.partial.{:016x}", fastrand::u64(..)));
    std::fs::copy(&exe, &partial).with_context(|| format!("cannot write {}", partial.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&partial, dir.join(FILE_NAME))?;
    Ok(())
}

/// The binary hash an init volume (or its marker) belongs to.
pub fn init_volume_binary(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(VOLUME_PREFIX)?;
    Some(rest.strip_suffix(READY_SUFFIX).unwrap_or(rest))
}

impl DockerHost {
    /// Returns the init volume's name, creating and filling it if this binary has none.
    pub async fn ensure_init_volume(&self) -> Result<String> {
        let binary = self_binary()?;
        let volume = format!("{VOLUME_PREFIX}{}", binary.hash);
        // The marker volume is created only once the binary is complete in the data
        // volume, so that a pyrobench starting at the same moment never mounts a half
        // filled one. Two that both miss the marker both fill it: the copy is idempotent.
        let ready = format!("{volume}{READY_SUFFIX}");
        if self.volume_exists(&ready).await? {
            return Ok(volume);
        }
        let image = self.ensure_ingester_image().await?;
        self.create_cache_volume(&volume, &binary.hash).await?;
        self.fill_init_volume(&image, &volume).await?;
        self.create_cache_volume(&ready, &binary.hash).await?;
        Ok(volume)
    }

    /// Removes the init volumes of other builds that no live session holds a lease on.
    /// Markers go first, then the leases are read again: a session that took its lease in
    /// between either saw no marker (and fills its own) or is seen now, and keeps its data.
    pub async fn remove_stale_init_volumes(&self, current: &str) {
        let filters = std::collections::HashMap::from([("name", vec![VOLUME_PREFIX])]);
        let options = ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let Ok(listed) = self.api.list_volumes(Some(options)).await else {
            return;
        };
        let stale: Vec<String> = listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| volume.name)
            .filter(|name| init_volume_binary(name).is_some_and(|hash| hash != current))
            .collect();
        // Markers on the first pass, data volumes on the second.
        for markers in [true, false] {
            let Ok(leases) = self.live_leases().await else {
                return;
            };
            for name in &stale {
                let hash = init_volume_binary(name).unwrap_or_default();
                if name.ends_with(READY_SUFFIX) == markers && !leases.holds(hash) {
                    let _ = self.remove_volume(name).await;
                }
            }
        }
    }

    async fn fill_init_volume(&self, image: &str, volume: &str) -> Result<()> {
        let plan = ContainerPlan {
            image: image.to_string(),
            name: "install-init".to_string(),
            role: "installer".to_string(),
            entrypoint: Some(vec![
                BINARY_PATH.to_string(),
                INSTALL_SUBCOMMAND.to_string(),
                "/vol".to_string(),
            ]),
            volumes: vec![VolumeMount {
                volume: volume.to_string(),
                target: "/vol".to_string(),
                read_only: false,
            }],
            ..Default::default()
        };
        let id = self.create_container(&plan).await?;
        let outcome = async {
            self.start_container(&id).await?;
            self.wait_container(&id, Duration::from_secs(60)).await
        }
        .await;
        let log = self.container_logs(&id, 20).await.unwrap_or_default();
        self.remove_container(&id).await?;
        match outcome? {
            WaitOutcome::Exited(0) => Ok(()),
            other => bail!("filling the init volume failed ({other:?}): {}", log.trim()),
        }
    }
}

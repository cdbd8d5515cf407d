//! Named volumes: the cached volume that carries the measuring init.

use std::collections::HashMap;

use anyhow::{Context, Result};
use bollard::models::VolumeCreateRequest;

use super::{DockerHost, labels};

impl DockerHost {
    /// The volumes carrying this label (`key=value`).
    pub async fn volumes_labelled(&self, label: &str) -> Result<Vec<bollard::models::Volume>> {
        let options = bollard::query_parameters::ListVolumesOptionsBuilder::default()
            .filters(&super::label_filter(label))
            .build();
        let listed = self
            .api
            .list_volumes(Some(options))
            .await
            .context("cannot list volumes")?;
        Ok(listed.volumes.unwrap_or_default())
    }

    pub async fn volume_exists(&self, name: &str) -> Result<bool> {
        match self.api.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(error) if super::is_not_found(&error) => Ok(false),
            Err(error) => Err(error).context("cannot inspect volume"),
        }
    }

    /// Creates a volume meant to be reused across sessions by the builds of `binary`.
    pub async fn create_cache_volume(&self, name: &str, binary: &str) -> Result<()> {
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(HashMap::from([
                (labels::CACHE.to_string(), "true".to_string()),
                (labels::BINARY.to_string(), binary.to_string()),
            ])),
            ..Default::default()
        };
        self.api
            .create_volume(request)
            .await
            .with_context(|| format!("cannot create volume {name}"))?;
        Ok(())
    }

    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        super::ignore_not_found(
            self.api
                .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
                .await,
        )
    }
}

//! The resources a script creates: images, networks, ingesters and plain containers.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::Session;
use crate::bench::spec::ScenarioSpec;
use crate::docker::image::{BuiltImage, ImageConfig};
use crate::ingester::client::{IngesterHandle, IngesterSettings};
use crate::ingester::stats::RunCounts;

#[derive(Default)]
pub(super) struct Resources {
    pub counter: usize,
    pub ingesters: Vec<IngesterHandle>,
    pub init_volume: Option<String>,
    /// Each image's entrypoint and cmd, read once.
    pub images: HashMap<String, ImageConfig>,
    /// What stopped ingesters counted during the run in progress, by container id.
    pub carried: HashMap<String, RunCounts>,
}

impl Session {
    pub fn build_image(
        &self,
        dir: &Path,
        build_args: &std::collections::BTreeMap<String, String>,
    ) -> Result<BuiltImage> {
        let docker = self.docker()?;
        eprintln!("building {} ...", dir.display());
        let started = Instant::now();
        let image = self.block_on(docker.build_benchmark(dir, build_args))?;
        eprintln!(
            "built {} as {} in {:.1} s",
            dir.display(),
            image.tag,
            started.elapsed().as_secs_f64()
        );
        Ok(image)
    }

    /// The command a container of `image` runs: its entrypoint and cmd, or `cmd` instead.
    pub(super) fn argv_for(&self, image: &str, cmd: Option<&[String]>) -> Result<Vec<String>> {
        Ok(self.image_config(image)?.argv(cmd))
    }

    /// The image's config, inspected once per session.
    pub(super) fn image_config(&self, image: &str) -> Result<ImageConfig> {
        if let Some(config) = self.resources().images.get(image) {
            return Ok(config.clone());
        }
        let config = self.with_docker(|docker| docker.image_config(image))?;
        self.resources()
            .images
            .insert(image.to_string(), config.clone());
        Ok(config)
    }

    pub(super) fn init_volume(&self) -> Result<String> {
        if let Some(volume) = self.resources().init_volume.clone() {
            return Ok(volume);
        }
        let volume = self.with_docker(|docker| docker.ensure_init_volume())?;
        self.resources().init_volume = Some(volume.clone());
        Ok(volume)
    }

    pub fn create_network(&self) -> Result<String> {
        let suffix = self.next_name("net");
        self.with_docker(|docker| docker.create_network(&suffix))
    }

    /// Removes a network, and the ingesters on it: nothing else could use them.
    pub fn remove_network(&self, network: &str) -> Result<()> {
        let ingesters = self.ingesters_on(Some(network));
        self.resources()
            .ingesters
            .retain(|ing| ing.network != network);
        self.with_docker(|docker| async move {
            for ingester in ingesters {
                docker.remove_container(&ingester.container_id).await?;
                docker.remove_network(&ingester.control_network).await?;
            }
            docker.remove_network(network).await
        })
    }

    pub fn start_ingester(
        &self,
        network: &str,
        settings: IngesterSettings,
    ) -> Result<IngesterHandle> {
        let suffix = self.next_name("ingester");
        let handle =
            self.with_docker(|docker| IngesterHandle::start(docker, network, &settings, &suffix))?;
        self.resources().ingesters.push(handle.clone());
        Ok(handle)
    }

    /// Stops an ingester, keeping what it counted so far for the run in progress.
    pub fn stop_ingester(&self, ingester: &IngesterHandle) -> Result<()> {
        if !ingester.is_running() {
            return Ok(());
        }
        let counts = self.block_on(ingester.stats(true))?;
        self.resources()
            .carried
            .entry(ingester.container_id.clone())
            .or_default()
            .add(&counts);
        self.with_docker(|docker| ingester.stop(docker))
    }

    pub(super) fn ingesters_on(&self, network: Option<&str>) -> Vec<IngesterHandle> {
        let Some(network) = network else {
            return Vec::new();
        };
        self.resources()
            .ingesters
            .iter()
            .filter(|ing| ing.network == network)
            .cloned()
            .collect()
    }

    /// A plain container of `image`, as the scenario describes it; created, not started.
    pub fn create_container(&self, image: &str, spec: &ScenarioSpec) -> Result<String> {
        let plan = spec.container_plan(image, self.next_name("container"), "container");
        self.with_docker(|docker| docker.create_container(&plan))
    }
}

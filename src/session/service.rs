//! A service scenario's generator: found from the image's config. It shares the service's
//! network namespace (see `measure::service`), so it needs no network of its own.

use anyhow::{Result, bail};

use super::Session;
use crate::bench::spec::{ImageRef, LoadSpec, ScenarioSpec};
use crate::docker::container::ContainerPlan;
use crate::docker::image::{ImageConfig, KIND_LABEL, READY_PATH_LABEL};
use crate::ingester::image::BINARY_PATH;
use crate::load::Model;
use crate::measure::service::ServiceLoad;

impl Session {
    /// The generator of a service scenario, or `None` for a batch one; refuses a service
    /// image run without load.
    pub(super) fn service_load(
        &self,
        image: &ImageRef,
        spec: &ScenarioSpec,
    ) -> Result<Option<ServiceLoad>> {
        let config = self.image_config(image.reference())?;
        let Some(load) = &spec.load else {
            if config.is_service() {
                bail!(
                    "{} is a service (LABEL {KIND_LABEL}=service): give scenario `{}` a \
                     `load`, as scripts/service.rhai does",
                    image.name,
                    spec.name
                );
            }
            return Ok(None);
        };
        let port = service_port(&config, load, &image.name)?;
        let ready_path = load
            .ready_path
            .clone()
            .or_else(|| config.labels.get(READY_PATH_LABEL).cloned())
            .unwrap_or_else(|| "/".to_string());
        let generator_image = self.with_docker(|docker| docker.ensure_ingester_image())?;
        Ok(Some(ServiceLoad {
            generator: ContainerPlan {
                image: generator_image,
                name: self.next_name(&format!("{}-load", image.name)),
                role: "load".to_string(),
                entrypoint: Some(vec![BINARY_PATH.to_string(), "load".to_string()]),
                cmd: Some(generator_args(load, port, &ready_path)),
                cpuset: load.cpuset.clone(),
                ..Default::default()
            },
            stop_grace: load.stop_grace,
        }))
    }
}

fn service_port(config: &ImageConfig, load: &LoadSpec, name: &str) -> Result<u16> {
    if let Some(port) = load.port {
        return Ok(port);
    }
    match config.tcp_ports.as_slice() {
        [port] => Ok(*port),
        [] => bail!(
            "{name} EXPOSEs no TCP port: add `EXPOSE <port>` to its Dockerfile, or give the \
             load a `port`"
        ),
        ports => bail!(
            "{name} EXPOSEs several TCP ports ({ports:?}): say which to load with the load's `port`"
        ),
    }
}

/// `pyrobench load`'s arguments for this load, its report on stdout.
fn generator_args(load: &LoadSpec, port: u16, ready_path: &str) -> Vec<String> {
    let plan = &load.plan;
    let seconds = |d: std::time::Duration| d.as_secs_f64().to_string();
    let mut args = vec![
        format!("http://127.0.0.1:{port}{}", load.path),
        "--json".into(),
        "-".into(),
        "--connections".into(),
        plan.connections.to_string(),
        "--warmup".into(),
        seconds(plan.warmup),
        "--duration".into(),
        seconds(plan.duration),
        "--timeout".into(),
        seconds(plan.timeout),
        "--ready-path".into(),
        ready_path.to_string(),
        "--ready-timeout".into(),
        seconds(load.ready_timeout),
    ];
    match plan.model {
        Model::Open { rate } => args.extend(["--rate".to_string(), rate.to_string()]),
        Model::Closed => args.push("--closed".into()),
    }
    args
}

//! What a scenario runs, and how often.

use std::time::Duration;

use crate::docker::container::ContainerPlan;
use crate::docker::image::BuiltImage;

/// Environment variable that tells a benchmark to start its agent.
pub const PROFILING_ENV: &str = "PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING";

/// One scenario: a way of running the benchmark image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioSpec {
    pub name: String,
    /// Sets the profiling switch in the container.
    pub profiling: bool,
    /// The network to join. `None` means no network at all: `ingester` fails to resolve at
    /// once and nothing leaves the container (on an internal network the lookup would
    /// instead wait 20 s for Docker 20.10's DNS, which is another experiment).
    pub network: Option<String>,
    pub aliases: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Replaces the image's CMD.
    pub cmd: Option<Vec<String>>,
    /// Per-run limit for this scenario; the options' limit otherwise.
    pub timeout: Option<Duration>,
    /// CPUs the container may run on, as Docker's `--cpuset-cpus` (e.g. "0").
    pub cpuset: Option<String>,
    /// CPU quota in CPUs, as Docker's `--cpus` (e.g. 1.0).
    pub cpus: Option<f64>,
    /// Adds the SYS_PTRACE capability, which some agents need to read other processes.
    pub ptrace: bool,
    /// Makes the run a service run: loaded, then stopped with SIGTERM.
    pub load: Option<LoadSpec>,
    /// Runs another image than the experiment's: the same workload in another build (its
    /// pull form, say), compared in the same rounds against the same baseline.
    pub image: Option<ImageRef>,
}

/// A service scenario's load: what the generator sends, and how the service is found.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    pub plan: crate::load::Plan,
    /// Path and query of every request.
    pub path: String,
    /// The service's port; the image's only EXPOSEd TCP port otherwise.
    pub port: Option<u16>,
    /// The image's `io.pyrobench.ready-path` label, or `/`, otherwise.
    pub ready_path: Option<String>,
    pub ready_timeout: Duration,
    /// CPUs of the generator's container, as Docker's `--cpuset-cpus`.
    pub cpuset: Option<String>,
    /// After SIGTERM, before the service is killed and the run failed.
    pub stop_grace: Duration,
}

impl ScenarioSpec {
    pub fn cap_add(&self) -> Vec<String> {
        if self.ptrace {
            vec!["SYS_PTRACE".to_string()]
        } else {
            Vec::new()
        }
    }

    /// The container this scenario describes, for a measured run and a plain container
    /// alike. `name` is the suffix of its Docker name; `role` its label.
    pub fn container_plan(&self, image: &str, name: String, role: &str) -> ContainerPlan {
        ContainerPlan {
            image: image.to_string(),
            name,
            role: role.to_string(),
            cmd: self.cmd.clone(),
            env: self.container_env(),
            network: self.network.clone(),
            aliases: self.aliases.clone(),
            cpuset: self.cpuset.clone(),
            cpus: self.cpus,
            cap_add: self.cap_add(),
            ..Default::default()
        }
    }

    /// The container's environment: the profiling switch first, then the scenario's own.
    pub fn container_env(&self) -> Vec<String> {
        let switch = self.profiling.then(|| format!("{PROFILING_ENV}=1"));
        switch
            .into_iter()
            .chain(self.env.iter().map(|(key, value)| format!("{key}={value}")))
            .collect()
    }
}

/// An image a script refers to: built from a folder, or named by tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub name: String,
    pub tag: String,
    /// The image ID, once resolved: runs use it, so a rebuild of the tag by another
    /// process cannot swap the image under a measurement.
    pub id: Option<String>,
    /// The Dockerfile `ARG`s it was built with, when pyrobench built it.
    pub build_args: std::collections::BTreeMap<String, String>,
}

impl ImageRef {
    /// What a container is created from: the ID when known.
    pub fn reference(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.tag)
    }
}

impl From<&BuiltImage> for ImageRef {
    fn from(image: &BuiltImage) -> Self {
        Self {
            name: image.name.clone(),
            tag: image.tag.clone(),
            id: Some(image.id.clone()),
            build_args: image.build_args.clone(),
        }
    }
}

/// How often to run, and what to do when a run fails.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    pub runs: usize,
    pub warmup: usize,
    pub timeout: Duration,
    /// Record failed runs and go on, instead of stopping the script at the first one.
    pub keep_going: bool,
    /// Name of the scenario the others are compared with.
    pub baseline: Option<String>,
    /// Randomize the order of scenarios inside each round.
    pub shuffle: bool,
    /// Pause a random time up to this before each run, so that an agent whose work is
    /// aligned to the wall clock (the `pyroscope` crate's 10 s ticks) meets every phase.
    pub jitter: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            runs: 10,
            warmup: 1,
            timeout: Duration::from_secs(300),
            keep_going: false,
            baseline: None,
            shuffle: false,
            jitter: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiling_sets_the_switch_and_keeps_user_env() {
        let spec = ScenarioSpec {
            profiling: true,
            env: vec![("N".into(), "30".into())],
            ..Default::default()
        };
        assert_eq!(
            spec.container_env(),
            [format!("{PROFILING_ENV}=1"), "N=30".to_string()]
        );
        let baseline = ScenarioSpec::default();
        assert!(baseline.container_env().is_empty());
    }

    #[test]
    fn the_container_carries_every_setting_of_the_scenario() {
        let spec = ScenarioSpec {
            profiling: true,
            network: Some("net-1".into()),
            aliases: vec!["app".into()],
            cmd: Some(vec!["/probe".into(), "2".into()]),
            cpuset: Some("0".into()),
            cpus: Some(1.5),
            ptrace: true,
            ..Default::default()
        };
        let plan = spec.container_plan("img:1", "run-3".into(), "benchmark");
        assert_eq!(
            (plan.image.as_str(), plan.name.as_str()),
            ("img:1", "run-3")
        );
        assert_eq!(plan.role, "benchmark");
        assert_eq!(plan.env, [format!("{PROFILING_ENV}=1")]);
        assert_eq!(plan.network.as_deref(), Some("net-1"));
        assert_eq!(plan.aliases, ["app"]);
        assert_eq!(plan.cmd, Some(vec!["/probe".to_string(), "2".to_string()]));
        assert_eq!(plan.cpuset.as_deref(), Some("0"));
        assert_eq!(plan.cpus, Some(1.5));
        assert_eq!(plan.cap_add, ["SYS_PTRACE"]);
    }
}

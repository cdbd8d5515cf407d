//! The core a script drives: Docker, networks, ingesters, runs, experiments and results.
//!
//! Every method is synchronous and blocks on the tokio runtime, because Rhai is; each
//! blocking call gives up at once when the user presses Ctrl-C.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::bench::result::{BenchmarkResult, ScenarioResult};
use crate::bench::schedule::{Slot, interleaved, shuffle_within_rounds};
use crate::bench::spec::{RunOptions, ScenarioSpec};
use crate::bench::threshold::{Check, Limit, evaluate};
use crate::docker::DockerHost;
use crate::docker::container::{ContainerPlan, WaitOutcome};
use crate::docker::image::{BuiltImage, ImageCommand};
use crate::ingester::client::IngesterHandle;
use crate::ingester::mode::Mode;
use crate::ingester::stats::RunCounts;
use crate::measure::record::ActionEvent;
use crate::measure::runner::{RunOutcome, RunPlan, run_measured};
use crate::report;
use crate::report::outputs::Outputs;
use crate::report::progress::Progress;

/// What the command line gave the script.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub script: PathBuf,
    pub benchmarks: Vec<PathBuf>,
    pub params: BTreeMap<String, String>,
    pub defaults: RunOptions,
    pub outputs: Outputs,
}

/// Something a script does while a run is in progress: switch a mode, stop the ingester.
pub struct ScheduledAction<'a> {
    /// After the run's container started.
    pub after: Duration,
    pub label: String,
    pub action: Box<dyn FnMut() -> Result<()> + 'a>,
}

/// Aborts a spawned run when the caller gives up on it (Ctrl-C); the session's sweep
/// removes its container.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An image a script refers to: built from a folder, or named by tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub name: String,
    pub tag: String,
}

impl From<&BuiltImage> for ImageRef {
    fn from(image: &BuiltImage) -> Self {
        Self {
            name: image.name.clone(),
            tag: image.tag.clone(),
        }
    }
}

#[derive(Default)]
struct State {
    saved: Vec<BenchmarkResult>,
    /// Experiments that stopped part-way; written to JSON so nothing measured is lost.
    partial: Vec<BenchmarkResult>,
    ingesters: Vec<IngesterHandle>,
    init_volume: Option<String>,
    images: HashMap<String, ImageCommand>,
    counter: usize,
    /// Every threshold checked so far, passed or breached.
    checks: Vec<Check>,
    /// What stopped ingesters counted during the run in progress, by container id.
    carried: HashMap<String, RunCounts>,
    /// Every parameter the script read, with the value it got (defaults included).
    params_read: BTreeMap<String, String>,
}

pub struct Session {
    pub settings: Settings,
    docker: Option<DockerHost>,
    runtime: Handle,
    cancel: CancellationToken,
    started: Instant,
    state: Mutex<State>,
}

impl Session {
    /// `docker` is `None` for `pyrobench check`, which must never touch Docker.
    pub fn new(
        settings: Settings,
        docker: Option<DockerHost>,
        runtime: Handle,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            settings,
            docker,
            runtime,
            cancel,
            started: Instant::now(),
            state: Mutex::new(State::default()),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Seconds since the session started.
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn docker(&self) -> Result<&DockerHost> {
        self.docker
            .as_ref()
            .ok_or_else(|| anyhow!("Docker is not used while only checking a script"))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("session state lock")
    }

    /// Runs a future to completion, or stops it when the user interrupts.
    pub fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        let cancel = self.cancel.clone();
        self.runtime.block_on(async move {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(anyhow!("interrupted")),
                result = future => result,
            }
        })
    }

    pub fn sleep(&self, duration: Duration) -> Result<()> {
        self.block_on(async move {
            tokio::time::sleep(duration).await;
            Ok(())
        })
    }

    fn next_name(&self, what: &str) -> String {
        let mut state = self.state();
        state.counter += 1;
        format!("{what}-{}", state.counter)
    }

    // ---- images -------------------------------------------------------------------

    pub fn build_image(&self, dir: &Path) -> Result<BuiltImage> {
        let docker = self.docker()?;
        eprintln!("building {} ...", dir.display());
        let started = Instant::now();
        let image = self.block_on(docker.build_benchmark(dir))?;
        eprintln!(
            "built {} as {} in {:.1} s",
            dir.display(),
            image.tag,
            started.elapsed().as_secs_f64()
        );
        Ok(image)
    }

    fn argv_for(&self, image: &str, cmd: Option<&[String]>) -> Result<Vec<String>> {
        if let Some(command) = self.state().images.get(image) {
            return Ok(command.argv(cmd));
        }
        let docker = self.docker()?;
        let command = self.block_on(docker.image_command(image))?;
        let argv = command.argv(cmd);
        self.state().images.insert(image.to_string(), command);
        Ok(argv)
    }

    // ---- networks and ingesters ---------------------------------------------------

    pub fn create_network(&self) -> Result<String> {
        let docker = self.docker()?;
        let suffix = self.next_name("net");
        self.block_on(docker.create_network(&suffix))
    }

    pub fn remove_network(&self, network: &str) -> Result<()> {
        let docker = self.docker()?;
        let ingesters = self.ingesters_on(Some(network));
        self.state().ingesters.retain(|ing| ing.network != network);
        self.block_on(async {
            // The network's own ingesters go with it; nothing else could use them.
            for ingester in ingesters {
                docker.remove_container(&ingester.container_id).await?;
            }
            docker.remove_network(network).await
        })
    }

    pub fn connect(&self, network: &str, container: &str, aliases: &[String]) -> Result<()> {
        let docker = self.docker()?;
        self.block_on(docker.connect_network(network, container, aliases))
    }

    pub fn disconnect(&self, network: &str, container: &str) -> Result<()> {
        let docker = self.docker()?;
        self.block_on(docker.disconnect_network(network, container))
    }

    pub fn start_ingester(
        &self,
        network: &str,
        mode: &Mode,
        max_body_bytes: Option<usize>,
    ) -> Result<IngesterHandle> {
        let docker = self.docker()?;
        let suffix = self.next_name("ingester");
        let handle = self.block_on(IngesterHandle::start(
            docker,
            network,
            mode,
            max_body_bytes,
            &suffix,
        ))?;
        self.state().ingesters.push(handle.clone());
        Ok(handle)
    }

    /// The ingester image's tag, packaging this binary first if it has no image yet.
    pub fn ingester_image(&self) -> Result<String> {
        self.block_on(self.docker()?.ensure_ingester_image())
    }

    pub fn ingester_stats(&self, ingester: &IngesterHandle, reset: bool) -> Result<RunCounts> {
        self.block_on(ingester.stats(reset))
    }

    pub fn set_ingester_mode(&self, ingester: &IngesterHandle, mode: &Mode) -> Result<()> {
        self.block_on(ingester.set_mode(mode))
    }

    fn ingesters_on(&self, network: Option<&str>) -> Vec<IngesterHandle> {
        let Some(network) = network else {
            return Vec::new();
        };
        self.state()
            .ingesters
            .iter()
            .filter(|ing| ing.network == network)
            .cloned()
            .collect()
    }

    // ---- plain containers ---------------------------------------------------------

    pub fn create_container(&self, image: &str, spec: &ScenarioSpec) -> Result<String> {
        let docker = self.docker()?;
        let plan = ContainerPlan {
            image: image.to_string(),
            name: self.next_name("container"),
            role: "container".to_string(),
            cmd: spec.cmd.clone(),
            env: spec.container_env(),
            network: spec.network.clone(),
            aliases: spec.aliases.clone(),
            cpuset: spec.cpuset.clone(),
            cpus: spec.cpus,
            cap_add: spec.cap_add(),
            ..Default::default()
        };
        self.block_on(docker.create_container(&plan))
    }

    pub fn start_container(&self, id: &str) -> Result<()> {
        self.block_on(self.docker()?.start_container(id))
    }

    /// Waits at most `limit`; returns the exit code, or `None` when it had to be killed.
    pub fn wait_container(&self, id: &str, limit: Duration) -> Result<Option<i64>> {
        match self.block_on(self.docker()?.wait_container(id, limit))? {
            WaitOutcome::Exited(code) => Ok(Some(code)),
            WaitOutcome::TimedOut => Ok(None),
        }
    }

    pub fn stop_container(&self, id: &str, grace: Duration) -> Result<()> {
        self.block_on(self.docker()?.stop_container(id, grace))
    }

    pub fn remove_container(&self, id: &str) -> Result<()> {
        self.block_on(self.docker()?.remove_container(id))
    }

    pub fn container_logs(&self, id: &str) -> Result<String> {
        self.block_on(self.docker()?.container_logs(id, 10_000))
    }

    pub fn container_exit_code(&self, id: &str) -> Result<Option<i64>> {
        Ok(self.block_on(self.docker()?.container_times(id))?.exit_code)
    }

    // ---- measured runs ------------------------------------------------------------

    fn init_volume(&self) -> Result<String> {
        if let Some(volume) = self.state().init_volume.clone() {
            return Ok(volume);
        }
        let volume = self.block_on(self.docker()?.ensure_init_volume())?;
        self.state().init_volume = Some(volume.clone());
        Ok(volume)
    }

    /// One measured run of a scenario, with what the ingesters on its network received.
    /// `actions` fire at their time after the container starts; those whose time has not
    /// come when the run ends fire right after it, in order, so a schedule always completes
    /// (an ingester stopped mid-run is started again, say).
    pub fn run(
        &self,
        image: &ImageRef,
        spec: &ScenarioSpec,
        options: &RunOptions,
        actions: &mut [ScheduledAction<'_>],
    ) -> Result<RunOutcome> {
        let docker = self.docker()?;
        let volume = self.init_volume()?;
        let plan = RunPlan {
            image: image.tag.clone(),
            argv: self.argv_for(&image.tag, spec.cmd.as_deref())?,
            env: spec.container_env(),
            network: spec.network.clone(),
            aliases: spec.aliases.clone(),
            timeout: spec.timeout.unwrap_or(options.timeout),
            label: self.next_name(&format!("{}-run", image.name)),
            cpuset: spec.cpuset.clone(),
            cpus: spec.cpus,
            cap_add: spec.cap_add(),
        };
        let ingesters = self.ingesters_on(spec.network.as_deref());
        self.block_on(async {
            for ingester in ingesters.iter().filter(|i| i.is_running()) {
                ingester.stats(true).await?;
            }
            Ok(())
        })?;
        for ingester in &ingesters {
            self.state().carried.remove(&ingester.container_id);
        }
        let mut outcome = if actions.is_empty() {
            self.block_on(run_measured(docker, &volume, &plan, None))?
        } else {
            self.run_with_actions(docker.clone(), volume, plan, actions)?
        };
        if !ingesters.is_empty() {
            let mut counts = RunCounts::default();
            for ingester in &ingesters {
                if let Some(carried) = self.state().carried.remove(&ingester.container_id) {
                    counts.add(&carried);
                }
                if ingester.is_running() {
                    counts.add(&self.block_on(ingester.stats(true))?);
                }
            }
            if let Some(started) = outcome.record.started_unix_s {
                for event in &mut counts.timeline {
                    event.t_s = Some(event.unix_s - started);
                }
            }
            outcome.record.ingester = Some(counts);
        }
        Ok(outcome)
    }

    fn run_with_actions(
        &self,
        docker: DockerHost,
        volume: String,
        plan: RunPlan,
        actions: &mut [ScheduledAction<'_>],
    ) -> Result<RunOutcome> {
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let mut task =
            AbortOnDrop(self.runtime.spawn(async move {
                run_measured(&docker, &volume, &plan, Some(started_tx)).await
            }));
        let started = self.block_on(async { Ok(started_rx.await.ok()) })?;
        let mut finished = None;
        let mut events = Vec::new();
        let mut failed = None;
        actions.sort_by_key(|action| action.after);
        for action in actions.iter_mut() {
            if let (None, Some(started)) = (&finished, started) {
                let deadline = tokio::time::Instant::from_std(started + action.after);
                finished = self.block_on(async {
                    tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => Ok(None),
                        joined = &mut task.0 => Ok(Some(joined)),
                    }
                })?;
            }
            let t_s = started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
            let error = (action.action)().err().map(|e| format!("{e:#}"));
            if let Some(error) = &error {
                failed.get_or_insert_with(|| format!("action `{}`: {error}", action.label));
            }
            events.push(ActionEvent {
                t_s,
                label: action.label.clone(),
                during_run: finished.is_none(),
                error,
            });
        }
        let joined = match finished {
            Some(joined) => joined,
            None => self.block_on(async { Ok((&mut task.0).await) })?,
        };
        let mut outcome = joined.map_err(|e| anyhow!("the run's task failed: {e}"))??;
        outcome.record.actions = events;
        match failed {
            Some(message) => Err(anyhow!(message)),
            None => Ok(outcome),
        }
    }

    /// Stops an ingester, keeping what it counted so far for the run in progress.
    pub fn stop_ingester(&self, ingester: &IngesterHandle) -> Result<()> {
        let docker = self.docker()?;
        if !ingester.is_running() {
            return Ok(());
        }
        let counts = self.block_on(ingester.stats(true))?;
        self.state()
            .carried
            .entry(ingester.container_id.clone())
            .or_default()
            .add(&counts);
        self.block_on(ingester.stop(docker))
    }

    pub fn start_ingester_again(&self, ingester: &IngesterHandle) -> Result<()> {
        self.block_on(ingester.start_again(self.docker()?))
    }

    /// Runs scenarios in interleaved rounds after warm-up rounds, and compares each with
    /// the baseline. A failed run stops the experiment unless `keep_going` is set; what
    /// was measured until then is kept for the JSON output either way.
    /// `schedules` holds each scenario's actions (or is empty: none anywhere).
    pub fn experiment(
        &self,
        image: &ImageRef,
        specs: &[ScenarioSpec],
        options: &RunOptions,
        schedules: &mut [Vec<ScheduledAction<'_>>],
    ) -> Result<BenchmarkResult> {
        if specs.is_empty() {
            bail!("no scenarios given: pass at least one, e.g. [#{{ name: \"baseline\" }}]");
        }
        let mut seen = HashMap::new();
        for spec in specs {
            if seen.insert(spec.name.as_str(), ()).is_some() {
                bail!(
                    "two scenarios are named `{}`: give each a distinct name",
                    spec.name
                );
            }
        }
        let mut result = BenchmarkResult {
            name: image.name.clone(),
            image: image.tag.clone(),
            scenarios: specs
                .iter()
                .map(|s| ScenarioResult::new(&s.name, s.profiling))
                .collect(),
            complete: false,
            warnings: Vec::new(),
        };
        let mut slots = interleaved(specs.len(), options.warmup, options.runs);
        if options.shuffle {
            shuffle_within_rounds(&mut slots, specs.len(), &mut fastrand::Rng::new());
        }
        let outcome = self.run_slots(image, specs, options, &slots, schedules, &mut result);
        result.finalize(options.baseline.as_deref());
        match outcome {
            Ok(()) => {
                result.complete = true;
                Ok(result)
            }
            Err(error) => {
                self.state().partial.push(result);
                self.write_outputs_quietly();
                Err(error)
            }
        }
    }

    fn run_slots(
        &self,
        image: &ImageRef,
        specs: &[ScenarioSpec],
        options: &RunOptions,
        slots: &[Slot],
        schedules: &mut [Vec<ScheduledAction<'_>>],
        result: &mut BenchmarkResult,
    ) -> Result<()> {
        let progress = Progress::new(&image.name, slots.len());
        for slot in slots {
            let spec = &specs[slot.scenario];
            let what = if slot.warmup { "warm-up" } else { "run" };
            let total = if slot.warmup {
                options.warmup
            } else {
                options.runs
            };
            progress.starting(&spec.name, what, slot.round + 1, total);
            if !options.jitter.is_zero() {
                self.sleep(options.jitter.mul_f64(fastrand::f64()))?;
            }
            let actions = schedules
                .get_mut(slot.scenario)
                .map(Vec::as_mut_slice)
                .unwrap_or_default();
            let outcome = self.run(image, spec, options, actions)?;
            progress.finished_run(report::progress::run_line(
                &image.name,
                &spec.name,
                what,
                slot.round + 1,
                total,
                &outcome.record,
            ));
            let failure = outcome.record.failure.clone();
            if !slot.warmup {
                let mut record = outcome.record;
                record.round = Some(slot.round + 1);
                result.scenarios[slot.scenario].runs.push(record);
            }
            if let Some(failure) = failure
                && !options.keep_going
            {
                bail!(
                    "benchmark `{}`, scenario `{}`, {what} {}: {failure}",
                    image.name,
                    spec.name,
                    slot.round + 1
                );
            }
        }
        Ok(())
    }

    // ---- results ------------------------------------------------------------------

    pub fn record_param(&self, key: &str, value: &str) {
        self.state()
            .params_read
            .insert(key.to_string(), value.to_string());
    }

    /// The parameters the script read so far, with their values.
    pub fn params_read(&self) -> BTreeMap<String, String> {
        self.state().params_read.clone()
    }

    /// `--set` keys the script never read: misspelled, most likely.
    pub fn unread_params(&self) -> Vec<String> {
        let read = self.params_read();
        self.settings
            .params
            .keys()
            .filter(|key| !read.contains_key(*key) && !["runs", "warmup"].contains(&key.as_str()))
            .cloned()
            .collect()
    }

    /// Adds a result to the report files, and rewrites them at once.
    pub fn save(&self, result: BenchmarkResult) -> Result<()> {
        self.state().saved.push(result);
        self.write_outputs()
    }

    /// Checks limits against a result; breaches make the run exit with `EXIT_THRESHOLD`.
    pub fn check_thresholds(
        &self,
        result: &BenchmarkResult,
        limits: &[Limit],
    ) -> Result<Vec<Check>> {
        let checks = evaluate(result, limits)?;
        self.state().checks.extend(checks.iter().cloned());
        Ok(checks)
    }

    pub fn breaches(&self) -> Vec<Check> {
        self.state()
            .checks
            .iter()
            .filter(|check| !check.passed)
            .cloned()
            .collect()
    }

    /// Saved results, then those of experiments that stopped part-way.
    pub fn results(&self) -> Vec<BenchmarkResult> {
        let state = self.state();
        state
            .saved
            .iter()
            .chain(state.partial.iter())
            .cloned()
            .collect()
    }

    /// Writes every report file the command line asked for.
    pub fn write_outputs(&self) -> Result<()> {
        let outputs = &self.settings.outputs;
        if outputs.paths().is_empty() {
            return Ok(());
        }
        let checks = self.state().checks.clone();
        report::outputs::write_all(outputs, &self.settings, &self.results(), &checks)
    }

    fn write_outputs_quietly(&self) {
        if let Err(error) = self.write_outputs() {
            eprintln!("warning: {error:#}");
        }
    }
}

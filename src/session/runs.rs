//! Measured runs: one run with what the ingesters on its network received, and the
//! experiment's runner, which makes such runs and shows their progress.

use std::time::Duration;

use anyhow::Result;

use super::Session;
use crate::bench::experiment::{Experiment, Runner, Step, Stopped};
use crate::bench::result::BenchmarkResult;
use crate::bench::spec::{ImageRef, RunOptions, ScenarioSpec};
use crate::ingester::client::IngesterHandle;
use crate::ingester::stats::RunCounts;
use crate::measure::actions::{ScheduledAction, fire_during};
use crate::measure::record::RunRecord;
use crate::measure::runner::{RunOutcome, RunPlan, run_measured};
use crate::report::progress::{Progress, run_line};

impl Session {
    /// One measured run of a scenario, with what the ingesters on its network received.
    /// `actions` fire at their time after the container starts (see `fire_during`).
    pub fn run(
        &self,
        image: &ImageRef,
        spec: &ScenarioSpec,
        options: &RunOptions,
        actions: &mut [ScheduledAction<'_>],
    ) -> Result<RunOutcome> {
        let image = self.pinned(image)?;
        let docker = self.docker()?.clone();
        let volume = self.init_volume()?;
        let load = self.service_load(&image, spec)?;
        let name = self.next_name(&format!("{}-run", image.name));
        let pull_port = self
            .image_config(image.reference())?
            .pull_port(&image.name)?;
        let container = spec.container_plan(image.reference(), name.clone(), "benchmark");
        let plan = RunPlan {
            container,
            argv: self.argv_for(image.reference(), spec.cmd.as_deref())?,
            timeout: spec.timeout.unwrap_or(options.timeout),
            load,
        };
        let ingesters = self.ingesters_on(spec.network.as_deref());
        self.block_on(async {
            for ingester in ingesters.iter().filter(|i| i.is_running()) {
                ingester.stats(true).await?;
            }
            Ok(())
        })?;
        for ingester in &ingesters {
            self.resources().carried.remove(&ingester.container_id);
        }
        // A pull benchmark is scraped by the ingesters on its network while it runs: from
        // when its container has started (its name resolves from then on) to its exit.
        let scraped = pull_port.filter(|_| !ingesters.is_empty());
        let mut start_scraping = scraped.map(|port| {
            let target = format!("{}:{port}", docker.container_name(&name));
            let (ingesters, bridge) = (ingesters.clone(), self.bridge.clone());
            ScheduledAction {
                after: Duration::ZERO,
                label: format!("scraping {target} starts"),
                action: Box::new(move || {
                    bridge.block_on(scrape_on(&ingesters, vec![target.clone()]))
                }),
            }
        });
        let actions: Vec<&mut ScheduledAction<'_>> = start_scraping
            .iter_mut()
            .chain(actions.iter_mut())
            .collect();
        let mut outcome = if actions.is_empty() {
            self.block_on(run_measured(&docker, &volume, &plan, None))?
        } else {
            let run = move |started| async move {
                run_measured(&docker, &volume, &plan, Some(started)).await
            };
            let fired = fire_during(&self.bridge, run, actions);
            if scraped.is_some() {
                self.block_on(scrape_on(&ingesters, Vec::new()))?;
            }
            let (mut outcome, events) = fired?;
            outcome.record.actions = events;
            outcome
        };
        if !ingesters.is_empty() {
            let mut counts = RunCounts::default();
            for ingester in &ingesters {
                if let Some(carried) = self.resources().carried.remove(&ingester.container_id) {
                    counts.add(&carried);
                }
                if ingester.is_running() {
                    counts.add(&self.block_on(ingester.stats(true))?);
                }
            }
            if scraped.is_some() {
                counts.scraped_every_s = ingesters.first().map(|i| i.scrape_schedule());
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

    /// The image with its ID resolved, when it was named by tag.
    fn pinned(&self, image: &ImageRef) -> Result<ImageRef> {
        if image.id.is_some() {
            return Ok(image.clone());
        }
        let id = self.with_docker(|docker| docker.image_id(&image.tag))?;
        Ok(ImageRef {
            id: Some(id),
            ..image.clone()
        })
    }

    /// Runs an experiment on `image`. What it measured before an error is kept in the
    /// ledger, and the report files are rewritten with it, before the error is returned.
    pub fn experiment(
        &self,
        image: &ImageRef,
        specs: &[ScenarioSpec],
        options: &RunOptions,
        schedules: &mut [Vec<ScheduledAction<'_>>],
    ) -> Result<BenchmarkResult> {
        // Resolved once: every run of the experiment uses the same image.
        let image = &self.pinned(image)?;
        let experiment = Experiment::new(image, specs, options)?;
        let total = specs.len() * (options.warmup + options.runs);
        let mut runner = MeasuredRuns {
            session: self,
            image,
            progress: Progress::new(&image.name, total),
        };
        let outcome = experiment.run(&mut runner, schedules, &mut fastrand::Rng::new());
        drop(runner);
        self.ledger.clear_current();
        outcome.map_err(|Stopped { partial, error }| {
            self.ledger.add_partial(*partial);
            error
        })
    }
}

/// Every ingester of `ingesters` scrapes `targets` from now on (none: stops scraping).
async fn scrape_on(ingesters: &[IngesterHandle], targets: Vec<String>) -> Result<()> {
    for ingester in ingesters {
        ingester.scrape(targets.clone()).await?;
    }
    Ok(())
}

/// The experiment's runner: real runs in Docker, progress on stderr.
struct MeasuredRuns<'a> {
    session: &'a Session,
    image: &'a ImageRef,
    progress: Progress,
}

impl Runner for MeasuredRuns<'_> {
    fn run(
        &mut self,
        spec: &ScenarioSpec,
        options: &RunOptions,
        actions: &mut [ScheduledAction<'_>],
    ) -> Result<RunRecord> {
        let image = spec.image.as_ref().unwrap_or(self.image);
        Ok(self.session.run(image, spec, options, actions)?.record)
    }

    fn pause(&mut self, duration: Duration) -> Result<()> {
        self.session.sleep(duration)
    }

    fn starting(&mut self, step: Step<'_>) {
        self.progress
            .starting(step.scenario, step.what(), step.round, step.rounds);
    }

    fn measured(&mut self, so_far: BenchmarkResult) {
        self.session.ledger.set_current(so_far);
    }

    fn finished(&mut self, step: Step<'_>, record: &RunRecord) {
        self.progress.finished_run(run_line(
            &self.image.name,
            step.scenario,
            step.what(),
            step.round,
            step.rounds,
            record,
        ));
    }
}

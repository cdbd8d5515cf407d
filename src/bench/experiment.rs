//! An experiment: scenarios run in interleaved rounds after warm-up rounds, and compared
//! with the baseline. It drives each run through a `Runner`, as hyperfine's scheduler
//! drives an `Executor`, so it knows nothing of Docker or Rhai and is tested with a fake.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Result, bail};

use super::result::{BenchmarkResult, ScenarioResult};
use super::schedule::{Slot, interleaved, shuffle_within_rounds};
use super::spec::{ImageRef, RunOptions, ScenarioSpec};
use crate::measure::actions::ScheduledAction;
use crate::measure::record::RunRecord;

/// Where a run stands in its experiment, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    pub scenario: &'a str,
    pub warmup: bool,
    /// The round, from 1, counted apart for warm-up and measured rounds.
    pub round: usize,
    /// Rounds of this kind in all.
    pub rounds: usize,
}

impl Step<'_> {
    pub fn what(&self) -> &'static str {
        if self.warmup { "warm-up" } else { "run" }
    }
}

/// What an experiment needs from the world: runs, pauses, and an ear for progress.
pub trait Runner {
    /// One run of `spec`, with `actions` fired while it is in progress. A run that
    /// fails (non-zero exit, timeout) is a record with a `failure`; `Err` is for what
    /// stops the experiment whatever `keep_going` says (Docker gone, an interrupt).
    fn run(
        &mut self,
        spec: &ScenarioSpec,
        options: &RunOptions,
        actions: &mut [ScheduledAction<'_>],
    ) -> Result<RunRecord>;

    /// Waits (the jitter before a run); an interrupt ends the wait with an error.
    fn pause(&mut self, duration: Duration) -> Result<()>;

    fn starting(&mut self, _step: Step<'_>) {}

    fn finished(&mut self, _step: Step<'_>, _record: &RunRecord) {}

    /// Hears the experiment so far after each measured run, compared as far as it goes,
    /// so that it can be kept where a kill cannot take it.
    fn measured(&mut self, _so_far: BenchmarkResult) {}
}

/// An experiment that stopped part-way: what it measured until then, and why it stopped.
#[derive(Debug)]
pub struct Stopped {
    pub partial: Box<BenchmarkResult>,
    pub error: anyhow::Error,
}

pub struct Experiment<'a> {
    image: &'a ImageRef,
    specs: &'a [ScenarioSpec],
    options: &'a RunOptions,
}

impl<'a> Experiment<'a> {
    /// Refuses an experiment that could not be compared: no scenarios, or two of one name.
    pub fn new(
        image: &'a ImageRef,
        specs: &'a [ScenarioSpec],
        options: &'a RunOptions,
    ) -> Result<Self> {
        if specs.is_empty() {
            bail!("no scenarios given: pass at least one, e.g. [#{{ name: \"baseline\" }}]");
        }
        let mut seen = HashSet::new();
        for spec in specs {
            if !seen.insert(spec.name.as_str()) {
                bail!(
                    "two scenarios are named `{}`: give each a distinct name",
                    spec.name
                );
            }
        }
        if let Some(baseline) = &options.baseline
            && !seen.contains(baseline.as_str())
        {
            let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "the option `baseline` names `{baseline}`, which is no scenario here: use one of {}",
                names.join(", ")
            );
        }
        Ok(Self {
            image,
            specs,
            options,
        })
    }

    /// Every run in order, then the comparison. A failed run stops the experiment unless
    /// `keep_going` is set; what was measured until then comes back in `Stopped`.
    /// `schedules` holds each scenario's actions (or is empty: none anywhere).
    pub fn run(
        &self,
        runner: &mut dyn Runner,
        schedules: &mut [Vec<ScheduledAction<'_>>],
        rng: &mut fastrand::Rng,
    ) -> Result<BenchmarkResult, Stopped> {
        let mut result = BenchmarkResult {
            name: self.image.name.clone(),
            image: self.image.tag.clone(),
            build_args: self.image.build_args.clone(),
            image_id: self.image.id.clone(),
            scenarios: self
                .specs
                .iter()
                .map(|spec| ScenarioResult {
                    planned_runs: self.options.runs,
                    warmup: self.options.warmup,
                    timeout_s: spec.timeout.unwrap_or(self.options.timeout).as_secs_f64(),
                    ..ScenarioResult::new(&spec.name, spec.profiling)
                })
                .collect(),
            complete: false,
            warnings: Vec::new(),
        };
        let mut slots = interleaved(self.specs.len(), self.options.warmup, self.options.runs);
        if self.options.shuffle {
            shuffle_within_rounds(&mut slots, self.specs.len(), rng);
        }
        let outcome = self.run_slots(runner, &slots, schedules, rng, &mut result);
        result.finalize(self.options.baseline.as_deref());
        match outcome {
            Ok(()) if !result.measured_anything() => {
                // With keep_going every run may fail; an empty result must not pass as one.
                result.complete = true;
                Err(Stopped {
                    partial: Box::new(result),
                    error: anyhow::anyhow!(
                        "benchmark `{}`: every run failed, so nothing was measured; each \
                         run's failure is in the JSON",
                        self.image.name
                    ),
                })
            }
            Ok(()) => {
                result.complete = true;
                Ok(result)
            }
            Err(error) => Err(Stopped {
                partial: Box::new(result),
                error,
            }),
        }
    }

    fn run_slots(
        &self,
        runner: &mut dyn Runner,
        slots: &[Slot],
        schedules: &mut [Vec<ScheduledAction<'_>>],
        rng: &mut fastrand::Rng,
        result: &mut BenchmarkResult,
    ) -> Result<()> {
        let options = self.options;
        for slot in slots {
            let spec = &self.specs[slot.scenario];
            let step = Step {
                scenario: &spec.name,
                warmup: slot.warmup,
                round: slot.round + 1,
                rounds: if slot.warmup {
                    options.warmup
                } else {
                    options.runs
                },
            };
            runner.starting(step);
            if !options.jitter.is_zero() {
                runner.pause(options.jitter.mul_f64(rng.f64()))?;
            }
            let actions = schedules
                .get_mut(slot.scenario)
                .map(Vec::as_mut_slice)
                .unwrap_or_default();
            let mut record = runner.run(spec, options, actions)?;
            runner.finished(step, &record);
            let failure = record.failure.clone();
            if !slot.warmup {
                record.round = Some(step.round);
                result.scenarios[slot.scenario].runs.push(record);
                let mut so_far = result.clone();
                so_far.finalize(options.baseline.as_deref());
                runner.measured(so_far);
            }
            if let Some(failure) = failure
                && !options.keep_going
            {
                bail!(
                    "benchmark `{}`, scenario `{}`, {} {}: {failure}",
                    self.image.name,
                    spec.name,
                    step.what(),
                    step.round
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! The scheduler with a fake runner: no Docker, no Rhai.

use std::cell::RefCell;

use super::*;

/// Answers every run at once: wall and CPU time from the scenario's name (`"x2"` costs
/// 2 s), a failure on the calls listed in `fail_at` (counted from 0), an error on
/// `error_at`.
#[derive(Default)]
struct FakeRunner {
    calls: Vec<(String, usize)>,
    steps: Vec<String>,
    pauses: Vec<Duration>,
    /// Measured runs in the experiment as the runner heard it after each.
    so_far: Vec<usize>,
    fail_at: Vec<usize>,
    error_at: Option<usize>,
}

impl FakeRunner {
    fn order(&self) -> Vec<&str> {
        self.calls.iter().map(|(name, _)| name.as_str()).collect()
    }
}

fn cost(name: &str) -> f64 {
    name.trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(1.0)
}

impl Runner for FakeRunner {
    fn run(
        &mut self,
        spec: &ScenarioSpec,
        _options: &RunOptions,
        actions: &mut [ScheduledAction<'_>],
    ) -> Result<RunRecord> {
        let call = self.calls.len();
        self.calls.push((spec.name.clone(), actions.len()));
        for action in actions.iter_mut() {
            (action.action)()?;
        }
        if self.error_at == Some(call) {
            bail!("interrupted");
        }
        let seconds = cost(&spec.name) * (1.0 + call as f64 * 1e-3);
        let failed = self.fail_at.contains(&call);
        Ok(RunRecord {
            wall_s: Some(seconds),
            cpu_user_s: Some(seconds),
            cpu_system_s: Some(0.0),
            max_rss_bytes: Some(1 << 20),
            exit_code: Some(if failed { 1 } else { 0 }),
            failure: failed.then(|| "exited with code 1".to_string()),
            ..Default::default()
        })
    }

    fn pause(&mut self, duration: Duration) -> Result<()> {
        self.pauses.push(duration);
        Ok(())
    }

    fn measured(&mut self, so_far: BenchmarkResult) {
        assert!(!so_far.complete);
        self.so_far.push(
            so_far
                .scenarios
                .iter()
                .map(|s| s.summary.ok_runs + s.summary.failed_runs)
                .sum(),
        );
    }

    fn starting(&mut self, step: Step<'_>) {
        self.steps.push(format!(
            "{} {} {}/{}",
            step.scenario,
            step.what(),
            step.round,
            step.rounds
        ));
    }
}

fn image() -> ImageRef {
    ImageRef {
        name: "fib".into(),
        tag: "pyrobench/fib:1".into(),
        id: Some("sha256:f1b".into()),
        build_args: Default::default(),
    }
}

fn specs(names: &[&str]) -> Vec<ScenarioSpec> {
    names
        .iter()
        .enumerate()
        .map(|(index, name)| ScenarioSpec {
            name: name.to_string(),
            profiling: index > 0,
            ..Default::default()
        })
        .collect()
}

fn options(runs: usize, warmup: usize) -> RunOptions {
    RunOptions {
        runs,
        warmup,
        ..RunOptions::default()
    }
}

fn run(
    names: &[&str],
    options: &RunOptions,
    runner: &mut FakeRunner,
) -> Result<BenchmarkResult, Stopped> {
    let (image, specs) = (image(), specs(names));
    let experiment = Experiment::new(&image, &specs, options).unwrap();
    experiment.run(runner, &mut [], &mut fastrand::Rng::with_seed(1))
}

#[test]
fn warm_up_rounds_come_first_and_are_not_recorded() {
    let mut runner = FakeRunner::default();
    let result = run(&["baseline", "up2"], &options(3, 1), &mut runner).unwrap();
    assert_eq!(
        runner.order(),
        [
            "baseline", "up2", "baseline", "up2", "baseline", "up2", "baseline", "up2"
        ]
    );
    assert_eq!(
        runner.steps[..4],
        [
            "baseline warm-up 1/1",
            "up2 warm-up 1/1",
            "baseline run 1/3",
            "up2 run 1/3"
        ]
    );
    assert!(result.complete);
    for scenario in &result.scenarios {
        let rounds: Vec<Option<usize>> = scenario.runs.iter().map(|r| r.round).collect();
        assert_eq!(rounds, [Some(1), Some(2), Some(3)], "{}", scenario.name);
    }
}

#[test]
fn the_result_compares_each_scenario_with_the_baseline() {
    let mut runner = FakeRunner::default();
    let result = run(&["baseline", "up2", "down3"], &options(6, 0), &mut runner).unwrap();
    assert_eq!(result.name, "fib");
    assert_eq!(result.image, "pyrobench/fib:1");
    assert_eq!(result.image_id.as_deref(), Some("sha256:f1b"));
    assert_eq!(result.scenarios[0].overhead, None);
    let up = result.scenarios[1].overhead.as_ref().unwrap();
    assert_eq!(up.baseline, "baseline");
    // Twice the baseline's cost, within the fake's drift of 0.1% a call.
    assert!((up.cpu_pct.unwrap() - 100.0).abs() < 1.0, "{up:?}");
    assert_eq!(up.paired_rounds, 6);
    let down = result.scenarios[2].overhead.as_ref().unwrap();
    assert!((down.wall_pct.unwrap() - 200.0).abs() < 1.0, "{down:?}");
}

#[test]
fn the_baseline_option_chooses_what_others_are_compared_with() {
    let mut runner = FakeRunner::default();
    let options = RunOptions {
        baseline: Some("ref2".into()),
        ..options(2, 0)
    };
    let result = run(&["baseline", "ref2"], &options, &mut runner).unwrap();
    assert_eq!(result.scenarios[1].overhead, None);
    let other = result.scenarios[0].overhead.as_ref().unwrap();
    assert_eq!(other.baseline, "ref2");
    assert!((other.wall_pct.unwrap() + 50.0).abs() < 1.0, "{other:?}");
}

#[test]
fn shuffling_keeps_rounds_whole_and_changes_their_order() {
    let mut runner = FakeRunner::default();
    let options = RunOptions {
        shuffle: true,
        ..options(30, 0)
    };
    let names = ["a", "b", "c"];
    run(&names, &options, &mut runner).unwrap();
    let order = runner.order();
    let mut changed = false;
    for round in order.chunks(3) {
        let mut sorted = round.to_vec();
        changed |= sorted != names;
        sorted.sort();
        assert_eq!(sorted, names);
    }
    assert!(changed, "30 shuffled rounds all kept the given order");
}

#[test]
fn jitter_pauses_before_each_run_within_its_bound() {
    let mut runner = FakeRunner::default();
    let jitter = Duration::from_millis(500);
    let jittered = RunOptions {
        jitter,
        ..options(4, 1)
    };
    run(&["baseline", "up"], &jittered, &mut runner).unwrap();
    assert_eq!(runner.pauses.len(), 10);
    assert!(runner.pauses.iter().all(|p| *p <= jitter));
    assert!(runner.pauses.iter().any(|p| !p.is_zero()));

    let mut still = FakeRunner::default();
    run(&["baseline", "up"], &options(2, 0), &mut still).unwrap();
    assert!(still.pauses.is_empty());
}

#[test]
fn a_failed_run_stops_the_experiment_and_keeps_what_was_measured() {
    let mut runner = FakeRunner {
        fail_at: vec![3],
        ..Default::default()
    };
    let stopped = run(&["baseline", "up"], &options(5, 0), &mut runner).unwrap_err();
    assert_eq!(
        stopped.error.to_string(),
        "benchmark `fib`, scenario `up`, run 2: exited with code 1"
    );
    assert_eq!(runner.calls.len(), 4, "nothing runs after the failure");
    let partial = stopped.partial;
    assert!(!partial.complete);
    assert_eq!(partial.scenarios[0].runs.len(), 2);
    assert_eq!(partial.scenarios[1].runs.len(), 2);
    assert_eq!(partial.scenarios[1].summary.failed_runs, 1);
    assert_eq!(partial.scenarios[1].summary.ok_runs, 1);
}

#[test]
fn a_failed_warm_up_stops_it_too_but_is_not_recorded() {
    let mut runner = FakeRunner {
        fail_at: vec![0],
        ..Default::default()
    };
    let stopped = run(&["baseline"], &options(3, 1), &mut runner).unwrap_err();
    assert!(
        stopped.error.to_string().contains("warm-up 1"),
        "{}",
        stopped.error
    );
    assert!(stopped.partial.scenarios[0].runs.is_empty());
}

#[test]
fn the_runner_hears_the_result_so_far_after_each_measured_run() {
    let mut runner = FakeRunner {
        fail_at: vec![4],
        ..Default::default()
    };
    run(&["baseline", "up"], &options(3, 1), &mut runner).unwrap_err();
    // Two warm-ups unheard, then three measured runs, the third of which failed.
    assert_eq!(runner.so_far, [1, 2, 3]);
}

#[test]
fn keep_going_counts_failed_runs_and_finishes() {
    let mut runner = FakeRunner {
        fail_at: vec![1, 2],
        ..Default::default()
    };
    let options = RunOptions {
        keep_going: true,
        ..options(3, 0)
    };
    let result = run(&["baseline", "up"], &options, &mut runner).unwrap();
    assert!(result.complete);
    assert_eq!(runner.calls.len(), 6);
    let summaries: Vec<(usize, usize)> = result
        .scenarios
        .iter()
        .map(|s| (s.summary.ok_runs, s.summary.failed_runs))
        .collect();
    assert_eq!(summaries, [(2, 1), (2, 1)]);
    let warnings: Vec<String> = result.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        warnings.iter().any(|w| w.contains("1 of 3 runs failed")),
        "{warnings:?}"
    );
}

#[test]
fn an_error_stops_even_with_keep_going() {
    let mut runner = FakeRunner {
        error_at: Some(2),
        ..Default::default()
    };
    let options = RunOptions {
        keep_going: true,
        ..options(3, 0)
    };
    let stopped = run(&["baseline", "up"], &options, &mut runner).unwrap_err();
    assert_eq!(stopped.error.to_string(), "interrupted");
    assert_eq!(stopped.partial.scenarios[0].runs.len(), 1);
    assert_eq!(stopped.partial.scenarios[1].runs.len(), 1);
}

#[test]
fn each_scenario_gets_its_own_schedule() {
    let fired = RefCell::new(Vec::new());
    let action = |label: &'static str| ScheduledAction {
        after: Duration::from_millis(10),
        label: label.to_string(),
        action: Box::new({
            let fired = &fired;
            move || {
                fired.borrow_mut().push(label);
                Ok(())
            }
        }),
    };
    let (image, specs) = (image(), specs(&["baseline", "outage"]));
    let options = options(2, 1);
    let mut schedules = vec![Vec::new(), vec![action("stop"), action("start")]];
    let mut runner = FakeRunner::default();
    Experiment::new(&image, &specs, &options)
        .unwrap()
        .run(
            &mut runner,
            &mut schedules,
            &mut fastrand::Rng::with_seed(1),
        )
        .unwrap();
    let actions: Vec<usize> = runner.calls.iter().map(|(_, n)| *n).collect();
    assert_eq!(actions, [0, 2, 0, 2, 0, 2]);
    assert_eq!(fired.borrow().len(), 6);
}

#[test]
fn every_run_failed_is_an_error_even_with_keep_going() {
    let mut runner = FakeRunner {
        fail_at: (0..4).collect(),
        ..Default::default()
    };
    let options = RunOptions {
        keep_going: true,
        ..options(2, 0)
    };
    let stopped = run(&["baseline", "up"], &options, &mut runner).unwrap_err();
    assert_eq!(
        stopped.error.to_string(),
        "benchmark `fib`: every run failed, so nothing was measured; each run's failure is in the JSON"
    );
    assert_eq!(runner.calls.len(), 4);
    assert_eq!(stopped.partial.scenarios[1].runs.len(), 2);
}

#[test]
fn each_scenario_records_what_was_planned() {
    let (image, mut specs) = (image(), specs(&["baseline", "up"]));
    specs[1].timeout = Some(Duration::from_secs(7));
    let options = options(3, 2);
    let result = Experiment::new(&image, &specs, &options)
        .unwrap()
        .run(
            &mut FakeRunner::default(),
            &mut [],
            &mut fastrand::Rng::with_seed(1),
        )
        .unwrap();
    let planned: Vec<(usize, usize, f64)> = result
        .scenarios
        .iter()
        .map(|s| (s.planned_runs, s.warmup, s.timeout_s))
        .collect();
    assert_eq!(planned, [(3, 2, 300.0), (3, 2, 7.0)]);
}

#[test]
fn experiments_that_cannot_be_compared_are_refused_before_any_run() {
    let (image, options) = (image(), options(1, 0));
    let none = Experiment::new(&image, &[], &options).err().unwrap();
    assert!(none.to_string().contains("no scenarios given"), "{none}");
    let twice = specs(&["a", "a"]);
    let error = Experiment::new(&image, &twice, &options).err().unwrap();
    assert_eq!(
        error.to_string(),
        "two scenarios are named `a`: give each a distinct name"
    );
    let named = RunOptions {
        baseline: Some("ref".into()),
        ..options.clone()
    };
    let error = Experiment::new(&image, &specs(&["baseline", "up"]), &named)
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "the option `baseline` names `ref`, which is no scenario here: use one of baseline, up"
    );
}

//! Results of an experiment, as written to JSON and shown in tables.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::figure::Figure;
use super::load_figure::LoadFigure;
pub use super::overhead::{Delta, Overhead};
use super::overhead::{compare_figure, overhead_against};
use super::warning::{MIN_RUNS_FOR_CI, Sway, Warning, merge_few_runs};
use crate::measure::record::{RunRecord, phase_names};
use crate::stats::{ALPHA, Spread, median, outliers, spread};

/// Medians of a scenario's successful runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub ok_runs: usize,
    pub failed_runs: usize,
    pub wall_s: Option<f64>,
    pub cpu_s: Option<f64>,
    pub max_rss_bytes: Option<f64>,
    /// Median peak memory of the container as a whole.
    #[serde(default)]
    pub container_peak_bytes: Option<f64>,
    pub docker_wall_s: Option<f64>,
    /// Median upload requests per run, when an ingester was present.
    pub ingester_requests: Option<f64>,
    /// Median profiles the ingester accepted per run.
    #[serde(default)]
    pub ingester_profiles: Option<f64>,
    /// Spread of wall time, CPU time (user + system) and peak RSS over successful runs.
    #[serde(default)]
    pub wall: Option<Spread>,
    #[serde(default)]
    pub cpu: Option<Spread>,
    #[serde(default)]
    pub rss: Option<Spread>,
    #[serde(default)]
    pub mem: Option<Spread>,
    /// Median wall and CPU seconds of each phase, in the order phases first appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseSummary>,
    /// Service runs: the spread of each load figure, by its key (`p99_ms`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub load: BTreeMap<String, Spread>,
    /// Service runs: the median of failed requests per run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_errors: Option<f64>,
    /// Scraped pull runs: medians of scrapes begun and of scrapes failed per run, and the
    /// schedule (interval and profile length, in seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrapes: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_failures: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scraped_every_s: Option<[f64; 2]>,
}

/// One phase's medians over a scenario's successful runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    pub name: String,
    /// Runs that had this phase.
    pub runs: usize,
    pub wall_s: Option<f64>,
    pub cpu_s: Option<f64>,
}

impl Summary {
    /// The spread of one figure over the successful runs.
    pub fn spread(&self, figure: Figure) -> Option<&Spread> {
        match figure {
            Figure::Wall => self.wall.as_ref(),
            Figure::Cpu => self.cpu.as_ref(),
            Figure::Rss => self.rss.as_ref(),
            Figure::Memory => self.mem.as_ref(),
        }
    }

    /// The median of one figure over the successful runs.
    pub fn median(&self, figure: Figure) -> Option<f64> {
        match figure {
            Figure::Wall => self.wall_s,
            Figure::Cpu => self.cpu_s,
            Figure::Rss => self.max_rss_bytes,
            Figure::Memory => self.container_peak_bytes,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub profiling: bool,
    /// What the experiment set out to do: measured runs, warm-up runs, each run's limit.
    #[serde(default)]
    pub planned_runs: usize,
    #[serde(default)]
    pub warmup: usize,
    #[serde(default)]
    pub timeout_s: f64,
    pub runs: Vec<RunRecord>,
    pub summary: Summary,
    /// `None` for the baseline itself.
    pub overhead: Option<Overhead>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkResult {
    pub name: String,
    pub image: String,
    /// The ID of the image every run used.
    #[serde(default)]
    pub image_id: Option<String>,
    /// The Dockerfile `ARG`s the image was built with (`build_image(dir, #{ args })`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, String>,
    pub scenarios: Vec<ScenarioResult>,
    /// False when the experiment stopped before all its runs were made.
    pub complete: bool,
    /// What a reader should know before trusting the numbers.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// Coefficient of variation of the baseline above which its noise is called out.
pub const NOISY_CV: f64 = 0.05;

fn values_of(runs: &[&RunRecord], figure: impl Fn(&RunRecord) -> Option<f64>) -> Vec<f64> {
    runs.iter().filter_map(|run| figure(run)).collect()
}

fn median_of(runs: &[&RunRecord], figure: impl Fn(&RunRecord) -> Option<f64>) -> Option<f64> {
    median(&values_of(runs, figure))
}

impl ScenarioResult {
    pub fn new(name: &str, profiling: bool) -> Self {
        Self {
            name: name.to_string(),
            profiling,
            ..Default::default()
        }
    }

    /// Too few runs, failed runs, and outlier runs that sway the figures; `base` is the
    /// scenario this one is compared with (`None` for the baseline itself).
    pub fn warnings(&self, base: Option<&ScenarioResult>) -> Vec<Warning> {
        let mut warnings = Vec::new();
        let ok = self.summary.ok_runs;
        if ok > 0 && ok < MIN_RUNS_FOR_CI {
            warnings.push(Warning::FewRuns(vec![(self.name.clone(), ok)]));
        }
        // Judged on the run's length, not on the scrapes made: a collector that refuses
        // or skips scrapes is a condition being measured, not a run too short.
        if let (Some([interval_s, _]), Some(wall_s)) =
            (self.summary.scraped_every_s, self.summary.wall_s)
            && wall_s < 2.0 * interval_s
        {
            warnings.push(Warning::FewScrapes {
                scenario: self.name.clone(),
                wall_s,
                interval_s,
            });
        }
        if self.summary.failed_runs > 0 {
            warnings.push(Warning::Failed {
                scenario: self.name.clone(),
                failed: self.summary.failed_runs,
                runs: self.runs.len(),
            });
        }
        let mut figures = Vec::new();
        let mut sways = Vec::new();
        for figure in Figure::PAIRED {
            let (flagged, sway) = self.outliers_swaying(figure, base);
            if !sway.is_empty() {
                figures.push((figure, flagged));
                sways.extend(sway);
            }
        }
        if !figures.is_empty() {
            sways.sort();
            sways.dedup();
            warnings.push(Warning::Outliers {
                scenario: self.name.clone(),
                figures,
                sways,
            });
        }
        warnings
    }

    /// The outlier values of one figure, and what leaving them out would change: the median
    /// or the mean by more than the half-width of the median's interval, or the significance
    /// of the overhead against `base`. Outliers that change none of these go unmentioned.
    fn outliers_swaying(&self, figure: Figure, base: Option<&Self>) -> (Vec<f64>, Vec<Sway>) {
        let runs: Vec<&RunRecord> = self
            .ok_runs()
            .into_iter()
            .filter(|run| figure.of(run).is_some())
            .collect();
        let values = values_of(&runs, |run| figure.of(run));
        let flagged = outliers(&values);
        if flagged.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let kept: Vec<&RunRecord> = (0..runs.len())
            .filter(|i| !flagged.contains(i))
            .map(|i| runs[i])
            .collect();
        let kept_values = values_of(&kept, |run| figure.of(run));
        let (all, without) = (spread(&values), spread(&kept_values));
        let mut sways = Vec::new();
        match all
            .as_ref()
            .and_then(Spread::half_width)
            .zip(all.zip(without))
        {
            Some((half, (all, without))) => {
                if (all.median - without.median).abs() > half {
                    sways.push(Sway::Median);
                }
                if (all.mean - without.mean).abs() > half {
                    sways.push(Sway::Mean);
                }
            }
            None => sways.push(Sway::NoInterval),
        }
        if let Some(base) = base {
            let base_runs = base.ok_runs();
            let significant = |runs: &[&RunRecord]| {
                compare_figure(&base_runs, runs, figure)
                    .p
                    .map(|p| p < ALPHA)
            };
            if significant(&runs) != significant(&kept) {
                sways.push(Sway::Significance);
            }
        }
        (flagged.iter().map(|i| values[*i]).collect(), sways)
    }

    pub fn ok_runs(&self) -> Vec<&RunRecord> {
        self.runs.iter().filter(|run| run.succeeded()).collect()
    }

    /// Medians over successful runs only: a failed or timed-out run is counted, never averaged in.
    pub fn summarize(&mut self) {
        let ok = self.ok_runs();
        let spread_of = |figure: Figure| spread(&values_of(&ok, |run| figure.of(run)));
        let spread_of_load = |figure: LoadFigure| spread(&values_of(&ok, |run| figure.of(run)));
        self.summary = Summary {
            ok_runs: ok.len(),
            failed_runs: self.runs.len() - ok.len(),
            wall_s: median_of(&ok, |run| Figure::Wall.of(run)),
            cpu_s: median_of(&ok, |run| Figure::Cpu.of(run)),
            max_rss_bytes: median_of(&ok, |run| Figure::Rss.of(run)),
            container_peak_bytes: median_of(&ok, |run| Figure::Memory.of(run)),
            docker_wall_s: median_of(&ok, |run| run.docker_wall_s),
            ingester_requests: median_of(&ok, |run| {
                run.ingester.as_ref().map(|counts| counts.requests as f64)
            }),
            ingester_profiles: median_of(&ok, |run| {
                run.ingester.as_ref().map(|counts| counts.profiles as f64)
            }),
            scrapes: median_of(&ok, |run| {
                let counts = run.ingester.as_ref()?;
                counts.scraped_every_s.map(|_| counts.scrapes as f64)
            }),
            scrape_failures: median_of(&ok, |run| {
                let counts = run.ingester.as_ref()?;
                let failed: u64 = counts.scrape_failures.values().sum();
                counts.scraped_every_s.map(|_| failed as f64)
            }),
            scraped_every_s: ok
                .iter()
                .find_map(|run| run.ingester.as_ref()?.scraped_every_s),
            wall: spread_of(Figure::Wall),
            cpu: spread_of(Figure::Cpu),
            rss: spread_of(Figure::Rss),
            mem: spread_of(Figure::Memory),
            phases: phase_names(&ok)
                .into_iter()
                .map(|name| PhaseSummary {
                    runs: ok.iter().filter(|run| run.phase(&name).is_some()).count(),
                    wall_s: median_of(&ok, |run| Some(run.phase(&name)?.0)),
                    cpu_s: median_of(&ok, |run| run.phase(&name)?.1),
                    name,
                })
                .collect(),
            load: LoadFigure::ALL
                .into_iter()
                .filter_map(|figure| Some((figure.key().to_string(), spread_of_load(figure)?)))
                .collect(),
            load_errors: median_of(&ok, |run| {
                run.load.as_ref().map(|l| l.report.error_count() as f64)
            }),
        };
    }
}

impl BenchmarkResult {
    /// The scenario others are compared with: the one named in `preferred`, else one
    /// called "baseline", else the first without profiling.
    pub fn baseline_index(&self, preferred: Option<&str>) -> Option<usize> {
        let find = |name: &str| self.scenarios.iter().position(|s| s.name == name);
        match preferred {
            Some(name) => find(name),
            None => find("baseline").or_else(|| self.scenarios.iter().position(|s| !s.profiling)),
        }
    }

    /// The scenario the others were compared with: the one their overheads name, else
    /// the default choice of `baseline_index`.
    pub fn compared_baseline(&self) -> Option<usize> {
        let named = self
            .scenarios
            .iter()
            .find_map(|s| s.overhead.as_ref().map(|o| o.baseline.as_str()));
        match named {
            Some(name) => self.scenarios.iter().position(|s| s.name == name),
            None => self.baseline_index(None),
        }
    }

    /// True when at least one run of one scenario succeeded.
    pub fn measured_anything(&self) -> bool {
        self.scenarios
            .iter()
            .any(|s| s.runs.iter().any(RunRecord::succeeded))
    }

    /// Recomputes every summary, every overhead against the baseline, and the warnings.
    pub fn finalize(&mut self, preferred_baseline: Option<&str>) {
        for scenario in &mut self.scenarios {
            scenario.summarize();
        }
        let base_index = self.baseline_index(preferred_baseline);
        let base = base_index.map(|i| &self.scenarios[i]);
        self.warnings = self
            .scenarios
            .iter()
            .enumerate()
            .flat_map(|(index, scenario)| {
                scenario.warnings(base.filter(|_| Some(index) != base_index))
            })
            .collect();
        merge_few_runs(&mut self.warnings);
        if let Some(base) = base_index.and_then(|i| self.scenarios[i].summary.wall.as_ref())
            && base.mean > 0.0
            && base.stddev / base.mean > NOISY_CV
        {
            self.warnings.push(Warning::NoisyBaseline {
                cv: base.stddev / base.mean,
                limit: NOISY_CV,
            });
        }
        let Some(base_index) = base_index else {
            return;
        };
        let base = self.scenarios[base_index].clone();
        let base_runs = base.ok_runs();
        for (index, scenario) in self.scenarios.iter_mut().enumerate() {
            scenario.overhead = (index != base_index)
                .then(|| overhead_against(&base.name, &base_runs, &scenario.ok_runs()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::change_pct;

    fn run(wall: f64, cpu: f64) -> RunRecord {
        RunRecord {
            wall_s: Some(wall),
            cpu_user_s: Some(cpu),
            cpu_system_s: Some(0.0),
            max_rss_bytes: Some(1000),
            exit_code: Some(0),
            ..Default::default()
        }
    }

    fn scenario(name: &str, profiling: bool, runs: Vec<RunRecord>) -> ScenarioResult {
        ScenarioResult {
            runs,
            ..ScenarioResult::new(name, profiling)
        }
    }

    /// A baseline and one profiled scenario, compared.
    fn compared(base: Vec<RunRecord>, profiled: Vec<RunRecord>) -> BenchmarkResult {
        let mut result = BenchmarkResult {
            scenarios: vec![
                scenario("baseline", false, base),
                scenario("profiled", true, profiled),
            ],
            ..Default::default()
        };
        result.finalize(None);
        result
    }

    #[test]
    fn overhead_is_against_the_baseline() {
        let result = compared(
            vec![run(2.0, 2.0), run(2.0, 2.0), run(9.0, 9.0)],
            vec![run(2.2, 3.0), run(2.2, 3.0), run(2.2, 3.0)],
        );
        assert_eq!(result.scenarios[0].overhead, None);
        let overhead = result.scenarios[1].overhead.clone().unwrap();
        assert!((overhead.wall_pct.unwrap() - 10.0).abs() < 1e-9);
        assert!((overhead.cpu_pct.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(overhead.rss_pct, Some(0.0));
        // scipy.stats.mannwhitneyu([2, 2, 9], [3, 3, 3]): ties, so the normal approximation.
        assert!(
            (overhead.cpu_p.unwrap() - 0.6373518882339371).abs() < 1e-9,
            "{:?}",
            overhead.cpu_p
        );
        assert_eq!(overhead.cpu_ci_pct, None);
    }

    #[test]
    fn the_overhead_lies_within_its_interval() {
        // Runs that land on one of two speeds, ~1 s or ~2 s: the baseline's median falls among
        // its 8 slow runs and the scenario's among its 8 fast ones, so the ratio of medians
        // says -46%, while run for run the two samples are the same.
        let sample = |fast: usize, slow: usize, offset: f64| -> Vec<RunRecord> {
            let at = |start: f64, i: usize| start + 0.01 * i as f64 + offset;
            (0..fast)
                .map(|i| at(1.0, i))
                .chain((0..slow).map(|i| at(2.0, i)))
                .map(|s| run(s, s))
                .collect()
        };
        let result = compared(sample(7, 8, 0.0), sample(8, 7, 0.005));
        let (base, this) = (&result.scenarios[0].summary, &result.scenarios[1].summary);
        let of_medians = change_pct(base.wall_s.unwrap(), this.wall_s.unwrap()).unwrap();
        assert!((of_medians + 46.25).abs() < 1e-9, "{of_medians}");
        let overhead = result.scenarios[1].overhead.clone().unwrap();
        for figure in Figure::PAIRED {
            let delta = overhead.delta(figure);
            let [low, high] = delta.ci_pct.unwrap();
            assert!(of_medians < low, "{figure:?}: [{low}, {high}]");
            let pct = delta.pct.unwrap();
            assert!(
                low <= pct && pct <= high,
                "{figure:?}: {pct} [{low}, {high}]"
            );
        }
        let wall = overhead.delta(Figure::Wall);
        assert!(wall.pct.unwrap().abs() < 0.5, "{wall:?}");
        assert!(wall.p.unwrap() > 0.5, "{wall:?}");
    }

    #[test]
    fn ten_runs_a_side_give_intervals_and_p_values() {
        let base: Vec<RunRecord> = (0..10)
            .map(|i| run(2.0 + i as f64 * 0.01, 2.0 + i as f64 * 0.01))
            .collect();
        let slower: Vec<RunRecord> = (0..10)
            .map(|i| run(2.0 + i as f64 * 0.01, 2.4 + i as f64 * 0.01))
            .collect();
        let result = compared(base, slower);
        let overhead = result.scenarios[1].overhead.clone().unwrap();
        assert!(overhead.cpu_p.unwrap() < 0.001, "{:?}", overhead.cpu_p);
        let [low, high] = overhead.cpu_ci_pct.unwrap();
        let cpu = overhead.cpu_pct.unwrap();
        assert!(
            low <= cpu && cpu <= high && low > 10.0,
            "{low} {cpu} {high}"
        );
        assert!(
            overhead.wall_p.unwrap() > 0.9,
            "identical wall times: {:?}",
            overhead.wall_p
        );
        let wall = result.scenarios[0].summary.wall.unwrap();
        assert_eq!(wall.median_ci, Some([2.01, 2.08]));
        assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    }

    #[test]
    fn paired_overhead_matches_runs_by_round() {
        // The machine slows from round to round; within round r the profiled run costs
        // 6 + 2r percent more CPU. Round 3 of the profiled scenario failed, round 5 has no
        // baseline.
        let with_round = |mut run: RunRecord, round: usize| {
            run.round = Some(round);
            run
        };
        let base: Vec<RunRecord> = (1..=4).map(|r| with_round(run(1.0, r as f64), r)).collect();
        let mut profiled: Vec<RunRecord> = (1..=5)
            .map(|r| with_round(run(1.0, r as f64 * (1.06 + 0.02 * r as f64)), r))
            .collect();
        profiled[2].exit_code = Some(1);
        let result = compared(base, profiled);
        let overhead = result.scenarios[1].overhead.clone().unwrap();
        assert_eq!(overhead.paired_rounds, 3, "rounds 1, 2 and 4 pair");
        // Hodges-Lehmann over +8%, +10% and +14%: the median of the six Walsh averages of
        // the logs, exp((ln 1.10 + (ln 1.08 + ln 1.14) / 2) / 2) - 1 = +10.48%.
        let expected = (((1.10f64).ln() + ((1.08f64).ln() + (1.14f64).ln()) / 2.0) / 2.0).exp();
        assert!((overhead.cpu_paired_pct.unwrap() - (expected - 1.0) * 100.0).abs() < 1e-9);
        assert!(overhead.wall_paired_pct.unwrap().abs() < 1e-9);
        // Three pairs all up: 2 of 8 sign patterns are as extreme; no interval below 6 pairs.
        assert_eq!(overhead.cpu_paired_p, Some(0.25));
        assert_eq!(overhead.cpu_paired_ci_pct, None);
        // Without rounds (runs not made in interleaved rounds) nothing is paired.
        let mut unpaired = result.clone();
        for scenario in &mut unpaired.scenarios {
            for run in &mut scenario.runs {
                run.round = None;
            }
        }
        unpaired.finalize(None);
        let overhead = unpaired.scenarios[1].overhead.clone().unwrap();
        assert_eq!(overhead.paired_rounds, 0);
        assert_eq!(overhead.cpu_paired_pct, None);
    }

    #[test]
    fn warnings_name_few_runs_failures_outliers_and_noise() {
        let mut runs: Vec<RunRecord> = (0..8).map(|i| run(2.0 + i as f64 * 0.01, 2.0)).collect();
        runs.push(run(9.0, 2.0));
        let mut failed = run(1.0, 1.0);
        failed.exit_code = Some(1);
        runs.push(failed);
        let mut result = BenchmarkResult {
            scenarios: vec![
                scenario("baseline", false, runs),
                scenario("few", true, vec![run(2.0, 2.0), run(2.1, 2.1)]),
            ],
            ..Default::default()
        };
        result.finalize(None);
        let text: Vec<String> = result.warnings.iter().map(Warning::to_string).collect();
        let text = text.join("\n");
        assert!(text.contains("`baseline`: 1 of 10 runs failed"), "{text}");
        assert!(
            text.contains(
                "`baseline`: outlier run(s) in wall time (9.000 s) (modified z-score above 3.5): \
                 without them the mean moves"
            ),
            "{text}"
        );
        assert!(
            text.contains("`few`: 2 successful runs are too few"),
            "{text}"
        );
        assert!(
            text.contains("the baseline's wall time varies by"),
            "{text}"
        );
    }

    /// Runs whose wall and CPU times are `seconds`, as one scenario.
    fn runs_of(seconds: &[f64]) -> Vec<RunRecord> {
        seconds.iter().map(|s| run(*s, *s)).collect()
    }

    /// Ten runs around 2 s with a coefficient of variation of 3%, the last a mild outlier
    /// (+9%, modified z-score 4.3).
    const CV3_WITH_MILD_OUTLIER: [f64; 10] =
        [1.99, 2.01, 1.98, 2.02, 2.00, 1.99, 2.03, 1.97, 2.01, 2.19];

    #[test]
    fn a_mild_outlier_in_ordinary_noise_is_not_a_warning() {
        let values = CV3_WITH_MILD_OUTLIER;
        assert_eq!(
            crate::stats::outliers(&values),
            [9],
            "flagged by the z-score"
        );
        let s = spread(&values).unwrap();
        assert!((s.stddev / s.mean - 0.031).abs() < 0.001, "{s:?}");
        // The same noise in the profiled scenario, 5% slower: still significant without it.
        let slower: Vec<f64> = values.iter().map(|v| v * 1.05).collect();
        let result = compared(runs_of(&values), runs_of(&slower));
        assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    }

    #[test]
    fn a_run_five_times_the_rest_is_one_warning() {
        let mut slower: Vec<f64> = CV3_WITH_MILD_OUTLIER[..9]
            .iter()
            .map(|v| v * 1.05)
            .collect();
        slower.push(5.0 * 2.1);
        let result = compared(runs_of(&CV3_WITH_MILD_OUTLIER[..9]), runs_of(&slower));
        let text: Vec<String> = result.warnings.iter().map(Warning::to_string).collect();
        assert_eq!(
            text,
            [
                "`profiled`: outlier run(s) in wall time (10.500 s) and CPU time (10.500 s) \
              (modified z-score above 3.5): without them the mean moves by more than the \
              half-width of the median's 95% interval"
            ]
        );
    }

    #[test]
    fn an_outlier_that_decides_significance_is_a_warning() {
        // Ten runs a side, the profiled ones 0.07 s slower but for the last, 20% slower than
        // the rest: with it p = 0.029, without it 0.053 (the exact U distribution). It moves
        // neither the median nor the mean by the interval's half-width (0.07 s).
        let base = [2.00, 2.02, 2.04, 2.06, 2.08, 2.10, 2.12, 2.14, 2.16, 2.18];
        let mut profiled: Vec<f64> = base.iter().map(|v| v + 0.07).collect();
        profiled[9] = 2.6;
        let result = compared(runs_of(&base), runs_of(&profiled));
        let text: Vec<String> = result.warnings.iter().map(Warning::to_string).collect();
        assert_eq!(
            text,
            [
                "`profiled`: outlier run(s) in wall time (2.600 s) and CPU time (2.600 s) \
              (modified z-score above 3.5): without them the overhead's significance changes"
            ]
        );
        let p = result.scenarios[1]
            .overhead
            .as_ref()
            .unwrap()
            .wall_p
            .unwrap();
        assert!((p - 0.028805559765312086).abs() < 1e-12, "{p}");
    }

    #[test]
    fn failed_runs_are_counted_not_averaged() {
        let mut timed_out = run(100.0, 100.0);
        timed_out.timed_out = true;
        let mut crashed = run(50.0, 50.0);
        crashed.exit_code = Some(1);
        let mut result = scenario("x", false, vec![run(1.0, 1.0), timed_out, crashed]);
        result.summarize();
        assert_eq!(result.summary.ok_runs, 1);
        assert_eq!(result.summary.failed_runs, 2);
        assert_eq!(result.summary.wall_s, Some(1.0));
    }

    #[test]
    fn baseline_falls_back_to_the_first_unprofiled_scenario() {
        let result = BenchmarkResult {
            scenarios: vec![scenario("a", true, vec![]), scenario("b", false, vec![])],
            ..Default::default()
        };
        assert_eq!(result.baseline_index(None), Some(1));
        assert_eq!(result.baseline_index(Some("a")), Some(0));
        assert_eq!(result.baseline_index(Some("zzz")), None);
    }
}

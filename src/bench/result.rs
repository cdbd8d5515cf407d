//! Results of an experiment, as written to JSON and shown in tables.

use serde::{Deserialize, Serialize};

use crate::measure::record::RunRecord;
use crate::stats::mann_whitney::{ratio_ci, u_test};
use crate::stats::signed_rank::{PairedRatio, paired_ratio};
use crate::stats::{CONFIDENCE, Spread, change_pct, median, spread};

/// Medians of a scenario's successful runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub ok_runs: usize,
    pub failed_runs: usize,
    pub wall_s: Option<f64>,
    pub cpu_s: Option<f64>,
    pub max_rss_bytes: Option<f64>,
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
}

/// Cost of a scenario against the baseline, in percent of the baseline's medians.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// The scenario this one is compared with.
    pub baseline: String,
    pub wall_pct: Option<f64>,
    pub cpu_pct: Option<f64>,
    pub rss_pct: Option<f64>,
    /// 95% interval of the overhead (Hodges-Lehmann, from the U distribution); absent
    /// when there are too few runs.
    #[serde(default)]
    pub wall_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub cpu_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub rss_ci_pct: Option<[f64; 2]>,
    /// Two-sided Mann-Whitney U p-values against the baseline.
    #[serde(default)]
    pub wall_p: Option<f64>,
    #[serde(default)]
    pub cpu_p: Option<f64>,
    #[serde(default)]
    pub rss_p: Option<f64>,
    /// Rounds in which both this scenario and the baseline ran successfully.
    #[serde(default)]
    pub paired_rounds: usize,
    /// The paired comparison: each run against the baseline run of its own round
    /// (Hodges-Lehmann estimate of the ratio, its 95% interval from the Wilcoxon
    /// signed-rank distribution, and the signed-rank p-value). Drift of the machine
    /// between rounds cancels out of it.
    #[serde(default)]
    pub wall_paired_pct: Option<f64>,
    #[serde(default)]
    pub wall_paired_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub wall_paired_p: Option<f64>,
    #[serde(default)]
    pub cpu_paired_pct: Option<f64>,
    #[serde(default)]
    pub cpu_paired_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub cpu_paired_p: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub profiling: bool,
    pub runs: Vec<RunRecord>,
    pub summary: Summary,
    /// `None` for the baseline itself.
    pub overhead: Option<Overhead>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkResult {
    pub name: String,
    pub image: String,
    pub scenarios: Vec<ScenarioResult>,
    /// False when the experiment stopped before all its runs were made.
    pub complete: bool,
    /// What a reader should know before trusting the numbers.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Coefficient of variation of the baseline above which its noise is called out.
pub const NOISY_CV: f64 = 0.05;
const FEW_RUNS: &str = "too few for a 95% confidence interval";

/// Runs below which no confidence interval of a median exists.
pub const MIN_RUNS_FOR_CI: usize = 6;

fn values_of(runs: &[&RunRecord], figure: impl Fn(&RunRecord) -> Option<f64>) -> Vec<f64> {
    runs.iter().filter_map(|run| figure(run)).collect()
}

fn median_of(runs: &[&RunRecord], figure: impl Fn(&RunRecord) -> Option<f64>) -> Option<f64> {
    median(&values_of(runs, figure))
}

fn wall(run: &RunRecord) -> Option<f64> {
    run.wall_s
}

fn rss(run: &RunRecord) -> Option<f64> {
    run.max_rss_bytes.map(|b| b as f64)
}

/// p-value and overhead interval of `scenario` against `baseline` for one figure.
fn compare_figure(
    base: &[&RunRecord],
    other: &[&RunRecord],
    figure: fn(&RunRecord) -> Option<f64>,
) -> (Option<f64>, Option<[f64; 2]>) {
    let (x, y) = (values_of(base, figure), values_of(other, figure));
    let p = u_test(&x, &y).map(|test| test.p);
    let ci = ratio_ci(&x, &y, CONFIDENCE).map(|(low, high)| [to_pct(low), to_pct(high)]);
    (p, ci)
}

fn to_pct(ratio: f64) -> f64 {
    (ratio - 1.0) * 100.0
}

/// The paired comparison of one figure, in percent of the baseline.
#[derive(Default)]
struct PairedPct {
    pct: Option<f64>,
    ci_pct: Option<[f64; 2]>,
    p: Option<f64>,
    pairs: usize,
}

impl From<PairedRatio> for PairedPct {
    fn from(paired: PairedRatio) -> Self {
        Self {
            pct: Some(to_pct(paired.ratio)),
            ci_pct: paired.ci.map(|(low, high)| [to_pct(low), to_pct(high)]),
            p: paired.p,
            pairs: paired.pairs,
        }
    }
}

/// Each successful run of `other` against the successful baseline run of the same round.
fn paired_figure(
    base: &[&RunRecord],
    other: &[&RunRecord],
    figure: fn(&RunRecord) -> Option<f64>,
) -> PairedPct {
    let base_by_round: std::collections::HashMap<usize, f64> = base
        .iter()
        .filter_map(|run| Some((run.round?, figure(run)?)))
        .collect();
    let pairs: Vec<(f64, f64)> = other
        .iter()
        .filter_map(|run| Some((*base_by_round.get(&run.round?)?, figure(run)?)))
        .collect();
    paired_ratio(&pairs, CONFIDENCE).map_or_else(PairedPct::default, PairedPct::from)
}

impl ScenarioResult {
    pub fn new(name: &str, profiling: bool) -> Self {
        Self {
            name: name.to_string(),
            profiling,
            ..Default::default()
        }
    }

    /// Medians over successful runs only: a failed or timed-out run is counted, never averaged in.
    /// Too few runs, failed runs, outliers.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let ok = self.summary.ok_runs;
        if ok > 0 && ok < MIN_RUNS_FOR_CI {
            warnings.push(format!(
                "`{}`: {ok} successful runs are {FEW_RUNS} ({MIN_RUNS_FOR_CI} or more needed)",
                self.name
            ));
        }
        if self.summary.failed_runs > 0 {
            warnings.push(format!(
                "`{}`: {} of {} runs failed or timed out; they are left out of the statistics",
                self.name,
                self.summary.failed_runs,
                self.runs.len()
            ));
        }
        let ok_runs = self.ok_runs();
        for (what, figure) in [
            ("wall time", wall as fn(&RunRecord) -> Option<f64>),
            ("CPU time", RunRecord::cpu_s),
        ] {
            let values = values_of(&ok_runs, figure);
            let flagged = crate::stats::outliers(&values);
            if !flagged.is_empty() {
                let listed: Vec<String> = flagged
                    .iter()
                    .map(|i| format!("{:.3} s", values[*i]))
                    .collect();
                warnings.push(format!(
                    "`{}`: {} outlier run(s) in {what} (modified z-score above {}): {}",
                    self.name,
                    flagged.len(),
                    crate::stats::OUTLIER_Z,
                    listed.join(", ")
                ));
            }
        }
        warnings
    }

    pub fn ok_runs(&self) -> Vec<&RunRecord> {
        self.runs.iter().filter(|run| run.succeeded()).collect()
    }

    pub fn summarize(&mut self) {
        let ok = self.ok_runs();
        self.summary = Summary {
            ok_runs: ok.len(),
            failed_runs: self.runs.len() - ok.len(),
            wall_s: median_of(&ok, |run| run.wall_s),
            cpu_s: median_of(&ok, RunRecord::cpu_s),
            max_rss_bytes: median_of(&ok, |run| run.max_rss_bytes.map(|b| b as f64)),
            docker_wall_s: median_of(&ok, |run| run.docker_wall_s),
            ingester_requests: median_of(&ok, |run| {
                run.ingester.as_ref().map(|counts| counts.requests as f64)
            }),
            ingester_profiles: median_of(&ok, |run| {
                run.ingester.as_ref().map(|counts| counts.profiles as f64)
            }),
            wall: spread(&values_of(&ok, wall)),
            cpu: spread(&values_of(&ok, RunRecord::cpu_s)),
            rss: spread(&values_of(&ok, rss)),
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

    /// Recomputes every summary, every overhead against the baseline, and the warnings.
    pub fn finalize(&mut self, preferred_baseline: Option<&str>) {
        for scenario in &mut self.scenarios {
            scenario.summarize();
        }
        let base_index = self.baseline_index(preferred_baseline);
        self.warnings = self
            .scenarios
            .iter()
            .flat_map(ScenarioResult::warnings)
            .collect();
        // One line for every scenario with too few runs, instead of one each.
        let few: Vec<String> = self
            .warnings
            .iter()
            .filter(|w| w.contains(FEW_RUNS))
            .cloned()
            .collect();
        if few.len() > 1 {
            let names: Vec<&str> = few.iter().filter_map(|w| w.split('`').nth(1)).collect();
            self.warnings.retain(|w| !w.contains(FEW_RUNS));
            self.warnings.insert(
                0,
                format!(
                    "{}: too few successful runs for a 95% confidence interval \
                     ({MIN_RUNS_FOR_CI} or more needed)",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Some(base) = base_index.and_then(|i| self.scenarios[i].summary.wall.as_ref())
            && base.mean > 0.0
            && base.stddev / base.mean > NOISY_CV
        {
            self.warnings.push(format!(
                "the baseline's wall time varies by {:.1}% (coefficient of variation), above {:.0}%: \
                 smaller overheads drown in it; quiet the machine or pin CPUs",
                base.stddev / base.mean * 100.0,
                NOISY_CV * 100.0
            ));
        }
        let Some(base_index) = base_index else {
            return;
        };
        let base = self.scenarios[base_index].clone();
        let base_runs = base.ok_runs();
        for (index, scenario) in self.scenarios.iter_mut().enumerate() {
            if index == base_index {
                scenario.overhead = None;
                continue;
            }
            let pct = |figure: fn(&Summary) -> Option<f64>| {
                change_pct(figure(&base.summary)?, figure(&scenario.summary)?)
            };
            let runs = scenario.ok_runs();
            let (wall_p, wall_ci_pct) = compare_figure(&base_runs, &runs, wall);
            let (cpu_p, cpu_ci_pct) = compare_figure(&base_runs, &runs, RunRecord::cpu_s);
            let (rss_p, rss_ci_pct) = compare_figure(&base_runs, &runs, rss);
            let paired_wall = paired_figure(&base_runs, &runs, wall);
            let paired_cpu = paired_figure(&base_runs, &runs, RunRecord::cpu_s);
            scenario.overhead = Some(Overhead {
                baseline: base.name.clone(),
                wall_pct: pct(|s| s.wall_s),
                cpu_pct: pct(|s| s.cpu_s),
                rss_pct: pct(|s| s.max_rss_bytes),
                wall_ci_pct,
                cpu_ci_pct,
                rss_ci_pct,
                wall_p,
                cpu_p,
                rss_p,
                paired_rounds: paired_cpu.pairs,
                wall_paired_pct: paired_wall.pct,
                wall_paired_ci_pct: paired_wall.ci_pct,
                wall_paired_p: paired_wall.p,
                cpu_paired_pct: paired_cpu.pct,
                cpu_paired_ci_pct: paired_cpu.ci_pct,
                cpu_paired_p: paired_cpu.p,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn overhead_is_against_the_baseline_medians() {
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
        let text = result.warnings.join("\n");
        assert!(text.contains("`baseline`: 1 of 10 runs failed"), "{text}");
        assert!(
            text.contains("`baseline`: 1 outlier run(s) in wall time") && text.contains("9.000 s"),
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

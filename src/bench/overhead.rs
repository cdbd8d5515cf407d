//! A scenario against the baseline: the overhead of each figure, its interval and p-value,
//! unpaired and paired by round.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::figure::Figure;
use super::load_figure::LoadFigure;
use crate::measure::record::{RunRecord, phase_names};
use crate::stats::mann_whitney::{ratio_estimate, shift_estimate, u_test};
use crate::stats::signed_rank::paired_ratio;
use crate::stats::{CONFIDENCE, change_pct, median};

/// Cost of a scenario against the baseline, in percent of the baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// The scenario this one is compared with.
    pub baseline: String,
    /// The Hodges-Lehmann estimate of the ratio to the baseline (the median of the ratios
    /// of every run to every baseline run, taken on logs), which `*_ci_pct` brackets; the
    /// ratio of the medians only where a value is not positive (no interval then).
    pub wall_pct: Option<f64>,
    pub cpu_pct: Option<f64>,
    pub rss_pct: Option<f64>,
    /// Peak container memory.
    #[serde(default)]
    pub mem_pct: Option<f64>,
    /// 95% interval of the overhead (Hodges-Lehmann, from the U distribution); absent
    /// when there are too few runs.
    #[serde(default)]
    pub wall_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub cpu_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub rss_ci_pct: Option<[f64; 2]>,
    #[serde(default)]
    pub mem_ci_pct: Option<[f64; 2]>,
    /// Two-sided Mann-Whitney U p-values against the baseline.
    #[serde(default)]
    pub wall_p: Option<f64>,
    #[serde(default)]
    pub cpu_p: Option<f64>,
    #[serde(default)]
    pub rss_p: Option<f64>,
    #[serde(default)]
    pub mem_p: Option<f64>,
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
    /// Each phase against the same phase of the baseline, when runs mark phases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseOverhead>,
    /// Service runs: each load figure against the baseline's, by its key (`p99_ms`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub load: BTreeMap<String, Delta>,
}

/// One phase against the baseline's: the seconds it added (what start-up and shutdown
/// are read by) and the percentage (what the work phase is read by), each with its 95%
/// interval and the U test's p-value. A run without the phase spent 0 s in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseOverhead {
    pub name: String,
    pub added_wall_s: Option<f64>,
    pub added_wall_ci_s: Option<[f64; 2]>,
    pub added_cpu_s: Option<f64>,
    pub added_cpu_ci_s: Option<[f64; 2]>,
    pub wall_pct: Option<f64>,
    pub wall_ci_pct: Option<[f64; 2]>,
    pub cpu_pct: Option<f64>,
    pub cpu_ci_pct: Option<[f64; 2]>,
    pub wall_p: Option<f64>,
    pub cpu_p: Option<f64>,
}

/// One figure's comparison with the baseline: the estimate, its 95% interval and the p-value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub pct: Option<f64>,
    pub ci_pct: Option<[f64; 2]>,
    pub p: Option<f64>,
}

impl Overhead {
    /// The unpaired comparison of one figure (Hodges-Lehmann, Mann-Whitney U).
    pub fn delta(&self, figure: Figure) -> Delta {
        match figure {
            Figure::Wall => Delta {
                pct: self.wall_pct,
                ci_pct: self.wall_ci_pct,
                p: self.wall_p,
            },
            Figure::Cpu => Delta {
                pct: self.cpu_pct,
                ci_pct: self.cpu_ci_pct,
                p: self.cpu_p,
            },
            Figure::Rss => Delta {
                pct: self.rss_pct,
                ci_pct: self.rss_ci_pct,
                p: self.rss_p,
            },
            Figure::Memory => Delta {
                pct: self.mem_pct,
                ci_pct: self.mem_ci_pct,
                p: self.mem_p,
            },
        }
    }

    /// The paired comparison of one figure; `None` for figures not paired.
    pub fn paired(&self, figure: Figure) -> Option<Delta> {
        match figure {
            Figure::Wall => Some(Delta {
                pct: self.wall_paired_pct,
                ci_pct: self.wall_paired_ci_pct,
                p: self.wall_paired_p,
            }),
            Figure::Cpu => Some(Delta {
                pct: self.cpu_paired_pct,
                ci_pct: self.cpu_paired_ci_pct,
                p: self.cpu_paired_p,
            }),
            Figure::Rss | Figure::Memory => None,
        }
    }

    fn set_delta(&mut self, figure: Figure, delta: Delta) {
        let (pct, ci_pct, p) = match figure {
            Figure::Wall => (&mut self.wall_pct, &mut self.wall_ci_pct, &mut self.wall_p),
            Figure::Cpu => (&mut self.cpu_pct, &mut self.cpu_ci_pct, &mut self.cpu_p),
            Figure::Rss => (&mut self.rss_pct, &mut self.rss_ci_pct, &mut self.rss_p),
            Figure::Memory => (&mut self.mem_pct, &mut self.mem_ci_pct, &mut self.mem_p),
        };
        (*pct, *ci_pct, *p) = (delta.pct, delta.ci_pct, delta.p);
    }

    fn set_paired(&mut self, figure: Figure, delta: Delta) {
        let (pct, ci_pct, p) = match figure {
            Figure::Wall => (
                &mut self.wall_paired_pct,
                &mut self.wall_paired_ci_pct,
                &mut self.wall_paired_p,
            ),
            Figure::Cpu => (
                &mut self.cpu_paired_pct,
                &mut self.cpu_paired_ci_pct,
                &mut self.cpu_paired_p,
            ),
            Figure::Rss | Figure::Memory => return,
        };
        (*pct, *ci_pct, *p) = (delta.pct, delta.ci_pct, delta.p);
    }
}

fn values_of(runs: &[&RunRecord], figure: Figure) -> Vec<f64> {
    values_by(runs, |run| figure.of(run))
}

fn values_by(runs: &[&RunRecord], of: impl Fn(&RunRecord) -> Option<f64>) -> Vec<f64> {
    runs.iter().filter_map(|run| of(run)).collect()
}

/// Overhead, its interval and p-value of `other` against `base` for one figure.
pub(super) fn compare_figure(base: &[&RunRecord], other: &[&RunRecord], figure: Figure) -> Delta {
    compare_values(&values_of(base, figure), &values_of(other, figure))
}

/// The ratio comparison of two samples of one figure.
fn compare_values(x: &[f64], y: &[f64]) -> Delta {
    let estimate = ratio_estimate(x, y, CONFIDENCE);
    let of_medians = || change_pct(median(x)?, median(y)?);
    Delta {
        pct: estimate.map_or_else(of_medians, |e| Some(to_pct(e.ratio))),
        ci_pct: estimate
            .and_then(|e| e.ci)
            .map(|(low, high)| [to_pct(low), to_pct(high)]),
        p: u_test(x, y).map(|test| test.p),
    }
}

/// The phases of `runs` against those of `base`; none when no run marked a phase.
fn phase_overheads(base: &[&RunRecord], runs: &[&RunRecord]) -> Vec<PhaseOverhead> {
    let all: Vec<&RunRecord> = base.iter().chain(runs).copied().collect();
    let names = phase_names(&all);
    if names.len() < 2 {
        return Vec::new();
    }
    // Seconds in the phase per run; 0 where the run never entered it.
    let wall = |runs: &[&RunRecord], name: &str| -> Vec<f64> {
        runs.iter()
            .map(|run| run.phase(name).map_or(0.0, |(wall, _)| wall))
            .collect()
    };
    let cpu = |runs: &[&RunRecord], name: &str| -> Vec<f64> {
        runs.iter()
            .filter_map(|run| run.phase(name).map_or(Some(0.0), |(_, cpu)| cpu))
            .collect()
    };
    let shift = |x: &[f64], y: &[f64]| {
        let estimate = shift_estimate(x, y, CONFIDENCE);
        (
            estimate.map(|e| e.shift),
            estimate.and_then(|e| e.ci).map(|(low, high)| [low, high]),
        )
    };
    names
        .into_iter()
        .map(|name| {
            let (base_wall, run_wall) = (wall(base, &name), wall(runs, &name));
            let (base_cpu, run_cpu) = (cpu(base, &name), cpu(runs, &name));
            let (added_wall_s, added_wall_ci_s) = shift(&base_wall, &run_wall);
            let (added_cpu_s, added_cpu_ci_s) = shift(&base_cpu, &run_cpu);
            let (wall_delta, cpu_delta) = (
                compare_values(&base_wall, &run_wall),
                compare_values(&base_cpu, &run_cpu),
            );
            PhaseOverhead {
                name,
                added_wall_s,
                added_wall_ci_s,
                added_cpu_s,
                added_cpu_ci_s,
                wall_pct: wall_delta.pct,
                wall_ci_pct: wall_delta.ci_pct,
                cpu_pct: cpu_delta.pct,
                cpu_ci_pct: cpu_delta.ci_pct,
                wall_p: wall_delta.p,
                cpu_p: cpu_delta.p,
            }
        })
        .collect()
}

fn to_pct(ratio: f64) -> f64 {
    (ratio - 1.0) * 100.0
}

/// Each successful run of `other` against the successful baseline run of the same round;
/// with the number of pairs.
fn paired_figure(base: &[&RunRecord], other: &[&RunRecord], figure: Figure) -> (Delta, usize) {
    let base_by_round: std::collections::HashMap<usize, f64> = base
        .iter()
        .filter_map(|run| Some((run.round?, figure.of(run)?)))
        .collect();
    let pairs: Vec<(f64, f64)> = other
        .iter()
        .filter_map(|run| Some((*base_by_round.get(&run.round?)?, figure.of(run)?)))
        .collect();
    match paired_ratio(&pairs, CONFIDENCE) {
        Some(paired) => (
            Delta {
                pct: Some(to_pct(paired.ratio)),
                ci_pct: paired.ci.map(|(low, high)| [to_pct(low), to_pct(high)]),
                p: paired.p,
            },
            paired.pairs,
        ),
        None => (Delta::default(), 0),
    }
}

/// A scenario's successful runs against the baseline's, figure by figure.
pub(super) fn overhead_against(
    baseline: &str,
    base_runs: &[&RunRecord],
    runs: &[&RunRecord],
) -> Overhead {
    let mut overhead = Overhead {
        baseline: baseline.to_string(),
        ..Default::default()
    };
    for figure in Figure::ALL {
        overhead.set_delta(figure, compare_figure(base_runs, runs, figure));
    }
    overhead.phases = phase_overheads(base_runs, runs);
    overhead.load = LoadFigure::ALL
        .into_iter()
        .filter_map(|figure| {
            let values = |runs: &[&RunRecord]| values_by(runs, |run| figure.of(run));
            let delta = compare_values(&values(base_runs), &values(runs));
            delta.pct.map(|_| (figure.key().to_string(), delta))
        })
        .collect();
    for figure in Figure::PAIRED {
        let (delta, pairs) = paired_figure(base_runs, runs, figure);
        overhead.set_paired(figure, delta);
        if figure == Figure::Cpu {
            overhead.paired_rounds = pairs;
        }
    }
    overhead
}

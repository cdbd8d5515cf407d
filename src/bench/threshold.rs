//! Limits a script declares for CI gating, as k6 thresholds do: a breached limit makes
//! pyrobench exit with `EXIT_THRESHOLD` once everything else is done.

use std::fmt;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::figure::Figure;
use super::load_figure::LoadFigure;
use super::result::{BenchmarkResult, ScenarioResult};

/// Stands for every scenario except the baseline.
pub const EVERY_SCENARIO: &str = "*";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    MaxWallPct,
    MaxCpuPct,
    MaxRssPct,
    MaxMemPct,
    MinProfiles,
    MaxP50Pct,
    MaxP99Pct,
    MaxCpuPerRequestPct,
    /// The closed model's throughput against the baseline's, e.g. -5 for "at most 5% less".
    MinThroughputPct,
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Metric::MaxWallPct,
        Metric::MaxCpuPct,
        Metric::MaxRssPct,
        Metric::MaxMemPct,
        Metric::MinProfiles,
        Metric::MaxP50Pct,
        Metric::MaxP99Pct,
        Metric::MaxCpuPerRequestPct,
        Metric::MinThroughputPct,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Metric::MaxWallPct => "max_wall_pct",
            Metric::MaxCpuPct => "max_cpu_pct",
            Metric::MaxRssPct => "max_rss_pct",
            Metric::MaxMemPct => "max_mem_pct",
            Metric::MinProfiles => "min_profiles",
            Metric::MaxP50Pct => "max_p50_pct",
            Metric::MaxP99Pct => "max_p99_pct",
            Metric::MaxCpuPerRequestPct => "max_cpu_per_request_pct",
            Metric::MinThroughputPct => "min_throughput_pct",
        }
    }

    pub fn parse(key: &str) -> Result<Self> {
        match Self::ALL.into_iter().find(|m| m.key() == key) {
            Some(metric) => Ok(metric),
            None => {
                let known: Vec<&str> = Self::ALL.iter().map(|m| m.key()).collect();
                bail!("unknown limit `{key}`: use {}", known.join(", "))
            }
        }
    }

    fn value(self, scenario: &ScenarioResult) -> Option<f64> {
        let figure = |figure: Figure| scenario.overhead.as_ref()?.delta(figure).pct;
        let load = |figure: LoadFigure| scenario.overhead.as_ref()?.load.get(figure.key())?.pct;
        match self {
            Metric::MaxWallPct => figure(Figure::Wall),
            Metric::MaxCpuPct => figure(Figure::Cpu),
            Metric::MaxRssPct => figure(Figure::Rss),
            Metric::MaxMemPct => figure(Figure::Memory),
            Metric::MinProfiles => scenario.summary.ingester_profiles,
            Metric::MaxP50Pct => load(LoadFigure::P50),
            Metric::MaxP99Pct => load(LoadFigure::P99),
            Metric::MaxCpuPerRequestPct => load(LoadFigure::CpuPerRequest),
            Metric::MinThroughputPct => load(LoadFigure::Throughput),
        }
    }

    fn passes(self, value: f64, limit: f64) -> bool {
        match self {
            Metric::MinProfiles | Metric::MinThroughputPct => value >= limit,
            _ => value <= limit,
        }
    }

    fn describe(self, value: f64) -> String {
        match self {
            Metric::MaxWallPct => format!("wall overhead {value:+.1}%"),
            Metric::MaxCpuPct => format!("CPU overhead {value:+.1}%"),
            Metric::MaxRssPct => format!("RSS overhead {value:+.1}%"),
            Metric::MaxMemPct => format!("container memory overhead {value:+.1}%"),
            Metric::MinProfiles => format!("{value:.0} profiles per run"),
            Metric::MaxP50Pct => format!("p50 latency overhead {value:+.1}%"),
            Metric::MaxP99Pct => format!("p99 latency overhead {value:+.1}%"),
            Metric::MaxCpuPerRequestPct => format!("CPU per request overhead {value:+.1}%"),
            Metric::MinThroughputPct => format!("throughput change {value:+.1}%"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub scenario: String,
    pub metric: Metric,
    pub limit: f64,
}

/// One limit checked against one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub benchmark: String,
    pub scenario: String,
    pub metric: Metric,
    pub limit: f64,
    /// `None` when the figure could not be measured (every run failed, say): a breach.
    pub value: Option<f64>,
    pub passed: bool,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "ok" } else { "BREACHED" };
        let measured = match self.value {
            Some(value) => self.metric.describe(value),
            None => "no figure (no successful runs to compare)".to_string(),
        };
        write!(
            f,
            "{verdict}: {} / {}: {measured}, limit {} {}",
            self.benchmark,
            self.scenario,
            self.metric.key(),
            self.limit
        )
    }
}

/// Checks every limit. A scenario named in a limit must exist; `*` covers every
/// scenario but the baseline, and skips figures a scenario cannot have (profiles where
/// no ingester listened).
pub fn evaluate(result: &BenchmarkResult, limits: &[Limit]) -> Result<Vec<Check>> {
    let base = result.compared_baseline();
    let mut checks = Vec::new();
    for limit in limits {
        if !limit.limit.is_finite() {
            bail!("limit {} must be a finite number", limit.metric.key());
        }
        let every = limit.scenario == EVERY_SCENARIO;
        let targets: Vec<(usize, &ScenarioResult)> = result
            .scenarios
            .iter()
            .enumerate()
            .filter(|(index, s)| {
                if every {
                    Some(*index) != base
                } else {
                    s.name == limit.scenario
                }
            })
            .collect();
        if targets.is_empty() && !every {
            let names: Vec<&str> = result.scenarios.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "thresholds: `{}` has no scenario `{}`: use one of {} or \"*\"",
                result.name,
                limit.scenario,
                names.join(", ")
            );
        }
        for (_, scenario) in targets {
            let value = limit.metric.value(scenario);
            if every && value.is_none() && limit.metric == Metric::MinProfiles {
                continue;
            }
            checks.push(Check {
                benchmark: result.name.clone(),
                scenario: scenario.name.clone(),
                metric: limit.metric,
                limit: limit.limit,
                value,
                passed: value.is_some_and(|v| limit.metric.passes(v, limit.limit)),
            });
        }
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::result::{Overhead, Summary};

    fn result() -> BenchmarkResult {
        let scenario = |name: &str, cpu: Option<f64>, profiles: Option<f64>| ScenarioResult {
            summary: Summary {
                ingester_profiles: profiles,
                ..Default::default()
            },
            overhead: cpu.map(|cpu| Overhead {
                baseline: "baseline".into(),
                cpu_pct: Some(cpu),
                ..Default::default()
            }),
            ..ScenarioResult::new(name, cpu.is_some())
        };
        BenchmarkResult {
            name: "fib".into(),
            scenarios: vec![
                scenario("baseline", None, None),
                scenario("up", Some(4.0), Some(1.0)),
                scenario("down", Some(9.0), None),
            ],
            ..Default::default()
        }
    }

    fn limit(scenario: &str, metric: Metric, limit: f64) -> Limit {
        Limit {
            scenario: scenario.into(),
            metric,
            limit,
        }
    }

    #[test]
    fn every_scenario_but_the_baseline_is_checked() {
        let checks = evaluate(&result(), &[limit("*", Metric::MaxCpuPct, 5.0)]).unwrap();
        let verdicts: Vec<(&str, bool)> = checks
            .iter()
            .map(|c| (c.scenario.as_str(), c.passed))
            .collect();
        assert_eq!(verdicts, [("up", true), ("down", false)]);
        assert_eq!(
            checks[1].to_string(),
            "BREACHED: fib / down: CPU overhead +9.0%, limit max_cpu_pct 5"
        );
    }

    #[test]
    fn profiles_are_a_minimum_and_missing_figures_breach() {
        let checks = evaluate(&result(), &[limit("*", Metric::MinProfiles, 1.0)]).unwrap();
        assert_eq!(checks.len(), 1, "down has no ingester: {checks:?}");
        assert!(checks[0].passed);
        let checks = evaluate(&result(), &[limit("down", Metric::MinProfiles, 1.0)]).unwrap();
        assert!(!checks[0].passed && checks[0].value.is_none());
    }

    #[test]
    fn the_baseline_the_experiment_used_is_the_one_left_out() {
        // compare(..., #{ baseline: "ref" }) beside a scenario named "baseline".
        let mut result = result();
        result.scenarios[0].overhead = Some(Overhead {
            baseline: "up".into(),
            cpu_pct: Some(2.0),
            ..Default::default()
        });
        result.scenarios[1].overhead = None;
        result.scenarios[2].overhead.as_mut().unwrap().baseline = "up".into();
        let checks = evaluate(&result, &[limit("*", Metric::MaxCpuPct, 5.0)]).unwrap();
        let checked: Vec<&str> = checks.iter().map(|c| c.scenario.as_str()).collect();
        assert_eq!(checked, ["baseline", "down"]);
        assert!(checks.iter().all(|c| c.value.is_some()), "{checks:?}");
    }

    #[test]
    fn unknown_names_are_refused() {
        let error = evaluate(&result(), &[limit("upp", Metric::MaxCpuPct, 5.0)]).unwrap_err();
        assert!(error.to_string().contains("no scenario `upp`"), "{error}");
        assert!(Metric::parse("max_cpu").is_err());
        assert_eq!(Metric::parse("max_rss_pct").unwrap(), Metric::MaxRssPct);
    }
}

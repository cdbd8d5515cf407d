//! What a reader should know before trusting an experiment's numbers.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::figure::Figure;

/// Runs below which no confidence interval of a median exists.
pub const MIN_RUNS_FOR_CI: usize = 6;

/// What leaving a figure's outlier runs out would change in its reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sway {
    /// The median moves by more than the half-width of its 95% interval.
    Median,
    /// The mean (and with it the standard deviation) moves by more than that half-width.
    Mean,
    /// The overhead against the baseline turns significant, or stops being so.
    Significance,
    /// Too few runs for an interval: nothing to weigh the outliers against.
    NoInterval,
}

impl Sway {
    fn describe(self) -> &'static str {
        match self {
            Sway::Median => {
                "without them the median moves by more than the half-width of its 95% interval"
            }
            Sway::Mean => {
                "without them the mean moves by more than the half-width of the median's 95% \
                 interval"
            }
            Sway::Significance => "without them the overhead's significance changes",
            Sway::NoInterval => "too few runs for an interval to weigh them against",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// Scenarios with too few successful runs for an interval: `(name, ok runs)`.
    FewRuns(Vec<(String, usize)>),
    Failed {
        scenario: String,
        failed: usize,
        runs: usize,
    },
    /// Outlier runs that sway what the scenario's figures say: the flagged values of each
    /// figure they sway, and how.
    Outliers {
        scenario: String,
        figures: Vec<(Figure, Vec<f64>)>,
        sways: Vec<Sway>,
    },
    /// A scraped pull scenario whose runs (median wall time) are shorter than two scrape
    /// intervals.
    FewScrapes {
        scenario: String,
        wall_s: f64,
        interval_s: f64,
    },
    /// The baseline's wall time varies by this coefficient of variation.
    NoisyBaseline { cv: f64, limit: f64 },
    /// A warning read back as text (from a script or a JSON file).
    Text(String),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::FewRuns(scenarios) => match scenarios.as_slice() {
                [(name, ok)] => write!(
                    f,
                    "`{name}`: {ok} successful runs are too few for a 95% confidence interval \
                     ({MIN_RUNS_FOR_CI} or more needed)"
                ),
                _ => {
                    let names: Vec<String> = scenarios
                        .iter()
                        .map(|(name, _)| format!("`{name}`"))
                        .collect();
                    write!(
                        f,
                        "{}: too few successful runs for a 95% confidence interval \
                         ({MIN_RUNS_FOR_CI} or more needed)",
                        names.join(", ")
                    )
                }
            },
            Warning::Failed {
                scenario,
                failed,
                runs,
            } => write!(
                f,
                "`{scenario}`: {failed} of {runs} runs failed or timed out; they are left out \
                 of the statistics"
            ),
            Warning::Outliers {
                scenario,
                figures,
                sways,
            } => {
                let listed: Vec<String> = figures
                    .iter()
                    .map(|(figure, values)| {
                        let values: Vec<String> =
                            values.iter().map(|v| format!("{v:.3} s")).collect();
                        format!("{} ({})", figure.name(), values.join(", "))
                    })
                    .collect();
                let reasons: Vec<&str> = sways.iter().map(|sway| sway.describe()).collect();
                write!(
                    f,
                    "`{scenario}`: outlier run(s) in {} (modified z-score above {}): {}",
                    listed.join(" and "),
                    crate::stats::OUTLIER_Z,
                    reasons.join("; ")
                )
            }
            Warning::FewScrapes {
                scenario,
                wall_s,
                interval_s,
            } => write!(
                f,
                "`{scenario}`: runs of {wall_s:.2} s (median) are shorter than two scrape \
                 intervals of {interval_s} s, so some hold one scrape or none: give the \
                 benchmark more work or a shorter scrape_interval_s"
            ),
            Warning::NoisyBaseline { cv, limit } => write!(
                f,
                "the baseline's wall time varies by {:.1}% (coefficient of variation), above \
                 {:.0}%: smaller overheads drown in it; quiet the machine or pin CPUs",
                cv * 100.0,
                limit * 100.0
            ),
            Warning::Text(text) => f.write_str(text),
        }
    }
}

/// Several scenarios with too few runs make one warning, placed first, instead of one each.
pub fn merge_few_runs(warnings: &mut Vec<Warning>) {
    let few: Vec<(String, usize)> = warnings
        .iter()
        .filter_map(|w| match w {
            Warning::FewRuns(scenarios) => Some(scenarios.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    if few.len() > 1 {
        warnings.retain(|w| !matches!(w, Warning::FewRuns(_)));
        warnings.insert(0, Warning::FewRuns(few));
    }
}

/// Written as its sentence, so the JSON holds plain text.
impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Warning {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Warning::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_runs_merge_into_one_line_first() {
        let mut warnings = vec![
            Warning::NoisyBaseline {
                cv: 0.071,
                limit: 0.05,
            },
            Warning::FewRuns(vec![("a".into(), 2)]),
            Warning::FewRuns(vec![("b".into(), 3)]),
        ];
        merge_few_runs(&mut warnings);
        assert_eq!(warnings.len(), 2);
        assert_eq!(
            warnings[0].to_string(),
            "`a`, `b`: too few successful runs for a 95% confidence interval (6 or more needed)"
        );
        let mut single = vec![Warning::FewRuns(vec![("a".into(), 2)])];
        merge_few_runs(&mut single);
        assert_eq!(
            single[0].to_string(),
            "`a`: 2 successful runs are too few for a 95% confidence interval (6 or more needed)"
        );
    }

    #[test]
    fn a_warning_is_written_and_read_back_as_its_text() {
        let warning = Warning::Failed {
            scenario: "up".into(),
            failed: 1,
            runs: 4,
        };
        let json = serde_json::to_string(&warning).unwrap();
        assert_eq!(
            json,
            "\"`up`: 1 of 4 runs failed or timed out; they are left out of the statistics\""
        );
        let back: Warning = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_string(), warning.to_string());
    }
}

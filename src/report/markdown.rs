//! The Markdown report: the same tables as the terminal, plus the spread of every figure.

use std::fmt::Write;

use super::{Provenance, cells, format};
use crate::bench::figure::Figure;
use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::Check;
use crate::stats::Spread;

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table_row(cells: &[String]) -> String {
    let escaped: Vec<String> = cells.iter().map(|c| escape(c)).collect();
    format!("| {} |\n", escaped.join(" | "))
}

fn spread_row(scenario: &str, figure: Figure, spread: Option<&Spread>) -> Option<String> {
    let s = spread?;
    let show = |value: Option<f64>| format::value(figure.unit(), value);
    let ci = s
        .median_ci
        .map(|[low, high]| format!("{} – {}", show(Some(low)), show(Some(high))))
        .unwrap_or_else(|| "-".to_string());
    Some(table_row(&[
        scenario.to_string(),
        figure.label().to_string(),
        show(Some(s.median)),
        ci,
        format!("{} ± {}", show(Some(s.mean)), show(Some(s.stddev))),
        show(Some(s.min)),
        show(Some(s.max)),
    ]))
}

pub fn render(provenance: &Provenance, results: &[BenchmarkResult], breaches: &[Check]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# pyrobench results\n");
    let _ = writeln!(
        out,
        "Script `{}`, pyrobench {}.",
        provenance.script,
        env!("CARGO_PKG_VERSION")
    );
    if !provenance.params.is_empty() {
        let listed: Vec<String> = provenance
            .params
            .iter()
            .map(|(k, v)| format!("`{k}={v}`"))
            .collect();
        let _ = writeln!(out, "Parameters: {}.", listed.join(", "));
    }
    let _ = writeln!(
        out,
        "\nIntervals are 95%; p-values are two-sided Mann-Whitney U; `~` marks a difference \
         that is not significant at α = 0.05."
    );
    for result in results {
        let _ = writeln!(out, "\n## {}\n", escape(&cells::title(result)));
        out.push_str(&table_row(&cells::HEADERS.map(String::from)));
        out.push_str(&table_row(&vec!["---".to_string(); cells::HEADERS.len()]));
        for row in cells::rows(result) {
            out.push_str(&table_row(&row));
        }
        let phases = cells::phase_lines(result);
        if !phases.is_empty() {
            let _ = writeln!(out, "\nOverhead {}:\n", cells::PHASE_INTRO);
            for line in phases {
                let _ = writeln!(out, "- {}", escape(&line));
            }
        }
        let scrapes = cells::scrape_lines(result);
        if !scrapes.is_empty() {
            let _ = writeln!(out, "\nThe runs {}:\n", cells::SCRAPE_INTRO);
            for line in scrapes {
                let _ = writeln!(out, "- {}", escape(&line));
            }
        }
        let load = cells::load_lines(result);
        if !load.is_empty() {
            let _ = writeln!(out, "\nThe service {}:\n", cells::LOAD_INTRO);
            for line in load {
                let _ = writeln!(out, "- {}", escape(&line));
            }
        }
        let paired = cells::paired_lines(result);
        if !paired.is_empty() {
            let _ = writeln!(out, "\nOverhead {}:\n", cells::PAIRED_INTRO);
            for line in paired {
                let _ = writeln!(out, "- {}", escape(&line));
            }
        }
        let _ = writeln!(out, "\nSpread of the successful runs:\n");
        out.push_str(&table_row(
            &[
                "scenario",
                "figure",
                "median",
                "95% CI",
                "mean ± sd",
                "min",
                "max",
            ]
            .map(String::from),
        ));
        out.push_str(&table_row(&vec!["---".to_string(); 7]));
        for scenario in &result.scenarios {
            for figure in Figure::ALL {
                let spread = scenario.summary.spread(figure);
                out.extend(spread_row(&scenario.name, figure, spread));
            }
        }
        if !result.warnings.is_empty() {
            let _ = writeln!(out, "\nWarnings:\n");
            for warning in &result.warnings {
                let _ = writeln!(out, "- {warning}");
            }
        }
    }
    if !breaches.is_empty() {
        let _ = writeln!(out, "\n## Thresholds breached\n");
        for breach in breaches {
            let _ = writeln!(out, "- {breach}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::result::BenchmarkResult;
    use crate::report::fixtures::{checks, complete, count, provenance, stopped};

    fn results() -> [BenchmarkResult; 2] {
        [complete(), stopped()]
    }

    /// The text under each `## ` heading, heading included.
    fn sections(text: &str) -> Vec<&str> {
        text.split("\n## ").skip(1).collect()
    }

    /// Cell separators of a table line, escaped pipes left out.
    fn pipes(line: &str) -> usize {
        count(line, "|") - count(line, "\\|")
    }

    #[test]
    fn a_section_per_result_with_the_summary_table() {
        let results = results();
        let text = render(&provenance(), &results, &[]);
        assert!(text.starts_with("# pyrobench results\n"));
        assert!(text.contains(&format!(
            "Script `bench/overhead.rhai`, pyrobench {}.",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(text.contains("Parameters: `agent=pyroscope`, `rate=100`."));
        let sections = sections(&text);
        assert_eq!(sections.len(), 2);
        let header = format!("| {} |", cells::HEADERS.join(" | "));
        for (section, result) in sections.iter().zip(&results) {
            assert_eq!(section.lines().next(), Some(cells::title(result).as_str()));
            assert_eq!(section.lines().filter(|l| *l == header).count(), 1);
            for scenario in &result.scenarios {
                let row = format!(
                    "| {} | {}/{} |",
                    scenario.name,
                    scenario.summary.ok_runs,
                    scenario.runs.len()
                );
                assert!(section.contains(&row), "no row {row} in\n{section}");
            }
        }
        assert!(sections[1].starts_with(
            "fibonacci-python [pyrobench/fibonacci-python:latest] (stopped part-way)\n"
        ));
        assert!(sections[0].contains("\n- pyroscope agent: wall +4.0% ["));
        assert!(!sections[1].contains("paired by round"));
    }

    #[test]
    fn a_spread_row_per_scenario_and_figure() {
        let results = results();
        let text = render(&provenance(), &results, &[]);
        for (section, result) in sections(&text).iter().zip(&results) {
            let spread_rows = section
                .lines()
                .filter(|line| {
                    line.starts_with("| ")
                        && pipes(line) == 8
                        && !line.starts_with("| scenario |")
                        && !line.starts_with("| --- |")
                })
                .count();
            let mut expected = 0;
            for scenario in &result.scenarios {
                for figure in Figure::ALL {
                    let start = format!("| {} | {} |", scenario.name, figure.label());
                    match scenario.summary.spread(figure) {
                        Some(spread) => {
                            expected += 1;
                            let median = format::value(figure.unit(), Some(spread.median));
                            assert!(
                                section.contains(&format!("{start} {median} |")),
                                "no {start} {median}"
                            );
                        }
                        None => assert!(!section.contains(&start), "{start} without runs"),
                    }
                }
            }
            assert_eq!(spread_rows, expected);
        }
        assert!(text.contains("| pyroscope agent | CPU | 2.460 s | 2.400 s – 2.508 s |"));
        assert!(text.contains("| baseline | peak RSS | 53.5 MiB |"));
        assert!(
            text.contains("| baseline | wall | 2.010 s | - |"),
            "no interval from 3 runs"
        );
    }

    #[test]
    fn warnings_are_listed_and_breaches_only_when_given() {
        let results = results();
        let text = render(&provenance(), &results, &[]);
        for (section, result) in sections(&text).iter().zip(&results) {
            let (_, listed) = section
                .split_once("\nWarnings:\n\n")
                .expect("a warnings list");
            let expected: Vec<String> = result.warnings.iter().map(|w| format!("- {w}")).collect();
            assert_eq!(
                listed
                    .lines()
                    .take_while(|l| !l.is_empty())
                    .collect::<Vec<_>>(),
                expected
            );
        }
        assert!(!text.contains("Thresholds breached"));

        let breaches: Vec<Check> = checks(&results[0])
            .into_iter()
            .filter(|c| !c.passed)
            .collect();
        let text = render(&provenance(), &results, &breaches);
        let last = *sections(&text).last().unwrap();
        assert_eq!(
            last,
            "Thresholds breached\n\n- BREACHED: fibonacci-rust / pyroscope agent: CPU overhead +20.0%, limit max_cpu_pct 10\n"
        );
    }

    #[test]
    fn pipes_in_names_do_not_split_cells() {
        let mut result = complete();
        result.scenarios[1].name = "agent | v2".into();
        result.finalize(None);
        let text = render(&provenance(), &[result], &[]);
        assert!(text.contains("| agent \\| v2 | 8/9 |"));
        // The summary table's columns and the spread table's, each with a closing pipe.
        let widths = [cells::HEADERS.len() + 1, 8];
        for line in text.lines().filter(|l| l.starts_with("| ")) {
            assert!(widths.contains(&pipes(line)), "{line}");
        }
    }
}

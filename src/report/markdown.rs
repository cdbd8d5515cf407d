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
        out.push_str(&table_row(&vec!["---".to_string(); 9]));
        for row in cells::rows(result) {
            out.push_str(&table_row(&row));
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

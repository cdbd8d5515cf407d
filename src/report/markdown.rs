//! The Markdown report: the same tables as the terminal, plus the spread of every figure.

use std::fmt::Write;

use super::{cells, format};
use crate::bench::result::BenchmarkResult;
use crate::bench::threshold::Check;
use crate::session::Settings;
use crate::stats::Spread;

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table_row(cells: &[String]) -> String {
    let escaped: Vec<String> = cells.iter().map(|c| escape(c)).collect();
    format!("| {} |\n", escaped.join(" | "))
}

fn spread_row(
    scenario: &str,
    figure: &str,
    spread: Option<&Spread>,
    show: fn(Option<f64>) -> String,
) -> Option<String> {
    let s = spread?;
    let ci = s
        .median_ci
        .map(|[low, high]| format!("{} – {}", show(Some(low)), show(Some(high))))
        .unwrap_or_else(|| "-".to_string());
    Some(table_row(&[
        scenario.to_string(),
        figure.to_string(),
        show(Some(s.median)),
        ci,
        format!("{} ± {}", show(Some(s.mean)), show(Some(s.stddev))),
        show(Some(s.min)),
        show(Some(s.max)),
    ]))
}

pub fn render(settings: &Settings, results: &[BenchmarkResult], breaches: &[Check]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# pyrobench results\n");
    let _ = writeln!(
        out,
        "Script `{}`, pyrobench {}.",
        settings.script.display(),
        env!("CARGO_PKG_VERSION")
    );
    if !settings.params.is_empty() {
        let listed: Vec<String> = settings
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
            let s = &scenario.summary;
            let rows = [
                spread_row(&scenario.name, "wall", s.wall.as_ref(), format::seconds),
                spread_row(&scenario.name, "CPU", s.cpu.as_ref(), format::seconds),
                spread_row(&scenario.name, "peak RSS", s.rss.as_ref(), format::bytes),
            ];
            out.extend(rows.into_iter().flatten());
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

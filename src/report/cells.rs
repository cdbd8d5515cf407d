//! The cells of one experiment's summary table, shared by the terminal and Markdown.

use super::format;
use crate::bench::figure::Figure;
use crate::bench::result::BenchmarkResult;

pub const HEADERS: [&str; 9] = [
    "scenario",
    "runs ok",
    "wall (median ±95% CI)",
    "CPU user+sys",
    "peak RSS",
    "docker wall (median)",
    "profiles/run",
    "wall overhead",
    "CPU overhead",
];

/// One row of text per scenario, in the order of `HEADERS`.
pub fn rows(result: &BenchmarkResult) -> Vec<[String; 9]> {
    result
        .scenarios
        .iter()
        .map(|scenario| {
            let summary = &scenario.summary;
            let overhead = |figure: Figure| match scenario.overhead.as_ref() {
                Some(o) => format::comparison(o.delta(figure)),
                None => "baseline".to_string(),
            };
            let spread =
                |figure: Figure| format::with_spread(figure.unit(), summary.spread(figure));
            [
                scenario.name.clone(),
                format!("{}/{}", summary.ok_runs, scenario.runs.len()),
                spread(Figure::Wall),
                spread(Figure::Cpu),
                spread(Figure::Rss),
                format::seconds(summary.docker_wall_s),
                summary
                    .ingester_profiles
                    .map(|n| format!("{n:.0}"))
                    .unwrap_or_else(|| "-".to_string()),
                overhead(Figure::Wall),
                overhead(Figure::Cpu),
            ]
        })
        .collect()
}

/// The paired comparison of each profiled scenario, one line each: every run against the
/// baseline run of its own round, which cancels drift between rounds. Empty when no
/// scenario has two or more rounds to pair.
pub fn paired_lines(result: &BenchmarkResult) -> Vec<String> {
    result
        .scenarios
        .iter()
        .filter_map(|scenario| {
            let o = scenario.overhead.as_ref()?;
            (o.paired_rounds >= 2).then(|| {
                let figures: Vec<String> = Figure::PAIRED
                    .into_iter()
                    .filter_map(|figure| {
                        let delta = o.paired(figure)?;
                        Some(format!("{} {}", figure.label(), format::comparison(delta)))
                    })
                    .collect();
                format!(
                    "{}: {} ({} rounds)",
                    scenario.name,
                    figures.join(", "),
                    o.paired_rounds
                )
            })
        })
        .collect()
}

/// What the paired lines are, said once above them.
pub const PAIRED_INTRO: &str = "paired by round (Wilcoxon signed-rank, Hodges-Lehmann)";

/// The line above a table: name, image, and whether it stopped part-way.
pub fn title(result: &BenchmarkResult) -> String {
    let status = if result.complete {
        ""
    } else {
        " (stopped part-way)"
    };
    format!("{} [{}]{status}", result.name, result.image)
}

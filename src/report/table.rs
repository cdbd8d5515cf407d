//! The terminal table of one experiment.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use super::format;
use crate::bench::result::BenchmarkResult;

pub fn render(result: &BenchmarkResult) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "scenario",
        "runs ok",
        "wall (median ±95% CI)",
        "CPU user+sys",
        "peak RSS",
        "docker wall (median)",
        "profiles/run",
        "wall overhead",
        "CPU overhead",
    ]);
    for scenario in &result.scenarios {
        let summary = &scenario.summary;
        let overhead = scenario.overhead.as_ref();
        let runs = format!("{}/{}", summary.ok_runs, scenario.runs.len());
        let uploads = summary
            .ingester_profiles
            .map(|n| format!("{n:.0}"))
            .unwrap_or_else(|| "-".to_string());
        let (wall, cpu) = match overhead {
            Some(o) => (
                format::delta(o.wall_pct, o.wall_ci_pct, o.wall_p),
                format::delta(o.cpu_pct, o.cpu_ci_pct, o.cpu_p),
            ),
            None => ("baseline".to_string(), "baseline".to_string()),
        };
        let cells = [
            scenario.name.clone(),
            runs,
            format::seconds_with_spread(summary.wall.as_ref()),
            format::seconds_with_spread(summary.cpu.as_ref()),
            format::bytes_with_spread(summary.rss.as_ref()),
            format::seconds(summary.docker_wall_s),
            uploads,
            wall,
            cpu,
        ];
        table.add_row(cells.into_iter().enumerate().map(|(column, text)| {
            let cell = Cell::new(text);
            if column == 0 {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        }));
    }
    let status = if result.complete {
        ""
    } else {
        " (stopped part-way)"
    };
    format!("{} [{}]{status}\n{table}", result.name, result.image)
}

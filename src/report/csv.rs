//! The CSV report: one row per scenario, every statistic in its own column.

use anyhow::Result;

use crate::bench::figure::Figure;
use crate::bench::load_figure::LoadFigure;
use crate::bench::result::{BenchmarkResult, Delta, ScenarioResult};
use crate::stats::Spread;

#[derive(Default)]
struct FigureColumns {
    median: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    mean: Option<f64>,
    stddev: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
}

impl FigureColumns {
    fn cells(&self) -> [String; 7] {
        [
            self.median,
            self.ci_low,
            self.ci_high,
            self.mean,
            self.stddev,
            self.min,
            self.max,
        ]
        .map(text)
    }
}

impl From<Option<&Spread>> for FigureColumns {
    fn from(spread: Option<&Spread>) -> Self {
        let Some(s) = spread else {
            return Self::default();
        };
        Self {
            median: Some(s.median),
            ci_low: s.median_ci.map(|[low, _]| low),
            ci_high: s.median_ci.map(|[_, high]| high),
            mean: Some(s.mean),
            stddev: Some(s.stddev),
            min: Some(s.min),
            max: Some(s.max),
        }
    }
}

/// Each phase's columns, after `phase_<name>_`: its medians, then its overhead (start-up
/// and shutdown read as added seconds, work as percentages; all are given for every phase).
const PHASE_COLUMNS: [&str; 17] = [
    "runs",
    "wall_s_median",
    "cpu_s_median",
    "added_wall_s",
    "added_wall_ci_low_s",
    "added_wall_ci_high_s",
    "added_cpu_s",
    "added_cpu_ci_low_s",
    "added_cpu_ci_high_s",
    "wall_overhead_pct",
    "wall_ci_low_pct",
    "wall_ci_high_pct",
    "wall_p",
    "cpu_overhead_pct",
    "cpu_ci_low_pct",
    "cpu_ci_high_pct",
    "cpu_p",
];

/// Every phase any scenario marked, in the order phases first appear: the same columns for
/// every row, empty where a scenario has no such phase.
fn phase_names(results: &[BenchmarkResult]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let scenarios = results.iter().flat_map(|r| &r.scenarios);
    for phase in scenarios.flat_map(|s| &s.summary.phases) {
        if !names.contains(&phase.name) {
            names.push(phase.name.clone());
        }
    }
    names
}

fn phase_cells(scenario: &ScenarioResult, name: &str) -> Vec<String> {
    let Some(summary) = scenario.summary.phases.iter().find(|p| p.name == name) else {
        return vec![String::new(); PHASE_COLUMNS.len()];
    };
    let overhead = scenario
        .overhead
        .as_ref()
        .and_then(|o| o.phases.iter().find(|p| p.name == name));
    let o = overhead.cloned().unwrap_or_default();
    let low = |ci: Option<[f64; 2]>| ci.map(|[low, _]| low);
    let high = |ci: Option<[f64; 2]>| ci.map(|[_, high]| high);
    let mut cells = vec![summary.runs.to_string()];
    cells.extend(
        [
            summary.wall_s,
            summary.cpu_s,
            o.added_wall_s,
            low(o.added_wall_ci_s),
            high(o.added_wall_ci_s),
            o.added_cpu_s,
            low(o.added_cpu_ci_s),
            high(o.added_cpu_ci_s),
            o.wall_pct,
            low(o.wall_ci_pct),
            high(o.wall_ci_pct),
            o.wall_p,
            o.cpu_pct,
            low(o.cpu_ci_pct),
            high(o.cpu_ci_pct),
            o.cpu_p,
        ]
        .map(text),
    );
    cells
}

/// A spread's columns, after its figure's name, in the order `FigureColumns::cells` gives.
const SPREAD_COLUMNS: [&str; 7] = [
    "median", "ci_low", "ci_high", "mean", "stddev", "min", "max",
];
/// A comparison's columns, in the order `delta_cells` gives.
const DELTA_COLUMNS: [&str; 4] = ["overhead_pct", "ci_low_pct", "ci_high_pct", "p"];

/// The csv crate cannot flatten nested structs, so the columns are spelt out.
fn header(phases: &[String]) -> Vec<String> {
    let mut columns: Vec<String> = [
        "benchmark",
        "image",
        "scenario",
        "profiling",
        "runs",
        "ok_runs",
        "failed_runs",
        "profiles_per_run",
    ]
    .map(String::from)
    .to_vec();
    for figure in Figure::ALL {
        for column in SPREAD_COLUMNS {
            columns.push(format!("{}_{column}", figure.column()));
        }
    }
    columns.push("baseline".into());
    for figure in Figure::ALL {
        for column in DELTA_COLUMNS {
            columns.push(format!("{}_{column}", figure.key()));
        }
    }
    columns.push("paired_rounds".into());
    for figure in Figure::PAIRED {
        for column in [
            "paired_overhead_pct",
            "paired_ci_low_pct",
            "paired_ci_high_pct",
            "paired_p",
        ] {
            columns.push(format!("{}_{column}", figure.key()));
        }
    }
    for phase in phases {
        for column in PHASE_COLUMNS {
            columns.push(format!("phase_{phase}_{column}"));
        }
    }
    for figure in LoadFigure::ALL {
        for column in SPREAD_COLUMNS {
            columns.push(format!("load_{}_{column}", figure.key()));
        }
        for column in DELTA_COLUMNS {
            columns.push(format!("load_{}_{column}", figure.key()));
        }
    }
    columns.push("load_errors_median".into());
    columns
}

fn text(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A comparison's four columns: estimate, interval low and high, p-value.
fn delta_cells(delta: Delta) -> [String; 4] {
    [
        delta.pct,
        delta.ci_pct.map(|[low, _]| low),
        delta.ci_pct.map(|[_, high]| high),
        delta.p,
    ]
    .map(text)
}

fn cells(result: &BenchmarkResult, scenario: &ScenarioResult, phases: &[String]) -> Vec<String> {
    let s = &scenario.summary;
    let mut cells = vec![
        result.name.clone(),
        result.image.clone(),
        scenario.name.clone(),
        scenario.profiling.to_string(),
        scenario.runs.len().to_string(),
        s.ok_runs.to_string(),
        s.failed_runs.to_string(),
        text(s.ingester_profiles),
    ];
    for figure in Figure::ALL {
        let f = FigureColumns::from(s.spread(figure));
        cells.extend(f.cells());
    }
    let o = scenario.overhead.clone().unwrap_or_default();
    cells.push(o.baseline.clone());
    for figure in Figure::ALL {
        cells.extend(delta_cells(o.delta(figure)));
    }
    cells.push(if scenario.overhead.is_some() {
        o.paired_rounds.to_string()
    } else {
        String::new()
    });
    for figure in Figure::PAIRED {
        cells.extend(delta_cells(o.paired(figure).unwrap_or_default()));
    }
    for phase in phases {
        cells.extend(phase_cells(scenario, phase));
    }
    for figure in LoadFigure::ALL {
        let f = FigureColumns::from(s.load.get(figure.key()));
        cells.extend(f.cells());
        let delta = o.load.get(figure.key()).copied().unwrap_or_default();
        cells.extend(delta_cells(delta));
    }
    cells.push(text(s.load_errors));
    cells
}

pub fn render(results: &[BenchmarkResult]) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let phases = phase_names(results);
    writer.write_record(header(&phases))?;
    for result in results {
        for scenario in &result.scenarios {
            writer.write_record(cells(result, scenario, &phases))?;
        }
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::report::fixtures::{close, complete, stopped, timed};

    /// Each row of the CSV, by column name; checks every row has a cell per column.
    fn table(results: &[BenchmarkResult]) -> (Vec<String>, Vec<HashMap<String, String>>) {
        let text = render(results).unwrap();
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|record| {
                let record = record.unwrap();
                assert_eq!(record.len(), headers.len(), "{record:?}");
                headers
                    .iter()
                    .cloned()
                    .zip(record.iter().map(String::from))
                    .collect()
            })
            .collect();
        (headers, rows)
    }

    /// A number column: `None` when empty.
    fn number(row: &HashMap<String, String>, column: &str) -> Option<f64> {
        let text = row
            .get(column)
            .unwrap_or_else(|| panic!("no column {column}"));
        (!text.is_empty()).then(|| text.parse().unwrap())
    }

    #[test]
    fn a_row_per_scenario_a_cell_per_column() {
        let (headers, rows) = table(&[complete(), stopped()]);
        assert_eq!(rows.len(), 5);
        let mut unique = headers.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), headers.len(), "column names repeat");
        let scenarios: Vec<(&str, &str)> = rows
            .iter()
            .map(|row| (row["benchmark"].as_str(), row["scenario"].as_str()))
            .collect();
        assert_eq!(
            scenarios,
            [
                ("fibonacci-rust", "baseline"),
                ("fibonacci-rust", "pyroscope agent"),
                ("fibonacci-rust", "pyroscope idle"),
                ("fibonacci-python", "baseline"),
                ("fibonacci-python", "pyroscope agent"),
            ]
        );
    }

    #[test]
    fn columns_hold_the_summary_and_the_overhead() {
        let results = [complete(), stopped()];
        let (_, rows) = table(&results);
        let scenarios = results.iter().flat_map(|r| &r.scenarios);
        for (row, scenario) in rows.iter().zip(scenarios) {
            let s = &scenario.summary;
            assert_eq!(row["runs"], scenario.runs.len().to_string());
            assert_eq!(row["ok_runs"], s.ok_runs.to_string());
            assert_eq!(row["failed_runs"], s.failed_runs.to_string());
            assert_eq!(row["profiling"], scenario.profiling.to_string());
            assert_eq!(number(row, "profiles_per_run"), s.ingester_profiles);
            assert_eq!(number(row, "wall_s_median"), s.wall_s);
            assert_eq!(number(row, "cpu_s_median"), s.cpu_s);
            assert_eq!(number(row, "rss_bytes_median"), s.max_rss_bytes);
            assert_eq!(number(row, "cpu_s_max"), s.cpu.map(|c| c.max));
            assert_eq!(number(row, "wall_s_stddev"), s.wall.map(|w| w.stddev));
            assert_eq!(
                number(row, "cpu_s_ci_low"),
                s.cpu.and_then(|c| c.median_ci).map(|[low, _]| low)
            );
            let Some(o) = &scenario.overhead else {
                continue;
            };
            assert_eq!(row["baseline"], o.baseline);
            assert_eq!(row["paired_rounds"], o.paired_rounds.to_string());
            assert_eq!(number(row, "cpu_overhead_pct"), o.cpu_pct);
            assert_eq!(number(row, "rss_overhead_pct"), o.rss_pct);
            assert_eq!(number(row, "cpu_p"), o.cpu_p);
            assert_eq!(
                number(row, "wall_ci_high_pct"),
                o.wall_ci_pct.map(|[_, high]| high)
            );
            assert_eq!(number(row, "wall_paired_overhead_pct"), o.wall_paired_pct);
            assert_eq!(number(row, "cpu_paired_p"), o.cpu_paired_p);
        }
        let agent = &rows[1];
        assert_eq!(agent["runs"], "9");
        assert_eq!(agent["failed_runs"], "1");
        assert_eq!(agent["profiles_per_run"], "3");
        assert_eq!(agent["paired_rounds"], "8");
        assert!(close(number(agent, "cpu_s_median").unwrap(), 2.05 * 1.2));
        assert!(close(number(agent, "cpu_overhead_pct").unwrap(), 20.0));
        assert!(number(agent, "cpu_p").unwrap() < 0.001);
        assert!(close(
            number(agent, "wall_paired_overhead_pct").unwrap(),
            4.0
        ));
    }

    #[test]
    fn baseline_rows_leave_the_overhead_columns_empty() {
        let (headers, rows) = table(&[complete(), stopped()]);
        let overhead_columns: Vec<&String> = headers
            .iter()
            .filter(|h| {
                h.ends_with("_pct")
                    || h.ends_with("_p")
                    || *h == "baseline"
                    || *h == "paired_rounds"
            })
            .collect();
        assert_eq!(
            overhead_columns.len(),
            4 * 4 + 2 + 2 * 4 + LoadFigure::ALL.len() * 4
        );
        for row in rows.iter().filter(|row| row["scenario"] == "baseline") {
            for column in &overhead_columns {
                assert_eq!(row[*column], "", "{column} of a baseline row");
            }
            assert_ne!(row["wall_s_median"], "");
        }
        // Without successful runs: no figures, but still compared with the baseline.
        let failed = &rows[4];
        assert_eq!(failed["ok_runs"], "0");
        assert_eq!(failed["wall_s_median"], "");
        assert_eq!(failed["cpu_overhead_pct"], "");
        assert_eq!(failed["baseline"], "baseline");
        assert_eq!(failed["paired_rounds"], "0");
    }

    #[test]
    fn each_phase_gets_its_columns_in_every_row() {
        let results = [complete(), timed()];
        let (headers, rows) = table(&results);
        let phase_headers: Vec<&String> =
            headers.iter().filter(|h| h.starts_with("phase_")).collect();
        assert_eq!(phase_headers.len(), 3 * PHASE_COLUMNS.len());
        assert_eq!(phase_headers[0], "phase_startup_runs");
        // The benchmark without phases leaves their cells empty.
        assert_eq!(rows[0]["phase_work_wall_s_median"], "");
        let timed = &results[1];
        let (baseline, agent) = (&rows[3], &rows[4]);
        let summary = |name: &str| {
            let phases = &timed.scenarios[1].summary.phases;
            phases.iter().find(|p| p.name == name).unwrap().clone()
        };
        assert_eq!(
            number(agent, "phase_work_wall_s_median"),
            summary("work").wall_s
        );
        assert_eq!(agent["phase_work_runs"], summary("work").runs.to_string());
        let overhead = |name: &str| {
            let o = timed.scenarios[1].overhead.as_ref().unwrap();
            o.phases.iter().find(|p| p.name == name).unwrap().clone()
        };
        let shutdown = overhead("shutdown");
        assert_eq!(
            number(agent, "phase_shutdown_added_wall_s"),
            shutdown.added_wall_s
        );
        assert_eq!(
            number(agent, "phase_shutdown_added_wall_ci_high_s"),
            shutdown.added_wall_ci_s.map(|[_, high]| high)
        );
        assert_eq!(
            number(agent, "phase_work_wall_overhead_pct"),
            overhead("work").wall_pct
        );
        assert!(number(agent, "phase_work_wall_overhead_pct").is_some());
        // The baseline has its phases' medians, and no overhead.
        assert_ne!(baseline["phase_work_wall_s_median"], "");
        assert_eq!(baseline["phase_work_wall_overhead_pct"], "");
        assert_eq!(baseline["phase_shutdown_added_wall_s"], "");
    }
}

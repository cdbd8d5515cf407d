//! The CSV report: one row per scenario, every statistic in its own column.

use anyhow::Result;

use crate::bench::result::{BenchmarkResult, ScenarioResult};
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

#[derive(Default)]
struct OverheadColumns {
    pct: Option<f64>,
    ci_low_pct: Option<f64>,
    ci_high_pct: Option<f64>,
    p: Option<f64>,
}

impl OverheadColumns {
    fn new(pct: Option<f64>, ci: Option<[f64; 2]>, p: Option<f64>) -> Self {
        Self {
            pct,
            ci_low_pct: ci.map(|[low, _]| low),
            ci_high_pct: ci.map(|[_, high]| high),
            p,
        }
    }
}

/// The csv crate cannot flatten nested structs, so the columns are spelt out.
fn header() -> Vec<String> {
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
    for figure in ["wall_s", "cpu_s", "rss_bytes"] {
        for column in [
            "median", "ci_low", "ci_high", "mean", "stddev", "min", "max",
        ] {
            columns.push(format!("{figure}_{column}"));
        }
    }
    columns.push("baseline".into());
    for figure in ["wall", "cpu", "rss"] {
        for column in ["overhead_pct", "ci_low_pct", "ci_high_pct", "p"] {
            columns.push(format!("{figure}_{column}"));
        }
    }
    columns.push("paired_rounds".into());
    for figure in ["wall", "cpu"] {
        for column in [
            "paired_overhead_pct",
            "paired_ci_low_pct",
            "paired_ci_high_pct",
            "paired_p",
        ] {
            columns.push(format!("{figure}_{column}"));
        }
    }
    columns
}

fn cells(result: &BenchmarkResult, scenario: &ScenarioResult) -> Vec<String> {
    fn text(value: Option<f64>) -> String {
        value.map(|v| v.to_string()).unwrap_or_default()
    }
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
    for spread in [s.wall.as_ref(), s.cpu.as_ref(), s.rss.as_ref()] {
        let f = FigureColumns::from(spread);
        cells.extend(
            [
                f.median, f.ci_low, f.ci_high, f.mean, f.stddev, f.min, f.max,
            ]
            .map(text),
        );
    }
    let o = scenario.overhead.clone().unwrap_or_default();
    let overhead = |columns: OverheadColumns| {
        [
            columns.pct,
            columns.ci_low_pct,
            columns.ci_high_pct,
            columns.p,
        ]
        .map(text)
    };
    cells.push(o.baseline.clone());
    for columns in [
        OverheadColumns::new(o.wall_pct, o.wall_ci_pct, o.wall_p),
        OverheadColumns::new(o.cpu_pct, o.cpu_ci_pct, o.cpu_p),
        OverheadColumns::new(o.rss_pct, o.rss_ci_pct, o.rss_p),
    ] {
        cells.extend(overhead(columns));
    }
    cells.push(if scenario.overhead.is_some() {
        o.paired_rounds.to_string()
    } else {
        String::new()
    });
    cells.extend(overhead(OverheadColumns::new(
        o.wall_paired_pct,
        o.wall_paired_ci_pct,
        o.wall_paired_p,
    )));
    cells.extend(overhead(OverheadColumns::new(
        o.cpu_paired_pct,
        o.cpu_paired_ci_pct,
        o.cpu_paired_p,
    )));
    cells
}

pub fn render(results: &[BenchmarkResult]) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header())?;
    for result in results {
        for scenario in &result.scenarios {
            writer.write_record(cells(result, scenario))?;
        }
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

//! The CSV report: one row per scenario, every statistic in its own column.

use anyhow::Result;

use crate::bench::figure::Figure;
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
    for figure in Figure::ALL {
        for column in [
            "median", "ci_low", "ci_high", "mean", "stddev", "min", "max",
        ] {
            columns.push(format!("{}_{column}", figure.column()));
        }
    }
    columns.push("baseline".into());
    for figure in Figure::ALL {
        for column in ["overhead_pct", "ci_low_pct", "ci_high_pct", "p"] {
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

fn cells(result: &BenchmarkResult, scenario: &ScenarioResult) -> Vec<String> {
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
        cells.extend(
            [
                f.median, f.ci_low, f.ci_high, f.mean, f.stddev, f.min, f.max,
            ]
            .map(text),
        );
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

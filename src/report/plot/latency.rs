//! The latency row of the plot, for service runs: each scenario's latency percentiles
//! (p50 to max) on a log axis, every run as a faint line and the median over runs bold.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{category_label, palette};
use crate::bench::result::BenchmarkResult;
use crate::load::LatencyMs;

const PERCENTILES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];

fn points(l: &LatencyMs) -> [f64; 5] {
    [l.p50, l.p90, l.p99, l.p999, l.max]
}

/// Each scenario's successful runs' percentiles, by the scenario's index (its color).
pub struct Row<'a> {
    pub name: &'a str,
    pub scenarios: Vec<(usize, &'a str, Vec<[f64; 5]>)>,
}

impl<'a> Row<'a> {
    /// `None` unless some run was loaded: no row is drawn.
    pub fn of(result: &'a BenchmarkResult) -> Option<Self> {
        let scenarios: Vec<_> = result
            .scenarios
            .iter()
            .enumerate()
            .filter_map(|(index, scenario)| {
                let runs: Vec<[f64; 5]> = scenario
                    .runs
                    .iter()
                    .filter(|run| run.succeeded())
                    .filter_map(|run| run.load.as_ref()?.report.latency_ms.as_ref().map(points))
                    .collect();
                (!runs.is_empty()).then_some((index, scenario.name.as_str(), runs))
            })
            .collect();
        (!scenarios.is_empty()).then_some(Row {
            name: &result.name,
            scenarios,
        })
    }

    fn median(runs: &[[f64; 5]]) -> Vec<(f64, f64)> {
        (0..5)
            .filter_map(|i| {
                let column: Vec<f64> = runs.iter().map(|r| r[i]).collect();
                Some((i as f64, crate::stats::median(&column)?))
            })
            .collect()
    }
}

pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    row: &Row<'_>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let all = row
        .scenarios
        .iter()
        .flat_map(|(_, _, runs)| runs.iter().flatten().copied())
        .filter(|v| *v > 0.0);
    let (low, high) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (low, high) = if low.is_finite() {
        (low / 1.5, (high * 1.5).max(low * 2.0))
    } else {
        (0.1, 10.0)
    };
    let label = category_label(PERCENTILES.map(String::from).to_vec());
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{}: latency under load (median over runs bold; each run faint)",
                row.name
            ),
            ("sans-serif", 16),
        )
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.2f64..4.2, (low..high).log_scale())?;
    chart
        .configure_mesh()
        .x_labels(PERCENTILES.len())
        .x_label_formatter(&label)
        .y_desc("ms (log)")
        .draw()?;
    for (index, name, runs) in &row.scenarios {
        let color = palette(*index);
        for run in runs {
            chart.draw_series(std::iter::once(PathElement::new(
                run.iter()
                    .enumerate()
                    .map(|(i, v)| (i as f64, *v))
                    .collect::<Vec<_>>(),
                color.mix(0.25).stroke_width(1),
            )))?;
        }
        let median = Row::median(runs);
        chart
            .draw_series(LineSeries::new(median.clone(), color.stroke_width(3)))?
            .label(name.to_string())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(3))
            });
        chart.draw_series(median.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

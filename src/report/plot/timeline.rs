//! The timeline row of the plot: the container's CPU rate and memory over one
//! representative run of each scenario, with the run's phases and the ingester's uploads
//! marked on it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette;
use crate::bench::result::{BenchmarkResult, ScenarioResult};
use crate::measure::record::{RunRecord, Timeline};

const MIB: f64 = 1024.0 * 1024.0;

/// The run of each scenario a timeline shows, by the scenario's index.
pub struct Row<'a> {
    pub name: &'a str,
    /// Scenario index (its color), scenario name, the run's position in the scenario (from
    /// 1), and the run.
    pub runs: Vec<(usize, &'a str, usize, &'a RunRecord)>,
}

/// The successful run with a timeline whose wall time is closest to the median wall time of
/// the scenario's successful runs; the first such in run order on a tie.
pub fn representative(scenario: &ScenarioResult) -> Option<(usize, &RunRecord)> {
    let ok: Vec<f64> = scenario
        .runs
        .iter()
        .filter(|run| run.succeeded())
        .filter_map(|run| run.wall_s)
        .collect();
    let median = crate::stats::median(&ok)?;
    scenario
        .runs
        .iter()
        .enumerate()
        .filter(|(_, run)| run.succeeded() && has_samples(run.timeline.as_ref()))
        .filter_map(|(i, run)| Some((i + 1, run, (run.wall_s? - median).abs())))
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(i, run, _)| (i, run))
}

fn has_samples(timeline: Option<&Timeline>) -> bool {
    timeline.is_some_and(|t| !t.samples.is_empty())
}

impl<'a> Row<'a> {
    /// `None` when no scenario has a successful run with a timeline: no row is drawn.
    pub fn of(result: &'a BenchmarkResult) -> Option<Self> {
        let runs: Vec<_> = result
            .scenarios
            .iter()
            .enumerate()
            .filter_map(|(index, scenario)| {
                let (position, run) = representative(scenario)?;
                Some((index, scenario.name.as_str(), position, run))
            })
            .collect();
        (!runs.is_empty()).then_some(Row {
            name: &result.name,
            runs,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Cpu,
    Memory,
}

impl Kind {
    pub fn caption(self, benchmark: &str) -> String {
        match self {
            Kind::Cpu => format!(
                "{benchmark}: CPU over time, per scenario the run nearest its median wall time"
            ),
            Kind::Memory => format!("{benchmark}: container memory over time, the same runs"),
        }
    }

    fn y_desc(self) -> &'static str {
        match self {
            Kind::Cpu => "cores busy",
            Kind::Memory => "MiB",
        }
    }

    /// The line of one run: the CPU rate as a step over each interval between samples, or
    /// the memory at each sample.
    pub fn points(self, timeline: &Timeline) -> Vec<(f64, f64)> {
        match self {
            Kind::Cpu => timeline
                .samples
                .windows(2)
                .filter(|pair| pair[1][0] > pair[0][0])
                .flat_map(|pair| {
                    let [t0, cpu0, _] = pair[0];
                    let [t1, cpu1, _] = pair[1];
                    let rate = ((cpu1 - cpu0) / (t1 - t0)).max(0.0);
                    [(t0, rate), (t1, rate)]
                })
                .collect(),
            Kind::Memory => timeline
                .samples
                .iter()
                .map(|[t, _, bytes]| (*t, bytes / MIB))
                .collect(),
        }
    }
}

/// Uploads with a time: `(t_s, answered 200)`.
pub fn uploads(run: &RunRecord) -> Vec<(f64, bool)> {
    run.ingester
        .iter()
        .flat_map(|counts| &counts.timeline)
        .filter_map(|event| Some((event.t_s?, event.status == "200")))
        .collect()
}

pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    row: &Row<'_>,
    kind: Kind,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let lines: Vec<Vec<(f64, f64)>> = row
        .runs
        .iter()
        .map(|(_, _, _, run)| {
            run.timeline
                .as_ref()
                .map_or_else(Vec::new, |t| kind.points(t))
        })
        .collect();
    let x_high = row
        .runs
        .iter()
        .flat_map(|(_, _, _, run)| {
            let phases = run.phases.iter().map(|p| p.start_s + p.wall_s);
            let uploads = uploads(run).into_iter().map(|(t, _)| t);
            phases.chain(uploads).chain(run.wall_s)
        })
        .chain(lines.iter().flatten().map(|p| p.0))
        .filter(|t| t.is_finite())
        .fold(0.0f64, f64::max);
    let x_high = if x_high > 0.0 { x_high * 1.02 } else { 1.0 };
    let y_max = lines.iter().flatten().map(|p| p.1).fold(0.0f64, f64::max);
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    // Below zero, a strip for the uploads; above the data, room for the phase names.
    let scenarios = row.runs.len() as f64;
    let strip = y_max * 0.05 * (scenarios + 1.0);
    let label_step = y_max * 0.07;
    let y_high = y_max * 1.05 + label_step * scenarios;
    let mut chart = ChartBuilder::on(area)
        .caption(kind.caption(row.name), ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_high, -strip..y_high)?;
    chart
        .configure_mesh()
        .light_line_style(BLACK.mix(0.03))
        .x_labels(12)
        .y_labels(8)
        .y_label_formatter(&|v: &f64| match kind {
            _ if *v < -1e-9 => String::new(),
            Kind::Cpu => format!("{v:.1}"),
            Kind::Memory => format!("{v:.0}"),
        })
        .x_desc("seconds since the command started (uploads: since the container started)")
        .y_desc(kind.y_desc())
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (x_high, 0.0)],
        BLACK.mix(0.4).stroke_width(1),
    )))?;
    for (order, ((index, name, position, run), line)) in row.runs.iter().zip(&lines).enumerate() {
        let color = palette(*index);
        // Phases: a line at each start, named at the top, one label row per scenario.
        let label_y = y_high - label_step * (order as f64 + 0.15);
        for phase in &run.phases {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(phase.start_s, 0.0), (phase.start_s, label_y)],
                color.mix(0.6).stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!(" {}", phase.name),
                (phase.start_s, label_y),
                ("sans-serif", 13).into_font().color(&color),
            )))?;
        }
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(format!("{name} (run {position})"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        // Uploads: a row of markers per scenario under the axis.
        let marker_y = -strip * (order as f64 + 1.0) / (scenarios + 1.0);
        for (t, ok) in uploads(run) {
            if ok {
                chart.draw_series(std::iter::once(TriangleMarker::new(
                    (t, marker_y),
                    5,
                    color.filled(),
                )))?;
            } else {
                chart.draw_series(std::iter::once(Cross::new(
                    (t, marker_y),
                    4,
                    color.stroke_width(2),
                )))?;
            }
        }
    }
    let any_uploads = row
        .runs
        .iter()
        .any(|(_, _, _, run)| !uploads(run).is_empty());
    if any_uploads {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
            .label("upload, answered 200")
            .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, BLACK.filled()));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
            .label("upload, other outcome")
            .legend(|(x, y)| Cross::new((x + 8, y), 4, BLACK.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.5))
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

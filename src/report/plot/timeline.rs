//! The timeline row of the plot: the container's CPU rate and memory over one
//! representative run of each scenario, with the run's phases and the ingester's uploads
//! marked on it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// Pixels right of each timeline panel's plot, for its legend.
const LEGEND_WIDTH: u32 = 170;
/// About the width of a character of the phase names, in pixels.
const CHAR_PX: f64 = 7.5;

/// Where each phase's name goes, and the name: a phase that starts too close to the one
/// before for its name to fit shares that one's label (`startup/work`).
pub fn phase_labels(run: &RunRecord, seconds_per_px: f64) -> Vec<(f64, String)> {
    let mut labels: Vec<(f64, String)> = Vec::new();
    for phase in &run.phases {
        match labels.last_mut() {
            Some((x, label))
                if phase.start_s - *x < (label.len() + 1) as f64 * CHAR_PX * seconds_per_px =>
            {
                label.push('/');
                label.push_str(&phase.name);
            }
            _ => labels.push((phase.start_s, phase.name.clone())),
        }
    }
    labels
}

enum Glyph {
    Line,
    Triangle,
    Cross,
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
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_high, -strip..y_high)?;
    let plot_width = f64::from(chart.plotting_area().dim_in_pixel().0.max(1));
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
    let mut legend: Vec<(Glyph, RGBColor, String)> = Vec::new();
    for (order, ((index, name, position, run), line)) in row.runs.iter().zip(&lines).enumerate() {
        let color = palette(*index);
        // Phases: a line at each start, named at the top, one label row per scenario.
        let label_y = y_high - label_step * (order as f64 + 0.15);
        for phase in &run.phases {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(phase.start_s, 0.0), (phase.start_s, label_y)],
                color.mix(0.6).stroke_width(1),
            )))?;
        }
        for (x, label) in phase_labels(run, x_high / plot_width) {
            // Names near the right edge end at their line rather than run off the panel.
            let (h_pos, text) = if x > x_high * 0.8 {
                (HPos::Right, format!("{label} "))
            } else {
                (HPos::Left, format!(" {label}"))
            };
            let style = ("sans-serif", 13)
                .into_font()
                .color(&color)
                .pos(Pos::new(h_pos, VPos::Top));
            chart.draw_series(std::iter::once(Text::new(text, (x, label_y), style)))?;
        }
        chart.draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?;
        legend.push((Glyph::Line, color, format!("{name} (run {position})")));
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
    if row
        .runs
        .iter()
        .any(|(_, _, _, run)| !uploads(run).is_empty())
    {
        legend.push((Glyph::Triangle, BLACK, "upload, answered 200".into()));
        legend.push((Glyph::Cross, BLACK, "upload, other outcome".into()));
    }
    // The legend right of the plot, in the margin kept for it, so that it hides neither
    // lines nor names; drawn on the panel, as the plot's own area would clip it.
    let (width, _) = area.dim_in_pixel();
    let left = width as i32 - LEGEND_WIDTH as i32 + 4;
    for (i, (glyph, color, text)) in legend.into_iter().enumerate() {
        let y = 44 + 18 * i as i32;
        match glyph {
            Glyph::Line => area.draw(&PathElement::new(
                vec![(left, y), (left + 16, y)],
                color.stroke_width(2),
            ))?,
            Glyph::Triangle => area.draw(&TriangleMarker::new((left + 8, y), 5, color.filled()))?,
            Glyph::Cross => area.draw(&Cross::new((left + 8, y), 4, color.stroke_width(2)))?,
        }
        let style = ("sans-serif", 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(text, (left + 22, y), style))?;
    }
    Ok(())
}

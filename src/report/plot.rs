//! The SVG plot: every run of every scenario as a point, the median as a bar, and the
//! baseline's 95% interval as a band across each panel; under it, when the runs have
//! timelines, CPU and memory over time (`timeline`), and for a loaded service its latency
//! percentiles (`latency`).

mod latency;
mod timeline;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::bench::figure::{Figure, Unit};
use crate::bench::result::{BenchmarkResult, ScenarioResult};

const PANEL_WIDTH: u32 = 420;
const PANEL_HEIGHT: u32 = 320;

/// The axis title of a figure, and the factor from its unit to the axis.
fn axis(figure: Figure) -> (&'static str, f64) {
    match figure.unit() {
        Unit::Seconds => ("seconds", 1.0),
        Unit::Bytes => ("MiB", 1.0 / (1024.0 * 1024.0)),
    }
}

fn values(scenario: &ScenarioResult, figure: Figure) -> Vec<f64> {
    let (_, scale) = axis(figure);
    scenario
        .runs
        .iter()
        .filter(|run| run.succeeded())
        .filter_map(|run| figure.of(run).map(|v| v * scale))
        .collect()
}

/// The baseline band: the median's 95% interval, or its range when runs are too few.
fn band(result: &BenchmarkResult, figure: Figure) -> Option<(f64, f64)> {
    let base = &result.scenarios[result.compared_baseline()?];
    let spread = crate::stats::spread(&values(base, figure))?;
    Some(match spread.median_ci {
        Some([low, high]) => (low, high),
        None => (spread.min, spread.max),
    })
}

/// An x axis of categories at 0, 1, 2...: each whole x gets its name, nothing else a label.
fn category_label(names: Vec<String>) -> impl Fn(&f64) -> String {
    move |x: &f64| {
        let nearest = x.round();
        if (x - nearest).abs() < 1e-6 && nearest >= 0.0 {
            names.get(nearest as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

fn palette(index: usize) -> RGBColor {
    const COLORS: [RGBColor; 6] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(255, 127, 14),
        RGBColor(23, 190, 207),
    ];
    COLORS[index % COLORS.len()]
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    result: &BenchmarkResult,
    figure: Figure,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let columns: Vec<Vec<f64>> = result.scenarios.iter().map(|s| values(s, figure)).collect();
    let all: Vec<f64> = columns.iter().flatten().copied().collect();
    let (low, high) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let (low, high) = if low.is_finite() {
        let pad = ((high - low) * 0.1).max(high.abs() * 0.01).max(1e-9);
        ((low - pad).max(0.0), high + pad)
    } else {
        (0.0, 1.0)
    };
    let count = result.scenarios.len().max(1);
    let label = category_label(result.scenarios.iter().map(|s| s.name.clone()).collect());
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{}: {} (band: baseline 95% CI)",
                result.name,
                figure.title()
            ),
            ("sans-serif", 16),
        )
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(count as f64 - 0.5), low..high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(count + 1)
        .x_label_formatter(&label)
        .y_desc(axis(figure).0)
        .draw()?;
    if let Some((band_low, band_high)) = band(result, figure) {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-0.5, band_low), (count as f64 - 0.5, band_high)],
            palette(0).mix(0.15).filled(),
        )))?;
    }
    for (index, column) in columns.iter().enumerate() {
        let color = palette(index);
        let width = column.len().max(1) as f64;
        // Spread the runs evenly across the column, in run order, so none hide another.
        chart.draw_series(column.iter().enumerate().map(|(i, v)| {
            let x = index as f64 - 0.25 + 0.5 * (i as f64 + 0.5) / width;
            Circle::new((x, *v), 3, color.mix(0.8).filled())
        }))?;
        if let Some(median) = crate::stats::median(column) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(index as f64 - 0.35, median), (index as f64 + 0.35, median)],
                BLACK.stroke_width(2),
            )))?;
        }
    }
    Ok(())
}

/// One row of panels per experiment: wall time, CPU time, peak RSS, container memory; and
/// when its runs have timelines, a second row: CPU and memory over time.
pub fn render(results: &[BenchmarkResult]) -> Result<String> {
    let timelines: Vec<Option<timeline::Row>> = results.iter().map(timeline::Row::of).collect();
    let latencies: Vec<Option<latency::Row>> = results.iter().map(latency::Row::of).collect();
    let mut svg = String::new();
    {
        let rows =
            results.len() + timelines.iter().flatten().count() + latencies.iter().flatten().count();
        let size = (
            PANEL_WIDTH * Figure::ALL.len() as u32,
            PANEL_HEIGHT * rows.max(1) as u32,
        );
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let fail = |e: &dyn std::fmt::Display| anyhow!("cannot draw the plot: {e}");
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let areas = root.split_evenly((rows.max(1), 1));
        let mut areas = areas.iter();
        for ((result, row), latency) in results.iter().zip(&timelines).zip(&latencies) {
            let Some(area) = areas.next() else { break };
            let panels = area.split_evenly((1, Figure::ALL.len()));
            for (panel, figure) in panels.iter().zip(Figure::ALL) {
                draw_panel(panel, result, figure).map_err(|e| fail(&e))?;
            }
            // Only a result with timelines takes a second row.
            if let Some(row) = row
                && let Some(area) = areas.next()
            {
                let halves = area.split_evenly((1, 2));
                timeline::draw(&halves[0], row, timeline::Kind::Cpu).map_err(|e| fail(&e))?;
                timeline::draw(&halves[1], row, timeline::Kind::Memory).map_err(|e| fail(&e))?;
            }
            // A loaded service's latency percentiles take a row of their own.
            if let Some(latency) = latency
                && let Some(area) = areas.next()
            {
                let halves = area.split_evenly((1, 2));
                latency::draw(&halves[0], latency).map_err(|e| fail(&e))?;
            }
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// A line chart a script draws: one line per series, points marked.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

fn range_of(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let low = if from_zero { low.min(0.0) } else { low };
    let pad = ((high - low) * 0.08).max(1e-9);
    (
        low - if from_zero && low == 0.0 { 0.0 } else { pad },
        high + pad,
    )
}

pub fn render_lines(chart: &LineChart) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        let fail = |e: &dyn std::fmt::Display| anyhow!("cannot draw the plot: {e}");
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let points = || chart.series.iter().flat_map(|(_, p)| p.iter());
        let (x_low, x_high) = range_of(points().map(|p| p.0), false);
        let (y_low, y_high) = range_of(points().map(|p| p.1), true);
        let mut plot = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_low..x_high, y_low..y_high)
            .map_err(|e| fail(&e))?;
        plot.configure_mesh()
            .x_desc(&chart.x_label)
            .y_desc(&chart.y_label)
            .draw()
            .map_err(|e| fail(&e))?;
        for (index, (name, points)) in chart.series.iter().enumerate() {
            let color = palette(index);
            let mut sorted = points.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            plot.draw_series(LineSeries::new(sorted.clone(), color.stroke_width(2)))
                .map_err(|e| fail(&e))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            plot.draw_series(sorted.iter().map(|p| Circle::new(*p, 3, color.filled())))
                .map_err(|e| fail(&e))?;
        }
        plot.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{
        TIMED_AGENT_S, TIMED_BASE_S, TIMED_INTERVAL_S, complete, count, stopped, timed,
    };

    /// The points of each `<polyline>` drawn in `color` with a stroke 2 wide.
    fn lines_in(svg: &str, color: &str) -> Vec<Vec<(i32, i32)>> {
        let style = format!("stroke=\"{color}\" stroke-width=\"2\" points=\"");
        svg.lines()
            .filter_map(|line| line.split_once(&style))
            .map(|(_, points)| {
                let points = points.split('"').next().unwrap();
                points
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_successful_run_is_a_point_in_each_panel() {
        let results = [complete(), stopped()];
        let svg = render(&results).unwrap();
        assert!(svg.starts_with("<svg "), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        let ok_runs: usize = results
            .iter()
            .flat_map(|r| &r.scenarios)
            .map(|s| s.summary.ok_runs)
            .sum();
        assert_eq!(ok_runs, 8 + 8 + 8 + 3);
        assert_eq!(count(&svg, "<circle"), Figure::ALL.len() * ok_runs);
        for result in &results {
            for figure in Figure::ALL {
                let caption = format!(
                    "\n{}: {} (band: baseline 95% CI)\n",
                    result.name,
                    figure.title()
                );
                assert_eq!(count(&svg, &caption), 1, "{caption}");
            }
        }
        // Each panel names its scenarios under their columns.
        assert_eq!(count(&svg, "\npyroscope idle\n"), Figure::ALL.len());
        assert_eq!(count(&svg, "\npyroscope agent\n"), 2 * Figure::ALL.len());
    }

    #[test]
    fn results_without_successful_runs_still_draw() {
        let mut failed = stopped();
        failed.scenarios.remove(0);
        failed.finalize(None);
        assert_eq!(failed.scenarios[0].summary.ok_runs, 0);
        let svg = render(&[failed]).unwrap();
        assert_eq!(count(&svg, "<circle"), 0);
        assert_eq!(count(&svg, "fibonacci-python: "), Figure::ALL.len());
        assert!(render(&[]).unwrap().starts_with("<svg "));
    }

    fn hex(color: RGBColor) -> String {
        let RGBColor(r, g, b) = color;
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    /// Samples in a `timed()` run of this wall time.
    fn samples(wall: f64) -> usize {
        (wall / TIMED_INTERVAL_S).round() as usize + 1
    }

    #[test]
    fn the_representative_run_is_the_one_nearest_the_median_wall_time() {
        let result = timed();
        let pick = |scenario: usize| timeline::representative(&result.scenarios[scenario]);
        assert_eq!(pick(0).map(|(position, _)| position), Some(3));
        assert_eq!(pick(1).map(|(position, _)| position), Some(1));
        // Without its timeline, the next nearest run stands in (1.5 s, not 1.9 s).
        let mut agent = result.scenarios[1].clone();
        agent.runs[0].timeline = None;
        assert_eq!(timeline::representative(&agent).unwrap().0, 2);
        for run in &mut agent.runs {
            run.timeline = None;
        }
        assert!(timeline::representative(&agent).is_none());
    }

    #[test]
    fn a_loaded_service_adds_a_row_of_latency_percentiles() {
        let results = [crate::report::fixtures::loaded(), complete()];
        let svg = render(&results).unwrap();
        assert!(svg.contains(&format!("height=\"{}\"", 3 * PANEL_HEIGHT)));
        assert_eq!(count(&svg, "service-timed: latency under load"), 1);
        assert_eq!(count(&svg, "fibonacci-rust: latency under load"), 0);
        for label in ["\np50\n", "\np99.9\n", "\nmax\n", "\nms (log)\n"] {
            assert_eq!(count(&svg, label), 1, "{label}");
        }
        // The figures' panels name each scenario once; the latency row's legend once more.
        assert_eq!(
            count(&svg, "\npyroscope agent\n"),
            2 * Figure::ALL.len() + 1
        );
    }

    #[test]
    fn timelines_add_a_row_of_cpu_and_memory_over_time() {
        let results = [timed(), complete()];
        let svg = render(&results).unwrap();
        assert!(svg.starts_with("<svg "), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        // Two rows of figures and one of timelines, for the only result that has them.
        assert!(svg.contains(&format!("height=\"{}\"", 3 * PANEL_HEIGHT)));
        for kind in [timeline::Kind::Cpu, timeline::Kind::Memory] {
            let caption = format!("\n{}\n", kind.caption("fibonacci-timed"));
            assert_eq!(count(&svg, &caption), 1, "{caption}");
            assert_eq!(count(&svg, &kind.caption("fibonacci-rust")), 0);
        }
        assert_eq!(count(&svg, "\ncores busy\n"), 1);
        // The timeline row draws no points: the figures' panels have them all.
        let ok_runs: usize = results
            .iter()
            .flat_map(|r| &r.scenarios)
            .map(|s| s.summary.ok_runs)
            .sum();
        assert_eq!(count(&svg, "<circle"), Figure::ALL.len() * ok_runs);
        // One line per scenario and panel, of its representative run only: the CPU rate a
        // step per interval, the memory a point per sample.
        for (color, walls, chosen) in [
            (palette(0), TIMED_BASE_S, 2),
            (palette(1), TIMED_AGENT_S, 0),
        ] {
            let lines = lines_in(&svg, &hex(color));
            for (i, wall) in walls.into_iter().enumerate() {
                let n = samples(wall);
                let expected = usize::from(i == chosen);
                for points in [2 * (n - 1), n] {
                    let found = lines.iter().filter(|l| l.len() == points).count();
                    assert_eq!(found, expected, "{} points in {}", points, hex(color));
                }
            }
            let cpu = lines
                .iter()
                .find(|l| l.len() == 2 * (samples(walls[chosen]) - 1))
                .unwrap();
            assert!(cpu.windows(2).all(|p| p[0].0 <= p[1].0), "{cpu:?}");
        }
        // The legend names each scenario's run, in both panels.
        assert_eq!(count(&svg, "\nbaseline (run 3)\n"), 2);
        assert_eq!(count(&svg, "\npyroscope agent (run 1)\n"), 2);
        // Each phase is named once per scenario and panel; phases too close to share a line
        // share a label.
        let close = timeline::phase_labels(&results[0].scenarios[0].runs[2], 0.005);
        assert_eq!(
            close,
            [(0.0, "startup/work".to_string()), (0.8, "shutdown".into())]
        );
        for phase in ["startup", "work", "shutdown"] {
            assert_eq!(count(&svg, &format!("\n {phase}\n")), 4, "{phase}");
        }
        // Uploads: a triangle for each one answered 200 and a cross for the other, in the
        // agent's color; the upload with no time is left out. The legend explains both.
        let agent = hex(palette(1));
        assert_eq!(
            count(&svg, &format!("<polygon opacity=\"1\" fill=\"{agent}\"")),
            2 * 2
        );
        assert_eq!(count(&svg, "\nupload, answered 200\n"), 2);
        assert_eq!(count(&svg, "\nupload, other outcome\n"), 2);
        let crosses = svg
            .lines()
            .filter(|l| l.starts_with("<line") && l.contains(&format!("stroke=\"{agent}\"")))
            .count();
        assert_eq!(crosses, 2 * 2, "two strokes a cross, a cross a panel");
        assert_eq!(
            count(
                &svg,
                &format!("<polygon opacity=\"1\" fill=\"{}\"", hex(palette(0)))
            ),
            0
        );
    }

    #[test]
    fn runs_without_timelines_draw_no_timeline_row() {
        let svg = render(&[complete(), stopped()]).unwrap();
        assert!(svg.contains(&format!("height=\"{}\"", 2 * PANEL_HEIGHT)));
        assert_eq!(count(&svg, "over time"), 0);
        // Timelines only on failed runs: no representative, no row.
        let mut failed = timed();
        for scenario in &mut failed.scenarios {
            for run in &mut scenario.runs {
                run.exit_code = Some(1);
            }
        }
        failed.finalize(None);
        let svg = render(&[failed]).unwrap();
        assert!(svg.contains(&format!("height=\"{PANEL_HEIGHT}\"")));
        assert_eq!(count(&svg, "over time"), 0);
    }

    #[test]
    fn lines_join_their_points_in_order_of_x() {
        let chart = LineChart {
            title: "Overhead by upload rate".into(),
            x_label: "uploads per second".into(),
            y_label: "CPU overhead (%)".into(),
            series: vec![
                // No point at x = 3: a step whose figure was missing.
                (
                    "agent".into(),
                    vec![(1.0, 2.0), (2.0, 3.0), (4.0, 1.0), (5.0, 2.5)],
                ),
                ("idle".into(), vec![(3.0, 1.0), (1.0, 0.5), (2.0, 0.8)]),
            ],
        };
        let svg = render_lines(&chart).unwrap();
        assert!(svg.starts_with("<svg "));
        assert_eq!(count(&svg, "<circle"), 4 + 3);
        for text in [
            "Overhead by upload rate",
            "uploads per second",
            "CPU overhead (%)",
            "agent",
            "idle",
        ] {
            assert_eq!(count(&svg, &format!("\n{text}\n")), 1, "{text}");
        }
        for (index, (_, points)) in chart.series.iter().enumerate() {
            let RGBColor(r, g, b) = palette(index);
            let color = format!("#{r:02X}{g:02X}{b:02X}");
            let line = lines_in(&svg, &color)
                .into_iter()
                .find(|line| line.len() == points.len())
                .unwrap_or_else(|| panic!("no line of {} points in {color}", points.len()));
            assert!(
                line.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "{line:?}"
            );
        }
        let empty = render_lines(&LineChart::default()).unwrap();
        assert_eq!(count(&empty, "<circle"), 0);
    }
}

//! The cells of one experiment's summary table, shared by the terminal and Markdown.

use super::format;
use crate::bench::figure::Figure;
use crate::bench::load_figure::LoadFigure;
use crate::bench::result::BenchmarkResult;

pub const HEADERS: [&str; 10] = [
    "scenario",
    "runs ok",
    "wall (median ±95% CI)",
    "CPU user+sys",
    "peak RSS",
    "container memory",
    "docker wall (median)",
    "profiles/run",
    "wall overhead",
    "CPU overhead",
];

/// The terminal's shorter header for each column of `HEADERS`; `None` for a column the
/// terminal leaves to the Markdown (docker's wall time, which only adds container start-up).
pub const SHORT_HEADERS: [Option<&str>; 10] = [
    Some("scenario"),
    Some("runs"),
    Some("wall ±CI"),
    Some("CPU"),
    Some("RSS"),
    Some("mem"),
    None,
    Some("prof/run"),
    Some("Δwall"),
    Some("ΔCPU"),
];

/// The columns of `HEADERS` from this one on are the overheads against the baseline.
pub const FIRST_OVERHEAD: usize = 8;

/// One row of text per scenario, in the order of `HEADERS`.
pub fn rows(result: &BenchmarkResult) -> Vec<[String; 10]> {
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
                spread(Figure::Memory),
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

/// Where each profiled scenario's cost lands, one line each when runs mark phases: the
/// work phase as a percentage of CPU and wall time, every other phase (start-up, shutdown)
/// as the seconds it added.
pub fn phase_lines(result: &BenchmarkResult) -> Vec<String> {
    result
        .scenarios
        .iter()
        .filter_map(|scenario| {
            let o = scenario.overhead.as_ref()?;
            (!o.phases.is_empty()).then(|| {
                let phases: Vec<String> = o
                    .phases
                    .iter()
                    .map(|phase| {
                        if phase.name == WORK_PHASE {
                            format!(
                                "{} CPU {}, wall {}",
                                phase.name,
                                format::delta(phase.cpu_pct, phase.cpu_ci_pct, phase.cpu_p),
                                format::delta(phase.wall_pct, phase.wall_ci_pct, phase.wall_p)
                            )
                        } else {
                            format!(
                                "{} {}",
                                phase.name,
                                format::added_seconds(
                                    phase.added_wall_s,
                                    phase.added_wall_ci_s,
                                    phase.wall_p
                                )
                            )
                        }
                    })
                    .collect();
                format!("{}: {}", scenario.name, phases.join("; "))
            })
        })
        .collect()
}

/// What each scenario did under load, one line each for service runs: the medians of the
/// load figures, errors if any, and against the baseline each figure's overhead.
pub fn load_lines(result: &BenchmarkResult) -> Vec<String> {
    result
        .scenarios
        .iter()
        .filter(|scenario| !scenario.summary.load.is_empty())
        .map(|scenario| {
            let s = &scenario.summary;
            let mut parts: Vec<String> = LoadFigure::ALL
                .iter()
                .filter_map(|figure| {
                    let spread = s.load.get(figure.key())?;
                    Some(format!(
                        "{} {} {}",
                        figure.label(),
                        format::plain_number(spread.median),
                        figure.unit()
                    ))
                })
                .collect();
            if let Some(errors) = s.load_errors.filter(|e| *e > 0.0) {
                parts.push(format!("{errors} failed requests/run"));
            }
            let mut line = format!("{}: {}", scenario.name, parts.join(", "));
            if let Some(o) = &scenario.overhead {
                let deltas: Vec<String> = LoadFigure::ALL
                    .iter()
                    .filter_map(|figure| {
                        let delta = o.load.get(figure.key())?;
                        Some(format!("{} {}", figure.label(), format::comparison(*delta)))
                    })
                    .collect();
                if !deltas.is_empty() {
                    line.push_str(&format!("; vs {}: {}", o.baseline, deltas.join(", ")));
                }
            }
            line
        })
        .collect()
}

/// One line per scraped pull scenario: its schedule and what the scrapes came to.
pub fn scrape_lines(result: &BenchmarkResult) -> Vec<String> {
    result
        .scenarios
        .iter()
        .filter_map(|scenario| {
            let s = &scenario.summary;
            let [interval, seconds] = s.scraped_every_s?;
            let scrapes = s.scrapes?;
            // Whole numbers or halves (medians of counts), and settings as given: no
            // fixed decimals.
            let mut line = format!(
                "{}: every {interval} s ({seconds} s CPU profiles): {scrapes} scrapes/run",
                scenario.name
            );
            if let Some(failed) = s.scrape_failures.filter(|n| *n > 0.0) {
                line.push_str(&format!(", {failed} failed"));
            }
            if let Some(profiles) = s.ingester_profiles {
                line.push_str(&format!(", {profiles} profiles/run"));
            }
            Some(line)
        })
        .collect()
}

/// What the scrape lines are, said once above them.
pub const SCRAPE_INTRO: &str = "scraped by the ingester (pull mode; medians per run)";

/// What the load lines are, said once above them.
pub const LOAD_INTRO: &str = "under load (medians per run; overhead with 95% CI)";

/// The phase whose cost is read as a percentage: the steady state between start-up and
/// shutdown.
pub const WORK_PHASE: &str = "work";

/// What the phase lines are, said once above them.
pub const PHASE_INTRO: &str = "by phase (work: percent; other phases: seconds added)";

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::figure::Unit;
    use crate::report::fixtures::{close, complete, stopped};

    #[test]
    fn a_row_per_scenario_in_the_order_of_the_headers() {
        let result = complete();
        let rows = rows(&result);
        let column = |header: &str| HEADERS.iter().position(|h| *h == header).unwrap();
        let cells = |index: usize| {
            rows.iter()
                .map(|row| row[index].as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cells(column("scenario")),
            ["baseline", "pyroscope agent", "pyroscope idle"]
        );
        assert_eq!(cells(column("runs ok")), ["8/8", "8/9", "8/8"]);
        assert_eq!(cells(column("profiles/run")), ["-", "3", "1"]);
        let agent = &result.scenarios[1].summary;
        assert!(close(agent.docker_wall_s.unwrap(), 2.132 + 0.5));
        assert_eq!(rows[1][column("docker wall (median)")], "2.632 s");
        assert_eq!(
            rows[1][column("CPU user+sys")],
            format::with_spread(Unit::Seconds, agent.cpu.as_ref())
        );
        assert!(rows[1][column("CPU user+sys")].starts_with("2.460 s ±"));
    }

    #[test]
    fn overheads_read_baseline_a_change_or_no_difference() {
        let rows = rows(&complete());
        let (wall, cpu) = (FIRST_OVERHEAD, FIRST_OVERHEAD + 1);
        assert_eq!(HEADERS[wall], "wall overhead");
        assert_eq!(HEADERS[cpu], "CPU overhead");
        assert_eq!([&rows[0][wall], &rows[0][cpu]], ["baseline", "baseline"]);
        assert!(rows[1][wall].starts_with("+4.0% ["), "{}", rows[1][wall]);
        assert!(rows[1][cpu].starts_with("+20.0% ["), "{}", rows[1][cpu]);
        assert!(rows[1][cpu].ends_with("(p<0.001)"), "{}", rows[1][cpu]);
        // The idle scenario's runs are the baseline's in another order: no difference, and
        // the estimate is shown beside the `~`.
        assert!(
            rows[2][wall].starts_with("~ (+0.0%, p="),
            "{}",
            rows[2][wall]
        );
        assert!(rows[2][cpu].starts_with("~ (+0.0%, p="), "{}", rows[2][cpu]);
    }

    #[test]
    fn a_scenario_without_successful_runs_shows_dashes() {
        let rows = rows(&stopped());
        assert_eq!(rows[0][1], "3/3");
        assert_eq!(rows[0][2], "2.010 s", "no interval with 3 runs");
        assert_eq!(rows[1][1], "0/1");
        assert!(rows[1][2..].iter().all(|cell| cell == "-"), "{:?}", rows[1]);
    }

    #[test]
    fn paired_lines_only_with_two_rounds_or_more() {
        let lines = paired_lines(&complete());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("pyroscope agent: wall +4.0% ["),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains(", CPU +20.0% ["), "{}", lines[0]);
        assert!(lines[0].ends_with(" (8 rounds)"), "{}", lines[0]);
        // Round by round the idle runs differ from the baseline's, by -0.2% in the median.
        assert_eq!(
            lines[1],
            "pyroscope idle: wall ~ (-0.2%, p=0.945), CPU ~ (-0.2%, p=0.945) (8 rounds)"
        );
        assert!(paired_lines(&stopped()).is_empty());

        let mut unpaired = complete();
        for scenario in &mut unpaired.scenarios {
            for run in &mut scenario.runs {
                run.round = None;
            }
        }
        unpaired.finalize(None);
        assert!(paired_lines(&unpaired).is_empty());
    }

    #[test]
    fn phase_lines_read_work_in_percent_and_the_rest_in_seconds() {
        use crate::measure::record::Phase;
        assert!(phase_lines(&complete()).is_empty(), "no markers, no lines");
        let mut result = complete();
        for scenario in &mut result.scenarios {
            let agent = scenario.name == "pyroscope agent";
            for run in &mut scenario.runs {
                // The agent adds 0.3 s before the work and 0.7 s after it.
                let spread = run.round.unwrap_or(0) as f64 * 0.002;
                let (startup, shutdown) = if agent { (0.4, 0.8) } else { (0.1, 0.1) };
                let phase = |name: &str, start_s: f64, wall_s: f64, cpu_s: f64| Phase {
                    name: name.into(),
                    start_s,
                    wall_s,
                    cpu_s: Some(cpu_s),
                };
                let (wall, cpu) = (run.wall_s.unwrap(), run.cpu_s().unwrap());
                run.phases = vec![
                    phase("startup", 0.0, startup + spread, 0.01),
                    phase("work", startup + spread, wall, cpu),
                    phase("shutdown", startup + spread + wall, shutdown + spread, 0.01),
                ];
            }
        }
        result.finalize(None);
        let lines = phase_lines(&result);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("pyroscope agent: startup +0.30 s ["),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("; work CPU +20.0% ["), "{}", lines[0]);
        assert!(lines[0].contains(", wall +4.0% ["), "{}", lines[0]);
        assert!(lines[0].contains("; shutdown +0.70 s ["), "{}", lines[0]);
        assert!(lines[1].contains("startup ~ (+0.00 s, p="), "{}", lines[1]);
        assert!(lines[1].contains("work CPU ~ (+0.0%, p="), "{}", lines[1]);
        let table = super::super::table::render_at(&result, None);
        assert!(
            table.contains(&format!("{PHASE_INTRO}:\n  {}", lines[0])),
            "{table}"
        );
    }

    #[test]
    fn scrape_lines_say_the_schedule_and_what_the_scrapes_came_to() {
        assert!(
            scrape_lines(&complete()).is_empty(),
            "pushed, not scraped: no lines"
        );
        let mut result = complete();
        for scenario in &mut result.scenarios {
            for (i, run) in scenario.runs.iter_mut().enumerate() {
                if let Some(counts) = run.ingester.as_mut() {
                    // 3 scrapes a run, the last of every other run cut short.
                    counts.scrapes = 3;
                    counts.profiles = 3 - (i % 2) as u64;
                    if i % 2 == 1 {
                        counts.scrape_failures.insert("io".into(), 1);
                    }
                    counts.scraped_every_s = Some([1.0, 0.5]);
                }
            }
        }
        result.finalize(None);
        let tail = "every 1 s (0.5 s CPU profiles): 3 scrapes/run, 0.5 failed, 2.5 profiles/run";
        assert_eq!(
            scrape_lines(&result),
            [
                format!("pyroscope agent: {tail}"),
                format!("pyroscope idle: {tail}")
            ]
        );
        let table = super::super::table::render_at(&result, None);
        assert!(
            table.contains(&format!("{SCRAPE_INTRO}:\n  pyroscope agent: every 1 s")),
            "{table}"
        );
        assert!(
            !result
                .warnings
                .iter()
                .any(|w| w.to_string().contains("scrape"))
        );
        // Runs shorter than two intervals are a warning (the fixture's take about 2 s).
        for scenario in &mut result.scenarios {
            for run in &mut scenario.runs {
                if let Some(counts) = run.ingester.as_mut() {
                    counts.scraped_every_s = Some([5.0, 4.0]);
                }
            }
        }
        result.finalize(None);
        assert!(
            result.warnings.iter().any(|w| w
                .to_string()
                .contains("shorter than two scrape intervals of 5 s")),
            "{:?}",
            result.warnings
        );
    }

    #[test]
    fn the_title_says_when_the_experiment_stopped() {
        assert_eq!(
            title(&complete()),
            "fibonacci-rust [pyrobench/fibonacci-rust:latest]"
        );
        assert_eq!(
            title(&stopped()),
            "fibonacci-python [pyrobench/fibonacci-python:latest] (stopped part-way)"
        );
    }
}

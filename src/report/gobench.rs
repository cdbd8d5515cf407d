//! Go benchmark format, one line per measured run, so that benchstat reads our runs:
//! `benchstat -col /scenario results.txt`.

use std::fmt::Write;

use super::Provenance;
use crate::bench::load_figure::LoadFigure;
use crate::bench::result::BenchmarkResult;
use crate::measure::record::{RunRecord, phase_names};

/// Go's benchmark names cannot hold spaces; other characters pass through.
fn name_part(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '/' {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".to_string()
    } else {
        cleaned
    }
}

/// `fibonacci-rust` becomes `Fibonacci-rust`: Go requires a capital after `Benchmark`.
fn benchmark_name(name: &str) -> String {
    let part = name_part(name);
    let mut chars = part.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => part,
    }
}

/// Each figure as `value unit`; seconds to the nanosecond. Each phase adds its own units,
/// `work-sec/op` and `work-cpu-sec/op`, so that benchstat compares them phase by phase.
fn figures(run: &RunRecord) -> Vec<String> {
    let mut figures = Vec::new();
    if let Some(wall) = run.wall_s {
        figures.push(format!("{wall:.9} sec/op"));
    }
    if let Some(cpu) = run.cpu_s() {
        figures.push(format!("{cpu:.9} cpu-sec/op"));
    }
    if let Some(rss) = run.max_rss_bytes {
        figures.push(format!("{rss} peak-rss-B"));
    }
    if let Some(memory) = run.container_peak_bytes {
        figures.push(format!("{memory} peak-mem-B"));
    }
    if let Some(counts) = &run.ingester {
        figures.push(format!("{} profiles/op", counts.profiles));
    }
    for figure in LoadFigure::ALL {
        if let Some(value) = figure.of(run) {
            let unit = match figure {
                LoadFigure::Throughput => "req/s".to_string(),
                other => format!("{}-{}", other.label().replace('/', "-per-"), other.unit()),
            };
            figures.push(format!("{value:.6} {unit}"));
        }
    }
    for name in phase_names(&[run]) {
        let Some((wall, cpu)) = run.phase(&name) else {
            continue;
        };
        let unit = name_part(&name);
        figures.push(format!("{wall:.9} {unit}-sec/op"));
        if let Some(cpu) = cpu {
            figures.push(format!("{cpu:.9} {unit}-cpu-sec/op"));
        }
    }
    figures
}

pub fn render(provenance: &Provenance, results: &[BenchmarkResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "goos: {}", std::env::consts::OS);
    let _ = writeln!(out, "goarch: {}", std::env::consts::ARCH);
    let _ = writeln!(out, "pkg: pyrobench");
    let _ = writeln!(out, "script: {}", provenance.script);
    for result in results {
        let _ = writeln!(out, "image: {}", result.image);
        for scenario in &result.scenarios {
            // Failed runs are left out, as they are of every statistic.
            for run in scenario.runs.iter().filter(|run| run.succeeded()) {
                let _ = writeln!(
                    out,
                    "Benchmark{}/scenario={} 1 {}",
                    benchmark_name(&result.name),
                    name_part(&scenario.name),
                    figures(run).join(" ")
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_go_benchmark_names() {
        assert_eq!(benchmark_name("fibonacci-rust"), "Fibonacci-rust");
        assert_eq!(name_part("ingester up"), "ingester_up");
        assert_eq!(name_part("a/b"), "a_b");
    }

    use std::collections::HashMap;

    use crate::report::fixtures::{complete, provenance, stopped};

    /// The figures of one benchmark line, by unit; checks each has 9 decimals or none.
    fn figures_of(line: &str) -> HashMap<String, f64> {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[1], "1", "{line}");
        fields[2..]
            .chunks(2)
            .map(|pair| {
                let (value, unit) = (pair[0], pair[1]);
                if let Some((_, decimals)) = value.split_once('.') {
                    assert_eq!(decimals.len(), 9, "{line}");
                }
                (unit.to_string(), value.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn a_line_per_successful_run() {
        let text = render(&provenance(), &[complete(), stopped()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "pkg: pyrobench");
        assert_eq!(lines[3], "script: bench/overhead.rhai");
        assert_eq!(lines[4], "image: pyrobench/fibonacci-rust:latest");
        let count = |prefix: &str| {
            lines
                .iter()
                .filter(|line| line.starts_with(&format!("{prefix} 1 ")))
                .count()
        };
        assert_eq!(count("BenchmarkFibonacci-rust/scenario=baseline"), 8);
        assert_eq!(count("BenchmarkFibonacci-rust/scenario=pyroscope_agent"), 8);
        assert_eq!(count("BenchmarkFibonacci-rust/scenario=pyroscope_idle"), 8);
        assert_eq!(count("BenchmarkFibonacci-python/scenario=baseline"), 3);
        assert_eq!(
            count("BenchmarkFibonacci-python/scenario=pyroscope_agent"),
            0
        );
        let benchmarks = lines.iter().filter(|l| l.starts_with("Benchmark")).count();
        assert_eq!(benchmarks, 27);
        assert!(!text.contains("0.400000000"), "the failed runs' wall time");
        let python = lines
            .iter()
            .position(|l| *l == "image: pyrobench/fibonacci-python:latest")
            .unwrap();
        assert!(lines[python + 1].starts_with("BenchmarkFibonacci-python/"));
    }

    #[test]
    fn each_line_holds_its_runs_figures() {
        let result = complete();
        let text = render(&provenance(), std::slice::from_ref(&result));
        for scenario in &result.scenarios {
            let prefix = format!(
                "BenchmarkFibonacci-rust/scenario={} ",
                name_part(&scenario.name)
            );
            let lines = text.lines().filter(|l| l.starts_with(&prefix));
            let runs = scenario.runs.iter().filter(|run| run.succeeded());
            for (line, run) in lines.zip(runs) {
                let figures = figures_of(line);
                assert!(
                    (figures["sec/op"] - run.wall_s.unwrap()).abs() < 1e-9,
                    "{line}"
                );
                assert!(
                    (figures["cpu-sec/op"] - run.cpu_s().unwrap()).abs() < 1e-9,
                    "{line}"
                );
                assert_eq!(
                    figures["peak-rss-B"],
                    run.max_rss_bytes.unwrap() as f64,
                    "{line}"
                );
                assert_eq!(
                    figures["peak-mem-B"],
                    run.container_peak_bytes.unwrap() as f64,
                    "{line}"
                );
                let profiles = run.ingester.as_ref().map(|c| c.profiles as f64);
                assert_eq!(figures.get("profiles/op").copied(), profiles, "{line}");
                assert_eq!(figures.len(), 4 + usize::from(profiles.is_some()), "{line}");
            }
        }
        assert!(text.contains(
            "BenchmarkFibonacci-rust/scenario=pyroscope_agent 1 2.121600000 sec/op 2.448000000 \
             cpu-sec/op 67108864 peak-rss-B 75497472 peak-mem-B 3 profiles/op\n"
        ));
    }

    #[test]
    fn phases_and_container_memory_get_units_of_their_own() {
        let mut result = crate::report::fixtures::timed();
        let run = &mut result.scenarios[1].runs[0];
        run.container_peak_bytes = Some(70 * 1024 * 1024);
        run.phases[1].cpu_s = Some(1.25);
        let run = run.clone();
        let text = render(&provenance(), &[result]);
        let line = text
            .lines()
            .find(|l| l.starts_with("BenchmarkFibonacci-timed/scenario=pyroscope_agent 1 "))
            .unwrap();
        let figures = figures_of(line);
        assert_eq!(figures["peak-mem-B"], (70 * 1024 * 1024) as f64, "{line}");
        for phase in &run.phases {
            let unit = format!("{}-sec/op", phase.name);
            assert!((figures[&unit] - phase.wall_s).abs() < 1e-9, "{line}");
        }
        assert!((figures["work-cpu-sec/op"] - 1.25).abs() < 1e-9, "{line}");
        // Phases without CPU (an image the init could not account) give no CPU unit.
        assert!(!figures.contains_key("startup-cpu-sec/op"), "{line}");
    }
}

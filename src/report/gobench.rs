//! Go benchmark format, one line per measured run, so that benchstat reads our runs:
//! `benchstat -col /scenario results.txt`.

use std::fmt::Write;

use super::Provenance;
use crate::bench::result::BenchmarkResult;
use crate::measure::record::RunRecord;

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

/// Each figure as `value unit`; seconds to the nanosecond.
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
    if let Some(counts) = &run.ingester {
        figures.push(format!("{} profiles/op", counts.profiles));
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
}

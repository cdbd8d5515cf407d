//! A service run's load window read off the container's timeline: the CPU it used and
//! the memory it peaked at while the load generator measured.

use serde::{Deserialize, Serialize};

use super::record::Timeline;
use crate::load::LoadReport;

/// What a service run's record carries about its load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadRecord {
    #[serde(flatten)]
    pub report: LoadReport,
    /// The service container's CPU seconds within the window, interpolated between the
    /// timeline's samples.
    pub cpu_s: Option<f64>,
    /// That CPU time per request answered within the window, in milliseconds.
    pub cpu_per_request_ms: Option<f64>,
    /// The largest memory sample within the window.
    pub memory_peak_bytes: Option<u64>,
}

impl LoadRecord {
    /// `started_unix_s` is when the command started, which the timeline's times count from.
    pub fn new(
        report: LoadReport,
        timeline: Option<&Timeline>,
        started_unix_s: Option<f64>,
    ) -> Self {
        let window = started_unix_s.map(|start| {
            let [from, to] = report.window_unix_s;
            (from - start, to - start)
        });
        let cpu_s = timeline
            .zip(window)
            .and_then(|(t, (from, to))| cpu_between(&t.samples, from, to));
        let answered = report.rate * report.duration_s;
        let cpu_per_request_ms = cpu_s
            .filter(|_| answered >= 1.0)
            .map(|cpu| cpu / answered * 1000.0);
        let memory_peak_bytes = timeline
            .zip(window)
            .and_then(|(t, (from, to))| memory_peak_between(&t.samples, from, to));
        Self {
            report,
            cpu_s,
            cpu_per_request_ms,
            memory_peak_bytes,
        }
    }
}

/// The cumulative CPU at `t`, linear between the samples around it.
fn cpu_at(samples: &[[f64; 3]], t: f64) -> Option<f64> {
    let after = samples.iter().position(|s| s[0] >= t)?;
    let [t1, cpu1, _] = samples[after];
    if t1 == t {
        return Some(cpu1);
    }
    let [t0, cpu0, _] = samples[after.checked_sub(1)?];
    Some(cpu0 + (cpu1 - cpu0) * (t - t0) / (t1 - t0))
}

/// CPU seconds used between `from` and `to`; `None` unless samples bracket both.
pub fn cpu_between(samples: &[[f64; 3]], from: f64, to: f64) -> Option<f64> {
    let first = samples.first()?[0];
    if from < first || to <= from {
        return None;
    }
    Some(cpu_at(samples, to)? - cpu_at(samples, from)?)
}

/// The largest memory sample from `from` to `to`.
pub fn memory_peak_between(samples: &[[f64; 3]], from: f64, to: f64) -> Option<u64> {
    samples
        .iter()
        .filter(|s| s[0] >= from && s[0] <= to)
        .map(|s| s[2] as u64)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Half a core busy until 2 s, then a whole one; memory rises 1 MB a second.
    fn samples() -> Vec<[f64; 3]> {
        (0..=40)
            .map(|i| {
                let t = i as f64 * 0.1;
                let cpu = if t <= 2.0 { t * 0.5 } else { 1.0 + (t - 2.0) };
                [t, cpu, t * 1e6]
            })
            .collect()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn cpu_is_interpolated_between_samples() {
        let samples = samples();
        assert!(close(cpu_between(&samples, 0.0, 2.0), 1.0));
        assert!(close(cpu_between(&samples, 1.05, 1.95), 0.45));
        assert!(close(cpu_between(&samples, 1.0, 3.0), 1.5));
        // Past the last sample, or before the first: unknown, not guessed.
        assert_eq!(cpu_between(&samples, 3.0, 4.5), None);
        assert_eq!(cpu_between(&samples, -0.5, 1.0), None);
        assert_eq!(cpu_between(&[], 0.0, 1.0), None);
    }

    #[test]
    fn the_memory_peak_is_the_largest_sample_inside() {
        let samples = samples();
        assert_eq!(memory_peak_between(&samples, 1.0, 2.5), Some(2_500_000));
        assert_eq!(memory_peak_between(&samples, 5.0, 6.0), None);
    }

    #[test]
    fn cpu_per_request_divides_by_the_requests_answered_in_the_window() {
        let report: LoadReport = serde_json::from_value(serde_json::json!({
            "model": "open", "target_rate": 100.0, "rate": 100.0, "connections": 1, "warmup_s": 0.0,
            "duration_s": 2.0, "requests": 200, "ok": 200, "errors": {},
            "latency_ms": null, "window_unix_s": [1000.5, 1002.5],
        }))
        .unwrap();
        let timeline = Timeline {
            interval_s: 0.1,
            samples: samples(),
        };
        let record = LoadRecord::new(report, Some(&timeline), Some(1000.0));
        // 0.5 to 2.5 s: 1.5 s at half a core, then 0.5 s at a whole one.
        assert!(close(record.cpu_s, 0.75 + 0.5));
        assert!(close(record.cpu_per_request_ms, 1.25 / 200.0 * 1000.0));
        assert_eq!(record.memory_peak_bytes, Some(2_500_000));
    }
}

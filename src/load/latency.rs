//! Latencies in an HDR histogram: microsecond resolution, 3 significant digits, bounded
//! memory at any rate.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::report::LatencyMs;

/// The slowest latency kept exactly; longer ones are kept as this (an hour).
const HIGHEST_US: u64 = 3_600_000_000;

#[derive(Debug, Clone)]
pub struct Recorder {
    histogram: Histogram<u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            histogram: Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("the bounds are valid"),
        }
    }
}

impl Recorder {
    pub fn record(&mut self, latency: Duration) {
        let micros = (latency.as_micros() as u64).max(1);
        self.histogram.saturating_record(micros);
    }

    pub fn add(&mut self, other: &Recorder) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
    }

    pub fn len(&self) -> u64 {
        self.histogram.len()
    }

    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The percentiles the reports give, or `None` before the first recording.
    pub fn summary(&self) -> Option<LatencyMs> {
        if self.is_empty() {
            return None;
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        let at = |q: f64| ms(self.histogram.value_at_quantile(q));
        Some(LatencyMs {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: ms(self.histogram.max()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut recorder = Recorder::default();
        assert_eq!(recorder.summary(), None);
        // 1..=1000 ms: the q quantile is q * 1000 ms, within HDR's 0.1%.
        for ms in 1..=1000 {
            recorder.record(Duration::from_millis(ms));
        }
        let s = recorder.summary().unwrap();
        for (value, expected) in [
            (s.p50, 500.0),
            (s.p90, 900.0),
            (s.p99, 990.0),
            (s.p999, 999.0),
        ] {
            assert!(
                (value - expected).abs() <= expected * 0.001,
                "{value} vs {expected}"
            );
        }
        assert!((s.max - 1000.0).abs() <= 1.0);
        let mut other = Recorder::default();
        other.record(Duration::from_secs(5));
        recorder.add(&other);
        assert_eq!(recorder.len(), 1001);
        assert!((recorder.summary().unwrap().max - 5000.0).abs() <= 5.0);
    }
}

//! What the ingester received, counted per run.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Counters for one measurement window (one run, usually).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Upload requests received, on any ingest endpoint.
    pub requests: u64,
    /// Request body bytes received, as sent on the wire.
    pub bytes: u64,
}

impl RunCounts {
    pub fn add(&mut self, other: &RunCounts) {
        self.requests += other.requests;
        self.bytes += other.bytes;
    }
}

/// Shared counters, read and reset by the control port.
#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<RunCounts>,
}

impl Stats {
    pub fn record_upload(&self, body_bytes: u64) {
        let mut counts = self.counts.lock().expect("stats lock");
        counts.requests += 1;
        counts.bytes += body_bytes;
    }

    /// A copy of the counters; with `reset`, they restart from zero in the same step, so
    /// nothing that arrives in between is lost or counted twice.
    pub fn snapshot(&self, reset: bool) -> RunCounts {
        let mut counts = self.counts.lock().expect("stats lock");
        if reset {
            std::mem::take(&mut *counts)
        } else {
            counts.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_with_reset_starts_a_new_window() {
        let stats = Stats::default();
        stats.record_upload(10);
        stats.record_upload(5);
        assert_eq!(
            stats.snapshot(false),
            RunCounts {
                requests: 2,
                bytes: 15
            }
        );
        assert_eq!(
            stats.snapshot(true),
            RunCounts {
                requests: 2,
                bytes: 15
            }
        );
        assert_eq!(stats.snapshot(false), RunCounts::default());
    }
}

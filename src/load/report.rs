//! What one load run measured, as scripts, the JSON and the command line see it.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::plan::Model;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencyMs {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// The measured window of one load run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    #[serde(flatten)]
    pub model: Model,
    pub connections: usize,
    pub warmup_s: f64,
    pub duration_s: f64,
    /// Requests of the window: those due in it (open model) or sent in it (closed).
    pub requests: u64,
    /// Of those, answered 2xx.
    pub ok: u64,
    /// Of those, failed, by kind: `connect`, `io` (the connection broke), `timeout`,
    /// `status_<code>` for an answer other than 2xx, and `unsent` for requests still owed
    /// when the generator gave up (a target stalled past the window and the timeout).
    pub errors: BTreeMap<String, u64>,
    /// Requests answered within the window, per second of it.
    pub rate: f64,
    /// Every answered or timed-out request, from its due time (open) or its send (closed).
    pub latency_ms: Option<LatencyMs>,
    /// The measured window, in seconds since the Unix epoch (the host's clock, which
    /// containers share): what the service's CPU and memory are read over.
    pub window_unix_s: [f64; 2],
    /// How long the service took to become ready, when the generator waited for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_s: Option<f64>,
}

impl LoadReport {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// A few lines for a terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let model = match self.model {
            Model::Open { rate } => format!("open model, {rate} requests/s"),
            Model::Closed => "closed model".to_string(),
        };
        let _ = writeln!(
            out,
            "{model}, {} connections, {} s measured after {} s of warm-up",
            self.connections, self.duration_s, self.warmup_s
        );
        let errors = if self.errors.is_empty() {
            "no errors".to_string()
        } else {
            let kinds: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            format!("errors: {}", kinds.join(", "))
        };
        let _ = writeln!(
            out,
            "requests {}, ok {}, {errors}; achieved {:.1} requests/s",
            self.requests, self.ok, self.rate
        );
        match self.latency_ms {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
                    l.p50, l.p90, l.p99, l.p999, l.max
                );
            }
            None => {
                let _ = writeln!(out, "latency: no request was answered");
            }
        }
        out
    }
}

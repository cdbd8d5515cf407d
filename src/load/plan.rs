//! What a load run does: the model, the connections, and the warm-up and measured windows.

use std::time::Duration;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// How requests are paced.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum Model {
    /// A constant arrival rate in requests per second, spread over the connections. A
    /// request counts its latency from when it should have been sent, so a stall of the
    /// target is charged to every request it delayed (as wrk2 and k6's constant-arrival-rate).
    Open {
        #[serde(rename = "target_rate")]
        rate: f64,
    },
    /// Every connection sends its next request as soon as the last one is answered: the
    /// saturation throughput. Latency counts from the actual send.
    Closed,
}

/// A load run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub model: Model,
    pub connections: usize,
    /// Requests in this first stretch are sent but not counted.
    pub warmup: Duration,
    /// The measured window, after the warm-up.
    pub duration: Duration,
    /// A request not answered in this long counts as a `timeout` error.
    pub timeout: Duration,
}

/// The most connections one generator opens.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Above this the open model's schedule is finer than the timer can keep.
pub const MAX_RATE: f64 = 1_000_000.0;

impl Plan {
    /// Refuses plans that cannot run, naming the setting and what it takes.
    pub fn validate(&self) -> Result<()> {
        if let Model::Open { rate } = self.model
            && !(rate > 0.0 && rate <= MAX_RATE)
        {
            bail!("the rate must be above 0 and at most {MAX_RATE} requests/s, not {rate}");
        }
        if self.connections == 0 || self.connections > MAX_CONNECTIONS {
            bail!(
                "connections must be 1 to {MAX_CONNECTIONS}, not {}",
                self.connections
            );
        }
        if self.duration.is_zero() {
            bail!("the duration must be above 0 s");
        }
        if self.timeout.is_zero() {
            bail!("the request timeout must be above 0 s");
        }
        Ok(())
    }

    /// When connection `index` should send its `k`th request, after the start. Requests
    /// are dealt round the connections, so together they keep the rate.
    pub fn intended(&self, index: usize, k: u64) -> Option<Duration> {
        let Model::Open { rate } = self.model else {
            return None;
        };
        let n = k as f64 * self.connections as f64 + index as f64;
        Some(Duration::from_secs_f64(n / rate))
    }

    /// When the measured window ends, after the start.
    pub fn end(&self) -> Duration {
        self.warmup + self.duration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(rate: f64, connections: usize) -> Plan {
        Plan {
            model: Model::Open { rate },
            connections,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_connections_share_the_rate_evenly() {
        let plan = open(100.0, 4);
        let mut times: Vec<Duration> = (0..4)
            .flat_map(|i| (0..25).map(move |k| (i, k)))
            .map(|(i, k)| plan.intended(i, k).unwrap())
            .collect();
        times.sort();
        for (n, t) in times.iter().enumerate() {
            let expected = Duration::from_millis(10 * n as u64);
            assert!(
                t.abs_diff(expected) < Duration::from_micros(1),
                "{n}: {t:?}"
            );
        }
        assert_eq!(plan.intended(0, 1), Some(Duration::from_millis(40)));
    }

    #[test]
    fn bad_plans_name_the_setting() {
        let message = |plan: Plan| plan.validate().unwrap_err().to_string();
        assert!(message(open(0.0, 1)).contains("rate"));
        assert!(message(open(f64::NAN, 1)).contains("rate"));
        assert!(message(open(10.0, 0)).contains("connections"));
        let mut plan = open(10.0, 1);
        plan.duration = Duration::ZERO;
        assert!(message(plan).contains("duration"));
        assert!(open(10.0, 1).validate().is_ok());
        let closed = Plan {
            model: Model::Closed,
            ..open(1.0, 8)
        };
        assert!(closed.validate().is_ok());
        assert_eq!(closed.intended(0, 0), None);
    }
}

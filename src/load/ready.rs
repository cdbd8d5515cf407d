//! Waiting for a service to be ready: `GET` of its readiness path until it answers 2xx.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::driver::{Outcome, Target};
use super::http::{HttpTarget, RequestSpec};

/// Between two tries.
const POLL: Duration = Duration::from_millis(50);

/// How long the service took to answer 2xx on `path`, or why it never did within `limit`.
pub async fn wait_ready(spec: &RequestSpec, path: &str, limit: Duration) -> Result<Duration> {
    let probe = Arc::new(RequestSpec {
        path: path.to_string(),
        method: hyper::Method::GET,
        body: None,
        ..spec.clone()
    });
    let started = Instant::now();
    let mut last = "no answer yet".to_string();
    while started.elapsed() < limit {
        // A fresh connection each time: a server that is not listening yet refuses it.
        let mut target = HttpTarget::new(probe.clone());
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left.min(Duration::from_secs(5)), target.send()).await {
            Ok(Outcome::Status(status)) if (200..300).contains(&status) => {
                return Ok(started.elapsed());
            }
            Ok(Outcome::Status(status)) => last = format!("it answered {status}"),
            Ok(Outcome::Connect) => last = "the connection was refused".into(),
            Ok(Outcome::Io) => last = "the connection broke".into(),
            Err(_) => last = "it did not answer within 5 s".into(),
        }
        tokio::time::sleep(POLL).await;
    }
    bail!(
        "the service at {} never answered 2xx on GET {path} within {} s (last: {last}): \
         check its port and readiness path (LABEL io.pyrobench.ready-path), or give it \
         longer with ready_timeout",
        spec.authority,
        limit.as_secs_f64()
    )
}

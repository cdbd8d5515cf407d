//! The load half of a service run: once the service container has started, a generator
//! container waits for it to be ready and loads it; then the service is stopped with
//! SIGTERM, and the run ends as any other.
//!
//! The generator joins the service's network namespace and loads it on 127.0.0.1. The
//! path of the load is then loopback in every scenario, whatever network the service is
//! on, and "ingester down" can be what it is for a batch run: no network at all, so the
//! name `ingester` fails at once. (On an internal network instead, Docker 20.10's DNS
//! holds each lookup of an unknown name for 20 s.)

use std::time::Duration;

use anyhow::{Context, Result};

use crate::docker::DockerHost;
use crate::docker::container::{ContainerPlan, WaitOutcome};
use crate::load::LoadReport;

/// The generator's container and how long the service has to stop.
#[derive(Debug, Clone)]
pub struct ServiceLoad {
    /// `pyrobench load http://127.0.0.1:PORT/... --json -`; its network is set when the
    /// service has started.
    pub generator: ContainerPlan,
    /// After SIGTERM, before the service is killed and its run failed.
    pub stop_grace: Duration,
}

/// What loading the service came to: a report, or why there is none.
pub type LoadResult = std::result::Result<LoadReport, String>;

/// Runs the generator against the started service `service_id`, at most `limit`, and
/// always removes the generator. The service is left running for the caller to stop.
pub async fn drive_load(
    docker: &DockerHost,
    service_id: &str,
    load: &ServiceLoad,
    limit: Duration,
) -> Result<LoadResult> {
    let plan = ContainerPlan {
        network: Some(format!("container:{service_id}")),
        ..load.generator.clone()
    };
    let generator = docker.create_container(&plan).await?;
    let result = observe_generator(docker, service_id, &generator, limit).await;
    let removed = docker.remove_container(&generator).await;
    let result = result?;
    removed?;
    Ok(result)
}

async fn observe_generator(
    docker: &DockerHost,
    service_id: &str,
    generator: &str,
    limit: Duration,
) -> Result<LoadResult> {
    docker.start_container(generator).await?;
    let service_ended = tokio::select! {
        waited = docker.wait_container(generator, limit) => match waited? {
            WaitOutcome::Exited(_) => false,
            WaitOutcome::TimedOut => {
                return Ok(Err(format!(
                    "the load did not finish within the run's limit of {} s (raise it with \
                     --timeout or the `timeout` option)",
                    limit.as_secs_f64()
                )));
            }
        },
        waited = docker.wait_container(service_id, limit) => {
            waited?;
            true
        }
    };
    if service_ended {
        docker.kill_container(generator).await?;
        return Ok(Err(
            "the service exited while it was being loaded (or before it was ready)".to_string(),
        ));
    }
    let log = docker.container_logs(generator, 50).await?;
    let code = docker.container_times(generator).await?.exit_code;
    Ok(parse_generator_log(&log, code))
}

/// The report on the generator's last line, or its error.
fn parse_generator_log(log: &str, code: Option<i64>) -> LoadResult {
    let last = log
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    if code == Some(0)
        && let Ok(report) = serde_json::from_str::<LoadReport>(last.trim())
    {
        return Ok(report);
    }
    let said = last.trim().strip_prefix("error: ").unwrap_or(last.trim());
    Err(format!("the load generator failed: {said}"))
}

/// Stops the service with SIGTERM, and kills it after `grace`.
pub async fn stop_service(docker: &DockerHost, id: &str, grace: Duration) -> Result<WaitOutcome> {
    docker
        .signal_container(id, "SIGTERM")
        .await
        .context("cannot send SIGTERM to the service")?;
    docker.wait_container(id, grace).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generators_last_line_is_its_report_or_its_error() {
        let report = serde_json::json!({
            "model": "closed", "connections": 2, "warmup_s": 1.0, "duration_s": 5.0,
            "requests": 10, "ok": 10, "errors": {}, "rate": 2.0, "latency_ms": null,
            "window_unix_s": [1.0, 6.0],
        });
        let log = format!("some noise\n{report}\n\n");
        assert_eq!(parse_generator_log(&log, Some(0)).unwrap().requests, 10);
        let failed = "error: the service at 127.0.0.1:8080 never answered 2xx on GET / within 60 s (last: it answered 503)\n";
        let message = parse_generator_log(failed, Some(1)).unwrap_err();
        assert!(
            message.starts_with("the load generator failed: the service at"),
            "{message}"
        );
        assert!(message.contains("503"));
    }
}

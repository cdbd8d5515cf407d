//! The Docker layer: a bollard client plus the labels of this process.

pub mod cleanup;
pub mod container;
pub mod image;
pub mod labels;
pub mod lease;
pub mod network;
pub mod owner;
pub mod volume;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use labels::SessionLabels;

/// A connection to the Docker engine, owned by one pyrobench process.
#[derive(Clone)]
pub struct DockerHost {
    pub api: bollard::Docker,
    pub labels: SessionLabels,
    /// Container creates in flight, each on its own task.
    creating: Arc<AtomicUsize>,
}

impl DockerHost {
    /// Connects as the docker CLI would (DOCKER_HOST, else the local socket) and checks that
    /// the daemon answers, so that a dead daemon is reported before anything starts.
    pub async fn connect(labels: SessionLabels) -> Result<Self> {
        let target = match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.is_empty() => format!("DOCKER_HOST={host}"),
            _ => "unix:///var/run/docker.sock (DOCKER_HOST is unset)".to_string(),
        };
        let unreachable = |error: &dyn std::fmt::Display| {
            anyhow!(
                "cannot reach the Docker daemon at {target}: {error}. Start it \
                 (`sudo systemctl start docker`, or `sudo dockerd &`) or point DOCKER_HOST \
                 at a running daemon"
            )
        };
        let api = bollard::Docker::connect_with_defaults().map_err(|e| unreachable(&e))?;
        let api = tokio::time::timeout(Duration::from_secs(10), api.negotiate_version())
            .await
            .map_err(|_| unreachable(&"no answer within 10 s"))?
            .map_err(|e| unreachable(&e))?;
        api.ping().await.map_err(|e| unreachable(&e))?;
        Ok(Self {
            api,
            labels,
            creating: Arc::default(),
        })
    }

    /// Waits, at most `limit`, until no container create is in flight, so that a sweep
    /// after an interrupt finds every container this process made.
    pub async fn creates_settled(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.creating.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A list filter for one label, `key=value`.
pub fn label_filter(label: &str) -> std::collections::HashMap<String, Vec<String>> {
    std::collections::HashMap::from([("label".to_string(), vec![label.to_string()])])
}

/// True when Docker answered 404 for the object.
pub fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// True when Docker is already removing the object for someone else (409): another
/// pyrobench sweeping the same leftovers at the same moment.
pub fn is_being_removed(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            message,
        } if message.contains("already in progress")
    )
}

/// Ignores "not found" and "already being removed", which is what removal wants when
/// something is gone or going.
pub fn ignore_not_found(result: Result<(), bollard::errors::Error>) -> Result<()> {
    match result {
        Err(error) if is_not_found(&error) || is_being_removed(&error) => Ok(()),
        other => other.context("Docker refused the request"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status_code: u16, message: &str) -> Result<(), bollard::errors::Error> {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code,
            message: message.to_string(),
        })
    }

    #[test]
    fn gone_and_going_are_success_for_a_removal() {
        assert!(ignore_not_found(refused(404, "No such container: x")).is_ok());
        let racing = "removal of container 8dd1390a01ba is already in progress";
        assert!(ignore_not_found(refused(409, racing)).is_ok());
        let conflict = "conflict: unable to remove repository reference";
        assert!(ignore_not_found(refused(409, conflict)).is_err());
        assert!(ignore_not_found(refused(500, "boom")).is_err());
    }
}

//! The Docker layer: a bollard client plus the labels of this process.

pub mod cleanup;
pub mod container;
pub mod image;
pub mod labels;
pub mod network;
pub mod volume;

use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use labels::SessionLabels;

/// A connection to the Docker engine, owned by one pyrobench process.
#[derive(Clone)]
pub struct DockerHost {
    pub api: bollard::Docker,
    pub labels: SessionLabels,
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
        Ok(Self { api, labels })
    }
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

/// Ignores "not found", which is what removal wants when something is already gone.
pub fn ignore_not_found(result: Result<(), bollard::errors::Error>) -> Result<()> {
    match result {
        Err(error) if is_not_found(&error) => Ok(()),
        other => other.context("Docker refused the request"),
    }
}

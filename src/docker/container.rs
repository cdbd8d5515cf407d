//! Containers: create, start, wait with a limit, stop, remove, logs, state.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use bollard::models::{
    ContainerCreateBody, ContainerStateStatusEnum, EndpointSettings, HostConfig, Mount, MountType,
    NetworkingConfig, PortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, KillContainerOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::DockerHost;

/// Everything needed to create one container.
#[derive(Debug, Clone, Default)]
pub struct ContainerPlan {
    pub image: String,
    /// Suffix of the container's name; the session prefix is added.
    pub name: String,
    pub role: String,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    /// A network name, or a Docker network mode such as `none` or `bridge`.
    pub network: Option<String>,
    pub aliases: Vec<String>,
    pub volumes: Vec<VolumeMount>,
    /// Container TCP ports published on 127.0.0.1 at a port Docker picks.
    pub loopback_ports: Vec<u16>,
    /// Noise control: CPU pinning, CPU quota, extra capabilities.
    pub cpuset: Option<String>,
    pub cpus: Option<f64>,
    pub cap_add: Vec<String>,
}

/// A named volume mounted into a container.
#[derive(Debug, Clone)]
pub struct VolumeMount {
    pub volume: String,
    pub target: String,
    pub read_only: bool,
}

/// How waiting for a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    Exited(i64),
    TimedOut,
}

impl WaitOutcome {
    /// The exit code; `None` when the container had to be killed.
    pub fn exit_code(self) -> Option<i64> {
        match self {
            WaitOutcome::Exited(code) => Some(code),
            WaitOutcome::TimedOut => None,
        }
    }
}

/// Docker's view of a finished container.
#[derive(Debug, Clone, Default)]
pub struct ContainerTimes {
    pub exit_code: Option<i64>,
    pub docker_wall_s: Option<f64>,
    /// Docker's StartedAt, in seconds since the Unix epoch.
    pub started_unix_s: Option<f64>,
    pub oom_killed: bool,
}

impl DockerHost {
    /// The name Docker knows a container of `plan_name` by, which also resolves on its
    /// networks: the session's prefix and the plan's name.
    pub fn container_name(&self, plan_name: &str) -> String {
        format!("{}-{plan_name}", self.labels.name_prefix())
    }

    /// Creates a container labelled with this session, and returns its id.
    pub async fn create_container(&self, plan: &ContainerPlan) -> Result<String> {
        let name = self.container_name(&plan.name);
        let mounts = plan
            .volumes
            .iter()
            .map(|mount| Mount {
                target: Some(mount.target.clone()),
                source: Some(mount.volume.clone()),
                typ: Some(MountType::VOLUME),
                read_only: Some(mount.read_only),
                ..Default::default()
            })
            .collect();
        let port_bindings = plan
            .loopback_ports
            .iter()
            .map(|port| {
                let binding = PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    host_port: Some(String::new()),
                };
                (format!("{port}/tcp"), Some(vec![binding]))
            })
            .collect::<HashMap<_, _>>();
        let network_mode = plan.network.clone().unwrap_or_else(|| "none".to_string());
        let endpoints = (!plan.aliases.is_empty()).then(|| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                network_mode.clone(),
                EndpointSettings {
                    aliases: Some(plan.aliases.clone()),
                    ..Default::default()
                },
            )])),
        });
        let body = ContainerCreateBody {
            image: Some(plan.image.clone()),
            entrypoint: plan.entrypoint.clone(),
            cmd: plan.cmd.clone(),
            env: Some(plan.env.clone()),
            labels: Some(self.labels.with_role(&plan.role)),
            exposed_ports: Some(
                plan.loopback_ports
                    .iter()
                    .map(|p| format!("{p}/tcp"))
                    .collect(),
            ),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                network_mode: Some(network_mode),
                port_bindings: Some(port_bindings),
                cpuset_cpus: plan.cpuset.clone(),
                nano_cpus: plan.cpus.map(|cpus| (cpus * 1e9) as i64),
                cap_add: (!plan.cap_add.is_empty()).then(|| plan.cap_add.clone()),
                ..Default::default()
            }),
            networking_config: endpoints,
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        // On its own task, counted: a create that Ctrl-C abandons still lands in Docker,
        // and the final sweep waits for it rather than missing the container it makes.
        let api = self.api.clone();
        let creating = self.creating.clone();
        creating.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let created = tokio::spawn(async move {
            let created = api.create_container(Some(options), body).await;
            creating.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            created
        })
        .await
        .context("the container create task failed")?
        .with_context(|| format!("cannot create a container from image {}", plan.image))?;
        Ok(created.id)
    }

    pub async fn start_container(&self, id: &str) -> Result<()> {
        self.api
            .start_container(id, None)
            .await
            .with_context(|| format!("cannot start container {}", short(id)))
    }

    /// Waits for the container to stop, at most `limit`. A container still running then
    /// is killed and reported as timed out.
    pub async fn wait_container(&self, id: &str, limit: Duration) -> Result<WaitOutcome> {
        let wait = async {
            let mut stream = self.api.wait_container(id, None);
            match stream.next().await {
                Some(Ok(response)) => Ok(response.status_code),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(code)
                }
                Some(Err(error)) => Err(error).context("waiting for the container failed"),
                None => anyhow::bail!("Docker ended the wait without an exit code"),
            }
        };
        match tokio::time::timeout(limit, wait).await {
            Ok(code) => Ok(WaitOutcome::Exited(code?)),
            Err(_) => {
                self.kill_container(id).await?;
                Ok(WaitOutcome::TimedOut)
            }
        }
    }

    pub async fn kill_container(&self, id: &str) -> Result<()> {
        self.signal_container(id, "SIGKILL").await
    }

    /// Sends `signal` (`SIGTERM`, `SIGKILL`) to the container's PID 1.
    pub async fn signal_container(&self, id: &str, signal: &str) -> Result<()> {
        let options = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        match self.api.kill_container(id, Some(options)).await {
            // 409: it stopped on its own in the meantime.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(()),
            other => super::ignore_not_found(other),
        }
    }

    /// Stops with SIGTERM, then SIGKILL after `grace`.
    pub async fn stop_container(&self, id: &str, grace: Duration) -> Result<()> {
        let options = StopContainerOptionsBuilder::default()
            .t(grace.as_secs() as i32)
            .build();
        match self.api.stop_container(id, Some(options)).await {
            // 304: already stopped.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            other => super::ignore_not_found(other),
        }
    }

    pub async fn remove_container(&self, id: &str) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        super::ignore_not_found(self.api.remove_container(id, Some(options)).await)
    }

    /// The container's stdout and stderr, interleaved as written, at most `tail` lines.
    pub async fn container_logs(&self, id: &str, tail: usize) -> Result<String> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&tail.to_string())
            .build();
        let mut stream = self.api.logs(id, Some(options));
        let mut text = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.context("cannot read the container's log")?;
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        Ok(text)
    }

    /// Exit code and Docker's StartedAt..FinishedAt of a stopped container.
    pub async fn container_times(&self, id: &str) -> Result<ContainerTimes> {
        let inspect = self
            .api
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .context("cannot inspect the container")?;
        let state = inspect.state.unwrap_or_default();
        let docker_wall_s = match (&state.started_at, &state.finished_at) {
            (Some(start), Some(end)) => rfc3339_seconds_between(start, end),
            _ => None,
        };
        // Docker says 0 for a container that has not exited yet: that is no exit code.
        let exited = matches!(
            state.status,
            Some(ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD)
        );
        Ok(ContainerTimes {
            exit_code: state.exit_code.filter(|_| exited),
            docker_wall_s,
            started_unix_s: state
                .started_at
                .as_deref()
                .and_then(rfc3339_to_unix_seconds),
            oom_killed: state.oom_killed.unwrap_or(false),
        })
    }

    /// The host port that a published container port got on 127.0.0.1.
    pub async fn loopback_port(&self, id: &str, container_port: u16) -> Result<u16> {
        let inspect = self
            .api
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .context("cannot inspect the container")?;
        let key = format!("{container_port}/tcp");
        inspect
            .network_settings
            .and_then(|settings| settings.ports)
            .and_then(|ports| ports.get(&key).cloned().flatten())
            .and_then(|bindings| bindings.into_iter().find_map(|b| b.host_port))
            .and_then(|port| port.parse().ok())
            .with_context(|| format!("Docker published no host port for {key}"))
    }
}

pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Seconds between two RFC 3339 timestamps with nanoseconds, as Docker writes them.
pub fn rfc3339_seconds_between(start: &str, end: &str) -> Option<f64> {
    let start = rfc3339_to_unix_seconds(start)?;
    let end = rfc3339_to_unix_seconds(end)?;
    (end >= start).then_some(end - start)
}

/// Parses `2026-11-29T17:34:24.123456789Z` (or with an offset) into Unix seconds.
pub fn rfc3339_to_unix_seconds(text: &str) -> Option<f64> {
    let (date, rest) = text.split_once('T')?;
    let mut date_parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let (clock, offset_s) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, 0)
    } else {
        let split = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(split);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (h, m) = offset[1..].split_once(':')?;
        (
            clock,
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60),
        )
    };
    let mut clock_parts = clock.split(':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: f64 = clock_parts.next()?.parse().ok()?;
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3600 + minute * 60 - offset_s) as f64 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_timestamps_give_seconds_between() {
        let wall = rfc3339_seconds_between(
            "2026-11-29T17:34:24.100000000Z",
            "2026-11-29T17:34:26.350000000Z",
        )
        .unwrap();
        assert!((wall - 2.25).abs() < 1e-6, "{wall}");
    }

    #[test]
    fn timestamps_cross_midnight_and_month_ends() {
        let wall =
            rfc3339_seconds_between("2026-02-28T23:59:59.5Z", "2026-03-01T00:00:00.5Z").unwrap();
        assert!((wall - 1.0).abs() < 1e-6, "{wall}");
    }

    #[test]
    fn offsets_are_applied() {
        let wall =
            rfc3339_seconds_between("2026-11-29T18:00:00+01:00", "2026-11-29T17:00:01Z").unwrap();
        assert!((wall - 1.0).abs() < 1e-6, "{wall}");
    }

    #[test]
    fn unix_epoch_is_day_zero() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            rfc3339_to_unix_seconds("1970-01-02T00:00:00Z"),
            Some(86_400.0)
        );
    }

    #[test]
    fn docker_zero_time_or_reversed_gives_none() {
        assert_eq!(
            rfc3339_seconds_between("2026-01-01T00:00:01Z", "0001-01-01T00:00:00Z"),
            None
        );
        assert_eq!(
            rfc3339_seconds_between("garbage", "2026-01-01T00:00:00Z"),
            None
        );
    }
}

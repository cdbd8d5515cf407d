//! One measured run: create, start, wait with a limit, read, remove.

use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use anyhow::Result;

use super::init::INIT_SUBCOMMAND;
use super::install::{MOUNT_POINT, init_path};
use super::record::{InitReport, RunRecord, strip_markers};
use super::service::{ServiceLoad, drive_load, stop_service};
use super::window::LoadRecord;
use crate::docker::DockerHost;
use crate::docker::container::{ContainerPlan, VolumeMount, WaitOutcome};

/// Lines of a failed run's log quoted in its failure message.
pub const LOG_TAIL_LINES: usize = 20;
/// Between a failure's reason and the log lines quoted after it.
const LOG_TAIL_INTRO: &str = "; last log lines:";

/// A failure in one line, for progress: the reason and the log's last line.
pub fn failure_headline(failure: &str) -> String {
    let mut lines = failure.lines();
    let reason = lines.next().unwrap_or_default();
    match (reason.strip_suffix(LOG_TAIL_INTRO), lines.last()) {
        (Some(reason), Some(last)) => format!("{reason} (last log line: {})", last.trim()),
        _ => reason.to_string(),
    }
}

/// What to run, fully resolved.
#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    /// The container as the scenario describes it; the init is put in front of `argv`.
    pub container: ContainerPlan,
    /// The command: the image's entrypoint and cmd, or an override.
    pub argv: Vec<String>,
    pub timeout: Duration,
    /// A service run: loaded once started, then stopped with SIGTERM.
    pub load: Option<ServiceLoad>,
}

/// A finished run: its record and its log, markers removed.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub record: RunRecord,
    pub log: String,
}

/// Runs the plan under the measuring init, and always removes the container.
/// `on_start` hears the moment the container started, for actions scheduled during the run.
pub async fn run_measured(
    docker: &DockerHost,
    init_volume: &str,
    plan: &RunPlan,
    on_start: Option<oneshot::Sender<Instant>>,
) -> Result<RunOutcome> {
    let mut entrypoint = vec![init_path(), INIT_SUBCOMMAND.to_string(), "--".to_string()];
    entrypoint.extend(plan.argv.iter().cloned());
    let mut container = plan.container.clone();
    container.entrypoint = Some(entrypoint);
    // An empty cmd keeps the image's CMD from being appended to the entrypoint.
    container.cmd = Some(Vec::new());
    container.volumes.push(VolumeMount {
        volume: init_volume.to_string(),
        target: MOUNT_POINT.to_string(),
        read_only: true,
    });
    let id = docker.create_container(&container).await?;
    let outcome = observe(docker, &id, plan, on_start).await;
    let removed = docker.remove_container(&id).await;
    let outcome = outcome?;
    removed?;
    Ok(outcome)
}

async fn observe(
    docker: &DockerHost,
    id: &str,
    plan: &RunPlan,
    on_start: Option<oneshot::Sender<Instant>>,
) -> Result<RunOutcome> {
    docker.start_container(id).await?;
    if let Some(sender) = on_start {
        let _ = sender.send(Instant::now());
    }
    let mut load_failure = None;
    let mut load_report = None;
    let waited = match &plan.load {
        None => docker.wait_container(id, plan.timeout).await?,
        Some(load) => {
            match drive_load(docker, id, load, plan.timeout).await? {
                Ok(loaded) => load_report = Some(loaded),
                Err(why) => load_failure = Some(why),
            }
            match stop_service(docker, id, load.stop_grace).await? {
                WaitOutcome::TimedOut => {
                    load_failure.get_or_insert(format!(
                        "the service did not exit within {} s of SIGTERM and was killed",
                        load.stop_grace.as_secs_f64()
                    ));
                    // Not the run's time limit: the failure above says what happened.
                    WaitOutcome::Exited(137)
                }
                exited => exited,
            }
        }
    };
    let times = docker.container_times(id).await?;
    let raw_log = docker.container_logs(id, 200).await?;
    let mut record = RunRecord {
        docker_wall_s: times.docker_wall_s,
        exit_code: times.exit_code,
        timed_out: waited == WaitOutcome::TimedOut,
        started_unix_s: times.started_unix_s,
        ..Default::default()
    };
    if !record.timed_out
        && let Some(report) = InitReport::from_log(&raw_log)
    {
        record.apply_init_report(report);
    }
    if let Some(report) = load_report {
        let timeline = record.timeline.as_ref();
        record.load = Some(LoadRecord::new(report, timeline, record.started_unix_s));
    }
    let log = strip_markers(&raw_log);
    let reason = failure_reason(&record, times.oom_killed, plan);
    let reason = match (load_failure, reason) {
        (Some(load), Some(exit)) => Some(format!("{load}; the service {exit}")),
        (load, exit) => load.or(exit),
    };
    record.failure = reason.map(|reason| {
        let tail = log_tail(&log, LOG_TAIL_LINES);
        if tail.is_empty() {
            format!("{reason} (the log is empty)")
        } else {
            format!("{reason}{LOG_TAIL_INTRO}\n{tail}")
        }
    });
    Ok(RunOutcome { record, log })
}

fn failure_reason(record: &RunRecord, oom_killed: bool, plan: &RunPlan) -> Option<String> {
    if record.timed_out {
        return Some(format!(
            "timed out after {} s and was killed (raise the limit with --timeout or the `timeout` option)",
            plan.timeout.as_secs_f64()
        ));
    }
    if oom_killed {
        return Some("was killed for running out of memory".to_string());
    }
    match record.exit_code {
        Some(0) if record.wall_s.is_none() => {
            Some("exited 0 but the measuring init reported nothing".to_string())
        }
        Some(0) => None,
        Some(143) if plan.load.is_some() => Some(
            "exited with code 143: it did not handle SIGTERM (a service must stop and exit 0 \
             on SIGTERM)"
                .to_string(),
        ),
        Some(code) => Some(format!("exited with code {code}")),
        None => Some("has no exit code".to_string()),
    }
}

pub fn log_tail(log: &str, lines: usize) -> String {
    let kept: Vec<&str> = log.lines().collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_keeps_the_last_lines() {
        assert_eq!(log_tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(log_tail("a", 5), "a");
        assert_eq!(log_tail("", 5), "");
    }

    #[test]
    fn a_failure_headline_keeps_the_reason_and_the_last_log_line() {
        let failure =
            format!("exited with code 3{LOG_TAIL_INTRO}\nstarting\n  boom: no such file\n");
        assert_eq!(
            failure_headline(&failure),
            "exited with code 3 (last log line: boom: no such file)"
        );
        assert_eq!(
            failure_headline("exited with code 3 (the log is empty)"),
            "exited with code 3 (the log is empty)"
        );
    }

    #[test]
    fn failures_say_why() {
        let plan = RunPlan {
            timeout: Duration::from_secs(7),
            ..Default::default()
        };
        let mut record = RunRecord {
            exit_code: Some(3),
            wall_s: Some(1.0),
            ..Default::default()
        };
        assert_eq!(
            failure_reason(&record, false, &plan).unwrap(),
            "exited with code 3"
        );
        record.timed_out = true;
        assert!(
            failure_reason(&record, false, &plan)
                .unwrap()
                .contains("timed out after 7 s")
        );
        record.timed_out = false;
        record.exit_code = Some(0);
        assert_eq!(failure_reason(&record, false, &plan), None);
    }
}

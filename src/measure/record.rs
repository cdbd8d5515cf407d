//! What one run yields: the init's report from inside the container, and the full record.

use serde::{Deserialize, Serialize};

use super::window::LoadRecord;
use crate::ingester::stats::RunCounts;

/// Prefix of the line the init writes on stderr when the command exits.
pub const MARKER: &str = "@@pyrobench-run ";

/// Figures the init measured inside the container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitReport {
    pub wall_s: f64,
    /// CPU time of every process of the container but the init, each reaped by the
    /// time the report is made.
    pub cpu_user_s: f64,
    pub cpu_system_s: f64,
    /// Peak resident set of the largest single process.
    pub max_rss_bytes: u64,
    pub exit_code: i32,
    pub signal: Option<i32>,
    /// The measuring init's own CPU time (forwarding output, sampling).
    #[serde(default)]
    pub init_cpu_s: f64,
    /// Peak memory of the container as a whole, from its cgroup.
    #[serde(default)]
    pub container_peak_bytes: Option<u64>,
    /// Processes still running when the command exited: accounted, then stopped.
    #[serde(default)]
    pub leftover_processes: u32,
    /// Processes the init reaped that were not the command (orphans, zombies).
    #[serde(default)]
    pub orphans_reaped: u32,
    #[serde(default)]
    pub phases: Vec<Phase>,
    #[serde(default)]
    pub timeline: Option<Timeline>,
}

/// One phase of a run: from its marker (or the start) to the next marker (or the exit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    /// Seconds from the command's start to the phase's marker.
    pub start_s: f64,
    pub wall_s: f64,
    /// CPU time of the whole container in the phase, the init's own left out.
    pub cpu_s: Option<f64>,
}

/// CPU and memory of the container over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Seconds between samples (doubled each time a long run's timeline was halved).
    pub interval_s: f64,
    /// `[t_s, cpu_s, memory_bytes]`: seconds since the command started, the container's
    /// CPU seconds so far (the init's own left out), the memory charged to it.
    pub samples: Vec<[f64; 3]>,
}

impl InitReport {
    pub fn failed_to_start(wall_s: f64) -> Self {
        Self {
            wall_s,
            cpu_user_s: 0.0,
            cpu_system_s: 0.0,
            max_rss_bytes: 0,
            exit_code: 127,
            signal: None,
            init_cpu_s: 0.0,
            container_peak_bytes: None,
            leftover_processes: 0,
            orphans_reaped: 0,
            phases: Vec::new(),
            timeline: None,
        }
    }

    pub fn to_marker_line(&self) -> String {
        format!(
            "{MARKER}{}",
            serde_json::to_string(self).expect("plain data serializes")
        )
    }

    /// Finds the last marker line in a container's log. Output the command printed
    /// without a trailing newline can share the marker's line, so search within lines.
    pub fn from_log(log: &str) -> Option<Self> {
        log.lines().rev().find_map(|line| {
            let start = line.find(MARKER)?;
            serde_json::from_str(&line[start + MARKER.len()..]).ok()
        })
    }
}

/// Removes the init's marker lines, so logs read as the benchmark printed them.
pub fn strip_markers(log: &str) -> String {
    log.lines()
        .filter(|line| !line.contains(MARKER))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every phase name of these runs, in the order they first appear.
pub fn phase_names(runs: &[&RunRecord]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for phase in runs.iter().flat_map(|run| &run.phases) {
        if !names.contains(&phase.name) {
            names.push(phase.name.clone());
        }
    }
    names
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One measured run, as it appears in the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunRecord {
    /// Wall time of the benchmarked command, measured inside the container.
    pub wall_s: Option<f64>,
    pub cpu_user_s: Option<f64>,
    pub cpu_system_s: Option<f64>,
    /// Peak resident set of the largest single process in the container.
    pub max_rss_bytes: Option<u64>,
    /// Peak memory of the container as a whole (its memory cgroup: every process, and the
    /// page cache and kernel memory charged to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_peak_bytes: Option<u64>,
    /// The measuring init's own CPU time, not part of `cpu_*_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_cpu_s: Option<f64>,
    /// Processes still running when the command exited, accounted and then stopped.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub leftover_processes: u32,
    /// Orphans and zombies the init reaped besides the command.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub orphans_reaped: u32,
    /// The run's phases, from `pyrobench:phase` markers; one, `startup`, without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Phase>,
    /// The container's CPU and memory over the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// Docker's own StartedAt to FinishedAt, container start-up and teardown included.
    pub docker_wall_s: Option<f64>,
    pub exit_code: Option<i64>,
    pub timed_out: bool,
    /// What the ingesters on the run's network received during the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingester: Option<RunCounts>,
    /// A service run's load: what the generator measured, and the service's CPU and
    /// memory over the measured window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadRecord>,
    /// Why the run failed, with the tail of its log, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// When the container started (Docker's StartedAt), in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_unix_s: Option<f64>,
    /// What the script did while the run was in progress.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionEvent>,
    /// The interleaved round the run belongs to (from 1), which pairs it with the
    /// baseline run of the same round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<usize>,
}

/// A scheduled action, as it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionEvent {
    /// Seconds since the run's container started.
    pub t_s: f64,
    pub label: String,
    /// False when the run had ended before the action's time came.
    pub during_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunRecord {
    pub fn cpu_s(&self) -> Option<f64> {
        Some(self.cpu_user_s? + self.cpu_system_s?)
    }

    /// A run counts in the statistics only when it finished on time with exit code 0,
    /// and nothing else failed (a service's load).
    pub fn succeeded(&self) -> bool {
        !self.timed_out
            && self.exit_code == Some(0)
            && self.wall_s.is_some()
            && self.failure.is_none()
    }

    pub fn apply_init_report(&mut self, report: InitReport) {
        self.wall_s = Some(report.wall_s);
        self.cpu_user_s = Some(report.cpu_user_s);
        self.cpu_system_s = Some(report.cpu_system_s);
        self.max_rss_bytes = Some(report.max_rss_bytes);
        self.container_peak_bytes = report.container_peak_bytes;
        self.init_cpu_s = Some(report.init_cpu_s);
        self.leftover_processes = report.leftover_processes;
        self.orphans_reaped = report.orphans_reaped;
        self.phases = report.phases;
        self.timeline = report.timeline;
    }

    /// Wall and CPU seconds of every phase of that name (a phase may recur).
    pub fn phase(&self, name: &str) -> Option<(f64, Option<f64>)> {
        let mut matching = self.phases.iter().filter(|p| p.name == name).peekable();
        matching.peek()?;
        let (wall, cpu) = matching.fold((0.0, Some(0.0)), |(wall, cpu), p| {
            (wall + p.wall_s, cpu.zip(p.cpu_s).map(|(a, b)| a + b))
        });
        Some((wall, cpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> InitReport {
        InitReport {
            wall_s: 1.5,
            cpu_user_s: 1.25,
            cpu_system_s: 0.125,
            max_rss_bytes: 4096,
            exit_code: 0,
            phases: vec![Phase {
                name: "startup".into(),
                start_s: 0.0,
                wall_s: 1.5,
                cpu_s: Some(1.375),
            }],
            ..InitReport::failed_to_start(1.5)
        }
    }

    #[test]
    fn marker_round_trips_through_a_log() {
        let log = format!("hello\n{}\n", report().to_marker_line());
        assert_eq!(InitReport::from_log(&log), Some(report()));
    }

    #[test]
    fn marker_is_found_after_output_without_newline() {
        let log = format!("partial line{}\n", report().to_marker_line());
        assert_eq!(InitReport::from_log(&log), Some(report()));
    }

    #[test]
    fn the_last_marker_wins_and_garbage_is_ignored() {
        let mut later = report();
        later.exit_code = 3;
        let log = format!(
            "{}\n{MARKER}not json\n{}\n",
            report().to_marker_line(),
            later.to_marker_line()
        );
        assert_eq!(InitReport::from_log(&log), Some(later));
        assert_eq!(InitReport::from_log("no marker here"), None);
    }

    #[test]
    fn strip_markers_keeps_the_benchmark_output() {
        let log = format!("a\nb\n{}", report().to_marker_line());
        assert_eq!(strip_markers(&log), "a\nb");
    }

    #[test]
    fn only_clean_exits_succeed() {
        let mut run = RunRecord::default();
        run.apply_init_report(report());
        run.exit_code = Some(0);
        assert!(run.succeeded());
        assert_eq!(run.cpu_s(), Some(1.375));
        run.exit_code = Some(1);
        assert!(!run.succeeded());
        run.exit_code = Some(0);
        run.timed_out = true;
        assert!(!run.succeeded());
    }
}

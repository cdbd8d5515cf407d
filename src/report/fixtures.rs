//! Results with known figures, built from run records rather than Docker, for the
//! renderers' tests.
//!
//! `fibonacci-rust` (complete): a `baseline` of 8 runs, wall and CPU time 2.00..2.09 s
//! (median 2.05 s); `pyroscope agent`, the same rounds with wall +4%, CPU +20%, peak RSS
//! +12 MiB and 3 profiles a run, plus one run that failed (exit code 1); `pyroscope idle`,
//! the baseline's figures in another order (no difference), 1 profile a run.
//!
//! `fibonacci-python` (stopped part-way): a `baseline` of 3 runs and a `pyroscope agent`
//! whose only run failed.
//!
//! `fibonacci-timed` (with timelines): a `baseline` of 3 runs of wall 1.2, 1.0, 1.1 s
//! (median 1.1 s: the third run) and a `pyroscope agent` of 1.6, 1.5, 1.9 s (median 1.6 s:
//! the first run) and a failed run. Every successful run has a sample each 0.1 s, one core
//! busy (half a core in `shutdown`), and phases `startup`, `work` from 0.2 s and
//! `shutdown` for the last 0.3 s; each agent run has uploads answered 200 at 0.5 s and
//! 1.2 s, one answered 503 at 1.4 s, and one not yet placed in time.

use std::collections::BTreeMap;

use super::Provenance;
use crate::bench::result::{BenchmarkResult, ScenarioResult};
use crate::bench::threshold::{Check, Metric};
use crate::ingester::stats::{RequestEvent, RunCounts};
use crate::measure::record::{Phase, RunRecord, Timeline};

pub const MIB: u64 = 1024 * 1024;

/// The baseline's wall and CPU times, round by round (rounds 1 to 8). Sorted they are
/// 2.00 2.01 2.02 2.04 | 2.06 2.07 2.08 2.09: the median is 2.05.
pub const BASE_S: [f64; 8] = [2.04, 2.00, 2.08, 2.01, 2.09, 2.02, 2.07, 2.06];
/// The baseline's peak RSS in MiB, round by round.
pub const BASE_RSS_MIB: [u64; 8] = [52, 50, 57, 51, 55, 53, 56, 54];
pub const WALL_FACTOR: f64 = 1.04;
pub const CPU_FACTOR: f64 = 1.20;
pub const AGENT_RSS_EXTRA_MIB: u64 = 12;
pub const AGENT_PROFILES: u64 = 3;
pub const FAILURE: &str = "exit code 1: ModuleNotFoundError: No module named 'pyroscope'";

pub fn provenance() -> Provenance {
    Provenance {
        script: "bench/overhead.rhai".into(),
        params: BTreeMap::from([
            ("rate".to_string(), "100".to_string()),
            ("agent".to_string(), "pyroscope".to_string()),
        ]),
        runs: Some(8),
        warmup: Some(1),
        timeout_s: 120.0,
    }
}

/// A successful run: CPU time split 0.25 s system, the rest user.
pub fn run(round: usize, wall: f64, cpu: f64, rss_bytes: u64) -> RunRecord {
    RunRecord {
        wall_s: Some(wall),
        cpu_user_s: Some(cpu - 0.25),
        cpu_system_s: Some(0.25),
        max_rss_bytes: Some(rss_bytes),
        // The container holds the process and 8 MiB of page cache and kernel memory.
        container_peak_bytes: Some(rss_bytes + 8 * MIB),
        docker_wall_s: Some(wall + 0.5),
        exit_code: Some(0),
        round: Some(round),
        ..Default::default()
    }
}

/// A run the benchmark failed in, after it had measured something.
pub fn failed_run(round: Option<usize>) -> RunRecord {
    RunRecord {
        wall_s: Some(0.4),
        cpu_user_s: Some(0.3),
        cpu_system_s: Some(0.05),
        max_rss_bytes: Some(20 * MIB),
        docker_wall_s: Some(0.9),
        exit_code: Some(1),
        failure: Some(FAILURE.into()),
        round,
        ..Default::default()
    }
}

pub fn profiles(profiles: u64) -> Option<RunCounts> {
    Some(RunCounts {
        requests: profiles,
        bytes: 4096 * profiles,
        profiles,
        samples: 100 * profiles,
        ..Default::default()
    })
}

fn scenario(name: &str, profiling: bool, runs: Vec<RunRecord>) -> ScenarioResult {
    ScenarioResult {
        runs,
        ..ScenarioResult::new(name, profiling)
    }
}

/// The complete experiment: baseline, `pyroscope agent`, `pyroscope idle`.
pub fn complete() -> BenchmarkResult {
    let rounds = || (1..=8).zip(BASE_S.into_iter().zip(BASE_RSS_MIB));
    let baseline = rounds()
        .map(|(round, (s, mib))| run(round, s, s, mib * MIB))
        .collect();
    let mut agent: Vec<RunRecord> = rounds()
        .map(|(round, (s, mib))| RunRecord {
            ingester: profiles(AGENT_PROFILES),
            ..run(
                round,
                s * WALL_FACTOR,
                s * CPU_FACTOR,
                (mib + AGENT_RSS_EXTRA_MIB) * MIB,
            )
        })
        .collect();
    agent.push(RunRecord {
        ingester: profiles(0),
        ..failed_run(None)
    });
    let idle = (1..=8)
        .map(|round| {
            let other = (round + 2) % 8;
            RunRecord {
                ingester: profiles(1),
                ..run(
                    round,
                    BASE_S[other],
                    BASE_S[other],
                    BASE_RSS_MIB[other] * MIB,
                )
            }
        })
        .collect();
    let mut result = BenchmarkResult {
        build_args: Default::default(),
        image_id: Some("sha256:0123abcd".into()),
        name: "fibonacci-rust".into(),
        image: "pyrobench/fibonacci-rust:latest".into(),
        scenarios: vec![
            scenario("baseline", false, baseline),
            scenario("pyroscope agent", true, agent),
            scenario("pyroscope idle", true, idle),
        ],
        complete: true,
        warnings: Vec::new(),
    };
    result.finalize(None);
    result
}

/// The experiment that stopped: 3 baseline runs, and an agent whose only run failed.
pub fn stopped() -> BenchmarkResult {
    let mut result = BenchmarkResult {
        build_args: Default::default(),
        image_id: Some("sha256:0123abcd".into()),
        name: "fibonacci-python".into(),
        image: "pyrobench/fibonacci-python:latest".into(),
        scenarios: vec![
            scenario(
                "baseline",
                false,
                (1..=3)
                    .map(|round| run(round, BASE_S[round], BASE_S[round], 50 * MIB))
                    .collect(),
            ),
            scenario("pyroscope agent", true, vec![failed_run(Some(1))]),
        ],
        complete: false,
        warnings: Vec::new(),
    };
    result.finalize(None);
    result
}

/// The interval between the samples of `timed()`'s timelines.
pub const TIMED_INTERVAL_S: f64 = 0.1;
pub const TIMED_BASE_S: [f64; 3] = [1.2, 1.0, 1.1];
pub const TIMED_AGENT_S: [f64; 3] = [1.6, 1.5, 1.9];

/// A run with phases and a timeline: `wall / TIMED_INTERVAL_S + 1` samples.
pub fn timed_run(round: usize, wall: f64, memory_mib: u64) -> RunRecord {
    let shutdown = wall - 0.3;
    let samples = (0..=(wall / TIMED_INTERVAL_S).round() as usize)
        .map(|i| {
            let t = i as f64 * TIMED_INTERVAL_S;
            let cpu = t.min(shutdown) + (t - shutdown).max(0.0) * 0.5;
            let memory = (memory_mib * MIB) as f64 * (t / wall).min(1.0);
            [t, cpu, memory]
        })
        .collect();
    let phase = |name: &str, start_s: f64, end_s: f64| Phase {
        name: name.into(),
        start_s,
        wall_s: end_s - start_s,
        cpu_s: None,
    };
    RunRecord {
        phases: vec![
            phase("startup", 0.0, 0.2),
            phase("work", 0.2, shutdown),
            phase("shutdown", shutdown, wall),
        ],
        timeline: Some(Timeline {
            interval_s: TIMED_INTERVAL_S,
            samples,
        }),
        ..run(round, wall, wall - 0.15, memory_mib * MIB)
    }
}

fn upload(t_s: Option<f64>, status: &str) -> RequestEvent {
    RequestEvent {
        unix_s: 1.7e9 + t_s.unwrap_or(0.0),
        t_s,
        endpoint: "/ingest".into(),
        status: status.into(),
        latency_ms: Some(1.0),
        bytes: 4096,
    }
}

/// Two scenarios whose runs have timelines, phases, and (the agent's) uploads.
pub fn timed() -> BenchmarkResult {
    let baseline = (1..=3)
        .zip(TIMED_BASE_S)
        .map(|(round, s)| timed_run(round, s, 40))
        .collect();
    let mut agent: Vec<RunRecord> = (1..=3)
        .zip(TIMED_AGENT_S)
        .map(|(round, s)| RunRecord {
            ingester: Some(RunCounts {
                timeline: vec![
                    upload(Some(0.5), "200"),
                    upload(Some(1.2), "200"),
                    upload(Some(1.4), "503"),
                    upload(None, "200"),
                ],
                ..profiles(3).unwrap()
            }),
            ..timed_run(round, s, 60)
        })
        .collect();
    agent.push(failed_run(Some(4)));
    let mut result = BenchmarkResult {
        build_args: Default::default(),
        image_id: None,
        name: "fibonacci-timed".into(),
        image: "pyrobench/fibonacci-timed:latest".into(),
        scenarios: vec![
            scenario("baseline", false, baseline),
            scenario("pyroscope agent", true, agent),
        ],
        complete: true,
        warnings: Vec::new(),
    };
    result.finalize(None);
    result
}

/// A service run of latency `p50_ms` (the other percentiles 2, 4, 8 and 10 times it) and
/// `cpu_per_request_ms`, at 100 requests/s.
pub fn loaded_run(round: usize, p50_ms: f64, cpu_per_request_ms: f64) -> RunRecord {
    let report = crate::load::LoadReport {
        model: crate::load::Model::Open { rate: 100.0 },
        connections: 4,
        warmup_s: 1.0,
        duration_s: 10.0,
        requests: 1000,
        ok: 1000,
        errors: BTreeMap::new(),
        rate: 100.0,
        latency_ms: Some(crate::load::LatencyMs {
            p50: p50_ms,
            p90: 2.0 * p50_ms,
            p99: 4.0 * p50_ms,
            p999: 8.0 * p50_ms,
            max: 10.0 * p50_ms,
        }),
        window_unix_s: [1.0, 11.0],
        ready_s: Some(0.2),
    };
    RunRecord {
        load: Some(crate::measure::window::LoadRecord {
            cpu_s: Some(cpu_per_request_ms),
            cpu_per_request_ms: Some(cpu_per_request_ms),
            memory_peak_bytes: Some(30 * MIB),
            report,
        }),
        ..run(round, 12.0, 10.0 * cpu_per_request_ms, 30 * MIB)
    }
}

/// A service under load: a `baseline` of 3 runs with p50 1.0, 1.1, 1.2 ms and 1 ms of CPU
/// per request, and a `pyroscope agent` 50% slower and costlier.
pub fn loaded() -> BenchmarkResult {
    let scenario_of = |factor: f64| -> Vec<RunRecord> {
        (1..=3)
            .map(|round| loaded_run(round, factor * (0.9 + 0.1 * round as f64), factor))
            .collect()
    };
    let mut result = BenchmarkResult {
        build_args: Default::default(),
        image_id: None,
        name: "service-timed".into(),
        image: "pyrobench/service-timed:latest".into(),
        scenarios: vec![
            scenario("baseline", false, scenario_of(1.0)),
            scenario("pyroscope agent", true, scenario_of(1.5)),
        ],
        complete: true,
        warnings: Vec::new(),
    };
    result.finalize(None);
    result
}

/// A limit on the agent's CPU overhead, breached, and one on its profiles, passed.
pub fn checks(result: &BenchmarkResult) -> Vec<Check> {
    let agent = &result.scenarios[1];
    vec![
        Check {
            benchmark: result.name.clone(),
            scenario: agent.name.clone(),
            metric: Metric::MaxCpuPct,
            limit: 10.0,
            value: agent.overhead.as_ref().and_then(|o| o.cpu_pct),
            passed: false,
        },
        Check {
            benchmark: result.name.clone(),
            scenario: agent.name.clone(),
            metric: Metric::MinProfiles,
            limit: 1.0,
            value: agent.summary.ingester_profiles,
            passed: true,
        },
    ]
}

/// Within float rounding of `expected`.
pub fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

/// How many times `needle` occurs in `text`.
pub fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

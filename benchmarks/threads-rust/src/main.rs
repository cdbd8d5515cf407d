//! Many threads and channels: a concurrency-intensive native workload for
//! pyrobench, profiled by the `pyroscope` crate (pprof-rs backend) when asked to.
//!
//! A producer thread feeds jobs into a bounded `std::sync::mpsc::sync_channel`;
//! `THREADS_WORKERS` worker threads share its receiver behind a `Mutex` (so they
//! contend for the queue), do a variable amount of CPU work per job, sleep
//! briefly on every fourth job (simulated I/O), and send results over a second
//! channel to the main thread, which folds them into an order-independent
//! checksum. std only: no crates beyond the agent.
//!
//! Environment contract (shared by every pyrobench benchmark, see benchmarks/README.md):
//!   PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
//!                                               before the work, stop and shut it
//!                                               down after (flushes the last profile);
//!                                               unset or empty: no agent is built
//!   PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
//!   PYROSCOPE_APPLICATION_NAME  default pyrobench.threads.rust
//!   PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
//!   THREADS_JOBS                workload size in jobs, default 30000 (about 2.5 s of
//!                               CPU on the 2-core reference machine; linear)
//!   THREADS_WORKERS             worker threads, default 16
//!
//! The crate uploads every 10 s of wall-clock time (aligned to multiples of 10 s);
//! that period is fixed in pyroscope 2.0.0 and cannot be configured, and its
//! shutdown waits for the next multiple of 10 s, so a profiled run lasts until then.

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use pyroscope::backend::{pprof_backend, BackendConfig, PprofConfig};
use pyroscope::pyroscope::{PyroscopeAgentBuilder, PyroscopeAgentReady, PyroscopeAgentRunning};
use pyroscope::PyroscopeAgent;

const DEFAULT_JOBS: u64 = 30_000;
const DEFAULT_WORKERS: u64 = 16;
const NAME: &str = "threads";

/// Sent as the spy version; keep in step with the `=2.0.0` pin in Cargo.toml.
const AGENT_VERSION: &str = "2.0.0";

/// Capacity of the job queue: small, so the producer blocks and workers wait.
const QUEUE_CAPACITY: usize = 64;
/// CPU work per job: MIN_STEPS + (0..SPREAD_STEPS) steps of a serial hash chain.
const MIN_STEPS: u64 = 10_000;
const SPREAD_STEPS: u64 = 40_000;
/// Every SLEEP_EVERY-th job also sleeps this long (simulated I/O wait).
const SLEEP_EVERY: u64 = 4;
const SLEEP: Duration = Duration::from_micros(100);

/// splitmix64 finalizer.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Job {
    id: u64,
    steps: u64,
}

/// The CPU part of a job: a serial chain the compiler cannot shorten.
#[inline(never)]
fn compute(seed: u64, steps: u64) -> u64 {
    let mut x = seed;
    for _ in 0..steps {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        x ^= x >> 29;
    }
    x
}

#[inline(never)]
fn produce(jobs: u64, tx: mpsc::SyncSender<Job>) {
    for id in 0..jobs {
        let steps = MIN_STEPS + mix(id) % SPREAD_STEPS;
        if tx.send(Job { id, steps }).is_err() {
            return; // every worker is gone
        }
    }
}

#[inline(never)]
fn work(queue: &Mutex<mpsc::Receiver<Job>>, results: &mpsc::Sender<(u64, u64)>) -> u64 {
    let mut done = 0;
    loop {
        // The lock is held only while taking one job off the queue.
        let job = match queue.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return done, // another worker panicked
        };
        let Ok(job) = job else { return done }; // producer finished, queue drained
        let value = compute(job.id, black_box(job.steps));
        if job.id % SLEEP_EVERY == 0 {
            thread::sleep(SLEEP);
        }
        if results.send((job.id, value)).is_err() {
            return done;
        }
        done += 1;
    }
}

#[inline(never)]
fn run_pool(jobs: u64, workers: u64) -> Result<u64, String> {
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(QUEUE_CAPACITY);
    let (res_tx, res_rx) = mpsc::channel::<(u64, u64)>();
    let queue = Arc::new(Mutex::new(job_rx));
    let start = Arc::new(Barrier::new(workers as usize + 1));

    let mut handles = Vec::with_capacity(workers as usize);
    for w in 0..workers {
        let queue = Arc::clone(&queue);
        let results = res_tx.clone();
        let start = Arc::clone(&start);
        let handle = thread::Builder::new()
            .name(format!("worker-{w}"))
            .spawn(move || {
                start.wait();
                work(&queue, &results)
            })
            .map_err(|e| format!("cannot start worker thread: {e}"))?;
        handles.push(handle);
    }
    drop(res_tx);
    start.wait();
    let producer = thread::Builder::new()
        .name("producer".into())
        .spawn(move || produce(jobs, job_tx))
        .map_err(|e| format!("cannot start producer thread: {e}"))?;

    // Order-independent fold: results arrive in whatever order workers finish.
    let mut checksum = 0u64;
    let mut received = 0u64;
    for (id, value) in res_rx {
        checksum = checksum.wrapping_add(mix(id ^ value));
        received += 1;
    }
    producer.join().map_err(|_| "producer thread panicked")?;
    let mut per_worker = Vec::with_capacity(handles.len());
    for h in handles {
        per_worker.push(h.join().map_err(|_| "worker thread panicked")?);
    }
    if received != jobs {
        return Err(format!("received {received} results for {jobs} jobs"));
    }
    eprintln!(
        "threads: jobs per worker min={} max={}",
        per_worker.iter().min().unwrap_or(&0),
        per_worker.iter().max().unwrap_or(&0)
    );
    Ok(checksum)
}

fn env_string(name: &str, default: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => default.to_string(),
    }
}

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("{name} must be a non-negative integer, got {v:?}")),
        _ => Ok(default),
    }
}

fn start_agent(sample_rate: u32) -> Result<PyroscopeAgent<PyroscopeAgentRunning>, String> {
    let url = env_string("PYROSCOPE_SERVER_ADDRESS", "http://ingester:4040");
    let app = env_string("PYROSCOPE_APPLICATION_NAME", "pyrobench.threads.rust");
    let backend = pprof_backend(PprofConfig { sample_rate }, BackendConfig::default());
    let agent: PyroscopeAgent<PyroscopeAgentReady> = PyroscopeAgentBuilder::new(
        url,
        app,
        sample_rate,
        "pyroscope-rs",
        AGENT_VERSION,
        backend,
    )
    .tags(vec![("benchmark", NAME)])
    .build()
    .map_err(|e| format!("pyroscope agent: build failed: {e}"))?;
    agent
        .start()
        .map_err(|e| format!("pyroscope agent: start failed: {e}"))
}

fn run() -> Result<(), String> {
    let jobs = env_u64("THREADS_JOBS", DEFAULT_JOBS)?;
    let workers = env_u64("THREADS_WORKERS", DEFAULT_WORKERS)?;
    if !(1..=1024).contains(&workers) {
        return Err(format!("THREADS_WORKERS must be between 1 and 1024, got {workers}"));
    }
    let sample_rate = env_u64("PYROSCOPE_SAMPLE_RATE", 100)?;
    let sample_rate = u32::try_from(sample_rate)
        .ok()
        .filter(|r| *r > 0)
        .ok_or("PYROSCOPE_SAMPLE_RATE must be between 1 and 4294967295")?;
    let profiling = std::env::var_os("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING")
        .is_some_and(|v| !v.is_empty());

    let agent = if profiling {
        Some(start_agent(sample_rate)?)
    } else {
        None
    };

    // pyrobench phase markers (benchmarks/README.md): on stderr, which is unbuffered,
    // so each line reaches the measuring init when it is printed. The baseline prints
    // them at the same points, so both have the same phases.
    eprintln!("pyrobench:phase work");
    let result = run_pool(black_box(jobs), workers);
    eprintln!("pyrobench:phase shutdown");

    if let Some(running) = agent {
        // stop() hands the last report to the uploader; shutdown() joins the
        // timer, uploader and agent threads, so the last profile is sent before
        // we exit. This time is part of the measured cost.
        let ready = running
            .stop()
            .map_err(|e| format!("pyroscope agent: stop failed: {e}"))?;
        ready.shutdown();
    }
    let checksum = result?;
    println!("threads jobs={jobs} workers={workers} checksum={checksum:016x}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("threads: {e}");
            ExitCode::from(2)
        }
    }
}

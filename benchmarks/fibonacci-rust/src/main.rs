//! Recursive Fibonacci: a CPU-bound native workload for pyrobench, profiled by
//! the `pyroscope` crate (pprof-rs backend) when asked to.
//!
//! Environment contract (shared by every pyrobench benchmark):
//!   PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
//!                                               before the work, stop and shut it
//!                                               down after (flushes the last profile);
//!                                               unset or empty: no agent is built
//!   PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
//!   PYROSCOPE_APPLICATION_NAME  default pyrobench.fibonacci.rust
//!   PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
//!   FIBONACCI_N                 workload size, default 43 (about 2.5 s of CPU on
//!                               the 2-core reference machine; each +1 is x1.6)
//!
//! The crate uploads every 10 s of wall-clock time (aligned to multiples of 10 s);
//! that period is fixed in pyroscope 2.0.0 and cannot be configured, and its
//! shutdown waits for the next multiple of 10 s, so a profiled run lasts until then.

use std::hint::black_box;
use std::process::ExitCode;

use pyroscope::backend::{pprof_backend, BackendConfig, PprofConfig};
use pyroscope::pyroscope::{PyroscopeAgentBuilder, PyroscopeAgentReady, PyroscopeAgentRunning};
use pyroscope::PyroscopeAgent;

const DEFAULT_N: u32 = 43;

/// Sent as the spy version; keep in step with the `=2.0.0` pin in Cargo.toml.
const AGENT_VERSION: &str = "2.0.0";

#[inline(never)]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    fib(black_box(n - 1)) + fib(black_box(n - 2))
}

fn env_string(name: &str, default: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => default.to_string(),
    }
}

fn env_u32(name: &str, default: u32) -> Result<u32, String> {
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
    let app = env_string("PYROSCOPE_APPLICATION_NAME", "pyrobench.fibonacci.rust");
    let backend = pprof_backend(PprofConfig { sample_rate }, BackendConfig::default());
    let agent: PyroscopeAgent<PyroscopeAgentReady> = PyroscopeAgentBuilder::new(
        url,
        app,
        sample_rate,
        "pyroscope-rs",
        AGENT_VERSION,
        backend,
    )
    .tags(vec![("benchmark", "fibonacci")])
    .build()
    .map_err(|e| format!("pyroscope agent: build failed: {e}"))?;
    agent
        .start()
        .map_err(|e| format!("pyroscope agent: start failed: {e}"))
}

fn run() -> Result<(), String> {
    let n = env_u32("FIBONACCI_N", DEFAULT_N)?;
    let sample_rate = env_u32("PYROSCOPE_SAMPLE_RATE", 100)?;
    if sample_rate == 0 {
        return Err("PYROSCOPE_SAMPLE_RATE must be positive".into());
    }
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
    let value = fib(black_box(n));
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
    println!("fib({n})={value}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fibonacci: {e}");
            ExitCode::from(2)
        }
    }
}

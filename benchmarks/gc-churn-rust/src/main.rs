//! Allocation churn: a memory-intensive native workload for pyrobench, profiled
//! by the `pyroscope` crate (pprof-rs backend) when asked to.
//!
//! Rust has no garbage collector; the counterpart of `gc-churn-python` is heavy
//! traffic through the allocator (glibc malloc/free): every round builds and
//! drops a boxed binary tree, a forest of small trees, a `HashMap<u64, Vec<u64>>`
//! with overwrites, removals and growing vectors, and a `HashMap<String, Box<[u8]>>`.
//!
//! Environment contract (shared by every pyrobench benchmark, see benchmarks/README.md):
//!   PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
//!                                               before the work, stop and shut it
//!                                               down after (flushes the last profile);
//!                                               unset or empty: no agent is built
//!   PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
//!   PYROSCOPE_APPLICATION_NAME  default pyrobench.gc-churn.rust
//!   PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
//!   GC_CHURN_ITERATIONS         workload size in rounds, default 1000 (about 2.5 s of
//!                               CPU on the 2-core reference machine; linear)
//!
//! The crate uploads every 10 s of wall-clock time (aligned to multiples of 10 s);
//! that period is fixed in pyroscope 2.0.0 and cannot be configured, and its
//! shutdown waits for the next multiple of 10 s, so a profiled run lasts until then.

use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;

use pyroscope::backend::{pprof_backend, BackendConfig, PprofConfig};
use pyroscope::pyroscope::{PyroscopeAgentBuilder, PyroscopeAgentReady, PyroscopeAgentRunning};
use pyroscope::PyroscopeAgent;

const DEFAULT_ITERATIONS: u64 = 1000;
const NAME: &str = "gc-churn";

/// Sent as the spy version; keep in step with the `=2.0.0` pin in Cargo.toml.
const AGENT_VERSION: &str = "2.0.0";

/// Depth of the big tree built and dropped every round (2^13 - 1 nodes).
const BIG_TREE_DEPTH: u32 = 12;
/// Small, short-lived trees per round, and their depth (31 nodes each).
const SMALL_TREES: u64 = 256;
const SMALL_TREE_DEPTH: u32 = 4;
/// Insertions into the integer map per round (keys collide, so some overwrite).
const MAP_INSERTS: u64 = 4096;
/// Entries of the string-keyed map per round.
const STRING_ENTRIES: u64 = 1024;

/// splitmix64: a cheap, deterministic source of "random" sizes and keys.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Node {
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
    value: u64,
}

#[inline(never)]
fn build_tree(depth: u32, seed: u64) -> Box<Node> {
    if depth == 0 {
        return Box::new(Node { left: None, right: None, value: seed });
    }
    Box::new(Node {
        left: Some(build_tree(depth - 1, mix(seed))),
        right: Some(build_tree(depth - 1, mix(seed ^ 0x5555))),
        value: seed,
    })
}

#[inline(never)]
fn check_tree(node: &Node) -> u64 {
    let mut sum = node.value.rotate_left(7);
    if let Some(l) = &node.left {
        sum = sum.wrapping_add(check_tree(l));
    }
    if let Some(r) = &node.right {
        sum ^= check_tree(r).wrapping_mul(3);
    }
    sum
}

#[inline(never)]
fn tree_churn(round: u64) -> u64 {
    let big = build_tree(BIG_TREE_DEPTH, mix(round));
    let mut sum = check_tree(&big);
    drop(black_box(big));
    for t in 0..SMALL_TREES {
        let small = build_tree(SMALL_TREE_DEPTH, mix(round.wrapping_mul(SMALL_TREES) + t));
        sum = sum.wrapping_add(check_tree(black_box(&small)));
    }
    sum
}

#[inline(never)]
fn map_churn(round: u64) -> u64 {
    let mut map: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut x = mix(round ^ 0xdead_beef);
    for _ in 0..MAP_INSERTS {
        x = mix(x);
        let key = x % (MAP_INSERTS * 3 / 4);
        let len = (x >> 32) % 24 + 1;
        let mut v = Vec::new(); // grows by pushes: several reallocations
        for j in 0..len {
            v.push(x.wrapping_add(j));
        }
        map.insert(key, v); // an overwritten value is dropped here
    }
    map.retain(|k, v| {
        if k % 3 == 0 {
            return false;
        }
        v.push(*k); // may reallocate again
        true
    });
    // Sum is order-independent: HashMap iteration order is random per process.
    let mut sum = map.len() as u64;
    for (k, v) in &map {
        let mut h = *k;
        for e in v {
            h = h.wrapping_mul(31).wrapping_add(*e);
        }
        sum = sum.wrapping_add(mix(h));
    }
    sum
}

#[inline(never)]
fn string_churn(round: u64) -> u64 {
    let mut map: HashMap<String, Box<[u8]>> = HashMap::with_capacity(16);
    for i in 0..STRING_ENTRIES {
        let x = mix(round.wrapping_mul(STRING_ENTRIES) + i);
        let key = format!("key-{}-{:x}", i % 700, x >> 40);
        let len = (x % 96) as usize + 8;
        let value: Box<[u8]> = (0..len).map(|j| (x >> (j % 56)) as u8).collect();
        map.insert(key, value);
    }
    let mut sum = 0u64;
    for (k, v) in &map {
        let mut h = k.len() as u64;
        for b in k.bytes().chain(v.iter().copied()) {
            h = h.wrapping_mul(131).wrapping_add(u64::from(b));
        }
        sum = sum.wrapping_add(h);
    }
    sum
}

#[inline(never)]
fn churn(iterations: u64) -> u64 {
    let mut checksum = 0u64;
    for round in 0..iterations {
        let r = tree_churn(round) ^ map_churn(round).rotate_left(17) ^ string_churn(round).rotate_left(41);
        checksum = mix(checksum ^ r);
    }
    checksum
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
    let app = env_string("PYROSCOPE_APPLICATION_NAME", "pyrobench.gc-churn.rust");
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
    let iterations = env_u64("GC_CHURN_ITERATIONS", DEFAULT_ITERATIONS)?;
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
    let checksum = churn(black_box(iterations));
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
    println!("gc-churn iterations={iterations} checksum={checksum:016x}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gc-churn: {e}");
            ExitCode::from(2)
        }
    }
}

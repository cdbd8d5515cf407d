//! Recursive Fibonacci, profiled in *pull* mode: when asked to, the program serves
//! Go's `GET /debug/pprof/profile?seconds=S` itself, and a collector (Grafana
//! Alloy's `pyroscope.scrape`, or pyrobench's ingester) fetches a CPU profile from
//! it every scrape interval. The profiler is pprof-rs; the HTTP server is std only
//! (a `TcpListener` and one thread per connection).
//!
//! Environment contract (benchmarks/README.md, "Pull benchmarks"):
//!   PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the pprof
//!                                               endpoint before the work; unset or
//!                                               empty: nothing listens at all
//!   PYROSCOPE_PPROF_PORT        default 6060, the endpoint's TCP port (0.0.0.0)
//!   PYROSCOPE_SAMPLE_RATE       default 100 (Hz), the profiler's frequency
//!   FIBONACCI_N                 workload size, default 46 (about 6 s of CPU on the
//!                               2-core reference machine; each +1 is x1.6): long
//!                               enough for at least two scrapes at a 2 s interval
//!
//! The endpoint answers as Go's net/http/pprof does: 200 with the gzip-compressed
//! `perftools.profiles.Profile` as the body (`application/octet-stream`, no
//! `Content-Encoding`), 400 for a bad `seconds`, 500 at once when a CPU profile is
//! already running (pprof-rs's profiler is process-global), 404 elsewhere.

use std::hint::black_box;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use pprof::protos::Message;

const DEFAULT_N: u32 = 46;
const DEFAULT_PORT: u16 = 6060;
const DEFAULT_SAMPLE_RATE: u32 = 100;
const MAX_SAMPLE_RATE: u32 = 1000;

/// `seconds` when the query has none, as in Go.
const DEFAULT_SECONDS: f64 = 30.0;
/// Longest profile one request may ask for.
const MAX_SECONDS: f64 = 300.0;

/// How long a connection may take to send its request, and how long a write may
/// block on a client that does not read.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Request line plus headers, at most.
const MAX_HEAD_BYTES: u64 = 64 * 1024;
/// How often a running profile checks that its client is still connected.
const POLL: Duration = Duration::from_millis(100);

#[inline(never)]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    fib(black_box(n - 1)) + fib(black_box(n - 2))
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

// ---- the one-CPU-profile-at-a-time rule ------------------------------------

/// Set while a CPU profile runs. pprof-rs has a single, process-wide profiler
/// (one SIGPROF handler, one timer), so a second profile cannot overlap the first.
static CPU_PROFILE_RUNNING: AtomicBool = AtomicBool::new(false);

/// Holds `CPU_PROFILE_RUNNING`; dropping it (on every path, errors and panics
/// too) lets the next request profile.
struct ProfileSlot;

impl ProfileSlot {
    fn take() -> Option<ProfileSlot> {
        CPU_PROFILE_RUNNING
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| ProfileSlot)
    }
}

impl Drop for ProfileSlot {
    fn drop(&mut self) {
        CPU_PROFILE_RUNNING.store(false, Ordering::Release);
    }
}

// ---- HTTP ------------------------------------------------------------------

struct Response {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn text(status: &'static str, body: &str) -> Response {
        Response {
            status,
            headers: vec![
                ("Content-Type", "text/plain; charset=utf-8".into()),
                ("X-Content-Type-Options", "nosniff".into()),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    /// An error from the profile handler, marked as Go's pprof marks its own.
    fn pprof_error(status: &'static str, body: &str) -> Response {
        let mut r = Response::text(status, body);
        r.headers.push(("X-Go-Pprof", "1".into()));
        r
    }

    fn write_to(&self, mut out: impl Write, head_only: bool) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {}\r\n", self.status);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        out.write_all(head.as_bytes())?;
        if !head_only {
            out.write_all(&self.body)?;
        }
        out.flush()
    }
}

/// Reads the request head: the request line, then header lines up to the blank
/// line (read, not used: they must be consumed before the answer, or closing a
/// socket with unread data resets the connection and the client may lose it).
fn read_request_line(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.take(MAX_HEAD_BYTES));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    Some(request_line.trim_end().to_string())
}

fn handle_connection(stream: TcpStream, sample_rate: u32) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Some(request_line) = read_request_line(&stream) else {
        return;
    };
    let mut parts = request_line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") => (m, t),
        _ => {
            let _ = Response::text("400 Bad Request", "bad request\n").write_to(&stream, false);
            return;
        }
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let head_only = method == "HEAD";
    let response = match (path, method) {
        ("/debug/pprof/profile", "GET") => cpu_profile(&stream, query, sample_rate),
        ("/debug/pprof/profile", _) => {
            let mut r = Response::text("405 Method Not Allowed", "method not allowed\n");
            r.headers.push(("Allow", "GET".into()));
            r
        }
        ("/" | "/health", "GET" | "HEAD") => Response::text("200 OK", "ok\n"),
        ("/" | "/health", _) => {
            let mut r = Response::text("405 Method Not Allowed", "method not allowed\n");
            r.headers.push(("Allow", "GET, HEAD".into()));
            r
        }
        _ => Response::text("404 Not Found", "404 page not found\n"),
    };
    // A client that went away or never reads: the error is dropped, the thread
    // ends, and the profile slot was already released.
    let _ = response.write_to(&stream, head_only);
    let _ = stream.shutdown(Shutdown::Write);
}

/// `seconds` from the query string: absent or empty means Go's default of 30 s;
/// otherwise a decimal number of seconds (`0.5` too), above 0 and at most 300.
fn parse_seconds(query: &str) -> Result<f64, String> {
    let raw = query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == "seconds")
        .map(|(_, v)| v)
        .unwrap_or("");
    if raw.is_empty() {
        return Ok(DEFAULT_SECONDS);
    }
    match raw.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= MAX_SECONDS => Ok(s),
        _ => Err(format!(
            "invalid seconds {raw:?}: want a number of seconds above 0 and at most {MAX_SECONDS}\n"
        )),
    }
}

/// True when the client has closed its end (or the connection broke), checked
/// without blocking and without consuming anything.
fn client_gone(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let gone = match stream.peek(&mut [0u8; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    gone
}

fn cpu_profile(stream: &TcpStream, query: &str, sample_rate: u32) -> Response {
    let seconds = match parse_seconds(query) {
        Ok(s) => s,
        Err(msg) => return Response::pprof_error("400 Bad Request", &msg),
    };
    let Some(slot) = ProfileSlot::take() else {
        // Go's text for the same case.
        return Response::pprof_error(
            "500 Internal Server Error",
            "Could not enable CPU profiling: cpu profiling already in use\n",
        );
    };
    let profile = match record(stream, seconds, sample_rate) {
        Ok(Some(p)) => p,
        Ok(None) => {
            // The client left mid-profile (as Go, the profile stops early).
            return Response::text("499 Client Closed Request", "client closed\n");
        }
        Err(e) => {
            return Response::pprof_error(
                "500 Internal Server Error",
                &format!("Could not enable CPU profiling: {e}\n"),
            )
        }
    };
    drop(slot); // the profiler is stopped: the next request may start one

    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    if let Err(e) = gz.write_all(&profile.encode_to_vec()) {
        return Response::pprof_error("500 Internal Server Error", &format!("gzip: {e}\n"));
    }
    let body = match gz.finish() {
        Ok(b) => b,
        Err(e) => {
            return Response::pprof_error("500 Internal Server Error", &format!("gzip: {e}\n"))
        }
    };
    Response {
        status: "200 OK",
        headers: vec![
            ("Content-Type", "application/octet-stream".into()),
            ("Content-Disposition", "attachment; filename=\"profile\"".into()),
            ("X-Content-Type-Options", "nosniff".into()),
        ],
        body,
    }
}

/// Profiles the whole process for `seconds` at `sample_rate` Hz. `Ok(None)` when
/// the client disconnected before the end.
fn record(
    stream: &TcpStream,
    seconds: f64,
    sample_rate: u32,
) -> Result<Option<pprof::protos::Profile>, pprof::Error> {
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(sample_rate as i32)
        // pprof-rs's advice: no unwinding from inside these (their locks can
        // deadlock the signal handler); samples landing there are dropped.
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if client_gone(stream) {
            return Ok(None); // dropping the guard stops the profiler
        }
        thread::sleep(POLL.min(deadline - now));
    }
    let report = guard.report().build()?;
    drop(guard);
    report.pprof().map(Some)
}

/// Binds the endpoint (an error here is a start-up failure, exit 2) and serves it
/// from a background thread for the rest of the process's life.
fn start_endpoint(port: u16, sample_rate: u32) -> Result<(), String> {
    let listener = TcpListener::bind(("0.0.0.0", port))
        .map_err(|e| format!("cannot listen on 0.0.0.0:{port}: {e}"))?;
    thread::Builder::new()
        .name("pprof-http".into())
        .spawn(move || {
            for conn in listener.incoming() {
                match conn {
                    Ok(stream) => {
                        let spawned = thread::Builder::new()
                            .name("pprof-conn".into())
                            .spawn(move || handle_connection(stream, sample_rate));
                        if let Err(e) = spawned {
                            eprintln!("fibonacci-pull: cannot start a connection thread: {e}");
                        }
                    }
                    // e.g. EMFILE: back off instead of spinning.
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        })
        .map_err(|e| format!("cannot start the pprof server thread: {e}"))?;
    eprintln!(
        "fibonacci-pull: pprof endpoint on 0.0.0.0:{port} \
         (GET /debug/pprof/profile?seconds=S, {sample_rate} Hz)"
    );
    Ok(())
}

fn run() -> Result<(), String> {
    let n = env_u32("FIBONACCI_N", DEFAULT_N)?;
    let profiling = std::env::var_os("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING")
        .is_some_and(|v| !v.is_empty());

    if profiling {
        let sample_rate = env_u32("PYROSCOPE_SAMPLE_RATE", DEFAULT_SAMPLE_RATE)?;
        if sample_rate == 0 || sample_rate > MAX_SAMPLE_RATE {
            return Err(format!(
                "PYROSCOPE_SAMPLE_RATE must be from 1 to {MAX_SAMPLE_RATE}, got {sample_rate}"
            ));
        }
        let port = env_u32("PYROSCOPE_PPROF_PORT", u32::from(DEFAULT_PORT))?;
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("PYROSCOPE_PPROF_PORT must be from 1 to 65535, got {port}"))?;
        start_endpoint(port, sample_rate)?;
    }

    // pyrobench phase markers (benchmarks/README.md): on stderr, which is unbuffered,
    // so each line reaches the measuring init when it is printed. The baseline prints
    // them at the same points, so both have the same phases.
    eprintln!("pyrobench:phase work");
    let value = fib(black_box(n));
    eprintln!("pyrobench:phase shutdown");

    // Nothing to stop: the endpoint's threads die with the process, and a scrape
    // in progress gets a closed connection (the collector logs a failed scrape).
    println!("fib({n})={value}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fibonacci-pull: {e}");
            ExitCode::from(2)
        }
    }
}

//! A small JSON API on hyper 1 (tokio) for pyrobench's service runs, profiled by
//! the `pyroscope` crate (pprof-rs backend) when asked to. The same API as
//! benchmarks/service-python, answer for answer:
//!
//!   GET /api/report?items=N   parse an N-order JSON document, aggregate it, answer
//!                             a JSON summary (see report.rs; N defaults to
//!                             SERVICE_ITEMS)
//!   GET /health               200 "ok": the readiness path (io.pyrobench.ready-path)
//!   anything else             404 (405 for a method other than GET/HEAD there)
//!
//! Environment contract (benchmarks/README.md, "Service benchmarks"):
//!   PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
//!                                               before listening, stop and shut it
//!                                               down after SIGTERM; unset or empty:
//!                                               no agent is built
//!   PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
//!   PYROSCOPE_APPLICATION_NAME  default pyrobench.service.rust
//!   PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
//!   SERVICE_ITEMS               orders per report when ?items= is absent, default 1000
//!   SERVICE_THREADS             tokio worker threads, default 4
//!
//! There is no upload-interval knob: pyroscope 2.0.0 fixes it at 10 s.
//!
//! Lifecycle: the agent starts (when profiling), the order document for the default
//! N is made, the socket listens, then `pyrobench:phase work` is printed, so /health
//! can only answer once all of that is done. On SIGTERM: `pyrobench:phase shutdown`
//! at once, the listener is closed, open connections finish the request they are on
//! and close (at most 5 s), the runtime stops, then the agent is stopped and shut
//! down (`running.stop()?.shutdown()`, flushing the last profile), exit 0. With this
//! crate the shutdown waits for its timer thread, which wakes on multiples of 10 s
//! of wall-clock time: a profiled service takes 0 to 10 s more to exit (see
//! benchmarks/fibonacci-rust/README.md).
//!
//! `service --report N` prints the answer for N on stdout and exits (a self-check,
//! and a way to compare with the Python service without a server).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use pyroscope::backend::{pprof_backend, BackendConfig, PprofConfig};
use pyroscope::pyroscope::{PyroscopeAgentBuilder, PyroscopeAgentReady, PyroscopeAgentRunning};
use pyroscope::PyroscopeAgent;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

mod report;

const DEFAULT_ITEMS: u32 = 1000;
const PORT: u16 = 8080;
/// How long open connections get to finish after SIGTERM.
const DRAIN: Duration = Duration::from_secs(5);

/// Sent as the spy version; keep in step with the `=2.0.0` pin in Cargo.toml.
const AGENT_VERSION: &str = "2.0.0";

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
    let app = env_string("PYROSCOPE_APPLICATION_NAME", "pyrobench.service.rust");
    let backend = pprof_backend(PprofConfig { sample_rate }, BackendConfig::default());
    let agent: PyroscopeAgent<PyroscopeAgentReady> = PyroscopeAgentBuilder::new(
        url,
        app,
        sample_rate,
        "pyroscope-rs",
        AGENT_VERSION,
        backend,
    )
    .tags(vec![("benchmark", "service")])
    .build()
    .map_err(|e| format!("pyroscope agent: build failed: {e}"))?;
    agent
        .start()
        .map_err(|e| format!("pyroscope agent: start failed: {e}"))
}

/// The order document's JSON text per N, made once per N (a few N at most).
struct Documents {
    texts: Mutex<HashMap<u32, Arc<String>>>,
}

impl Documents {
    const LIMIT: usize = 8;

    fn get(&self, n: u32) -> Arc<String> {
        if let Some(text) = self.texts.lock().unwrap().get(&n) {
            return Arc::clone(text);
        }
        let text = Arc::new(report::order_document(n)); // outside the lock
        let mut texts = self.texts.lock().unwrap();
        if texts.len() >= Self::LIMIT {
            if let Some(&old) = texts.keys().next() {
                texts.remove(&old);
            }
        }
        texts.insert(n, Arc::clone(&text));
        text
    }
}

struct State {
    default_items: u32,
    documents: Documents,
}

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const TEXT: &str = "text/plain; charset=utf-8";

/// `items` from the query: the first `items=` pair, 1 to 6 ASCII digits, at most
/// MAX_ITEMS (as in the Python service). `Ok(None)`: absent.
fn items_param(query: Option<&str>) -> Result<Option<u32>, ()> {
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "items" {
            if value.is_empty() || value.len() > 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            let n: u32 = value.parse().map_err(|_| ())?;
            return if n > report::MAX_ITEMS { Err(()) } else { Ok(Some(n)) };
        }
    }
    Ok(None)
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    if path != "/api/report" && path != "/health" {
        return Ok(respond(StatusCode::NOT_FOUND, TEXT, "not found\n"));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = respond(StatusCode::METHOD_NOT_ALLOWED, TEXT, "method not allowed\n");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    if path == "/health" {
        return Ok(respond(StatusCode::OK, TEXT, "ok\n"));
    }
    let n = match items_param(req.uri().query()) {
        Ok(n) => n.unwrap_or(state.default_items),
        Err(()) => {
            let msg = format!("items must be an integer from 0 to {}\n", report::MAX_ITEMS);
            return Ok(respond(StatusCode::BAD_REQUEST, TEXT, msg));
        }
    };
    let document = state.documents.get(n);
    Ok(match report::report(&document) {
        Ok(body) => respond(StatusCode::OK, "application/json", body),
        Err(e) => respond(StatusCode::INTERNAL_SERVER_ERROR, TEXT, format!("{e}\n")),
    })
}

async fn serve(state: Arc<State>, threads: u32, profiling: bool) -> Result<(), String> {
    let addr = SocketAddr::from(([0, 0, 0, 0], PORT));
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    // Installed before the work marker: from then on SIGTERM is ours to handle.
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM handler: {e}"))?;
    let graceful = GracefulShutdown::new();
    let http = http1::Builder::new();

    eprintln!(
        "service-rust: hyper on :{PORT}, {threads} worker threads, items={}, profiling={}",
        state.default_items,
        if profiling { "on" } else { "off" }
    );
    // pyrobench phase marker (benchmarks/README.md): stderr is unbuffered.
    eprintln!("pyrobench:phase work");
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let state = Arc::clone(&state);
                    let svc = service_fn(move |req| handle(req, Arc::clone(&state)));
                    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
                    tokio::spawn(async move {
                        let _ = conn.await; // a client that goes away is not our error
                    });
                }
                Err(e) => {
                    // EMFILE and the like: back off a little rather than spin.
                    eprintln!("service-rust: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = term.recv() => break,
        }
    }
    eprintln!("pyrobench:phase shutdown");
    drop(listener); // stop accepting
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        eprintln!("service-rust: connections still open after {DRAIN:?}; closing them");
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, n] = args.as_slice() {
        if flag == "--report" {
            let n: u32 = n.parse().map_err(|_| format!("--report wants a number, got {n:?}"))?;
            let body = report::report(&report::order_document(n))?;
            println!("{}", String::from_utf8_lossy(&body));
            return Ok(());
        }
    }
    if !args.is_empty() {
        return Err(format!("unexpected arguments {args:?} (only --report N)"));
    }

    let default_items = env_u32("SERVICE_ITEMS", DEFAULT_ITEMS)?;
    if default_items > report::MAX_ITEMS {
        return Err(format!("SERVICE_ITEMS must be at most {}", report::MAX_ITEMS));
    }
    let threads = env_u32("SERVICE_THREADS", 4)?;
    if threads == 0 {
        return Err("SERVICE_THREADS must be positive".into());
    }
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
    let state = Arc::new(State {
        default_items,
        documents: Documents {
            texts: Mutex::new(HashMap::new()),
        },
    });
    state.documents.get(default_items); // made before the first request, not during it

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads as usize)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let served = runtime.block_on(serve(state, threads, profiling));
    runtime.shutdown_timeout(Duration::from_secs(1));

    if let Some(running) = agent {
        // stop() hands the last report to the uploader; shutdown() joins the
        // timer, uploader and agent threads, so the last profile is sent before
        // we exit. This time is part of the measured shutdown.
        let ready = running
            .stop()
            .map_err(|e| format!("pyroscope agent: stop failed: {e}"))?;
        ready.shutdown();
    }
    served
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service-rust: {e}");
            ExitCode::from(2)
        }
    }
}

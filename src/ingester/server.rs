//! The ingest port: accepts uploads on the Pyroscope endpoints and counts them.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::mode::Mode;
use super::stats::Stats;

pub const LEGACY_INGEST_PATH: &str = "/ingest";
pub const PUSH_PATH: &str = "/push.v1.PusherService/Push";

/// State shared by the ingest and control ports.
#[derive(Debug, Default)]
pub struct IngesterState {
    pub stats: Stats,
    pub mode: RwLock<Mode>,
}

impl IngesterState {
    pub fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            stats: Stats::default(),
            mode: RwLock::new(mode),
        })
    }

    pub fn mode(&self) -> Mode {
        self.mode.read().expect("mode lock").clone()
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.write().expect("mode lock") = mode;
    }
}

pub type HttpResponse = Response<Full<Bytes>>;

pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> HttpResponse {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("static response parts are valid")
}

/// Serves HTTP/1.1 on `listener` until the task is dropped, one task per connection.
pub async fn serve_http<H, F>(listener: TcpListener, state: Arc<IngesterState>, handler: H)
where
    H: Fn(Arc<IngesterState>, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = HttpResponse> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let response = handler(state.clone(), request);
                async move { Ok::<_, Infallible>(response.await) }
            });
            // Clients that hang up mid-request are normal here; nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Answers one request on the ingest port.
pub async fn handle_ingest(state: Arc<IngesterState>, request: Request<Incoming>) -> HttpResponse {
    let path = request.uri().path().to_string();
    if path != LEGACY_INGEST_PATH && path != PUSH_PATH {
        return respond(StatusCode::NOT_FOUND, "text/plain", "not found\n");
    }
    if request.method() != Method::POST {
        return respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "use POST\n");
    }
    let json_push = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return respond(StatusCode::BAD_REQUEST, "text/plain", "body not readable\n"),
    };
    state.stats.record_upload(body.len() as u64);
    match state.mode() {
        Mode::Fast => ok_for(&path, json_push),
    }
}

/// What a Pyroscope server answers on success: an empty Connect message for a push.
fn ok_for(path: &str, json_push: bool) -> HttpResponse {
    match (path, json_push) {
        (PUSH_PATH, true) => respond(StatusCode::OK, "application/json", "{}"),
        (PUSH_PATH, false) => respond(StatusCode::OK, "application/proto", Bytes::new()),
        _ => respond(StatusCode::OK, "text/plain", Bytes::new()),
    }
}

/// Where the ingester listens.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub ingest: SocketAddr,
    pub control: SocketAddr,
    pub mode: Mode,
}

/// Runs the ingest and control ports until either fails.
pub async fn run(config: ServeConfig) -> Result<()> {
    let state = IngesterState::new(config.mode.clone());
    let ingest = TcpListener::bind(config.ingest).await.with_context(|| {
        format!(
            "cannot listen on {} (ingest port): pick another with --port",
            config.ingest
        )
    })?;
    let control = TcpListener::bind(config.control).await.with_context(|| {
        format!(
            "cannot listen on {} (control port): pick another with --control-port",
            config.control
        )
    })?;
    eprintln!(
        "pyrobench ingester: mode {}, ingest on {}, control on {}",
        config.mode.name(),
        ingest.local_addr()?,
        control.local_addr()?
    );
    tokio::select! {
        _ = serve_http(ingest, state.clone(), handle_ingest) => {}
        _ = serve_http(control, state, super::control::handle_control) => {}
    }
    Ok(())
}

//! The ingest port: accepts uploads on the Pyroscope endpoints, decodes and counts them,
//! and answers as the current mode says.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::http::{HttpResponse, respond, serve_connection};
use super::mode::Action;
use super::protocol::{self, Endpoint, Rejection, RequestMeta};
use super::state::IngesterState;
use super::stats::Handled;

/// What the handler decided about the connection.
enum Reply {
    Send(HttpResponse),
    /// Never answer; the connection stays open until the client gives up.
    Hang,
    /// Drop the connection with a TCP reset.
    Reset,
}

/// The ingest port, which closes its listener while the mode is `refuse`.
pub(super) async fn serve_ingest(
    address: SocketAddr,
    first: TcpListener,
    state: Arc<IngesterState>,
) -> Result<()> {
    let mut modes = state.watch_mode();
    let mut listener = Some(first);
    loop {
        let refusing = modes.borrow_and_update().refuses();
        match (refusing, listener.take()) {
            (true, _) => {}
            (false, Some(open)) => listener = Some(open),
            (false, None) => {
                listener = Some(
                    TcpListener::bind(address)
                        .await
                        .with_context(|| format!("cannot listen again on {address}"))?,
                )
            }
        }
        match &listener {
            Some(open) => tokio::select! {
                accepted = open.accept() => {
                    if let Ok((stream, _)) = accepted {
                        tokio::spawn(serve_connection(stream, state.clone(), handle_ingest));
                    }
                }
                _ = modes.changed() => {}
            },
            None => {
                let _ = modes.changed().await;
            }
        }
    }
}

fn header<'a>(request: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Reads the body within the size limit, at `rate` bytes per second when throttled.
async fn read_body(body: Incoming, limit: usize, rate: Option<u64>) -> Result<Bytes, Rejection> {
    let mut body = body;
    let mut buffer = BytesMut::new();
    let started = Instant::now();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| Rejection::Malformed(format!("the body could not be read: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buffer.len() + data.len() > limit {
            return Err(Rejection::TooLarge(format!(
                "the body is larger than {limit} bytes"
            )));
        }
        buffer.extend_from_slice(&data);
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(buffer.len() as f64 / rate as f64);
            tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
        }
    }
    Ok(buffer.freeze())
}

/// The answer a Pyroscope server gives on success: an empty Connect message for a push.
fn accepted(endpoint: Endpoint, json: bool) -> HttpResponse {
    match (endpoint, json) {
        (Endpoint::Push, true) => respond(StatusCode::OK, "application/json", "{}"),
        (Endpoint::Push, false) => respond(StatusCode::OK, "application/proto", Bytes::new()),
        (Endpoint::Ingest, _) => respond(StatusCode::OK, "text/plain", Bytes::new()),
    }
}

/// A failure, as Connect errors are written for a push and as plain text for `/ingest`.
fn failure(endpoint: Endpoint, status: u16, message: &str) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match endpoint {
        Endpoint::Push => {
            let code = match status.as_u16() {
                400 | 413 | 415 | 422 => "invalid_argument",
                429 => "resource_exhausted",
                401 => "unauthenticated",
                403 => "permission_denied",
                404 => "not_found",
                503 => "unavailable",
                _ => "internal",
            };
            let body = serde_json::json!({ "code": code, "message": message }).to_string();
            respond(status, "application/json", body)
        }
        Endpoint::Ingest => respond(status, "text/plain", format!("{message}\n")),
    }
}

/// Answers one request on the ingest port; `None` means hang or reset.
async fn handle_ingest(
    state: Arc<IngesterState>,
    request: Request<Incoming>,
    reset: Arc<Notify>,
) -> Option<HttpResponse> {
    let started = Instant::now();
    let arrived_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let Some(endpoint) = Endpoint::from_path(request.uri().path()) else {
        return Some(respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "use POST /ingest or POST /push.v1.PusherService/Push\n",
        ));
    };
    if request.method() != Method::POST {
        return Some(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "use POST\n",
        ));
    }
    // Counted now, so that a window read while it waits still holds it.
    let upload = state.stats.arrive(endpoint.name(), arrived_unix_s);
    // One clone per request: only the mode that applies, with flaky already decided.
    let mode = state.mode.borrow().for_request(fastrand::f64()).clone();
    let query = request.uri().query().map(str::to_string);
    let content_type = header(&request, "content-type").map(str::to_string);
    let content_encoding = header(&request, "content-encoding").map(str::to_string);
    let json = content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json"));

    let read = read_body(
        request.into_body(),
        state.limits.max_body_bytes,
        mode.read_rate(),
    )
    .await;
    let wire_bytes = read.as_ref().map(|b| b.len() as u64).unwrap_or(0);
    let decoded = read.and_then(|body| {
        let meta = RequestMeta {
            query: query.as_deref(),
            content_type: content_type.as_deref(),
            content_encoding: content_encoding.as_deref(),
        };
        protocol::decode(endpoint, meta, &body, state.limits)
    });
    let mut handled = Handled {
        bytes: wire_bytes,
        ..Default::default()
    };
    let reply = match (&decoded, mode.action(fastrand::f64() * 2.0 - 1.0)) {
        (_, Action::Hang) => Reply::Hang,
        (_, Action::Reset) => Reply::Reset,
        (Err(rejection), Action::Answer { .. }) => {
            handled.bad = true;
            Reply::Send(failure(endpoint, rejection.status(), rejection.message()))
        }
        (Ok(_), Action::Answer { status, delay }) => {
            tokio::time::sleep(delay).await;
            if status == 200 {
                Reply::Send(accepted(endpoint, json))
            } else {
                Reply::Send(failure(
                    endpoint,
                    status,
                    "refused by the pyrobench ingester's error mode",
                ))
            }
        }
    };
    let apps = decoded.as_ref().map(|d| d.apps.clone()).unwrap_or_default();
    let status;
    handled.outcome = match &reply {
        Reply::Send(response) => {
            status = response.status().as_u16().to_string();
            if response.status() == StatusCode::OK
                && let Ok(decoded) = &decoded
            {
                handled.profiles = decoded.profiles;
                handled.samples = decoded.samples;
            }
            handled.latency = Some(started.elapsed());
            &status
        }
        Reply::Hang => "hang",
        Reply::Reset => "reset",
    };
    handled.apps = &apps;
    upload.finish(handled);
    match reply {
        Reply::Send(response) => Some(response),
        Reply::Hang => None,
        Reply::Reset => {
            reset.notify_one();
            None
        }
    }
}

//! The ingest port: accepts uploads on the Pyroscope endpoints, decodes and counts them,
//! and answers as the current mode says.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::{Method, Request, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::decoder;
use super::http::{HttpResponse, accept, respond, serve_connection};
use super::mode::Action;
use super::protocol::{Endpoint, Rejection};
use super::state::IngesterState;
use super::stats::{Handled, unix_now_s};
use super::workers::Workers;

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
    http1: http1::Builder,
) -> Result<()> {
    let mut modes = state.watch_mode();
    let mut listener = Some(first);
    let serve = {
        let state = state.clone();
        move |stream| serve_connection(stream, state.clone(), handle_ingest, http1.clone())
    };
    let mut workers = Workers::start(serve)?;
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
                stream = accept(open) => workers.hand(stream),
                _ = modes.changed() => {}
            },
            None => {
                let _ = modes.changed().await;
            }
        }
    }
}

/// Reads the body within the size limit, at `rate` bytes per second when throttled.
async fn read_body(body: Incoming, limit: usize, rate: Option<u64>) -> Result<Bytes, Rejection> {
    let Some(rate) = rate else {
        // In one piece, as most bodies arrive, the body is taken without a copy.
        return match Limited::new(body, limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(error) if error.is::<LengthLimitError>() => Err(too_large(limit)),
            Err(error) => Err(Rejection::Malformed(format!(
                "the body could not be read: {error}"
            ))),
        };
    };
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
            return Err(too_large(limit));
        }
        buffer.extend_from_slice(&data);
        let due = Duration::from_secs_f64(buffer.len() as f64 / rate as f64);
        tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
    }
    Ok(buffer.freeze())
}

fn too_large(limit: usize) -> Rejection {
    Rejection::TooLarge(format!("the body is larger than {limit} bytes"))
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
    let arrived_unix_s = unix_now_s();
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
    let (parts, body) = request.into_parts();
    let json = parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|c| c.as_bytes().starts_with(b"application/json"));

    let read = read_body(body, state.limits.max_body_bytes, mode.read_rate()).await;
    let wire_bytes = read.as_ref().map(|b| b.len() as u64).unwrap_or(0);
    let decoded = match read {
        Ok(body) => decoder::decode(endpoint, parts, body, state.limits).await,
        Err(rejection) => Err(rejection),
    };
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
            // Even a zero sleep arms a timer for the next millisecond, which wakes the
            // runtime through a syscall and holds the answer back until that tick.
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
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
    let status;
    handled.outcome = match &reply {
        Reply::Send(response) => {
            status = response.status();
            if response.status() == StatusCode::OK
                && let Ok(decoded) = &decoded
            {
                handled.profiles = decoded.profiles;
                handled.samples = decoded.samples;
            }
            handled.latency = Some(started.elapsed());
            status.as_str()
        }
        Reply::Hang => "hang",
        Reply::Reset => "reset",
    };
    if let Ok(decoded) = &decoded {
        handled.apps = &decoded.apps;
    }
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

//! The control port: stats and mode changes, answered whatever the ingest port is doing.

use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::http::{HttpResponse, respond};
use super::mode::Mode;
use super::state::IngesterState;

/// `GET /stats` (add `?reset=true` to start a new window), `POST /reset`,
/// `GET /mode`, `PUT /mode` with a JSON mode such as `{"mode":"fast"}`, `GET /health`.
pub(super) async fn handle_control(
    state: Arc<IngesterState>,
    request: Request<Incoming>,
    _reset: Arc<tokio::sync::Notify>,
) -> Option<HttpResponse> {
    Some(control(state, request).await)
}

async fn control(state: Arc<IngesterState>, request: Request<Incoming>) -> HttpResponse {
    let reset = request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair == "reset=true" || pair == "reset=1")
    });
    match (request.method().clone(), request.uri().path()) {
        (Method::GET, "/health") => respond(StatusCode::OK, "text/plain", "ok\n"),
        (Method::GET, "/stats") => json(StatusCode::OK, &state.stats.snapshot(reset)),
        (Method::POST, "/reset") => json(StatusCode::OK, &state.stats.snapshot(true)),
        (Method::GET, "/mode") => json(StatusCode::OK, &state.mode()),
        (Method::PUT | Method::POST, "/mode") => {
            let body = match request.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => {
                    return respond(StatusCode::BAD_REQUEST, "text/plain", "body not readable\n");
                }
            };
            match serde_json::from_slice::<Mode>(&body) {
                Ok(mode) => {
                    state.set_mode(mode.clone());
                    json(StatusCode::OK, &mode)
                }
                Err(error) => respond(
                    StatusCode::BAD_REQUEST,
                    "text/plain",
                    format!(
                        "bad mode: {error}; known modes: {}\n",
                        Mode::NAMES.join(", ")
                    ),
                ),
            }
        }
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "use GET /stats[?reset=true], POST /reset, GET|PUT /mode, GET /health\n",
        ),
    }
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    respond(
        status,
        "application/json",
        serde_json::to_vec(value).expect("plain data serializes"),
    )
}

//! The control port: stats and mode changes, answered whatever the ingest port is doing.

use std::sync::Arc;

use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::http::{HttpResponse, respond};
use super::mode::Mode;
use super::scrape::{self, ScrapeConfig};
use super::state::IngesterState;

/// `GET /stats` (add `?reset=true` to start a new window), `POST /reset`,
/// `GET /mode`, `PUT /mode` with a JSON mode such as `{"mode":"fast"}`, `GET /scrape`,
/// `PUT /scrape` with scrape settings such as `{"targets":["app:6060"],"interval_s":15}`,
/// `GET /health`.
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
        (Method::PUT | Method::POST, "/mode") => put_mode(&state, request.into_body()).await,
        (Method::GET, "/scrape") => json(StatusCode::OK, &scrape::current(&state)),
        (Method::PUT | Method::POST, "/scrape") => put_scrape(&state, request.into_body()).await,
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "use GET /stats[?reset=true], POST /reset, GET|PUT /mode, GET|PUT /scrape, \
             GET /health\n",
        ),
    }
}

/// A mode is a few hundred bytes: anything much larger is refused before it is buffered.
const MODE_BODY_LIMIT: usize = 64 * 1024;

/// The JSON body of a setting, at most `MODE_BODY_LIMIT` bytes.
async fn setting_body(body: Incoming, what: &str) -> Result<bytes::Bytes, HttpResponse> {
    match Limited::new(body, MODE_BODY_LIMIT).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain",
            format!("{what} is at most {MODE_BODY_LIMIT} bytes of JSON\n"),
        )),
        Err(_) => Err(respond(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "body not readable\n",
        )),
    }
}

/// Replaces what is scraped, with the same checks as the CLI and scripts.
async fn put_scrape(state: &Arc<IngesterState>, body: Incoming) -> HttpResponse {
    let body = match setting_body(body, "a scrape setting").await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let config = serde_json::from_slice(&body)
        .map_err(|e| anyhow::anyhow!("bad scrape settings: {e}"))
        .and_then(ScrapeConfig::from_json);
    match config {
        Ok(config) => {
            scrape::apply(state, config.clone());
            json(StatusCode::OK, &config)
        }
        Err(error) => respond(StatusCode::BAD_REQUEST, "text/plain", format!("{error}\n")),
    }
}

/// Switches the mode, with the same checks as the CLI and scripts.
async fn put_mode(state: &IngesterState, body: Incoming) -> HttpResponse {
    let body = match setting_body(body, "a mode").await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mode = serde_json::from_slice(&body)
        .map_err(|e| anyhow::anyhow!("bad ingester mode: {e}"))
        .and_then(Mode::from_json);
    match mode {
        Ok(mode) => {
            state.set_mode(mode.clone());
            json(StatusCode::OK, &mode)
        }
        Err(error) => respond(StatusCode::BAD_REQUEST, "text/plain", format!("{error}\n")),
    }
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    respond(
        status,
        "application/json",
        serde_json::to_vec(value).expect("plain data serializes"),
    )
}

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
        (Method::PUT | Method::POST, "/mode") => {
            let apply = |mode: &Mode| state.set_mode(mode.clone());
            put_setting(request.into_body(), "ingester mode", Mode::from_json, apply).await
        }
        (Method::GET, "/scrape") => json(StatusCode::OK, &scrape::current(&state)),
        (Method::PUT | Method::POST, "/scrape") => {
            let apply = |config: &ScrapeConfig| scrape::apply(&state, config.clone());
            let check = ScrapeConfig::from_json;
            put_setting(request.into_body(), "scrape settings", check, apply).await
        }
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "use GET /stats[?reset=true], POST /reset, GET|PUT /mode, GET|PUT /scrape, \
             GET /health\n",
        ),
    }
}

/// A mode or scrape setting is a few hundred bytes: anything much larger is refused before
/// it is buffered.
const MODE_BODY_LIMIT: usize = 64 * 1024;

/// Reads a setting's JSON (at most `MODE_BODY_LIMIT` bytes), checks it with `check`, the
/// same check as the CLI's and scripts', applies it, and answers with it; or says why not.
async fn put_setting<T: serde::Serialize>(
    body: Incoming,
    what: &str,
    check: impl FnOnce(serde_json::Value) -> anyhow::Result<T>,
    apply: impl FnOnce(&T),
) -> HttpResponse {
    let body = match Limited::new(body, MODE_BODY_LIMIT).collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            return respond(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text/plain",
                format!("{what} is at most {MODE_BODY_LIMIT} bytes of JSON\n"),
            );
        }
        Err(_) => return respond(StatusCode::BAD_REQUEST, "text/plain", "body not readable\n"),
    };
    let setting = serde_json::from_slice(&body)
        .map_err(|e| anyhow::anyhow!("bad {what}: {e}"))
        .and_then(check);
    match setting {
        Ok(setting) => {
            apply(&setting);
            json(StatusCode::OK, &setting)
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

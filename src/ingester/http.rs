//! HTTP/1.1 plumbing shared by both ports: responses, and a per-connection server whose
//! handlers can hang a request or reset the connection.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::state::IngesterState;

pub(super) type HttpResponse = Response<Full<Bytes>>;

pub(super) fn respond(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> HttpResponse {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("static response parts are valid")
}

/// Serves one connection; `reset` lets a handler kill it abruptly.
pub(super) async fn serve_connection<H, F>(stream: TcpStream, state: Arc<IngesterState>, handler: H)
where
    H: Fn(Arc<IngesterState>, Request<Incoming>, Arc<Notify>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Option<HttpResponse>> + Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(Notify::new());
    let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
    let trigger = reset.clone();
    let service = hyper::service::service_fn(move |request| {
        let reply = handler(state.clone(), request, trigger.clone());
        async move {
            match reply.await {
                Some(response) => Ok::<_, Infallible>(response),
                // Hang and reset never complete the response.
                None => std::future::pending().await,
            }
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    // Pinned here, not inside select!, so that it still owns the socket in the reset arm.
    tokio::pin!(connection);
    tokio::select! {
        // Clients that hang up mid-request are normal here; nothing to report.
        _ = &mut connection => {}
        _ = reset.notified() => {
            // SAFETY: `connection` owns the stream until it is dropped below, so the
            // descriptor is open while we borrow it.
            let socket = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            // Linger 0 makes the close send RST instead of FIN.
            let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
        }
    }
    // The connection, and with it the socket, is dropped here: after linger was set.
}

/// Serves HTTP/1.1 on `listener` until the task is dropped, one task per connection.
pub(super) async fn serve_http<H, F>(listener: TcpListener, state: Arc<IngesterState>, handler: H)
where
    H: Fn(Arc<IngesterState>, Request<Incoming>, Arc<Notify>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Option<HttpResponse>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_connection(stream, state.clone(), handler.clone()));
    }
}

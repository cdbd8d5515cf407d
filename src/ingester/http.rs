//! HTTP/1.1 plumbing shared by both ports: responses, accepting connections, and a
//! per-connection server whose handlers can hang a request or reset the connection.

use std::convert::Infallible;
use std::future::Future;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::state::IngesterState;

pub(super) type HttpResponse = Response<Full<Bytes>>;

pub(super) fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    // A static value is neither parsed nor copied: this runs for every upload.
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// How long a client may take to send a request's head, and on a kept-alive connection to
/// start the next one, before its connection is closed: slow clients are not held forever.
/// A request already read is never cut short by it, so hang mode still holds connections.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP/1.1 settings of every connection.
pub(super) fn http1_builder(header_read_timeout: Duration) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
}

/// After an accept error that is about this process (out of descriptors or memory), wait
/// this long before the next try: retrying at once spun a core at 100%.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The next connection on `listener`, backing off while accepting fails.
pub(super) async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            // The peer gave up before we took it: the next one may be fine.
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
                ) => {}
            // EMFILE, ENFILE, ENOBUFS, ENOMEM: nothing changes until a connection closes.
            Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
        }
    }
}

/// Serves one connection; `reset` lets a handler kill it abruptly.
pub(super) async fn serve_connection<H, F>(
    stream: TcpStream,
    state: Arc<IngesterState>,
    handler: H,
    http1: http1::Builder,
) where
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
    let connection = http1.serve_connection(TokioIo::new(stream), service);
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
pub(super) async fn serve_http<H, F>(
    listener: TcpListener,
    state: Arc<IngesterState>,
    handler: H,
    http1: http1::Builder,
) where
    H: Fn(Arc<IngesterState>, Request<Incoming>, Arc<Notify>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Option<HttpResponse>> + Send + 'static,
{
    loop {
        let stream = accept(&listener).await;
        tokio::spawn(serve_connection(
            stream,
            state.clone(),
            handler.clone(),
            http1.clone(),
        ));
    }
}

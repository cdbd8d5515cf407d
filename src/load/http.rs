//! The real target: one HTTP/1.1 connection, kept alive, sending `GET` (or a fixed `POST`
//! body) to one URL. A broken connection is opened again on the next request.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full, combinators::BoxBody};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::driver::{Outcome, Target};

type Body = BoxBody<Bytes, std::convert::Infallible>;

/// What every connection sends.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub address: SocketAddr,
    /// `host:port`, as the Host header says it.
    pub authority: String,
    /// Path and query.
    pub path: String,
    pub method: Method,
    pub body: Option<(Bytes, String)>,
}

impl RequestSpec {
    /// A `GET` of `url`, which must be `http://` with a host that resolves here.
    pub async fn get(url: &str) -> Result<Self> {
        let uri: Uri = url.parse().with_context(|| {
            format!("{url:?} is not a URL: give one like http://127.0.0.1:8080/")
        })?;
        if uri.scheme_str() != Some("http") {
            bail!("{url:?}: only http:// URLs can be loaded (HTTP/1.1, no TLS)");
        }
        let authority = uri
            .authority()
            .with_context(|| {
                format!("{url:?} names no host: give one like http://127.0.0.1:8080/")
            })?
            .clone();
        let port = authority.port_u16().unwrap_or(80);
        let address = tokio::net::lookup_host((authority.host(), port))
            .await
            .ok()
            .and_then(|mut found| found.next())
            .with_context(|| format!("{url:?}: the host {} does not resolve", authority.host()))?;
        Ok(Self {
            address,
            authority: authority.to_string(),
            path: uri
                .path_and_query()
                .map_or("/".to_string(), |p| p.as_str().to_string()),
            method: Method::GET,
            body: None,
        })
    }

    /// The same URL, sent as a `POST` of `body`.
    pub fn post(self, body: Bytes, content_type: &str) -> Self {
        Self {
            method: Method::POST,
            body: Some((body, content_type.to_string())),
            ..self
        }
    }

    fn request(&self) -> Request<Body> {
        let builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(HOST, self.authority.as_str());
        let request = match &self.body {
            Some((body, content_type)) => builder
                .header(CONTENT_TYPE, content_type.as_str())
                .body(Full::new(body.clone()).boxed()),
            None => builder.body(Empty::new().boxed()),
        };
        request.expect("the parts were checked when the spec was made")
    }
}

/// One kept-alive connection.
pub struct HttpTarget {
    spec: std::sync::Arc<RequestSpec>,
    sender: Option<SendRequest<Body>>,
}

impl HttpTarget {
    pub fn new(spec: std::sync::Arc<RequestSpec>) -> Self {
        Self { spec, sender: None }
    }

    async fn connect(&mut self) -> Option<&mut SendRequest<Body>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = None;
            let stream = TcpStream::connect(self.spec.address).await.ok()?;
            let _ = stream.set_nodelay(true);
            let (sender, connection) = handshake(TokioIo::new(stream)).await.ok()?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut()
    }
}

impl Target for HttpTarget {
    async fn prepare(&mut self) {
        let _ = self.connect().await;
    }

    async fn send(&mut self) -> Outcome {
        let request = self.spec.request();
        let Some(sender) = self.connect().await else {
            return Outcome::Connect;
        };
        if sender.ready().await.is_err() {
            self.sender = None;
            return Outcome::Io;
        }
        let outcome = match sender.send_request(request).await {
            // The answer counts once its whole body is in.
            Ok(response) => {
                let status = response.status().as_u16();
                match response.into_body().collect().await {
                    Ok(_) => Outcome::Status(status),
                    Err(_) => Outcome::Io,
                }
            }
            Err(_) => Outcome::Io,
        };
        if outcome == Outcome::Io {
            self.sender = None;
        }
        outcome
    }
}

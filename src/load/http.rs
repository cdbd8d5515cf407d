//! The real target: one HTTP/1.1 connection, kept alive, sending `GET` (or a fixed `POST`
//! body) to one URL. A broken connection is opened again on the next request. The bytes
//! on the wire are `wire`'s.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use hyper::{Method, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::driver::{Outcome, Target};
use super::wire::{Answer, Decoder, MAX_HEAD};

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
    pub fn post(self, body: Bytes, content_type: &str) -> Result<Self> {
        if hyper::header::HeaderValue::from_str(content_type).is_err() {
            bail!(
                "--content-type {content_type:?} cannot be a header value: give one like application/json"
            );
        }
        Ok(Self {
            method: Method::POST,
            body: Some((body, content_type.to_string())),
            ..self
        })
    }

    /// The whole request as it goes on the wire.
    fn wire(&self) -> Vec<u8> {
        let mut wire = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\n",
            self.method, self.path, self.authority
        );
        if let Some((body, content_type)) = &self.body {
            wire += &format!(
                "content-type: {content_type}\r\ncontent-length: {}\r\n",
                body.len()
            );
        }
        wire += "\r\n";
        let mut wire = wire.into_bytes();
        if let Some((body, _)) = &self.body {
            wire.extend_from_slice(body);
        }
        wire
    }
}

/// One kept-alive connection.
pub struct HttpTarget {
    address: SocketAddr,
    request: Vec<u8>,
    stream: Option<TcpStream>,
    /// Bytes read and not yet taken by the decoder.
    buffer: Vec<u8>,
    /// A request is under way; still set when `send` starts, the one before was dropped
    /// part-way (a timeout), and the connection is in an unknown state.
    busy: bool,
}

/// How the buffer starts; it grows up to a head's limit.
const BUFFER: usize = 4096;

impl HttpTarget {
    pub fn new(spec: std::sync::Arc<RequestSpec>) -> Self {
        Self {
            address: spec.address,
            request: spec.wire(),
            stream: None,
            buffer: vec![0; BUFFER],
            busy: false,
        }
    }

    async fn connect(&mut self) -> Option<&mut TcpStream> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.address).await.ok()?;
            let _ = stream.set_nodelay(true);
            self.stream = Some(stream);
        }
        self.stream.as_mut()
    }

    /// One exchange on the open connection, or why it failed: `Err(true)` when nothing of
    /// an answer came back, so that the request may be sent again on a new connection.
    async fn exchange(&mut self) -> Result<Answer, bool> {
        let stream = self.stream.as_mut().expect("connected");
        stream.write_all(&self.request).await.map_err(|_| true)?;
        let mut decoder = Decoder::default();
        let mut filled = 0;
        loop {
            if filled == self.buffer.len() {
                if self.buffer.len() > MAX_HEAD {
                    return Err(false);
                }
                self.buffer.resize(self.buffer.len() * 2, 0);
            }
            let nothing_yet = filled == 0 && !decoder.started();
            let read = stream
                .read(&mut self.buffer[filled..])
                .await
                .map_err(|_| nothing_yet)?;
            if read == 0 {
                return decoder.closed().map_err(|_| nothing_yet);
            }
            filled += read;
            let (used, answer) = decoder.feed(&self.buffer[..filled]).map_err(|_| false)?;
            if let Some(answer) = answer {
                return Ok(answer);
            }
            self.buffer.copy_within(used..filled, 0);
            filled -= used;
        }
    }
}

impl Target for HttpTarget {
    async fn prepare(&mut self) {
        let _ = self.connect().await;
    }

    async fn send(&mut self) -> Outcome {
        if std::mem::replace(&mut self.busy, true) {
            self.stream = None;
        }
        let outcome = self.attempt().await;
        self.busy = false;
        outcome
    }
}

impl HttpTarget {
    /// One request, on the open connection or a new one.
    async fn attempt(&mut self) -> Outcome {
        let reused = self.stream.is_some();
        if self.connect().await.is_none() {
            return Outcome::Connect;
        }
        let mut result = self.exchange().await;
        // A kept-alive connection the server had closed while it sat idle: send again on
        // a new one, as browsers and hyper's pool do.
        if reused && result == Err(true) {
            self.stream = None;
            if self.connect().await.is_none() {
                return Outcome::Connect;
            }
            result = self.exchange().await;
        }
        match result {
            Ok(answer) => {
                if !answer.keep_alive {
                    self.stream = None;
                }
                Outcome::Status(answer.status)
            }
            Err(_) => {
                self.stream = None;
                Outcome::Io
            }
        }
    }
}

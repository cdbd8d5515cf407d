//! Decoding what agents upload: the legacy `/ingest` API and the Connect push API.
//!
//! Decoding is pure (bytes in, counts out), so it is unit-tested and fuzzed on its own.

pub mod compression;
pub mod legacy;
pub mod pprof;
pub mod push;

/// Which endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /ingest`, the legacy API of the Go, Node and older SDKs.
    Ingest,
    /// `POST /push.v1.PusherService/Push`, the Connect API of pyroscope-io 1.x and the `pyroscope` crate.
    Push,
}

impl Endpoint {
    pub const INGEST_PATH: &'static str = "/ingest";
    pub const PUSH_PATH: &'static str = "/push.v1.PusherService/Push";

    pub fn from_path(path: &str) -> Option<Self> {
        match path {
            Self::INGEST_PATH => Some(Endpoint::Ingest),
            Self::PUSH_PATH => Some(Endpoint::Push),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Ingest => "ingest",
            Endpoint::Push => "push",
        }
    }
}

/// What one upload held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Profiles in the upload: one per `/ingest` request, one per raw sample in a push.
    pub profiles: u64,
    /// Sample records (pprof `Sample` messages, or folded lines) across those profiles.
    pub samples: u64,
    /// Application or service names found.
    pub apps: Vec<String>,
}

/// Why an upload was refused, and the status a Pyroscope server gives for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 400: the body or the query does not parse.
    Malformed(String),
    /// 413: over the configured size, on the wire or once decompressed.
    TooLarge(String),
    /// 415: a content type the endpoint does not speak.
    UnsupportedMediaType(String),
}

impl Rejection {
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Malformed(_) => 400,
            Rejection::TooLarge(_) => 413,
            Rejection::UnsupportedMediaType(_) => 415,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Rejection::Malformed(m)
            | Rejection::TooLarge(m)
            | Rejection::UnsupportedMediaType(m) => m,
        }
    }
}

pub type DecodeResult<T> = Result<T, Rejection>;

pub fn malformed(what: impl std::fmt::Display) -> Rejection {
    Rejection::Malformed(what.to_string())
}

/// The request's parts that decoding looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestMeta<'a> {
    pub query: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
}

/// Size limits; the same limit applies to each decompressed payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Decompressed payloads may be larger than the wire body, but not without bound.
    pub fn max_decompressed_bytes(&self) -> usize {
        self.max_body_bytes.saturating_mul(8)
    }
}

/// Decodes one upload of either endpoint.
pub fn decode(
    endpoint: Endpoint,
    meta: RequestMeta<'_>,
    body: &[u8],
    limits: Limits,
) -> DecodeResult<Decoded> {
    match endpoint {
        Endpoint::Ingest => legacy::decode(meta, body, limits),
        Endpoint::Push => push::decode(meta, body, limits),
    }
}

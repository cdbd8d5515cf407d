//! Decoding what agents upload: the legacy `/ingest` API and the Connect push API.
//!
//! Decoding is pure (bytes in, counts out), so it is unit-tested and fuzzed on its own.

use budget::Budget;

pub mod budget;
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

/// Size limits: of the body on the wire, and of all it inflates to.
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
    /// What one request's payloads may inflate to in all: more than the wire body, but not
    /// without bound, however many gzipped payloads it nests.
    pub fn max_decompressed_bytes(&self) -> usize {
        self.max_body_bytes.saturating_mul(8)
    }
}

/// Decodes one upload of either endpoint, within the limits' inflation budget.
pub fn decode(
    endpoint: Endpoint,
    meta: RequestMeta<'_>,
    body: &[u8],
    limits: Limits,
) -> DecodeResult<Decoded> {
    decode_within(
        endpoint,
        meta,
        body,
        &Budget::new(limits.max_decompressed_bytes()),
    )
}

/// Decodes one upload, inflating no more than `budget` allows across all its payloads.
pub fn decode_within(
    endpoint: Endpoint,
    meta: RequestMeta<'_>,
    body: &[u8],
    budget: &Budget,
) -> DecodeResult<Decoded> {
    match endpoint {
        Endpoint::Ingest => legacy::decode(meta, body, budget),
        Endpoint::Push => push::decode(meta, body, budget),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingester::protocol::pprof::tests::profile_bytes;
    use prost::Message;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn nested_payloads_share_the_request_budget() {
        // A gzipped push of gzipped profiles, each of which alone fits the budget: before,
        // each payload got the whole budget again (issue 13: 24 x 120 MiB in a 12 kB push).
        let limits = Limits {
            max_body_bytes: 100_000,
        };
        let profile = gzip(&profile_bytes(&vec![1; 50_000]));
        let push = push::PushRequest {
            series: vec![push::RawProfileSeries {
                labels: vec![],
                samples: (0..4)
                    .map(|_| push::RawSample {
                        raw_profile: profile.clone().into(),
                        id: Default::default(),
                    })
                    .collect(),
            }],
        };
        let meta = RequestMeta {
            content_type: Some("application/proto"),
            content_encoding: Some("gzip"),
            ..Default::default()
        };
        let body = gzip(&push.encode_to_vec());
        assert!(profile_bytes(&vec![1; 50_000]).len() < limits.max_decompressed_bytes());
        let refused = decode(Endpoint::Push, meta, &body, limits).unwrap_err();
        assert_eq!(refused.status(), 413, "{refused:?}");
        let roomy = Limits {
            max_body_bytes: 1_000_000,
        };
        assert_eq!(
            decode(Endpoint::Push, meta, &body, roomy).unwrap().samples,
            200_000
        );
    }
}

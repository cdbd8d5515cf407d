//! Where an upload is decoded: on the async worker when that is sure to be quick, on the
//! blocking pool otherwise, so that a big upload never holds a worker (and with it every
//! connection that worker serves, the control port's among them).

use std::sync::LazyLock;

use bytes::Bytes;
use hyper::http::request::Parts;
use tokio::sync::Semaphore;

use super::protocol::budget::Budget;
use super::protocol::{self, DecodeResult, Decoded, Endpoint, Limits, Rejection, RequestMeta};

/// Bodies up to this size are tried inline...
const INLINE_BODY_BYTES: usize = 64 * 1024;
/// ...as long as all they inflate to fits in this: well under a millisecond of work. An upload
/// that needs more starts again on the blocking pool, having wasted at most this much.
const INLINE_INFLATE_BYTES: usize = 512 * 1024;

/// Big decodes at once: all cores but one, so that the async workers always have a core,
/// and memory stays within a few budgets however many big uploads arrive together.
static BIG_DECODES: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Semaphore::new(cores.saturating_sub(1).max(1))
});

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

fn meta(parts: &Parts) -> RequestMeta<'_> {
    RequestMeta {
        query: parts.uri.query(),
        content_type: header(parts, "content-type"),
        content_encoding: header(parts, "content-encoding"),
    }
}

/// Decodes one upload within the limits, off the async worker unless it is small.
pub(super) async fn decode(
    endpoint: Endpoint,
    parts: Parts,
    body: Bytes,
    limits: Limits,
) -> DecodeResult<Decoded> {
    let full = limits.max_decompressed_bytes();
    if body.len() <= INLINE_BODY_BYTES {
        let budget = Budget::new(INLINE_INFLATE_BYTES.min(full));
        let inline = protocol::decode_within(endpoint, meta(&parts), &body, &budget);
        if !budget.ran_out() || budget.total() == full {
            return inline;
        }
    }
    let _turn = BIG_DECODES
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(move || protocol::decode(endpoint, meta(&parts), &body, limits))
        .await
        .unwrap_or_else(|error| Err(Rejection::Malformed(format!("decoding failed: {error}"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingester::protocol::pprof::tests::profile_bytes;

    fn parts(query: &str) -> Parts {
        let request = hyper::Request::post(format!("/ingest?{query}"))
            .body(())
            .unwrap();
        request.into_parts().0
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, data).unwrap();
        encoder.finish().unwrap()
    }

    #[tokio::test]
    async fn small_and_big_uploads_decode_alike() {
        let limits = Limits::default();
        let small = Bytes::from(gzip(&profile_bytes(&[1, 2, 3])));
        let decoded = decode(
            Endpoint::Ingest,
            parts("name=a&format=pprof"),
            small,
            limits,
        );
        assert_eq!(decoded.await.unwrap().samples, 3);
        // Small on the wire, past the inline budget once inflated: decoded on the pool.
        let values = vec![1; INLINE_INFLATE_BYTES / 2];
        let bomb_like = Bytes::from(gzip(&profile_bytes(&values)));
        assert!(bomb_like.len() <= INLINE_BODY_BYTES);
        let decoded = decode(
            Endpoint::Ingest,
            parts("name=a&format=pprof"),
            bomb_like,
            limits,
        );
        assert_eq!(decoded.await.unwrap().samples, values.len() as u64);
        let tight = Limits {
            max_body_bytes: INLINE_INFLATE_BYTES / 8,
        };
        let bomb = Bytes::from(gzip(&profile_bytes(&values)));
        let refused = decode(Endpoint::Ingest, parts("name=a&format=pprof"), bomb, tight);
        assert_eq!(refused.await.unwrap_err().status(), 413);
    }
}

//! Every decoder of the ingester, fed arbitrary bytes: it may refuse them, never crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyrobench::ingester::protocol::{Endpoint, Limits, RequestMeta, decode};

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/proto"),
    Some("application/json"),
    Some("multipart/form-data; boundary=XYZ"),
    Some("text/plain"),
];
const QUERIES: &[&str] = &[
    "name=app&format=folded",
    "name=app&format=lines",
    "name=app&format=pprof",
    "name=app&format=trie",
    "name=app&format=tree",
    "name=app&format=jfr",
    "",
];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the request's shape; the rest is the body.
    let Some((&shape, body)) = data.split_first() else { return };
    let meta = RequestMeta {
        query: Some(QUERIES[(shape as usize) % QUERIES.len()]),
        content_type: CONTENT_TYPES[(shape as usize / 8) % CONTENT_TYPES.len()],
        content_encoding: if shape & 0x80 != 0 { Some("gzip") } else { None },
    };
    let endpoint = if shape & 0x40 != 0 { Endpoint::Push } else { Endpoint::Ingest };
    let _ = decode(endpoint, meta, body, Limits { max_body_bytes: 1 << 20 });
});

//! gzip, with a bound on what it may expand to.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::{DecodeResult, Limits, Rejection, malformed};

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflates a gzip stream, refusing one that expands past the limit (a zip bomb).
pub fn gunzip(bytes: &[u8], limits: Limits) -> DecodeResult<Vec<u8>> {
    let cap = limits.max_decompressed_bytes();
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(cap));
    MultiGzDecoder::new(bytes)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| malformed(format!("bad gzip data: {e}")))?;
    if out.len() > cap {
        return Err(Rejection::TooLarge(format!(
            "the payload inflates past {cap} bytes"
        )));
    }
    Ok(out)
}

/// The body as sent, inflated when `Content-Encoding` says gzip.
pub fn decode_content_encoding(
    encoding: Option<&str>,
    body: &[u8],
    limits: Limits,
) -> DecodeResult<Vec<u8>> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()) {
        None => Ok(body.to_vec()),
        Some(e) if e.is_empty() || e == "identity" => Ok(body.to_vec()),
        Some(e) if e == "gzip" || e == "x-gzip" => gunzip(body, limits),
        Some(other) => Err(malformed(format!("unsupported content-encoding `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    pub fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn round_trip() {
        let packed = gzip(b"hello");
        assert!(is_gzip(&packed));
        assert_eq!(gunzip(&packed, Limits::default()).unwrap(), b"hello");
    }

    #[test]
    fn truncated_gzip_is_malformed() {
        let packed = gzip(&[7u8; 10_000]);
        let error = gunzip(&packed[..packed.len() / 2], Limits::default()).unwrap_err();
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn a_bomb_is_too_large() {
        let packed = gzip(&vec![0u8; 100_000]);
        let limits = Limits {
            max_body_bytes: 1000,
        };
        assert_eq!(gunzip(&packed, limits).unwrap_err().status(), 413);
    }

    #[test]
    fn unknown_encodings_are_refused() {
        assert!(decode_content_encoding(Some("br"), b"x", Limits::default()).is_err());
        assert_eq!(
            decode_content_encoding(Some("identity"), b"x", Limits::default()).unwrap(),
            b"x"
        );
    }
}

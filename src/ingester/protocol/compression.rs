//! gzip, within the request's inflation budget.

use std::cell::RefCell;

use flate2::{Crc, Decompress, FlushDecompress, Status};

use super::budget::Budget;
use super::{DecodeResult, malformed};

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

thread_local! {
    /// One raw-deflate inflater per thread, reset between streams: setting one up (state and
    /// a 32 KiB window) cost as much as inflating a typical 3 KB profile. flate2 re-creates a
    /// gzip-mode zlib-rs inflater on every reset, so the gzip framing is read here instead.
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Inflates a gzip stream (every member of it, as `gzip -d` does), refusing one that
/// expands past what is left of the budget (a zip bomb).
pub fn gunzip(bytes: &[u8], budget: &Budget) -> DecodeResult<Vec<u8>> {
    let cap = budget.remaining();
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(cap).max(64));
    INFLATER.with_borrow_mut(|inflater| {
        let mut input = bytes;
        while !input.is_empty() {
            input = &input[member_header_len(input)?..];
            let start = out.len();
            inflater.reset(false);
            input = inflate_deflate(inflater, input, &mut out, cap, budget)?;
            input = check_trailer(input, &out[start..])?;
        }
        Ok(())
    })?;
    budget.spend(out.len());
    Ok(out)
}

fn bad_gzip(what: &str) -> super::Rejection {
    malformed(format!("bad gzip data: {what}"))
}

/// The length of a gzip member's header (RFC 1952, 2.3).
fn member_header_len(bytes: &[u8]) -> DecodeResult<usize> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    const RESERVED: u8 = 0xe0;
    let invalid = || bad_gzip("invalid gzip header");
    // Magic, deflate, then flags that zlib also accepts.
    if bytes.len() < 10 || bytes[..3] != [0x1f, 0x8b, 8] || bytes[3] & RESERVED != 0 {
        return Err(invalid());
    }
    let flags = bytes[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let length = bytes.get(at..at + 2).ok_or_else(invalid)?;
        at += 2 + usize::from(u16::from_le_bytes([length[0], length[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = bytes.get(at..).ok_or_else(invalid)?;
            at += rest.iter().position(|b| *b == 0).ok_or_else(invalid)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    if at > bytes.len() {
        return Err(invalid());
    }
    Ok(at)
}

/// A member's trailer: the CRC-32 and length (mod 2^32) of what it inflated to.
fn check_trailer<'a>(input: &'a [u8], inflated: &[u8]) -> DecodeResult<&'a [u8]> {
    let (trailer, rest) = input
        .split_first_chunk::<8>()
        .ok_or_else(|| bad_gzip("the stream ends early"))?;
    let mut crc = Crc::new();
    crc.update(inflated);
    let crc_ok = crc.sum() == u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let length = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    if !crc_ok || length != inflated.len() as u32 {
        return Err(bad_gzip(
            "corrupt deflate stream (checksum or length mismatch)",
        ));
    }
    Ok(rest)
}

/// Inflates one raw deflate stream onto `out`; what follows it in the input.
fn inflate_deflate<'a>(
    inflater: &mut Decompress,
    mut input: &'a [u8],
    out: &mut Vec<u8>,
    cap: usize,
    budget: &Budget,
) -> DecodeResult<&'a [u8]> {
    loop {
        if out.len() == out.capacity() {
            // One byte past the cap tells a stream that fits exactly from one that does not.
            let room = (cap + 1).saturating_sub(out.len());
            if room == 0 {
                return Err(budget.exhausted());
            }
            out.reserve_exact(room.min(out.len().max(4096)));
        }
        let (read, written) = (inflater.total_in(), out.len());
        let status = inflater
            .decompress_vec(input, out, FlushDecompress::None)
            .map_err(|e| bad_gzip(&e.to_string()))?;
        input = &input[(inflater.total_in() - read) as usize..];
        if out.len() > cap {
            return Err(budget.exhausted());
        }
        match status {
            Status::StreamEnd => return Ok(input),
            _ if inflater.total_in() == read && out.len() == written => {
                return Err(bad_gzip("the stream ends early"));
            }
            _ => {}
        }
    }
}

/// The body as sent, inflated when `Content-Encoding` says gzip.
pub fn decode_content_encoding(
    encoding: Option<&str>,
    body: &[u8],
    budget: &Budget,
) -> DecodeResult<Vec<u8>> {
    match encoding.map(str::trim) {
        None => Ok(body.to_vec()),
        Some(e) if e.is_empty() || e.eq_ignore_ascii_case("identity") => Ok(body.to_vec()),
        Some(e) if e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip") => {
            gunzip(body, budget)
        }
        Some(other) => Err(malformed(format!(
            "unsupported content-encoding `{}`",
            other.to_ascii_lowercase()
        ))),
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

    fn budget() -> Budget {
        Budget::new(1 << 20)
    }

    #[test]
    fn round_trip() {
        let packed = gzip(b"hello");
        assert!(is_gzip(&packed));
        assert_eq!(gunzip(&packed, &budget()).unwrap(), b"hello");
        // The thread's inflater is reused: a second stream decodes as well as the first.
        assert_eq!(gunzip(&gzip(b"again"), &budget()).unwrap(), b"again");
    }

    #[test]
    fn every_member_of_a_multi_member_stream_is_inflated() {
        let mut packed = gzip(b"one ");
        packed.extend(gzip(b"two"));
        assert_eq!(gunzip(&packed, &budget()).unwrap(), b"one two");
    }

    #[test]
    fn truncated_or_trailing_garbage_is_malformed() {
        let packed = gzip(&[7u8; 10_000]);
        let error = gunzip(&packed[..packed.len() / 2], &budget()).unwrap_err();
        assert_eq!(error.status(), 400);
        let mut trailing = gzip(b"x");
        trailing.extend_from_slice(b"not gzip");
        assert_eq!(gunzip(&trailing, &budget()).unwrap_err().status(), 400);
        // A failed stream leaves the thread's inflater fit for the next one.
        assert_eq!(gunzip(&gzip(b"ok"), &budget()).unwrap(), b"ok");
    }

    #[test]
    fn header_fields_are_skipped_and_checksums_checked() {
        let mut named = flate2::GzBuilder::new()
            .filename("profile.pprof")
            .comment("from a test")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        named.write_all(b"with a header").unwrap();
        let named = named.finish().unwrap();
        assert_eq!(gunzip(&named, &budget()).unwrap(), b"with a header");
        for corrupt_at in [named.len() - 8, named.len() - 1] {
            let mut corrupt = named.clone();
            corrupt[corrupt_at] ^= 1;
            assert_eq!(gunzip(&corrupt, &budget()).unwrap_err().status(), 400);
        }
        let mut reserved_flag = gzip(b"x");
        reserved_flag[3] |= 0x80;
        assert_eq!(gunzip(&reserved_flag, &budget()).unwrap_err().status(), 400);
        assert_eq!(
            gunzip(&[0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 0, b'a'], &budget())
                .unwrap_err()
                .status(),
            400
        );
    }

    #[test]
    fn a_bomb_is_too_large() {
        let packed = gzip(&vec![0u8; 100_000]);
        assert_eq!(
            gunzip(&packed, &Budget::new(8000)).unwrap_err().status(),
            413
        );
        let exact = gzip(&[1u8; 8000]);
        assert_eq!(gunzip(&exact, &Budget::new(8000)).unwrap().len(), 8000);
    }

    #[test]
    fn payloads_share_one_budget() {
        // Each fits alone; together they do not.
        let budget = Budget::new(10_000);
        let packed = gzip(&[3u8; 6000]);
        assert!(gunzip(&packed, &budget).is_ok());
        assert_eq!(gunzip(&packed, &budget).unwrap_err().status(), 413);
        assert!(budget.ran_out());
    }

    #[test]
    fn unknown_encodings_are_refused() {
        assert!(decode_content_encoding(Some("br"), b"x", &budget()).is_err());
        assert_eq!(
            decode_content_encoding(Some("identity"), b"x", &budget()).unwrap(),
            b"x"
        );
        assert_eq!(
            decode_content_encoding(Some(" GZIP "), &gzip(b"y"), &budget()).unwrap(),
            b"y"
        );
    }
}

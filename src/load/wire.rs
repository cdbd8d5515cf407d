//! HTTP/1.1 on the wire for the generator's hot path: the request as bytes made once per
//! connection, and a decoder that finds where each answer ends. The head is parsed by
//! `httparse` (hyper's own parser) and chunk sizes by `httparse::parse_chunk_size`; the
//! body is counted and dropped, never kept.
//!
//! hyper's client costs about 2–3 µs of user time per request here, against wrk's 0.6
//! µs, and at saturation on two cores that is the whole gap (bench/load-vs-wrk.sh).

use std::fmt;

/// A head longer than this is refused rather than buffered.
pub const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

/// The answer was not HTTP/1.x as a client can read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A complete answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Whether the connection can carry the next request.
    pub keep_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    /// This many body bytes still to come.
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    Trailers,
    /// No length given: the body ends when the server closes.
    UntilClose,
}

/// Reads one answer from the bytes as they arrive.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    status: u16,
    keep_alive: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self {
            state: State::Head,
            status: 0,
            keep_alive: false,
        }
    }
}

impl Decoder {
    /// Takes what it can of `input` and says how much it took; what it left (a part of a
    /// head or of a chunk-size line) must be offered again with more bytes after it.
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, Option<Answer>), Invalid> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match self.state {
                State::Head => match self.head(rest)? {
                    Some(n) => used += n,
                    None => return Ok((used, None)),
                },
                State::Length(0) => return Ok((used, Some(self.answer()))),
                State::Length(left) => {
                    let take = left.min(rest.len() as u64);
                    used += take as usize;
                    self.state = State::Length(left - take);
                    if take == 0 {
                        return Ok((used, None));
                    }
                }
                State::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, 0))) => {
                        used += n;
                        self.state = State::Trailers;
                    }
                    Ok(httparse::Status::Complete((n, size))) => {
                        used += n;
                        self.state = State::ChunkData(size);
                    }
                    Ok(httparse::Status::Partial) => return Ok((used, None)),
                    Err(_) => return Err(Invalid("a chunk size that is not hex".into())),
                },
                State::ChunkData(left) => {
                    let take = left.min(rest.len() as u64);
                    used += take as usize;
                    self.state = if take == left {
                        State::ChunkEnd
                    } else {
                        State::ChunkData(left - take)
                    };
                    if take == 0 {
                        return Ok((used, None));
                    }
                }
                State::ChunkEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        used += 2;
                        self.state = State::ChunkSize;
                    }
                    [] | [b'\r'] => return Ok((used, None)),
                    _ => return Err(Invalid("a chunk not followed by CRLF".into())),
                },
                State::Trailers => match rest.windows(2).position(|w| w == b"\r\n") {
                    // An empty line ends the trailers, and the answer.
                    Some(0) => return Ok((used + 2, Some(self.answer()))),
                    Some(line) => used += line + 2,
                    None => return Ok((used, None)),
                },
                State::UntilClose => return Ok((input.len(), None)),
            }
        }
    }

    /// The server closed the connection: the end of an answer that ran until the close,
    /// or an answer cut short.
    pub fn closed(&self) -> Result<Answer, Invalid> {
        match self.state {
            State::UntilClose => Ok(self.answer()),
            State::Head => Err(Invalid("the connection closed before an answer".into())),
            _ => Err(Invalid(
                "the connection closed in the middle of the body".into(),
            )),
        }
    }

    /// Whether any of the answer has been read.
    pub fn started(&self) -> bool {
        self.state != State::Head
    }

    fn answer(&self) -> Answer {
        Answer {
            status: self.status,
            keep_alive: self.keep_alive,
        }
    }

    /// Parses the head at the start of `input`: how long it was, or `None` until it is
    /// complete. A 1xx answer is skipped, and the head after it read next.
    fn head(&mut self, input: &[u8]) -> Result<Option<usize>, Invalid> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let length = match response.parse(input) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) if input.len() > MAX_HEAD => {
                return Err(Invalid(format!("a head over {MAX_HEAD} bytes")));
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(error) => return Err(Invalid(format!("a head that does not parse ({error})"))),
        };
        let status = response.code.unwrap_or_default();
        if (100..200).contains(&status) {
            return Ok(Some(length));
        }
        let has = |name: &str, token: &str| {
            response.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case(name)
                    && h.value
                        .split(|&b| b == b',')
                        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
            })
        };
        let mut keep_alive = if response.version == Some(0) {
            has("connection", "keep-alive")
        } else {
            !has("connection", "close")
        };
        self.state = if status == 204 || status == 304 {
            State::Length(0)
        } else if has("transfer-encoding", "chunked") {
            State::ChunkSize
        } else {
            match content_length(response.headers)? {
                Some(n) => State::Length(n),
                None => {
                    keep_alive = false;
                    State::UntilClose
                }
            }
        };
        self.status = status;
        self.keep_alive = keep_alive;
        Ok(Some(length))
    }
}

/// The body's length, if the head gives one; several headers must agree.
fn content_length(headers: &[httparse::Header]) -> Result<Option<u64>, Invalid> {
    let mut found = None;
    for header in headers {
        if !header.name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        let n = std::str::from_utf8(header.value)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| Invalid("a Content-Length that is not a number".into()))?;
        if found.is_some_and(|m| m != n) {
            return Err(Invalid("two Content-Lengths that differ".into()));
        }
        found = Some(n);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` in pieces of `step`, as the network might, keeping what the decoder
    /// leaves; returns the answer and how many bytes it took in all.
    fn decode(bytes: &[u8], step: usize) -> Result<(Option<Answer>, usize), Invalid> {
        let mut decoder = Decoder::default();
        let mut pending: Vec<u8> = Vec::new();
        let mut taken = 0;
        for piece in bytes.chunks(step) {
            pending.extend_from_slice(piece);
            let (used, answer) = decoder.feed(&pending)?;
            taken += used;
            pending.drain(..used);
            if answer.is_some() {
                return Ok((answer, taken));
            }
        }
        Ok((None, taken))
    }

    fn every_split(bytes: &[u8]) -> Vec<Result<(Option<Answer>, usize), Invalid>> {
        (1..=bytes.len()).map(|step| decode(bytes, step)).collect()
    }

    #[test]
    fn a_length_framed_answer_ends_at_its_length_however_it_arrives() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        for result in every_split(wire) {
            let (answer, taken) = result.unwrap();
            let answer = answer.unwrap();
            assert_eq!((answer.status, answer.keep_alive), (200, true));
            assert_eq!(taken, wire.len() - "EXTRA".len());
        }
    }

    #[test]
    fn a_chunked_answer_ends_after_its_last_chunk_and_trailers() {
        let wire = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
            4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        for result in every_split(wire) {
            let (answer, taken) = result.unwrap();
            assert_eq!(answer.unwrap().status, 201);
            assert_eq!(taken, wire.len() - "NEXT".len());
        }
    }

    #[test]
    fn an_answer_that_is_not_complete_is_not_an_answer() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
        let (answer, taken) = decode(wire, 7).unwrap();
        assert_eq!((answer, taken), (None, wire.len()));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwi";
        assert_eq!(decode(chunked, 3).unwrap().0, None);
    }

    #[test]
    fn close_and_http_1_0_end_the_connection() {
        let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assert!(!decode(close, 100).unwrap().0.unwrap().keep_alive);
        let old = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert!(!decode(old, 100).unwrap().0.unwrap().keep_alive);
        let old_kept = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
        assert!(decode(old_kept, 100).unwrap().0.unwrap().keep_alive);
    }

    #[test]
    fn an_answer_without_a_length_runs_until_the_close() {
        let mut decoder = Decoder::default();
        let (_, answer) = decoder.feed(b"HTTP/1.1 200 OK\r\n\r\nsome body").unwrap();
        assert_eq!(answer, None);
        let answer = decoder.closed().unwrap();
        assert_eq!((answer.status, answer.keep_alive), (200, false));
        // A close before the whole of a known length is a broken answer.
        let mut cut = Decoder::default();
        cut.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc")
            .unwrap();
        assert!(cut.closed().is_err());
        assert!(Decoder::default().closed().is_err());
    }

    #[test]
    fn informational_answers_are_skipped_and_no_body_ones_end_at_the_head() {
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        let (answer, taken) = decode(wire, 100).unwrap();
        assert_eq!((answer.unwrap().status, taken), (204, wire.len()));
        let not_modified = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n";
        assert_eq!(decode(not_modified, 100).unwrap().0.unwrap().status, 304);
    }

    #[test]
    fn what_is_not_http_is_refused_with_what_was_wrong() {
        let cases: [&[u8]; 4] = [
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ];
        for wire in cases {
            assert!(
                decode(wire, 100).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
        let endless = [b"HTTP/1.1 200 OK\r\n".as_slice(), &[b'X'; MAX_HEAD + 1]].concat();
        let error = Decoder::default().feed(&endless).unwrap_err();
        assert!(error.0.contains("over"), "{error}");
    }
}

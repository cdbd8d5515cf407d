//! `POST /ingest`: the legacy API. The query says what the body is.

use super::budget::Budget;
use super::compression::decode_content_encoding;
use super::{DecodeResult, Decoded, Rejection, RequestMeta, malformed, pprof};

/// Body formats the legacy API names in `format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `stack;frames count` per line (also the default).
    Folded,
    /// One stack per line, each counting once.
    Lines,
    Pprof,
    /// Pyroscope's serialized transport trie and tree: nodes in preorder.
    Trie,
    Tree,
    /// Java Flight Recorder: accepted and counted, not decoded.
    Jfr,
}

impl Format {
    fn parse(name: &str) -> DecodeResult<Self> {
        match name {
            "" | "folded" => Ok(Format::Folded),
            "lines" => Ok(Format::Lines),
            "pprof" => Ok(Format::Pprof),
            "trie" => Ok(Format::Trie),
            "tree" => Ok(Format::Tree),
            "jfr" => Ok(Format::Jfr),
            other => Err(malformed(format!(
                "unknown format `{other}`: use folded, lines, pprof, trie, tree or jfr"
            ))),
        }
    }
}

/// The query parameters of an `/ingest` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestQuery {
    pub name: String,
    pub format: Format,
}

impl IngestQuery {
    /// The application: `name` without its `{tags}`, and without the `.cpu`-style suffix kept.
    pub fn app(&self) -> String {
        self.name.split('{').next().unwrap_or_default().to_string()
    }
}

pub fn parse_query(query: Option<&str>) -> DecodeResult<IngestQuery> {
    let mut name = None;
    let mut format = Format::Folded;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "name" => name = Some(value.to_string()),
            "format" => format = Format::parse(&value)?,
            "from" | "until" => {
                value.parse::<i64>().map_err(|_| {
                    malformed(format!("`{key}` must be a Unix time, not `{value}`"))
                })?;
            }
            "sampleRate" => {
                value.parse::<u32>().map_err(|_| {
                    malformed(format!(
                        "`sampleRate` must be a whole number, not `{value}`"
                    ))
                })?;
            }
            // spyName, units, aggregationType and others are labels of the profile.
            _ => {}
        }
    }
    let name = name
        .filter(|n| !n.split('{').next().unwrap_or_default().trim().is_empty())
        .ok_or_else(|| malformed("the `name` query parameter is required"))?;
    Ok(IngestQuery { name, format })
}

fn count_folded(body: &[u8], with_counts: bool) -> DecodeResult<u64> {
    let text = std::str::from_utf8(body).map_err(|_| malformed("the folded body is not UTF-8"))?;
    let mut samples = 0;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if with_counts {
            let (_, count) = line
                .rsplit_once(' ')
                .ok_or_else(|| malformed(format!("line {} is not `stack count`", index + 1)))?;
            count.trim().parse::<u64>().map_err(|_| {
                malformed(format!("line {} ends in `{count}`, not a count", index + 1))
            })?;
        }
        samples += 1;
    }
    Ok(samples)
}

/// Trie and tree bodies: nodes in preorder, each `uvarint(len) label uvarint(value)
/// uvarint(children)`. A node with a value ends a stack: that is a sample.
fn count_valued_nodes(body: &[u8]) -> DecodeResult<u64> {
    let mut buf = body;
    let read = |what: &str, buf: &mut &[u8]| {
        prost::encoding::decode_varint(buf)
            .map_err(|_| malformed(format!("bad {what} in the trie or tree")))
    };
    let mut pending: u64 = 1;
    let mut samples = 0;
    while pending > 0 {
        let len = read("label length", &mut buf)?;
        let label_len = usize::try_from(len).ok().filter(|l| *l <= buf.len());
        let label_len =
            label_len.ok_or_else(|| malformed("a trie or tree label runs past the body"))?;
        buf = &buf[label_len..];
        if read("value", &mut buf)? > 0 {
            samples += 1;
        }
        let children = read("child count", &mut buf)?;
        pending = (pending - 1)
            .checked_add(children)
            .ok_or_else(|| malformed("a trie or tree node has too many children"))?;
        // Every node takes at least 3 bytes: more pending nodes than that cannot be there.
        if pending > buf.len() as u64 / 3 + 1 {
            return Err(malformed(
                "the trie or tree promises more nodes than the body holds",
            ));
        }
    }
    if !buf.is_empty() {
        return Err(malformed("bytes left over after the trie or tree"));
    }
    Ok(samples)
}

fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.trim()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    })
}

/// The form the Go SDK sends: a `profile` field (pprof), optionally `prev_profile` and a
/// `sample_type_config` JSON object.
fn count_multipart(content_type: &str, body: &[u8], budget: &Budget) -> DecodeResult<u64> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| malformed(format!("bad multipart content-type: {e}")))?;
    let stream = futures_util::stream::once(async move {
        Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(body))
    });
    let mut form = multer::Multipart::new(stream, boundary);
    futures_executor::block_on(async move {
        let mut samples = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| malformed(format!("bad multipart body: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let data = field
                .bytes()
                .await
                .map_err(|e| malformed(format!("bad multipart field `{name}`: {e}")))?;
            match name.as_str() {
                "profile" => samples = Some(pprof::count_samples(&data, budget)?),
                "prev_profile" => {
                    pprof::count_samples(&data, budget)?;
                }
                "sample_type_config" => {
                    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&data)
                        .map_err(|e| malformed(format!("bad sample_type_config: {e}")))?;
                }
                _ => {}
            }
        }
        samples.ok_or_else(|| malformed("the multipart body has no `profile` field"))
    })
}

pub fn decode(meta: RequestMeta<'_>, body: &[u8], budget: &Budget) -> DecodeResult<Decoded> {
    let query = parse_query(meta.query)?;
    let body = decode_content_encoding(meta.content_encoding, body, budget)?;
    let samples = if is_multipart(meta.content_type) {
        count_multipart(meta.content_type.unwrap_or_default(), &body, budget)?
    } else {
        match query.format {
            Format::Folded => count_folded(&body, true)?,
            Format::Lines => count_folded(&body, false)?,
            Format::Pprof => pprof::count_samples(&body, budget)?,
            Format::Trie | Format::Tree => count_valued_nodes(&body)?,
            Format::Jfr => {
                if body.is_empty() {
                    return Err(Rejection::Malformed("the body is empty".into()));
                }
                0
            }
        }
    };
    Ok(Decoded {
        profiles: 1,
        samples,
        apps: vec![query.app()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingester::protocol::pprof::tests::profile_bytes;

    fn budget() -> Budget {
        Budget::new(1 << 20)
    }

    fn meta(query: &'static str) -> RequestMeta<'static> {
        RequestMeta {
            query: Some(query),
            ..Default::default()
        }
    }

    #[test]
    fn folded_lines_are_samples() {
        let q = "name=app.cpu%7Benv%3Dtest%7D&from=1&until=2&format=folded&sampleRate=100&spyName=gospy&units=samples&aggregationType=sum";
        let decoded = decode(meta(q), b"a;b;c 3\na;b;d 2\n\n", &budget()).unwrap();
        assert_eq!(
            decoded,
            Decoded {
                profiles: 1,
                samples: 2,
                apps: vec!["app.cpu".into()]
            }
        );
    }

    #[test]
    fn bad_queries_and_bodies_are_malformed() {
        assert!(decode(meta("format=folded"), b"a 1", &budget()).is_err());
        assert!(decode(meta("name=x&sampleRate=fast"), b"a 1", &budget()).is_err());
        assert!(decode(meta("name=x&format=png"), b"a 1", &budget()).is_err());
        assert!(decode(meta("name=x"), b"a;b nope\n", &budget()).is_err());
        assert!(decode(meta("name=x"), &[0xff, 0xfe], &budget()).is_err());
    }

    #[test]
    fn pprof_bodies_and_opaque_formats() {
        let body = profile_bytes(&[1, 2, 3, 4]);
        assert_eq!(
            decode(meta("name=x&format=pprof"), &body, &budget())
                .unwrap()
                .samples,
            4
        );
        // Stacks a;b;c 3 and a;b;d 2, as Pyroscope serializes them.
        let trie = b"\x00\x00\x01\x04a;b;\x00\x02\x01c\x03\x00\x01d\x02\x00";
        let decoded = decode(meta("name=x&format=trie"), trie, &budget()).unwrap();
        assert_eq!((decoded.profiles, decoded.samples), (1, 2));
        assert!(decode(meta("name=x&format=tree"), b"\x01\x02", &budget()).is_err());
        assert!(decode(meta("name=x&format=tree"), b"\x00\x00\x7f", &budget()).is_err());
    }

    #[test]
    fn a_child_count_near_the_integer_limit_is_malformed() {
        // Found by the fuzzer: such a count overflowed the number of nodes still to read.
        let huge = b"\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
        assert!(decode(meta("name=x&format=trie"), huge, &budget()).is_err());
        let crash = include_bytes!("../../../tests/fixtures/fuzz/trie-child-overflow.bin");
        let (_, body) = crash.split_first().unwrap();
        assert!(decode(meta("name=app&format=trie"), body, &budget()).is_err());
    }

    #[test]
    fn multipart_reads_the_profile_field() {
        let profile = profile_bytes(&[5, 6]);
        let mut body = Vec::new();
        body.extend_from_slice(b"--XYZ\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(&profile);
        body.extend_from_slice(b"\r\n--XYZ\r\nContent-Disposition: form-data; name=\"sample_type_config\"; filename=\"sample_type_config.json\"\r\n\r\n{\"cpu\":{\"units\":\"nanoseconds\"}}\r\n--XYZ--\r\n");
        let meta = RequestMeta {
            query: Some("name=go-app&format=pprof"),
            content_type: Some("multipart/form-data; boundary=XYZ"),
            content_encoding: None,
        };
        let decoded = decode(meta, &body, &budget()).unwrap();
        assert_eq!((decoded.profiles, decoded.samples), (1, 2));
        let no_profile =
            b"--XYZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XYZ--\r\n";
        assert!(decode(meta, no_profile, &budget()).is_err());
    }
}

//! `POST /push.v1.PusherService/Push`: a Connect unary call carrying pprof profiles.

use base64::Engine as _;
use prost::Message;
use serde::Deserialize;

use super::budget::Budget;
use super::compression::decode_content_encoding;
use super::{DecodeResult, Decoded, Rejection, RequestMeta, malformed, pprof};

#[derive(Clone, PartialEq, Message)]
pub struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    pub series: Vec<RawProfileSeries>,
}

#[derive(Clone, PartialEq, Message)]
pub struct RawProfileSeries {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<LabelPair>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<RawSample>,
}

/// Strings are read as bytes, borrowing the body instead of each getting a `String`, and
/// checked for UTF-8 after (`check_strings`), as a string field must be.
#[derive(Clone, PartialEq, Message)]
pub struct LabelPair {
    #[prost(bytes = "bytes", tag = "1")]
    pub name: bytes::Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    pub value: bytes::Bytes,
}

#[derive(Clone, PartialEq, Message)]
pub struct RawSample {
    #[prost(bytes = "bytes", tag = "1")]
    pub raw_profile: bytes::Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    pub id: bytes::Bytes,
}

/// The protobuf JSON mapping of the same messages, as Connect sends with `application/json`.
#[derive(Deserialize)]
struct JsonPush {
    #[serde(default)]
    series: Vec<JsonSeries>,
}

#[derive(Deserialize)]
struct JsonSeries {
    #[serde(default)]
    labels: Vec<JsonLabel>,
    #[serde(default)]
    samples: Vec<JsonSample>,
}

#[derive(Deserialize)]
struct JsonLabel {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct JsonSample {
    #[serde(default, rename = "rawProfile", alias = "raw_profile")]
    raw_profile: String,
}

fn is_json(content_type: &str) -> bool {
    content_type.starts_with("application/json")
}

fn is_proto(content_type: &str) -> bool {
    content_type.starts_with("application/proto")
        || content_type.starts_with("application/x-protobuf")
}

fn from_json(bytes: &[u8]) -> DecodeResult<PushRequest> {
    let push: JsonPush =
        serde_json::from_slice(bytes).map_err(|e| malformed(format!("bad JSON push: {e}")))?;
    let base64 = base64::engine::general_purpose::STANDARD;
    let series = push
        .series
        .into_iter()
        .map(|series| {
            let samples = series
                .samples
                .into_iter()
                .map(|sample| {
                    base64
                        .decode(sample.raw_profile.as_bytes())
                        .map(|raw_profile| RawSample {
                            raw_profile: raw_profile.into(),
                            id: bytes::Bytes::new(),
                        })
                        .map_err(|e| malformed(format!("bad base64 in rawProfile: {e}")))
                })
                .collect::<DecodeResult<Vec<_>>>()?;
            let labels = series
                .labels
                .into_iter()
                .map(|label| LabelPair {
                    name: label.name.into(),
                    value: label.value.into(),
                })
                .collect();
            Ok(RawProfileSeries { labels, samples })
        })
        .collect::<DecodeResult<Vec<_>>>()?;
    Ok(PushRequest { series })
}

/// Protobuf strings must be UTF-8; prost checked that when they were `String`s.
fn check_strings(push: &PushRequest) -> DecodeResult<()> {
    let strings = push.series.iter().flat_map(|series| {
        let labels = series.labels.iter().flat_map(|l| [&l.name, &l.value]);
        labels.chain(series.samples.iter().map(|sample| &sample.id))
    });
    for string in strings {
        std::str::from_utf8(string)
            .map_err(|_| malformed("bad push message: a string field is not UTF-8"))?;
    }
    Ok(())
}

/// The application of a series: `service_name`, as Pyroscope names it.
fn app_of(series: &RawProfileSeries) -> Option<String> {
    series
        .labels
        .iter()
        .find(|label| label.name == "service_name")
        .map(|label| String::from_utf8_lossy(&label.value).into_owned())
}

pub fn decode(meta: RequestMeta<'_>, body: &[u8], budget: &Budget) -> DecodeResult<Decoded> {
    let content_type = meta.content_type.unwrap_or("").trim().to_ascii_lowercase();
    if !is_json(&content_type) && !is_proto(&content_type) {
        return Err(Rejection::UnsupportedMediaType(format!(
            "content-type `{content_type}` is not application/proto or application/json"
        )));
    }
    let bytes = decode_content_encoding(meta.content_encoding, body, budget)?;
    let push = if is_json(&content_type) {
        from_json(&bytes)?
    } else {
        // Decoding from `Bytes` lets each raw profile borrow the buffer instead of copying it.
        let push = PushRequest::decode(bytes::Bytes::from(bytes))
            .map_err(|e| malformed(format!("bad push message: {e}")))?;
        check_strings(&push)?;
        push
    };
    let mut decoded = Decoded::default();
    // A set: a push may name thousands of services, and a list's search would be quadratic.
    let mut apps = std::collections::BTreeSet::new();
    for series in &push.series {
        for sample in &series.samples {
            decoded.profiles += 1;
            decoded.samples += pprof::count_samples(&sample.raw_profile, budget)?;
        }
        apps.extend(app_of(series));
    }
    decoded.apps = apps.into_iter().collect();
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingester::protocol::pprof::tests::profile_bytes;

    fn push_bytes(profiles: &[&[i64]]) -> Vec<u8> {
        PushRequest {
            series: vec![RawProfileSeries {
                labels: vec![LabelPair {
                    name: "service_name".into(),
                    value: "app".into(),
                }],
                samples: profiles
                    .iter()
                    .map(|values| RawSample {
                        raw_profile: profile_bytes(values).into(),
                        id: "x".into(),
                    })
                    .collect(),
            }],
        }
        .encode_to_vec()
    }

    fn budget() -> Budget {
        Budget::new(1 << 20)
    }

    fn meta(content_type: &'static str) -> RequestMeta<'static> {
        RequestMeta {
            content_type: Some(content_type),
            ..Default::default()
        }
    }

    #[test]
    fn proto_push_counts_profiles_and_samples() {
        let decoded = decode(
            meta("application/proto"),
            &push_bytes(&[&[1, 2], &[3]]),
            &budget(),
        )
        .unwrap();
        assert_eq!(
            decoded,
            Decoded {
                profiles: 2,
                samples: 3,
                apps: vec!["app".into()]
            }
        );
    }

    #[test]
    fn json_push_decodes_base64_profiles() {
        let raw = base64::engine::general_purpose::STANDARD.encode(profile_bytes(&[1, 1, 1, 1]));
        let body = format!(
            r#"{{"series":[{{"labels":[{{"name":"service_name","value":"web"}}],"samples":[{{"rawProfile":"{raw}","ID":"a"}}]}}]}}"#
        );
        let decoded = decode(meta("application/json"), body.as_bytes(), &budget()).unwrap();
        assert_eq!(
            decoded,
            Decoded {
                profiles: 1,
                samples: 4,
                apps: vec!["web".into()]
            }
        );
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut push = PushRequest::decode(&push_bytes(&[&[1]])[..]).unwrap();
        push.series[0].labels[0].value = bytes::Bytes::from_static(&[0xff, 0xfe]);
        let body = push.encode_to_vec();
        let refused = decode(meta("application/proto"), &body, &budget()).unwrap_err();
        assert_eq!(refused.status(), 400, "{refused:?}");
    }

    #[test]
    fn wrong_content_type_is_415_and_garbage_is_400() {
        assert_eq!(
            decode(meta("text/plain"), b"", &budget())
                .unwrap_err()
                .status(),
            415
        );
        assert_eq!(
            decode(meta("application/proto"), &[0xff; 7], &budget())
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            decode(meta("application/json"), b"{", &budget())
                .unwrap_err()
                .status(),
            400
        );
    }
}

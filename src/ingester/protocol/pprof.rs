//! pprof profiles (perftools.profiles.Profile): only what counting needs is decoded.

use prost::Message;

use super::budget::Budget;
use super::compression::{gunzip, is_gzip};
use super::{DecodeResult, malformed};

/// The part of `Profile` we read; prost skips every other field.
#[derive(Clone, PartialEq, Message)]
pub struct Profile {
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
}

/// Only counted: its fields are checked for well-formedness and skipped, and a vector of
/// this empty type never allocates.
#[derive(Clone, PartialEq, Message)]
pub struct Sample {}

/// Number of sample records in a pprof profile, raw or gzipped.
pub fn count_samples(bytes: &[u8], budget: &Budget) -> DecodeResult<u64> {
    let inflated;
    let raw = if is_gzip(bytes) {
        inflated = gunzip(bytes, budget)?;
        &inflated[..]
    } else {
        bytes
    };
    let profile = Profile::decode(raw).map_err(|e| malformed(format!("bad pprof profile: {e}")))?;
    Ok(profile.sample.len() as u64)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A pprof profile with the given sample values, as tests need one.
    pub fn profile_bytes(values: &[i64]) -> Vec<u8> {
        // Sample { value: [v] } as field 2 of Profile, one value each.
        values
            .iter()
            .flat_map(|v| {
                let mut value = Vec::new();
                prost::encoding::int64::encode(2, v, &mut value);
                let mut sample = Vec::new();
                prost::encoding::bytes::encode(2, &value, &mut sample);
                sample
            })
            .collect()
    }

    #[test]
    fn counts_samples_raw_and_gzipped() {
        let raw = profile_bytes(&[3, 4, 5]);
        assert_eq!(count_samples(&raw, &Budget::new(1 << 20)), Ok(3));
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, &raw).unwrap();
        assert_eq!(
            count_samples(&encoder.finish().unwrap(), &Budget::new(1 << 20)),
            Ok(3)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(count_samples(&[0xff, 0xff, 0xff, 0xff], &Budget::new(1 << 20)).is_err());
    }
}

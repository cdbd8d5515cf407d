//! How the ingester answers uploads. Switchable while it runs.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Mode {
    /// Reads the body and answers 200 at once.
    #[default]
    Fast,
}

impl Mode {
    pub const NAMES: &'static [&'static str] = &["fast"];

    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "fast" => Ok(Mode::Fast),
            other => bail!(
                "unknown ingester mode `{other}`: use one of {}",
                Self::NAMES.join(", ")
            ),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Mode::Fast => "fast",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_json() {
        let json = serde_json::to_string(&Mode::Fast).unwrap();
        assert_eq!(json, r#"{"mode":"fast"}"#);
        assert_eq!(serde_json::from_str::<Mode>(&json).unwrap(), Mode::Fast);
    }

    #[test]
    fn unknown_modes_list_the_known_ones() {
        let error = Mode::from_name("sloww").unwrap_err().to_string();
        assert!(error.contains("sloww") && error.contains("fast"), "{error}");
    }
}

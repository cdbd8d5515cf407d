//! How the ingester answers uploads. Switchable while it runs.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};

/// A behaviour of the ingest port. The control port always answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum Mode {
    /// Reads the body and answers at once.
    #[default]
    Fast,
    /// Reads the body, waits `delay_ms` ± `jitter_ms`, then answers.
    Slow {
        #[serde(default = "default_delay_ms")]
        delay_ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// Reads the body and answers with `status` (500, 422, 429, ...).
    Error {
        #[serde(default = "default_status")]
        status: u16,
    },
    /// Reads the request and never answers, holding the connection open.
    Hang,
    /// Reads the request, then drops the connection abruptly (TCP RST).
    Reset,
    /// Stops listening while staying on the network: connections are refused.
    Refuse,
    /// Reads the body at `bytes_per_s`, then answers.
    Bandwidth {
        #[serde(default = "default_bytes_per_s")]
        bytes_per_s: u64,
    },
    /// With `probability`, behaves as `then`; otherwise as `fast`.
    Flaky {
        #[serde(default = "default_probability")]
        probability: f64,
        #[serde(default = "default_flaky_then")]
        then: Box<Mode>,
    },
}

fn default_delay_ms() -> u64 {
    1000
}
fn default_status() -> u16 {
    500
}
fn default_bytes_per_s() -> u64 {
    1024
}
fn default_probability() -> f64 {
    0.5
}
fn default_flaky_then() -> Box<Mode> {
    Box::new(Mode::Error { status: 500 })
}

/// What one request gets, once `flaky` has been decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Answer { status: u16, delay: Duration },
    Hang,
    Reset,
}

impl Mode {
    pub const NAMES: &'static [&'static str] = &[
        "fast",
        "slow",
        "error",
        "hang",
        "reset",
        "refuse",
        "bandwidth",
        "flaky",
    ];

    /// The one way in from JSON, for every entry point (CLI flags, scripts, `PUT /mode`):
    /// parsed and checked, so that none of them lets through what another refuses.
    pub fn from_json(value: serde_json::Value) -> Result<Mode> {
        let mode: Mode = serde_json::from_value(value).map_err(|e| {
            anyhow!(
                "bad ingester mode: {e}; known modes: {}",
                Mode::NAMES.join(", ")
            )
        })?;
        mode.validate()?;
        Ok(mode)
    }

    /// Checks the settings a user gave, with a message that names the fix.
    pub fn validate(&self) -> Result<()> {
        match self {
            Mode::Error { status } if !(100..=599).contains(status) || *status == 200 => {
                bail!(
                    "ingester mode error: status {status} must be an HTTP status from 100 to 599 other than 200"
                )
            }
            Mode::Bandwidth { bytes_per_s: 0 } => {
                bail!("ingester mode bandwidth: bytes_per_s must be at least 1")
            }
            Mode::Flaky { probability, then } => {
                if !(0.0..=1.0).contains(probability) {
                    bail!("ingester mode flaky: probability {probability} must be between 0 and 1");
                }
                if matches!(**then, Mode::Flaky { .. } | Mode::Refuse) {
                    bail!(
                        "ingester mode flaky: `then` must be fast, slow, error, hang, reset or bandwidth"
                    );
                }
                then.validate()
            }
            _ => Ok(()),
        }
    }

    /// Whether the ingest port should stop listening.
    pub fn refuses(&self) -> bool {
        matches!(self, Mode::Refuse)
    }

    /// Resolves `flaky` with a random draw in [0, 1): the mode this request gets.
    pub fn for_request(&self, draw: f64) -> &Mode {
        match self {
            Mode::Flaky { probability, then } if draw < *probability => then,
            Mode::Flaky { .. } => &Mode::Fast,
            other => other,
        }
    }

    /// Body reading rate, for `bandwidth`.
    pub fn read_rate(&self) -> Option<u64> {
        match self {
            Mode::Bandwidth { bytes_per_s } => Some(*bytes_per_s),
            _ => None,
        }
    }

    /// What to do after the body was read; `jitter_draw` is uniform in [-1, 1].
    pub fn action(&self, jitter_draw: f64) -> Action {
        match self {
            Mode::Fast | Mode::Bandwidth { .. } | Mode::Refuse | Mode::Flaky { .. } => {
                Action::Answer {
                    status: 200,
                    delay: Duration::ZERO,
                }
            }
            Mode::Slow {
                delay_ms,
                jitter_ms,
            } => {
                let millis = (*delay_ms as f64 + jitter_draw * *jitter_ms as f64).max(0.0);
                Action::Answer {
                    status: 200,
                    delay: Duration::from_secs_f64(millis / 1000.0),
                }
            }
            Mode::Error { status } => Action::Answer {
                status: *status,
                delay: Duration::ZERO,
            },
            Mode::Hang => Action::Hang,
            Mode::Reset => Action::Reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Mode {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn modes_parse_with_defaults() {
        assert_eq!(parse(r#"{"mode":"fast"}"#), Mode::Fast);
        assert_eq!(
            parse(r#"{"mode":"slow"}"#),
            Mode::Slow {
                delay_ms: 1000,
                jitter_ms: 0
            }
        );
        assert_eq!(
            parse(r#"{"mode":"error","status":429}"#),
            Mode::Error { status: 429 }
        );
        assert_eq!(
            parse(r#"{"mode":"flaky","probability":0.25}"#),
            Mode::Flaky {
                probability: 0.25,
                then: Box::new(Mode::Error { status: 500 })
            }
        );
        assert!(
            serde_json::from_str::<Mode>(r#"{"mode":"slow","delay":5}"#).is_err(),
            "typos are refused"
        );
        assert!(serde_json::from_str::<Mode>(r#"{"mode":"sloww"}"#).is_err());
    }

    #[test]
    fn flaky_applies_its_mode_with_the_probability() {
        let flaky = parse(r#"{"mode":"flaky","probability":0.3,"then":{"mode":"hang"}}"#);
        assert_eq!(flaky.for_request(0.1), &Mode::Hang);
        assert_eq!(flaky.for_request(0.3), &Mode::Fast);
        assert_eq!(flaky.for_request(0.9), &Mode::Fast);
        assert_eq!(Mode::Hang.for_request(0.9), &Mode::Hang);
    }

    #[test]
    fn slow_delay_includes_jitter_and_never_goes_negative() {
        let slow = Mode::Slow {
            delay_ms: 100,
            jitter_ms: 50,
        };
        assert_eq!(
            slow.action(1.0),
            Action::Answer {
                status: 200,
                delay: Duration::from_millis(150)
            }
        );
        assert_eq!(
            slow.action(-1.0),
            Action::Answer {
                status: 200,
                delay: Duration::from_millis(50)
            }
        );
        let wide = Mode::Slow {
            delay_ms: 10,
            jitter_ms: 50,
        };
        assert_eq!(
            wide.action(-1.0),
            Action::Answer {
                status: 200,
                delay: Duration::ZERO
            }
        );
    }

    #[test]
    fn bad_settings_are_refused_with_the_fix() {
        assert!(Mode::Error { status: 200 }.validate().is_err());
        assert!(Mode::Error { status: 42 }.validate().is_err());
        assert!(Mode::Error { status: 503 }.validate().is_ok());
        assert!(Mode::Bandwidth { bytes_per_s: 0 }.validate().is_err());
        let nested = Mode::Flaky {
            probability: 0.5,
            then: Box::new(Mode::Refuse),
        };
        assert!(nested.validate().is_err());
        assert!(
            Mode::Flaky {
                probability: 1.5,
                then: Box::new(Mode::Hang)
            }
            .validate()
            .is_err()
        );
    }
}

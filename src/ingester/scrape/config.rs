//! What the scraper scrapes and how often: the one check behind the CLI, scripts and
//! `PUT /scrape`, as `Mode::from_json` is for modes.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};

/// The CPU profile's path, as Go's net/http/pprof and Grafana Alloy name it.
pub const PROFILE_PATH: &str = "/debug/pprof/profile";

/// Pull targets and their schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    /// `host:port` of each target (an `http://` prefix is allowed and dropped).
    #[serde(default)]
    pub targets: Vec<String>,
    /// Seconds between two scrapes of a target (Alloy's `scrape_interval`, 15 s).
    #[serde(default = "default_interval_s")]
    pub interval_s: f64,
    /// Length of each CPU profile; by default the interval less one second, as Alloy.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// Further paths scraped as they are each interval, e.g. `/debug/pprof/allocs`.
    #[serde(default)]
    pub paths: Vec<String>,
    /// On top of the profile's length, how long a scrape may take (Alloy's 10 s).
    #[serde(default = "default_timeout_s")]
    pub timeout_s: f64,
}

fn default_interval_s() -> f64 {
    15.0
}
fn default_timeout_s() -> f64 {
    10.0
}

impl Default for ScrapeConfig {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            interval_s: default_interval_s(),
            seconds: None,
            paths: Vec::new(),
            timeout_s: default_timeout_s(),
        }
    }
}

/// One thing scraped from one target, each interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeJob {
    /// `host:port`.
    pub target: String,
    /// Path and query.
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
}

impl ScrapeConfig {
    /// Parsed and checked, from the JSON that scripts and `PUT /scrape` send.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let config: ScrapeConfig =
            serde_json::from_value(value).map_err(|e| anyhow!("bad scrape settings: {e}"))?;
        config.normalized()
    }

    /// Checked, with each target as `host:port`.
    pub fn normalized(mut self) -> Result<Self> {
        if !(self.interval_s.is_finite() && (1.0..=3600.0).contains(&self.interval_s)) {
            bail!(
                "scrape interval {} s: give a number of seconds from 1 to 3600",
                self.interval_s
            );
        }
        let seconds = self.profile_seconds();
        if !(seconds.is_finite() && seconds > 0.0 && seconds < self.interval_s) {
            bail!(
                "scrape seconds {seconds}: a profile must be longer than 0 s and shorter than \
                 the interval ({} s)",
                self.interval_s
            );
        }
        if !(self.timeout_s.is_finite() && self.timeout_s > 0.0) {
            bail!(
                "scrape timeout {} s: give a positive number of seconds",
                self.timeout_s
            );
        }
        for path in &self.paths {
            if !path.starts_with('/') || path.contains(char::is_whitespace) {
                bail!("scrape path {path:?}: give a path such as /debug/pprof/allocs");
            }
        }
        self.targets = self
            .targets
            .iter()
            .map(|t| normalize_target(t))
            .collect::<Result<_>>()?;
        Ok(self)
    }

    /// The CPU profile's length in seconds: given, or the interval less one second.
    pub fn profile_seconds(&self) -> f64 {
        self.seconds.unwrap_or((self.interval_s - 1.0).max(0.5))
    }

    /// Every (target, path) pair, each scraped on its own schedule.
    pub fn jobs(&self) -> Vec<ScrapeJob> {
        let interval = Duration::from_secs_f64(self.interval_s);
        let seconds = self.profile_seconds();
        let profile = ScrapeJob {
            target: String::new(),
            path: format!("{PROFILE_PATH}?seconds={seconds}"),
            interval,
            timeout: Duration::from_secs_f64(self.timeout_s + seconds),
        };
        let others = self.paths.iter().map(|path| ScrapeJob {
            path: path.clone(),
            timeout: Duration::from_secs_f64(self.timeout_s),
            ..profile.clone()
        });
        let per_target: Vec<ScrapeJob> = std::iter::once(profile.clone()).chain(others).collect();
        self.targets
            .iter()
            .flat_map(|target| {
                per_target.iter().map(move |job| ScrapeJob {
                    target: target.clone(),
                    ..job.clone()
                })
            })
            .collect()
    }
}

fn normalize_target(target: &str) -> Result<String> {
    let bare = target.strip_prefix("http://").unwrap_or(target);
    let bare = bare.strip_suffix('/').unwrap_or(bare);
    let authority: hyper::http::uri::Authority = bare
        .parse()
        .map_err(|_| anyhow!("scrape target {target:?}: give host:port, such as benchmark:6060"))?;
    if authority.port_u16().is_none() || authority.as_str().contains('@') {
        bail!("scrape target {target:?}: give host:port, such as benchmark:6060");
    }
    Ok(authority.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_follow_alloy_and_each_target_gets_every_path() {
        let config = ScrapeConfig::from_json(json!({
            "targets": ["http://app:6060/", "other:7070"],
            "paths": ["/debug/pprof/allocs"],
        }))
        .unwrap();
        assert_eq!(config.targets, ["app:6060", "other:7070"]);
        assert_eq!(config.profile_seconds(), 14.0);
        let jobs = config.jobs();
        assert_eq!(jobs.len(), 4);
        assert_eq!(jobs[0].path, "/debug/pprof/profile?seconds=14");
        assert_eq!(jobs[0].timeout, Duration::from_secs(24));
        assert_eq!(
            (jobs[1].target.as_str(), jobs[1].path.as_str()),
            ("app:6060", "/debug/pprof/allocs")
        );
        assert_eq!(jobs[1].timeout, Duration::from_secs(10));
        assert_eq!(jobs[2].target, "other:7070");
    }

    #[test]
    fn a_short_interval_takes_a_fractional_profile_length() {
        let config =
            ScrapeConfig::from_json(json!({ "targets": [], "interval_s": 2, "seconds": 1.5 }))
                .unwrap();
        assert_eq!(config.profile_seconds(), 1.5);
    }

    #[test]
    fn bad_settings_name_what_to_give() {
        for (value, says) in [
            (json!({ "interval_s": 0.5 }), "from 1 to 3600"),
            (
                json!({ "interval_s": 5, "seconds": 5 }),
                "shorter than the interval",
            ),
            (json!({ "seconds": -1 }), "longer than 0 s"),
            (json!({ "timeout_s": 0 }), "positive number"),
            (json!({ "targets": ["app"] }), "give host:port"),
            (json!({ "targets": ["a b:1"] }), "give host:port"),
            (
                json!({ "paths": ["allocs"] }),
                "such as /debug/pprof/allocs",
            ),
            (json!({ "target": ["app:1"] }), "unknown field"),
        ] {
            let error = ScrapeConfig::from_json(value.clone())
                .unwrap_err()
                .to_string();
            assert!(error.contains(says), "{value}: {error}");
        }
    }
}

//! What the ingester received, counted per window (one run, usually).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Handling latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Counters of one window, as scripts and the JSON see them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Upload requests received on the ingest endpoints.
    pub requests: u64,
    /// Request body bytes received, as sent on the wire.
    pub bytes: u64,
    /// Profiles in uploads the ingester accepted (answered 200).
    pub profiles: u64,
    /// Sample records in those profiles.
    pub samples: u64,
    /// Uploads refused as malformed (400), too large (413) or of a wrong type (415).
    pub bad: u64,
    /// Scrapes of pull targets begun (pull mode): each also in `timeline`.
    #[serde(default)]
    pub scrapes: u64,
    /// Scrapes that brought no profile, by why: `connect`, `timeout`, `status_<code>`,
    /// `io` (the answer was cut short), `decode` (not a pprof profile), `too_large`, and
    /// `hang` / `reset` when the scraper's own mode did that.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scrape_failures: BTreeMap<String, u64>,
    /// A scraped run's schedule, set by the engine: the interval and each CPU profile's
    /// length, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scraped_every_s: Option<[f64; 2]>,
    /// Requests of this window that had no outcome yet when it was read: their body still
    /// being read, or their answer delayed. Counted in `requests`, and nowhere later.
    #[serde(default)]
    pub in_flight: u64,
    #[serde(default)]
    pub by_endpoint: BTreeMap<String, u64>,
    /// By status answered; `hang` and `reset` for requests that got no answer.
    #[serde(default)]
    pub by_status: BTreeMap<String, u64>,
    /// Application or service names, with the uploads that named them: at most
    /// `APPS_LIMIT` names of at most `APP_NAME_LIMIT` bytes.
    #[serde(default)]
    pub apps: BTreeMap<String, u64>,
    /// Names left out of `apps` (too long, or past the limit), counted per upload.
    #[serde(default)]
    pub apps_dropped: u64,
    /// The ingester's own handling time, body reading and any delay included.
    #[serde(default)]
    pub latency: Option<Latency>,
    /// Every request in arrival order (up to `TIMELINE_LIMIT` per window), so that a gap
    /// and a recovery can be seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<RequestEvent>,
    /// Requests left out of `timeline` because it was full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeline_dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Requests kept in one window's timeline; the counters go on past it.
pub const TIMELINE_LIMIT: usize = 10_000;
/// Distinct application names kept in one window: clients choose them, so memory and
/// the size of `/stats` must not grow with what they send.
pub const APPS_LIMIT: usize = 1_000;
/// The longest application name kept, in bytes.
pub const APP_NAME_LIMIT: usize = 512;
/// The status of a request in the timeline until it has an outcome.
pub const IN_FLIGHT: &str = "in_flight";
/// The outcome of a request whose handling stopped before it had one (the connection
/// closed while it was delayed, or its task ended).
pub const ABORTED: &str = "aborted";

/// Now, in seconds since the Unix epoch: the timeline's clock.
pub fn unix_now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// One request, when it arrived and how it was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestEvent {
    /// Arrival, in seconds since the Unix epoch (the host's clock, shared by containers).
    pub unix_s: f64,
    /// Arrival in seconds since the run's container started; filled in by the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_s: Option<f64>,
    pub endpoint: String,
    /// A status code, `hang`, `reset` or `aborted`; `in_flight` while it has none yet.
    pub status: String,
    /// `None` for requests that were never answered.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    pub bytes: u64,
}

impl RunCounts {
    /// Adds another ingester's window; latency is kept from the busier one.
    pub fn add(&mut self, other: &RunCounts) {
        if other.requests > self.requests {
            self.latency = other.latency;
        }
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.profiles += other.profiles;
        self.samples += other.samples;
        self.bad += other.bad;
        self.scrapes += other.scrapes;
        self.scraped_every_s = self.scraped_every_s.or(other.scraped_every_s);
        self.in_flight += other.in_flight;
        self.apps_dropped += other.apps_dropped;
        self.timeline.extend(other.timeline.iter().cloned());
        self.timeline.sort_by(|a, b| a.unix_s.total_cmp(&b.unix_s));
        self.timeline_dropped += other.timeline_dropped;
        for (target, source) in [
            (&mut self.by_endpoint, &other.by_endpoint),
            (&mut self.by_status, &other.by_status),
            (&mut self.apps, &other.apps),
            (&mut self.scrape_failures, &other.scrape_failures),
        ] {
            for (key, count) in source {
                *target.entry(key.clone()).or_default() += count;
            }
        }
    }
}

/// Latencies in buckets 5% wide, from 1 µs up: bounded memory at any request rate.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    buckets: BTreeMap<u32, u64>,
    count: u64,
    max_us: f64,
}

const GROWTH: f64 = 1.05;

impl Histogram {
    fn bucket_of(micros: f64) -> u32 {
        if micros <= 1.0 {
            0
        } else {
            (micros.ln() / GROWTH.ln()).ceil() as u32
        }
    }

    fn upper_bound_us(bucket: u32) -> f64 {
        GROWTH.powi(bucket as i32)
    }

    pub fn record(&mut self, elapsed: Duration) {
        let micros = elapsed.as_secs_f64() * 1e6;
        *self.buckets.entry(Self::bucket_of(micros)).or_default() += 1;
        self.count += 1;
        self.max_us = self.max_us.max(micros);
    }

    /// The value below which `q` of the recordings fall, within 5%.
    pub fn quantile_us(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (bucket, count) in &self.buckets {
            seen += count;
            if seen >= rank {
                return Some(Self::upper_bound_us(*bucket).min(self.max_us));
            }
        }
        Some(self.max_us)
    }

    pub fn summary(&self) -> Option<Latency> {
        Some(Latency {
            p50_ms: self.quantile_us(0.5)? / 1000.0,
            p99_ms: self.quantile_us(0.99)? / 1000.0,
            max_ms: self.max_us / 1000.0,
        })
    }
}

/// How one request ended, as the server reports it.
#[derive(Debug, Clone, Default)]
pub struct Handled<'a> {
    /// A status code, or `hang` / `reset`.
    pub outcome: &'a str,
    pub bytes: u64,
    pub profiles: u64,
    pub samples: u64,
    pub bad: bool,
    pub apps: &'a [String],
    /// `None` for requests that were never answered.
    pub latency: Option<Duration>,
    /// A scrape that brought no profile, and why.
    pub scrape_failure: Option<&'a str>,
}

/// Counts one more under `key`, allocating the key only the first time it is seen.
fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

impl RunCounts {
    /// Counts an upload under its application's name, within the limits.
    fn count_app(&mut self, app: &str) {
        let fits = app.len() <= APP_NAME_LIMIT
            && (self.apps.len() < APPS_LIMIT || self.apps.contains_key(app));
        if fits {
            bump(&mut self.apps, app);
        } else {
            self.apps_dropped += 1;
        }
    }
}

#[derive(Default)]
struct Window {
    counts: RunCounts,
    latency: Histogram,
    /// Which window this is: an outcome counts only in the window its request arrived in.
    generation: u64,
}

/// Shared counters, read and reset through the control port.
#[derive(Default)]
pub struct Stats {
    window: Mutex<Window>,
}

/// A request counted on arrival, waiting for its outcome. Dropped without one, it ends
/// as `aborted`.
pub struct InFlight<'a> {
    stats: &'a Stats,
    generation: u64,
    /// Its place in the timeline, when there was room for it.
    event: Option<usize>,
    finished: bool,
}

impl InFlight<'_> {
    /// Records how the request ended.
    pub fn finish(mut self, handled: Handled<'_>) {
        self.finished = true;
        self.stats.finish(self.generation, self.event, handled);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let aborted = Handled {
                outcome: ABORTED,
                ..Default::default()
            };
            self.stats.finish(self.generation, self.event, aborted);
        }
    }
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        // Also reached from a drop while a worker unwinds: a poisoned lock must not abort.
        self.window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a request as it arrives, so that a window read while it waits for its
    /// outcome still holds it (as `in_flight`).
    pub fn arrive(&self, endpoint: &str, arrived_unix_s: f64) -> InFlight<'_> {
        self.begin(endpoint, arrived_unix_s, false)
    }

    /// Counts a scrape as it begins, as `arrive` counts an upload.
    pub fn begin_scrape(&self, endpoint: &str, begun_unix_s: f64) -> InFlight<'_> {
        self.begin(endpoint, begun_unix_s, true)
    }

    fn begin(&self, endpoint: &str, arrived_unix_s: f64, scrape: bool) -> InFlight<'_> {
        let mut window = self.lock();
        let counts = &mut window.counts;
        if scrape {
            counts.scrapes += 1;
        } else {
            counts.requests += 1;
        }
        counts.in_flight += 1;
        bump(&mut counts.by_endpoint, endpoint);
        let event = if counts.timeline.len() < TIMELINE_LIMIT {
            counts.timeline.push(RequestEvent {
                unix_s: arrived_unix_s,
                t_s: None,
                endpoint: endpoint.to_string(),
                status: IN_FLIGHT.to_string(),
                latency_ms: None,
                bytes: 0,
            });
            Some(counts.timeline.len() - 1)
        } else {
            counts.timeline_dropped += 1;
            None
        };
        InFlight {
            stats: self,
            generation: window.generation,
            event,
            finished: false,
        }
    }

    fn finish(&self, generation: u64, event: Option<usize>, handled: Handled<'_>) {
        let mut window = self.lock();
        if window.generation != generation {
            // Its window was read, and reported it in flight: it belongs to that run.
            return;
        }
        if let Some(elapsed) = handled.latency {
            window.latency.record(elapsed);
        }
        let counts = &mut window.counts;
        counts.in_flight -= 1;
        counts.bytes += handled.bytes;
        counts.profiles += handled.profiles;
        counts.samples += handled.samples;
        counts.bad += u64::from(handled.bad);
        bump(&mut counts.by_status, handled.outcome);
        if let Some(kind) = handled.scrape_failure {
            bump(&mut counts.scrape_failures, kind);
        }
        for app in handled.apps {
            counts.count_app(app);
        }
        if let Some(event) = event.and_then(|index| counts.timeline.get_mut(index)) {
            event.status = handled.outcome.to_string();
            event.latency_ms = handled.latency.map(|l| l.as_secs_f64() * 1000.0);
            event.bytes = handled.bytes;
        }
    }

    /// A copy of the counters; with `reset`, they restart from zero in the same step, so
    /// nothing that arrives in between is lost or counted twice.
    pub fn snapshot(&self, reset: bool) -> RunCounts {
        let mut window = self.lock();
        let mut counts = window.counts.clone();
        counts.latency = window.latency.summary();
        if reset {
            *window = Window {
                generation: window.generation + 1,
                ..Window::default()
            };
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(bytes: u64) -> Handled<'static> {
        Handled {
            outcome: "200",
            bytes,
            profiles: 1,
            samples: 7,
            latency: Some(Duration::from_millis(2)),
            ..Default::default()
        }
    }

    #[test]
    fn snapshot_with_reset_starts_a_new_window() {
        let stats = Stats::default();
        stats.arrive("push", 1.0).finish(upload(10));
        stats.arrive("push", 2.0).finish(upload(5));
        let first = stats.snapshot(true);
        assert_eq!(
            (first.requests, first.bytes, first.profiles, first.samples),
            (2, 15, 2, 14)
        );
        assert_eq!(first.by_endpoint["push"], 2);
        assert_eq!(first.by_status["200"], 2);
        assert_eq!(first.timeline.len(), 2);
        assert_eq!(first.timeline[1].bytes, 5);
        assert_eq!(first.timeline[1].status, "200");
        let p50 = first.latency.unwrap().p50_ms;
        assert!((1.9..=2.11).contains(&p50), "{p50}");
        assert_eq!(stats.snapshot(false), RunCounts::default());
    }

    #[test]
    fn a_request_waiting_for_its_answer_counts_in_the_window_it_arrived_in() {
        let stats = Stats::default();
        let waiting = stats.arrive("push", 1.0);
        let window = stats.snapshot(true);
        assert_eq!((window.requests, window.in_flight), (1, 1));
        assert_eq!(window.by_endpoint["push"], 1);
        assert_eq!(window.timeline[0].status, IN_FLIGHT);
        waiting.finish(upload(10));
        // Its outcome came after the window was read: the next window has no part of it.
        assert_eq!(stats.snapshot(false), RunCounts::default());

        let answered = stats.arrive("push", 2.0);
        assert_eq!(stats.snapshot(false).in_flight, 1);
        answered.finish(upload(10));
        let window = stats.snapshot(false);
        assert_eq!(
            (window.requests, window.in_flight, window.bytes),
            (1, 0, 10)
        );
        assert_eq!(window.timeline[0].status, "200");
        assert_eq!(window.timeline[0].bytes, 10);
    }

    #[test]
    fn a_request_dropped_without_an_outcome_ends_as_aborted() {
        let stats = Stats::default();
        drop(stats.arrive("ingest", 1.0));
        let window = stats.snapshot(false);
        assert_eq!((window.requests, window.in_flight), (1, 0));
        assert_eq!(window.by_status[ABORTED], 1);
        assert_eq!(window.timeline[0].status, ABORTED);
    }

    #[test]
    fn application_names_are_bounded_in_count_and_length_and_the_rest_counted() {
        let stats = Stats::default();
        let long = vec!["x".repeat(APP_NAME_LIMIT + 1)];
        stats.arrive("push", 1.0).finish(Handled {
            apps: &long,
            ..upload(1)
        });
        let names: Vec<String> = (0..APPS_LIMIT + 10).map(|i| format!("app-{i}")).collect();
        stats.arrive("push", 1.0).finish(Handled {
            apps: &names,
            ..upload(1)
        });
        // A name already kept goes on being counted past the limit.
        stats.arrive("push", 1.0).finish(Handled {
            apps: &names[..1],
            ..upload(1)
        });
        let window = stats.snapshot(true);
        assert_eq!(window.apps.len(), APPS_LIMIT);
        assert_eq!(window.apps["app-0"], 2);
        assert_eq!(window.apps_dropped, 1 + 10);
        assert!(window.apps.keys().all(|name| name.len() <= APP_NAME_LIMIT));
        assert_eq!(
            stats.snapshot(false).apps_dropped,
            0,
            "a reset starts again"
        );
    }

    #[test]
    fn histogram_quantiles_are_within_five_percent() {
        let mut histogram = Histogram::default();
        for millis in 1..=1000 {
            histogram.record(Duration::from_millis(millis));
        }
        let p50 = histogram.quantile_us(0.5).unwrap() / 1000.0;
        let p99 = histogram.quantile_us(0.99).unwrap() / 1000.0;
        assert!((500.0..=525.0).contains(&p50), "p50 {p50}");
        assert!((990.0..=1000.0).contains(&p99), "p99 {p99}");
        assert_eq!(Histogram::default().quantile_us(0.5), None);
    }

    #[test]
    fn windows_of_two_ingesters_add_up() {
        let stats = Stats::default();
        stats.arrive("push", 1.0).finish(upload(3));
        let mut total = stats.snapshot(false);
        total.add(&stats.snapshot(false));
        assert_eq!(
            (total.requests, total.bytes, total.by_status["200"]),
            (2, 6, 2)
        );
    }
}

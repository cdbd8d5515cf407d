//! Drives a `Target` as a `Plan` says and tallies the measured window. One task per
//! connection, each with its own tally, added up at the end: no shared state per request.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep_until, timeout};

use super::latency::Recorder;
use super::plan::{Model, Plan};
use super::report::LoadReport;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Status(u16),
    /// No connection could be made.
    Connect,
    /// The connection broke before the answer was complete.
    Io,
}

/// One connection's worth of requests to what is being loaded.
pub trait Target: Send + 'static {
    /// Opens the connection ahead of the first request, so that it is not in its latency.
    fn prepare(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// Sends one request and waits for the whole answer.
    fn send(&mut self) -> impl Future<Output = Outcome> + Send;
}

/// All connections start together this long after the last one is prepared.
const LEAD: Duration = Duration::from_millis(10);
/// After a failed connect in the closed model: a refusing port answers at once, and
/// retrying at once would only spin.
const CONNECT_BACKOFF: Duration = Duration::from_millis(1);

#[derive(Default)]
struct Tally {
    requests: u64,
    ok: u64,
    answered_in_window: u64,
    errors: BTreeMap<String, u64>,
    latency: Recorder,
}

impl Tally {
    fn error(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }

    /// A request of the window, `latency` after it was due, ending at `done`.
    fn record(&mut self, outcome: Option<Outcome>, latency: Duration, answered_in_window: bool) {
        self.requests += 1;
        self.answered_in_window += u64::from(answered_in_window);
        match outcome {
            Some(Outcome::Status(status)) => {
                self.latency.record(latency);
                if (200..300).contains(&status) {
                    self.ok += 1;
                } else {
                    self.error(format!("status_{status}"));
                }
            }
            None => {
                self.latency.record(latency);
                self.error("timeout".into());
            }
            Some(Outcome::Connect) => self.error("connect".into()),
            Some(Outcome::Io) => self.error("io".into()),
        }
    }

    fn add(&mut self, other: Tally) {
        self.requests += other.requests;
        self.ok += other.ok;
        self.answered_in_window += other.answered_in_window;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        self.latency.add(&other.latency);
    }
}

/// The window, as instants.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    measure_from: Instant,
    end: Instant,
}

async fn send<T: Target>(target: &mut T, limit: Duration) -> Option<Outcome> {
    timeout(limit, target.send()).await.ok()
}

/// Connection `index` of the open model: each request at its due time, or at once when
/// it is already late. A request that had to wait for the answer to the one before counts
/// its latency from when it was due; one sent on a free connection counts from its send,
/// so that the timer's own slack (up to a millisecond) is not charged to the target.
async fn open<T: Target>(mut target: T, plan: Plan, index: usize, window: Window) -> Tally {
    let mut tally = Tally::default();
    // Owed requests are still sent after the window, until the timeout has passed again.
    let give_up = window.end + plan.timeout;
    let mut free_from = window.start;
    for k in 0.. {
        let due = window.start + plan.intended(index, k).expect("an open plan");
        if due >= window.end {
            break;
        }
        let counted = due >= window.measure_from;
        if Instant::now() >= give_up {
            if counted {
                tally.requests += 1;
                tally.error("unsent".into());
            }
            continue;
        }
        sleep_until(due).await;
        let sent = Instant::now();
        let outcome = send(&mut target, plan.timeout).await;
        let done = Instant::now();
        let from = if free_from > due { due } else { sent };
        free_from = done;
        if counted {
            tally.record(outcome, done - from, done <= window.end);
        }
    }
    tally
}

/// Connection of the closed model: back to back until the window ends.
async fn closed<T: Target>(mut target: T, plan: Plan, window: Window) -> Tally {
    let mut tally = Tally::default();
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            break;
        }
        let outcome = send(&mut target, plan.timeout).await;
        let done = Instant::now();
        if sent >= window.measure_from {
            tally.record(outcome, done - sent, done <= window.end);
        }
        if outcome == Some(Outcome::Connect) {
            tokio::time::sleep(CONNECT_BACKOFF).await;
        }
    }
    tally
}

/// Runs `plan` with one target per connection, made by `connect(index)`.
pub async fn run<T: Target>(plan: &Plan, mut connect: impl FnMut(usize) -> T) -> LoadReport {
    let mut targets: Vec<T> = (0..plan.connections).map(&mut connect).collect();
    futures_util::future::join_all(targets.iter_mut().map(Target::prepare)).await;
    let start = Instant::now() + LEAD;
    let window = Window {
        start,
        measure_from: start + plan.warmup,
        end: start + plan.end(),
    };
    let tasks: Vec<_> = targets
        .into_iter()
        .enumerate()
        .map(|(index, target)| {
            let plan = plan.clone();
            tokio::spawn(async move {
                match plan.model {
                    Model::Open { .. } => open(target, plan, index, window).await,
                    Model::Closed => closed(target, plan, window).await,
                }
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        if let Ok(tally) = task.await {
            total.add(tally);
        }
    }
    let duration_s = plan.duration.as_secs_f64();
    let unix = |at: Instant| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        now - Instant::now().saturating_duration_since(at).as_secs_f64()
    };
    LoadReport {
        window_unix_s: [unix(window.measure_from), unix(window.end)],
        ready_s: None,
        model: plan.model,
        connections: plan.connections,
        warmup_s: plan.warmup.as_secs_f64(),
        duration_s,
        requests: total.requests,
        ok: total.ok,
        errors: total.errors,
        rate: total.answered_in_window as f64 / duration_s,
        latency_ms: total.latency.summary(),
    }
}

#[cfg(test)]
mod tests;

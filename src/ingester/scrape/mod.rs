//! Pull mode: the ingester as a collector, scraping pprof endpoints as Grafana Alloy's
//! `pyroscope.scrape` does. Each (target, path) pair has its own schedule: a first scrape
//! at a random offset within the interval, then one per interval, a failed one never
//! retried before the next tick. Every scrape is counted in the stats and the timeline,
//! and its profile decoded as an upload's would be.

pub mod config;
mod fetch;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::TcpStream;
use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

pub use config::{PROFILE_PATH, ScrapeConfig, ScrapeJob};
use fetch::{ScrapeAction, fetch};

use super::mode::Mode;
use super::protocol::budget::Budget;
use super::protocol::pprof::count_samples;
use super::state::IngesterState;
use super::stats::{Handled, unix_now_s};

/// Connections hang mode holds per job at most; older ones are let go first.
const HELD_LIMIT: usize = 64;

/// The scrapes running now, and the settings they came from.
#[derive(Default)]
pub(super) struct Scraping {
    config: ScrapeConfig,
    tasks: Vec<AbortHandle>,
}

impl Drop for Scraping {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Replaces what is scraped: the jobs before are stopped (a scrape under way ends as
/// `aborted`), and those of `config` start, each at its own offset.
pub(super) fn apply(state: &Arc<IngesterState>, config: ScrapeConfig) {
    let tasks = config
        .jobs()
        .into_iter()
        .map(|job| tokio::spawn(run_job(state.clone(), job)).abort_handle())
        .collect();
    let replaced = std::mem::replace(
        &mut *state.scraping.lock().expect("scraping lock"),
        Scraping { config, tasks },
    );
    drop(replaced);
}

/// The settings being scraped with.
pub(super) fn current(state: &IngesterState) -> ScrapeConfig {
    state.scraping.lock().expect("scraping lock").config.clone()
}

async fn run_job(state: Arc<IngesterState>, job: ScrapeJob) {
    let offset = job.interval.mul_f64(fastrand::f64());
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + offset, job.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut modes = state.watch_mode();
    let held = Arc::new(Mutex::new(Vec::<TcpStream>::new()));
    loop {
        tokio::select! {
            _ = ticks.tick() => scrape_once(&state, &job, &held).await,
            changed = modes.changed() => {
                if changed.is_err() {
                    return;
                }
                // Out of hang mode, the held connections are let go at once.
                if !matches!(*modes.borrow_and_update(), Mode::Hang | Mode::Flaky { .. }) {
                    held.lock().expect("held lock").clear();
                }
            }
        }
    }
}

async fn scrape_once(
    state: &Arc<IngesterState>,
    job: &ScrapeJob,
    held: &Arc<Mutex<Vec<TcpStream>>>,
) {
    let mode = state.mode().for_request(fastrand::f64()).clone();
    let action = ScrapeAction::of(&mode, fastrand::f64() * 2.0 - 1.0);
    if action == ScrapeAction::Skip {
        return;
    }
    let endpoint = format!("scrape {}", job.path.split('?').next().unwrap_or(&job.path));
    let scrape = state.stats.begin_scrape(&endpoint, unix_now_s());
    let started = Instant::now();
    let limit = state.limits.max_body_bytes;
    let hold = |stream| {
        let mut held = held.lock().expect("held lock");
        if held.len() >= HELD_LIMIT {
            held.remove(0);
        }
        held.push(stream);
    };
    let fetched = tokio::time::timeout(
        job.timeout,
        fetch(&job.target, &job.path, action, limit, hold),
    )
    .await
    .unwrap_or_else(|_| Err("timeout".to_string()));
    let wire_bytes = fetched.as_ref().map_or(0, |b| b.len() as u64);
    let decoded = match fetched {
        Ok(body) => {
            let budget = state.limits.max_decompressed_bytes();
            tokio::task::spawn_blocking(move || count_samples(&body, &Budget::new(budget)))
                .await
                .unwrap_or_else(|e| Err(super::protocol::malformed(e)))
                .map_err(|_| "decode".to_string())
        }
        Err(failure) => Err(failure),
    };
    let latency = Some(started.elapsed());
    let handled = match &decoded {
        Ok(samples) => Handled {
            outcome: "200",
            bytes: wire_bytes,
            profiles: 1,
            samples: *samples,
            latency,
            ..Default::default()
        },
        Err(failure) => Handled {
            outcome: failure,
            bytes: wire_bytes,
            latency: latency.filter(|_| failure != "hang"),
            scrape_failure: Some(failure),
            ..Default::default()
        },
    };
    scrape.finish(handled);
}

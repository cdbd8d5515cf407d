//! State shared by the ingest and control ports and the scraper: the counters, the current
//! mode, the limits, what is being scraped.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::mode::Mode;
use super::protocol::Limits;
use super::scrape::Scraping;
use super::stats::Stats;

/// State shared by the ingest and control ports.
pub(super) struct IngesterState {
    pub(super) stats: Stats,
    pub(super) mode: watch::Sender<Mode>,
    pub(super) limits: Limits,
    pub(super) scraping: Mutex<Scraping>,
}

impl IngesterState {
    pub(super) fn new(mode: Mode, limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            stats: Stats::default(),
            mode: watch::Sender::new(mode),
            limits,
            scraping: Mutex::default(),
        })
    }

    pub(super) fn mode(&self) -> Mode {
        self.mode.borrow().clone()
    }

    pub(super) fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    pub(super) fn watch_mode(&self) -> watch::Receiver<Mode> {
        self.mode.subscribe()
    }
}

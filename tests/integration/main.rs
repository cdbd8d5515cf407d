//! The integration tests, as one binary (one link step): a module per area, with the
//! shared helpers in `common`. Fixtures stay in tests/fixtures/.

mod accounting;
mod cleanup;
mod common;
mod default_script;
mod engine;
mod ingester;
mod pull;
mod reports;
mod scrape;
mod scripts;
mod service;
mod sharing;

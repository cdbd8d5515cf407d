//! The ingester's entry point: binds both ports and serves ingest and control side by side.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use super::control::handle_control;
use super::http::{http1_builder, serve_http};
use super::ingest::serve_ingest;
use super::mode::Mode;
use super::protocol::Limits;
use super::scrape::{self, ScrapeConfig};
use super::state::IngesterState;

/// Where the ingester listens and how it starts.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub ingest: SocketAddr,
    pub control: SocketAddr,
    pub mode: Mode,
    pub limits: Limits,
    /// See `DEFAULT_HEADER_READ_TIMEOUT`.
    pub header_read_timeout: Duration,
    /// Pull targets to scrape from the start (more can be set on the control port).
    pub scrape: ScrapeConfig,
}

/// Runs the ingest and control ports until either fails.
pub async fn run(config: ServeConfig) -> Result<()> {
    config.mode.validate()?;
    let state = IngesterState::new(config.mode.clone(), config.limits);
    let ingest = TcpListener::bind(config.ingest).await.with_context(|| {
        format!(
            "cannot listen on {} (ingest port): pick another with --port",
            config.ingest
        )
    })?;
    let control = TcpListener::bind(config.control).await.with_context(|| {
        format!(
            "cannot listen on {} (control port): pick another with --control-port",
            config.control
        )
    })?;
    eprintln!(
        "pyrobench ingester: mode {}, ingest on {}, control on {}",
        serde_json::to_string(&config.mode)?,
        ingest.local_addr()?,
        control.local_addr()?
    );
    if !config.scrape.targets.is_empty() {
        eprintln!(
            "pyrobench ingester: scraping {} every {} s",
            config.scrape.targets.join(", "),
            config.scrape.interval_s
        );
    }
    scrape::apply(&state, config.scrape.normalized()?);
    let ingest_address = ingest.local_addr()?;
    let http1 = http1_builder(config.header_read_timeout);
    tokio::select! {
        result = serve_ingest(ingest_address, ingest, state.clone(), http1.clone()) => result?,
        _ = serve_http(control, state, handle_control, http1) => {}
    }
    Ok(())
}

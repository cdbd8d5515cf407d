//! What a script owns while it runs: its resources (images, networks, ingesters,
//! containers, measured runs) and the ledger of what it saved. Every method is
//! synchronous and blocks on the tokio runtime, because Rhai is; each blocking call gives
//! up at once when the user presses Ctrl-C.

mod ledger;
mod resources;
mod runs;
mod service;

use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

pub use ledger::Ledger;
use resources::Resources;

use crate::bridge::Bridge;
use crate::docker::DockerHost;
use crate::settings::Settings;

pub struct Session {
    pub settings: Settings,
    /// Saved results, thresholds checked, parameters read: what the report files hold.
    pub ledger: Ledger,
    docker: Option<DockerHost>,
    bridge: Bridge,
    started: Instant,
    resources: Mutex<Resources>,
}

impl Session {
    /// `docker` is `None` for `pyrobench check`, which must never touch Docker.
    pub fn new(
        settings: Settings,
        docker: Option<DockerHost>,
        runtime: Handle,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            ledger: Ledger::new(&settings),
            settings,
            docker,
            bridge: Bridge::new(runtime, cancel),
            started: Instant::now(),
            resources: Mutex::new(Resources::default()),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.bridge.is_cancelled()
    }

    /// Seconds since the session started.
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn docker(&self) -> Result<&DockerHost> {
        self.docker
            .as_ref()
            .ok_or_else(|| anyhow!("Docker is not used while only checking a script"))
    }

    /// Runs a future to completion, or stops it when the user interrupts.
    pub fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        self.bridge.block_on(future)
    }

    /// One call on the Docker host, blocking, interruptible.
    pub fn with_docker<'a, T, F>(&'a self, call: impl FnOnce(&'a DockerHost) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        let docker = self.docker()?;
        self.block_on(call(docker))
    }

    pub fn sleep(&self, duration: Duration) -> Result<()> {
        self.bridge.sleep(duration)
    }

    fn resources(&self) -> MutexGuard<'_, Resources> {
        self.resources.lock().expect("session resources lock")
    }

    /// A name for the next resource, unique within the session: `net-3`.
    fn next_name(&self, what: &str) -> String {
        let mut resources = self.resources();
        resources.counter += 1;
        format!("{what}-{}", resources.counter)
    }
}

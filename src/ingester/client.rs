//! The engine's side of an ingester container: start it, read its stats, change its mode.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::mode::Mode;
use super::scrape::ScrapeConfig;
use super::stats::RunCounts;
use super::{CONTROL_PORT, HOSTNAME, INGEST_PORT};
use crate::docker::DockerHost;
use crate::docker::container::ContainerPlan;

/// What an ingester container starts with.
#[derive(Debug, Clone, Default)]
pub struct IngesterSettings {
    pub mode: Mode,
    pub max_body_bytes: Option<usize>,
    /// How it scrapes pull benchmarks on its network (their targets are set per run).
    pub scrape: ScrapeConfig,
}

/// An ingester container. Clones share its state: a script may stop and start it.
#[derive(Clone)]
pub struct IngesterHandle {
    pub container_id: String,
    pub network: String,
    /// The ingester's own network, which carries only its control port.
    pub control_network: String,
    /// The published control port can change when the container starts again.
    control_base: Arc<RwLock<String>>,
    /// Set again after a restart, which starts the process in fast mode.
    mode: Arc<RwLock<Mode>>,
    /// How it scrapes pull benchmarks, and what it scrapes now (also set again after a
    /// restart).
    scrape: ScrapeConfig,
    scrape_targets: Arc<RwLock<Vec<String>>>,
    running: Arc<AtomicBool>,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for IngesterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngesterHandle")
            .field("container_id", &self.container_id)
            .field("network", &self.network)
            .field("control", &self.control_base())
            .finish()
    }
}

impl IngesterHandle {
    /// Starts the ingester on `network`, reachable there as `ingester:4040`. Its control
    /// port listens only on a network of its own, and is published from there on
    /// 127.0.0.1: the engine reaches it, and no container on `network` can.
    pub async fn start(
        docker: &DockerHost,
        network: &str,
        settings: &IngesterSettings,
        suffix: &str,
    ) -> Result<Self> {
        let IngesterSettings {
            mode,
            max_body_bytes,
            scrape,
        } = settings;
        let image = docker.ensure_ingester_image().await?;
        let (control_network, subnet) = docker
            .create_control_network(&format!("{suffix}-control"))
            .await?;
        let mut cmd: Vec<String> = vec![
            "--bind".into(),
            "0.0.0.0".into(),
            "--port".into(),
            INGEST_PORT.to_string(),
            "--control-port".into(),
            CONTROL_PORT.to_string(),
            "--control-bind".into(),
            subnet,
        ];
        if let Some(limit) = max_body_bytes {
            cmd.extend(["--max-body-bytes".to_string(), limit.to_string()]);
        }
        let plan = ContainerPlan {
            image,
            name: suffix.to_string(),
            role: "ingester".to_string(),
            cmd: Some(cmd),
            // The control network carries the published control port; the benchmark
            // network, which is internal, carries the uploads.
            network: Some(control_network.clone()),
            loopback_ports: vec![CONTROL_PORT],
            ..Default::default()
        };
        let container_id = docker.create_container(&plan).await?;
        docker
            .connect_network(network, &container_id, &[HOSTNAME.to_string()])
            .await?;
        let handle = Self {
            container_id,
            network: network.to_string(),
            control_network,
            control_base: Arc::new(RwLock::new(String::new())),
            mode: Arc::new(RwLock::new(mode.clone())),
            scrape: scrape.clone(),
            scrape_targets: Arc::default(),
            running: Arc::new(AtomicBool::new(false)),
            http: Client::builder(TokioExecutor::new()).build_http(),
        };
        handle.start_again(docker).await?;
        Ok(handle)
    }

    fn control_base(&self) -> String {
        self.control_base.read().expect("control lock").clone()
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Starts the (stopped or new) container, waits until it answers, and sets its mode.
    pub async fn start_again(&self, docker: &DockerHost) -> Result<()> {
        if self.is_running() {
            return Ok(());
        }
        docker.start_container(&self.container_id).await?;
        let port = docker
            .loopback_port(&self.container_id, CONTROL_PORT)
            .await?;
        *self.control_base.write().expect("control lock") = format!("http://127.0.0.1:{port}");
        self.running.store(true, Ordering::SeqCst);
        self.wait_ready(Duration::from_secs(15)).await?;
        let mode = self.mode.read().expect("mode lock").clone();
        self.set_mode(&mode).await?;
        let targets = self.scrape_targets.read().expect("scrape lock").clone();
        if !targets.is_empty() {
            self.scrape(targets).await?;
        }
        Ok(())
    }

    /// Stops the container at once: its name stops resolving on the network, and what
    /// it counted since the last reset is lost unless read first.
    pub async fn stop(&self, docker: &DockerHost) -> Result<()> {
        if !self.is_running() {
            return Ok(());
        }
        docker
            .stop_container(&self.container_id, Duration::ZERO)
            .await?;
        self.running.store(false, Ordering::SeqCst);
        Ok(())
    }

    async fn wait_ready(&self, limit: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            match self.call(Method::GET, "/health", None).await {
                Ok(_) => return Ok(()),
                Err(error) if started.elapsed() > limit => {
                    return Err(error).context("the ingester did not become ready within 15 s");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<Bytes> {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.control_base()))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let response = tokio::time::timeout(Duration::from_secs(10), self.http.request(request))
            .await
            .context("the ingester's control port did not answer within 10 s")?
            .context("cannot reach the ingester's control port")?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "ingester control {path}: {status}: {}",
                String::from_utf8_lossy(&bytes).trim()
            );
        }
        Ok(bytes)
    }

    /// Counters since the last reset; with `reset`, a new window starts atomically.
    pub async fn stats(&self, reset: bool) -> Result<RunCounts> {
        if !self.is_running() {
            bail!("the ingester is stopped: start it again with ing.start()");
        }
        let path = if reset { "/stats?reset=true" } else { "/stats" };
        let bytes = self.call(Method::GET, path, None).await?;
        serde_json::from_slice(&bytes).context("the ingester sent stats that do not parse")
    }

    /// Scrapes `targets` (`host:port` on its network) from now on, with its scrape
    /// settings, each first at a random offset within the interval; none stops scraping.
    pub async fn scrape(&self, targets: Vec<String>) -> Result<()> {
        *self.scrape_targets.write().expect("scrape lock") = targets.clone();
        if !self.is_running() {
            return Ok(());
        }
        let config = ScrapeConfig {
            targets,
            ..self.scrape.clone()
        };
        self.call(Method::PUT, "/scrape", Some(serde_json::to_vec(&config)?))
            .await?;
        Ok(())
    }

    /// Its scrape interval and the length of each CPU profile, in seconds.
    pub fn scrape_schedule(&self) -> [f64; 2] {
        [self.scrape.interval_s, self.scrape.profile_seconds()]
    }

    pub async fn set_mode(&self, mode: &Mode) -> Result<()> {
        *self.mode.write().expect("mode lock") = mode.clone();
        if !self.is_running() {
            // Applied when it starts again.
            return Ok(());
        }
        self.call(Method::PUT, "/mode", Some(serde_json::to_vec(mode)?))
            .await?;
        Ok(())
    }
}

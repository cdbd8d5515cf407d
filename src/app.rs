//! What each command does, and the lifecycle of a run: validate, connect, run the
//! script on a blocking thread, and clean up whatever happens.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::bench::spec::RunOptions;
use crate::bench::threshold::Metric;
use crate::cli::{Cli, Command, IngesterArgs, LoadArgs, RunArgs};
use crate::docker::DockerHost;
use crate::docker::cleanup::Scope;
use crate::docker::image::benchmark_name;
use crate::docker::labels::SessionLabels;
use crate::ingester::address::ControlBind;
use crate::ingester::image::{image_tag, self_binary};
use crate::ingester::mode::Mode;
use crate::ingester::protocol::Limits;
use crate::ingester::server::{ServeConfig, run as serve_ingester};
use crate::load::http::{HttpTarget, RequestSpec};
use crate::load::ready::wait_ready;
use crate::script;
use crate::session::Session;
use crate::settings::Settings;

/// The longest `--timeout`, 11.6 days: a run longer than that is a mistake, and beyond it
/// deadlines overflow.
const MAX_TIMEOUT_S: f64 = 1e6;

/// Exit code after an interrupt, as shells report SIGINT.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit code when the run finished but a threshold the script declared was breached.
pub const EXIT_THRESHOLD: i32 = 3;

pub async fn main(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Check { script, benchmarks }) => check(script, benchmarks).await,
        Some(Command::Clean { all, cache }) => clean(all, cache).await,
        Some(Command::Ingester(args)) => ingester(args).await,
        Some(Command::Load(args)) => load(args).await,
        None => run(cli.run).await,
    }
}

fn settings(args: &RunArgs) -> Result<Settings> {
    let script = args
        .script
        .clone()
        .context("give a script to run, e.g. scripts/default.rhai")?;
    script::read_script(&script)?;
    for dir in &args.benchmarks {
        benchmark_name(dir)?;
    }
    if !(args.timeout > 0.0 && args.timeout <= MAX_TIMEOUT_S) {
        bail!(
            "--timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT_S:e}, not {}",
            args.timeout
        );
    }
    if args.runs == Some(0) {
        bail!("--runs must be at least 1");
    }
    let mut params: BTreeMap<String, String> = args.params.iter().cloned().collect();
    // Limits are read by thresholds() only after a whole benchmark: check their form now.
    for (key, value) in &params {
        if Metric::parse(key).is_ok() && value.trim().parse::<f64>().is_err() {
            bail!("--set {key}={value}: a limit must be a number (percent, or profiles per run)");
        }
    }
    // Scripts read these with param("runs", ...) too; only when given, so that a script's
    // own default (param("runs", 2)) holds otherwise.
    for (key, value) in [("runs", args.runs), ("warmup", args.warmup)] {
        if let Some(value) = value {
            params.entry(key.into()).or_insert(value.to_string());
        }
    }
    let defaults = RunOptions::default();
    Ok(Settings {
        script,
        benchmarks: args.benchmarks.clone(),
        params,
        defaults: RunOptions {
            runs: args.runs.unwrap_or(defaults.runs),
            warmup: args.warmup.unwrap_or(defaults.warmup),
            timeout: Duration::from_secs_f64(args.timeout),
            ..RunOptions::default()
        },
        outputs: args.outputs(),
    })
}

async fn check(script: std::path::PathBuf, benchmarks: Vec<std::path::PathBuf>) -> Result<i32> {
    let settings = Settings {
        script,
        benchmarks,
        ..Settings::default()
    };
    let session = Arc::new(Session::new(
        settings,
        None,
        tokio::runtime::Handle::current(),
        CancellationToken::new(),
    ));
    script::check(&session)?;
    println!("{}: ok", session.settings.script.display());
    Ok(0)
}

async fn clean(all: bool, cache: bool) -> Result<i32> {
    let docker = DockerHost::connect(SessionLabels::for_this_process()).await?;
    let scope = if all { Scope::All } else { Scope::DeadSessions };
    let swept = docker.sweep(scope).await?;
    println!("removed {swept}");
    if cache {
        let sweep = docker.sweep_cache().await?;
        println!("removed cached {}", sweep.removed);
        if sweep.kept > 0 {
            println!(
                "kept {} cached image(s) and volume(s) that a running pyrobench may use \
                 (pid {}): run `pyrobench clean --cache` again once it has finished",
                sweep.kept,
                sweep.live_pids.join(", ")
            );
        }
    }
    Ok(0)
}

/// `pyrobench load`: one load run against a URL, its report on stdout.
async fn load(args: LoadArgs) -> Result<i32> {
    let plan = args.plan()?;
    let mut spec = RequestSpec::get(&args.url).await?;
    if let Some(path) = &args.body {
        let body = std::fs::read(path)
            .with_context(|| format!("cannot read --body {}", path.display()))?;
        spec = spec.post(body.into(), &args.content_type)?;
    }
    let spec = Arc::new(spec);
    let ready_limit = Duration::try_from_secs_f64(args.ready_timeout)
        .map_err(|_| anyhow::anyhow!("--ready-timeout must be a number of seconds"))?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let measure = async {
        let ready = match &args.ready_path {
            Some(path) => Some(wait_ready(&spec, path, ready_limit).await?),
            None => None,
        };
        let mut report = crate::load::run(&plan, |_| HttpTarget::new(spec.clone())).await;
        report.ready_s = ready.map(|d| d.as_secs_f64());
        anyhow::Ok(report)
    };
    let report = tokio::select! {
        report = measure => report?,
        _ = interrupt.recv() => return Ok(EXIT_INTERRUPTED),
        _ = terminate.recv() => return Ok(EXIT_INTERRUPTED),
    };
    match args.json.as_deref() {
        Some(path) if path == std::path::Path::new("-") => {
            println!("{}", serde_json::to_string(&report)?);
        }
        Some(path) => {
            print!("{}", report.render());
            let json = serde_json::to_string_pretty(&report)?;
            std::fs::write(path, json + "\n")
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
        None => print!("{}", report.render()),
    }
    Ok(0)
}

async fn ingester(args: IngesterArgs) -> Result<i32> {
    let mode = Mode::from_json(args.mode_json()?)?;
    let control = args
        .control_bind
        .unwrap_or(ControlBind::Address(args.bind))
        .resolve()?;
    let config = ServeConfig {
        ingest: (args.bind, args.port).into(),
        control: (control, args.control_port).into(),
        mode,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
        },
        header_read_timeout: std::time::Duration::from_millis(args.header_read_timeout_ms),
        scrape: args.scrape_config()?,
    };
    // Ctrl-C and SIGTERM (`docker stop`, where it is PID 1) both stop it, as an interrupt.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let signal = tokio::select! {
        result = serve_ingester(config) => return result.map(|()| 0),
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    };
    eprintln!("pyrobench ingester: stopped by {signal}");
    Ok(EXIT_INTERRUPTED)
}

enum Ending {
    Finished(Result<()>),
    Interrupted,
    Crashed(String),
}

async fn run(args: RunArgs) -> Result<i32> {
    let settings = settings(&args)?;
    settings.outputs.validate()?;
    let docker = DockerHost::connect(SessionLabels::for_this_process()).await?;
    let leftovers = docker.sweep(Scope::DeadSessions).await?;
    if leftovers != Default::default() {
        eprintln!("removed leftovers of an earlier pyrobench that died: {leftovers}");
    }
    // Before any cache is touched, so that another build never removes this one's; then
    // other builds' caches that no live session holds age out.
    let binary = self_binary()?;
    docker.take_lease(&binary.hash).await?;
    docker.remove_stale_init_volumes(&binary.hash).await;
    docker
        .remove_stale_ingester_images(&image_tag(binary))
        .await;
    let cancel = CancellationToken::new();
    let session = Arc::new(Session::new(
        settings,
        Some(docker.clone()),
        tokio::runtime::Handle::current(),
        cancel.clone(),
    ));
    let worker = session.clone();
    let mut script_task = tokio::task::spawn_blocking(move || script::run(&worker));
    let mut terminate = signal(SignalKind::terminate())?;
    let ending = tokio::select! {
        joined = &mut script_task => match joined {
            Ok(result) => Ending::Finished(result),
            Err(panic) => Ending::Crashed(panic.to_string()),
        },
        _ = tokio::signal::ctrl_c() => Ending::Interrupted,
        _ = terminate.recv() => Ending::Interrupted,
    };
    if matches!(ending, Ending::Interrupted) {
        eprintln!("interrupted: stopping the run and removing its containers and networks");
        cancel.cancel();
        // The script stops at its next step; a run in progress is abandoned.
        let _ = script_task.await;
    }
    for key in session.ledger.unread_params() {
        eprintln!("warning: --set {key}=...: the script never read `{key}`; check its spelling");
    }
    docker.creates_settled(Duration::from_secs(10)).await;
    let swept = docker.sweep(Scope::Session(&docker.labels.session)).await;
    let written = session.ledger.write_outputs();
    if written.is_ok() {
        for path in session.settings.outputs.paths() {
            eprintln!("results written to {}", path.display());
        }
    }
    swept.context("cleanup failed: run `pyrobench clean` to remove what is left")?;
    written?;
    match ending {
        Ending::Finished(result) => {
            result?;
            let breaches = session.ledger.breaches();
            if breaches.is_empty() {
                return Ok(0);
            }
            for breach in &breaches {
                eprintln!("threshold {breach}");
            }
            eprintln!(
                "{} threshold(s) breached: exit code {EXIT_THRESHOLD}",
                breaches.len()
            );
            Ok(EXIT_THRESHOLD)
        }
        Ending::Interrupted => Ok(EXIT_INTERRUPTED),
        Ending::Crashed(panic) => bail!("pyrobench crashed: {panic}"),
    }
}

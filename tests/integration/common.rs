//! Shared helpers for the integration tests: run the real binary against the real Docker
//! engine, make benchmark folders, and look for anything left behind.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pyrobench"))
}

/// Every test but those `alone` holds it shared; `alone` holds it whole.
static GATE: RwLock<()> = RwLock::new(());

/// Held by every test that starts processes or containers, so that `alone` can wait for
/// them to finish.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Held by the tests that assert a measured overhead: nothing else runs beside them on the
/// 2 cores, since any other test's work would show in their figures.
pub fn alone() -> RwLockWriteGuard<'static, ()> {
    GATE.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Held by tests whose wall times other heavy containers would skew, so that they run one
/// at a time (beside lighter tests).
pub fn exclusive() -> (MutexGuard<'static, ()>, RwLockReadGuard<'static, ()>) {
    static LOCK: Mutex<()> = Mutex::new(());
    let one = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    (one, shared())
}

/// A fresh folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Makes the offline base images once per test binary, as CI on a fresh machine must.
pub fn ensure_base_images() {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap();
    if !*done {
        let status = Command::new(repo().join("scripts/base-image.sh"))
            .arg("bookworm")
            .status()
            .expect("scripts/base-image.sh runs");
        assert!(status.success(), "scripts/base-image.sh bookworm failed");
        *done = true;
    }
}

/// The probe (tests/fixtures/probe.c), compiled static once per test binary.
fn probe_binary() -> &'static Path {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| {
        let out =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("probe-{}", std::process::id()));
        let status = Command::new("gcc")
            .args(["-O2", "-static", "-o"])
            .arg(&out)
            .arg(repo().join("tests/fixtures/probe.c"))
            .status()
            .expect("gcc runs");
        assert!(status.success(), "compiling the probe failed");
        out
    })
}

/// A benchmark folder whose image holds only the static probe: no shell, no libc.
pub fn probe_benchmark(name: &str, default_cmd: &[&str]) -> PathBuf {
    let dir = scratch(name);
    std::fs::copy(probe_binary(), dir.join("probe")).unwrap();
    let cmd = default_cmd
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM scratch\nCOPY probe /probe\nENTRYPOINT [\"/probe\"]\nCMD [{cmd}]\n"),
    )
    .unwrap();
    dir
}

/// A probe benchmark whose Dockerfile ends with `lines` (labels, ports).
pub fn probe_benchmark_with(name: &str, cmd: &[&str], lines: &str) -> PathBuf {
    let dir = probe_benchmark(name, cmd);
    let dockerfile = dir.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    std::fs::write(&dockerfile, format!("{text}{lines}")).unwrap();
    dir
}

/// A service benchmark of the probe (`probe serve ...`): labelled a service, port 8080.
pub fn service_benchmark(name: &str, cmd: &[&str]) -> PathBuf {
    probe_benchmark_with(name, cmd, "LABEL io.pyrobench.kind=service\nEXPOSE 8080\n")
}

/// A pull benchmark of the probe (`probe pull ...`): labelled pull, pprof on port 6060.
pub fn pull_benchmark(name: &str, cmd: &[&str]) -> PathBuf {
    probe_benchmark_with(
        name,
        cmd,
        "LABEL io.pyrobench.mode=pull io.pyrobench.pprof-port=6060\n",
    )
}

/// Writes a script into a scratch folder and returns its path.
pub fn script(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("test.rhai");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `text` as a script over the benchmark folder `bench`, with `--json` into a fresh
/// folder named after the test; returns how it ended and where the JSON went.
pub fn run_script(name: &str, bench: &Path, text: &str, extra: &[&str]) -> (Finished, PathBuf) {
    let dir = scratch(&format!("{name}-script"));
    let json = dir.join("out.json");
    let path = script(&dir, text);
    let finished = Pyrobench::new()
        .arg(&path)
        .arg(bench)
        .args(extra)
        .arg("--json")
        .arg(&json)
        .run();
    (finished, json)
}

/// Builder for one invocation of the binary.
pub struct Pyrobench {
    args: Vec<OsString>,
    env: Vec<(String, String)>,
}

pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub pid: u32,
}

impl Finished {
    pub fn assert_success(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "pyrobench failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn assert_failure(&self) -> &Self {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "pyrobench should have failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The error line pyrobench printed.
    /// Asserts a failure whose error line ends with `tail`.
    pub fn assert_error_ends_with(&self, tail: &str) -> &Self {
        self.assert_failure();
        assert!(
            self.error_line().ends_with(tail),
            "expected an error ending in {tail:?}; stderr:\n{}",
            self.stderr
        );
        self
    }

    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|line| line.starts_with("error: "))
            .unwrap_or_else(|| panic!("no error line in stderr:\n{}", self.stderr))
    }
}

impl Pyrobench {
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(bin());
        command.args(&self.args).current_dir(repo());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub fn spawn(&self) -> Child {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pyrobench starts")
    }

    pub fn run(self) -> Finished {
        let child = self.spawn();
        let pid = child.id();
        finish(child, pid)
    }
}

/// Sends SIGINT, as Ctrl-C in a terminal would.
pub fn interrupt(pid: u32) {
    // SAFETY: a signal to a child process this test started.
    unsafe {
        libc::kill(pid as i32, libc::SIGINT);
    }
}

pub fn finish(child: Child, pid: u32) -> Finished {
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Finished {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).to_string(),
        stderr: String::from_utf8_lossy(&stderr).to_string(),
        pid,
    }
}

fn docker_lines(args: &[&str]) -> Vec<String> {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI runs");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Containers, networks and volumes (its lease) that a pyrobench process with this pid left
/// behind.
pub fn leftovers_of(pid: u32) -> Vec<String> {
    let filter = format!("label=io.pyrobench.pid={pid}");
    let mut left = docker_lines(&[
        "ps",
        "-a",
        "--filter",
        &filter,
        "--format",
        "container {{.Names}}",
    ]);
    left.extend(docker_lines(&[
        "network",
        "ls",
        "--filter",
        &filter,
        "--format",
        "network {{.Name}}",
    ]));
    left.extend(docker_lines(&[
        "volume",
        "ls",
        "--filter",
        &filter,
        "--format",
        "volume {{.Name}}",
    ]));
    left
}

pub fn assert_nothing_left(finished: &Finished) {
    let left = leftovers_of(finished.pid);
    assert!(
        left.is_empty(),
        "pyrobench left these behind: {left:?}\nstderr:\n{}",
        finished.stderr
    );
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The runs of one scenario in a JSON document.
pub fn scenario<'a>(
    json: &'a serde_json::Value,
    benchmark: usize,
    name: &str,
) -> &'a serde_json::Value {
    json["benchmarks"][benchmark]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {json:#}"))
}

pub fn docker_image_created(reference: &str) -> Option<String> {
    docker_lines(&[
        "image",
        "ls",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.ID}} {{.CreatedAt}}",
    ])
    .into_iter()
    .find(|line| line.starts_with(&format!("{reference} ")))
}

/// Waits until `ready` holds, at most `limit`.
pub fn wait_until(limit: std::time::Duration, mut ready: impl FnMut() -> bool) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    false
}

/// True while the pyrobench process `pid` has a measured run's container.
pub fn has_run_container(pid: u32) -> bool {
    leftovers_of(pid).iter().any(|l| l.contains("-run-"))
}

/// Measured runs of `scenario` in the JSON file as it stands, 0 while there is none.
pub fn runs_in(json: &std::path::Path, scenario: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(json) else {
        return 0;
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return 0;
    };
    value["benchmarks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["scenarios"].as_array().into_iter().flatten())
        .filter(|s| s["name"] == scenario)
        .map(|s| s["runs"].as_array().map_or(0, Vec::len))
        .sum()
}

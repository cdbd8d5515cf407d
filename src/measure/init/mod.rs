//! The measuring init: PID 1 inside a benchmark container.
//!
//! It starts the image's own command with its output piped through the init (which watches
//! for phase markers), samples the container's cgroup, and reaps every process. When the
//! command exits, whatever it left running is accounted and stopped, every process is
//! reaped, and the figures go on stderr as one marker line. The binary is static, so it
//! runs in any image, even one with no shell and no libc.

mod cgroup;
mod forward;
mod phases;
mod reap;
mod sampler;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::record::InitReport;
use cgroup::Cgroup;
use phases::PhaseClock;
use sampler::Sampler;

/// Name of the hidden subcommand that turns this binary into the init.
pub const INIT_SUBCOMMAND: &str = "__measure";

static CHILD_PID: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(signal: libc::c_int) {
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// PID 1 ignores signals it has no handler for, so `docker stop` would wait out its grace
/// period. Forward the usual ones to the benchmarked command instead.
fn install_signal_forwarding() {
    for signal in [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
    ] {
        // SAFETY: the handler only calls an async-signal-safe function.
        unsafe {
            libc::signal(signal, forward_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Runs `argv` as the benchmarked command and exits with its status.
pub fn run(argv: &[String]) -> ! {
    let Some((program, args)) = argv.split_first() else {
        eprintln!("pyrobench init: no command to run (the image has neither ENTRYPOINT nor CMD)");
        std::process::exit(127);
    };
    // PID 1 was `runc init` until it exec'd this binary, and its CPU time stays with the
    // process: the init's own cost is counted from here.
    let init_cpu_before = self_cpu_s();
    install_signal_forwarding();
    let cgroup = Cgroup::discover(Path::new("/sys/fs/cgroup"));
    let container_cpu = {
        let cgroup = cgroup.clone();
        move || Some((cgroup.cpu_s()? - self_cpu_s()).max(0.0))
    };
    let started = Instant::now();
    let clock = Arc::new(Mutex::new(PhaseClock::new(container_cpu())));
    let spawned = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            eprintln!("pyrobench init: cannot start `{program}`: {error}");
            let report = InitReport::failed_to_start(started.elapsed().as_secs_f64());
            eprintln!("{}", report.to_marker_line());
            std::process::exit(127);
        }
    };
    let child_pid = child.id() as libc::pid_t;
    CHILD_PID.store(child_pid, Ordering::SeqCst);
    let sampler = Sampler::start(cgroup.clone(), started, sampler::DEFAULT_INTERVAL);
    let on_marker = || {
        let (clock, cpu) = (clock.clone(), container_cpu.clone());
        move |name: String| {
            let t_s = started.elapsed().as_secs_f64();
            clock.lock().expect("phase lock").mark(name, t_s, cpu());
        }
    };
    let forwarders = [
        child
            .stdout
            .take()
            .map(|out| forward::forward(out, std::io::stdout(), on_marker())),
        child
            .stderr
            .take()
            .map(|err| forward::forward(err, std::io::stderr(), on_marker())),
    ];
    let exited = reap::until_exit(child_pid);
    let wall_s = started.elapsed().as_secs_f64();
    // The command's exit ends the run: what it left behind is stopped and reaped.
    let leftovers = reap::stop_the_rest();
    for forwarder in forwarders.into_iter().flatten() {
        let _ = forwarder.join();
    }
    let samples = sampler.stop();
    let phases = clock
        .lock()
        .expect("phase lock")
        .finish(wall_s, container_cpu());
    let usage = children_usage();
    let (exit_code, signal) = decode_status(exited.status);
    let container_peak_bytes = match (cgroup.peak_bytes(), samples.peak_bytes) {
        (None, 0) => None,
        (peak, sampled) => Some(peak.unwrap_or(0).max(sampled)),
    };
    let report = InitReport {
        wall_s,
        cpu_user_s: timeval_secs(usage.ru_utime),
        cpu_system_s: timeval_secs(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: (usage.ru_maxrss as u64) * 1024,
        exit_code,
        signal,
        init_cpu_s: self_cpu_s() - init_cpu_before,
        container_peak_bytes,
        leftover_processes: leftovers.still_running,
        orphans_reaped: exited.orphans + leftovers.reaped,
        phases,
        timeline: Some(samples.into_timeline()).filter(|t| !t.samples.is_empty()),
    };
    eprintln!("{}", report.to_marker_line());
    std::process::exit(exit_code);
}

/// The init's own CPU time, every thread of it.
pub(crate) fn self_cpu_s() -> f64 {
    let usage = usage_of(libc::RUSAGE_SELF);
    timeval_secs(usage.ru_utime) + timeval_secs(usage.ru_stime)
}

fn children_usage() -> libc::rusage {
    usage_of(libc::RUSAGE_CHILDREN)
}

fn usage_of(who: libc::c_int) -> libc::rusage {
    // SAFETY: rusage is plain data; getrusage fills it.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    }
}

fn decode_status(status: libc::c_int) -> (i32, Option<i32>) {
    if libc::WIFEXITED(status) {
        (libc::WEXITSTATUS(status), None)
    } else if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        (128 + signal, Some(signal))
    } else {
        (127, None)
    }
}

fn timeval_secs(value: libc::timeval) -> f64 {
    value.tv_sec as f64 + value.tv_usec as f64 / 1e6
}

//! The measuring init: PID 1 inside a benchmark container.
//!
//! It starts the image's own command, reaps every process of the container, and when the
//! command exits it reports wall time, CPU time and peak RSS of the whole process tree on
//! stderr as one marker line. The binary is static, so it runs in any image, even one
//! with no shell and no libc.

use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

use super::record::InitReport;

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
    install_signal_forwarding();
    let started = Instant::now();
    let child = match Command::new(program).args(args).spawn() {
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
    let status = reap_until_exit(child_pid);
    let wall_s = started.elapsed().as_secs_f64();
    let usage = children_usage();
    let (exit_code, signal) = decode_status(status);
    let report = InitReport {
        wall_s,
        cpu_user_s: timeval_secs(usage.ru_utime),
        cpu_system_s: timeval_secs(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: (usage.ru_maxrss as u64) * 1024,
        exit_code,
        signal,
    };
    eprintln!("{}", report.to_marker_line());
    std::process::exit(exit_code);
}

/// As PID 1 we inherit every orphan: reap them all until the command itself exits, so that
/// their CPU time lands in RUSAGE_CHILDREN too.
fn reap_until_exit(child_pid: libc::pid_t) -> libc::c_int {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: plain syscall with a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == child_pid {
            return status;
        }
        if pid < 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            eprintln!("pyrobench init: waitpid failed: {error}");
            return 127 << 8;
        }
    }
}

fn children_usage() -> libc::rusage {
    // SAFETY: rusage is plain data; getrusage fills it.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
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

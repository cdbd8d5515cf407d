//! Reaping: as PID 1 the init inherits every orphan, and only a reaped process's CPU time
//! lands in its RUSAGE_CHILDREN.

use std::time::{Duration, Instant};

/// How long the stopped leftovers may take to die before the report is made regardless.
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// The command's exit.
pub struct Exited {
    pub status: libc::c_int,
    /// Other processes reaped while waiting for it.
    pub orphans: u32,
}

/// Reaps orphans and zombies until the command itself exits.
pub fn until_exit(child_pid: libc::pid_t) -> Exited {
    let mut orphans = 0;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: plain syscall with a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == child_pid {
            return Exited { status, orphans };
        }
        if pid > 0 {
            orphans += 1;
            continue;
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        eprintln!("pyrobench init: waitpid failed: {error}");
        return Exited {
            status: 127 << 8,
            orphans,
        };
    }
}

/// What was left when the command exited.
pub struct Leftovers {
    /// Processes still running (not zombies) at that moment.
    pub still_running: u32,
    /// Processes reaped after the command.
    pub reaped: u32,
}

/// Kills whatever the command left running and reaps everything, so that all of it is
/// accounted. Only as PID 1 of the container: elsewhere `kill(-1)` would reach far beyond
/// the command's own processes.
pub fn stop_the_rest() -> Leftovers {
    // SAFETY: getpid has no preconditions.
    let is_container_init = unsafe { libc::getpid() } == 1;
    let still_running = if is_container_init {
        live_processes_but_me()
    } else {
        0
    };
    if still_running > 0 {
        // SAFETY: from PID 1 of a PID namespace, -1 signals every other process in it.
        unsafe {
            libc::kill(-1, libc::SIGKILL);
        }
    }
    let mut reaped = 0;
    let deadline = Instant::now() + STOP_LIMIT;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: plain syscall with a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid > 0 {
            reaped += 1;
            continue;
        }
        let no_children =
            pid < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
        if no_children || !is_container_init || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Leftovers {
        still_running,
        reaped,
    }
}

/// Processes in this PID namespace other than the init, zombies left out.
fn live_processes_but_me() -> u32 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name != "1" && name.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| Some(stat.rsplit_once(')')?.1.trim_start().starts_with('Z')))
                == Some(false)
        })
        .count() as u32
}

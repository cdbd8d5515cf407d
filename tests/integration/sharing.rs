//! One pyrobench never disturbs another: not another build's, not one in another PID
//! namespace, and not `clean --cache` beside a live session.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::common::*;

/// A script that measures one run, pauses `pause_s` (between runs nothing in Docker uses
/// its caches), then measures another.
const TWO_RUNS_APART: &str = "let image = build_image(BENCHMARKS[0]);\n\
     save(measure(image, #{ name: \"first\" }, #{ runs: 1, warmup: 0 }));\n\
     sleep(param(\"pause_s\", 8.0));\n\
     save(measure(image, #{ name: \"second\" }, #{ runs: 1, warmup: 0 }));\n";

/// Starts `command` on that script and waits until its first run is in the JSON.
fn between_two_runs(name: &str, command: &mut Command) -> (Child, PathBuf) {
    let bench = probe_benchmark(name, &["burn", "0.2"]);
    let dir = scratch(&format!("{name}-script"));
    let json = dir.join("out.json");
    let child = command
        .arg(script(&dir, TWO_RUNS_APART))
        .arg(&bench)
        .arg("--json")
        .arg(&json)
        .current_dir(repo())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pyrobench starts");
    assert!(
        wait_until(Duration::from_secs(180), || runs_in(&json, "first") == 1),
        "the first run never reached the file"
    );
    (child, json)
}

/// Both runs measured: the caches were still there for the second.
fn assert_both_runs_measured(child: Child, json: &Path) {
    let pid = child.id();
    let finished = finish(child, pid);
    finished.assert_success();
    assert_eq!(runs_in(json, "second"), 1, "{}", finished.stderr);
    assert_nothing_left(&finished);
}

fn hash_of(binary: &Path) -> String {
    let digest = Sha256::digest(std::fs::read(binary).unwrap());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn volume_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["volume", "inspect", name])
        .output()
        .unwrap()
        .status
        .success()
}

fn image_exists(reference: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", reference])
        .output()
        .unwrap()
        .status
        .success()
}

/// Removes the init volumes and ingester image of one build.
fn remove_cache_of(hash: &str) {
    let volumes = format!("pyrobench-init-{hash}");
    let _ = Command::new("docker")
        .args(["volume", "rm", &format!("{volumes}-ready"), &volumes])
        .output();
    let _ = Command::new("docker")
        .args(["rmi", "-f", &format!("pyrobench-ingester:{hash}")])
        .output();
}

#[test]
fn another_build_never_removes_a_live_sessions_cache_and_ages_it_out_after() {
    // The last step removes this build's cache, which tests beside it would be using.
    let _alone = alone();
    // The same program with a byte appended: another hash, as after a rebuild.
    let other = scratch("other-build").join("pyrobench");
    std::fs::copy(bin(), &other).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&other)
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"\0"))
        .unwrap();
    let (ours, theirs) = (hash_of(&bin()), hash_of(&other));
    assert_ne!(ours, theirs);

    let (child, json) = between_two_runs("cache-owner", &mut Command::new(bin()));
    let quick = probe_benchmark("other-build-run", &["burn", "0.1"]);
    let dir = scratch("other-build-script");
    let measure_once = script(
        &dir,
        "measure(build_image(BENCHMARKS[0]), #{}, #{ runs: 1, warmup: 0 });\n",
    );
    let run_other = || {
        let output = Command::new(&other)
            .arg(&measure_once)
            .arg(&quick)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run_other();
    assert!(volume_exists(&format!("pyrobench-init-{ours}")));
    assert!(image_exists(&format!("pyrobench-ingester:{ours}")));
    assert_both_runs_measured(child, &json);

    // With no session of ours left, the next start of the other build removes ours.
    run_other();
    let aged_out = !volume_exists(&format!("pyrobench-init-{ours}"))
        && !image_exists(&format!("pyrobench-ingester:{ours}"));
    remove_cache_of(&theirs);
    assert!(aged_out, "an unused cache of another build stayed");
}

#[test]
fn a_run_in_another_pid_namespace_is_not_swept_until_it_has_ended() {
    let _shared = shared();
    // A PID inside the namespace that no process here has, so that looking it up on this
    // side finds nothing (pid_max is often 32768).
    let inner = (20_000..32_000)
        .rev()
        .find(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        .unwrap();
    let bench = probe_benchmark("other-namespace", &["sleep", "60"]);
    let dir = scratch("other-namespace-script");
    let text = "measure(build_image(BENCHMARKS[0]), #{}, #{ runs: 1, warmup: 0 });\n";
    let mut child = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "sh",
            "-c",
        ])
        .arg(format!(
            "echo {} > /proc/sys/kernel/ns_last_pid && \"$0\" \"$@\"",
            inner - 1
        ))
        .arg(bin())
        .arg(script(&dir, text))
        .arg(&bench)
        .current_dir(repo())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("unshare starts");
    assert!(
        wait_until(Duration::from_secs(180), || has_run_container(inner)),
        "the run in the other namespace never started (PID {inner} there)"
    );
    Pyrobench::new().arg("clean").run().assert_success();
    let spared = has_run_container(inner);
    // Its namespace ends with it: then it is dead, seen from here, and swept.
    child.kill().unwrap();
    child.wait().unwrap();
    let swept = wait_until(Duration::from_secs(30), || {
        Pyrobench::new().arg("clean").run().assert_success();
        leftovers_of(inner).is_empty()
    });
    assert!(
        spared,
        "a plain clean swept a live run in another PID namespace"
    );
    assert!(swept, "clean left {:?}", leftovers_of(inner));
}

#[test]
fn clean_cache_keeps_what_a_live_session_uses_and_says_so() {
    // It removes every cached image that no live session holds: nothing may run beside it.
    let _alone = alone();
    let (child, json) = between_two_runs("cache-user", &mut Command::new(bin()));
    let cleaned = Pyrobench::new().args(["clean", "--cache"]).run();
    cleaned.assert_success();
    assert!(
        cleaned.stdout.contains(&format!(
            "that a running pyrobench may use (pid {})",
            child.id()
        )),
        "{}",
        cleaned.stdout
    );
    let ours = hash_of(&bin());
    assert!(volume_exists(&format!("pyrobench-init-{ours}")));
    assert!(image_exists(&format!("pyrobench-ingester:{ours}")));
    assert_both_runs_measured(child, &json);

    let cleaned = Pyrobench::new().args(["clean", "--cache"]).run();
    cleaned.assert_success();
    assert!(!cleaned.stdout.contains("kept"), "{}", cleaned.stdout);
    assert!(!volume_exists(&format!("pyrobench-init-{ours}")));
    assert!(!image_exists(&format!("pyrobench-ingester:{ours}")));
}

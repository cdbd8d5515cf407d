use super::*;

/// A fake `/proc` with the host's files and the given processes.
struct FakeProc {
    dir: tempfile::TempDir,
}

impl FakeProc {
    fn new(host: &str, boot: &str, initial_namespace: bool) -> Self {
        let fake = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        fake.write("sys/kernel/hostname", &format!("{host}\n"));
        fake.write("sys/kernel/random/boot_id", &format!("{boot}\n"));
        if initial_namespace {
            fake.process("2", "kthreadd", "pid:[1]", &[2], 0);
        }
        fake
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A process named `dir` in /proc, with its PIDs from the outermost namespace in.
    fn process(&self, dir: &str, name: &str, namespace: &str, pids: &[u32], started: u64) {
        let ns = self.dir.path().join(dir).join("ns");
        std::fs::create_dir_all(&ns).unwrap();
        std::os::unix::fs::symlink(namespace, ns.join("pid")).unwrap();
        // A name with spaces and a parenthesis, as the kernel allows.
        let stat = format!(
            "{} ({name}) S 1 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 {started} 1000 10",
            pids[0]
        );
        self.write(&format!("{dir}/stat"), &stat);
        let nspid: Vec<String> = pids.iter().map(u32::to_string).collect();
        self.write(
            &format!("{dir}/status"),
            &format!("Name:\t{name}\nNSpid:\t{}\n", nspid.join("\t")),
        );
    }

    fn proc(&self) -> Proc {
        Proc::at(self.dir.path())
    }
}

fn owner(pid: u32, namespace: &str, started: u64) -> Owner {
    Owner {
        host: "box".into(),
        pid,
        boot: "boot-1".into(),
        pid_namespace: namespace.into(),
        started,
    }
}

#[test]
fn a_live_process_in_this_namespace_is_alive_and_a_reused_pid_is_not() {
    let fake = FakeProc::new("box", "boot-1", true);
    fake.process("self", "pyrobench", "pid:[1]", &[40], 500);
    fake.process("40", "py (robench) x", "pid:[1]", &[40], 500);
    let proc = fake.proc();
    assert!(!proc.is_dead(&owner(40, "pid:[1]", 500)));
    // The same PID, started at another moment: another process took the number.
    assert!(proc.is_dead(&owner(40, "pid:[1]", 499)));
    assert!(proc.is_dead(&owner(41, "pid:[1]", 500)));
}

#[test]
fn a_process_in_another_namespace_is_found_by_its_own_pid() {
    let fake = FakeProc::new("box", "boot-1", true);
    fake.process("self", "pyrobench", "pid:[1]", &[40], 500);
    // PID 7 inside the container, 900 here: the host's PID 7 is something else.
    fake.process("7", "bash", "pid:[1]", &[7], 10);
    fake.process("900", "pyrobench", "pid:[2]", &[900, 7], 800);
    let proc = fake.proc();
    assert!(!proc.is_dead(&owner(7, "pid:[2]", 800)));
    assert!(proc.is_dead(&owner(7, "pid:[2]", 801)));
    // A namespace with no process left, seen from the initial namespace: it has ended.
    assert!(proc.is_dead(&owner(7, "pid:[3]", 800)));
}

#[test]
fn what_this_host_cannot_see_is_taken_to_be_alive() {
    // Inside a container: other namespaces are invisible, so their owners cannot be judged.
    let fake = FakeProc::new("box", "boot-1", false);
    fake.process("self", "pyrobench", "pid:[2]", &[5], 500);
    let proc = fake.proc();
    assert!(!proc.is_dead(&owner(7, "pid:[1]", 800)));
    let mut elsewhere = owner(5, "pid:[2]", 1);
    elsewhere.host = "another-host".into();
    assert!(!proc.is_dead(&elsewhere));
    // Same host, earlier boot: rebooted, so gone.
    let mut before_reboot = owner(5, "pid:[2]", 500);
    before_reboot.boot = "boot-0".into();
    assert!(proc.is_dead(&before_reboot));
}

#[test]
fn this_process_is_alive_through_its_labels() {
    let me = Proc::default().this_process();
    assert!(me.started > 0, "{me:?}");
    let labels: HashMap<String, String> = me
        .labels()
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect();
    assert_eq!(Owner::from_labels(&labels), Some(me.clone()));
    assert!(!owner_is_dead(&labels));
    let mut restarted = labels.clone();
    restarted.insert(STARTED.into(), (me.started + 1).to_string());
    assert!(owner_is_dead(&restarted));
    // Labels of an older pyrobench: host and PID only.
    let mut legacy = labels;
    legacy.remove(BOOT);
    assert!(!owner_is_dead(&legacy));
    legacy.insert(PID.into(), "999999999".into());
    assert!(owner_is_dead(&legacy));
}

//! Phases of a run, started by marker lines in the benchmark's output.
//!
//! A run begins in `startup`; a line `pyrobench:phase <name>` on stdout or stderr starts the
//! phase `<name>`. The clock notes the moment the line passed through and the container's
//! CPU time then, so each phase gets its wall and CPU time.

use crate::measure::record::Phase;

/// What a marker line starts with.
pub const PHASE_MARKER: &str = "pyrobench:phase ";
/// The phase every run begins in.
pub const FIRST_PHASE: &str = "startup";
/// Longest phase name kept; a longer one is cut.
const MAX_NAME: usize = 64;
/// Phases kept per run; markers past that are ignored, the last phase runs on.
pub const MAX_PHASES: usize = 256;

/// The phase a line starts, if it is a marker line.
pub fn phase_in(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line).ok()?.trim();
    let name = line.strip_prefix(PHASE_MARKER)?.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return None;
    }
    Some(name.chars().take(MAX_NAME).collect())
}

struct Start {
    name: String,
    t_s: f64,
    cpu_s: Option<f64>,
}

/// The phases so far: when each began, and the CPU time then.
pub struct PhaseClock {
    starts: Vec<Start>,
}

impl PhaseClock {
    /// Begins `startup` at time 0, with the CPU time the container had then.
    pub fn new(cpu_s: Option<f64>) -> Self {
        Self {
            starts: vec![Start {
                name: FIRST_PHASE.to_string(),
                t_s: 0.0,
                cpu_s,
            }],
        }
    }

    /// A marker at `t_s`: a new phase, unless it names the phase already running.
    pub fn mark(&mut self, name: String, t_s: f64, cpu_s: Option<f64>) {
        let current = self.starts.last().map(|start| start.name.as_str());
        if current == Some(name.as_str()) || self.starts.len() >= MAX_PHASES {
            return;
        }
        self.starts.push(Start { name, t_s, cpu_s });
    }

    /// The phases, the last one ending at `end_s` with the CPU time `end_cpu_s`.
    pub fn finish(&self, end_s: f64, end_cpu_s: Option<f64>) -> Vec<Phase> {
        let ends = self
            .starts
            .iter()
            .skip(1)
            .map(|next| (next.t_s, next.cpu_s))
            .chain([(end_s, end_cpu_s)]);
        self.starts
            .iter()
            .zip(ends)
            .map(|(start, (end, end_cpu))| Phase {
                name: start.name.clone(),
                start_s: start.t_s,
                wall_s: (end - start.t_s).max(0.0),
                cpu_s: match (start.cpu_s, end_cpu) {
                    (Some(from), Some(to)) => Some((to - from).max(0.0)),
                    _ => None,
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines_name_a_phase_and_other_lines_do_not() {
        assert_eq!(phase_in(b"pyrobench:phase work\n").as_deref(), Some("work"));
        assert_eq!(
            phase_in(b"  pyrobench:phase shutdown \r\n").as_deref(),
            Some("shutdown")
        );
        assert_eq!(phase_in(b"pyrobench:phase \n"), None);
        assert_eq!(phase_in(b"the pyrobench:phase work\n"), None);
        assert_eq!(phase_in(b"pyrobench:phasework\n"), None);
        assert_eq!(phase_in(&[0xff, 0xfe]), None);
        let long = format!("pyrobench:phase {}", "x".repeat(100));
        assert_eq!(phase_in(long.as_bytes()).unwrap().len(), MAX_NAME);
    }

    #[test]
    fn phases_run_from_marker_to_marker_and_add_up_to_the_run() {
        let mut clock = PhaseClock::new(Some(0.01));
        clock.mark("work".into(), 0.3, Some(0.11));
        clock.mark("work".into(), 0.5, Some(0.2));
        clock.mark("shutdown".into(), 1.3, Some(1.11));
        let phases = clock.finish(2.0, Some(1.21));
        let names: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["startup", "work", "shutdown"]);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(phases[1].start_s, 0.3));
        assert!(close(phases[1].wall_s, 1.0));
        assert!(close(phases[1].cpu_s.unwrap(), 1.0));
        assert!(close(phases.iter().map(|p| p.wall_s).sum(), 2.0));
        assert!(close(phases.iter().map(|p| p.cpu_s.unwrap()).sum(), 1.2));
    }

    #[test]
    fn without_markers_the_run_is_one_phase_and_without_a_cgroup_no_cpu() {
        let phases = PhaseClock::new(None).finish(1.5, None);
        assert_eq!(phases.len(), 1);
        assert_eq!(phases[0].name, FIRST_PHASE);
        assert_eq!(phases[0].wall_s, 1.5);
        assert_eq!(phases[0].cpu_s, None);
    }
}

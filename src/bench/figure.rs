//! The figures a run yields and the statistics compare. One name for each, so that the
//! results, the thresholds and every report walk the same list.

use crate::measure::record::RunRecord;

/// What a figure counts, which decides how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Figure {
    /// Wall time of the benchmarked command.
    Wall,
    /// CPU time, user + system.
    Cpu,
    /// Peak resident set of the largest process.
    Rss,
    /// Peak memory of the container as a whole.
    Memory,
}

impl Figure {
    pub const ALL: [Figure; 4] = [Figure::Wall, Figure::Cpu, Figure::Rss, Figure::Memory];
    /// Figures also compared run by run within each round: the ones the machine's drift
    /// moves. Memory does not drift with load.
    pub const PAIRED: [Figure; 2] = [Figure::Wall, Figure::Cpu];

    /// This figure of one run.
    pub fn of(self, run: &RunRecord) -> Option<f64> {
        match self {
            Figure::Wall => run.wall_s,
            Figure::Cpu => run.cpu_s(),
            Figure::Rss => run.max_rss_bytes.map(|bytes| bytes as f64),
            Figure::Memory => run.container_peak_bytes.map(|bytes| bytes as f64),
        }
    }

    /// The prefix of its fields and columns: `wall_pct`, `cpu_ci_pct`, `rss_p`.
    pub fn key(self) -> &'static str {
        match self {
            Figure::Wall => "wall",
            Figure::Cpu => "cpu",
            Figure::Rss => "rss",
            Figure::Memory => "mem",
        }
    }

    /// The name of its median and spread columns in the CSV: `wall_s_median`.
    pub fn column(self) -> &'static str {
        match self {
            Figure::Wall => "wall_s",
            Figure::Cpu => "cpu_s",
            Figure::Rss => "rss_bytes",
            Figure::Memory => "mem_bytes",
        }
    }

    /// Its short name in tables: `wall`, `CPU`, `peak RSS`, `memory`.
    pub fn label(self) -> &'static str {
        match self {
            Figure::Wall => "wall",
            Figure::Cpu => "CPU",
            Figure::Rss => "peak RSS",
            Figure::Memory => "memory",
        }
    }

    /// Its name in sentences: `wall time`, `CPU time`.
    pub fn name(self) -> &'static str {
        match self {
            Figure::Wall => "wall time",
            Figure::Cpu => "CPU time",
            Figure::Rss => "peak RSS",
            Figure::Memory => "container memory",
        }
    }

    /// Its name over a plot's panel.
    pub fn title(self) -> &'static str {
        match self {
            Figure::Cpu => "CPU time (user + sys)",
            Figure::Rss => "peak RSS (largest process)",
            Figure::Memory => "peak container memory",
            other => other.name(),
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Figure::Wall | Figure::Cpu => Unit::Seconds,
            Figure::Rss | Figure::Memory => Unit::Bytes,
        }
    }
}

//! Progress on stderr: a bar with ETA on a terminal, and one line per run everywhere,
//! so that a long experiment shows it is alive in a CI log too.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::format;
use crate::measure::record::RunRecord;
use crate::measure::runner::failure_headline;

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` runs; hidden when stderr is not a terminal.
    pub fn new(benchmark: &str, total: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:25}] {pos}/{len} runs  ETA {eta}  {wide_msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(benchmark.to_string());
        Self { bar }
    }

    pub fn starting(&self, scenario: &str, what: &str, index: usize, total: usize) {
        self.bar
            .set_message(format!("{scenario}: {what} {index}/{total}"));
    }

    pub fn finished_run(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
        self.bar.inc(1);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

pub fn run_line(
    benchmark: &str,
    scenario: &str,
    what: &str,
    index: usize,
    total: usize,
    record: &RunRecord,
) -> String {
    let detail = match &record.failure {
        Some(failure) => format!("FAILED: {}", failure_headline(failure)),
        None => {
            let uploads = record
                .ingester
                .as_ref()
                .map(|counts| {
                    let (what, n) = match counts.scraped_every_s {
                        Some(_) => ("scrapes", counts.scrapes),
                        None => ("uploads", counts.requests),
                    };
                    format!(
                        "  {what} {n} profiles {} samples {}",
                        counts.profiles, counts.samples
                    )
                })
                .unwrap_or_default();
            format!(
                "wall {}  cpu {}  rss {}{uploads}",
                format::seconds(record.wall_s),
                format::seconds(record.cpu_s()),
                format::bytes(record.max_rss_bytes.map(|b| b as f64)),
            )
        }
    };
    format!("  {benchmark} | {scenario} | {what} {index}/{total} | {detail}")
}

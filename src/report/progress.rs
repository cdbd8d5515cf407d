//! One line on stderr per run, so a long experiment shows it is alive.

use super::format;
use crate::measure::record::RunRecord;

pub fn run_line(
    benchmark: &str,
    scenario: &str,
    what: &str,
    index: usize,
    total: usize,
    record: &RunRecord,
) {
    let detail = match &record.failure {
        Some(failure) => format!("FAILED: {}", failure.lines().next().unwrap_or_default()),
        None => {
            let uploads = record
                .ingester
                .as_ref()
                .map(|counts| {
                    format!(
                        "  uploads {} profiles {} samples {}",
                        counts.requests, counts.profiles, counts.samples
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
    eprintln!("  {benchmark} | {scenario} | {what} {index}/{total} | {detail}");
}

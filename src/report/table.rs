//! The terminal table of one experiment.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use super::cells;
use crate::bench::result::BenchmarkResult;

pub fn render(result: &BenchmarkResult) -> String {
    let headers = cells::HEADERS.map(String::from);
    let rows: Vec<Vec<String>> = cells::rows(result).into_iter().map(Vec::from).collect();
    let mut text = format!("{}\n{}", cells::title(result), render_rows(&headers, &rows));
    let paired = cells::paired_lines(result);
    if !paired.is_empty() {
        text.push_str(&format!("\n{}:", cells::PAIRED_INTRO));
        for line in paired {
            text.push_str(&format!("\n  {line}"));
        }
    }
    for warning in &result.warnings {
        text.push_str(&format!("\nwarning: {warning}"));
    }
    text
}

/// A table a script builds itself: a header row and rows of text.
pub fn render_rows(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(headers.to_vec());
    for row in rows {
        table.add_row(row.iter().enumerate().map(|(column, text)| {
            let cell = Cell::new(text);
            if column == 0 {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        }));
    }
    table.to_string()
}

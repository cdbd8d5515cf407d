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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{complete, count, stopped};

    /// The table line of one scenario.
    fn row<'a>(text: &'a str, scenario: &str) -> &'a str {
        let start = format!("│ {scenario} ");
        text.lines()
            .find(|line| line.starts_with(&start))
            .unwrap_or_else(|| panic!("no row for {scenario} in\n{text}"))
    }

    #[test]
    fn a_row_per_scenario_with_its_overhead() {
        let result = complete();
        let text = render(&result);
        assert_eq!(text.lines().next(), Some(cells::title(&result).as_str()));
        for header in cells::HEADERS {
            assert!(text.contains(header), "no header {header}");
        }
        let baseline = row(&text, "baseline");
        assert_eq!(count(baseline, "baseline"), 3, "{baseline}");
        let agent = row(&text, "pyroscope agent");
        assert!(agent.contains(" 8/9 "), "{agent}");
        assert!(agent.contains(" +4.0% ["), "{agent}");
        assert!(agent.contains(" +20.0% ["), "{agent}");
        let idle = row(&text, "pyroscope idle");
        assert_eq!(count(idle, "~ (+0.0%, p="), 2, "{idle}");
    }

    #[test]
    fn paired_lines_and_warnings_follow_the_table() {
        let result = complete();
        let text = render(&result);
        let lines: Vec<&str> = text.lines().collect();
        let intro = lines
            .iter()
            .position(|line| *line == format!("{}:", cells::PAIRED_INTRO))
            .expect("the paired comparison is introduced");
        assert!(lines[intro + 1].starts_with("  pyroscope agent: wall +4.0%"));
        assert!(lines[intro + 1].ends_with("(8 rounds)"));
        assert!(lines[intro + 2].starts_with("  pyroscope idle: wall ~"));
        assert_eq!(result.warnings.len(), 1);
        assert_eq!(lines[intro + 3], format!("warning: {}", result.warnings[0]));
        assert!(lines[intro + 3].contains("1 of 9 runs failed"));
    }

    #[test]
    fn a_stopped_experiment_says_so_and_warns() {
        let result = stopped();
        let text = render(&result);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(" (stopped part-way)")
        );
        assert!(!text.contains(cells::PAIRED_INTRO));
        assert!(row(&text, "pyroscope agent").contains(" 0/1 "));
        let warnings: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("warning: "))
            .collect();
        let expected: Vec<String> = result
            .warnings
            .iter()
            .map(|w| format!("warning: {w}"))
            .collect();
        assert_eq!(warnings, expected);
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn rows_put_text_left_and_numbers_right() {
        let headers = ["name".to_string(), "value".to_string()];
        let rows = [
            vec!["a".to_string(), "1".to_string()],
            vec!["longer name".to_string(), "12345".to_string()],
        ];
        let text = render_rows(&headers, &rows);
        assert!(text.contains("│ name        ┆ value │"), "{text}");
        assert!(text.contains("│ a           ┆     1 │"), "{text}");
        assert!(text.contains("│ longer name ┆ 12345 │"), "{text}");
        assert_eq!(text.lines().count(), 6, "{text}");
    }
}

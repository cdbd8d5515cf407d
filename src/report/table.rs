//! The terminal table of one experiment, fitted to the terminal's width.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use super::cells;
use crate::bench::result::BenchmarkResult;

/// The experiment's table, fitted to the terminal when stdout is one.
pub fn render(result: &BenchmarkResult) -> String {
    render_at(result, terminal_width())
}

/// The terminal's width in columns when stdout is a terminal, as comfy-table reads it.
fn terminal_width() -> Option<u16> {
    Table::new().width()
}

/// The table for a terminal `width` columns wide (`None`: as wide as its content), with the
/// terminal's columns and short headers (`cells::SHORT_HEADERS`). When it is wider than
/// `width`, the figures and the overheads make two tables, their cells wrapped if even those
/// are too wide; the lines under it are wrapped to `width` too.
pub fn render_at(result: &BenchmarkResult, width: Option<u16>) -> String {
    let rows = cells::rows(result);
    let columns: Vec<(usize, &str)> = cells::SHORT_HEADERS
        .iter()
        .enumerate()
        .filter_map(|(index, header)| Some((index, (*header)?)))
        .collect();
    let table = |columns: &[(usize, &str)], width: Option<u16>| {
        let headers: Vec<String> = columns.iter().map(|(_, h)| h.to_string()).collect();
        let picked: Vec<Vec<String>> = rows
            .iter()
            .map(|row| columns.iter().map(|(i, _)| row[*i].clone()).collect())
            .collect();
        render_table(&headers, &picked, width)
    };
    let whole = table(&columns, None);
    let fits = |text: &str, width: u16| text.lines().all(|l| l.chars().count() <= width.into());
    let mut text = cells::title(result);
    match width {
        Some(width) if !fits(&whole, width) => {
            let (figures, overheads): (Vec<_>, Vec<_>) = columns
                .iter()
                .partition(|(index, _)| *index < cells::FIRST_OVERHEAD);
            let overheads: Vec<_> = figures[..1].iter().chain(&overheads).copied().collect();
            text.push_str(&format!("\n{}", table(&figures, Some(width))));
            text.push_str(&format!("\n{}", table(&overheads, Some(width))));
        }
        _ => text.push_str(&format!("\n{whole}")),
    }
    let phases = cells::phase_lines(result);
    if !phases.is_empty() {
        text.push_str(&format!("\n{}:", cells::PHASE_INTRO));
        for line in phases {
            text.push_str(&format!("\n{}", wrap("  ", &line, width, 4)));
        }
    }
    let scrapes = cells::scrape_lines(result);
    if !scrapes.is_empty() {
        text.push_str(&format!("\n{}:", cells::SCRAPE_INTRO));
        for line in scrapes {
            text.push_str(&format!("\n{}", wrap("  ", &line, width, 4)));
        }
    }
    let load = cells::load_lines(result);
    if !load.is_empty() {
        text.push_str(&format!("\n{}:", cells::LOAD_INTRO));
        for line in load {
            text.push_str(&format!("\n{}", wrap("  ", &line, width, 4)));
        }
    }
    let paired = cells::paired_lines(result);
    if !paired.is_empty() {
        text.push_str(&format!("\n{}:", cells::PAIRED_INTRO));
        for line in paired {
            text.push_str(&format!("\n{}", wrap("  ", &line, width, 4)));
        }
    }
    for warning in &result.warnings {
        text.push_str(&format!(
            "\n{}",
            wrap("warning: ", &warning.to_string(), width, 2)
        ));
    }
    text
}

/// `first` and `text` broken at spaces into lines of at most `width` characters, the
/// lines after the first indented by `indent` spaces; a word longer than a line stays whole.
fn wrap(first: &str, text: &str, width: Option<u16>, indent: usize) -> String {
    let Some(width) = width.map(usize::from) else {
        return format!("{first}{text}");
    };
    let rest = " ".repeat(indent);
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(&rest)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(text, options)
}

/// A table a script builds itself: a header row and rows of text, fitted to the terminal.
pub fn render_rows(headers: &[String], rows: &[Vec<String>]) -> String {
    render_table(headers, rows, terminal_width())
}

/// Text left, numbers right; cells wrapped to fit `width` (`None`: as wide as the content).
fn render_table(headers: &[String], rows: &[Vec<String>], width: Option<u16>) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(headers.to_vec());
    if let Some(width) = width {
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
    }
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

    /// The longest line of `text`, in characters.
    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn a_row_per_scenario_with_its_overhead() {
        let result = complete();
        let text = render_at(&result, None);
        assert_eq!(text.lines().next(), Some(cells::title(&result).as_str()));
        for header in cells::SHORT_HEADERS.into_iter().flatten() {
            assert!(text.contains(header), "no header {header}");
        }
        assert!(
            !text.contains("docker"),
            "docker's wall time is for the Markdown"
        );
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
        let text = render_at(&result, None);
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
        let text = render_at(&result, None);
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
        let text = render_table(&headers, &rows, None);
        assert!(text.contains("│ name        ┆ value │"), "{text}");
        assert!(text.contains("│ a           ┆     1 │"), "{text}");
        assert!(text.contains("│ longer name ┆ 12345 │"), "{text}");
        assert_eq!(text.lines().count(), 6, "{text}");
    }

    #[test]
    fn the_table_fits_a_terminal_100_columns_wide() {
        let result = complete();
        let whole = render_at(&result, None);
        assert!(widest(&whole) > 100, "one table is {} wide", widest(&whole));
        let text = render_at(&result, Some(100));
        for line in text.lines() {
            assert!(
                line.chars().count() <= 100,
                "{} wide: {line}",
                line.chars().count()
            );
        }
        // The figures, then the overheads: each scenario twice, no cell wrapped.
        assert_eq!(count(&text, "│ scenario "), 2, "{text}");
        assert_eq!(count(&text, "│ pyroscope agent "), 2, "{text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("│  ")).count(),
            0,
            "{text}"
        );
        let agent = text
            .lines()
            .filter(|l| l.starts_with("│ pyroscope agent "))
            .nth(1)
            .unwrap();
        assert!(
            agent.contains(" +4.0% [+2.0, +6.1] (p=0.002) ")
                && agent.contains(" +20.0% [+17.7, +22.4] (p<0.001) "),
            "{agent}"
        );
        // What follows the table is the same as at full width.
        let tail = |text: &str| text[text.find(cells::PAIRED_INTRO).unwrap()..].to_string();
        assert_eq!(tail(&text), tail(&whole));
    }

    #[test]
    fn a_wide_terminal_keeps_one_table_and_a_narrow_one_wraps_cells() {
        let result = complete();
        let whole = render_at(&result, None);
        assert_eq!(render_at(&result, Some(200)), whole);
        for width in [60, 80] {
            let text = render_at(&result, Some(width));
            assert!(widest(&text) <= width.into(), "{text}");
        }
        let text = render_at(&result, Some(60));
        assert!(
            text.ends_with(
                "\nwarning: `pyroscope agent`: 1 of 9 runs failed or timed out;\n  they are left \
                 out of the statistics"
            ),
            "{text}"
        );
    }
}

//! Human formatting of figures.

pub fn seconds(value: Option<f64>) -> String {
    match value {
        Some(s) if s < 1.0 => format!("{:.1} ms", s * 1000.0),
        Some(s) => format!("{s:.3} s"),
        None => "-".to_string(),
    }
}

pub fn bytes(value: Option<f64>) -> String {
    match value {
        Some(b) if b >= 1024.0 * 1024.0 * 1024.0 => {
            format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
        }
        Some(b) if b >= 1024.0 * 1024.0 => format!("{:.1} MiB", b / (1024.0 * 1024.0)),
        Some(b) if b >= 1024.0 => format!("{:.1} KiB", b / 1024.0),
        Some(b) => format!("{b:.0} B"),
        None => "-".to_string(),
    }
}

pub fn percent(value: Option<f64>) -> String {
    match value {
        Some(p) => format!("{p:+.1}%"),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_naturally() {
        assert_eq!(seconds(Some(3.21449)), "3.214 s");
        assert_eq!(seconds(Some(0.0123)), "12.3 ms");
        assert_eq!(bytes(Some(45.0 * 1024.0 * 1024.0)), "45.0 MiB");
        assert_eq!(percent(Some(4.849)), "+4.8%");
        assert_eq!(percent(Some(-0.25)), "-0.2%");
        assert_eq!(percent(None), "-");
    }
}

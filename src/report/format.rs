//! Human formatting of figures.

use crate::bench::figure::Unit;
use crate::bench::result::Delta;

/// A value of a figure, written in its unit.
pub fn value(unit: Unit, value: Option<f64>) -> String {
    match unit {
        Unit::Seconds => seconds(value),
        Unit::Bytes => bytes(value),
    }
}

/// A median with the half-width of its 95% interval, in its unit, as benchstat prints it:
/// `3.214 s ±2%`.
pub fn with_spread(unit: Unit, spread: Option<&crate::stats::Spread>) -> String {
    match spread {
        Some(s) => format!("{}{}", value(unit, Some(s.median)), plus_minus(s)),
        None => "-".to_string(),
    }
}

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

fn plus_minus(spread: &crate::stats::Spread) -> String {
    match spread.half_width() {
        Some(half) if spread.median > 0.0 => {
            format!(" ±{:.0}%", half / spread.median * 100.0)
        }
        _ => String::new(),
    }
}

/// A median of a load figure: three significant digits, no exponent.
pub fn plain_number(value: f64) -> String {
    let decimals = if value.abs() >= 100.0 {
        0
    } else if value.abs() >= 10.0 {
        1
    } else if value.abs() >= 1.0 {
        2
    } else {
        3
    };
    format!("{value:.decimals$}")
}

/// A comparison as benchstat shows a delta (see `delta`).
pub fn comparison(delta: Delta) -> String {
    self::delta(delta.pct, delta.ci_pct, delta.p)
}

/// A p-value to three decimals, `p=0.042`; below 0.001, `p<0.001`.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

/// An overhead as benchstat shows a delta: the change with its interval and p-value,
/// `+4.4% [+2.0, +6.8] (p=0.002)`, or `~ (+0.3%, p=0.420)` when the difference is not
/// significant.
pub fn delta(pct: Option<f64>, ci: Option<[f64; 2]>, p: Option<f64>) -> String {
    change(
        pct.map(|pct| format!("{pct:+.1}%")),
        ci.map(|[low, high]| format!(" [{low:+.1}, {high:+.1}]")),
        p,
    )
}

/// Seconds added, as `delta` shows a percentage: `+0.31 s [+0.28, +0.35] (p<0.001)`, or
/// `~ (+0.01 s, p=0.400)`.
pub fn added_seconds(seconds: Option<f64>, ci: Option<[f64; 2]>, p: Option<f64>) -> String {
    change(
        seconds.map(|s| format!("{s:+.2} s")),
        ci.map(|[low, high]| format!(" [{low:+.2}, {high:+.2}]")),
        p,
    )
}

/// A change with its interval and p-value, or `~` with the change when not significant.
fn change(value: Option<String>, interval: Option<String>, p: Option<f64>) -> String {
    let Some(value) = value else {
        return "-".to_string();
    };
    match p {
        Some(p) if p >= crate::stats::ALPHA => format!("~ ({value}, {})", p_value(p)),
        _ => {
            let p_text = p.map(|p| format!(" ({})", p_value(p))).unwrap_or_default();
            format!("{value}{}{p_text}", interval.unwrap_or_default())
        }
    }
}

/// An overhead as scripts print it in their own tables: `+4.2%`, or `~ (+4.2%)` when
/// its p-value says the difference is not significant.
pub fn delta_brief(pct: Option<f64>, p: Option<f64>) -> String {
    match p {
        Some(p) if p >= crate::stats::ALPHA => format!("~ ({})", percent(pct)),
        _ => percent(pct),
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

    #[test]
    fn deltas_read_like_benchstat() {
        assert_eq!(
            delta(Some(4.44), Some([2.05, 6.81]), Some(0.0004)),
            "+4.4% [+2.0, +6.8] (p<0.001)"
        );
        assert_eq!(
            delta(Some(4.44), Some([2.05, 6.81]), Some(0.0012)),
            "+4.4% [+2.0, +6.8] (p=0.001)"
        );
        assert_eq!(
            delta(Some(0.3), Some([-1.0, 1.5]), Some(0.42)),
            "~ (+0.3%, p=0.420)"
        );
        assert_eq!(delta(Some(-3.04), None, Some(0.05)), "~ (-3.0%, p=0.050)");
        assert_eq!(delta(None, None, Some(0.5)), "-");
        assert_eq!(delta(Some(3.0), None, None), "+3.0%");
        assert_eq!(
            added_seconds(Some(0.3104), Some([0.28, 0.351]), Some(0.0002)),
            "+0.31 s [+0.28, +0.35] (p<0.001)"
        );
        assert_eq!(
            added_seconds(Some(0.012), Some([-0.1, 0.1]), Some(0.4)),
            "~ (+0.01 s, p=0.400)"
        );
        assert_eq!(delta_brief(Some(4.21), Some(0.3)), "~ (+4.2%)");
        assert_eq!(delta_brief(Some(-12.0), Some(0.01)), "-12.0%");
        assert_eq!(delta_brief(Some(4.21), None), "+4.2%");
        assert_eq!(delta_brief(None, Some(0.5)), "~ (-)");
        let spread = crate::stats::spread(&[1.0, 1.02, 0.98, 1.01, 0.99, 1.0]).unwrap();
        assert_eq!(with_spread(Unit::Seconds, Some(&spread)), "1.000 s ±2%");
    }
}

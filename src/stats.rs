//! Summary statistics of run figures.

/// Median of the finite values; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// Relative change from `baseline` to `value`, in percent.
pub fn change_pct(baseline: f64, value: f64) -> Option<f64> {
    (baseline > 0.0 && value.is_finite()).then(|| (value / baseline - 1.0) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn change_is_relative_to_the_baseline() {
        assert_eq!(change_pct(2.0, 2.5), Some(25.0));
        assert_eq!(change_pct(2.0, 1.0), Some(-50.0));
        assert_eq!(change_pct(0.0, 1.0), None);
    }
}

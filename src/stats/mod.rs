//! Summary statistics of run figures.

pub mod mann_whitney;
pub mod order;
pub mod rank;
pub mod signed_rank;

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

/// Confidence level of every interval pyrobench reports.
pub const CONFIDENCE: f64 = 0.95;
/// Significance level: a difference with a larger p-value is shown as `~`.
pub const ALPHA: f64 = 0.05;

/// How one figure spread over a scenario's runs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    pub median: f64,
    /// Distribution-free 95% interval for the median; absent with fewer than 6 runs.
    pub median_ci: Option<[f64; 2]>,
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for a single run.
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// The larger distance from the median to an end of its interval: what the table
    /// prints as `±`. `None` without an interval.
    pub fn half_width(&self) -> Option<f64> {
        let [low, high] = self.median_ci?;
        Some((self.median - low).max(high - self.median))
    }
}

pub fn spread(values: &[f64]) -> Option<Spread> {
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = values.len() as f64;
    let median = median(&values)?;
    let mean = values.iter().sum::<f64>() / n;
    let variance = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some(Spread {
        median,
        median_ci: order::median_ci(&values, CONFIDENCE).map(|(low, high)| [low, high]),
        mean,
        stddev: variance.sqrt(),
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// Modified z-score above which a value counts as an outlier (Iglewicz and Hoaglin).
pub const OUTLIER_Z: f64 = 3.5;

/// Fewest values for outlier detection: the MAD of three or four values is so unstable
/// that any run slightly apart from two close ones would be flagged.
pub const MIN_VALUES_FOR_OUTLIERS: usize = 5;

/// Indexes of outliers by the modified z-score, 0.6745 (x - median) / MAD. With a MAD of
/// zero (most values equal), or fewer than `MIN_VALUES_FOR_OUTLIERS` values, nothing is
/// called an outlier.
pub fn outliers(values: &[f64]) -> Vec<usize> {
    if values.len() < MIN_VALUES_FOR_OUTLIERS {
        return Vec::new();
    }
    let Some(center) = median(values) else {
        return Vec::new();
    };
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let Some(mad) = median(&deviations).filter(|mad| *mad > 0.0) else {
        return Vec::new();
    };
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| (0.6745 * (*v - center) / mad).abs() > OUTLIER_Z)
        .map(|(index, _)| index)
        .collect()
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
    fn spread_of_known_values() {
        let s = spread(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((s.median, s.mean, s.min, s.max), (4.5, 5.0, 2.0, 9.0));
        // numpy.std(ddof=1) of these values.
        assert!((s.stddev - 2.138089935299395).abs() < 1e-12, "{}", s.stddev);
        assert_eq!(s.median_ci, Some([2.0, 9.0]));
        assert_eq!(s.half_width(), Some(4.5));
        assert_eq!(spread(&[3.0]).unwrap().median_ci, None);
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn outliers_by_modified_z_score() {
        let values = [10.0, 10.1, 9.9, 10.2, 9.8, 10.0, 14.0];
        assert_eq!(outliers(&values), [6]);
        assert!(
            outliers(&[1.0, 1.0, 1.0, 1.0, 5.0]).is_empty(),
            "MAD 0 flags nothing"
        );
        assert!(outliers(&[1.0, 1.1, 0.9, 1.05, 0.95]).is_empty());
        // Three runs, two close together: the third would score 67 from a MAD of 0.01.
        assert!(outliers(&[2.00, 2.01, 2.70]).is_empty());
        assert_eq!(outliers(&[2.00, 2.01, 2.02, 1.99, 2.70]), [4]);
    }

    #[test]
    fn change_is_relative_to_the_baseline() {
        assert_eq!(change_pct(2.0, 2.5), Some(25.0));
        assert_eq!(change_pct(2.0, 1.0), Some(-50.0));
        assert_eq!(change_pct(0.0, 1.0), None);
    }
}

//! Distribution-free confidence intervals for a median, from order statistics.

use statrs::distribution::{Binomial, DiscreteCDF};

/// 1-based ranks `(k, n - k + 1)` of the sorted values that bound the median with at least
/// `confidence`; `None` when `n` is too small for any such interval.
pub fn median_ci_ranks(n: usize, confidence: f64) -> Option<(usize, usize)> {
    if n == 0 {
        return None;
    }
    let binomial = Binomial::new(0.5, n as u64).ok()?;
    // [x_(k), x_(n-k+1)] misses the median with probability 2 P(B <= k - 1).
    (1..=n / 2)
        .take_while(|k| 1.0 - 2.0 * binomial.cdf(*k as u64 - 1) >= confidence)
        .last()
        .map(|k| (k, n - k + 1))
}

/// The interval itself, from values in any order.
pub fn median_ci(values: &[f64], confidence: f64) -> Option<(f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (low, high) = median_ci_ranks(sorted.len(), confidence)?;
    Some((sorted[low - 1], sorted[high - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference ranks from scipy.stats.binom: the largest k with 1 - 2 cdf(k - 1) >= 0.95.
    #[test]
    fn ranks_match_the_binomial_reference() {
        assert_eq!(median_ci_ranks(5, 0.95), None);
        assert_eq!(median_ci_ranks(6, 0.95), Some((1, 6)));
        assert_eq!(median_ci_ranks(10, 0.95), Some((2, 9)));
        assert_eq!(median_ci_ranks(20, 0.95), Some((6, 15)));
    }

    #[test]
    fn interval_brackets_the_median() {
        let values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0, 10.0];
        assert_eq!(median_ci(&values, 0.95), Some((2.0, 9.0)));
    }
}

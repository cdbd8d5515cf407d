//! The Mann-Whitney U test, and the Hodges-Lehmann interval for a ratio that goes with it.

use statrs::distribution::{ContinuousCDF, Normal};

use super::rank::{hodges_lehmann, log_estimate, lower_tail_count, ranks};

/// The test's outcome for samples `x` and `y`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UTest {
    /// U of `x`: pairs with x > y, ties counting one half.
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Whether `p` comes from the exact distribution (no ties, small samples).
    pub exact: bool,
}

/// Largest total size for which the exact distribution is tabulated.
const EXACT_LIMIT: usize = 50;

/// Counts of each U value over all arrangements of `n1` and `n2` items (no ties).
fn exact_counts(n1: usize, n2: usize) -> Vec<f64> {
    // counts[i][j][u]: arrangements of i x's and j y's with U = u, built up one item at a time.
    let max_u = n1 * n2;
    let mut previous: Vec<Vec<f64>> = (0..=n2).map(|_| vec![0.0; max_u + 1]).collect();
    for row in previous.iter_mut() {
        row[0] = 1.0;
    }
    for i in 1..=n1 {
        let mut current: Vec<Vec<f64>> = (0..=n2).map(|_| vec![0.0; max_u + 1]).collect();
        current[0][0] = 1.0;
        for j in 1..=n2 {
            for u in 0..=i * j {
                // The largest item is an x (it beats all j y's) or a y.
                let with_x = if u >= j { previous[j][u - j] } else { 0.0 };
                current[j][u] = with_x + current[j - 1][u];
            }
        }
        previous = current;
    }
    previous.swap_remove(n2)
}

/// Two-sided Mann-Whitney U test: from the exact distribution when there are no ties and
/// at most 50 values in all (the p of scipy.stats.mannwhitneyu with `method='exact'`), else
/// the normal approximation with tie and continuity corrections (`method='asymptotic'`).
pub fn u_test(x: &[f64], y: &[f64]) -> Option<UTest> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let (ranks, tie_term) = ranks(&all);
    let rank_sum_x: f64 = ranks[..n1].iter().sum();
    let u = rank_sum_x - (n1 * (n1 + 1)) as f64 / 2.0;
    let product = (n1 * n2) as f64;
    let u_high = u.max(product - u);
    if tie_term == 0.0 && n1 + n2 <= EXACT_LIMIT {
        let counts = exact_counts(n1, n2);
        let total: f64 = counts.iter().sum();
        let at_least: f64 = counts[u_high as usize..].iter().sum();
        return Some(UTest {
            u,
            p: (2.0 * at_least / total).min(1.0),
            exact: true,
        });
    }
    let n = (n1 + n2) as f64;
    let variance = product / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return Some(UTest {
            u,
            p: 1.0,
            exact: false,
        });
    }
    let z = (u_high - product / 2.0 - 0.5) / variance.sqrt();
    let normal = Normal::standard();
    Some(UTest {
        u,
        p: (2.0 * (1.0 - normal.cdf(z))).clamp(0.0, 1.0),
        exact: false,
    })
}

/// Lower critical count `k` for a two-sided interval at `confidence`: the interval runs
/// from the k-th smallest to the k-th largest pairwise difference, dropping k - 1 from
/// each end.
fn critical_count(n1: usize, n2: usize, confidence: f64) -> usize {
    let alpha = 1.0 - confidence;
    let product = n1 * n2;
    if n1 + n2 <= EXACT_LIMIT {
        let k = lower_tail_count(&exact_counts(n1, n2), alpha);
        return k.min(product / 2);
    }
    let normal = Normal::standard();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0);
    let n = (n1 + n2) as f64;
    let sd = (product as f64 * (n + 1.0) / 12.0).sqrt();
    ((product as f64 / 2.0 - z * sd).floor().max(0.0) as usize).min(product / 2)
}

/// The unpaired Hodges-Lehmann comparison of `y` with `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioEstimate {
    /// The estimate of `y / x`: the median of all pairwise ratios y_j / x_i, taken on logs.
    pub ratio: f64,
    /// The interval at the confidence asked for, from the same sorted ratios, so that it
    /// always holds `ratio`; `None` when the samples are too small to exclude anything.
    pub ci: Option<(f64, f64)>,
}

/// The unpaired Hodges-Lehmann shift of `y` from `x`, in their own unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftEstimate {
    /// The median of all pairwise differences y_j - x_i.
    pub shift: f64,
    /// The interval at the confidence asked for, from the same sorted differences.
    pub ci: Option<(f64, f64)>,
}

/// Hodges-Lehmann estimate of `y - x` and its interval from the U distribution: for
/// figures that may be zero, such as the seconds a phase takes, where a ratio means
/// nothing. `None` for an empty sample or a value that is not finite.
pub fn shift_estimate(x: &[f64], y: &[f64], confidence: f64) -> Option<ShiftEstimate> {
    if x.iter().chain(y).any(|v| !v.is_finite()) || x.is_empty() || y.is_empty() {
        return None;
    }
    let differences: Vec<f64> = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| b - a))
        .collect();
    let k = critical_count(x.len(), y.len(), confidence);
    let (shift, ci) = hodges_lehmann(differences, k)?;
    Some(ShiftEstimate { shift, ci })
}

/// Hodges-Lehmann estimate of `y / x` and its interval: from the sorted pairwise
/// differences of logs, their median and the bounds that the U distribution gives at
/// `confidence`. `None` for an empty sample or values that are not positive.
pub fn ratio_estimate(x: &[f64], y: &[f64], confidence: f64) -> Option<RatioEstimate> {
    if x.iter().chain(y).any(|v| !(v.is_finite() && *v > 0.0)) || x.is_empty() || y.is_empty() {
        return None;
    }
    let differences: Vec<f64> = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| b.ln() - a.ln()))
        .collect();
    let k = critical_count(x.len(), y.len(), confidence);
    let (ratio, ci) = log_estimate(differences, k)?;
    Some(RatioEstimate { ratio, ci })
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 9] = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
    // A measured sample that happens to hold 3.14, not an approximation of pi.
    #[allow(clippy::approx_constant)]
    const Y: [f64; 9] = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
    }

    // Reference values from scipy.stats.mannwhitneyu 1.17 (two-sided): `method='asymptotic'`
    // with ties, `method='exact'` for the exact p-values.
    #[test]
    fn ties_use_the_corrected_normal_approximation() {
        // Y has ties (1.06, 1.29): scipy's asymptotic p = 0.13291945818531892, U = 58.
        let test = u_test(&X, &Y).unwrap();
        assert_eq!(test.u, 58.0);
        assert!(!test.exact);
        assert!(close(test.p, 0.13291945818531892), "{}", test.p);
        let ties = u_test(
            &[1., 2., 2., 3., 4., 5., 5., 6.],
            &[3., 4., 5., 6., 7., 7., 8., 9.],
        )
        .unwrap();
        assert_eq!(ties.u, 10.5);
        assert!(close(ties.p, 0.026406384788933455), "{}", ties.p);
    }

    #[test]
    fn small_samples_without_ties_are_exact() {
        let test = u_test(&[1., 2., 3., 4., 5.], &[6., 7., 8., 9., 10.]).unwrap();
        assert!(test.exact);
        assert_eq!(test.u, 0.0);
        assert!(close(test.p, 0.007936507936507936), "{}", test.p);
        let a = [10.1, 10.3, 9.9, 10.0, 10.2, 10.4, 9.8, 10.05, 10.15, 10.25];
        let b = [
            10.6, 10.8, 10.5, 10.7, 10.9, 10.65, 10.55, 10.75, 10.85, 10.95,
        ];
        let test = u_test(&a, &b).unwrap();
        assert!(close(test.p, 1.082508822446903e-05), "{}", test.p);
        // Nearly the same sample: U = 45 of 100, nowhere near significant.
        let same = u_test(&a, &a.map(|v| v + 1e-9)).unwrap();
        assert_eq!(same.u, 45.0);
        assert!(close(same.p, 0.7393643508194593), "{}", same.p);
    }

    #[test]
    fn exact_counts_sum_to_the_arrangements() {
        let counts = exact_counts(4, 6);
        assert_eq!(counts.iter().sum::<f64>(), 210.0); // C(10, 4)
        assert_eq!(counts.len(), 25);
        assert_eq!(counts[0], 1.0);
        // Symmetric around n1 n2 / 2 (swap the roles of x and y), with its mode there: 18
        // of the 210 arrangements, the number of partitions of 12 that fit a 4 by 6 box.
        for u in 0..=24 {
            assert_eq!(counts[u], counts[24 - u], "U = {u}");
        }
        assert_eq!(counts[12], 18.0);
        assert_eq!(counts[..6], [1.0, 1.0, 2.0, 3.0, 5.0, 6.0]);
    }

    #[test]
    fn exact_counts_match_enumeration() {
        // Every choice of the x positions among n1 + n2 sorted values, U counted directly.
        for (n1, n2) in [(1, 1), (2, 3), (4, 6), (5, 5), (3, 7)] {
            let mut brute = vec![0.0; n1 * n2 + 1];
            for mask in 0u32..(1 << (n1 + n2)) {
                if mask.count_ones() as usize != n1 {
                    continue;
                }
                let mut ys_below = 0;
                let mut u = 0;
                for position in 0..n1 + n2 {
                    if mask & (1 << position) != 0 {
                        u += ys_below;
                    } else {
                        ys_below += 1;
                    }
                }
                brute[u] += 1.0;
            }
            assert_eq!(exact_counts(n1, n2), brute, "n1 = {n1}, n2 = {n2}");
        }
    }

    #[test]
    fn ratio_interval_covers_a_known_shift() {
        let base = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00, 1.01, 0.99];
        let scaled: Vec<f64> = base.iter().rev().map(|v| v * 1.05).collect();
        let (low, high) = ratio_estimate(&base, &scaled, 0.95).unwrap().ci.unwrap();
        assert!(low < 1.05 && 1.05 < high, "[{low}, {high}]");
        assert!(
            low > 1.0,
            "a 5% shift on 3% noise is significant: [{low}, {high}]"
        );
        let small = ratio_estimate(&[1.0, 2.0], &[1.5], 0.95).unwrap();
        assert_eq!(small.ci, None);
        // The ratios are 1.5 and 0.75: the estimate is their geometric mean.
        assert!(
            close(small.ratio, (1.5f64 * 0.75).sqrt()),
            "{}",
            small.ratio
        );
        assert_eq!(ratio_estimate(&[1.0, 0.0], &[1.5], 0.95), None);
    }

    #[test]
    fn shift_interval_covers_a_known_added_time_and_zero_is_allowed() {
        let base = [0.0, 0.01, 0.02, 0.0, 0.01, 0.03, 0.0, 0.02, 0.01, 0.0];
        let later: Vec<f64> = base.iter().rev().map(|v| v + 0.3).collect();
        let estimate = shift_estimate(&base, &later, 0.95).unwrap();
        assert!(close(estimate.shift, 0.3), "{}", estimate.shift);
        let (low, high) = estimate.ci.unwrap();
        assert!(
            low <= 0.3 && 0.3 <= high && low > 0.2 && high < 0.4,
            "[{low}, {high}]"
        );
        // The differences are -1 and +1: the median is their middle.
        let small = shift_estimate(&[1.0, 3.0], &[2.0], 0.95).unwrap();
        assert_eq!((small.shift, small.ci), (0.0, None));
        assert_eq!(shift_estimate(&[f64::NAN], &[1.0], 0.95), None);
    }

    #[test]
    fn critical_count_matches_the_u_table() {
        // The classic two-sided 5% U table rejects at U <= 23 for n1 = n2 = 10 and U <= 2
        // for n1 = n2 = 5; k is one more, so the interval drops as many differences as the
        // critical U from each end (23 and 2): it runs from the 24th smallest to the 24th
        // largest of 100, and from the 3rd to the 3rd largest of 25.
        assert_eq!(critical_count(10, 10, 0.95), 24);
        assert_eq!(critical_count(5, 5, 0.95), 3);
    }
}

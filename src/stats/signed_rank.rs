//! The Wilcoxon signed-rank test and its Hodges-Lehmann interval, for paired runs.
//!
//! Interleaved rounds pair each profiled run with the baseline run next to it in time.
//! When the machine drifts between rounds (a neighbour starts, the clock throttles), both
//! runs of a round move together, and the ratio within the round cancels the drift that
//! the unpaired Mann-Whitney comparison has to count as noise.

use statrs::distribution::{ContinuousCDF, Normal};

use super::rank::{log_estimate, lower_tail_count, ranks};

/// Largest number of pairs for which the exact distribution is tabulated.
const EXACT_LIMIT: usize = 50;

/// Counts of each rank sum T+ over all 2^n sign assignments of ranks 1..=n.
fn exact_counts(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0; max + 1];
    counts[0] = 1.0;
    for rank in 1..=n {
        for sum in (rank..=max).rev() {
            counts[sum] += counts[sum - rank];
        }
    }
    counts
}

/// Two-sided p-value of the signed-rank test that the differences are centred on zero,
/// zero differences dropped (scipy's default `zero_method='wilcox'`): from the exact
/// distribution when there are no ties and at most 50 pairs (the p of scipy.stats.wilcoxon
/// with `method='exact'`), else the normal approximation with the tie correction and no
/// continuity correction (`method='asymptotic'`). `None` without a non-zero difference.
pub fn signed_rank_p(differences: &[f64]) -> Option<f64> {
    let nonzero: Vec<f64> = differences
        .iter()
        .copied()
        .filter(|d| d.is_finite() && *d != 0.0)
        .collect();
    let n = nonzero.len();
    if n == 0 {
        return None;
    }
    let magnitudes: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
    let (ranks, tie_term) = ranks(&magnitudes);
    let t_plus: f64 = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let total = (n * (n + 1)) as f64 / 2.0;
    let t_low = t_plus.min(total - t_plus);
    if tie_term == 0.0 && n <= EXACT_LIMIT {
        let counts = exact_counts(n);
        let all: f64 = counts.iter().sum();
        let at_most: f64 = counts[..=t_low as usize].iter().sum();
        return Some((2.0 * at_most / all).min(1.0));
    }
    let nf = n as f64;
    let variance = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    if variance <= 0.0 {
        return Some(1.0);
    }
    let z = (t_low - total / 2.0) / variance.sqrt();
    Some((2.0 * Normal::standard().cdf(z)).clamp(0.0, 1.0))
}

/// Critical count `k` for a two-sided interval at `confidence` with `n` pairs: the largest
/// k with P(T+ <= k - 1) <= alpha / 2. The interval runs from the k-th smallest to the
/// k-th largest Walsh average, dropping k - 1 from each end.
fn critical_count(n: usize, confidence: f64) -> usize {
    let alpha = 1.0 - confidence;
    let pairs = n * (n + 1) / 2;
    if n <= EXACT_LIMIT {
        let k = lower_tail_count(&exact_counts(n), alpha);
        return k.min(pairs / 2);
    }
    let nf = n as f64;
    let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
    let sd = (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
    ((pairs as f64 / 2.0 - z * sd).floor().max(0.0) as usize).min(pairs / 2)
}

/// A paired estimate of `y / x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedRatio {
    /// Hodges-Lehmann estimate: the median of the Walsh averages of the log ratios.
    pub ratio: f64,
    /// Interval at the confidence asked for; `None` with too few pairs to exclude anything.
    pub ci: Option<(f64, f64)>,
    /// Signed-rank p-value of "no difference".
    pub p: Option<f64>,
    pub pairs: usize,
}

/// Paired comparison of `pairs` of (baseline, other) values, all positive.
pub fn paired_ratio(pairs: &[(f64, f64)], confidence: f64) -> Option<PairedRatio> {
    if pairs.is_empty()
        || pairs
            .iter()
            .any(|(x, y)| !(x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0))
    {
        return None;
    }
    let logs: Vec<f64> = pairs.iter().map(|(x, y)| y.ln() - x.ln()).collect();
    let mut walsh: Vec<f64> = Vec::with_capacity(logs.len() * (logs.len() + 1) / 2);
    for i in 0..logs.len() {
        for j in i..logs.len() {
            walsh.push((logs[i] + logs[j]) / 2.0);
        }
    }
    let k = critical_count(logs.len(), confidence);
    let (ratio, ci) = log_estimate(walsh, k)?;
    Some(PairedRatio {
        ratio,
        ci,
        p: signed_rank_p(&logs),
        pairs: logs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    /// Brute force over every sign assignment: an independent count to check the recurrence.
    fn brute_counts(n: usize) -> Vec<f64> {
        let max = n * (n + 1) / 2;
        let mut counts = vec![0.0; max + 1];
        for signs in 0u32..(1 << n) {
            let sum: usize = (1..=n).filter(|r| signs & (1 << (r - 1)) != 0).sum();
            counts[sum] += 1.0;
        }
        counts
    }

    #[test]
    fn exact_distribution_matches_enumeration() {
        for n in [1, 2, 5, 10, 12] {
            assert_eq!(exact_counts(n), brute_counts(n), "n = {n}");
        }
    }

    #[test]
    fn exact_p_values_from_the_table() {
        // Ten pairs all moving up: only 1 of 1024 sign assignments is as extreme, on each side.
        let up: Vec<f64> = (1..=10).map(|i| i as f64).collect();
        assert!(close(signed_rank_p(&up).unwrap(), 2.0 / 1024.0));
        // Negative ranks summing to 8: 25 of 1024 assignments have T <= 8 (the classic
        // table's 5% critical value for n = 10), so p = 50 / 1024 = 0.0488.
        let mut d = up.clone();
        d[7] = -8.0;
        assert!(close(signed_rank_p(&d).unwrap(), 50.0 / 1024.0));
        // T <= 9 holds for 33 assignments: p = 0.0645, no longer significant.
        let mut d = up.clone();
        d[8] = -9.0;
        assert!(close(signed_rank_p(&d).unwrap(), 66.0 / 1024.0));
        // Zero differences are dropped; none left means no test.
        assert!(close(signed_rank_p(&[0.0, 1.0, 2.0]).unwrap(), 0.5));
        assert_eq!(signed_rank_p(&[0.0, 0.0]), None);
    }

    #[test]
    fn ties_use_the_normal_approximation() {
        // scipy.stats.wilcoxon([1, 1, 2, 2, -3, 4, 5, 6]) (ties, so "approx"): the tie-corrected
        // z is (T - 18) / sqrt(51 - 12/48) with T = 5 here, computed by hand below.
        let d = [1.0, 1.0, 2.0, 2.0, -3.0, 4.0, 5.0, 6.0];
        let z: f64 = (5.0 - 18.0) / (51.0f64 - 0.25).sqrt();
        let expected = 2.0 * Normal::standard().cdf(z);
        assert!(close(signed_rank_p(&d).unwrap(), expected));
        assert!(expected > 0.05 && expected < 0.1, "{expected}");
    }

    #[test]
    fn critical_counts_from_the_table() {
        // For n = 10 the 95% interval runs from the 9th to the 47th of 55 Walsh averages;
        // for n = 6 from the 1st to the 21st; below 6 pairs no interval exists.
        assert_eq!(critical_count(10, 0.95), 9);
        assert_eq!(critical_count(6, 0.95), 1);
        assert_eq!(critical_count(5, 0.95), 0);
        // n = 20: the table's critical T is 52, so k = 53.
        assert_eq!(critical_count(20, 0.95), 53);
    }

    #[test]
    fn pairing_cancels_drift_between_rounds() {
        // The machine slows by up to 40% across rounds; within a round the profiled run
        // costs 5% more, give or take 0.3%.
        let jitter = [
            0.001, 0.003, -0.002, 0.0015, -0.003, 0.002, -0.001, 0.0005, 0.0025, -0.0025,
        ];
        let pairs: Vec<(f64, f64)> = (0..10)
            .map(|i| {
                let base = 1.0 + 0.04 * i as f64;
                (base, base * (1.05 + jitter[i]))
            })
            .collect();
        let paired = paired_ratio(&pairs, 0.95).unwrap();
        let (low, high) = paired.ci.unwrap();
        assert!(
            low < 1.05 && 1.05 < high && high - low < 0.01,
            "[{low}, {high}]"
        );
        assert!((paired.ratio - 1.05).abs() < 0.002, "{}", paired.ratio);
        assert!(close(paired.p.unwrap(), 2.0 / 1024.0));
        assert_eq!(paired.pairs, 10);
        // The unpaired interval on the same runs cannot see through the drift.
        let x: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let y: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let unpaired = super::super::mann_whitney::ratio_estimate(&x, &y, 0.95).unwrap();
        let (u_low, u_high) = unpaired.ci.unwrap();
        assert!(u_low < 1.0 && u_high - u_low > 0.2, "[{u_low}, {u_high}]");
    }

    #[test]
    fn bad_values_give_no_estimate() {
        assert_eq!(paired_ratio(&[], 0.95), None);
        assert_eq!(paired_ratio(&[(1.0, 0.0)], 0.95), None);
        let single = paired_ratio(&[(2.0, 3.0)], 0.95).unwrap();
        assert!(close(single.ratio, 1.5));
        assert_eq!(single.ci, None);
    }
}

//! Pieces the rank tests share: ranks with ties, and the tail of an exact distribution.

/// Ranks of `values` from 1, ties sharing their average rank, and the tie term
/// sum(t^3 - t) over groups of t tied values, which the normal approximations correct by.
pub fn ranks(values: &[f64]) -> (Vec<f64>, f64) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    let mut ranks = vec![0.0; values.len()];
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end) as f64 / 2.0 + 1.0;
        for index in &order[start..=end] {
            ranks[*index] = average;
        }
        let t = (end - start + 1) as f64;
        tie_term += t * t * t - t;
        start = end + 1;
    }
    (ranks, tie_term)
}

/// For a statistic whose exact distribution is `counts` (arrangements per value from 0),
/// the largest k with P(statistic <= k - 1) <= alpha / 2: a two-sided interval runs from the
/// k-th smallest to the k-th largest ordered estimate, dropping k - 1 from each end (none
/// exists when k is 0).
pub fn lower_tail_count(counts: &[f64], alpha: f64) -> usize {
    let total: f64 = counts.iter().sum();
    let mut below = 0.0;
    let mut k = 0;
    for count in counts {
        if (below + count) / total > alpha / 2.0 {
            break;
        }
        below += count;
        k += 1;
    }
    k
}

/// A Hodges-Lehmann estimate and its interval from `estimates`, the pairwise estimates a
/// rank test orders (pairwise differences, Walsh averages): their median, and the k-th
/// smallest and the k-th largest; no interval when k is 0. Since k is at most half their
/// number, the estimate always lies within its interval.
pub fn hodges_lehmann(mut estimates: Vec<f64>, k: usize) -> Option<(f64, Option<(f64, f64)>)> {
    estimates.sort_by(f64::total_cmp);
    let estimate = super::median(&estimates)?;
    let n = estimates.len();
    let interval = (k > 0 && k <= n).then(|| (estimates[k - 1], estimates[n - k]));
    Some((estimate, interval))
}

/// The same on log-scale estimates, brought back as ratios.
pub fn log_estimate(logs: Vec<f64>, k: usize) -> Option<(f64, Option<(f64, f64)>)> {
    let (estimate, interval) = hodges_lehmann(logs, k)?;
    Some((
        estimate.exp(),
        interval.map(|(low, high)| (low.exp(), high.exp())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        let (ranks, tie_term) = ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(ranks, [4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(tie_term, 24.0); // one group of three: 27 - 3
    }

    #[test]
    fn tail_count_stops_before_alpha_half() {
        // 1, 1, 1, 2, ... of 32: P(<= 0) = 1/32 > 0.025, so k = 0 and no interval exists.
        // Of 100, P(<= 1) = 0.02 and P(<= 2) = 0.03: k = 2, one estimate dropped each end.
        assert_eq!(lower_tail_count(&[1.0, 1.0, 1.0, 2.0, 27.0], 0.05), 0);
        assert_eq!(lower_tail_count(&[1.0, 1.0, 1.0, 2.0, 95.0], 0.05), 2);
    }
}

//! Top-k metrics with their textbook definitions: precision@k, recall@k, hit rate@k and
//! NDCG@k with binary relevance (`DCG = Σ 1/log2(rank + 1)` over hits, divided by the ideal
//! DCG of min(k, |test items|) hits); RMSE and MAE for ratings.

/// Top-k metrics of one evaluation, macro-averaged over users with at least one test item.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct TopK {
    /// hits / k.
    pub precision: f64,
    /// hits / |test_u|.
    pub recall: f64,
    /// 1 if any hit.
    pub hr: f64,
    /// DCG / IDCG with IDCG over min(k, |test_u|) items.
    pub ndcg: f64,
    /// Standard error of `hr` over users (sample sd / √users): the sampling error of the test
    /// split itself, to judge whether two models' difference on one split means anything.
    pub hr_se: f64,
    /// Standard error of `ndcg` over users, likewise.
    pub ndcg_se: f64,
    /// Users evaluated.
    pub users: usize,
}

/// Standard error of a mean from `n` values with sum `s` and sum of squares `sq` (0 below two).
fn std_error(s: f64, sq: f64, n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let nf = n as f64;
    let var = ((sq - s * s / nf) / (nf - 1.0)).max(0.0);
    (var / nf).sqrt()
}

/// Accumulates per-user top-k results.
#[derive(Debug, Clone, Default)]
pub struct TopKAccumulator {
    k: usize,
    sum: TopK,
    /// Sums of squares of the per-user hit and NDCG values (for the standard errors).
    sq_hr: f64,
    sq_ndcg: f64,
}

impl TopKAccumulator {
    /// For cut-off `k`.
    #[must_use]
    pub fn new(k: usize) -> Self {
        TopKAccumulator {
            k,
            sum: TopK::default(),
            sq_hr: 0.0,
            sq_ndcg: 0.0,
        }
    }

    /// Add one user: `ranked` are the recommended item indices (best first, at most k),
    /// `truth` the user's test items (non-empty).
    pub fn add(&mut self, ranked: &[usize], truth: &[usize]) {
        if truth.is_empty() {
            return;
        }
        let k = self.k;
        let mut hits = 0usize;
        let mut dcg = 0.0;
        for (pos, item) in ranked.iter().take(k).enumerate() {
            if truth.contains(item) {
                hits += 1;
                dcg += 1.0 / ((pos + 2) as f64).log2();
            }
        }
        let idcg: f64 = (0..k.min(truth.len()))
            .map(|p| 1.0 / ((p + 2) as f64).log2())
            .sum();
        self.sum.precision += hits as f64 / k as f64;
        self.sum.recall += hits as f64 / truth.len() as f64;
        let (hit, ndcg) = (f64::from(u8::from(hits > 0)), dcg / idcg);
        self.sum.hr += hit;
        self.sum.ndcg += ndcg;
        self.sq_hr += hit * hit;
        self.sq_ndcg += ndcg * ndcg;
        self.sum.users += 1;
    }

    /// Merge another accumulator (for parallel evaluation).
    pub fn merge(mut self, o: &TopKAccumulator) -> Self {
        self.sum.precision += o.sum.precision;
        self.sum.recall += o.sum.recall;
        self.sum.hr += o.sum.hr;
        self.sum.ndcg += o.sum.ndcg;
        self.sum.users += o.sum.users;
        self.sq_hr += o.sq_hr;
        self.sq_ndcg += o.sq_ndcg;
        self
    }

    /// The averages.
    #[must_use]
    pub fn finish(&self) -> TopK {
        let n = self.sum.users.max(1) as f64;
        TopK {
            precision: self.sum.precision / n,
            recall: self.sum.recall / n,
            hr: self.sum.hr / n,
            ndcg: self.sum.ndcg / n,
            hr_se: std_error(self.sum.hr, self.sq_hr, self.sum.users),
            ndcg_se: std_error(self.sum.ndcg, self.sq_ndcg, self.sum.users),
            users: self.sum.users,
        }
    }
}

/// Root mean squared error of predictions clipped to `[lo, hi]`.
#[must_use]
pub fn rmse(pred: &[f32], truth: &[f32], lo: f32, hi: f32) -> f64 {
    let n = pred.len().max(1) as f64;
    (pred
        .iter()
        .zip(truth)
        .map(|(p, t)| {
            let e = f64::from(p.clamp(lo, hi) - t);
            e * e
        })
        .sum::<f64>()
        / n)
        .sqrt()
}

/// Mean absolute error of predictions clipped to `[lo, hi]`.
#[must_use]
pub fn mae(pred: &[f32], truth: &[f32], lo: f32, hi: f32) -> f64 {
    let n = pred.len().max(1) as f64;
    pred.iter()
        .zip(truth)
        .map(|(p, t)| f64::from((p.clamp(lo, hi) - t).abs()))
        .sum::<f64>()
        / n
}

/// Area under the ROC curve of scores for binary labels, ties counted as ½
/// (Mann–Whitney U with mid-ranks). `None` when one class is absent.
#[must_use]
pub fn auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let npos = labels.iter().filter(|&&l| l).count();
    let nneg = labels.len() - npos;
    if npos == 0 || nneg == 0 {
        return None;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &r in &idx[i..=j] {
            if labels[r] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    Some((rank_sum - (npos * (npos + 1)) as f64 / 2.0) / (npos as f64 * nneg as f64))
}

/// Mean binary cross-entropy of probabilities (clipped to `[1e-7, 1 − 1e-7]`).
#[must_use]
pub fn logloss(probs: &[f32], labels: &[bool]) -> f64 {
    let n = probs.len().max(1) as f64;
    probs
        .iter()
        .zip(labels)
        .map(|(&p, &l)| {
            let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
            if l {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n
}

/// Share of probabilities on the right side of 0.5.
#[must_use]
pub fn accuracy(probs: &[f32], labels: &[bool]) -> f64 {
    let n = probs.len().max(1) as f64;
    probs
        .iter()
        .zip(labels)
        .filter(|(&p, &l)| (p >= 0.5) == l)
        .count() as f64
        / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topk_hand_computed() {
        let mut acc = TopKAccumulator::new(3);
        // user A: ranked [5, 1, 9], truth {1, 9, 7, 8}: hits at positions 2 and 3
        acc.add(&[5, 1, 9], &[1, 9, 7, 8]);
        // user B: ranked [2, 3, 4], truth {6}: no hit
        acc.add(&[2, 3, 4], &[6]);
        let m = acc.finish();
        let dcg = 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((m.precision - (2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert!((m.recall - 0.5 / 2.0).abs() < 1e-12);
        assert!((m.hr - 0.5).abs() < 1e-12);
        assert!((m.ndcg - dcg / idcg / 2.0).abs() < 1e-12);
        assert_eq!(m.users, 2);
        // standard errors: per-user hits {1, 0} have sample sd 1/√2, so se = ½; per-user
        // NDCG {x, 0} has sample sd x/√2, so se = x/2
        assert!((m.hr_se - 0.5).abs() < 1e-12);
        assert!((m.ndcg_se - dcg / idcg / 2.0).abs() < 1e-12);
        // merging two halves gives the same standard errors as one accumulator
        let (mut a, mut b) = (TopKAccumulator::new(3), TopKAccumulator::new(3));
        a.add(&[5, 1, 9], &[1, 9, 7, 8]);
        b.add(&[2, 3, 4], &[6]);
        let merged = a.merge(&b).finish();
        assert!(
            (merged.ndcg_se - m.ndcg_se).abs() < 1e-12 && (merged.hr_se - m.hr_se).abs() < 1e-12
        );
        // one user: no spread to estimate
        let mut one = TopKAccumulator::new(3);
        one.add(&[1], &[1]);
        assert_eq!(one.finish().ndcg_se, 0.0);
        // single test item hit at rank 1: ndcg = 1
        let mut acc = TopKAccumulator::new(10);
        acc.add(&[4, 1], &[4]);
        assert!((acc.finish().ndcg - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rating_and_classification_metrics() {
        assert!((rmse(&[6.0, 2.0], &[5.0, 3.0], 1.0, 5.0) - (0.5f64).sqrt()).abs() < 1e-9);
        assert!((mae(&[0.0, 2.0], &[1.0, 3.0], 1.0, 5.0) - 0.5).abs() < 1e-9);
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5], &[true]), None);
        let ll = logloss(&[0.9, 0.2], &[true, false]);
        assert!((ll - (-(0.9f64).ln() - (0.8f64).ln()) / 2.0).abs() < 1e-6);
        assert!((accuracy(&[0.9, 0.6], &[true, false]) - 0.5).abs() < 1e-12);
    }
}

//! Classification metrics: `auc` (ties get half credit, as scikit-learn's
//! `roc_auc_score`), `logloss` (probabilities clipped to `[1e-15, 1 - 1e-15]`) and `accuracy`
//! (at 0.5); and regression's RMSE/MAE.

use serde::Serialize;

/// Metrics of probabilities against 0/1 labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Classification {
    /// Area under the ROC curve (NaN when only one class is present).
    pub auc: f64,
    /// Mean binary cross-entropy.
    pub logloss: f64,
    /// Share of examples with `(p >= 0.5) == (y >= 0.5)`.
    pub accuracy: f64,
}

/// AUC by the rank-sum (Mann–Whitney) formula with average ranks for tied scores.
#[must_use]
pub fn auc(scores: &[f32], labels: &[f32]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len().min(labels.len())).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut pos_rank_sum, mut n_pos) = (0.0f64, 0usize);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        // ranks i+1 ..= j+1 share their average
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] >= 0.5 {
                pos_rank_sum += avg;
                n_pos += 1;
            }
        }
        i = j + 1;
    }
    let n_neg = idx.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    let np = n_pos as f64;
    (pos_rank_sum - np * (np + 1.0) / 2.0) / (np * n_neg as f64)
}

/// Mean log-loss of probabilities `p` for labels `y`.
#[must_use]
pub fn logloss(p: &[f32], y: &[f32]) -> f64 {
    let n = p.len().min(y.len());
    if n == 0 {
        return f64::NAN;
    }
    let eps = 1e-15;
    p.iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = f64::from(p).clamp(eps, 1.0 - eps);
            if y >= 0.5 {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n as f64
}

/// AUC, log-loss and accuracy of probabilities `p` for 0/1 labels `y`.
#[must_use]
pub fn classification(p: &[f32], y: &[f32]) -> Classification {
    let n = p.len().min(y.len()).max(1);
    let right = p
        .iter()
        .zip(y)
        .filter(|(&p, &y)| (p >= 0.5) == (y >= 0.5))
        .count();
    Classification {
        auc: auc(p, y),
        logloss: logloss(p, y),
        accuracy: right as f64 / n as f64,
    }
}

/// Root mean squared error and mean absolute error.
#[must_use]
pub fn rmse_mae(pred: &[f32], y: &[f32]) -> (f64, f64) {
    let n = pred.len().min(y.len()).max(1) as f64;
    let (se, ae) = pred.iter().zip(y).fold((0.0, 0.0), |(s, a), (&p, &y)| {
        let d = f64::from(p) - f64::from(y);
        (s + d * d, a + d.abs())
    });
    ((se / n).sqrt(), ae / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_against_hand_computed_cases() {
        // pairs (pos, neg): (0.8,0.1) (0.8,0.4) (0.35,0.1) (0.35,0.4) → 3 of 4 ordered
        let s = [0.1, 0.4, 0.35, 0.8];
        let y = [0.0, 0.0, 1.0, 1.0];
        assert!((auc(&s, &y) - 0.75).abs() < 1e-12);
        // a tie between a positive and a negative counts one half
        assert!((auc(&[0.5, 0.5], &[0.0, 1.0]) - 0.5).abs() < 1e-12);
        assert!((auc(&[0.2, 0.5, 0.5], &[0.0, 0.0, 1.0]) - 0.75).abs() < 1e-12);
        assert!(auc(&[0.1, 0.2], &[1.0, 1.0]).is_nan());
    }

    #[test]
    fn logloss_accuracy_and_rmse() {
        let p = [0.9f32, 0.2, 0.6];
        let y = [1.0f32, 0.0, 0.0];
        let want = (-(0.9f64.ln()) - 0.8f64.ln() - 0.4f64.ln()) / 3.0;
        let c = classification(&p, &y);
        assert!((c.logloss - want).abs() < 1e-6, "{}", c.logloss);
        assert!((c.accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert!(logloss(&[1.0], &[0.0]).is_finite());
        let (r, m) = rmse_mae(&[1.0, 3.0], &[2.0, 5.0]);
        assert!((r - (2.5f64).sqrt()).abs() < 1e-12 && (m - 1.5).abs() < 1e-12);
    }
}

//! The hyper-parameters of BPR, WARP and the hybrid, checked once.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// BPR hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BprParams {
    /// Latent factors.
    pub dim: usize,
    /// Passes over the positive interactions.
    pub epochs: usize,
    /// SGD learning rate.
    pub lr: f32,
    /// L2 on factors.
    pub reg: f32,
    /// L2 on item biases.
    pub reg_bias: f32,
    /// Standard deviation of the initial factors.
    pub init_std: f32,
    /// Add genre embeddings to item vectors (LightFM-style hybrid; see [`super::hybrid`]).
    #[serde(default)]
    pub item_features: bool,
    /// WARP instead of BPR's sampled log-loss (Weston et al. 2011, LightFM's `warp`): draw up to
    /// `max_sampled` negatives until one scores within a margin of 1 of the positive, and
    /// weight the hinge step by `ln ⌊(n − 1) / trials⌋ / ln(n − 1)`, the log of the positive's
    /// estimated rank scaled to at most 1 (like BPR's σ weight, so plain SGD at BPR's learning
    /// rate stays stable) — positives ranked far down get full steps, those on top none.
    #[serde(default)]
    pub warp: bool,
    /// Most negatives drawn per positive with `warp`.
    #[serde(default = "default_max_sampled")]
    pub max_sampled: usize,
    /// Negatives are drawn with probability ∝ (item's training count)^α: 0 is uniform over
    /// the catalogue (Rendle's BPR, LightFM), 1 is proportional to popularity (implicit draws
    /// its negatives from the positives' item column, which is α = 1). Like word2vec's
    /// `ns_exponent`; items never seen in training are not drawn when α ≠ 0. Default 0.5,
    /// chosen on validation splits (BENCHMARKS.md, "Negative sampling"); models saved before
    /// the option existed drew uniformly, so a missing value reads as 0.
    #[serde(default)]
    pub ns_exponent: f64,
}

fn default_max_sampled() -> usize {
    10
}

/// Defaults chosen on validation splits cut from the ML-100K time-ordered training files
/// (BENCHMARKS.md, "How the defaults were chosen"): lr 0.02, λ 0.03, 100 epochs, negatives ∝ count^½.
impl Default for BprParams {
    fn default() -> Self {
        BprParams {
            dim: 64,
            epochs: 100,
            lr: 0.02,
            reg: 0.03,
            reg_bias: 0.01,
            init_std: 0.1,
            item_features: false,
            warp: false,
            max_sampled: default_max_sampled(),
            ns_exponent: 0.5,
        }
    }
}

impl BprParams {
    /// The WARP defaults: `warp` on, lr 0.01, L2 0.1, chosen on a validation split cut from
    /// the ML-100K training set (BENCHMARKS.md, "BPR and WARP").
    #[must_use]
    pub fn warp_default() -> Self {
        BprParams {
            warp: true,
            lr: 0.01,
            reg: 0.1,
            ..Default::default()
        }
    }

    /// The defaults for a loss (`warp`) and a model (`item_features`): [`Self::warp_default`]
    /// for WARP; the hybrid draws uniform negatives (α = 0) and, with the BPR loss, keeps
    /// lr 0.01 / λ 0.01 — on its validation split both scored higher than the plain model's
    /// choices (BENCHMARKS.md, "Negative sampling", "How the defaults were chosen").
    #[must_use]
    pub fn defaults_for(warp: bool, item_features: bool) -> Self {
        let base = if warp {
            Self::warp_default()
        } else {
            Self::default()
        };
        if item_features && warp {
            BprParams {
                item_features: true,
                ns_exponent: 0.0,
                ..base
            }
        } else if item_features {
            BprParams {
                item_features: true,
                ns_exponent: 0.0,
                lr: 0.01,
                reg: 0.01,
                ..base
            }
        } else {
            base
        }
    }

    /// Reject values no run could use.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Param(m.to_string()));
        if self.dim == 0 || self.dim > 4096 {
            return bad("factors must be in 1..=4096");
        }
        if self.epochs == 0 {
            return bad("epochs must be >= 1");
        }
        if self.warp && !(1..=100_000).contains(&self.max_sampled) {
            return bad("max_sampled must be in 1..=100000");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("learning_rate must be > 0");
        }
        if !(self.ns_exponent.is_finite() && (-4.0..=4.0).contains(&self.ns_exponent)) {
            return bad("neg_exponent must be in [-4, 4]");
        }
        if ![self.reg, self.reg_bias, self.init_std]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
        {
            return bad("regularization and init_std must be finite numbers >= 0");
        }
        Ok(())
    }
}

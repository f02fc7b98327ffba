//! The hyper-parameters of MF and SVD++, checked once.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// MF hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfParams {
    /// Latent factors.
    pub dim: usize,
    /// Passes over the ratings.
    pub epochs: usize,
    /// Initial learning rate.
    pub lr: f32,
    /// Multiplier of the learning rate after every epoch.
    pub lr_decay: f32,
    /// L2 on biases.
    pub reg_bias: f32,
    /// L2 on factors.
    pub reg: f32,
    /// Standard deviation of the initial factors.
    pub init_std: f32,
    /// Train SVD++ (implicit feedback term `|N(u)|^-½ Σ y_j`) instead of plain biased MF.
    #[serde(default)]
    pub svdpp: bool,
}

/// Defaults chosen on MovieLens-100K folds (see BENCHMARKS.md).
impl Default for MfParams {
    fn default() -> Self {
        MfParams {
            dim: 20,
            epochs: 20,
            lr: 0.03,
            lr_decay: 0.95,
            reg_bias: 0.02,
            reg: 0.1,
            init_std: 0.1,
            svdpp: false,
        }
    }
}

impl MfParams {
    /// SVD++ defaults, chosen on the MovieLens-100K `u1` fold (see BENCHMARKS.md): 20 factors,
    /// 20 epochs, lr 0.007 without decay, λ 0.1 on factors.
    #[must_use]
    pub fn svdpp_default() -> Self {
        MfParams {
            dim: 20,
            epochs: 20,
            lr: 0.007,
            lr_decay: 1.0,
            reg_bias: 0.02,
            reg: 0.1,
            init_std: 0.1,
            svdpp: true,
        }
    }

    /// Reject values no run could use.
    pub fn check(&self) -> Result<()> {
        let pos = |v: f32| v.is_finite() && v > 0.0;
        let nonneg = |v: f32| v.is_finite() && v >= 0.0;
        let bad = |m: &str| Err(Error::Param(m.to_string()));
        if self.dim == 0 || self.dim > 4096 {
            return bad("factors must be in 1..=4096");
        }
        if self.epochs == 0 {
            return bad("epochs must be >= 1");
        }
        if !pos(self.lr) || !pos(self.lr_decay) || self.lr_decay > 1.0 {
            return bad("learning_rate must be > 0 and lr_decay in (0, 1]");
        }
        if !nonneg(self.reg_bias) || !nonneg(self.reg) || !nonneg(self.init_std) {
            return bad("regularisation and init_std must be finite numbers >= 0");
        }
        Ok(())
    }
}

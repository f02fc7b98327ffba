//! Bayesian personalised ranking (Rendle et al. 2009) with item biases:
//! maximise `Σ ln σ(x_ui − x_uj)` over observed items i and sampled unobserved items j, where
//! `x_ui = p_u·q_i + b_i`, by SGD with L2.
//!
//! Parallel training is block-partitioned (the crate-private `models::blocks`): in each
//! stratum a worker owns a user block and an item block, and draws the negatives of that
//! block's positives from the item block: uniformly, or ∝ count^`neg_exponent` (default 0.5)
//! through the block's alias table. Over the strata of an epoch every item block serves every
//! user block. A negative that the user has interacted with is redrawn (up to 16 times).
//! Runs are deterministic for a seed and thread count.

pub mod hybrid;
mod loss;
mod params;
mod plain;

pub use params::BprParams;

use super::{TrainContext, Trainer};
use crate::data::{Catalog, Interactions};
use crate::error::Result;
use crate::model::Model;

/// The BPR trainer.
#[derive(Debug, Clone, Default)]
pub struct Bpr {
    /// Its parameters.
    pub params: BprParams,
}

impl Bpr {
    /// A BPR trainer with checked parameters.
    pub fn new(params: BprParams) -> Result<Bpr> {
        params.check()?;
        Ok(Bpr { params })
    }
}

impl Trainer for Bpr {
    fn name(&self) -> &'static str {
        "bpr"
    }

    fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Catalog>,
        ctx: &TrainContext,
    ) -> Result<Model> {
        let p = &self.params;
        p.check()?;
        super::require_interactions(data)?;
        if p.item_features {
            return hybrid::fit(p, data, catalog, ctx);
        }
        plain::fit(p, data, catalog, ctx)
    }
}

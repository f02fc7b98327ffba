//! Explicit biased matrix factorisation by SGD (Funk SVD, as Surprise's `SVD`):
//! `r̂ = μ + b_u + b_i + p_u·q_i`, squared error with L2 on biases and factors, trained with
//! block-partitioned parallel SGD (the crate-private `blocks`). Predictions are clipped to
//! the rating range seen in training.
//! SVD++ ([`svdpp`]) is the same trainer with `svdpp = true`.

mod params;
mod plain;
pub mod svdpp;

pub use params::MfParams;

use super::{TrainContext, Trainer};
use crate::data::{Catalog, Interactions};
use crate::error::{Error, Result};
use crate::model::Model;

/// The MF trainer.
#[derive(Debug, Clone, Default)]
pub struct Mf {
    /// Its parameters.
    pub params: MfParams,
}

impl Mf {
    /// An MF trainer with checked parameters.
    pub fn new(params: MfParams) -> Result<Mf> {
        params.check()?;
        Ok(Mf { params })
    }
}

impl Trainer for Mf {
    fn name(&self) -> &'static str {
        "mf"
    }

    fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Catalog>,
        ctx: &TrainContext,
    ) -> Result<Model> {
        let p = &self.params;
        p.check()?;
        if data.is_empty() {
            return Err(Error::Param("no ratings to train on".into()));
        }
        if p.svdpp {
            return svdpp::fit(p, data, catalog, ctx);
        }
        plain::fit(p, data, catalog, ctx)
    }
}

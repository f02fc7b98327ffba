//! Trainers. Each algorithm lives in its own module with checked parameters and implements
//! [`Trainer`]; every trainer passes the shared conformance suite (`tests/conformance.rs`).

pub mod als;
mod blocks;
pub mod bpr;
pub(crate) mod linalg;
pub mod mf;
pub mod svdpp;

use crate::data::{Catalog, Interactions};
use crate::error::{Error, Result};
use crate::model::Model;

/// Run settings shared by every trainer.
#[derive(Debug, Clone)]
pub struct TrainContext {
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Seed of every random choice; with `threads = 1` a run is bit-reproducible.
    pub seed: u64,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

impl Default for TrainContext {
    fn default() -> Self {
        TrainContext {
            threads: 0,
            seed: 42,
            progress: false,
        }
    }
}

impl TrainContext {
    /// Run `f` on a rayon pool of `threads` workers.
    pub fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| Error::Param(format!("cannot start {} threads: {e}", self.threads)))?;
        Ok(pool.install(f))
    }
}

/// A training algorithm over interaction data.
pub trait Trainer: Send + Sync {
    /// The `--algo` name.
    fn name(&self) -> &'static str;
    /// Train on `data` (titles from `catalog` are kept in the model for look-ups).
    fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Catalog>,
        ctx: &TrainContext,
    ) -> Result<Model>;
}

/// The names accepted by `--algo` that this build implements.
pub const ALGORITHMS: &[&str] = &["als", "mf", "bpr"];

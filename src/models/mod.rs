//! Trainers. Each algorithm lives in its own module with checked parameters and implements
//! [`Trainer`]; every trainer passes the shared conformance suite (`tests/conformance.rs`).

pub mod als;
mod blocks;
pub mod bpr;
pub mod dnn;
pub mod hybrid;
pub mod item2vec;
pub(crate) mod linalg;
pub mod mf;
pub mod svdpp;
pub mod word2vec;

use crate::data::{Catalog, Interactions};
use crate::error::{Error, Result};
use crate::model::Model;

/// Run settings shared by every trainer.
#[derive(Debug, Clone)]
pub struct TrainContext {
    /// Prior vectors for tables, by table name (see [`crate::transfer`]).
    pub inits: crate::transfer::Inits,
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
            inits: Default::default(),
            threads: 0,
            seed: 42,
            progress: false,
        }
    }
}

impl TrainContext {
    /// Initialise `table` (named `name`, rows indexed by `vocab`) from its prior, if one was
    /// given; returns the frozen-row mask (all false without a frozen prior) and records the
    /// report in `info["init"]`.
    pub fn init_table(
        &self,
        name: &str,
        table: &mut ndarray::Array2<f32>,
        vocab: &crate::vocab::Vocab,
        info: &mut Vec<crate::transfer::InitReport>,
    ) -> Result<Vec<bool>> {
        match self.inits.get(name) {
            Some(init) => {
                let (frozen, report) = init.apply(table, vocab)?;
                info.push(report);
                Ok(frozen)
            }
            None => Ok(vec![false; table.nrows()]),
        }
    }

    /// Reject priors for tables that `algo` does not have.
    pub fn check_inits(&self, algo: &str, tables: &[&str]) -> Result<()> {
        for name in self.inits.keys() {
            if !tables.contains(&name.as_str()) {
                return Err(Error::Param(format!(
                    "{algo} has no table '{name}' to initialise (tables: {})",
                    tables.join(", ")
                )));
            }
        }
        Ok(())
    }

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

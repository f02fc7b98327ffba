//! Trainers. Each algorithm lives in its own module with checked parameters and implements
//! [`Trainer`]; every trainer passes the shared conformance suite (`tests/conformance.rs`).

pub mod als;
mod blocks;
pub mod bpr;
pub mod cooccur;
pub mod dnn;
pub mod glove;
pub mod item2vec;
pub mod itemknn;
pub(crate) mod liked;
pub mod lsa;
pub mod mf;
pub(crate) mod rsvd;
pub mod weighting;
pub mod word2vec;

use crate::data::{Catalog, Interactions};
use crate::error::{Error, Result};
use crate::model::Model;

/// Stop a trainer whose epoch ended with a non-finite loss or parameter, so NaN or inf never
/// reach a saved table: the error names the algorithm, the 1-based epoch and what to change.
pub(crate) fn check_finite(
    algo: &str,
    epoch: usize,
    what: &str,
    finite: bool,
    hint: &str,
) -> Result<()> {
    if finite {
        Ok(())
    } else {
        Err(Error::Diverged {
            algo: algo.into(),
            epoch,
            what: what.into(),
            hint: hint.into(),
        })
    }
}

/// Refuse to train on no interactions.
pub(crate) fn require_interactions(data: &Interactions) -> Result<()> {
    if data.is_empty() {
        return Err(Error::Param("no interactions to train on".into()));
    }
    Ok(())
}

/// The usual advice when SGD-style training diverges.
pub(crate) const LOWER_LR: &str = "try a lower --lr (learning rate)";

/// Where a two-table factor model (users × k, items × k) starts: both tables drawn from
/// `init` (users with the run's seed, items with seed + 1), priors of the context applied
/// (frozen rows marked), and — when resuming — the saved tables, epochs done and epoch log.
/// ALS, MF and BPR start this way.
pub(crate) struct FactorStart<'c> {
    /// User factors.
    pub users: ndarray::Array2<f32>,
    /// Item factors.
    pub items: ndarray::Array2<f32>,
    /// User rows a frozen prior fixed.
    pub users_frozen: Vec<bool>,
    /// Item rows a frozen prior fixed.
    pub items_frozen: Vec<bool>,
    /// What the priors did.
    pub reports: Vec<crate::transfer::InitReport>,
    /// The first epoch to run (0, or the epochs a resumed model has done).
    pub first: usize,
    /// The epoch log so far (a resumed model's).
    pub log: Vec<crate::model::EpochLog>,
    /// The resumed model (for the state beyond the two tables: biases).
    pub resumed: Option<&'c Model>,
}

impl TrainContext {
    /// The start of a two-table factor model `algo` with parameters `params` (checked against
    /// a resumed model with `epochs_key` = `total`), `k` factors drawn from `init`.
    pub(crate) fn factor_start(
        &self,
        algo: &str,
        params: &serde_json::Value,
        (epochs_key, total): (&str, usize),
        data: &Interactions,
        init: crate::embedding::Initializer,
        k: usize,
    ) -> Result<FactorStart<'_>> {
        use crate::model::{ITEM_EMBEDDING, USER_EMBEDDING};
        self.check_inits(algo, &[USER_EMBEDDING, ITEM_EMBEDDING])?;
        let mut users = init.table(data.users.len(), k, self.seed);
        let mut items = init.table(data.items.len(), k, self.seed.wrapping_add(1));
        let mut reports = Vec::new();
        let users_frozen =
            self.init_table(USER_EMBEDDING, &mut users, &data.users, &mut reports)?;
        let items_frozen =
            self.init_table(ITEM_EMBEDDING, &mut items, &data.items, &mut reports)?;
        let vocabs = [("user", &data.users), ("item", &data.items)];
        let mut start = FactorStart {
            users,
            items,
            users_frozen,
            items_frozen,
            reports,
            first: 0,
            log: Vec::with_capacity(total),
            resumed: None,
        };
        if let Some((m, done)) = self.resumed(algo, params, epochs_key, total, &vocabs)? {
            start.users = saved_table(m, USER_EMBEDDING)?;
            start.items = saved_table(m, ITEM_EMBEDDING)?;
            start.first = done;
            start.log.extend(m.epochs.iter().cloned());
            start.resumed = Some(m);
        }
        Ok(start)
    }
}

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
    /// Continue this saved run (its tables, biases, optimiser state and epoch log) instead of
    /// starting fresh; see [`TrainContext::resumed`].
    pub resume: Option<std::sync::Arc<Model>>,
    /// Memory (MiB) a trainer may spend keeping its input decoded between epochs instead of
    /// reading it again (word2vec/item2vec keep the encoded corpus, 4 bytes per token, when
    /// it fits); 0 = read the input every epoch. Results do not depend on it.
    pub cache_mb: usize,
}

impl Default for TrainContext {
    fn default() -> Self {
        TrainContext {
            inits: Default::default(),
            threads: 0,
            seed: 42,
            progress: false,
            resume: None,
            cache_mb: 1024,
        }
    }
}

impl TrainContext {
    /// The number of worker threads to start: `threads`, or every core when it is 0.
    #[must_use]
    pub fn worker_threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        } else {
            self.threads
        }
    }

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

    /// For a resumed run: the saved model and the epochs it has done, after checking that it
    /// continues this run — same algorithm, same hyper-parameters apart from the epoch count
    /// (`epochs_key`), the same vocabularies (so the same data), and fewer than `total` epochs.
    /// `None` for a fresh run.
    pub fn resumed(
        &self,
        algo: &str,
        params: &serde_json::Value,
        epochs_key: &str,
        total: usize,
        vocabs: &[(&str, &crate::vocab::Vocab)],
    ) -> Result<Option<(&Model, usize)>> {
        let Some(m) = self.resume.as_deref() else {
            return Ok(None);
        };
        let bad = |msg: String| Err(Error::Param(format!("--resume: {msg}")));
        if m.algo != algo {
            return bad(format!("the saved model is {}, not {algo}", m.algo));
        }
        if let serde_json::Value::Object(now) = params {
            for (k, v) in now {
                if k == epochs_key {
                    continue;
                }
                let saved = m.params.get(k);
                if saved != Some(v) {
                    return bad(format!(
                        "hyper-parameter '{k}' is {v} here but {} in the saved run; resume with the same settings",
                        saved.map_or_else(|| "absent".to_string(), ToString::to_string)
                    ));
                }
            }
        }
        for (col, v) in vocabs {
            if m.vocab(col) != Some(v) {
                return bad(format!(
                    "the {col} vocabulary differs from the saved run's (resume needs the same data; to start from a model trained on other data use --init-from)"
                ));
            }
        }
        if !self.inits.is_empty() {
            return bad("cannot be combined with --init-from".into());
        }
        let done = m.epochs.len();
        if done >= total {
            return bad(format!(
                "the saved run already has {done} epochs; ask for more with --epochs N (N > {done})"
            ));
        }
        Ok(Some((m, done)))
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

/// A table of a saved model being resumed (an error names it when missing).
pub(crate) fn saved_table(m: &Model, name: &str) -> Result<ndarray::Array2<f32>> {
    m.tables
        .get(name)
        .cloned()
        .ok_or_else(|| Error::Param(format!("--resume: the saved model has no table '{name}'")))
}

/// A vector of a saved model being resumed (an error names it when missing).
pub(crate) fn saved_vector(m: &Model, name: &str) -> Result<Vec<f32>> {
    m.vectors
        .get(name)
        .map(|v| v.to_vec())
        .ok_or_else(|| Error::Param(format!("--resume: the saved model has no vector '{name}'")))
}

//! One entry point for "train algorithm X on input Y": the registry of algorithms with their
//! typed hyper-parameters ([`Algorithm`]), what they learn from ([`Input`]), and [`train`],
//! which the CLI, the tuner and a linking service all call. The DNN learns from a schema's
//! joined files ([`Input::Schema`]).
//!
//! ```no_run
//! use recsys::{data, models::TrainContext, train::{self, Algorithm, Input, Job}};
//! # fn main() -> recsys::Result<()> {
//! let ds = data::load_dataset("datasets/synthetic/ratings.csv".as_ref(), &Default::default())?;
//! let job = Job::new(Algorithm::default_for("als").expect("als is registered"));
//! let input = Input::Interactions { data: &ds.interactions, catalog: ds.catalog.as_ref() };
//! let model = train::train(&job, input, &TrainContext::default(), &mut |_| Ok(()))?;
//! # Ok(()) }
//! ```

use crate::data::{Catalog, Dataset, Interactions};
use crate::error::{Error, Result};
use crate::features::Schema;
use crate::model::Model;
use crate::models::als::{Als, AlsParams};
use crate::models::bpr::{Bpr, BprParams};
use crate::models::dnn::{self, DnnParams};
use crate::models::glove::{Glove, GloveParams};
use crate::models::item2vec::{Item2Vec, Item2VecParams};
use crate::models::itemknn::{self, ItemKnn, ItemKnnParams};
use crate::models::lsa::{Lsa, LsaParams};
use crate::models::mf::{Mf, MfParams};
use crate::models::word2vec::{Word2Vec, Word2VecParams};
use crate::models::{TrainContext, Trainer};
use crate::text::TextFiles;

/// One algorithm with its hyper-parameters (each checked by its trainer's `new`).
#[derive(Debug, Clone)]
pub enum Algorithm {
    /// Implicit ALS (conjugate gradient), optionally on BM25/TF-IDF-weighted interactions.
    Als(AlsParams),
    /// Explicit biased MF by SGD; SVD++ with `svdpp = true`.
    Mf(MfParams),
    /// BPR or WARP; the LightFM-style hybrid with `item_features = true`.
    Bpr(BprParams),
    /// item2vec over users' histories (interactions) or sessions (text files).
    Item2vec(Item2VecParams),
    /// Item-item neighbours from sparse co-occurrence similarities.
    Itemknn(ItemKnnParams),
    /// word2vec over text.
    Word2vec(Word2VecParams),
    /// GloVe over text.
    Glove(GloveParams),
    /// LSA over text.
    Lsa(LsaParams),
    /// A network over a schema's feature columns (its joined files).
    Dnn(DnnParams),
}

/// Every algorithm [`train`] runs, by the name `--algo` and manifests use.
pub const ALGORITHMS: [&str; 9] = [
    "als", "mf", "bpr", "item2vec", "itemknn", "word2vec", "glove", "lsa", "dnn",
];

impl Algorithm {
    /// The algorithm named `name` (one of [`ALGORITHMS`]) with its default parameters.
    #[must_use]
    pub fn default_for(name: &str) -> Option<Algorithm> {
        Some(match name {
            "als" => Algorithm::Als(AlsParams::default()),
            "mf" => Algorithm::Mf(MfParams::default()),
            "bpr" => Algorithm::Bpr(BprParams::default()),
            "item2vec" => Algorithm::Item2vec(Item2VecParams::default()),
            "itemknn" => Algorithm::Itemknn(ItemKnnParams::default()),
            "word2vec" => Algorithm::Word2vec(Word2VecParams::default()),
            "glove" => Algorithm::Glove(GloveParams::default()),
            "lsa" => Algorithm::Lsa(LsaParams::default()),
            "dnn" => Algorithm::Dnn(DnnParams::default()),
            _ => return None,
        })
    }

    /// The algorithm a saved model was trained with, its typed parameters read from the
    /// manifest's `params` (names of older format versions are mapped on load by
    /// [`crate::checkpoint::Manifest::upgrade`]; facts a trainer adds beside its parameters,
    /// such as MF's rating range, are ignored here).
    pub fn from_saved(algo: &str, params: &serde_json::Value) -> Result<Algorithm> {
        fn typed<T: serde::de::DeserializeOwned>(algo: &str, v: &serde_json::Value) -> Result<T> {
            serde_json::from_value(v.clone())
                .map_err(|e| Error::Param(format!("the saved {algo} parameters: {e}")))
        }
        Ok(match algo {
            "als" => Algorithm::Als(typed(algo, params)?),
            "mf" => Algorithm::Mf(typed(algo, params)?),
            "bpr" => Algorithm::Bpr(typed(algo, params)?),
            "item2vec" => Algorithm::Item2vec(typed(algo, params)?),
            "itemknn" => Algorithm::Itemknn(typed(algo, params)?),
            "word2vec" => Algorithm::Word2vec(typed(algo, params)?),
            "glove" => Algorithm::Glove(typed(algo, params)?),
            "lsa" => Algorithm::Lsa(typed(algo, params)?),
            "dnn" => Algorithm::Dnn(typed(algo, params)?),
            _ => {
                return Err(Error::Param(format!(
                    "unknown algorithm '{algo}' (known: {})",
                    ALGORITHMS.join(", ")
                )))
            }
        })
    }

    /// The name `--algo` and manifests use.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Als(_) => "als",
            Algorithm::Mf(_) => "mf",
            Algorithm::Bpr(_) => "bpr",
            Algorithm::Item2vec(_) => "item2vec",
            Algorithm::Itemknn(_) => "itemknn",
            Algorithm::Word2vec(_) => "word2vec",
            Algorithm::Glove(_) => "glove",
            Algorithm::Lsa(_) => "lsa",
            Algorithm::Dnn(_) => "dnn",
        }
    }

    /// Whether it learns from text files only (word vectors).
    #[must_use]
    pub fn text_only(&self) -> bool {
        matches!(
            self,
            Algorithm::Word2vec(_) | Algorithm::Glove(_) | Algorithm::Lsa(_)
        )
    }

    /// The [`Trainer`] of an algorithm that learns from interactions alone (parameters
    /// checked); `None` for the text-only ones and the DNN (a schema's joined files).
    pub fn trainer(&self) -> Result<Option<Box<dyn Trainer>>> {
        Ok(Some(match self {
            Algorithm::Als(p) => Box::new(Als::new(p.clone())?),
            Algorithm::Mf(p) => Box::new(Mf::new(p.clone())?),
            Algorithm::Bpr(p) => Box::new(Bpr::new(p.clone())?),
            Algorithm::Item2vec(p) => Box::new(Item2Vec::new(p.clone())?),
            Algorithm::Itemknn(p) => Box::new(ItemKnn::new(p.clone())?),
            Algorithm::Word2vec(_)
            | Algorithm::Glove(_)
            | Algorithm::Lsa(_)
            | Algorithm::Dnn(_) => return Ok(None),
        }))
    }
}

/// What a trainer learns from.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// User–item interactions, with the item catalog when there is one.
    Interactions {
        /// The interactions.
        data: &'a Interactions,
        /// Titles and genres (the hybrid's genres come from here).
        catalog: Option<&'a Catalog>,
    },
    /// Text files: sentences for word vectors, one session per line for item2vec.
    Text(&'a TextFiles),
    /// A schema's files (the DNN): a folder holding its sources, or the interactions file
    /// with the side tables beside it (see [`crate::data::joined::locate`]).
    Schema {
        /// The schema: sources, label, feature columns.
        schema: &'a Schema,
        /// The folder or interactions file.
        data: &'a std::path::Path,
    },
}

/// A training job: the algorithm and what is done around it.
#[derive(Debug, Clone)]
pub struct Job {
    /// The algorithm and its parameters.
    pub algorithm: Algorithm,
    /// After training on interactions, attach an item-item neighbour table with these
    /// parameters (the default model: ALS factors for `recommend`, BM25 neighbours for
    /// `similar`).
    pub item_neighbours: Option<ItemKnnParams>,
    /// word2vec, dnn: hand the model so far to the checkpoint callback every this many epochs
    /// (0: never).
    pub checkpoint_every: usize,
}

impl Job {
    /// A job that trains `algorithm` and nothing more.
    #[must_use]
    pub fn new(algorithm: Algorithm) -> Job {
        Job {
            algorithm,
            item_neighbours: None,
            checkpoint_every: 0,
        }
    }

    /// The default model of `recsys train DATA`: ALS with a BM25 item-item table attached.
    #[must_use]
    pub fn default_model() -> Job {
        Job {
            item_neighbours: Some(ItemKnnParams::default()),
            ..Job::new(Algorithm::Als(AlsParams::default()))
        }
    }
}

/// Train `job` on `input`. `on_checkpoint` receives the model so far when
/// `job.checkpoint_every` asks for it (word2vec, dnn). An algorithm given an input it cannot
/// learn from is an [`Error::Param`].
pub fn train(
    job: &Job,
    input: Input<'_>,
    ctx: &TrainContext,
    on_checkpoint: &mut (dyn FnMut(&Model) -> Result<()> + Send),
) -> Result<Model> {
    let name = job.algorithm.name();
    if let (Algorithm::Dnn(p), Input::Schema { schema, data }) = (&job.algorithm, input) {
        return dnn::train_model(schema, data, p, ctx, job.checkpoint_every, on_checkpoint);
    }
    match input {
        Input::Schema { .. } => Err(Error::Param(format!(
            "{name} does not train on a schema's joined files; that is the dnn (`--algo dnn --schema FILE`)"
        ))),
        Input::Interactions { .. } | Input::Text(_) if matches!(job.algorithm, Algorithm::Dnn(_)) => {
            Err(Error::Param(
                "dnn trains on a schema's joined files: `recsys train DATA --algo dnn --schema FILE`".into(),
            ))
        }
        Input::Interactions { data, catalog } => {
            let Some(t) = job.algorithm.trainer()? else {
                return Err(Error::Param(format!(
                    "{name} trains on text, not interactions: `recsys train CORPUS.txt[.gz] --algo {name}`"
                )));
            };
            let mut model = t.fit(data, catalog, ctx)?;
            if let Some(p) = &job.item_neighbours {
                itemknn::attach_item_neighbours(&mut model, data, p, ctx)?;
            }
            Ok(model)
        }
        Input::Text(files) => match &job.algorithm {
            Algorithm::Word2vec(p) => {
                Word2Vec::new(p.clone())?.fit_with(files, ctx, job.checkpoint_every, on_checkpoint)
            }
            Algorithm::Glove(p) => Glove::new(p.clone())?.fit(files, ctx),
            Algorithm::Lsa(p) => Lsa::new(p.clone())?.fit(files, ctx),
            Algorithm::Item2vec(p) => Item2Vec::new(p.clone())?.fit_sessions(files, ctx),
            _ => Err(Error::Param(format!(
                "{name} trains on interactions (user and item columns), not text files"
            ))),
        },
    }
}

/// Train `job` on a data set read by [`crate::data::load_dataset`] or
/// [`crate::data::load_with_schema`] — what `recsys train DATA` does — and record where it
/// came from in the model's run facts: the interactions and items files, the interaction
/// count and the bad rows skipped.
pub fn train_dataset(
    job: &Job,
    ds: &Dataset,
    ctx: &TrainContext,
    on_checkpoint: &mut (dyn FnMut(&Model) -> Result<()> + Send),
) -> Result<Model> {
    let x = &ds.interactions;
    let input = Input::Interactions {
        data: x,
        catalog: ds.catalog.as_ref(),
    };
    let mut model = train(job, input, ctx, on_checkpoint)?;
    model.info.interactions_file = Some(ds.interactions_path.display().to_string());
    model.info.items_file = ds.items_path.as_ref().map(|p| p.display().to_string());
    model.info.interactions = Some(x.len());
    model.info.skipped_rows = (x.skipped_rows > 0).then_some(x.skipped_rows);
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_name_round_trips() {
        for name in ALGORITHMS {
            let a = Algorithm::default_for(name).unwrap();
            assert_eq!(a.name(), name);
            let needs_more = a.text_only() || matches!(a, Algorithm::Dnn(_));
            assert_eq!(a.trainer().unwrap().is_none(), needs_more, "{name}");
        }
        assert!(Algorithm::default_for("svm").is_none());
    }

    #[test]
    fn text_algorithms_refuse_interactions_and_back() {
        let data = Interactions::default();
        let input = Input::Interactions {
            data: &data,
            catalog: None,
        };
        let job = Job::new(Algorithm::default_for("glove").unwrap());
        let e = train(&job, input, &TrainContext::default(), &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("trains on text"), "{e}");
        let job = Job::new(Algorithm::default_for("dnn").unwrap());
        let e = train(&job, input, &TrainContext::default(), &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("--schema"), "{e}");
        let files = TextFiles {
            paths: vec![],
            tokenizer: crate::tokenize::Tokenizer::Words,
        };
        let job = Job::new(Algorithm::default_for("mf").unwrap());
        let e = train(
            &job,
            Input::Text(&files),
            &TrainContext::default(),
            &mut |_| Ok(()),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not text files"), "{e}");
    }
}

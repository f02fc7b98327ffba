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

use std::path::{Path, PathBuf};

use crate::data::{self, Catalog, Dataset, Interactions, ReadOptions};
use crate::embedding::Dimension;
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
use crate::tokenize::Tokenizer;

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

    /// Give the algorithm the width `dim` (0: the trainer resolves `auto` itself once its
    /// vocabulary is counted — word2vec, item2vec, GloVe, LSA). Item-KNN and the DNN have no
    /// single width (the DNN's come from its schema): an [`Error::Param`].
    pub fn set_dim(&mut self, dim: usize) -> Result<()> {
        match self {
            Algorithm::Als(p) => p.dim = dim,
            Algorithm::Mf(p) => p.dim = dim,
            Algorithm::Bpr(p) => p.dim = dim,
            Algorithm::Item2vec(p) => p.w2v.dim = dim,
            Algorithm::Word2vec(p) => p.dim = dim,
            Algorithm::Glove(p) => p.dim = dim,
            Algorithm::Lsa(p) => p.dim = dim,
            Algorithm::Itemknn(_) => {
                return Err(Error::Param(
                    "itemknn keeps similarities, not vectors: it has no width (--dim)".into(),
                ))
            }
            Algorithm::Dnn(_) => {
                return Err(Error::Param(
                    "the dnn takes each column's width from the schema (`dimension = N` in its [[embeddings]] entry), not --dim".into(),
                ))
            }
        }
        Ok(())
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
    /// [`train_files`]: the width, resolved once the data is read — a fixed width, or `auto`,
    /// the fourth root of the item count (of the vocabulary, for text). `None` keeps the
    /// algorithm's own.
    pub dim: Option<Dimension>,
}

impl Job {
    /// A job that trains `algorithm` and nothing more.
    #[must_use]
    pub fn new(algorithm: Algorithm) -> Job {
        Job {
            algorithm,
            item_neighbours: None,
            checkpoint_every: 0,
            dim: None,
        }
    }

    /// This job with `dim` given to its algorithm: resolved against `items` (the fourth-root
    /// rule), or left to the trainer to resolve once it has counted its vocabulary (`None`).
    fn with_width(&self, items: Option<usize>) -> Result<Job> {
        let mut job = self.clone();
        if let Some(d) = self.dim {
            job.algorithm.set_dim(match (d, items) {
                (Dimension::Auto, None) => 0,
                (d, n) => d.resolve(n.unwrap_or(0)),
            })?;
        }
        Ok(job)
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

/// What `recsys train` is given: its data and how to read it.
#[derive(Debug, Clone, Default)]
pub struct Source<'a> {
    /// One interactions file or folder; text files for word vectors or sessions; the folder
    /// (or interactions file) of a schema's sources.
    pub paths: &'a [PathBuf],
    /// Read the interactions (and, for the DNN, the joined files) as this schema says.
    pub schema: Option<&'a Schema>,
    /// How to read an interactions file without a schema.
    pub read: ReadOptions,
    /// item2vec: the files hold one session per line (`--input sessions`). A file that looks
    /// like sessions ([`data::reader::looks_like_sessions`]) is read so without it.
    pub sessions: bool,
}

/// The interactions [`train_files`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DataSummary {
    /// Interaction rows kept.
    pub interactions: usize,
    /// Distinct users.
    pub users: usize,
    /// Distinct items.
    pub items: usize,
    /// Titles in the items file, when one was read.
    pub titles: Option<usize>,
    /// Malformed rows skipped (`skip_bad_rows`).
    pub skipped_rows: usize,
}

/// A trained model, what was read, and what a user should be told about it.
#[derive(Debug)]
pub struct Trained {
    /// The model (not yet saved).
    pub model: Model,
    /// The interactions read; `None` for text and a schema's joined files (their counts are
    /// in the model's run facts).
    pub data: Option<DataSummary>,
    /// Notes for the user, one sentence each: rows skipped, a file read as sessions, a case
    /// the algorithm handles badly.
    pub notes: Vec<String>,
}

fn one_path<'p>(paths: &'p [PathBuf], name: &str) -> Result<&'p Path> {
    match paths {
        [p] => Ok(p),
        [] => Err(Error::Param("give the data file".into())),
        _ => Err(Error::Param(format!(
            "--algo {name} takes one data file or folder, not {}",
            paths.len()
        ))),
    }
}

/// Train `job` on files, as `recsys train DATA…` does: the DNN on a schema's joined files;
/// word2vec, GloVe, LSA and item2vec-on-sessions on text files; everything else on the
/// interactions read by [`data::load_dataset`] (or [`data::load_with_schema`]), through
/// [`train_dataset`]. `job.dim` is resolved against what was read. A file of sessions or
/// baskets is read as sessions for item2vec and refused, with the reason, for the rest.
pub fn train_files(
    job: &Job,
    src: &Source<'_>,
    ctx: &TrainContext,
    on_checkpoint: &mut (dyn FnMut(&Model) -> Result<()> + Send),
) -> Result<Trained> {
    let name = job.algorithm.name();
    let mut notes = Vec::new();
    let is_item2vec = matches!(job.algorithm, Algorithm::Item2vec(_));
    if let Algorithm::Dnn(_) = job.algorithm {
        let job = job.with_width(None)?;
        let schema = src.schema.ok_or_else(|| {
            Error::Param("--algo dnn needs --schema FILE (e.g. schemas/movielens-100k.toml): it declares the files, the label and the embedding columns".into())
        })?;
        let [data] = src.paths else {
            return Err(Error::Param(
                "--algo dnn takes one data folder or interactions file".into(),
            ));
        };
        let model = train(&job, Input::Schema { schema, data }, ctx, on_checkpoint)?;
        return Ok(Trained {
            model,
            data: None,
            notes,
        });
    }
    let mut sessions = job.algorithm.text_only() || (is_item2vec && src.sessions);
    if !sessions {
        let path = one_path(src.paths, name)?;
        let baskets =
            path.is_file() && src.schema.is_none() && data::reader::looks_like_sessions(path);
        if baskets && is_item2vec {
            notes.push(format!(
                "{} holds one session/basket per line; reading it as sessions (--input sessions)",
                path.display()
            ));
            sessions = true;
        } else if baskets {
            return Err(Error::data(
                path,
                format!(
                    "looks like one session or basket per line (whitespace-separated item tokens, lines of different lengths or words past the second column), not interaction rows: --algo {name} needs user and item columns; train item2vec on it (`--algo item2vec --input sessions`)"
                ),
            ));
        }
    }
    if sessions {
        for p in src.paths {
            if !p.is_file() {
                return Err(Error::data(
                    p,
                    "not a file (word vectors and sessions are read from text files, one sentence or session per line)",
                ));
            }
        }
        let files = TextFiles {
            paths: src.paths.to_vec(),
            tokenizer: if is_item2vec {
                Tokenizer::Whitespace
            } else {
                Tokenizer::Words
            },
        };
        let job = job.with_width(None)?;
        let mut model = train(&job, Input::Text(&files), ctx, on_checkpoint)?;
        model.info.text_files = src.paths.iter().map(|p| p.display().to_string()).collect();
        return Ok(Trained {
            model,
            data: None,
            notes,
        });
    }
    let path = one_path(src.paths, name)?;
    let ds = match src.schema {
        Some(_) if src.read.skip_bad_rows => {
            return Err(Error::Param(
                "--on-bad-row skip works on files read without a schema (a schema's rows must all parse)".into(),
            ))
        }
        Some(schema) => data::load_with_schema(path, schema)?,
        None => data::load_dataset(path, &src.read)?,
    };
    let x = &ds.interactions;
    if x.skipped_rows > 0 {
        notes.push(format!(
            "skipped {} malformed rows (the first: {})",
            x.skipped_rows,
            x.first_skipped.as_deref().unwrap_or("")
        ));
    }
    let job = job.with_width(Some(x.items.len()))?;
    if let Algorithm::Item2vec(p) = &job.algorithm {
        let window = p.w2v.window;
        if let Some(median) = crate::models::item2vec::long_histories(x, window) {
            notes.push(format!(
                "users here have {median} items (median), more than item2vec's window of {window}: its neighbours follow when items were rated together more than what they are; for `similar`, the default model (`recsys train DATA`) or `--algo itemknn` find sequels far more often (BENCHMARKS.md, \"Neighbours people recognise\")"
            ));
        }
    }
    let model = train_dataset(&job, &ds, ctx, on_checkpoint)?;
    let data = DataSummary {
        interactions: x.len(),
        users: x.users.len(),
        items: x.items.len(),
        titles: ds.catalog.as_ref().map(Catalog::len),
        skipped_rows: x.skipped_rows,
    };
    Ok(Trained {
        model,
        data: Some(data),
        notes,
    })
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

    /// `train_files` reads the shape it is given: interactions with `dim = auto` resolved by
    /// the fourth-root rule, a basket file as sessions for item2vec (with a note) and refused
    /// for ALS, and widths refused where an algorithm has none.
    #[test]
    fn train_files_reads_what_it_is_given() {
        let dir = std::env::temp_dir().join(format!("recsys-train-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows = dir.join("ratings.csv");
        let mut text = String::from("user,item,rating\n");
        for u in 0..40 {
            for k in 0..6 {
                text.push_str(&format!(
                    "u{u},i{},{}\n",
                    (u * 7 + k * 13) % 90,
                    1 + (u + k) % 5
                ));
            }
        }
        std::fs::write(&rows, text).unwrap();
        let ctx = TrainContext::default();
        let rows = [rows];
        let src = Source {
            paths: &rows,
            ..Source::default()
        };
        let job = Job {
            dim: Some(Dimension::Fixed(8)),
            ..Job::new(Algorithm::default_for("itemknn").unwrap())
        };
        let e = train_files(&job, &src, &ctx, &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("no width"), "{e}");
        let job = Job {
            dim: Some(Dimension::Auto),
            ..Job::new(Algorithm::default_for("als").unwrap())
        };
        let t = train_files(&job, &src, &ctx, &mut |_| Ok(())).unwrap();
        let d = t.data.unwrap();
        assert_eq!((d.interactions, d.users, d.titles), (240, 40, None));
        let items = t.model.table("item/embedding").unwrap();
        assert_eq!(items.ncols(), crate::embedding::fourth_root_dim(d.items));

        let baskets = dir.join("baskets.txt");
        let mut text = String::new();
        for b in 0..60 {
            let n = 2 + b % 5;
            let line: Vec<String> = (0..n).map(|k| format!("p{}", (b * 3 + k) % 25)).collect();
            text.push_str(&line.join(" "));
            text.push('\n');
        }
        std::fs::write(&baskets, text).unwrap();
        let paths = [baskets];
        let src = Source {
            paths: &paths,
            ..Source::default()
        };
        let e = train_files(&Job::default_model(), &src, &ctx, &mut |_| Ok(())).unwrap_err();
        assert!(matches!(e, Error::Data { .. }), "{e}");
        assert!(
            e.to_string().contains("--algo item2vec --input sessions"),
            "{e}"
        );
        let mut i2v = Algorithm::default_for("item2vec").unwrap();
        if let Algorithm::Item2vec(p) = &mut i2v {
            p.w2v.min_count = 1;
            p.w2v.epochs = 1;
        }
        let t = train_files(&Job::new(i2v), &src, &ctx, &mut |_| Ok(())).unwrap();
        assert!(
            t.data.is_none() && t.notes[0].contains("reading it as sessions"),
            "{:?}",
            t.notes
        );
        assert_eq!(t.model.info.text_files.len(), 1);

        let job = Job::new(Algorithm::default_for("dnn").unwrap());
        let e = train_files(&job, &src, &ctx, &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("--schema"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

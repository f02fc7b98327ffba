//! [`Model`]: what every trainer produces and every look-up reads — named embedding tables,
//! bias vectors, vocabularies with item titles, the training interactions (for excluding
//! seen items), hyper-parameters and per-epoch training logs.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{Catalog, Interactions, ItemInfo};
use crate::vocab::Vocab;

/// What happened when a table was initialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitReport {
    /// The table.
    pub table: String,
    /// Rows taken from the prior.
    pub matched: usize,
    /// Rows whose key the prior lacks (freshly initialised, trainable).
    pub unmatched: usize,
    /// Up to five unmatched keys.
    pub unmatched_sample: Vec<String>,
    /// Whether the matched rows are frozen.
    pub frozen: bool,
    /// Rows of a keyless prior (a tensor file) beyond its keys file: they match nothing.
    pub rows_without_key: usize,
    /// Lines of the keys file beyond the prior's rows: they name no vector.
    pub keys_without_row: usize,
    /// Keys the keys file repeats (the first row of each key is used).
    pub repeated_keys: usize,
}

/// The item-item table kept beside a model's factors (the default model): how it was built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighbourTableInfo {
    /// The similarity (`bm25`, `cosine`, `tfidf`).
    pub similarity: String,
    /// Neighbours kept per item.
    pub neighbours: usize,
    /// BM25's term-frequency saturation.
    pub bm25_k1: f32,
    /// BM25's length normalisation.
    pub bm25_b: f32,
    /// Seconds to build the table.
    #[serde(default)]
    pub fit_s: f64,
}

/// Facts about a training run, as the manifest's `info` keeps them. Every fact a trainer or
/// `recsys train` records has a field here (absent ones are left out of the JSON); keys this
/// build does not know, from a newer one, are kept in `other`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    /// Seconds of training: the epochs' sum (GloVe: counting + training).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit_s: Option<f64>,
    /// Wall seconds of the whole fit call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_s: Option<f64>,
    /// The seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// What prior vectors did to each table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init: Vec<InitReport>,
    /// The interactions (or joined) file trained on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactions_file: Option<String>,
    /// The items file whose titles were joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items_file: Option<String>,
    /// Interactions trained on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactions: Option<usize>,
    /// Bad rows skipped (`--on-bad-row skip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_rows: Option<usize>,
    /// Examples (DNN: joined rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examples: Option<usize>,
    /// Tokens of the corpus (text models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus_words: Option<u64>,
    /// Lines of the corpus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentences: Option<u64>,
    /// Words kept in the vocabulary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocab: Option<usize>,
    /// Tokens trained on after subsampling (word2vec), all epochs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_words: Option<u64>,
    /// Seconds of the vocabulary pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_vocab_s: Option<f64>,
    /// Corpus tokens times epochs over the fit seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_words_per_s: Option<f64>,
    /// The epochs word2vec's learning-rate schedule was planned for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_epochs: Option<usize>,
    /// word2vec's learning rate at the end of the last epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_done: Option<f64>,
    /// Distinct co-occurring pairs (GloVe, LSA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooc_pairs: Option<usize>,
    /// Sorted runs spilled to disk while counting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooc_spilled_runs: Option<usize>,
    /// Seconds of counting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_s: Option<f64>,
    /// Seconds of GloVe's training (after counting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_s: Option<f64>,
    /// Non-zeros of LSA's weighted matrix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_nnz: Option<usize>,
    /// Seconds of LSA's SVD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svd_s: Option<f64>,
    /// Share of the matrix's squared norm the SVD leaves out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual_share: Option<f64>,
    /// The DNN optimiser's step count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimizer_steps: Option<u64>,
    /// The DNN epoch whose weights were kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
    /// The DNN's validation loss per epoch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub validation_loss: Vec<f64>,
    /// The item-item table kept beside the factors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neighbours: Option<NeighbourTableInfo>,
    /// The training ratings' range `[min, max]`, which explicit models clip predictions to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_range: Option<[f32; 2]>,
    /// The model a debiased one was made from (`recsys debias`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debiased_from: Option<String>,
    /// What debiasing did (the report of `recsys debias`, as its JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debias: Option<serde_json::Value>,
    /// LSA's singular values, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub singular_values: Vec<f64>,
    /// The text files trained on (text models).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub text_files: Vec<String>,
    /// Facts this build does not know.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Table name of user factors.
pub const USER_EMBEDDING: &str = "user/embedding";
/// Table name of item factors.
pub const ITEM_EMBEDDING: &str = "item/embedding";
/// Vector name of item biases.
pub const ITEM_BIAS: &str = "item/bias";
/// One-element vector holding the global mean rating of explicit models.
pub const GLOBAL_MEAN: &str = "global/mean";
/// Vector name of user biases.
pub const USER_BIAS: &str = "user/bias";

/// One epoch of training, as logged in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Training loss (the trainer's own objective).
    pub loss: f64,
    /// Wall seconds of this epoch.
    pub seconds: f64,
}

/// Items a user interacted with in training, as CSR (`indptr` has `n_users + 1` entries).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Seen {
    /// Row pointers.
    pub indptr: Vec<u64>,
    /// Item indices, sorted within a row.
    pub indices: Vec<u32>,
}

impl Seen {
    /// Build from interactions (duplicates collapsed).
    #[must_use]
    pub fn from_interactions(x: &Interactions) -> Seen {
        // counting sort by user, then each row sorted and deduplicated in place (a row only
        // ever moves towards the front, so compacting into the same buffer is safe)
        let nu = x.users.len();
        let start = crate::data::bucket_starts(&x.user, nu);
        let mut next = start.clone();
        let mut items = vec![0u32; x.item.len()];
        for (&u, &i) in x.user.iter().zip(&x.item) {
            items[next[u as usize]] = i;
            next[u as usize] += 1;
        }
        let mut indptr = Vec::with_capacity(nu + 1);
        indptr.push(0u64);
        let mut out = 0;
        for u in 0..nu {
            let row = &mut items[start[u]..start[u + 1]];
            row.sort_unstable();
            let mut last = None;
            for k in start[u]..start[u + 1] {
                let v = items[k];
                if last != Some(v) {
                    items[out] = v;
                    out += 1;
                    last = Some(v);
                }
            }
            indptr.push(out as u64);
        }
        items.truncate(out);
        Seen {
            indptr,
            indices: items,
        }
    }

    /// The seen items of user `u` (empty when out of range).
    #[must_use]
    pub fn row(&self, u: usize) -> &[u32] {
        if u + 1 >= self.indptr.len() {
            return &[];
        }
        &self.indices[self.indptr[u] as usize..self.indptr[u + 1] as usize]
    }
}

/// Sparse nearest-neighbour lists (an item × item or user × user similarity table keeping the
/// top K per row), as CSR: row `r`'s neighbours are `indices[indptr[r]..indptr[r + 1]]`,
/// best first, with their `scores`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Neighbours {
    /// Row pointers (`rows + 1` entries).
    pub indptr: Vec<u64>,
    /// Neighbour indices.
    pub indices: Vec<u32>,
    /// Similarities, best first within a row.
    pub scores: Vec<f32>,
}

impl Neighbours {
    /// Number of rows.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Neighbours and scores of row `r` (empty when out of range).
    #[must_use]
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        if r + 1 >= self.indptr.len() {
            return (&[], &[]);
        }
        let (a, b) = (self.indptr[r] as usize, self.indptr[r + 1] as usize);
        (&self.indices[a..b], &self.scores[a..b])
    }

    /// Whether the lists are well formed for a table of `n` rows and columns: pointers start
    /// at 0, never decrease and end at the number of entries; indices are below `n` and never
    /// the row itself; scores are finite.
    #[must_use]
    pub fn is_consistent(&self, n: usize) -> bool {
        self.indptr.len() == n + 1
            && self.indptr.first() == Some(&0)
            && self.indptr.windows(2).all(|w| w[0] <= w[1])
            && self.indptr.last().copied() == Some(self.indices.len() as u64)
            && self.indices.len() == self.scores.len()
            && self.scores.iter().all(|s| s.is_finite())
            && (0..n).all(|r| {
                let (ix, _) = self.row(r);
                ix.iter().all(|&j| (j as usize) < n && j as usize != r)
            })
    }
}

/// A trained model.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Algorithm name (`als`, `bpr`, …).
    pub algo: String,
    /// Hyper-parameters as given to the trainer.
    pub params: serde_json::Value,
    /// 2-D tables by name (`user/embedding`, `item/embedding`, …).
    pub tables: BTreeMap<String, Array2<f32>>,
    /// 1-D vectors by name (`item/bias`, …).
    pub vectors: BTreeMap<String, Array1<f32>>,
    /// Vocabularies by column name (`user`, `item`, …); a table `<col>/…` has one row per key.
    pub vocabs: BTreeMap<String, Vocab>,
    /// Title and genres per item index (empty title when unknown).
    pub item_info: Vec<ItemInfo>,
    /// Training interactions per item index (popularity).
    pub item_counts: Vec<u32>,
    /// Training interactions of each user, for excluding seen items.
    pub seen: Option<Seen>,
    /// Sparse neighbour tables by column (`item`, `user`): item-KNN's similarities, or the
    /// item-item table a default model keeps beside its factors for `similar`.
    pub neighbours: BTreeMap<String, Neighbours>,
    /// Per-epoch training log.
    pub epochs: Vec<EpochLog>,
    /// Facts about the training data and run (source files, counts, fit seconds).
    pub info: RunInfo,
}

impl Model {
    /// A model skeleton for interaction data: vocabularies, titles, popularity, seen items.
    #[must_use]
    pub fn for_interactions(algo: &str, x: &Interactions, catalog: Option<&Catalog>) -> Model {
        let item_info = x
            .items
            .keys()
            .iter()
            .map(|k| catalog.and_then(|c| c.get(k)).cloned().unwrap_or_default())
            .collect();
        let mut vocabs = BTreeMap::new();
        vocabs.insert("user".to_string(), x.users.clone());
        vocabs.insert("item".to_string(), x.items.clone());
        Model {
            algo: algo.to_string(),
            vocabs,
            item_info,
            item_counts: x.item_counts(),
            seen: Some(Seen::from_interactions(x)),
            ..Default::default()
        }
    }

    /// A table by name.
    #[must_use]
    pub fn table(&self, name: &str) -> Option<ArrayView2<'_, f32>> {
        self.tables.get(name).map(Array2::view)
    }

    /// A vector by name.
    #[must_use]
    pub fn vector(&self, name: &str) -> Option<ArrayView1<'_, f32>> {
        self.vectors.get(name).map(Array1::view)
    }

    /// A vocabulary by column name.
    #[must_use]
    pub fn vocab(&self, column: &str) -> Option<&Vocab> {
        self.vocabs.get(column)
    }

    /// The column a table belongs to: `item/embedding` → `item`.
    #[must_use]
    pub fn column_of(table: &str) -> &str {
        table.split('/').next().unwrap_or(table)
    }

    /// Predicted rating of user index `u` for item index `i` for explicit models
    /// (`μ + b_u + b_i + p_u·q_i`, clipped to the training rating range); `None` when the
    /// model has no global mean.
    #[must_use]
    pub fn predict_rating(&self, u: usize, i: usize) -> Option<f32> {
        let mu = *self.vector(GLOBAL_MEAN)?.get(0)?;
        let get = |name: &str, r: usize| {
            self.vector(name)
                .and_then(|v| v.get(r).copied())
                .unwrap_or(0.0)
        };
        let dot = match (self.table(USER_EMBEDDING), self.table(ITEM_EMBEDDING)) {
            (Some(p), Some(q)) if u < p.nrows() && i < q.nrows() => p.row(u).dot(&q.row(i)),
            _ => 0.0,
        };
        let pred = mu + get(USER_BIAS, u) + get(ITEM_BIAS, i) + dot;
        let [lo, hi] = self
            .info
            .rating_range
            .unwrap_or([f32::NEG_INFINITY, f32::INFINITY]);
        Some(pred.clamp(lo, hi))
    }

    /// Record a finished training run: the per-epoch log, `fit_s` (sum of epoch seconds),
    /// `wall_s` since `start`, the seed, and what transfer did (`init`, when anything).
    pub fn record_run(
        &mut self,
        epochs: Vec<EpochLog>,
        start: std::time::Instant,
        seed: u64,
        inits: &[InitReport],
    ) {
        self.info.fit_s = Some(epochs.iter().map(|e| e.seconds).sum());
        self.epochs = epochs;
        self.info.wall_s = Some(start.elapsed().as_secs_f64());
        self.info.seed = Some(seed);
        self.info.init = inits.to_vec();
    }

    /// Title of item index `i`, if known.
    #[must_use]
    pub fn title(&self, i: usize) -> Option<&str> {
        self.item_info
            .get(i)
            .map(|x| x.title.as_str())
            .filter(|t| !t.is_empty())
    }
}

//! item2vec: the word2vec engine ([`crate::models::word2vec`]) over users' histories — each
//! user's items in time order (ties by item key, numerically when keys are numbers) form one
//! sentence — or over session/basket files (one line of item tokens per session).
//!
//! The model keeps the item vectors as `item/embedding` (output vectors as `item/context`)
//! and gives every user a query vector `user/embedding`: the normalised, recency-weighted
//! sum of the unit vectors of their last `history` items (the last item weighs 1, the one
//! before it `history_decay`, then `history_decay²`, …; decay 1 is the plain mean). Users'
//! scores are cosines (`scoring = "cosine"`
//! in the parameters), so `recommend` and `eval` rank the next item the way the item2vec
//! literature (Barkan & Koenigstein 2016) and gensim-based item2vec recipes do.

use std::time::Instant;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::word2vec::{self, Corpus, Sentences, Word2VecParams, WordVocab};
use super::{TrainContext, Trainer};
use crate::data::{Catalog, Interactions};
use crate::error::{Error, Result};
use crate::model::{Model, ITEM_EMBEDDING, USER_EMBEDDING};
use crate::text::TextFiles;
use crate::vocab::Vocab;

/// Table name of the items' output (context) vectors.
pub const ITEM_CONTEXT: &str = "item/context";
/// Table name of the hierarchical-softmax inner-node vectors (row `n` = inner node `n`; the
/// rows past the vocabulary's `V − 1` nodes are zero), kept so that an `--hs` run can resume.
pub const ITEM_HS: &str = "item/hs_nodes";

/// Hyper-parameters: the word2vec engine's, plus how a user's history makes their query
/// vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item2VecParams {
    /// Engine parameters.
    #[serde(flatten)]
    pub w2v: Word2VecParams,
    /// A user's query vector is made of their last `history` items' unit vectors.
    pub history: usize,
    /// The weight of each older item relative to the next newer one (in (0, 1]; 1 = the
    /// plain mean of the last `history` items).
    #[serde(default = "plain_mean")]
    pub history_decay: f32,
}

/// Models saved before `history_decay` existed averaged their history.
fn plain_mean() -> f32 {
    1.0
}

impl Default for Item2VecParams {
    fn default() -> Self {
        Item2VecParams {
            // chosen on ML-100K leave-last-out (BENCHMARKS.md, "item2vec defaults"): long
            // windows (a history is a set more than a sequence), a flat noise distribution
            // (popular items are not over-sampled as negatives), more epochs, and the last
            // items as a query, each older one weighing 0.7 of the next (chosen on a validation
            // split: above the last item alone and above plain means of the last 3 or 5)
            w2v: Word2VecParams {
                dim: 64,
                window: 50,
                min_count: 1,
                epochs: 20,
                ns_exponent: 0.0,
                ..Default::default()
            },
            history: 20,
            history_decay: 0.7,
        }
    }
}

/// The item2vec trainer.
#[derive(Debug, Clone, Default)]
pub struct Item2Vec {
    /// Hyper-parameters.
    pub params: Item2VecParams,
}

impl Item2Vec {
    /// A trainer with checked parameters.
    pub fn new(params: Item2VecParams) -> Result<Item2Vec> {
        params.w2v.check()?;
        if params.history == 0 {
            return Err(Error::Param("history must be at least 1".into()));
        }
        let d = params.history_decay;
        if !(d.is_finite() && d > 0.0 && d <= 1.0) {
            return Err(Error::Param(format!(
                "history-decay must be in (0, 1], not {d}"
            )));
        }
        Ok(Item2Vec { params })
    }

    /// Train on sessions/baskets: one line of whitespace-separated item tokens per session.
    pub fn fit_sessions(&self, files: &TextFiles, ctx: &TrainContext) -> Result<Model> {
        let start = Instant::now();
        ctx.check_inits("item2vec", &[ITEM_EMBEDDING])?;
        let vocab = WordVocab::build(files, self.params.w2v.min_count, self.params.w2v.max_vocab)?;
        let build_s = start.elapsed().as_secs_f64();
        let keys = Vocab::from_keys(vocab.words.iter().cloned());
        let (p, resume) = self.resume_state(ctx, &vocab, &keys, |m| {
            word2vec::Resume::from_model(m, "item", &self.resolved(vocab.len()), m.epochs.len())
        })?;
        let t = word2vec::train_with(
            files,
            &vocab,
            &keys,
            ITEM_EMBEDDING,
            &p,
            ctx,
            resume,
            0,
            &mut |_| Ok(()),
        )?;
        let mut model = Model {
            algo: "item2vec".into(),
            params: self.params_json(),
            item_info: vec![Default::default(); vocab.len()],
            item_counts: vocab
                .counts
                .iter()
                .map(|&c| c.min(u64::from(u32::MAX)) as u32)
                .collect(),
            ..Default::default()
        };
        model.params["dim"] = t.input.ncols().into();
        model.vocabs.insert("item".into(), keys);
        word2vec::record_corpus(&mut model, &vocab, &t, build_s);
        let trained_epochs = t.epochs.len();
        model.record_run(t.epochs, start, ctx.seed, &t.inits);
        word2vec::record_words_per_s(&mut model, t.raw_words, trained_epochs);
        model.tables.insert(ITEM_EMBEDDING.into(), t.input);
        if let Some(c) = t.context {
            model.tables.insert(ITEM_CONTEXT.into(), c);
        }
        if let Some(h) = t.hs_nodes {
            model.tables.insert(ITEM_HS.into(), h);
        }
        Ok(model)
    }

    /// The engine parameters with `dim` resolved for a vocabulary of `n`.
    fn resolved(&self, n: usize) -> word2vec::Word2VecParams {
        let mut p = self.params.w2v.clone();
        if p.dim == 0 {
            p.dim = crate::embedding::fourth_root_dim(n);
        }
        p
    }

    /// The resolved parameters and, for `ctx.resume`, the saved run's state (`state` reads its
    /// tables in `vocab`'s order). The item vocabulary checked is `items`.
    fn resume_state(
        &self,
        ctx: &TrainContext,
        vocab: &WordVocab,
        items: &Vocab,
        state: impl Fn(&Model) -> Result<word2vec::Resume>,
    ) -> Result<(word2vec::Word2VecParams, Option<word2vec::Resume>)> {
        let p = self.resolved(vocab.len());
        let mut params = self.params_json();
        params["dim"] = p.dim.into();
        match ctx.resumed("item2vec", &params, "epochs", p.epochs, &[("item", items)])? {
            None => Ok((p, None)),
            Some((m, _)) => {
                let mut r = state(m)?;
                // node rows: the first V of the saved (padded) table
                if let Some(h) = r.hs_nodes.take() {
                    if h.nrows() < vocab.len() {
                        return Err(Error::Param(
                            "--resume: the saved hierarchical-softmax table is too short".into(),
                        ));
                    }
                    r.hs_nodes = Some(h.slice(ndarray::s![..vocab.len(), ..]).to_owned());
                }
                Ok((p, Some(r)))
            }
        }
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }
}

/// Each user's item indices in time order (ties by item key, numerically when both parse).
#[must_use]
pub fn histories(data: &Interactions) -> Vec<Vec<u32>> {
    let mut rows: Vec<usize> = (0..data.len()).collect();
    let numeric: Vec<Option<i64>> = data
        .items
        .keys()
        .iter()
        .map(|k| k.trim().parse().ok())
        .collect();
    rows.sort_by(|&a, &b| {
        let (ia, ib) = (data.item[a] as usize, data.item[b] as usize);
        data.user[a]
            .cmp(&data.user[b])
            .then(data.timestamp[a].cmp(&data.timestamp[b]))
            .then_with(|| match (numeric[ia], numeric[ib]) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => data.items.keys()[ia].cmp(&data.items.keys()[ib]),
            })
    });
    let mut out = vec![Vec::new(); data.users.len()];
    for r in rows {
        out[data.user[r] as usize].push(data.item[r]);
    }
    out
}

/// Advice for interaction data whose users have long histories. item2vec learns from items
/// that sit near each other in a user's time-ordered history; when the median history is
/// longer than the window, neighbours follow when items were rated together (MovieLens users
/// rate films in bulk sessions) more than what they are. On the MovieLens 100K franchise
/// benchmark no window, noise exponent or subsampling setting lifts item2vec's hit@5 above
/// 0.21, where the default model reaches 0.58 (BENCHMARKS.md, "Neighbours people recognise").
/// Returns the median history length when it exceeds `window`.
#[must_use]
pub fn long_histories(data: &Interactions, window: usize) -> Option<usize> {
    let mut len = vec![0usize; data.users.len()];
    for &u in &data.user {
        len[u as usize] += 1;
    }
    if len.is_empty() {
        return None;
    }
    let mid = len.len() / 2;
    let (_, median, _) = len.select_nth_unstable(mid);
    (*median > window).then_some(*median)
}

/// Query vectors: for each history, the normalised sum of the unit vectors of its last `n`
/// items, the newest weighted 1 and each older one `decay` times the next newer one's
/// (`decay = 1`: the mean).
#[must_use]
pub fn query_vectors(items: &Array2<f32>, hist: &[Vec<u32>], n: usize, decay: f32) -> Array2<f32> {
    let mut unit = items.clone();
    crate::embedding::normalize_rows(&mut unit);
    let mut q = Array2::zeros((hist.len(), items.ncols()));
    for (u, h) in hist.iter().enumerate() {
        let mut row = q.row_mut(u);
        let mut w = 1.0f32;
        for &i in h.iter().rev().take(n) {
            row.scaled_add(w, &unit.row(i as usize));
            w *= decay;
        }
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|x| x / norm);
        }
    }
    q
}

impl Trainer for Item2Vec {
    fn name(&self) -> &'static str {
        "item2vec"
    }

    fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Catalog>,
        ctx: &TrainContext,
    ) -> Result<Model> {
        let start = Instant::now();
        super::require_interactions(data)?;
        ctx.check_inits("item2vec", &[ITEM_EMBEDDING])?;
        let hist = histories(data);
        let keys = data.items.keys();
        let corpus = Sentences(
            hist.iter()
                .map(|h| h.iter().map(|&i| keys[i as usize].clone()).collect())
                .collect(),
        );
        let vocab = WordVocab::build(
            &corpus as &dyn Corpus,
            self.params.w2v.min_count,
            self.params.w2v.max_vocab,
        )?;
        let build_s = start.elapsed().as_secs_f64();
        let wkeys = Vocab::from_keys(vocab.words.iter().cloned());
        // a saved model's rows are in the interactions' item order: back to the vocabulary's
        let to_vocab_order = |t: &Array2<f32>| -> Result<Array2<f32>> {
            let mut out = Array2::zeros((vocab.len(), t.ncols()));
            for (r, word) in vocab.words.iter().enumerate() {
                let i = data.items.get(word).ok_or_else(|| {
                    Error::Param(format!("--resume: item '{word}' is not in the saved model"))
                })? as usize;
                if i >= t.nrows() {
                    return Err(Error::Param(
                        "--resume: the saved item table is too short".into(),
                    ));
                }
                out.row_mut(r).assign(&t.row(i));
            }
            Ok(out)
        };
        let (p, resume) = self.resume_state(ctx, &vocab, &data.items, |m| {
            let mut r = word2vec::Resume::from_model(
                m,
                "item",
                &self.resolved(vocab.len()),
                m.epochs.len(),
            )?;
            r.input = to_vocab_order(&r.input)?;
            r.context = r.context.as_ref().map(&to_vocab_order).transpose()?;
            Ok(r)
        })?;
        let t = word2vec::train_with(
            &corpus,
            &vocab,
            &wkeys,
            ITEM_EMBEDDING,
            &p,
            ctx,
            resume,
            0,
            &mut |_| Ok(()),
        )?;
        // rows back in the interactions' item order; items below min_count stay zero
        let dim = t.input.ncols();
        let remap = |w: &Array2<f32>| {
            let mut out = Array2::zeros((data.items.len(), dim));
            for (r, word) in vocab.words.iter().enumerate() {
                if let Some(i) = data.items.get(word) {
                    out.row_mut(i as usize).assign(&w.row(r));
                }
            }
            out
        };
        let items = remap(&t.input);
        let mut model = Model::for_interactions("item2vec", data, catalog);
        model.params = self.params_json();
        model.params["dim"] = dim.into();
        word2vec::record_corpus(&mut model, &vocab, &t, build_s);
        model.record_run(t.epochs.clone(), start, ctx.seed, &t.inits);
        model.tables.insert(
            USER_EMBEDDING.into(),
            query_vectors(
                &items,
                &hist,
                self.params.history,
                self.params.history_decay,
            ),
        );
        if let Some(c) = &t.context {
            model.tables.insert(ITEM_CONTEXT.into(), remap(c));
        }
        if let Some(h) = &t.hs_nodes {
            // node rows are not items: padded with zero rows to the item table's length
            let mut padded = Array2::zeros((data.items.len(), dim));
            padded.slice_mut(ndarray::s![..h.nrows(), ..]).assign(h);
            model.tables.insert(ITEM_HS.into(), padded);
        }
        model.tables.insert(ITEM_EMBEDDING.into(), items);
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rows: &[(&str, &str, i64)]) -> Interactions {
        let mut x = Interactions::default();
        for &(u, i, t) in rows {
            x.push(u, i, 1.0, t);
        }
        x
    }

    #[test]
    fn histories_are_in_time_order_with_numeric_ties() {
        let x = data(&[
            ("u", "10", 5),
            ("u", "9", 5),
            ("u", "3", 1),
            ("v", "b", 2),
            ("v", "a", 2),
        ]);
        let h = histories(&x);
        let keys = |u: usize| -> Vec<&str> {
            h[u].iter()
                .map(|&i| x.items.key(i as usize).unwrap())
                .collect()
        };
        assert_eq!(keys(0), vec!["3", "9", "10"]);
        assert_eq!(keys(1), vec!["a", "b"]);
    }

    #[test]
    fn query_vectors_average_the_last_items() {
        let items = ndarray::array![[2.0f32, 0.0], [0.0, 3.0], [-1.0, 0.0]];
        let q = query_vectors(&items, &[vec![2, 0, 1], vec![]], 2, 1.0);
        let s = std::f32::consts::FRAC_1_SQRT_2;
        assert!((q[[0, 0]] - s).abs() < 1e-6 && (q[[0, 1]] - s).abs() < 1e-6);
        assert_eq!(q.row(1).to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn query_vectors_weight_older_items_by_the_decay() {
        // history 2, 0, 1 (newest last): unit rows (-1, 0), (1, 0), (0, 1); weights ¼, ½, 1
        let items = ndarray::array![[2.0f32, 0.0], [0.0, 3.0], [-1.0, 0.0]];
        let q = query_vectors(&items, &[vec![2, 0, 1]], 3, 0.5);
        let (x, y) = (0.5f32 - 0.25, 1.0f32);
        let n = x.hypot(y);
        assert!((q[[0, 0]] - x / n).abs() < 1e-6 && (q[[0, 1]] - y / n).abs() < 1e-6);
        // only the last `n` items count, whatever the decay
        let last = query_vectors(&items, &[vec![2, 0, 1]], 1, 0.5);
        assert_eq!(last.row(0).to_vec(), vec![0.0, 1.0]);
    }

    #[test]
    fn long_histories_are_told() {
        let mut x = Interactions::default();
        for u in 0..3 {
            for i in 0..(10 + u * 40) {
                x.push(&format!("u{u}"), &format!("i{i}"), 1.0, i64::from(i as u32));
            }
        }
        // lengths 10, 50, 90: median 50
        assert_eq!(long_histories(&x, 20), Some(50));
        assert_eq!(long_histories(&x, 50), None);
        assert_eq!(long_histories(&Interactions::default(), 5), None);
    }

    #[test]
    fn history_decay_outside_0_1_is_refused() {
        for d in [0.0, -0.5, 1.5, f32::NAN] {
            let p = Item2VecParams {
                history_decay: d,
                ..Default::default()
            };
            assert!(Item2Vec::new(p).is_err(), "decay {d}");
        }
    }
}

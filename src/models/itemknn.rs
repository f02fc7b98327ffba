//! Item-KNN: sparse item × item similarities from co-occurrence, keeping the top K per item
//! (as `implicit`'s `CosineRecommender`, `TFIDFRecommender` and `BM25Recommender`).
//!
//! From the users × items matrix `X` (1 per interacted pair), two weighted copies `Q` (the
//! query side) and `D` (the document side) are made ([`Weighting`]), and `S = Qᵀ D` is
//! computed row by row, sparsely: item `i`'s row sums `q_ui · d_uj` over the users `u` of `i`
//! and their items `j`, so the cost is `Σ_u n_u²`, never `items²`. Only the K largest
//! similarities of each row are kept, the item itself excluded (implicit keeps the item among
//! its own K). Similarities:
//!
//! - `cosine`: each item's column scaled to unit length, so `S` is the cosine of co-occurrence;
//! - `tfidf`: TF-IDF weights (`√x · idf(user)`), then unit columns;
//! - `bm25`: item `j` scored as a BM25 document against the query "the users of item `i`":
//!   `S[i, j] = Σ_{u ∈ i} idf(u) · tf(u, j)`, with `tf` BM25's saturated, length-normalised
//!   term frequency `x (K1 + 1) / (K1 ((1 − B) + B L_j) + x)` — Robertson's scoring, each query
//!   term counted once. A popular item's long "document" shrinks its `tf`, so neighbours are
//!   not crowded by popular items. (implicit's `BM25Recommender` multiplies BM25 weights on
//!   both sides, `Wᵀ W`, so its idf enters squared; on MovieLens 100K that favours films of
//!   light users and finds fewer sequels: BENCHMARKS.md, "Neighbours people recognise".)
//!
//! A user's score for item `j` is `Σ_{i seen} S[i, j]` (the neighbours of what they liked),
//! seen items excluded. Users similar to a user are found at query time from the training
//! interactions the model keeps (see [`crate::similarity::Lookup::similar_users`]).
//!
//! Each row is summed in a fixed order by one thread, so the table does not depend on the
//! thread count.

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::weighting::{normalize_columns, Weighting};
use super::{TrainContext, Trainer};
use crate::data::{Catalog, Interactions};
use crate::error::{Error, Result};
use crate::model::{Model, Neighbours};

/// How items are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    /// Cosine of the binary co-occurrence columns.
    Cosine,
    /// BM25-weighted co-occurrence (implicit's `BM25Recommender`).
    #[default]
    Bm25,
    /// Cosine of TF-IDF-weighted columns.
    Tfidf,
}

impl Similarity {
    /// The `--similarity` spelling.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Similarity::Cosine => "cosine",
            Similarity::Bm25 => "bm25",
            Similarity::Tfidf => "tfidf",
        }
    }
}

/// Item-KNN hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemKnnParams {
    /// Similarity measure.
    pub similarity: Similarity,
    /// Neighbours kept per item (K).
    pub neighbours: usize,
    /// BM25's term-frequency saturation (with `similarity = bm25`).
    pub bm25_k1: f32,
    /// BM25's length normalisation (with `similarity = bm25`).
    pub bm25_b: f32,
}

/// BM25 with `bm25_weight`'s constants (K1 = 100, B = 0.8, the same as `--weighting bm25`)
/// and K = 50 neighbours. implicit's `BM25Recommender` uses K1 = 1.2, B = 0.75; on the
/// MovieLens 100K franchise benchmark K1 = 100, B = 0.8 finds a sequel among the first five
/// neighbours for 54 % of films against 29 % (BENCHMARKS.md, "Neighbours people recognise").
impl Default for ItemKnnParams {
    fn default() -> Self {
        ItemKnnParams {
            similarity: Similarity::Bm25,
            neighbours: 50,
            bm25_k1: super::weighting::BM25_K1,
            bm25_b: super::weighting::BM25_B,
        }
    }
}

impl ItemKnnParams {
    /// The weighting applied before the product.
    #[must_use]
    pub fn weighting(&self) -> Weighting {
        match self.similarity {
            Similarity::Cosine => Weighting::None,
            Similarity::Tfidf => Weighting::Tfidf,
            Similarity::Bm25 => Weighting::Bm25 {
                k1: self.bm25_k1,
                b: self.bm25_b,
            },
        }
    }

    /// Reject values no run could use.
    pub fn check(&self) -> Result<()> {
        if self.neighbours == 0 || self.neighbours > 100_000 {
            return Err(Error::Param("neighbours must be in 1..=100000".into()));
        }
        self.weighting().check()
    }
}

/// The item-KNN trainer.
#[derive(Debug, Clone, Default)]
pub struct ItemKnn {
    /// Its parameters.
    pub params: ItemKnnParams,
}

impl ItemKnn {
    /// An item-KNN trainer with checked parameters.
    pub fn new(params: ItemKnnParams) -> Result<ItemKnn> {
        params.check()?;
        Ok(ItemKnn { params })
    }

    /// The item × item neighbour table of `data`.
    pub fn neighbours(&self, data: &Interactions, ctx: &TrainContext) -> Result<Neighbours> {
        let p = &self.params;
        let (query, docs) = self.matrices(data);
        let qt = query.transpose_view().to_csr();
        ctx.install(|| top_k_products(&qt, &docs, p.neighbours))
    }

    /// The users × items matrices whose product `Qᵀ D` is the similarity: for cosine and
    /// TF-IDF both are the weighted matrix with unit columns; for BM25 the query side is
    /// `x · idf(u)` and the document side BM25's term-frequency part, so a query item's
    /// users count once each, weighted by their idf, as BM25 scores a document.
    fn matrices(&self, data: &Interactions) -> (CsMat<f32>, CsMat<f32>) {
        let p = &self.params;
        let mut w = data.binary_csr();
        if p.similarity == Similarity::Bm25 {
            let (n_users, n_items) = w.shape();
            let idf = super::weighting::user_idf(&w, n_users, n_items);
            let mut q = w.clone();
            let ptr: Vec<usize> = q.indptr().to_proper().to_vec();
            let data = q.data_mut();
            for u in 0..n_users {
                for v in &mut data[ptr[u]..ptr[u + 1]] {
                    *v = (f64::from(*v) * idf[u]) as f32;
                }
            }
            p.weighting().apply_tf(&mut w);
            return (q, w);
        }
        p.weighting().apply(&mut w);
        normalize_columns(&mut w);
        (w.clone(), w)
    }
}

/// Add the item × item neighbour table of `data` to a model trained on it (the default model
/// keeps ALS factors for `recommend` and this table for `similar`); the table's parameters are
/// recorded in `info.neighbours`.
pub fn attach_item_neighbours(
    model: &mut Model,
    data: &Interactions,
    params: &ItemKnnParams,
    ctx: &TrainContext,
) -> Result<()> {
    let t = ItemKnn::new(params.clone())?;
    let start = Instant::now();
    let items = t.neighbours(data, ctx)?;
    model.neighbours.insert("item".into(), items);
    model.info.neighbours = Some(crate::model::NeighbourTableInfo {
        similarity: params.similarity.name().to_string(),
        neighbours: params.neighbours,
        bm25_k1: params.bm25_k1,
        bm25_b: params.bm25_b,
        fit_s: start.elapsed().as_secs_f64(),
    });
    Ok(())
}

/// Row `r` of `a · b` for every row of `a` (`b` CSR with as many rows as `a` has columns),
/// keeping the `k` largest positive entries of each row except column `r`, best first, ties
/// to the lower index. Rows are computed in parallel; each in a fixed order.
#[must_use]
pub fn top_k_products(a: &CsMat<f32>, b: &CsMat<f32>, k: usize) -> Neighbours {
    let n = b.cols();
    let (a_ip, b_ip) = (a.indptr(), b.indptr());
    let (a_ptr, b_ptr) = (a_ip.to_proper(), b_ip.to_proper());
    let (a_ix, a_val, b_ix, b_val) = (a.indices(), a.data(), b.indices(), b.data());
    let rows: Vec<(Vec<u32>, Vec<f32>)> = (0..a.rows())
        .into_par_iter()
        .with_min_len(16)
        .map_init(
            || (vec![0f32; n], Vec::<u32>::new()),
            |(acc, touched), r| {
                for (&m, &x) in a_ix[a_ptr[r]..a_ptr[r + 1]]
                    .iter()
                    .zip(&a_val[a_ptr[r]..a_ptr[r + 1]])
                {
                    let (lo, hi) = (b_ptr[m], b_ptr[m + 1]);
                    for (&j, &y) in b_ix[lo..hi].iter().zip(&b_val[lo..hi]) {
                        // a cell seen for the first time is remembered; one whose running sum
                        // came back to exactly 0 may be remembered twice, and is read once below
                        if acc[j] == 0.0 {
                            touched.push(j as u32);
                        }
                        acc[j] += x * y;
                    }
                }
                let mut cand: Vec<(u32, f32)> = Vec::with_capacity(touched.len());
                for &j in touched.iter() {
                    let s = std::mem::take(&mut acc[j as usize]);
                    if j as usize != r && s > 0.0 && s.is_finite() {
                        cand.push((j, s));
                    }
                }
                touched.clear();
                let order =
                    |x: &(u32, f32), y: &(u32, f32)| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0));
                if cand.len() > k {
                    cand.select_nth_unstable_by(k - 1, order);
                    cand.truncate(k);
                }
                cand.sort_by(order);
                cand.into_iter().unzip()
            },
        )
        .collect();
    let mut out = Neighbours {
        indptr: Vec::with_capacity(rows.len() + 1),
        ..Default::default()
    };
    out.indptr.push(0);
    for (ix, sc) in rows {
        out.indices.extend(ix);
        out.scores.extend(sc);
        out.indptr.push(out.indices.len() as u64);
    }
    out
}

impl Trainer for ItemKnn {
    fn name(&self) -> &'static str {
        "itemknn"
    }

    fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Catalog>,
        ctx: &TrainContext,
    ) -> Result<Model> {
        self.params.check()?;
        super::require_interactions(data)?;
        ctx.check_inits("itemknn", &[])?;
        if ctx.resume.is_some() {
            return Err(Error::Param(
                "--resume: itemknn has no epochs to continue (it is computed in one pass)".into(),
            ));
        }
        let start = Instant::now();
        let items = self.neighbours(data, ctx)?;
        let mut model = Model::for_interactions("itemknn", data, catalog);
        model.params = serde_json::to_value(&self.params).unwrap_or_default();
        model.neighbours.insert("item".into(), items);
        model.record_run(Vec::new(), start, ctx.seed, &[]);
        let secs = start.elapsed().as_secs_f64();
        model.info.fit_s = Some(secs);
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(u32, u32)]) -> Interactions {
        let mut x = Interactions::default();
        for &(u, i) in pairs {
            x.push(&format!("u{u}"), &format!("i{i}"), 1.0, 0);
        }
        x
    }

    /// The dense computation from the formulas (not through `Weighting`): weighted query and
    /// document columns, their dot products, top k by row.
    fn brute(x: &Interactions, p: &ItemKnnParams) -> Vec<Vec<(u32, f32)>> {
        let d = x.binary_csr().to_dense().mapv(f64::from);
        let (nu, n) = d.dim();
        let n_u: Vec<f64> = (0..nu).map(|u| d.row(u).sum()).collect();
        let len: Vec<f64> = (0..n).map(|j| d.column(j).sum()).collect();
        let mean = len.iter().sum::<f64>() / n as f64;
        let idf: Vec<f64> = n_u
            .iter()
            .map(|c| (n as f64).ln() - (1.0 + c).ln())
            .collect();
        let (k1, b) = (f64::from(p.bm25_k1), f64::from(p.bm25_b));
        let mut q = d.clone();
        let mut w = d.clone();
        for u in 0..nu {
            for j in 0..n {
                let v = d[[u, j]];
                match p.similarity {
                    Similarity::Cosine => {}
                    Similarity::Tfidf => {
                        q[[u, j]] = v.sqrt() * idf[u];
                        w[[u, j]] = q[[u, j]];
                    }
                    Similarity::Bm25 => {
                        q[[u, j]] = v * idf[u];
                        w[[u, j]] = v * (k1 + 1.0) / (k1 * ((1.0 - b) + b * len[j] / mean) + v);
                    }
                }
            }
        }
        if p.similarity != Similarity::Bm25 {
            for j in 0..n {
                let norm = w.column(j).dot(&w.column(j)).sqrt();
                if norm > 0.0 {
                    w.column_mut(j).mapv_inplace(|v| v / norm);
                }
            }
            q = w.clone();
        }
        (0..n)
            .map(|i| {
                let mut row: Vec<(u32, f32)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (j as u32, q.column(i).dot(&w.column(j)) as f32))
                    .filter(|&(_, s)| s > 0.0)
                    .collect();
                row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                row.truncate(p.neighbours);
                row
            })
            .collect()
    }

    #[test]
    fn sparse_product_matches_the_dense_computation() {
        // 30 users × 12 items, a fixed pseudo-random pattern
        let mut pairs = Vec::new();
        let mut s = 7u64;
        for u in 0..30u32 {
            for i in 0..12u32 {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if (s >> 33).is_multiple_of(3) || (i < 2 && u.is_multiple_of(2)) {
                    pairs.push((u, i));
                }
            }
        }
        let x = data(&pairs);
        for similarity in [Similarity::Cosine, Similarity::Tfidf, Similarity::Bm25] {
            let p = ItemKnnParams {
                similarity,
                neighbours: 4,
                ..Default::default()
            };
            let nb = ItemKnn::new(p.clone())
                .unwrap()
                .neighbours(&x, &TrainContext::default())
                .unwrap();
            assert!(nb.is_consistent(x.items.len()));
            let want = brute(&x, &p);
            for (i, w) in want.iter().enumerate() {
                let (ix, sc) = nb.row(i);
                assert_eq!(
                    ix,
                    w.iter().map(|e| e.0).collect::<Vec<_>>(),
                    "{similarity:?} row {i}"
                );
                for (a, b) in sc.iter().zip(w) {
                    assert!(
                        (a - b.1).abs() < 1e-4 * b.1.abs().max(1.0),
                        "{similarity:?} row {i}: {a} vs {}",
                        b.1
                    );
                }
            }
        }
    }

    #[test]
    fn thread_count_does_not_change_the_table() {
        let pairs: Vec<(u32, u32)> = (0..200u32).map(|k| (k % 17, (k * 7) % 23)).collect();
        let x = data(&pairs);
        let t = ItemKnn::default();
        let one = t
            .neighbours(
                &x,
                &TrainContext {
                    threads: 1,
                    ..Default::default()
                },
            )
            .unwrap();
        let two = t
            .neighbours(
                &x,
                &TrainContext {
                    threads: 2,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(one, two);
        assert!(one.is_consistent(x.items.len()));
    }

    #[test]
    fn params_are_checked() {
        let bad = ItemKnnParams {
            neighbours: 0,
            ..Default::default()
        };
        assert!(ItemKnn::new(bad).is_err());
        let bad = ItemKnnParams {
            bm25_b: 2.0,
            ..Default::default()
        };
        assert!(ItemKnn::new(bad).is_err());
    }
}

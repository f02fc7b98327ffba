//! Interaction weighting as the information-retrieval view of recommender data has it: items
//! are documents and the users who interacted with them are their terms, so a user who
//! interacted with everything says little about any one item (inverse document frequency),
//! and a popular item's many interactions count for less each (BM25's length norm).
//!
//! The formulas are those of `implicit.nearest_neighbours.bm25_weight` and `tfidf_weight`
//! applied to the items × users matrix (as `BM25Recommender` and implicit's MovieLens example
//! do). With `N` items, `n_u` the number of items of user `u`, `x` a cell and `L_i` the sum of
//! item `i`'s cells over the mean of that sum over all items:
//!
//! - `idf(u) = ln N − ln(1 + n_u)`
//! - TF-IDF: `w = √x · idf(u)`
//! - BM25: `w = x · (K1 + 1) / (K1 · ((1 − B) + B · L_i) + x) · idf(u)`

use serde::{Deserialize, Serialize};
use sprs::CsMat;

use crate::error::{Error, Result};

/// How the cells of the users × items matrix are weighted before training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Weighting {
    /// Cells as they are (1 for implicit feedback).
    #[default]
    None,
    /// BM25 (Robertson–Spärck Jones), items as documents.
    Bm25 {
        /// Term-frequency saturation (implicit's default for ALS: 100).
        k1: f32,
        /// Length normalisation, 0 (none) to 1 (full) (implicit's default: 0.8).
        b: f32,
    },
    /// TF-IDF: `√x · idf`.
    Tfidf,
}

/// implicit's `bm25_weight` defaults.
pub const BM25_K1: f32 = 100.0;
/// implicit's `bm25_weight` defaults.
pub const BM25_B: f32 = 0.8;

impl Weighting {
    /// BM25 with implicit's defaults (K1 = 100, B = 0.8).
    #[must_use]
    pub fn bm25() -> Weighting {
        Weighting::Bm25 {
            k1: BM25_K1,
            b: BM25_B,
        }
    }

    /// The `--weighting` spelling.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Weighting::None => "none",
            Weighting::Bm25 { .. } => "bm25",
            Weighting::Tfidf => "tfidf",
        }
    }

    /// Reject values no run could use.
    pub fn check(&self) -> Result<()> {
        if let Weighting::Bm25 { k1, b } = *self {
            if !(k1.is_finite() && k1 >= 0.0) {
                return Err(Error::Param(format!(
                    "--bm25-k1 must be a finite number >= 0, not {k1}"
                )));
            }
            if !(0.0..=1.0).contains(&b) {
                return Err(Error::Param(format!("--bm25-b must be in [0, 1], not {b}")));
            }
        }
        Ok(())
    }

    /// Weight `m` (users × items, CSR) in place; cells stay where they are.
    pub fn apply(&self, m: &mut CsMat<f32>) {
        self.apply_with(m, true);
    }

    /// [`Weighting::apply`] without the `idf(u)` factor: BM25's saturated, length-normalised
    /// term frequency alone, `√x` for TF-IDF (a BM25 *document* as it is scored against a query
    /// whose terms carry the idf).
    pub fn apply_tf(&self, m: &mut CsMat<f32>) {
        self.apply_with(m, false);
    }

    fn apply_with(&self, m: &mut CsMat<f32>, with_idf: bool) {
        if *self == Weighting::None {
            return;
        }
        let (n_users, n_items) = m.shape();
        let idf = if with_idf {
            user_idf(m, n_users, n_items)
        } else {
            vec![1.0; n_users]
        };
        let mut item_sum = vec![0f64; n_items];
        for (&v, (_, i)) in m.iter() {
            item_sum[i] += f64::from(v);
        }
        let mean = item_sum.iter().sum::<f64>() / n_items.max(1) as f64;
        let weighting = *self;
        let indptr: Vec<usize> = m.indptr().to_proper().to_vec();
        let indices = m.indices().to_vec();
        let data = m.data_mut();
        for u in 0..n_users {
            for k in indptr[u]..indptr[u + 1] {
                let i = indices[k];
                data[k] = weighting.cell(f64::from(data[k]), idf[u], item_sum[i], mean) as f32;
            }
        }
    }
}

impl Weighting {
    /// One cell's weight: value `x`, its user's `idf`, its item's sum and the mean item sum.
    fn cell(&self, x: f64, idf: f64, item_sum: f64, mean: f64) -> f64 {
        match *self {
            Weighting::None => x,
            Weighting::Tfidf => x.sqrt() * idf,
            Weighting::Bm25 { k1, b } => {
                let (k1, b) = (f64::from(k1), f64::from(b));
                let norm = if mean > 0.0 {
                    (1.0 - b) + b * item_sum / mean
                } else {
                    1.0
                };
                x * (k1 + 1.0) / (k1 * norm + x) * idf
            }
        }
    }

    /// The weights of one user's row — distinct `items`, each with value 1 — as
    /// [`Weighting::apply`] gives them when the training matrix had item sums `item_sums`
    /// (for a user folded in after training: the items keep their training sums).
    #[must_use]
    pub fn weigh_row(&self, items: &[u32], item_sums: &[f64]) -> Vec<f32> {
        let n = item_sums.len();
        let idf = (n as f64).ln() - (items.len() as f64).ln_1p();
        let mean = item_sums.iter().sum::<f64>() / n.max(1) as f64;
        items
            .iter()
            .map(|&i| {
                let s = item_sums.get(i as usize).copied().unwrap_or(0.0);
                self.cell(1.0, idf, s, mean) as f32
            })
            .collect()
    }
}

/// `ln N − ln(1 + n_u)` for every user (rows of `m`), `N` the number of items.
#[must_use]
pub fn user_idf(m: &CsMat<f32>, n_users: usize, n_items: usize) -> Vec<f64> {
    let n = (n_items as f64).ln();
    (0..n_users)
        .map(|u| {
            let nu = m.outer_view(u).map_or(0, |r| r.nnz());
            n - (nu as f64).ln_1p()
        })
        .collect()
}

/// Scale every column of `m` (users × items) to unit L2 norm (empty columns stay empty).
pub fn normalize_columns(m: &mut CsMat<f32>) {
    let n_items = m.cols();
    let mut sq = vec![0f64; n_items];
    for (&v, (_, i)) in m.iter() {
        sq[i] += f64::from(v) * f64::from(v);
    }
    let indices = m.indices().to_vec();
    for (v, &i) in m.data_mut().iter_mut().zip(&indices) {
        if sq[i] > 0.0 {
            *v = (f64::from(*v) / sq[i].sqrt()) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 users × 4 items: u0 {0,1,2}, u1 {0}, u2 {0,3} (binary).
    fn small() -> CsMat<f32> {
        let mut t = sprs::TriMat::new((3, 4));
        for (u, i) in [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0), (2, 3)] {
            t.add_triplet(u, i, 1.0f32);
        }
        t.to_csr()
    }

    fn cell(m: &CsMat<f32>, u: usize, i: usize) -> f64 {
        f64::from(*m.get(u, i).expect("cell present"))
    }

    #[test]
    fn bm25_matches_hand_computed_cells() {
        let mut m = small();
        Weighting::Bm25 { k1: 100.0, b: 0.8 }.apply(&mut m);
        // N = 4 items; item sums 3,1,1,1 (mean 1.5); users have 3, 1, 2 items
        let idf = |nu: f64| 4f64.ln() - (1.0 + nu).ln();
        let norm = |s: f64| 0.2 + 0.8 * s / 1.5;
        let w = |s: f64, nu: f64| 101.0 / (100.0 * norm(s) + 1.0) * idf(nu);
        for (u, i, s, nu) in [
            (0, 0, 3.0, 3.0),
            (0, 1, 1.0, 3.0),
            (1, 0, 3.0, 1.0),
            (2, 3, 1.0, 2.0),
        ] {
            let got = cell(&m, u, i);
            assert!(
                (got - w(s, nu)).abs() < 1e-6,
                "({u},{i}) {got} vs {}",
                w(s, nu)
            );
        }
        // a user with every item has idf ln 4 − ln 4 = 0 (u0 has 3 of 4: ln 4 − ln 4 = 0)
        assert!(cell(&m, 0, 1).abs() < 1e-7);
        // u1 (one item): idf = ln 4 − ln 2 = ln 2; item 0 (popular) norm = 1.8
        assert!((cell(&m, 1, 0) - 101.0 / 181.0 * 2f64.ln()).abs() < 1e-6);
    }

    #[test]
    fn the_tf_part_leaves_out_the_idf() {
        let (mut full, mut tf) = (small(), small());
        let w = Weighting::Bm25 { k1: 100.0, b: 0.8 };
        w.apply(&mut full);
        w.apply_tf(&mut tf);
        let idf = user_idf(&small(), 3, 4);
        for (u, i) in [(1, 0), (2, 3), (2, 0)] {
            assert!((cell(&tf, u, i) * idf[u] - cell(&full, u, i)).abs() < 1e-6);
        }
        // item 3 (one interaction, norm 0.2 + 0.8/1.5): 101 / (100 · norm + 1)
        assert!((cell(&tf, 2, 3) - 101.0 / (100.0 * (0.2 + 0.8 / 1.5) + 1.0)).abs() < 1e-5);
    }

    #[test]
    fn a_row_weighed_alone_matches_the_matrix() {
        let w = Weighting::Bm25 { k1: 100.0, b: 0.8 };
        let mut m = small();
        w.apply(&mut m);
        // item sums of small(): 3, 1, 1, 1
        let row = w.weigh_row(&[0, 3], &[3.0, 1.0, 1.0, 1.0]);
        assert!((f64::from(row[0]) - cell(&m, 2, 0)).abs() < 1e-6);
        assert!((f64::from(row[1]) - cell(&m, 2, 3)).abs() < 1e-6);
    }

    #[test]
    fn tfidf_matches_hand_computed_cells() {
        let mut m = small();
        // a repeated interaction: u2 rated item 3 four times
        let v = m.get_mut(2, 3).expect("cell");
        *v = 4.0;
        Weighting::Tfidf.apply(&mut m);
        let idf2 = 4f64.ln() - 3f64.ln(); // u2 has 2 items
        assert!((cell(&m, 2, 3) - 2.0 * idf2).abs() < 1e-6);
        assert!((cell(&m, 2, 0) - idf2).abs() < 1e-6);
        assert!((cell(&m, 1, 0) - 2f64.ln()).abs() < 1e-6);
    }

    #[test]
    fn none_is_identity_and_columns_normalise() {
        let mut m = small();
        let before = m.clone();
        Weighting::None.apply(&mut m);
        assert_eq!(m, before);
        normalize_columns(&mut m);
        // item 0 has three cells of 1: each 1/√3
        assert!((cell(&m, 1, 0) - 1.0 / 3f64.sqrt()).abs() < 1e-6);
        assert!((cell(&m, 0, 1) - 1.0).abs() < 1e-7);
    }

    #[test]
    fn bad_bm25_parameters_are_refused() {
        assert!(Weighting::Bm25 { k1: -1.0, b: 0.5 }.check().is_err());
        assert!(Weighting::Bm25 { k1: 1.0, b: 1.5 }.check().is_err());
        assert!(Weighting::bm25().check().is_ok());
    }
}

//! LSA / PPMI-SVD: the count-based baseline for word vectors (Levy, Goldberg, Dagan 2015).
//!
//! Windowed co-occurrence counts ([`super::cooccur`]) are reweighted cell by cell, then the
//! matrix is factorised by a randomised truncated SVD (the crate-private `rsvd`):
//! - `ppmi` (default): `max(0, ln X_ij − ln X_i* − ln P_α(j))` with context-distribution
//!   smoothing `P_α(j) = X_j*^α / Σ_k X_k*^α` (`α = 0.75`, `cds`); the smoothing makes the
//!   matrix asymmetric, so a true SVD is used, not an eigen-decomposition;
//! - `log-count`: `ln(1 + X_ij)` (classic LSA on a word–word matrix).
//!
//! A word's vector is its row of `U_d · Σ_d^p` with `p = eig` (default 0.5, Levy et al.'s
//! recommendation; 1 is the textbook `UΣ`, 0 the bare singular vectors).

use std::time::Instant;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::cooccur::Cooc;
use super::glove::{count_corpus, record_counts, text_model};
use super::rsvd::{truncated_svd, SymPattern};
use super::word2vec::{Corpus, WORD_EMBEDDING};
use super::TrainContext;
use crate::error::{Error, Result};
use crate::model::EpochLog;
use crate::vocab::Vocab;

/// How counts become matrix cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// Positive PMI with context-distribution smoothing.
    #[default]
    Ppmi,
    /// `ln(1 + count)`.
    LogCount,
}

/// Hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsaParams {
    /// Vector width (number of singular directions); 0 = the fourth-root rule.
    pub dim: usize,
    /// Co-occurrence window.
    pub window: usize,
    /// Weight pairs `d` apart by `1/d` (true) or count them all (false).
    pub harmonic: bool,
    /// Words seen fewer times are dropped.
    pub min_count: u64,
    /// Keep at most this many words, the most frequent (`None`: all that reach `min_count`);
    /// the counting pass then holds at most twice as many distinct words.
    #[serde(default)]
    pub max_vocab: Option<usize>,
    /// Cell weighting.
    pub weighting: Weighting,
    /// Context-distribution smoothing exponent of PPMI.
    pub cds: f64,
    /// Exponent of the singular values in the word vectors.
    pub eig: f64,
    /// Extra random directions of the range finder.
    pub oversample: usize,
    /// Subspace (power) iterations.
    pub power_iters: usize,
    /// Memory budget of co-occurrence counting in MiB.
    pub memory_mb: usize,
}

impl Default for LsaParams {
    fn default() -> Self {
        LsaParams {
            dim: 100,
            window: 5,
            harmonic: true,
            min_count: 5,
            max_vocab: None,
            weighting: Weighting::Ppmi,
            cds: 0.75,
            eig: 0.5,
            oversample: 20,
            power_iters: 4,
            memory_mb: 2048,
        }
    }
}

impl LsaParams {
    /// Reject parameters that cannot train.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Param(m));
        if self.window == 0 {
            return bad("window must be at least 1".into());
        }
        if self.dim > 4096 {
            return bad(format!("dim must be at most 4096, not {}", self.dim));
        }
        if !(self.cds.is_finite() && self.cds > 0.0) {
            return bad(format!("cds must be positive, not {}", self.cds));
        }
        if !self.eig.is_finite() {
            return bad(format!("eig must be finite, not {}", self.eig));
        }
        if self.memory_mb == 0 {
            return bad("--memory-mb must be at least 1".into());
        }
        Ok(())
    }
}

/// The weighted matrix on the full symmetric pattern of `m`.
pub(crate) fn weighted(m: &Cooc, p: &LsaParams) -> SymPattern {
    let n = m.n;
    let mut deg = vec![0usize; n];
    for c in &m.pairs {
        deg[c.i as usize] += 1;
        if c.i != c.j {
            deg[c.j as usize] += 1;
        }
    }
    let mut indptr = vec![0usize; n + 1];
    for r in 0..n {
        indptr[r + 1] = indptr[r] + deg[r];
    }
    let nnz = indptr[n];
    let mut indices = vec![0u32; nnz];
    let mut counts = vec![0f32; nnz];
    let mut fill = indptr.clone();
    // lower part first (columns < row, in ascending order), then diagonal and upper part
    for c in m.pairs.iter().filter(|c| c.i != c.j) {
        let r = c.j as usize;
        indices[fill[r]] = c.i;
        counts[fill[r]] = c.x;
        fill[r] += 1;
    }
    for c in &m.pairs {
        let r = c.i as usize;
        indices[fill[r]] = c.j;
        counts[fill[r]] = c.x;
        fill[r] += 1;
    }
    let sums = m.row_sums();
    let ln_row: Vec<f64> = sums.iter().map(|s| s.max(f64::MIN_POSITIVE).ln()).collect();
    let z: f64 = sums
        .iter()
        .map(|s| s.powf(p.cds))
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let ln_ctx: Vec<f64> = sums
        .iter()
        .map(|s| (s.powf(p.cds) / z).max(f64::MIN_POSITIVE).ln())
        .collect();
    let cell = |r: usize, c: usize, x: f32| -> f32 {
        match p.weighting {
            Weighting::LogCount => (1.0 + f64::from(x)).ln() as f32,
            Weighting::Ppmi => (f64::from(x).ln() - ln_row[r] - ln_ctx[c]).max(0.0) as f32,
        }
    };
    let mut values = vec![0f32; nnz];
    let mut values_t = vec![0f32; nnz];
    for r in 0..n {
        for k in indptr[r]..indptr[r + 1] {
            let c = indices[k] as usize;
            values[k] = cell(r, c, counts[k]);
            values_t[k] = cell(c, r, counts[k]);
        }
    }
    SymPattern {
        n,
        indptr,
        indices,
        values,
        values_t,
    }
}

/// The LSA trainer.
#[derive(Debug, Clone, Default)]
pub struct Lsa {
    /// Hyper-parameters.
    pub params: LsaParams,
}

impl Lsa {
    /// A trainer with checked parameters.
    pub fn new(params: LsaParams) -> Result<Lsa> {
        params.check()?;
        Ok(Lsa { params })
    }

    /// Count, weight and factorise; the model has the `word` vocabulary and [`WORD_EMBEDDING`].
    pub fn fit(&self, corpus: &dyn Corpus, ctx: &TrainContext) -> Result<crate::model::Model> {
        let start = Instant::now();
        let p = &self.params;
        if !ctx.inits.is_empty() || ctx.resume.is_some() {
            return Err(Error::Param(
                "lsa is a closed-form factorisation: it takes no --init-from or --resume".into(),
            ));
        }
        let (vocab, m, count_s) = count_corpus(
            corpus,
            (p.min_count, p.max_vocab),
            p.window,
            p.harmonic,
            p.memory_mb,
            ctx,
        )?;
        let n = vocab.len();
        let dim = if p.dim == 0 {
            crate::embedding::fourth_root_dim(n)
        } else {
            p.dim
        };
        if dim > n {
            return Err(Error::Param(format!(
                "--dim {dim} is more than the {n} words of the vocabulary; lsa has at most one direction per word"
            )));
        }
        let t0 = Instant::now();
        let a = weighted(&m, p);
        let distinct_pairs = m.pairs.len();
        drop(m);
        let nnz = a.indices.len();
        let (u, sv) =
            ctx.install(|| truncated_svd(&a, dim, p.oversample, p.power_iters, ctx.seed))?;
        let mut table = Array2::<f32>::zeros((n, dim));
        for k in 0..dim {
            let scale = sv[k].powf(p.eig);
            for r in 0..n {
                table[[r, k]] = (u[[r, k]] * scale) as f32;
            }
        }
        let svd_s = t0.elapsed().as_secs_f64();
        let keys = Vocab::from_keys(vocab.words.iter().cloned());
        let mut model = text_model(
            "lsa",
            serde_json::to_value(p).unwrap_or_default(),
            &vocab,
            keys,
        );
        model.params["dim"] = dim.into();
        // one "epoch": the factorisation; its loss is the share of the squared Frobenius norm
        // the rank-d approximation leaves out
        let total: f64 = a.values.iter().map(|v| f64::from(*v) * f64::from(*v)).sum();
        let kept: f64 = sv.iter().map(|s| s * s).sum();
        let residual = if total > 0.0 {
            (1.0 - kept / total).max(0.0)
        } else {
            0.0
        };
        model.record_run(
            vec![EpochLog {
                epoch: 1,
                loss: residual,
                seconds: svd_s,
            }],
            start,
            ctx.seed,
            &[],
        );
        let cooc = Cooc {
            n,
            pairs: Vec::new(),
            spilled_runs: 0,
        };
        record_counts(&mut model, &vocab, &cooc, count_s);
        model.info.cooc_pairs = Some(distinct_pairs);
        model.info.matrix_nnz = Some(nnz);
        model.info.svd_s = Some(svd_s);
        model.info.residual_share = Some(residual);
        model.info.singular_values = sv.clone();
        model.tables.insert(WORD_EMBEDDING.into(), table);
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::cooccur::Pair;
    use crate::models::glove::tests::{separation, topics};

    #[test]
    fn ppmi_cells_match_a_hand_computation() {
        // X = [[0, 2], [2, 4]] (upper triangle: (0,1)=2, (1,1)=4)
        let m = Cooc {
            n: 2,
            pairs: vec![Pair { i: 0, j: 1, x: 2.0 }, Pair { i: 1, j: 1, x: 4.0 }],
            spilled_runs: 0,
        };
        let p = LsaParams {
            cds: 1.0,
            ..Default::default()
        };
        let a = weighted(&m, &p);
        assert_eq!(a.indptr, vec![0, 1, 3]);
        assert_eq!(a.indices, vec![1, 0, 1]);
        // row sums 2 and 6, total 8: PMI(0,1) = ln(2·8 / (2·6)) = ln(4/3); PMI(1,1) = ln(4·8/36) < 0
        let want = (4.0f64 / 3.0).ln() as f32;
        assert!((a.values[0] - want).abs() < 1e-6);
        assert!((a.values[1] - want).abs() < 1e-6);
        assert_eq!(a.values[2], 0.0);
        // with smoothing the matrix is asymmetric and values_t holds the transpose
        let a = weighted(&m, &LsaParams::default());
        assert!((a.values[0] - a.values_t[1]).abs() < 1e-7);
        assert!((a.values[0] - a.values[1]).abs() > 1e-4);
        let lc = weighted(
            &m,
            &LsaParams {
                weighting: Weighting::LogCount,
                ..p
            },
        );
        assert!((lc.values[2] - 5f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn planted_topics_separate_and_runs_repeat() {
        let p = LsaParams {
            dim: 4,
            window: 4,
            min_count: 1,
            ..Default::default()
        };
        let ctx = TrainContext {
            threads: 2,
            seed: 9,
            ..Default::default()
        };
        let corpus = topics(400);
        let m = Lsa::new(p.clone()).unwrap().fit(&corpus, &ctx).unwrap();
        let s = separation(&m);
        assert!(s > 0.5, "separation {s}");
        let again = Lsa::new(p).unwrap().fit(&corpus, &ctx).unwrap();
        assert_eq!(m.table(WORD_EMBEDDING), again.table(WORD_EMBEDDING));
        let too_wide = LsaParams {
            dim: 1000,
            min_count: 1,
            ..Default::default()
        };
        assert!(Lsa::new(too_wide).unwrap().fit(&corpus, &ctx).is_err());
    }
}

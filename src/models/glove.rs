//! GloVe (Pennington, Socher, Manning 2014): weighted least squares on the log of windowed
//! co-occurrence counts, "matrix factorisation over co-occurrences".
//!
//! Minimises `Σ_ij f(X_ij) (w_i·w̃_j + b_i + b̃_j − ln X_ij)²` over the nonzero cells of the
//! symmetric count matrix ([`super::cooccur`]), with `f(x) = (x/x_max)^α` below `x_max` and 1
//! above, by AdaGrad (squared-gradient accumulators start at 1, constant learning rate) —
//! the update rule of the reference `glove.c`. Each off-diagonal cell is trained in both
//! directions (`(i, j)` and `(j, i)`), like the reference's symmetric cooccurrence file.
//!
//! The cells are shuffled once (seeded), then every epoch each of `threads` workers walks its
//! contiguous slice (Hogwild over atomic `f32` rows, as in word2vec: relaxed loads and stores,
//! no data races, no `unsafe`). With one thread a run is bit-reproducible.
//!
//! The saved word vector is `w + w̃` (the paper's choice; the reference's `model = 2`):
//! `word/embedding`. `word/context` holds `w̃`, `word/bias` and `word/context_bias` the biases.
//! A prior (`--init-from`) sets `w = w̃ = prior / 2`, so `word/embedding` starts at the prior
//! exactly; frozen rows keep both halves fixed, so their saved vectors stay bit-identical.

use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::{seq::SliceRandom, Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::cooccur::{self, Cooc, CoocParams, Pair};
use super::word2vec::kernel::{load, store, Table};
use super::word2vec::{Corpus, WordVocab, WORD_CONTEXT, WORD_COUNT, WORD_EMBEDDING};
use super::TrainContext;
use crate::error::{Error, Result};
use crate::model::EpochLog;
use crate::vocab::Vocab;

/// Bias of each word's main vector.
pub const WORD_BIAS: &str = "word/bias";
/// Bias of each word's context vector.
pub const WORD_CONTEXT_BIAS: &str = "word/context_bias";

/// Hyper-parameters (defaults: the reference `demo.sh` — `x_max` 10, 15 epochs, lr 0.05 —
/// with the paper's window of 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GloveParams {
    /// Vector width; 0 = the fourth-root rule over the vocabulary size.
    pub dim: usize,
    /// Co-occurrence window (maximum distance).
    pub window: usize,
    /// Words seen fewer times are dropped.
    pub min_count: u64,
    /// Keep at most this many words, the most frequent (`None`: all that reach `min_count`);
    /// the counting pass then holds at most twice as many distinct words.
    #[serde(default)]
    pub max_vocab: Option<usize>,
    /// Counts at or above this get weight 1.
    pub x_max: f32,
    /// Exponent α of the weighting function `(x / x_max)^α` (GloVe's `alpha`).
    pub weight_exponent: f32,
    /// AdaGrad learning rate.
    pub lr: f32,
    /// Passes over the co-occurrence cells.
    pub epochs: usize,
    /// Memory budget of co-occurrence counting in MiB (beyond it, sorted runs spill to disk).
    pub memory_mb: usize,
}

impl Default for GloveParams {
    fn default() -> Self {
        GloveParams {
            dim: 100,
            window: 10,
            min_count: 5,
            max_vocab: None,
            x_max: 10.0,
            weight_exponent: 0.75,
            lr: 0.05,
            epochs: 15,
            memory_mb: 2048,
        }
    }
}

impl GloveParams {
    /// Reject parameters that cannot train.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Param(m));
        if self.window == 0 {
            return bad("window must be at least 1".into());
        }
        if self.dim > 4096 {
            return bad(format!("dim must be at most 4096, not {}", self.dim));
        }
        if !(self.x_max.is_finite() && self.x_max > 0.0) {
            return bad(format!("x-max must be positive, not {}", self.x_max));
        }
        if !(self.weight_exponent.is_finite() && self.weight_exponent >= 0.0) {
            return bad(format!(
                "glove's weight exponent (--weight-exponent) must be ≥ 0, not {}",
                self.weight_exponent
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("learning rate must be positive, not {}", self.lr));
        }
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.memory_mb == 0 {
            return bad("--memory-mb must be at least 1".into());
        }
        Ok(())
    }
}

/// The GloVe trainer.
#[derive(Debug, Clone, Default)]
pub struct Glove {
    /// Hyper-parameters.
    pub params: GloveParams,
}

/// The two shared tables of a run. A row is `[w (dim), b, g_w (dim), g_b]`: the vector, its
/// bias and their AdaGrad accumulators side by side, so one update touches two contiguous
/// spans of memory (one per side), which the cells' random order makes the cost that counts.
struct Tables {
    main: Table,
    ctx: Table,
}

/// Per-worker scratch rows.
struct Scratch {
    w: Vec<f32>,
    c: Vec<f32>,
}

/// A table of `n` rows of `2·(dim + 1)` for vectors `v` (with biases): accumulators at 1.
fn with_accumulators(v: &Array2<f32>) -> Table {
    let (n, h) = v.dim();
    let mut t = Array2::from_elem((n, 2 * h), 1.0f32);
    t.slice_mut(ndarray::s![.., ..h]).assign(v);
    Table::from_array(&t)
}

/// One AdaGrad step on cell `(a, b)` with count `x`; returns its cost `½ f(x) diff²`.
/// A frozen row keeps its vector (its bias still trains: it is not part of the saved vector).
#[inline(always)]
fn step(
    t: &Tables,
    s: &mut Scratch,
    a: usize,
    b: usize,
    x: f32,
    p: &GloveParams,
    locked: &[bool],
) -> f64 {
    let h = s.w.len() / 2;
    let d = h - 1;
    load(t.main.row(a), &mut s.w);
    load(t.ctx.row(b), &mut s.c);
    let (w, gw) = s.w.split_at_mut(h);
    let (c, gc) = s.c.split_at_mut(h);
    let diff = crate::kernels::simd::dot(&w[..d], &c[..d]) + w[d] + c[d] - x.ln();
    let weight = if x >= p.x_max {
        1.0
    } else {
        (x / p.x_max).powf(p.weight_exponent)
    };
    let fdiff = weight * diff;
    if !fdiff.is_finite() {
        return 0.0;
    }
    let cost = 0.5 * f64::from(fdiff) * f64::from(diff);
    let g = p.lr * fdiff;
    for k in 0..d {
        let (wk, ck) = (w[k], c[k]);
        let (t1, t2) = (g * ck, g * wk);
        w[k] = wk - t1 / gw[k].sqrt();
        gw[k] += t1 * t1;
        c[k] = ck - t2 / gc[k].sqrt();
        gc[k] += t2 * t2;
    }
    // the biases see a gradient of g on both sides
    w[d] -= g / gw[d].sqrt();
    gw[d] += g * g;
    c[d] -= g / gc[d].sqrt();
    gc[d] += g * g;
    let (ra, rb) = (t.main.row(a), t.ctx.row(b));
    if locked[a] {
        store(&ra[d..], &s.w[d..]);
    } else {
        store(ra, &s.w);
    }
    if locked[b] {
        store(&rb[d..], &s.c[d..]);
    } else {
        store(rb, &s.c);
    }
    cost
}

/// Train one worker's slice of cells; `out` gets (cost, updates).
#[inline(always)]
fn slice_impl(
    t: &Tables,
    cells: &[Pair],
    p: &GloveParams,
    locked: &[bool],
    width: usize,
    out: &mut (f64, u64),
) {
    let mut s = Scratch {
        w: vec![0.0; width],
        c: vec![0.0; width],
    };
    let (mut cost, mut n) = (0.0f64, 0u64);
    for (k, c) in cells.iter().enumerate() {
        if let Some(next) = cells.get(k + 1) {
            let (i, j) = (next.i as usize, next.j as usize);
            crate::kernels::simd::prefetch(t.main.row(i));
            crate::kernels::simd::prefetch(t.ctx.row(j));
            if i != j {
                crate::kernels::simd::prefetch(t.main.row(j));
                crate::kernels::simd::prefetch(t.ctx.row(i));
            }
        }
        let (i, j) = (c.i as usize, c.j as usize);
        cost += step(t, &mut s, i, j, c.x, p, locked);
        n += 1;
        if i != j {
            cost += step(t, &mut s, j, i, c.x, p, locked);
            n += 1;
        }
    }
    *out = (cost, n);
}

crate::kernels::simd::dispatch!(
    /// [`slice_impl`] compiled for this CPU (AVX2/FMA when present: the update loop's
    /// square roots and divisions run 8 wide).
    fn train_slice(t: &Tables, cells: &[Pair], p: &GloveParams, locked: &[bool], width: usize, out: &mut (f64, u64)) => slice_impl
);

/// One epoch over `cells` on `threads` workers (contiguous slices); mean cost per update.
fn epoch(
    t: &Tables,
    cells: &[Pair],
    p: &GloveParams,
    locked: &[bool],
    threads: usize,
    width: usize,
) -> Result<f64> {
    let per = cells.len().div_ceil(threads.max(1)).max(1);
    let results: Vec<std::thread::Result<(f64, u64)>> = std::thread::scope(|scope| {
        let hs: Vec<_> = cells
            .chunks(per)
            .map(|slice| {
                scope.spawn(move || {
                    let mut out = (0.0, 0);
                    train_slice(t, slice, p, locked, width, &mut out);
                    out
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join()).collect()
    });
    let (mut cost, mut n) = (0.0, 0u64);
    for r in results {
        let (c, k) = r.map_err(|_| Error::Param("a glove worker panicked".into()))?;
        cost += c;
        n += k;
    }
    Ok(if n > 0 { cost / n as f64 } else { 0.0 })
}

/// Trained GloVe tables.
#[derive(Debug, Clone)]
pub struct GloveTrained {
    /// `w + w̃` per word.
    pub embedding: Array2<f32>,
    /// `w̃` per word.
    pub context: Array2<f32>,
    /// `b` per word.
    pub bias: Array1<f32>,
    /// `b̃` per word.
    pub context_bias: Array1<f32>,
    /// Mean cost per update, per epoch.
    pub epochs: Vec<EpochLog>,
    /// What transfer did.
    pub inits: Vec<crate::transfer::InitReport>,
}

/// Train GloVe vectors for `vocab` (row keys `keys`) on the counts `m`.
pub fn train(m: &Cooc, keys: &Vocab, p: &GloveParams, ctx: &TrainContext) -> Result<GloveTrained> {
    p.check()?;
    let n = m.n;
    if n < 2 || m.pairs.is_empty() {
        return Err(Error::Param(
            "nothing to train: the corpus has no co-occurring words (lower --min-count or give more text)".into(),
        ));
    }
    let dim = if p.dim == 0 {
        crate::embedding::fourth_root_dim(n)
    } else {
        p.dim
    };
    let width = dim + 1;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(ctx.seed);
    let mut main = Array2::from_shape_fn((n, width), |_| (rng.random::<f32>() - 0.5) / dim as f32);
    let mut cx = Array2::from_shape_fn((n, width), |_| (rng.random::<f32>() - 0.5) / dim as f32);
    // priors: w = w̃ = prior / 2 (halving is exact, so w + w̃ = prior bit for bit)
    let mut prior = Array2::from_elem((n, dim), f32::NAN);
    let mut inits = Vec::new();
    let locked = ctx.init_table(WORD_EMBEDDING, &mut prior, keys, &mut inits)?;
    for (r, row) in prior.outer_iter().enumerate() {
        if row.iter().all(|v| !v.is_nan()) {
            for k in 0..dim {
                main[[r, k]] = row[k] * 0.5;
                cx[[r, k]] = row[k] * 0.5;
            }
        }
    }
    drop(prior);
    let t = Tables {
        main: with_accumulators(&main),
        ctx: with_accumulators(&cx),
    };
    drop((main, cx));
    let mut cells = m.pairs.clone();
    cells.shuffle(&mut rng);
    let threads = ctx.worker_threads();
    let bar = crate::progress::bar(p.epochs as u64, "glove", ctx.progress);
    let mut epochs = Vec::with_capacity(p.epochs);
    for e in 0..p.epochs {
        let t0 = Instant::now();
        let loss = epoch(&t, &cells, p, &locked, threads, 2 * width)?;
        super::check_finite(
            "glove",
            e + 1,
            "the cost",
            loss.is_finite(),
            super::LOWER_LR,
        )?;
        epochs.push(EpochLog {
            epoch: e + 1,
            loss,
            seconds: t0.elapsed().as_secs_f64(),
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let main = t.main.into_array();
    let cx = t.ctx.into_array();
    let mut embedding = Array2::zeros((n, dim));
    let mut context = Array2::zeros((n, dim));
    for r in 0..n {
        for k in 0..dim {
            context[[r, k]] = cx[[r, k]];
            embedding[[r, k]] = main[[r, k]] + cx[[r, k]];
        }
    }
    Ok(GloveTrained {
        embedding,
        context,
        bias: main.column(dim).to_owned(),
        context_bias: cx.column(dim).to_owned(),
        epochs,
        inits,
    })
}

impl Glove {
    /// A trainer with checked parameters.
    pub fn new(params: GloveParams) -> Result<Glove> {
        params.check()?;
        Ok(Glove { params })
    }

    /// Count co-occurrences in `corpus` and train; the model has the `word` vocabulary and
    /// [`WORD_EMBEDDING`] (`w + w̃`), [`WORD_CONTEXT`], biases and counts.
    pub fn fit(&self, corpus: &dyn Corpus, ctx: &TrainContext) -> Result<crate::model::Model> {
        let start = Instant::now();
        let p = &self.params;
        ctx.check_inits("glove", &[WORD_EMBEDDING])?;
        if ctx.resume.is_some() {
            return Err(Error::Param(
                "--resume is not supported for glove; start from the saved vectors with --init-from".into(),
            ));
        }
        let (vocab, m, count_s) = count_corpus(
            corpus,
            (p.min_count, p.max_vocab),
            p.window,
            true,
            p.memory_mb,
            ctx,
        )?;
        let keys = Vocab::from_keys(vocab.words.iter().cloned());
        let t = train(&m, &keys, p, ctx)?;
        let mut model = text_model(
            "glove",
            serde_json::to_value(p).unwrap_or_default(),
            &vocab,
            keys,
        );
        model.params["dim"] = t.embedding.ncols().into();
        model.record_run(t.epochs, start, ctx.seed, &t.inits);
        record_counts(&mut model, &vocab, &m, count_s);
        model.tables.insert(WORD_EMBEDDING.into(), t.embedding);
        model.tables.insert(WORD_CONTEXT.into(), t.context);
        model.vectors.insert(WORD_BIAS.into(), t.bias);
        model
            .vectors
            .insert(WORD_CONTEXT_BIAS.into(), t.context_bias);
        Ok(model)
    }
}

/// The vocabulary pass and the co-occurrence pass over `corpus`; seconds of both.
pub(crate) fn count_corpus(
    corpus: &dyn Corpus,
    (min_count, max_vocab): (u64, Option<usize>),
    window: usize,
    harmonic: bool,
    memory_mb: usize,
    ctx: &TrainContext,
) -> Result<(WordVocab, Cooc, f64)> {
    let t0 = Instant::now();
    let vocab = WordVocab::build(corpus, min_count, max_vocab)?;
    vocab.check_trainable("the corpus")?;
    let threads = ctx.worker_threads();
    let m = cooccur::count(
        corpus,
        &vocab,
        &CoocParams {
            window,
            harmonic,
            memory_mb,
        },
        threads,
    )?;
    Ok((vocab, m, t0.elapsed().as_secs_f64()))
}

/// An empty word model with its vocabulary and counts.
pub(crate) fn text_model(
    algo: &str,
    params: serde_json::Value,
    vocab: &WordVocab,
    keys: Vocab,
) -> crate::model::Model {
    let mut model = crate::model::Model {
        algo: algo.into(),
        params,
        ..Default::default()
    };
    model.vocabs.insert("word".into(), keys);
    model.vectors.insert(
        WORD_COUNT.into(),
        Array1::from_iter(vocab.counts.iter().map(|&c| c as f32)),
    );
    model
}

/// Corpus and counting facts; `fit_s` becomes counting + training (the whole job).
pub(crate) fn record_counts(
    model: &mut crate::model::Model,
    vocab: &WordVocab,
    m: &Cooc,
    count_s: f64,
) {
    let info = &mut model.info;
    let train_s = info.fit_s.unwrap_or(0.0);
    info.corpus_words = Some(vocab.corpus_words);
    info.sentences = Some(vocab.sentences);
    info.vocab = Some(vocab.len());
    info.cooc_pairs = Some(m.pairs.len());
    info.cooc_spilled_runs = Some(m.spilled_runs);
    info.count_s = Some(count_s);
    info.train_s = Some(train_s);
    info.fit_s = Some(count_s + train_s);
    if count_s + train_s > 0.0 {
        info.raw_words_per_s = Some((vocab.corpus_words as f64 / (count_s + train_s)).round());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::models::word2vec::Sentences;

    /// Two planted topics: a sentence draws 80 % of its words from its topic and 20 % from
    /// the other, so words of a topic co-occur about 4× as often as words of different topics
    /// (GloVe fits only nonzero cells: a corpus whose topics never meet would leave the
    /// across-topic geometry unconstrained).
    pub(crate) fn topics(sentences: usize) -> Sentences {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        Sentences(
            (0..sentences)
                .map(|s| {
                    (0..10)
                        .map(|_| {
                            let own = rng.random::<f32>() < 0.8;
                            let t = if (s % 2 == 0) == own { "a" } else { "b" };
                            format!("{t}{}", rng.random_range(0..12))
                        })
                        .collect()
                })
                .collect(),
        )
    }

    pub(crate) use crate::models::word2vec::tests::separation;

    fn ctx1() -> TrainContext {
        TrainContext {
            threads: 1,
            seed: 3,
            ..Default::default()
        }
    }

    fn small() -> GloveParams {
        GloveParams {
            dim: 8,
            window: 4,
            min_count: 1,
            x_max: 10.0,
            epochs: 30,
            ..Default::default()
        }
    }

    #[test]
    fn loss_falls_and_topics_separate() {
        let m = Glove::new(small())
            .unwrap()
            .fit(&topics(400), &ctx1())
            .unwrap();
        let l: Vec<f64> = m.epochs.iter().map(|e| e.loss).collect();
        assert!(
            l.windows(2).all(|w| w[1] <= w[0] * 1.0001),
            "loss not falling: {l:?}"
        );
        assert!(l[l.len() - 1] < l[0] * 0.2, "{l:?}");
        let s = separation(&m);
        assert!(s > 0.5, "separation {s}");
        assert_eq!(m.table(WORD_EMBEDDING).unwrap().ncols(), 8);
    }

    #[test]
    fn the_gradient_is_the_one_of_the_objective() {
        // one cell, plain SGD view: AdaGrad's first step is g / sqrt(1) = lr·f·diff·other
        let m = Cooc {
            n: 2,
            pairs: vec![Pair { i: 0, j: 1, x: 5.0 }],
            spilled_runs: 0,
        };
        let p = GloveParams {
            dim: 3,
            epochs: 1,
            ..small()
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let init = |rng: &mut Xoshiro256PlusPlus| {
            Array2::from_shape_fn((2, 4), |_| rng.random::<f32>() - 0.5)
        };
        let (main, cx) = (init(&mut rng), init(&mut rng));
        let t = Tables {
            main: with_accumulators(&main),
            ctx: with_accumulators(&cx),
        };
        let mut s = Scratch {
            w: vec![0.0; 8],
            c: vec![0.0; 8],
        };
        let cost = step(&t, &mut s, 0, 1, 5.0, &p, &[false, false]);
        // finite-difference gradient of J = ½ f (w·c + b + b̃ − ln x)² w.r.t. w_0[0]
        let j = |w: &Array2<f32>, c: &Array2<f32>| {
            let diff: f64 = (0..3)
                .map(|k| f64::from(w[[0, k]]) * f64::from(c[[1, k]]))
                .sum::<f64>()
                + f64::from(w[[0, 3]])
                + f64::from(c[[1, 3]])
                - 5f64.ln();
            0.5 * (5.0f64 / 10.0).powf(0.75) * diff * diff
        };
        assert!((cost - j(&main, &cx)).abs() < 1e-5);
        let h = 1e-3f32;
        let mut wp = main.clone();
        wp[[0, 0]] += h;
        let mut wm = main.clone();
        wm[[0, 0]] -= h;
        let grad = (j(&wp, &cx) - j(&wm, &cx)) / (2.0 * f64::from(h));
        let after = t.main.into_array();
        let moved = f64::from(main[[0, 0]] - after[[0, 0]]);
        assert!(
            (moved - f64::from(p.lr) * grad).abs() < 1e-4,
            "{moved} vs {}",
            f64::from(p.lr) * grad
        );
        let _ = m;
    }

    #[test]
    fn one_thread_repeats_and_frozen_rows_stay_bit_identical() {
        let corpus = topics(200);
        let a = Glove::new(small()).unwrap().fit(&corpus, &ctx1()).unwrap();
        let b = Glove::new(small()).unwrap().fit(&corpus, &ctx1()).unwrap();
        assert_eq!(a.table(WORD_EMBEDDING), b.table(WORD_EMBEDDING));
        // freeze a prior made of a's vectors; train another seed
        let keys = a.vocab("word").unwrap().clone();
        let prior = a.table(WORD_EMBEDDING).unwrap().to_owned();
        // only the first 5 words come from the prior
        let sub_keys = Vocab::from_keys(keys.keys()[..5].iter().cloned());
        let half = prior.slice(ndarray::s![..5, ..]).to_owned();
        let init = crate::transfer::TableInit {
            table: WORD_EMBEDDING.into(),
            keys: sub_keys,
            vectors: half,
            freeze: true,
            source: "test".into(),
            rows_without_key: 0,
            keys_without_row: 0,
            repeated_keys: 0,
        };
        let mut ctx = TrainContext { seed: 11, ..ctx1() };
        ctx.inits.insert(WORD_EMBEDDING.into(), init);
        let c = Glove::new(small()).unwrap().fit(&corpus, &ctx).unwrap();
        let t = c.table(WORD_EMBEDDING).unwrap();
        let v = c.vocab("word").unwrap();
        for r in 0..5 {
            let key = keys.key(r).unwrap();
            let row = v.get(key).unwrap();
            let same = t
                .row(row as usize)
                .iter()
                .zip(prior.row(r))
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "frozen row {key} moved");
        }
        let moved = (0..v.len()).any(|r| {
            let key = v.key(r).unwrap();
            let pr = keys.get(key).unwrap();
            pr >= 5 && t.row(r) != prior.row(pr as usize)
        });
        assert!(moved);
    }
}

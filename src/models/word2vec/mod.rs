//! word2vec / item2vec: skip-gram and CBOW with negative sampling (unigram^α noise) and/or
//! hierarchical softmax (Huffman tree), frequent-token subsampling, dynamic windows, linear
//! learning-rate decay, and lock-free multi-threaded training.
//!
//! One engine for words and items: a [`Corpus`] is anything that yields sentences of tokens —
//! text files streamed line by line ([`crate::text::TextFiles`]), sessions/baskets, or users'
//! histories (see [`crate::models::item2vec`]). The corpus is streamed, never held as text.
//! Memory is proportional to the vocabulary, plus — when it fits in
//! [`TrainContext::cache_mb`] (default 1 GiB) — the encoded corpus (4 bytes per token). The
//! vocabulary pass ([`WordVocab::build_encoded`]) keeps every token as a provisional id and,
//! once the vocabulary is known, packs the kept ones into the chunks the first epoch would
//! read (module `cache`), so every epoch replays them instead of reading, decompressing and
//! tokenising the files again: the files are read once. A corpus that outgrows the budget is
//! read every epoch. Both ways train the same chunks with the same seeds.
//!
//! Data flow of one epoch: the calling thread reads sentences, maps tokens to rows (dropping
//! tokens below `min_count`), and packs them into chunks of about 10,000 tokens, each with its
//! learning rate (decayed linearly over all epochs' tokens) and its own seed; `threads`
//! workers take chunks from a bounded queue and train on them (the crate-private `kernel`
//! module). With one thread a run is bit-reproducible for a seed.

pub(crate) mod cache;
pub(crate) mod huffman;
pub(crate) mod init;
pub(crate) mod kernel;
pub(crate) mod noise;
pub mod vocab;

pub use vocab::WordVocab;

use std::sync::mpsc::sync_channel;
use std::sync::Mutex;
use std::time::Instant;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::EpochLog;
use crate::models::TrainContext;
use crate::text::TextFiles;
use crate::transfer::InitReport;
use crate::vocab::Vocab;
use cache::{ChunkCache, Packer};
use kernel::{Chunk, Setup, Sigmoid, Table, Work};

/// Table name of word (input) vectors.
pub const WORD_EMBEDDING: &str = "word/embedding";
/// Table name of the negative-sampling output vectors of words.
pub const WORD_CONTEXT: &str = "word/context";
/// Table name of the hierarchical-softmax inner-node vectors (row `n` = inner node `n`;
/// a vocabulary of `V` words uses `V − 1` rows, the last row is zero).
pub const WORD_HS: &str = "word/hs_nodes";
/// Corpus count of each word (as `f32`).
pub const WORD_COUNT: &str = "word/count";

/// Tokens per chunk handed to a worker (gensim's batch size).
const CHUNK_TOKENS: usize = 10_000;

/// A source of sentences, read once for the vocabulary and once per epoch.
pub trait Corpus {
    /// Call `f` with the tokens of every sentence, in order.
    fn for_each_sentence(&self, f: &mut dyn FnMut(&[&str]) -> Result<()>) -> Result<()>;
}

impl Corpus for TextFiles {
    fn for_each_sentence(&self, f: &mut dyn FnMut(&[&str]) -> Result<()>) -> Result<()> {
        self.for_each_line(f)
    }
}

/// Sentences held in memory (item2vec histories, tests).
#[derive(Debug, Clone, Default)]
pub struct Sentences(pub Vec<Vec<String>>);

impl Sentences {
    /// Sentences from whitespace-separated lines.
    #[must_use]
    pub fn from_lines(lines: &[&str]) -> Sentences {
        Sentences(
            lines
                .iter()
                .map(|l| l.split_whitespace().map(String::from).collect())
                .collect(),
        )
    }
}

impl Corpus for Sentences {
    fn for_each_sentence(&self, f: &mut dyn FnMut(&[&str]) -> Result<()>) -> Result<()> {
        let mut buf: Vec<&str> = Vec::new();
        for s in &self.0 {
            buf.clear();
            buf.extend(s.iter().map(String::as_str));
            f(&buf)?;
        }
        Ok(())
    }
}

/// Skip-gram or CBOW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    /// Predict a word from each context word.
    #[default]
    SkipGram,
    /// Predict a word from the mean (or sum) of its context.
    Cbow,
}

/// Hyper-parameters (defaults: gensim's `Word2Vec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word2VecParams {
    /// Vector width; 0 = the fourth-root rule over the vocabulary size
    /// (`max(2, round(V^0.25))`), resolved after the vocabulary pass.
    pub dim: usize,
    /// Skip-gram or CBOW.
    pub arch: Arch,
    /// CBOW: mean (true) or sum (false) of the context vectors.
    pub cbow_mean: bool,
    /// Negative samples per prediction (0 = no negative sampling; then `hs` must be on).
    pub negative: usize,
    /// Hierarchical softmax over a Huffman tree.
    pub hs: bool,
    /// Maximum distance between a word and its context.
    pub window: usize,
    /// Dynamic window: the reach is drawn uniformly from 1..=window for each word.
    pub shrink_windows: bool,
    /// Subsampling threshold of frequent tokens (0 = off).
    pub sample: f64,
    /// Tokens seen fewer times are dropped.
    pub min_count: u64,
    /// Keep at most this many words, the most frequent (`None`: all that reach `min_count`);
    /// the counting pass then holds at most twice as many distinct words.
    #[serde(default)]
    pub max_vocab: Option<usize>,
    /// Exponent α of the unigram^α noise distribution.
    pub ns_exponent: f64,
    /// Initial learning rate.
    pub lr: f32,
    /// Final learning rate (reached linearly at the end of the last epoch).
    pub min_lr: f32,
    /// Passes over the corpus.
    pub epochs: usize,
    /// Skip-gram: batch each position's window against shared output rows (HogBatch);
    /// `false` runs word2vec.c's pair-by-pair updates.
    #[serde(default = "yes")]
    pub batched: bool,
}

fn yes() -> bool {
    true
}

impl Default for Word2VecParams {
    fn default() -> Self {
        Word2VecParams {
            dim: 100,
            arch: Arch::SkipGram,
            cbow_mean: true,
            negative: 5,
            hs: false,
            window: 5,
            shrink_windows: true,
            sample: 1e-3,
            min_count: 5,
            max_vocab: None,
            ns_exponent: 0.75,
            lr: 0.025,
            min_lr: 0.0001,
            epochs: 5,
            batched: true,
        }
    }
}

/// Initial learning rate of [`Word2VecParams::cbow`]: word2vec.c's default for CBOW (its
/// skip-gram default is gensim's 0.025; gensim uses 0.025 for both).
pub const CBOW_ALPHA: f32 = 0.05;

impl Word2VecParams {
    /// CBOW (mean of the context) with the defaults otherwise, and word2vec.c's CBOW learning
    /// rate, [`CBOW_ALPHA`]. On IMDB it beats 0.025 on all three word-vector evaluations
    /// (analogies, WordSim-353, SimLex-999; BENCHMARKS.md).
    #[must_use]
    pub fn cbow() -> Self {
        Word2VecParams {
            arch: Arch::Cbow,
            lr: CBOW_ALPHA,
            ..Default::default()
        }
    }

    /// Reject parameters that cannot train.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Param(m));
        if self.window == 0 {
            return bad("window must be at least 1".into());
        }
        if self.dim > 4096 {
            return bad(format!("dim must be at most 4096, not {}", self.dim));
        }
        if self.negative == 0 && !self.hs {
            return bad(
                "use negative sampling (--negative N > 0), hierarchical softmax (--hs), or both"
                    .into(),
            );
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("learning rate must be positive, not {}", self.lr));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr <= self.lr) {
            return bad(format!(
                "final learning rate must be in [0, {}], not {}",
                self.lr, self.min_lr
            ));
        }
        if !(self.sample.is_finite() && self.sample >= 0.0) {
            return bad(format!("sample must be ≥ 0, not {}", self.sample));
        }
        if !self.ns_exponent.is_finite() {
            return bad(format!(
                "ns-exponent must be finite, not {}",
                self.ns_exponent
            ));
        }
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        Ok(())
    }
}

/// The trained tables and what happened.
#[derive(Debug, Clone)]
pub struct Trained {
    /// Input vectors, one row per vocabulary word.
    pub input: Array2<f32>,
    /// Negative-sampling output vectors (when `negative > 0`).
    pub context: Option<Array2<f32>>,
    /// Hierarchical-softmax inner-node vectors (when `hs`).
    pub hs_nodes: Option<Array2<f32>>,
    /// Per-epoch mean loss (−ln σ per output prediction) and seconds.
    pub epochs: Vec<EpochLog>,
    /// Corpus tokens read per epoch, before any filter (gensim's "raw words").
    pub raw_words: u64,
    /// Tokens trained on over all epochs (after the vocabulary cut and subsampling).
    pub effective_words: u64,
    /// What transfer did.
    pub inits: Vec<InitReport>,
    /// The epochs the learning-rate schedule of this run was planned for.
    pub planned_epochs: usize,
    /// The learning rate reached at the end of the last epoch trained.
    pub lr_done: f32,
}

/// A saved run to continue: its tables (rows in the vocabulary's order), the epochs it has
/// done and where its learning-rate schedule stands.
#[derive(Debug, Clone)]
pub struct Resume {
    /// Input vectors.
    pub input: Array2<f32>,
    /// Negative-sampling output vectors (when `negative > 0`).
    pub context: Option<Array2<f32>>,
    /// Hierarchical-softmax node vectors (when `hs`).
    pub hs_nodes: Option<Array2<f32>>,
    /// Epochs done.
    pub done: usize,
    /// The epoch count the saved run's schedule was planned for.
    pub planned: usize,
    /// The learning rate at the end of the saved run's last epoch.
    pub lr_done: f32,
    /// The saved run's epoch log.
    pub log: Vec<EpochLog>,
    /// Tokens trained on so far.
    pub effective_words: u64,
}

impl Resume {
    /// The state of the word or item model `m` (rows in its vocabulary's order) for `p`;
    /// `prefix` is `word` or `item`.
    pub fn from_model(
        m: &crate::model::Model,
        prefix: &str,
        p: &Word2VecParams,
        done: usize,
    ) -> Result<Resume> {
        let table = |suffix: &str| crate::models::saved_table(m, &format!("{prefix}/{suffix}"));
        let planned = m.info.planned_epochs.unwrap_or(done);
        let lr_done = m.info.lr_done.map_or(p.min_lr, |v| v as f32);
        Ok(Resume {
            input: table("embedding")?,
            context: if p.negative > 0 {
                Some(table("context")?)
            } else {
                None
            },
            hs_nodes: if p.hs { Some(table("hs_nodes")?) } else { None },
            done,
            planned,
            lr_done,
            log: m.epochs.clone(),
            effective_words: m.info.effective_words.unwrap_or(0),
        })
    }
}

/// Train vectors for `vocab` on `corpus`. `init_name` is the table name under which a prior
/// from `ctx.inits` is looked up for the input vectors (rows matched by `keys`).
pub fn train(
    corpus: &dyn Corpus,
    vocab: &WordVocab,
    keys: &Vocab,
    init_name: &str,
    p: &Word2VecParams,
    ctx: &TrainContext,
) -> Result<Trained> {
    if ctx.resume.is_some() {
        return Err(Error::Param(
            "--resume: this trainer continues word vectors through word2vec::train_with".into(),
        ));
    }
    train_with(corpus, vocab, keys, init_name, p, ctx, None, 0, &mut |_| {
        Ok(())
    })
}

/// [`train`], continuing `resume` when given, and calling `checkpoint` with the run so far
/// after every `every` epochs (0 = never; not after the last).
///
/// Learning rate: a fresh run, and a resumed run with the saved plan (the same `epochs`),
/// follow the linear schedule of the planned run, so a run continued from a checkpoint ends
/// where the uninterrupted one would (bit for bit with one thread: chunk seeds depend only on
/// the seed, the epoch and the chunk). A run resumed with another epoch count decays linearly
/// from the learning rate the saved run reached to `min_alpha` over the epochs left.
#[allow(clippy::too_many_arguments)]
pub fn train_with(
    corpus: &dyn Corpus,
    vocab: &WordVocab,
    keys: &Vocab,
    init_name: &str,
    p: &Word2VecParams,
    ctx: &TrainContext,
    resume: Option<Resume>,
    every: usize,
    checkpoint: &mut dyn FnMut(&Trained) -> Result<()>,
) -> Result<Trained> {
    p.check()?;
    vocab.check_trainable("the corpus")?;
    let n = vocab.len();
    let dim = if p.dim == 0 {
        crate::embedding::fourth_root_dim(n)
    } else {
        p.dim
    };
    let mut inits = Vec::new();
    let (syn0, syn1neg, syn1, locked) = match &resume {
        Some(r) => {
            let shape_ok = |t: &Array2<f32>| t.dim() == (n, dim);
            let ok = shape_ok(&r.input)
                && r.context.as_ref().is_none_or(shape_ok)
                && r.hs_nodes.as_ref().is_none_or(shape_ok);
            if !ok {
                return Err(Error::Param(format!(
                    "--resume: the saved tables are not {n} × {dim} (vocabulary × width of this run)"
                )));
            }
            (
                Table::from_array(&r.input),
                r.context.as_ref().map(Table::from_array),
                r.hs_nodes.as_ref().map(Table::from_array),
                vec![false; n],
            )
        }
        None => {
            // gensim 4's init, draw for draw (module `init`): uniform in [-1, 1) / dim from
            // numpy's PCG64 at the same seed, rows in gensim's vocabulary order; output layers zero
            let mut input = init::gensim_init(&vocab.counts, dim, ctx.seed);
            let locked = ctx.init_table(init_name, &mut input, keys, &mut inits)?;
            (
                Table::from_array(&input),
                (p.negative > 0).then(|| Table::from_array(&Array2::zeros((n, dim)))),
                p.hs.then(|| Table::from_array(&Array2::zeros((n, dim)))),
                locked,
            )
        }
    };
    let huffman = if p.hs {
        huffman::Huffman::new(&vocab.counts)
    } else {
        huffman::Huffman::default()
    };
    let noise = if p.negative > 0 {
        noise::Noise::new(&vocab.counts, p.ns_exponent)
    } else {
        noise::Noise::default()
    };
    let keep = vocab.keep_thresholds(p.sample);
    let sigmoid = Sigmoid::new();
    let setup = Setup {
        syn0: &syn0,
        syn1neg: syn1neg.as_ref(),
        syn1: syn1.as_ref(),
        huffman: &huffman,
        noise: &noise,
        keep: &keep,
        locked: &locked,
        sigmoid: &sigmoid,
        skip_gram: p.arch == Arch::SkipGram,
        cbow_mean: p.cbow_mean,
        window: p.window,
        shrink_windows: p.shrink_windows,
        negative: p.negative,
        batched: p.batched,
    };
    let threads = ctx.worker_threads();
    let total = (vocab.corpus_words.max(1) * p.epochs as u64) as f64;
    let bar = crate::progress::bar(p.epochs as u64, "word2vec", ctx.progress);
    let mut epochs = Vec::with_capacity(p.epochs);
    let mut effective_words = 0u64;
    let mut raw_words = 0u64;
    let mut first = 0;
    // the schedule: the planned run's (fresh, or resumed with the same plan), or a new linear
    // decay from where the saved run stood
    let mut replan: Option<(f32, usize)> = None;
    let mut lr_done = p.lr;
    if let Some(r) = resume {
        first = r.done;
        epochs = r.log;
        effective_words = r.effective_words;
        lr_done = r.lr_done;
        if r.planned != p.epochs {
            replan = Some((r.lr_done, r.done));
        }
        bar.inc(first as u64);
    }
    let alpha_at = |epoch: usize, raw_so_far: u64| -> f32 {
        match replan {
            None => {
                let done_before = (epoch as u64 * vocab.corpus_words) as f64;
                let progress = ((done_before + raw_so_far as f64) / total).min(1.0);
                p.lr - (p.lr - p.min_lr) * progress as f32
            }
            Some((a0, from)) => {
                let left = (vocab.corpus_words.max(1) * (p.epochs - from) as u64) as f64;
                let done = ((epoch - from) as u64 * vocab.corpus_words) as f64;
                let progress = ((done + raw_so_far as f64) / left).min(1.0);
                a0 - (a0 - p.min_lr) * progress as f32
            }
        }
    };
    // the vocabulary pass may have packed the corpus already (`WordVocab::build_encoded`)
    let mut cache = match &vocab.encoded {
        Some(e) => ChunkCache::Full(e.clone()),
        None => ChunkCache::new(ctx.cache_mb.saturating_mul(1 << 20)),
    };
    for epoch in first..p.epochs {
        let t0 = Instant::now();
        let (raw, work) = run_epoch(
            corpus,
            vocab,
            &setup,
            threads,
            &mut cache,
            |raw_so_far, chunk_no| {
                let alpha = alpha_at(epoch, raw_so_far);
                let seed = ctx
                    .seed
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .wrapping_add((epoch as u64) << 40)
                    .wrapping_add(chunk_no);
                (alpha.max(p.min_lr), seed)
            },
        )?;
        raw_words = raw;
        effective_words += work.effective;
        epochs.push(EpochLog {
            epoch: epoch + 1,
            loss: if work.predictions > 0 {
                work.loss / work.predictions as f64
            } else {
                0.0
            },
            seconds: t0.elapsed().as_secs_f64(),
        });
        let loss = epochs.last().map_or(0.0, |e| e.loss);
        super::check_finite(
            "word2vec",
            epoch + 1,
            "the training loss",
            loss.is_finite(),
            super::LOWER_LR,
        )?;
        lr_done = alpha_at(epoch, vocab.corpus_words).max(p.min_lr);
        bar.inc(1);
        if every > 0 && (epoch + 1) % every == 0 && epoch + 1 < p.epochs {
            checkpoint(&Trained {
                input: syn0.to_array(),
                context: syn1neg.as_ref().map(Table::to_array),
                hs_nodes: syn1.as_ref().map(Table::to_array),
                epochs: epochs.clone(),
                raw_words,
                effective_words,
                inits: inits.clone(),
                planned_epochs: p.epochs,
                lr_done,
            })?;
        }
    }
    bar.finish_and_clear();
    Ok(Trained {
        input: syn0.into_array(),
        context: syn1neg.map(Table::into_array),
        hs_nodes: syn1.map(Table::into_array),
        epochs,
        raw_words,
        effective_words,
        inits,
        planned_epochs: p.epochs,
        lr_done,
    })
}

/// One pass: read and pack chunks here (or replay the cached ones), train them on `threads`
/// workers.
fn run_epoch(
    corpus: &dyn Corpus,
    vocab: &WordVocab,
    setup: &Setup<'_>,
    threads: usize,
    cache: &mut ChunkCache,
    schedule: impl Fn(u64, u64) -> (f32, u64),
) -> Result<(u64, Work)> {
    let dim = setup.syn0.dim;
    let (tx, rx) = sync_channel::<Chunk>(threads * 2);
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = &rx;
                scope.spawn(move || {
                    let mut w = Work::new(dim);
                    loop {
                        let next = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => break,
                        };
                        match next {
                            Ok(chunk) => kernel::train(setup, &chunk, &mut w),
                            Err(_) => break,
                        }
                    }
                    w
                })
            })
            .collect();
        let mut chunk_no = 0u64;
        let mut send = |mut c: Chunk, raw_start: u64| -> Result<()> {
            let (alpha, seed) = schedule(raw_start, chunk_no);
            c.alpha = alpha;
            c.seed = seed;
            chunk_no += 1;
            tx.send(c)
                .map_err(|_| Error::Param("a training worker stopped unexpectedly".into()))
        };
        let (raw, read) = if let ChunkCache::Full(e) = &*cache {
            let mut sent = Ok(());
            for p in &e.chunks {
                let c = Chunk {
                    words: p.words.clone(),
                    ends: p.ends.clone(),
                    ..Chunk::default()
                };
                sent = send(c, p.raw_start);
                if sent.is_err() {
                    break;
                }
            }
            (e.raw, sent)
        } else {
            let mut record = |c: Chunk, raw_start: u64| -> Result<()> {
                cache.record(&c, raw_start);
                send(c, raw_start)
            };
            let mut packer = Packer::default();
            let read = corpus.for_each_sentence(&mut |toks| {
                let rows = toks.iter().filter_map(|&t| vocab.get(t));
                packer.push(rows, toks.len() as u64, &mut record)
            });
            let (raw, read) = match read {
                Ok(()) => match packer.finish(&mut record) {
                    Ok(raw) => (raw, Ok(())),
                    Err(e) => (0, Err(e)),
                },
                Err(e) => (0, Err(e)),
            };
            cache.finish(raw, read.is_ok());
            (raw, read)
        };
        drop(tx);
        let mut total = Work::new(0);
        for h in workers {
            let w = h
                .join()
                .map_err(|_| Error::Param("a training worker panicked".into()))?;
            total.loss += w.loss;
            total.predictions += w.predictions;
            total.effective += w.effective;
        }
        read?;
        Ok((raw, total))
    })
}

/// word2vec over text: builds the vocabulary, trains, and returns a model with the `word`
/// vocabulary and [`WORD_EMBEDDING`] (plus output tables and counts).
#[derive(Debug, Clone, Default)]
pub struct Word2Vec {
    /// Hyper-parameters.
    pub params: Word2VecParams,
}

impl Word2Vec {
    /// A trainer with checked parameters.
    pub fn new(params: Word2VecParams) -> Result<Word2Vec> {
        params.check()?;
        Ok(Word2Vec { params })
    }

    /// Train on `corpus` (e.g. [`TextFiles`]).
    pub fn fit(&self, corpus: &dyn Corpus, ctx: &TrainContext) -> Result<crate::model::Model> {
        self.fit_with(corpus, ctx, 0, &mut |_| Ok(()))
    }

    /// [`Word2Vec::fit`], continuing `ctx.resume` when set, and handing `checkpoint` the
    /// model so far after every `every` epochs (0 = never), e.g. to save it so that a killed
    /// run can be resumed.
    pub fn fit_with(
        &self,
        corpus: &dyn Corpus,
        ctx: &TrainContext,
        every: usize,
        checkpoint: &mut dyn FnMut(&crate::model::Model) -> Result<()>,
    ) -> Result<crate::model::Model> {
        let start = Instant::now();
        ctx.check_inits("word2vec", &[WORD_EMBEDDING])?;
        let vocab = WordVocab::build_encoded(
            corpus,
            self.params.min_count,
            self.params.max_vocab,
            ctx.cache_mb.saturating_mul(1 << 20),
        )?;
        let build_vocab_s = start.elapsed().as_secs_f64();
        let keys = Vocab::from_keys(vocab.words.iter().cloned());
        let mut p = self.params.clone();
        if p.dim == 0 {
            p.dim = crate::embedding::fourth_root_dim(vocab.len());
        }
        let mut params = serde_json::to_value(&self.params).unwrap_or_default();
        params["dim"] = p.dim.into();
        let resume =
            match ctx.resumed("word2vec", &params, "epochs", p.epochs, &[("word", &keys)])? {
                Some((m, done)) => Some(Resume::from_model(m, "word", &p, done)?),
                None => None,
            };
        let to_model = |t: Trained| self.to_model(&vocab, &keys, t, build_vocab_s, start, ctx.seed);
        let t = train_with(
            corpus,
            &vocab,
            &keys,
            WORD_EMBEDDING,
            &p,
            ctx,
            resume,
            every,
            &mut |t| checkpoint(&to_model(t.clone())),
        )?;
        Ok(to_model(t))
    }

    fn to_model(
        &self,
        vocab: &WordVocab,
        keys: &Vocab,
        t: Trained,
        build_vocab_s: f64,
        start: Instant,
        seed: u64,
    ) -> crate::model::Model {
        let mut model = crate::model::Model {
            algo: "word2vec".into(),
            params: serde_json::to_value(&self.params).unwrap_or_default(),
            ..Default::default()
        };
        model.vocabs.insert("word".into(), keys.clone());
        model.params["dim"] = t.input.ncols().into();
        record_corpus(&mut model, vocab, &t, build_vocab_s);
        let trained_epochs = t.epochs.len();
        model.record_run(t.epochs, start, seed, &t.inits);
        model.tables.insert(WORD_EMBEDDING.into(), t.input);
        if let Some(c) = t.context {
            model.tables.insert(WORD_CONTEXT.into(), c);
        }
        if let Some(h) = t.hs_nodes {
            model.tables.insert(WORD_HS.into(), h);
        }
        model.vectors.insert(
            WORD_COUNT.into(),
            Array1::from_iter(vocab.counts.iter().map(|&c| c as f32)),
        );
        record_words_per_s(&mut model, t.raw_words, trained_epochs);
        model
    }
}

/// `info.raw_words_per_s`: corpus tokens times epochs over the fit seconds (word2vec's own
/// speed figure), once the run is recorded.
pub(crate) fn record_words_per_s(model: &mut crate::model::Model, raw_words: u64, epochs: usize) {
    let fit_s = model.info.fit_s.unwrap_or(0.0);
    if fit_s > 0.0 {
        model.info.raw_words_per_s = Some(((raw_words * epochs as u64) as f64 / fit_s).round());
    }
}

/// Corpus facts for the manifest.
pub(crate) fn record_corpus(
    model: &mut crate::model::Model,
    vocab: &WordVocab,
    t: &Trained,
    build_vocab_s: f64,
) {
    let info = &mut model.info;
    info.corpus_words = Some(vocab.corpus_words);
    info.sentences = Some(vocab.sentences);
    info.vocab = Some(vocab.len());
    info.effective_words = Some(t.effective_words);
    info.build_vocab_s = Some(build_vocab_s);
    info.planned_epochs = Some(t.planned_epochs);
    info.lr_done = Some(f64::from(t.lr_done));
}

#[cfg(test)]
pub(crate) mod tests;

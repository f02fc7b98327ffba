//! The inner loop of skip-gram and CBOW, with negative sampling and/or hierarchical softmax.
//!
//! Weights are shared by all worker threads without locks (Hogwild, as in word2vec.c and
//! gensim), but soundly: every weight is an `AtomicU32` holding an `f32`'s bits, read and
//! written with `Relaxed` loads and stores (plain moves on x86-64 and ARM64). A worker copies
//! the rows it touches into local buffers, does the arithmetic there with vectorised kernels,
//! and adds its change back to the shared row, re-read at that moment: what another worker
//! added while the copy was in use is kept. Only an update landing between that re-read and
//! the store is lost — the lost-update tolerance Hogwild relies on, never undefined
//! behaviour. (Storing the local copy instead lost every concurrent update of a hot row:
//! the top nodes of the Huffman tree, which every prediction touches, and frequent words'
//! output rows; with 2 threads that cost skip-gram + HS 0.005–0.010 of WordSim-353 ρ.)

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use ndarray::Array2;

use super::huffman::Huffman;
use super::noise::Noise;

/// Dot products beyond ±`MAX_EXP` are treated as saturated (word2vec.c).
pub(crate) const MAX_EXP: f32 = 6.0;
const TABLE: usize = 1000;

/// Precomputed σ(x) and ln σ(x) on [−MAX_EXP, MAX_EXP] (1000 steps).
#[derive(Debug, Clone)]
pub(crate) struct Sigmoid {
    sig: Vec<f32>,
    logsig: Vec<f32>,
}

impl Sigmoid {
    pub(crate) fn new() -> Sigmoid {
        let xs = (0..TABLE).map(|i| (i as f64 / TABLE as f64 * 2.0 - 1.0) * f64::from(MAX_EXP));
        let sig: Vec<f32> = xs
            .clone()
            .map(|x| (1.0 / (1.0 + (-x).exp())) as f32)
            .collect();
        let logsig = xs.map(|x| (-(1.0 + (-x).exp()).ln()) as f32).collect();
        Sigmoid { sig, logsig }
    }

    /// The table step of `f` (through `i32`: a float-to-`usize` conversion costs several
    /// instructions more on x86-64 without AVX-512).
    #[inline(always)]
    fn index(f: f32) -> usize {
        (((f + MAX_EXP) * (TABLE as f32 / MAX_EXP / 2.0)) as i32).clamp(0, TABLE as i32 - 1)
            as usize
    }

    /// One prediction of `label` from the dot product `f`: its loss and, unless saturated
    /// (|f| ≥ `MAX_EXP`: no update, as gensim), σ(f) for the gradient. Inside the table
    /// both come from one step: −ln σ(f) for label 1, −ln σ(−f) = f − ln σ(f) for label 0;
    /// a saturated prediction costs 0 when right and |f| when wrong (as `neg_log`).
    #[inline(always)]
    pub(crate) fn predict(&self, f: f32, label: f32) -> (f32, Option<f32>) {
        if f <= -MAX_EXP || f >= MAX_EXP {
            return ((if label > 0.5 { -f } else { f }).max(0.0), None);
        }
        let i = Self::index(f);
        ((1.0 - label) * f - self.logsig[i], Some(self.sig[i]))
    }

    /// σ(f) for |f| < MAX_EXP.
    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn get(&self, f: f32) -> f32 {
        self.sig[Self::index(f)]
    }

    /// −ln σ(f), saturating linearly beyond the table.
    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn neg_log(&self, f: f32) -> f32 {
        if f >= MAX_EXP {
            0.0
        } else if f <= -MAX_EXP {
            -f
        } else {
            -self.logsig[Self::index(f)]
        }
    }
}

/// SplitMix64: a fast, well-mixed generator for the hot loop (one per chunk of work).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    #[inline(always)]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A row-major `f32` table shared between threads (see the module docs).
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) dim: usize,
    data: Vec<AtomicU32>,
}

impl Table {
    pub(crate) fn from_array(a: &Array2<f32>) -> Table {
        Table {
            dim: a.ncols(),
            data: a.iter().map(|x| AtomicU32::new(x.to_bits())).collect(),
        }
    }

    /// A copy of the current values (for checkpoints while workers may still run: each value
    /// is one relaxed load).
    pub(crate) fn to_array(&self) -> Array2<f32> {
        let rows = self.data.len().checked_div(self.dim).unwrap_or(0);
        let v: Vec<f32> = self
            .data
            .iter()
            .map(|a| f32::from_bits(a.load(Relaxed)))
            .collect();
        Array2::from_shape_vec((rows, self.dim), v).unwrap_or_else(|_| Array2::zeros((0, 0)))
    }

    pub(crate) fn into_array(self) -> Array2<f32> {
        let rows = self.data.len().checked_div(self.dim).unwrap_or(0);
        let v: Vec<f32> = self
            .data
            .into_iter()
            .map(|a| f32::from_bits(a.into_inner()))
            .collect();
        Array2::from_shape_vec((rows, self.dim), v).unwrap_or_else(|_| Array2::zeros((0, 0)))
    }

    #[inline(always)]
    pub(crate) fn row(&self, r: usize) -> &[AtomicU32] {
        &self.data[r * self.dim..(r + 1) * self.dim]
    }
}

use crate::kernels::simd::{axpy, dot};

/// `dst = src` (relaxed loads; vector moves where the CPU allows, see [`crate::kernels::simd`]).
#[inline(always)]
pub(crate) fn load(src: &[AtomicU32], dst: &mut [f32]) {
    crate::kernels::simd::load_row(src, dst);
}

/// `dst = src`.
#[inline(always)]
pub(crate) fn store(dst: &[AtomicU32], src: &[f32]) {
    crate::kernels::simd::store_row(dst, src);
}

/// `dst = cur + g·x`, where `cur` is the row as loaded.
#[inline(always)]
fn store_axpy(dst: &[AtomicU32], cur: &[f32], g: f32, x: &[f32]) {
    crate::kernels::simd::store_axpy_row(dst, cur, g, x);
}

/// `dst += x`, re-reading `dst` so that concurrent updates since it was read are kept.
#[inline(always)]
fn add_store(dst: &[AtomicU32], x: &[f32]) {
    crate::kernels::simd::add_row(dst, x);
}

/// Everything a worker reads while training (weights are written through atomics).
pub(crate) struct Setup<'a> {
    pub(crate) syn0: &'a Table,
    pub(crate) syn1neg: Option<&'a Table>,
    pub(crate) syn1: Option<&'a Table>,
    pub(crate) huffman: &'a Huffman,
    pub(crate) noise: &'a Noise,
    /// Subsampling keep thresholds per word.
    pub(crate) keep: &'a [u32],
    /// Input rows that are frozen (taken from a prior and not updated).
    pub(crate) locked: &'a [bool],
    pub(crate) sigmoid: &'a Sigmoid,
    pub(crate) skip_gram: bool,
    pub(crate) cbow_mean: bool,
    pub(crate) window: usize,
    pub(crate) shrink_windows: bool,
    pub(crate) negative: usize,
    /// Skip-gram: share one set of output rows (the word, its negatives, its Huffman path)
    /// among all context words of a position and update them once (see [`sg_batched`]).
    pub(crate) batched: bool,
}

/// A batch of sentences (word rows, sentence ends) with its learning rate and seed.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    pub(crate) words: Vec<u32>,
    pub(crate) ends: Vec<u32>,
    pub(crate) alpha: f32,
    pub(crate) seed: u64,
}

/// Per-worker buffers and tallies.
#[derive(Debug, Default)]
pub(crate) struct Work {
    l1: Vec<f32>,
    row: Vec<f32>,
    neu1e: Vec<f32>,
    sent: Vec<u32>,
    // batched skip-gram: context rows and the slot of each context position
    ctx: Vec<f32>,
    ctx_ids: Vec<u32>,
    ctx_order: Vec<u32>,
    /// The output rows of the position being trained (batched skip-gram and CBOW).
    outs: Outputs,
    /// Negatives drawn one position ahead, so their rows can be prefetched.
    negs: Vec<u32>,
    next_negs: Vec<u32>,
    /// CBOW: local copies of the input rows of the words in the window (a ring of slots by
    /// position: `2·window + 1`, or the sentence length if shorter, rounded up to a power of
    /// two) and their values when loaded.
    ring_cur: Vec<f32>,
    ring_orig: Vec<f32>,
    dctx: Vec<f32>,
    /// CBOW: the ring slots of the current position's context words.
    ctx_slots: Vec<u32>,
    /// Sum of −ln σ over every output prediction.
    pub(crate) loss: f64,
    /// Number of output predictions.
    pub(crate) predictions: u64,
    /// Tokens trained on (after subsampling).
    pub(crate) effective: u64,
}

impl Work {
    pub(crate) fn new(dim: usize) -> Work {
        Work {
            l1: vec![0.0; dim],
            row: vec![0.0; dim],
            neu1e: vec![0.0; dim],
            ..Default::default()
        }
    }
}

crate::kernels::simd::dispatch!(
    /// Train on one chunk.
    fn train_chunk(s: &Setup<'_>, c: &Chunk, w: &mut Work) => train_chunk_body
);

/// Train on one chunk (through the fastest SIMD path this CPU has).
pub(crate) fn train(s: &Setup<'_>, c: &Chunk, w: &mut Work) {
    train_chunk(s, c, w);
}

#[inline(always)]
fn train_chunk_body(s: &Setup<'_>, c: &Chunk, w: &mut Work) {
    let mut rng = Rng::new(c.seed);
    let mut sent = std::mem::take(&mut w.sent);
    let mut start = 0usize;
    for &end in &c.ends {
        let end = end as usize;
        sent.clear();
        for &t in &c.words[start..end] {
            let k = s.keep[t as usize];
            if k == u32::MAX || (rng.next_u64() as u32) <= k {
                sent.push(t);
            }
        }
        start = end;
        w.effective += sent.len() as u64;
        let n = sent.len();
        let cached_cbow = !s.skip_gram;
        let lookahead = cached_cbow || s.batched;
        if lookahead && n > 0 {
            draw_negatives(s, sent[0], &mut w.next_negs, &mut rng);
        }
        // a power of two, so a position's slot is `p & (ring - 1)` (no division in the loop);
        // never more slots than the sentence has positions
        let ring = s
            .window
            .saturating_mul(2)
            .saturating_add(1)
            .min(n.max(1))
            .next_power_of_two();
        let dim = s.syn0.dim;
        if cached_cbow {
            w.ring_cur.resize(ring * dim, 0.0);
            w.ring_orig.resize(ring * dim, 0.0);
        }
        let mut loaded = 0usize;
        for pos in 0..n {
            if cached_cbow {
                // keep the rows of positions pos-window ..= pos+window in the ring (a slot is
                // written back when a later position needs it)
                while loaded < n.min(pos + s.window + 1) {
                    if loaded >= ring {
                        ring_evict(s, &sent, loaded - ring, ring, w);
                    }
                    ring_load(s, &sent, loaded, ring, w);
                    loaded += 1;
                }
            }
            if lookahead {
                // the negatives of this position were drawn (and prefetched) one step ago;
                // draw the next position's now and start fetching its rows
                std::mem::swap(&mut w.negs, &mut w.next_negs);
                if pos + 1 < n {
                    draw_negatives(s, sent[pos + 1], &mut w.next_negs, &mut rng);
                    prefetch_rows(s, &sent, pos + 1, &w.next_negs);
                }
            }
            let b = if s.shrink_windows {
                // uniform in 0..window by multiply-shift (no division)
                (((rng.next_u64() >> 32) * s.window as u64) >> 32) as usize
            } else {
                0
            };
            let reach = s.window - b;
            let lo = pos.saturating_sub(reach);
            let hi = (pos + reach + 1).min(n);
            let target = sent[pos];
            if s.skip_gram && s.batched {
                sg_batched(s, c.alpha, &sent, pos, lo, hi, w);
            } else if s.skip_gram {
                for (cpos, &input) in sent.iter().enumerate().take(hi).skip(lo) {
                    if cpos != pos {
                        sg_pair(s, c.alpha, target, input, w, &mut rng);
                    }
                }
            } else {
                cbow(s, c.alpha, &sent, pos, lo, hi, ring, w);
            }
        }
        if cached_cbow {
            for p in loaded.saturating_sub(ring)..loaded {
                ring_evict(s, &sent, p, ring, w);
            }
        }
    }
    w.sent = sent;
}

/// Copy the input row of the word at position `p` into its ring slot.
#[inline(always)]
fn ring_load(s: &Setup<'_>, sent: &[u32], p: usize, ring: usize, w: &mut Work) {
    let dim = s.syn0.dim;
    let slot = p & (ring - 1);
    let r = slot * dim..(slot + 1) * dim;
    load(s.syn0.row(sent[p] as usize), &mut w.ring_cur[r.clone()]);
    w.ring_orig[r.clone()].copy_from_slice(&w.ring_cur[r]);
}

/// Add what training changed in the ring slot of position `p` to the shared row (re-read, so
/// concurrent updates and the same word elsewhere in the window are kept).
#[inline(always)]
fn ring_evict(s: &Setup<'_>, sent: &[u32], p: usize, ring: usize, w: &mut Work) {
    let word = sent[p] as usize;
    if s.locked[word] {
        return;
    }
    let dim = s.syn0.dim;
    let slot = p & (ring - 1);
    let r = slot * dim..(slot + 1) * dim;
    crate::kernels::simd::add_diff_row(s.syn0.row(word), &w.ring_cur[r.clone()], &w.ring_orig[r]);
}

#[inline(always)]
fn sg_pair(s: &Setup<'_>, alpha: f32, target: u32, input: u32, w: &mut Work, rng: &mut Rng) {
    let r = s.syn0.row(input as usize);
    load(r, &mut w.l1);
    w.neu1e.fill(0.0);
    output(s, alpha, target, w, rng);
    if !s.locked[input as usize] {
        add_store(r, &w.neu1e);
    }
}

/// CBOW for one position: the context rows come from the ring (local copies kept for as long
/// as a word is in the window, written back when it leaves), the output rows are gathered
/// once, trained against the context vector with batched dot products and written back once
/// ([`Outputs`]), and the negatives were drawn one position ahead (prefetched).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn cbow(
    s: &Setup<'_>,
    alpha: f32,
    sent: &[u32],
    pos: usize,
    lo: usize,
    hi: usize,
    ring: usize,
    w: &mut Work,
) {
    // the ring slots of the context positions, in window order
    w.ctx_slots.clear();
    w.ctx_slots.extend(
        (lo..hi)
            .filter(|&cpos| cpos != pos)
            .map(|cpos| (cpos & (ring - 1)) as u32),
    );
    let count = w.ctx_slots.len();
    if count == 0 {
        return;
    }
    let inv = 1.0 / count as f32;
    let scale = if s.cbow_mean { inv } else { 1.0 };
    crate::kernels::simd::sum_slots(&w.ring_cur, &w.ctx_slots, scale, &mut w.l1);
    w.neu1e.fill(0.0);
    w.outs.gather(s, sent[pos], &w.negs);
    w.outs.fit(
        s,
        alpha,
        &w.l1,
        &mut w.neu1e,
        &mut w.loss,
        &mut w.predictions,
    );
    w.outs.scatter(s);
    if !s.cbow_mean {
        // gensim: with a summed context, the error is shared out over the context words
        w.neu1e.iter_mut().for_each(|x| *x *= inv);
    }
    crate::kernels::simd::add_to_slots(&mut w.ring_cur, &w.ctx_slots, &w.neu1e);
}

/// Draw `negative` noise rows for `target` (draws equal to it are skipped, as in gensim).
#[inline(always)]
fn draw_negatives(s: &Setup<'_>, target: u32, out: &mut Vec<u32>, rng: &mut Rng) {
    out.clear();
    for _ in 0..s.negative {
        let t = s.noise.sample(rng.next_u64());
        if t != target {
            out.push(t);
        }
    }
}

/// Prefetch the rows position `pos` will touch that are likely cold: its word's output row
/// and Huffman path,
/// its negatives' rows, and the input row of the context word entering the window.
#[inline(always)]
fn prefetch_rows(s: &Setup<'_>, sent: &[u32], pos: usize, negs: &[u32]) {
    if let Some(t) = s.syn1neg {
        crate::kernels::simd::prefetch(t.row(sent[pos] as usize));
        for &n in negs {
            crate::kernels::simd::prefetch(t.row(n as usize));
        }
    }
    if let Some(&c) = sent.get(pos + s.window) {
        crate::kernels::simd::prefetch(s.syn0.row(c as usize));
    }
    if let Some(t) = s.syn1 {
        for &p in s.huffman.path(sent[pos] as usize).0 {
            crate::kernels::simd::prefetch(t.row(p as usize));
        }
    }
}

/// Skip-gram for one position, batched over its window (after HogBatch, Ji et al. 2016,
/// "Parallelizing Word2Vec in Shared and Distributed Memory"): the output rows — the word
/// itself, one shared draw of negatives, and its Huffman path — are read once into local
/// copies, the context words are trained against them one after another as in word2vec.c
/// (each context word sees the output rows as updated by the words before it; see
/// [`Outputs`] for the order within one), and every row is written back once. The one
/// departure from word2vec.c is that a position's context words share their negatives;
/// memory traffic per position drops from `contexts × outputs` rows to
/// `contexts + outputs`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn sg_batched(
    s: &Setup<'_>,
    alpha: f32,
    sent: &[u32],
    pos: usize,
    lo: usize,
    hi: usize,
    w: &mut Work,
) {
    let dim = s.syn0.dim;
    let target = sent[pos];
    // distinct context rows (slots) and the slot of each context position, in window order
    w.ctx_ids.clear();
    w.ctx_order.clear();
    for (cpos, &c) in sent.iter().enumerate().take(hi).skip(lo) {
        if cpos != pos {
            let slot = match w.ctx_ids.iter().position(|&x| x == c) {
                Some(i) => i,
                None => {
                    w.ctx_ids.push(c);
                    w.ctx_ids.len() - 1
                }
            };
            w.ctx_order.push(slot as u32);
        }
    }
    if w.ctx_order.is_empty() {
        return;
    }
    w.outs.gather(s, target, &w.negs);
    let m = w.ctx_ids.len();
    w.ctx.resize(m * dim, 0.0);
    w.dctx.clear();
    w.dctx.resize(m * dim, 0.0);
    for (i, &c) in w.ctx_ids.iter().enumerate() {
        load(s.syn0.row(c as usize), &mut w.ctx[i * dim..(i + 1) * dim]);
    }
    for &i in &w.ctx_order {
        let i = i as usize;
        let ci = &w.ctx[i * dim..(i + 1) * dim];
        let dci = &mut w.dctx[i * dim..(i + 1) * dim];
        w.outs
            .fit(s, alpha, ci, dci, &mut w.loss, &mut w.predictions);
    }
    // one read-add-store per distinct row: the change (`dctx`) is added to the row as it is
    // now, so concurrent updates since the load are kept
    for (i, &c) in w.ctx_ids.iter().enumerate() {
        if !s.locked[c as usize] {
            let r = i * dim..(i + 1) * dim;
            add_store(s.syn0.row(c as usize), &w.dctx[r]);
        }
    }
    w.outs.scatter(s);
}

/// The output rows one position trains against — its word's Huffman path (HS) and/or the
/// word and its negatives (NS) — as local copies, with the predictions made against them.
/// Against one input vector `x`, every prediction's dot product uses the rows as they were
/// before this input's updates (as in word2vec.c, where the rows of one input's predictions
/// are distinct and so independent), which lets all dot products be computed in one batched
/// call, four rows at a time, and all updates be applied in one fused pass.
#[derive(Debug, Default)]
struct Outputs {
    /// Distinct rows: (from the HS table, row).
    ids: Vec<(bool, u32)>,
    /// Their values, row-major (`ids.len() × dim`).
    rows: Vec<f32>,
    /// The values as gathered (the scatter adds `rows − orig` to the shared rows).
    orig: Vec<f32>,
    /// Predictions: (slot in `ids`, label).
    preds: Vec<(u32, f32)>,
    /// Per slot: the dot product with the current input, and the summed gradient step.
    f: Vec<f32>,
    g: Vec<f32>,
}

impl Outputs {
    /// Collect and load the output rows of `target` (negatives `negs`, drawn ahead).
    #[inline(always)]
    fn gather(&mut self, s: &Setup<'_>, target: u32, negs: &[u32]) {
        self.ids.clear();
        self.preds.clear();
        let mut add = |key: (bool, u32), label: f32| {
            let slot = match self.ids.iter().position(|&x| x == key) {
                Some(i) => i,
                None => {
                    self.ids.push(key);
                    self.ids.len() - 1
                }
            };
            self.preds.push((slot as u32, label));
        };
        if s.syn1.is_some() {
            let (points, codes) = s.huffman.path(target as usize);
            for (&p, &code) in points.iter().zip(codes) {
                add((true, p), 1.0 - f32::from(code));
            }
        }
        if s.syn1neg.is_some() {
            add((false, target), 1.0);
            for &t in negs {
                add((false, t), 0.0);
            }
        }
        let dim = s.syn0.dim;
        self.rows.resize(self.ids.len() * dim, 0.0);
        for (j, &(hs, r)) in self.ids.iter().enumerate() {
            if let Some(t) = if hs { s.syn1 } else { s.syn1neg } {
                load(t.row(r as usize), &mut self.rows[j * dim..(j + 1) * dim]);
            }
        }
        self.orig.clear();
        self.orig.extend_from_slice(&self.rows);
    }

    /// Train the input vector `x` against every prediction: the rows take their updates and
    /// `dx` accumulates the input's gradient. Saturated predictions (|x·row| ≥ `MAX_EXP`)
    /// carry no update (gensim; word2vec.c clips for NS).
    #[inline(always)]
    fn fit(
        &mut self,
        s: &Setup<'_>,
        alpha: f32,
        x: &[f32],
        dx: &mut [f32],
        loss: &mut f64,
        predictions: &mut u64,
    ) {
        let k = self.ids.len();
        let rows = &mut self.rows[..k * x.len()];
        self.f.resize(k, 0.0);
        crate::kernels::simd::dots(rows, x, &mut self.f);
        self.g.clear();
        self.g.resize(k, 0.0);
        // summed in f32 over this input's few predictions, then added to the f64 total once
        let mut sum = 0.0f32;
        for &(j, label) in &self.preds {
            let (l, sig) = s.sigmoid.predict(self.f[j as usize], label);
            sum += l;
            if let Some(sig) = sig {
                self.g[j as usize] += (label - sig) * alpha;
            }
        }
        *loss += f64::from(sum);
        *predictions += self.preds.len() as u64;
        crate::kernels::simd::grad_rows(&self.g, x, dx, rows);
    }

    /// Add every row's change since the gather to the shared row, re-read (so what other
    /// workers added meanwhile is kept), once per row.
    #[inline(always)]
    fn scatter(&self, s: &Setup<'_>) {
        let dim = s.syn0.dim;
        for (j, &(hs, r)) in self.ids.iter().enumerate() {
            if let Some(t) = if hs { s.syn1 } else { s.syn1neg } {
                let span = j * dim..(j + 1) * dim;
                crate::kernels::simd::add_diff_row(
                    t.row(r as usize),
                    &self.rows[span.clone()],
                    &self.orig[span],
                );
            }
        }
    }
}

/// Predict `target` from the hidden vector `w.l1` pair by pair (word2vec.c's order, for
/// `--unbatched` skip-gram): update the output rows and accumulate the input gradient in
/// `w.neu1e`.
#[inline(always)]
fn output(s: &Setup<'_>, alpha: f32, target: u32, w: &mut Work, rng: &mut Rng) {
    let Work {
        l1,
        row,
        neu1e,
        loss,
        predictions,
        ..
    } = w;
    if let Some(syn1) = s.syn1 {
        let (points, codes) = s.huffman.path(target as usize);
        for (&p, &code) in points.iter().zip(codes) {
            let r = syn1.row(p as usize);
            load(r, row);
            let f = dot(l1, row);
            let label = 1.0 - f32::from(code);
            *predictions += 1;
            let (l, sig) = s.sigmoid.predict(f, label);
            *loss += f64::from(l);
            let Some(sig) = sig else { continue };
            let g = (label - sig) * alpha;
            axpy(g, row, neu1e);
            store_axpy(r, row, g, l1);
        }
    }
    if let Some(syn1neg) = s.syn1neg {
        for d in 0..=s.negative {
            let (t, label) = if d == 0 {
                (target, 1.0f32)
            } else {
                let t = s.noise.sample(rng.next_u64());
                if t == target {
                    continue;
                }
                (t, 0.0)
            };
            let r = syn1neg.row(t as usize);
            load(r, row);
            let f = dot(l1, row);
            *predictions += 1;
            let (l, sig) = s.sigmoid.predict(f, label);
            *loss += f64::from(l);
            // saturated predictions carry no update (gensim; word2vec.c clips instead)
            let Some(sig) = sig else { continue };
            let g = (label - sig) * alpha;
            axpy(g, row, neu1e);
            store_axpy(r, row, g, l1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_table_is_accurate() {
        let s = Sigmoid::new();
        for i in -59..=59 {
            let x = i as f32 / 10.0;
            let exact = 1.0 / (1.0 + (-x).exp());
            assert!((s.get(x) - exact).abs() < 0.01, "{x}");
            assert!((s.neg_log(x) + exact.ln()).abs() < 0.02, "{x}");
        }
        assert_eq!(s.neg_log(7.0), 0.0);
        assert_eq!(s.neg_log(-7.0), 7.0);
    }

    /// One table step gives the loss of either label and σ, as `neg_log` and `get` do; the
    /// saturated loss is `neg_log`'s beyond the table.
    #[test]
    fn predict_agrees_with_the_tables() {
        let s = Sigmoid::new();
        for i in -59..=59 {
            let x = i as f32 / 10.0;
            let (l1, sig) = s.predict(x, 1.0);
            let (l0, sig0) = s.predict(x, 0.0);
            assert_eq!(sig, Some(s.get(x)));
            assert_eq!(sig0, sig);
            assert!((l1 - s.neg_log(x)).abs() < 1e-6, "{x}");
            assert!((l0 - s.neg_log(-x)).abs() < 0.02, "{x}");
            let exact0 = -(1.0 / (1.0 + x.exp())).ln();
            assert!((l0 - exact0).abs() < 0.02, "{x}: {l0} vs {exact0}");
        }
        for f in [6.0f32, 7.5, -6.0, -9.0] {
            assert_eq!(s.predict(f, 1.0), (s.neg_log(f), None));
            assert_eq!(s.predict(f, 0.0), (s.neg_log(-f), None));
        }
    }

    #[test]
    fn table_round_trips() {
        let a = Array2::from_shape_fn((3, 4), |(i, j)| i as f32 - j as f32 * 0.5);
        assert_eq!(Table::from_array(&a).into_array(), a);
    }
}

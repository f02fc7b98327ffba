//! Hybrid (feature) BPR, LightFM-style: an item's vector is the sum of its id embedding and the
//! embeddings of its features (genres from the catalog), `q̃_i = q_i + Σ_{g∈G(i)} e_g`, and
//! likewise its bias `b̃_i = b_i + Σ b_g`. Items that never occur in training still get a
//! vector from their features (cold start).
//!
//! Feature rows are shared by items of every block, so this trainer runs the SGD sequentially
//! (one thread; each epoch visits the events in its own seeded shuffled order and draws its
//! negatives uniformly over all items from its own seeded generator); it is deterministic for
//! a seed, and a resumed run continues exactly as the uninterrupted one. The loss is BPR's
//! sampled log-loss or, with `warp`, WARP's rank-weighted hinge (as in plain BPR, [`super::Bpr`]). The saved `item/embedding` and `item/bias` are the *effective*
//! `q̃_i`, `b̃_i`, so look-ups need nothing new; `genre/embedding` (+ `genre/bias`) and the
//! `genre` vocabulary are saved too.

use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::loss::neg_log_sigmoid;
use super::params::BprParams;
use crate::data::{Catalog, Interactions};
use crate::embedding::Initializer;
use crate::error::{Error, Result};
use crate::kernels::simd::dot;
use crate::model::{EpochLog, Model, ITEM_BIAS, ITEM_EMBEDDING, USER_EMBEDDING};
use crate::models::liked::{LikedSet, BITS_BUDGET};
use crate::models::word2vec::noise::Noise;
use crate::models::TrainContext;
use crate::vocab::Vocab;

/// Table of feature (genre) embeddings.
pub const GENRE_EMBEDDING: &str = "genre/embedding";
/// Vector of feature (genre) biases.
pub const GENRE_BIAS: &str = "genre/bias";
/// The items' own id vectors `q_i` (without their features), kept so a run can be resumed.
pub const ITEM_ID_EMBEDDING: &str = "item/id_embedding";
/// The items' own biases `b_i` (without their features).
pub const ITEM_ID_BIAS: &str = "item/id_bias";

/// A candidate negative: uniform over the `ni` items, or from `noise` (∝ count^α).
fn draw(rng: &mut Xoshiro256PlusPlus, ni: usize, noise: Option<&Noise>) -> usize {
    match noise {
        Some(n) => n.sample(rng.next_u64()) as usize,
        None => rng.random_range(0..ni as u32) as usize,
    }
}

/// Draw the negative of event `(u, i)`: up to 16 tries for an item `u` has not liked.
fn negative(
    rng: &mut Xoshiro256PlusPlus,
    ni: usize,
    noise: Option<&Noise>,
    (u, i): (usize, usize),
    liked: &LikedSet,
) -> Option<usize> {
    for _ in 0..16 {
        let c = draw(rng, ni, noise);
        if c != i && !liked.contains(u, c as u32) {
            return Some(c);
        }
    }
    None
}

/// The generator of epoch `epoch` (shuffle, then negatives): a function of the seed and the
/// epoch only, so a resumed run needs no replay.
fn epoch_rng(seed: u64, epoch: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed ^ 0x4b1d ^ (epoch as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    )
}

struct State {
    k: usize,
    p: Vec<f32>,
    q: Vec<f32>,
    e: Vec<f32>,
    bi: Vec<f32>,
    be: Vec<f32>,
    /// Per-touch L2 share of each feature row: `1 / √(items having it)`. A feature row is
    /// touched by every update of every item that has it, so full per-touch L2 shrinks it
    /// that many times harder than an item's own row — with WARP's L2 of 0.1 it erased what
    /// cold items need (their ranking fell to chance). `1/√n` was best for the BPR loss on a
    /// validation split and keeps cold items well above chance with both losses (BENCHMARKS.md,
    /// "How the defaults were chosen").
    share: Vec<f32>,
}

impl State {
    /// Effective vector and bias of item `i` into `out`.
    fn effective(&self, i: usize, feats: &[u32], out: &mut [f32]) -> f32 {
        let k = self.k;
        out.copy_from_slice(&self.q[i * k..(i + 1) * k]);
        let mut b = self.bi[i];
        for &g in feats {
            let g = g as usize;
            for (o, v) in out.iter_mut().zip(&self.e[g * k..(g + 1) * k]) {
                *o += v;
            }
            b += self.be[g];
        }
        b
    }

    /// The margin `x_uij = p_u·q̃_i − p_u·q̃_j + b̃_i − b̃_j`, given `(p_u·q̃_i, b̃_i)`; leaves
    /// `q̃_j` in `qj`.
    fn margin(
        &self,
        u: usize,
        (pq_i, bi): (f32, f32),
        j: usize,
        feats: &[u32],
        qj: &mut [f32],
    ) -> f32 {
        let bj = self.effective(j, feats, qj);
        pq_i - dot(&self.p[u * self.k..(u + 1) * self.k], qj) + bi - bj
    }

    /// Apply gradient `grad` (ascent direction for the item vector) and `gb` (bias) to item `i`
    /// and each of its features, with L2.
    fn push_item(&mut self, i: usize, feats: &[u32], grad: &[f32], gb: f32, p: &BprParams) {
        let k = self.k;
        let (lr, reg, rb) = (p.lr, p.reg, p.reg_bias);
        for (q, g) in self.q[i * k..(i + 1) * k].iter_mut().zip(grad) {
            *q += lr * (g - reg * *q);
        }
        self.bi[i] += lr * (gb - rb * self.bi[i]);
        for &f in feats {
            let f = f as usize;
            let (reg, rb) = (reg * self.share[f], rb * self.share[f]);
            for (e, g) in self.e[f * k..(f + 1) * k].iter_mut().zip(grad) {
                *e += lr * (g - reg * *e);
            }
            self.be[f] += lr * (gb - rb * self.be[f]);
        }
    }
}

/// Train hybrid BPR; `catalog` supplies each item's genres (items without any use only their id).
pub(crate) fn fit(
    p: &BprParams,
    data: &Interactions,
    catalog: Option<&Catalog>,
    ctx: &TrainContext,
) -> Result<Model> {
    let catalog = catalog.ok_or_else(|| {
        Error::Param(
            "item features need an items file with genres (train on movies.csv or u.item)".into(),
        )
    })?;
    ctx.check_inits("bpr --item-features", &[])?;
    let (nu, ni, k) = (data.users.len(), data.items.len(), p.dim);
    let mut params = serde_json::to_value(p).unwrap_or_default();
    params["item_feature_column"] = "genres".into();
    let mut genres = Vocab::new();
    let feats: Vec<Vec<u32>> = data
        .items
        .keys()
        .iter()
        .map(|key| {
            catalog
                .get(key)
                .map(|info| info.genres.iter().map(|g| genres.intern(g)).collect())
                .unwrap_or_default()
        })
        .collect();
    if genres.is_empty() {
        return Err(Error::Param(
            "the items file has no genres to use as item features".into(),
        ));
    }
    let m = data.binary_csr();
    let mut events: Vec<(u32, u32)> = Vec::with_capacity(m.nnz());
    let mut liked: Vec<Vec<u32>> = vec![Vec::new(); nu];
    for (u, row) in m.outer_iterator().enumerate() {
        for (i, _) in row.iter() {
            events.push((u as u32, i as u32));
            liked[u].push(i as u32);
        }
    }
    let liked = LikedSet::new(liked, ni, BITS_BUDGET);
    let init = Initializer::TruncatedNormal { std: p.init_std };
    let mut s = State {
        k,
        p: init.table(nu, k, ctx.seed).into_raw_vec_and_offset().0,
        q: init
            .table(ni, k, ctx.seed.wrapping_add(1))
            .into_raw_vec_and_offset()
            .0,
        e: init
            .table(genres.len(), k, ctx.seed.wrapping_add(3))
            .into_raw_vec_and_offset()
            .0,
        bi: vec![0.0; ni],
        be: vec![0.0; genres.len()],
        share: {
            let mut n = vec![0u32; genres.len()];
            feats.iter().flatten().for_each(|&g| n[g as usize] += 1);
            n.iter().map(|&c| 1.0 / (c.max(1) as f32).sqrt()).collect()
        },
    };
    let mut epochs = Vec::with_capacity(p.epochs);
    let mut first = 0;
    let vocabs = [
        ("user", &data.users),
        ("item", &data.items),
        ("genre", &genres),
    ];
    if let Some((m, done)) = ctx.resumed("bpr", &params, "epochs", p.epochs, &vocabs)? {
        let raw = |name: &str| -> Result<Vec<f32>> {
            Ok(crate::models::saved_table(m, name)?
                .into_raw_vec_and_offset()
                .0)
        };
        s.p = raw(USER_EMBEDDING)?;
        s.q = raw(ITEM_ID_EMBEDDING)?;
        s.e = raw(GENRE_EMBEDDING)?;
        s.bi = crate::models::saved_vector(m, ITEM_ID_BIAS)?;
        s.be = crate::models::saved_vector(m, GENRE_BIAS)?;
        if s.p.len() != nu * k || s.q.len() != ni * k || s.e.len() != genres.len() * k {
            return Err(Error::Param(
                "--resume: the saved tables do not match the data's users, items and genres".into(),
            ));
        }
        first = done;
        epochs.extend(m.epochs.iter().cloned());
    }
    let start = Instant::now();
    let pb = crate::progress::bar(p.epochs as u64, "bpr+features", ctx.progress);
    pb.inc(first as u64);
    let (mut qi, mut qj, mut gp, mut g) = (
        vec![0.0f32; k],
        vec![0.0f32; k],
        vec![0.0f32; k],
        vec![0.0f32; k],
    );
    let mut order = events.clone();
    let noise = (p.ns_exponent != 0.0).then(|| {
        let mut count = vec![0u64; ni];
        events.iter().for_each(|&(_, i)| count[i as usize] += 1);
        Noise::new(&count, p.ns_exponent)
    });
    for epoch in first..p.epochs {
        let t0 = Instant::now();
        let mut loss = 0.0f64;
        let mut rng = epoch_rng(ctx.seed, epoch);
        order.copy_from_slice(&events);
        order.shuffle(&mut rng);
        for &(u, i) in &order {
            let (u, i) = (u as usize, i as usize);
            let bi_eff = s.effective(i, &feats[i], &mut qi);
            let pq_i = dot(&s.p[u * k..(u + 1) * k], &qi);
            // (negative, gradient weight z of the margin x_uij)
            let step = if p.warp {
                // WARP: the first sampled negative within the margin, rank-weighted
                let mut hit = None;
                for trial in 1..=p.max_sampled {
                    let c = draw(&mut rng, ni, noise.as_ref());
                    if c == i || liked.contains(u, c as u32) {
                        continue;
                    }
                    let x = s.margin(u, (pq_i, bi_eff), c, &feats[c], &mut qj);
                    if x < 1.0 {
                        let w = super::loss::warp_scale(ni, trial);
                        loss += f64::from(w * (1.0 - x));
                        hit = Some((c, w));
                        break;
                    }
                }
                hit
            } else {
                negative(&mut rng, ni, noise.as_ref(), (u, i), &liked).map(|j| {
                    let x = s.margin(u, (pq_i, bi_eff), j, &feats[j], &mut qj);
                    loss += f64::from(neg_log_sigmoid(x));
                    // σ(−x): the gradient weight of ln σ(x)
                    (j, 1.0 / (1.0 + x.exp()))
                })
            };
            let Some((j, z)) = step else { continue };
            let pu = &s.p[u * k..(u + 1) * k];
            for f in 0..k {
                gp[f] = z * (qi[f] - qj[f]);
                g[f] = z * pu[f];
            }
            s.push_item(i, &feats[i], &g, z, p);
            g.iter_mut().for_each(|v| *v = -*v);
            s.push_item(j, &feats[j], &g, -z, p);
            let (lr, reg) = (p.lr, p.reg);
            for (pv, d) in s.p[u * k..(u + 1) * k].iter_mut().zip(&gp) {
                *pv += lr * (d - reg * *pv);
            }
        }
        let loss = loss / events.len().max(1) as f64;
        crate::models::check_finite(
            "bpr",
            epoch + 1,
            "the loss",
            loss.is_finite(),
            crate::models::LOWER_LR,
        )?;
        pb.inc(1);
        epochs.push(EpochLog {
            epoch: epoch + 1,
            loss,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    pb.finish_and_clear();
    let mut items = Array2::zeros((ni, k));
    let mut ib = Array1::zeros(ni);
    let mut buf = vec![0.0f32; k];
    for i in 0..ni {
        ib[i] = s.effective(i, &feats[i], &mut buf);
        items
            .row_mut(i)
            .assign(&ndarray::ArrayView1::from(&buf[..]));
    }
    let shape = |r: usize, v: Vec<f32>| {
        Array2::from_shape_vec((r, k), v).map_err(|e| Error::Param(e.to_string()))
    };
    let mut model = Model::for_interactions("bpr", data, Some(catalog));
    model.params = params;
    model
        .tables
        .insert(ITEM_ID_EMBEDDING.into(), shape(ni, s.q)?);
    model
        .vectors
        .insert(ITEM_ID_BIAS.into(), Array1::from_vec(s.bi));
    model.tables.insert(USER_EMBEDDING.into(), shape(nu, s.p)?);
    model.tables.insert(ITEM_EMBEDDING.into(), items);
    model
        .tables
        .insert(GENRE_EMBEDDING.into(), shape(genres.len(), s.e)?);
    model.vectors.insert(ITEM_BIAS.into(), ib);
    model
        .vectors
        .insert(GENRE_BIAS.into(), Array1::from_vec(s.be));
    model.vocabs.insert("genre".into(), genres);
    model.record_run(epochs, start, ctx.seed, &[]);
    Ok(model)
}

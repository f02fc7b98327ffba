//! SVD++ (Koren 2008): `r̂ = μ + b_u + b_i + q_i·(p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j)`, where
//! `N(u)` are the items user u rated. Trained by SGD user by user (users and each user's
//! ratings in a seeded shuffled order): the implicit term `z_u` is computed once per user visit
//! and the `y_j` updates are accumulated over the visit and applied at its end, which is what
//! makes this O(ratings · k) per epoch instead of Surprise's O(ratings · |N(u)| · k).
//! Single-threaded and deterministic for a seed.
//!
//! The saved `user/embedding` is the effective user vector `p_u + z_u`, so predictions and
//! look-ups use the same formula as plain MF; `item/implicit` holds the `y_j`.

use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::params::MfParams;
use crate::data::{Catalog, Interactions};
use crate::embedding::Initializer;
use crate::error::{Error, Result};
use crate::kernels::linalg::{axpy, dot};
use crate::model::{
    EpochLog, Model, GLOBAL_MEAN, ITEM_BIAS, ITEM_EMBEDDING, USER_BIAS, USER_EMBEDDING,
};
use crate::models::TrainContext;

/// Table name of the implicit item factors `y_j`.
pub const ITEM_IMPLICIT: &str = "item/implicit";
/// Table name of the users' own factors `p_u` (`user/embedding` holds `p_u + z_u`, the
/// vector look-ups use); kept so that a run can be resumed.
pub const USER_FACTORS: &str = "user/factors";

struct State {
    k: usize,
    /// Frozen user / item rows.
    pf: Vec<bool>,
    qf: Vec<bool>,
    p: Vec<f32>,
    q: Vec<f32>,
    y: Vec<f32>,
    bu: Vec<f32>,
    bi: Vec<f32>,
}

/// Step sizes of one epoch.
#[derive(Clone, Copy)]
struct Hyper {
    mu: f32,
    lr: f32,
    rb: f32,
    rf: f32,
}

/// One epoch over users in `order`; adds the squared errors to `sse`.
#[inline(always)]
fn epoch(s: &mut State, rows: &[Vec<(u32, f32)>], order: &[u32], h: &Hyper, sse: &mut f64) {
    let Hyper { mu, lr, rb, rf } = *h;
    let k = s.k;
    let mut z = vec![0.0f32; k];
    let mut gy = vec![0.0f32; k];
    let mut pz = vec![0.0f32; k];
    for &u in order {
        let u = u as usize;
        let row = &rows[u];
        if row.is_empty() {
            continue;
        }
        let norm = 1.0 / (row.len() as f32).sqrt();
        z.iter_mut().for_each(|v| *v = 0.0);
        for &(j, _) in row {
            axpy(norm, &s.y[j as usize * k..(j as usize + 1) * k], &mut z);
        }
        gy.iter_mut().for_each(|v| *v = 0.0);
        for &(i, r) in row {
            let i = i as usize;
            let pu = &mut s.p[u * k..(u + 1) * k];
            let qi = &mut s.q[i * k..(i + 1) * k];
            for ((a, b), c) in pz.iter_mut().zip(pu.iter()).zip(&z) {
                *a = b + c;
            }
            let err = r - (mu + s.bu[u] + s.bi[i] + dot(qi, &pz));
            *sse += f64::from(err * err);
            s.bu[u] += lr * (err - rb * s.bu[u]);
            s.bi[i] += lr * (err - rb * s.bi[i]);
            axpy(err * norm, qi, &mut gy);
            let (fu, fi) = (s.pf[u], s.qf[i]);
            for ((p, q), w) in pu.iter_mut().zip(qi.iter_mut()).zip(&pz) {
                let (p0, q0) = (*p, *q);
                if !fu {
                    *p += lr * (err * q0 - rf * p0);
                }
                if !fi {
                    *q += lr * (err * w - rf * q0);
                }
            }
        }
        // Apply the accumulated implicit-factor gradient once per user visit.
        for &(j, _) in row {
            let yj = &mut s.y[j as usize * k..(j as usize + 1) * k];
            for (v, g) in yj.iter_mut().zip(&gy) {
                *v += lr * (g - rf * *v);
            }
        }
    }
}

crate::kernels::simd::dispatch!(
    /// [`epoch`] on the best instruction set available.
    fn epoch_fast(s: &mut State, rows: &[Vec<(u32, f32)>], order: &[u32], h: &Hyper, sse: &mut f64) => epoch
);

/// Train SVD++ with `p` (the MF parameters; `svdpp` set).
pub(crate) fn fit(
    p: &MfParams,
    data: &Interactions,
    catalog: Option<&Catalog>,
    ctx: &TrainContext,
) -> Result<Model> {
    let k = p.dim;
    let (nu, ni) = (data.users.len(), data.items.len());
    let (mu, lo, hi) = data.rating_stats();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(ctx.seed ^ 0x5f0d);
    let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); nu];
    for r in 0..data.len() {
        rows[data.user[r] as usize].push((data.item[r], data.rating[r]));
    }
    rows.iter_mut().for_each(|r| r.shuffle(&mut rng));
    let mut order: Vec<u32> = (0..nu as u32).collect();
    order.shuffle(&mut rng);
    let init = Initializer::TruncatedNormal { std: p.init_std };
    ctx.check_inits("mf --svdpp", &[ITEM_EMBEDDING])?;
    let mut reports = Vec::new();
    let mut q0 = init.table(ni, k, ctx.seed.wrapping_add(1));
    let qf = ctx.init_table(ITEM_EMBEDDING, &mut q0, &data.items, &mut reports)?;
    let mut s = State {
        k,
        pf: vec![false; nu],
        qf: qf.clone(),
        p: init.table(nu, k, ctx.seed).into_raw_vec_and_offset().0,
        q: q0.into_raw_vec_and_offset().0,
        y: init
            .table(ni, k, ctx.seed.wrapping_add(2))
            .into_raw_vec_and_offset()
            .0,
        bu: vec![0.0; nu],
        bi: vec![0.0; ni],
    };
    let mut epochs = Vec::with_capacity(p.epochs);
    let mut first = 0;
    let params = serde_json::to_value(p).unwrap_or_default();
    let vocabs = [("user", &data.users), ("item", &data.items)];
    if let Some((m, done)) = ctx.resumed("mf", &params, "epochs", p.epochs, &vocabs)? {
        // the state of an SVD++ run: p, q, y and the biases; the shuffles above are the
        // saved run's (same seed and data), and the learning rate is decayed `done` times
        let raw = |name: &str| -> Result<Vec<f32>> {
            Ok(crate::models::saved_table(m, name)?
                .into_raw_vec_and_offset()
                .0)
        };
        s.p = raw(USER_FACTORS)?;
        s.q = raw(ITEM_EMBEDDING)?;
        s.y = raw(ITEM_IMPLICIT)?;
        s.bu = crate::models::saved_vector(m, USER_BIAS)?;
        s.bi = crate::models::saved_vector(m, ITEM_BIAS)?;
        if s.p.len() != nu * k || s.q.len() != ni * k || s.y.len() != ni * k {
            return Err(Error::Param(
                "--resume: the saved SVD++ tables do not match the data's users and items".into(),
            ));
        }
        first = done;
        epochs.extend(m.epochs.iter().cloned());
    }
    let start = Instant::now();
    let pb = crate::progress::bar(p.epochs as u64, "svd++", ctx.progress);
    pb.inc(first as u64);
    let mut lr = p.lr;
    for _ in 0..first {
        lr *= p.lr_decay;
    }
    for e in first..p.epochs {
        let t0 = Instant::now();
        let mut sse = 0.0;
        let h = Hyper {
            mu,
            lr,
            rb: p.reg_bias,
            rf: p.reg,
        };
        epoch_fast(&mut s, &rows, &order, &h, &mut sse);
        let loss = (sse / data.len() as f64).sqrt();
        crate::models::check_finite(
            "svd++",
            e + 1,
            "the loss",
            loss.is_finite(),
            crate::models::LOWER_LR,
        )?;
        pb.set_message(format!("train rmse {loss:.4}"));
        pb.inc(1);
        epochs.push(EpochLog {
            epoch: e + 1,
            loss,
            seconds: t0.elapsed().as_secs_f64(),
        });
        lr *= p.lr_decay;
    }
    pb.finish_and_clear();
    // Effective user vectors p_u + z_u; unseen keys get zeros (prediction μ + known bias).
    let factors = Array2::from_shape_vec((nu, k), s.p).map_err(|e| Error::Param(e.to_string()))?;
    let mut users = factors.clone();
    let y = Array2::from_shape_vec((ni, k), s.y).map_err(|e| Error::Param(e.to_string()))?;
    for (u, row) in rows.iter().enumerate() {
        if row.is_empty() {
            users.row_mut(u).fill(0.0);
            s.bu[u] = 0.0;
            continue;
        }
        let norm = 1.0 / (row.len() as f32).sqrt();
        let mut pu = users.row_mut(u);
        for &(j, _) in row {
            pu.scaled_add(norm, &y.row(j as usize));
        }
    }
    let mut items =
        Array2::from_shape_vec((ni, k), s.q).map_err(|e| Error::Param(e.to_string()))?;
    super::plain::zero_unseen(&mut items, &mut s.bi, &data.item_counts(), &qf);
    let mut model = Model::for_interactions("mf", data, catalog);
    model.params = serde_json::to_value(p).unwrap_or_default();
    model.info.rating_range = Some([lo, hi]);
    model.tables.insert(USER_EMBEDDING.into(), users);
    model.tables.insert(ITEM_EMBEDDING.into(), items);
    model.tables.insert(ITEM_IMPLICIT.into(), y);
    model.tables.insert(USER_FACTORS.into(), factors);
    model
        .vectors
        .insert(USER_BIAS.into(), Array1::from_vec(s.bu));
    model
        .vectors
        .insert(ITEM_BIAS.into(), Array1::from_vec(s.bi));
    model
        .vectors
        .insert(GLOBAL_MEAN.into(), Array1::from_vec(vec![mu]));
    model.record_run(epochs, start, ctx.seed, &reports);
    Ok(model)
}

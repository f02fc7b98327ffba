//! Plain BPR and WARP over user and item factors (no side features).

use std::time::Instant;

use ndarray::Array1;
use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::data::{Catalog, Interactions};
use crate::embedding::Initializer;
use crate::error::Result;
use crate::kernels::simd::dot;
use crate::model::{EpochLog, Model, ITEM_BIAS, ITEM_EMBEDDING, USER_EMBEDDING};
use crate::models::blocks::{split_rows, Blocks, Event};
use crate::models::liked::{LikedSet, BITS_BUDGET};
use crate::models::word2vec::noise::Noise;
use crate::models::{saved_vector, TrainContext};

use super::loss::{neg_log_sigmoid, warp_scale};
use super::params::BprParams;

struct Cell<'a> {
    p: &'a mut [f32],
    q: &'a mut [f32],
    bi: &'a mut [f32],
    /// Frozen user / item rows (block-local).
    pf: &'a [bool],
    qf: &'a [bool],
    /// Liked items of every user (block numbering, global); the block's users start at
    /// `user_lo`.
    liked: &'a LikedSet,
    user_lo: usize,
    item_lo: u32,
    n_items: u32,
    /// The block's negative distribution when it is not uniform.
    noise: Option<&'a Noise>,
}

impl Cell<'_> {
    /// A candidate negative (cell-local item index).
    #[inline(always)]
    fn draw(&self, rng: &mut Xoshiro256PlusPlus) -> u32 {
        match self.noise {
            Some(n) => n.sample(rng.next_u64()),
            None => rng.random_range(0..self.n_items),
        }
    }
}

struct Hyper {
    k: usize,
    lr: f32,
    reg: f32,
    reg_bias: f32,
    /// `Some((max_sampled, items))` for WARP: the draws per positive and the catalogue size
    /// the rank is estimated against.
    warp: Option<(usize, usize)>,
}

/// The pairwise margin `x_uij = p_u·(q_i − q_j) + b_i − b_j` in cell-local indices.
#[inline(always)]
fn margin(h: &Hyper, c: &Cell<'_>, u: usize, i: usize, j: usize) -> f32 {
    let k = h.k;
    let pu = &c.p[u * k..(u + 1) * k];
    dot(pu, &c.q[i * k..(i + 1) * k]) - dot(pu, &c.q[j * k..(j + 1) * k]) + c.bi[i] - c.bi[j]
}

/// One BPR step on (u, i, j) in cell-local indices; returns `−ln σ(x_uij)`.
#[inline(always)]
fn step(h: &Hyper, c: &mut Cell<'_>, u: usize, i: usize, j: usize) -> f64 {
    let x = margin(h, c, u, i, j);
    // z = σ(−x) = 1 − σ(x): the gradient weight of ln σ(x).
    let z = 1.0 / (1.0 + x.exp());
    push(h, c, u, i, j, z);
    f64::from(neg_log_sigmoid(x))
}

/// Move (u, i, j) along the gradient of `z · x_uij` (with L2): z = σ(−x) for BPR, the rank
/// weight for WARP.
#[inline(always)]
fn push(h: &Hyper, c: &mut Cell<'_>, u: usize, i: usize, j: usize, z: f32) {
    let k = h.k;
    let pu = &mut c.p[u * k..(u + 1) * k];
    let (qi, qj) = if i < j {
        let (a, b) = c.q.split_at_mut(j * k);
        (&mut a[i * k..(i + 1) * k], &mut b[..k])
    } else {
        let (a, b) = c.q.split_at_mut(i * k);
        (&mut b[..k], &mut a[j * k..(j + 1) * k])
    };
    let (fu, fi, fj) = (c.pf[u], c.qf[i], c.qf[j]);
    for ((p, a), b) in pu.iter_mut().zip(qi.iter_mut()).zip(qj.iter_mut()) {
        let (p0, a0, b0) = (*p, *a, *b);
        if !fu {
            *p += h.lr * (z * (a0 - b0) - h.reg * p0);
        }
        if !fi {
            *a += h.lr * (z * p0 - h.reg * a0);
        }
        if !fj {
            *b += h.lr * (-z * p0 - h.reg * b0);
        }
    }
    c.bi[i] += h.lr * (z - h.reg_bias * c.bi[i]);
    c.bi[j] += h.lr * (-z - h.reg_bias * c.bi[j]);
}

/// How many events ahead [`bpr_cell`] prefetches the user and positive item rows.
const PREFETCH_AHEAD: usize = 6;

#[inline(always)]
fn bpr_cell(h: &Hyper, events: &[Event], c: &mut Cell<'_>, seed: u64, loss: &mut f64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    if c.n_items < 2 {
        return;
    }
    // WARP's step weight for each trial count, computed once (a logarithm per step otherwise)
    let weights: Vec<f32> = h
        .warp
        .map(|(max_sampled, items)| (1..=max_sampled).map(|t| warp_scale(items, t)).collect())
        .unwrap_or_default();
    for (n, e) in events.iter().enumerate() {
        // the rows and the liked list a few events ahead are fetched while this one is
        // computed: past the caches every step otherwise waits on memory for them
        if let Some(f) = events.get(n + PREFETCH_AHEAD) {
            let (fu, fi, k) = (f.u as usize, f.i as usize, h.k);
            if let (Some(pu), Some(qi)) =
                (c.p.get(fu * k..(fu + 1) * k), c.q.get(fi * k..(fi + 1) * k))
            {
                crate::kernels::simd::prefetch(pu);
                crate::kernels::simd::prefetch(qi);
            }
            c.liked.prefetch(c.user_lo + fu);
        }
        let (u, i) = (e.u as usize, e.i as usize);
        if let Some((max_sampled, _)) = h.warp {
            // WARP: the first sampled negative within the margin, weighted by the rank estimate.
            // The positive's score is the same for every trial, so it is computed once.
            let k = h.k;
            let pu = &c.p[u * k..(u + 1) * k];
            let xi = dot(pu, &c.q[i * k..(i + 1) * k]) + c.bi[i];
            for trial in 1..=max_sampled {
                let cand = c.draw(&mut rng) as usize;
                if cand == i || c.liked.contains(c.user_lo + u, c.item_lo + cand as u32) {
                    continue;
                }
                let x = xi - (dot(pu, &c.q[cand * k..(cand + 1) * k]) + c.bi[cand]);
                if x < 1.0 {
                    // scaled to (0, 1]: the rank weight relative to the worst rank
                    let w = weights[trial - 1];
                    push(h, c, u, i, cand, w);
                    *loss += f64::from(w * (1.0 - x));
                    break;
                }
            }
            continue;
        }
        let mut j = None;
        for _ in 0..16 {
            let cand = c.draw(&mut rng);
            if cand as usize != i && !c.liked.contains(c.user_lo + u, c.item_lo + cand) {
                j = Some(cand as usize);
                break;
            }
        }
        if let Some(j) = j {
            *loss += step(h, c, u, i, j);
        }
    }
}

crate::kernels::simd::dispatch!(
    /// [`bpr_cell`] on the best instruction set available.
    fn bpr_cell_fast(h: &Hyper, events: &[Event], c: &mut Cell<'_>, seed: u64, loss: &mut f64) => bpr_cell
);

/// Train plain BPR/WARP (the parameters are checked and the data is not empty).
pub(super) fn fit(
    p: &BprParams,
    data: &Interactions,
    catalog: Option<&Catalog>,
    ctx: &TrainContext,
) -> Result<Model> {
    // Implicit feedback: one positive per distinct (user, item).
    let m = data.binary_csr();
    let mut pos = Interactions {
        users: data.users.clone(),
        items: data.items.clone(),
        ..Default::default()
    };
    for (u, row) in m.outer_iterator().enumerate() {
        for (i, _) in row.iter() {
            pos.user.push(u as u32);
            pos.item.push(i as u32);
            pos.rating.push(1.0);
            pos.timestamp.push(0);
        }
    }
    let k = p.dim;
    let init = Initializer::TruncatedNormal { std: p.init_std };
    let start = Instant::now();
    let pb = crate::progress::bar(p.epochs as u64, "bpr", ctx.progress);
    let params = serde_json::to_value(p).unwrap_or_default();
    let s = ctx.factor_start("bpr", &params, ("epochs", p.epochs), data, init, k)?;
    let (p0, q0, first, log) = (s.users, s.items, s.first, s.log);
    let (ufrozen, ifrozen, reports) = (s.users_frozen, s.items_frozen, s.reports);
    let mut bi0 = vec![0.0f32; data.items.len()];
    if let Some(m) = s.resumed {
        // factors and item biases; negatives are seeded per (epoch, cell), so the rest of
        // the run draws what the uninterrupted one would have
        bi0 = saved_vector(m, ITEM_BIAS)?;
    }
    let (users, items, bi, epochs) = ctx.install(|| {
        let blocks = Blocks::new(&pos, rayon::current_num_threads(), ctx.seed);
        let t = blocks.t;
        // liked[u_new] = sorted item_new of u's positives
        let mut liked: Vec<Vec<u32>> = vec![Vec::new(); data.users.len()];
        for (ub, ib) in (0..t).flat_map(|a| (0..t).map(move |b| (a, b))) {
            for e in &blocks.cells[ub * t + ib] {
                liked[blocks.user_bounds[ub] + e.u as usize]
                    .push((blocks.item_bounds[ib] + e.i as usize) as u32);
            }
        }
        let liked = LikedSet::new(liked, data.items.len(), BITS_BUDGET);
        // per item block, the negatives' distribution when it is not uniform
        let noise: Vec<Noise> = if p.ns_exponent == 0.0 {
            Vec::new()
        } else {
            let mut count = vec![0u64; data.items.len()];
            for (ub, ib) in (0..t).flat_map(|a| (0..t).map(move |b| (a, b))) {
                for e in &blocks.cells[ub * t + ib] {
                    count[blocks.item_bounds[ib] + e.i as usize] += 1;
                }
            }
            blocks
                .item_bounds
                .windows(2)
                .map(|w| Noise::new(&count[w[0]..w[1]], p.ns_exponent))
                .collect()
        };
        let mut pm = blocks.permute(&p0, true);
        let mut qm = blocks.permute(&q0, false);
        let pfm = blocks.permute_mask(&ufrozen, true);
        let qfm = blocks.permute_mask(&ifrozen, false);
        let mut bi = blocks.permute_vec(&bi0, false);
        let h = Hyper {
            k,
            lr: p.lr,
            reg: p.reg,
            reg_bias: p.reg_bias,
            warp: p.warp.then_some((p.max_sampled, data.items.len())),
        };
        let mut epochs = log;
        for epoch in first..p.epochs {
            let t0 = Instant::now();
            let mut loss = 0.0;
            for s in 0..t {
                let ps = split_rows(pm.as_slice_mut().unwrap_or(&mut []), &blocks.user_bounds, k);
                let mut qs =
                    split_rows(qm.as_slice_mut().unwrap_or(&mut []), &blocks.item_bounds, k);
                let mut bis = split_rows(&mut bi, &blocks.item_bounds, 1);
                qs.rotate_left(s);
                bis.rotate_left(s);
                let parts: Vec<f64> = ps
                    .into_par_iter()
                    .zip(qs)
                    .zip(bis)
                    .enumerate()
                    .map(|(ub, ((p, q), bi))| {
                        let ib = (ub + s) % t;
                        let cell = ub * t + ib;
                        let events = &blocks.cells[cell];
                        let mut c = Cell {
                            p,
                            q,
                            bi,
                            pf: &pfm[blocks.user_bounds[ub]..blocks.user_bounds[ub + 1]],
                            qf: &qfm[blocks.item_bounds[ib]..blocks.item_bounds[ib + 1]],
                            liked: &liked,
                            user_lo: blocks.user_bounds[ub],
                            item_lo: blocks.item_bounds[ib] as u32,
                            n_items: (blocks.item_bounds[ib + 1] - blocks.item_bounds[ib]) as u32,
                            noise: noise.get(ib),
                        };
                        let mut l = 0.0;
                        let seed =
                            ctx.seed ^ ((epoch as u64) << 40) ^ ((cell as u64) << 20) ^ 0xb9b;
                        bpr_cell_fast(&h, events, &mut c, seed, &mut l);
                        l
                    })
                    .collect();
                loss += parts.iter().sum::<f64>();
            }
            let loss = loss / pos.len().max(1) as f64;
            pb.set_message(format!("loss {loss:.4}"));
            pb.inc(1);
            epochs.push(EpochLog {
                epoch: epoch + 1,
                loss,
                seconds: t0.elapsed().as_secs_f64(),
            });
        }
        (
            blocks.unpermute(&pm, true),
            blocks.unpermute(&qm, false),
            blocks.unpermute_vec(&bi, false),
            epochs,
        )
    })?;
    pb.finish_and_clear();
    if let Some(e) = epochs.iter().find(|e| !e.loss.is_finite()) {
        crate::models::check_finite("bpr", e.epoch, "the loss", false, crate::models::LOWER_LR)?;
    }
    let mut model = Model::for_interactions("bpr", data, catalog);
    model.params = serde_json::to_value(p).unwrap_or_default();
    model.tables.insert(USER_EMBEDDING.into(), users);
    model.tables.insert(ITEM_EMBEDDING.into(), items);
    model.vectors.insert(ITEM_BIAS.into(), Array1::from_vec(bi));
    model.record_run(epochs, start, ctx.seed, &reports);
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bpr::loss::warp_weight;

    /// A cell of one user and `bi.len()` items, nothing frozen, items numbered from 0.
    fn one_user<'a>(
        p: &'a mut [f32],
        q: &'a mut [f32],
        bi: &'a mut [f32],
        liked: &'a LikedSet,
        noise: Option<&'a Noise>,
    ) -> Cell<'a> {
        const NONE_FROZEN: [bool; 8] = [false; 8];
        let n = bi.len();
        Cell {
            p,
            q,
            bi,
            pf: &NONE_FROZEN[..1],
            qf: &NONE_FROZEN[..n],
            liked,
            user_lo: 0,
            item_lo: 0,
            n_items: n as u32,
            noise,
        }
    }

    /// The step is gradient ascent on ln σ(x_uij) − ½λ‖·‖²: compare with finite differences.
    #[test]
    fn step_matches_numerical_gradient() {
        let k = 3;
        let (lr, reg, rb) = (1e-3f32, 0.1f32, 0.05f32);
        let p0 = [0.3f32, -0.2, 0.5];
        let qi0 = [0.1f32, 0.4, -0.3];
        let qj0 = [-0.2f32, 0.1, 0.2];
        let b0 = [0.05f32, -0.1];
        let obj = |p: &[f32], qi: &[f32], qj: &[f32], b: [f32; 2]| -> f64 {
            let x = f64::from(dot(p, qi) - dot(p, qj) + b[0] - b[1]);
            let ls = -(1.0 + (-x).exp()).ln();
            ls - 0.5 * f64::from(reg) * f64::from(dot(p, p) + dot(qi, qi) + dot(qj, qj))
                - 0.5 * f64::from(rb) * f64::from(b[0] * b[0] + b[1] * b[1])
        };
        let mut p = p0;
        let mut q: Vec<f32> = qi0.iter().chain(qj0.iter()).copied().collect();
        let mut b = b0;
        let liked = LikedSet::new(vec![vec![0u32]], 2, BITS_BUDGET);
        let mut c = one_user(&mut p, &mut q, &mut b, &liked, None);
        let h = Hyper {
            k,
            lr,
            reg,
            reg_bias: rb,
            warp: None,
        };
        let loss = step(&h, &mut c, 0, 0, 1);
        let x = dot(&p0, &qi0) - dot(&p0, &qj0) + b0[0] - b0[1];
        assert!((loss - f64::from((1.0 + (-x).exp()).ln())).abs() < 1e-6);
        let eps = 1e-3f32;
        for f in 0..k {
            let (mut a, mut z) = (p0, p0);
            a[f] += eps;
            z[f] -= eps;
            let g = (obj(&a, &qi0, &qj0, b0) - obj(&z, &qi0, &qj0, b0)) / f64::from(2.0 * eps);
            assert!(
                (f64::from(p[f] - p0[f]) - f64::from(lr) * g).abs() < 1e-6,
                "p[{f}]"
            );
            let (mut a, mut z) = (qj0, qj0);
            a[f] += eps;
            z[f] -= eps;
            let g = (obj(&p0, &qi0, &a, b0) - obj(&p0, &qi0, &z, b0)) / f64::from(2.0 * eps);
            assert!(
                (f64::from(q[k + f] - qj0[f]) - f64::from(lr) * g).abs() < 1e-6,
                "qj[{f}]"
            );
        }
        let g = (obj(&p0, &qi0, &qj0, [b0[0] + eps, b0[1]])
            - obj(&p0, &qi0, &qj0, [b0[0] - eps, b0[1]]))
            / f64::from(2.0 * eps);
        assert!((f64::from(b[0] - b0[0]) - f64::from(lr) * g).abs() < 1e-6);
    }

    #[test]
    fn warp_weight_is_the_log_rank_estimate_and_a_warp_step_descends_the_hinge() {
        assert_eq!(warp_weight(101, 1), 100f32.ln());
        assert_eq!(warp_weight(101, 10), 10f32.ln());
        assert_eq!(warp_weight(101, 200), 0.0);
        // the push with weight w moves every parameter by lr · w · ∂x/∂θ (minus L2): the
        // hinge w · (1 − x) decreases
        let k = 3;
        let (mut p, mut q, mut b) = (
            vec![0.3f32, -0.2, 0.5],
            vec![0.1f32, 0.4, -0.3, 0.2, 0.1, 0.6],
            vec![0.0f32, 0.1],
        );
        let liked = LikedSet::new(vec![vec![0u32]], 2, BITS_BUDGET);
        let mut c = one_user(&mut p, &mut q, &mut b, &liked, None);
        let h = Hyper {
            k,
            lr: 0.05,
            reg: 0.0,
            reg_bias: 0.0,
            warp: Some((10, 2)),
        };
        let before = margin(&h, &c, 0, 0, 1);
        assert!(before < 1.0);
        push(&h, &mut c, 0, 0, 1, 2.0);
        assert!(margin(&h, &c, 0, 0, 1) > before);
    }

    #[test]
    fn negatives_follow_the_count_exponent() {
        let (mut p, mut q, mut b) = (vec![0.0f32; 1], vec![0.0f32; 4], vec![0.0f32; 4]);
        let liked = LikedSet::new(vec![Vec::new()], 8, BITS_BUDGET);
        // counts 100, 25, 4, 0 with α = ½ → weights 10, 5, 2, 0
        let noise = Noise::new(&[100, 25, 4, 0], 0.5);
        for (noise, want) in [
            (Some(&noise), [10.0 / 17.0, 5.0 / 17.0, 2.0 / 17.0, 0.0]),
            (None, [0.25; 4]),
        ] {
            let c = one_user(&mut p, &mut q, &mut b, &liked, noise);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let n = 200_000;
            let mut hist = [0usize; 4];
            for _ in 0..n {
                hist[c.draw(&mut rng) as usize] += 1;
            }
            for (h, w) in hist.iter().zip(want) {
                assert!(
                    (*h as f64 / n as f64 - w).abs() < 0.005,
                    "{hist:?} vs {want:?}"
                );
            }
        }
    }
}

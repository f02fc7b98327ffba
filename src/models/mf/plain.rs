//! Plain biased MF by block-partitioned parallel SGD.

use std::time::Instant;

use ndarray::{Array1, Array2};
use rayon::prelude::*;

use super::params::MfParams;
use crate::data::{Catalog, Interactions};
use crate::embedding::Initializer;
use crate::error::Result;
use crate::kernels::simd::dot;
use crate::model::{
    EpochLog, Model, GLOBAL_MEAN, ITEM_BIAS, ITEM_EMBEDDING, USER_BIAS, USER_EMBEDDING,
};
use crate::models::blocks::{split_rows, Blocks, Event};
use crate::models::{saved_vector, TrainContext};

/// What one cell's worker mutates.
struct CellState<'a> {
    p: &'a mut [f32],
    q: &'a mut [f32],
    bu: &'a mut [f32],
    bi: &'a mut [f32],
    /// Frozen user / item rows (block-local).
    pf: &'a [bool],
    qf: &'a [bool],
}

struct Hyper {
    k: usize,
    mu: f32,
    lr: f32,
    rb: f32,
    rf: f32,
}

/// SGD over one cell's events; adds the squared errors to `sse`.
#[inline(always)]
fn sgd_cell(h: &Hyper, events: &[Event], st: &mut CellState<'_>, sse: &mut f64) {
    let k = h.k;
    for e in events {
        let (u, i) = (e.u as usize, e.i as usize);
        let pu = &mut st.p[u * k..(u + 1) * k];
        let qi = &mut st.q[i * k..(i + 1) * k];
        let offset = e.r - (h.mu + st.bu[u] + st.bi[i]);
        // the error, and the rows' updates with it (a frozen row stays as it is)
        let err = match (st.pf[u], st.qf[i]) {
            // the common case: dot product and both row updates in one fused kernel
            (false, false) => crate::kernels::simd::mf_step(pu, qi, offset, h.lr, h.rf),
            (true, false) => {
                let err = offset - dot(pu, qi);
                for (p, q) in pu.iter().zip(qi.iter_mut()) {
                    *q += h.lr * (err * p - h.rf * *q);
                }
                err
            }
            (false, true) => {
                let err = offset - dot(pu, qi);
                for (p, q) in pu.iter_mut().zip(qi.iter()) {
                    *p += h.lr * (err * q - h.rf * *p);
                }
                err
            }
            (true, true) => offset - dot(pu, qi),
        };
        *sse += f64::from(err * err);
        st.bu[u] += h.lr * (err - h.rb * st.bu[u]);
        st.bi[i] += h.lr * (err - h.rb * st.bi[i]);
    }
}

crate::kernels::simd::dispatch!(
    /// [`sgd_cell`] on the best instruction set available.
    fn sgd_cell_fast(h: &Hyper, events: &[Event], st: &mut CellState<'_>, sse: &mut f64) => sgd_cell
);

/// Zero the rows (and biases) of keys without training events, so unknown users/items get
/// the global mean plus the known side's bias, as Surprise predicts them.
pub(crate) fn zero_unseen(m: &mut Array2<f32>, b: &mut [f32], counts: &[u32], frozen: &[bool]) {
    for (r, &c) in counts.iter().enumerate() {
        if c == 0 && !frozen.get(r).copied().unwrap_or(false) {
            m.row_mut(r).fill(0.0);
            b[r] = 0.0;
        }
    }
}

/// Train plain MF (the parameters are checked and the data is not empty).
pub(super) fn fit(
    p: &MfParams,
    data: &Interactions,
    catalog: Option<&Catalog>,
    ctx: &TrainContext,
) -> Result<Model> {
    let k = p.dim;
    let (mu, lo, hi) = data.rating_stats();
    let init = Initializer::TruncatedNormal { std: p.init_std };
    let start = Instant::now();
    let pb = crate::progress::bar(p.epochs as u64, "mf", ctx.progress);
    let params = serde_json::to_value(p).unwrap_or_default();
    let s = ctx.factor_start("mf", &params, ("epochs", p.epochs), data, init, k)?;
    let (p0, q0, first, log) = (s.users, s.items, s.first, s.log);
    let (ufrozen, ifrozen, reports) = (s.users_frozen, s.items_frozen, s.reports);
    let mut bu0 = vec![0.0f32; data.users.len()];
    let mut bi0 = vec![0.0f32; data.items.len()];
    if let Some(m) = s.resumed {
        // an SGD run's state: factors, biases, and the epoch (for the learning rate)
        bu0 = saved_vector(m, USER_BIAS)?;
        bi0 = saved_vector(m, ITEM_BIAS)?;
    }
    let (users, items, bu, bi, epochs) = ctx.install(|| {
        let t = rayon::current_num_threads();
        let blocks = Blocks::new(data, t, ctx.seed);
        let mut pm = blocks.permute(&p0, true);
        let mut qm = blocks.permute(&q0, false);
        let pfm = blocks.permute_mask(&ufrozen, true);
        let qfm = blocks.permute_mask(&ifrozen, false);
        let mut bu = blocks.permute_vec(&bu0, true);
        let mut bi = blocks.permute_vec(&bi0, false);
        let mut epochs = log;
        let mut lr = p.lr;
        for _ in 0..first {
            lr *= p.lr_decay;
        }
        for epoch in first..p.epochs {
            let t0 = Instant::now();
            let h = Hyper {
                k,
                mu,
                lr,
                rb: p.reg_bias,
                rf: p.reg,
            };
            let mut sse = 0.0;
            for s in 0..blocks.t {
                let ps = split_rows(pm.as_slice_mut().unwrap_or(&mut []), &blocks.user_bounds, k);
                let mut qs =
                    split_rows(qm.as_slice_mut().unwrap_or(&mut []), &blocks.item_bounds, k);
                let bus = split_rows(&mut bu, &blocks.user_bounds, 1);
                let mut bis = split_rows(&mut bi, &blocks.item_bounds, 1);
                qs.rotate_left(s);
                bis.rotate_left(s);
                let parts: Vec<f64> = ps
                    .into_par_iter()
                    .zip(qs)
                    .zip(bus)
                    .zip(bis)
                    .enumerate()
                    .map(|(ub, (((p, q), bu), bi))| {
                        let ib = (ub + s) % blocks.t;
                        let cell = ub * blocks.t + ib;
                        let events = &blocks.cells[cell];
                        let (ul, uh) = (blocks.user_bounds[ub], blocks.user_bounds[ub + 1]);
                        let (il, ih) = (blocks.item_bounds[ib], blocks.item_bounds[ib + 1]);
                        let mut st = CellState {
                            p,
                            q,
                            bu,
                            bi,
                            pf: &pfm[ul..uh],
                            qf: &qfm[il..ih],
                        };
                        let mut sse = 0.0;
                        sgd_cell_fast(&h, events, &mut st, &mut sse);
                        sse
                    })
                    .collect();
                sse += parts.iter().sum::<f64>();
            }
            let loss = (sse / data.len() as f64).sqrt();
            pb.set_message(format!("train rmse {loss:.4}"));
            pb.inc(1);
            epochs.push(EpochLog {
                epoch: epoch + 1,
                loss,
                seconds: t0.elapsed().as_secs_f64(),
            });
            lr *= p.lr_decay;
        }
        let users = blocks.unpermute(&pm, true);
        let items = blocks.unpermute(&qm, false);
        let bu = blocks.unpermute_vec(&bu, true);
        let bi = blocks.unpermute_vec(&bi, false);
        (users, items, bu, bi, epochs)
    })?;
    pb.finish_and_clear();
    let (mut users, mut items, mut bu, mut bi) = (users, items, bu, bi);
    if let Some(e) = epochs.iter().find(|e| !e.loss.is_finite()) {
        crate::models::check_finite("mf", e.epoch, "the loss", false, crate::models::LOWER_LR)?;
    }
    let mut ucount = vec![0u32; data.users.len()];
    data.user.iter().for_each(|&u| ucount[u as usize] += 1);
    zero_unseen(&mut users, &mut bu, &ucount, &ufrozen);
    zero_unseen(&mut items, &mut bi, &data.item_counts(), &ifrozen);
    let mut model = Model::for_interactions("mf", data, catalog);
    model.params = serde_json::to_value(p).unwrap_or_default();
    model.info.rating_range = Some([lo, hi]);
    model.tables.insert(USER_EMBEDDING.into(), users);
    model.tables.insert(ITEM_EMBEDDING.into(), items);
    model.vectors.insert(USER_BIAS.into(), Array1::from_vec(bu));
    model.vectors.insert(ITEM_BIAS.into(), Array1::from_vec(bi));
    model
        .vectors
        .insert(GLOBAL_MEAN.into(), Array1::from_vec(vec![mu]));
    model.record_run(epochs, start, ctx.seed, &reports);
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::mf::Mf;
    use crate::models::Trainer;

    /// The update is gradient descent on ½err² + ½λ‖·‖²: compare with finite differences.
    #[test]
    fn update_matches_numerical_gradient() {
        let (k, mu, r, lr, rb, rf) = (3usize, 3.0f32, 4.5f32, 1e-3f32, 0.1f32, 0.2f32);
        let p0 = [0.3f32, -0.2, 0.5];
        let q0 = [0.1f32, 0.4, -0.3];
        let (bu0, bi0) = (0.2f32, -0.1f32);
        let obj = |p: &[f32], q: &[f32], bu: f32, bi: f32| -> f64 {
            let e = f64::from(r - (mu + bu + bi + dot(p, q)));
            0.5 * e * e
                + 0.5 * f64::from(rb) * f64::from(bu * bu + bi * bi)
                + 0.5 * f64::from(rf) * f64::from(dot(p, p) + dot(q, q))
        };
        let (mut p, mut q, mut bu, mut bi) = (p0, q0, [bu0], [bi0]);
        let h = Hyper { k, mu, lr, rb, rf };
        let mut st = CellState {
            p: &mut p,
            q: &mut q,
            bu: &mut bu,
            bi: &mut bi,
            pf: &[false],
            qf: &[false],
        };
        let mut sse = 0.0;
        sgd_cell(&h, &[Event { u: 0, i: 0, r }], &mut st, &mut sse);
        let eps = 1e-3f32;
        for f in 0..k {
            let mut pp = p0;
            pp[f] += eps;
            let mut pm = p0;
            pm[f] -= eps;
            let g = (obj(&pp, &q0, bu0, bi0) - obj(&pm, &q0, bu0, bi0)) / f64::from(2.0 * eps);
            assert!(
                (f64::from(p[f] - p0[f]) + f64::from(lr) * g).abs() < 1e-6,
                "p[{f}]"
            );
            let mut qp = q0;
            qp[f] += eps;
            let mut qm = q0;
            qm[f] -= eps;
            let g = (obj(&p0, &qp, bu0, bi0) - obj(&p0, &qm, bu0, bi0)) / f64::from(2.0 * eps);
            assert!(
                (f64::from(q[f] - q0[f]) + f64::from(lr) * g).abs() < 1e-6,
                "q[{f}]"
            );
        }
        let g =
            (obj(&p0, &q0, bu0 + eps, bi0) - obj(&p0, &q0, bu0 - eps, bi0)) / f64::from(2.0 * eps);
        assert!((f64::from(bu[0] - bu0) + f64::from(lr) * g).abs() < 1e-6);
        assert!(sse > 0.0);
    }

    /// Ratings from planted rank-2 factors plus small noise are fitted to near the noise level.
    #[test]
    fn recovers_planted_low_rank_matrix() {
        let init = Initializer::Uniform { scale: 1.0 };
        let (pu, qi) = (init.table(60, 2, 1), init.table(50, 2, 2));
        let noise = Initializer::Uniform { scale: 0.05 }.table(60, 50, 3);
        let mut x = Interactions::default();
        for u in 0..60 {
            for i in 0..50 {
                let r = 3.0 + pu.row(u).dot(&qi.row(i)) + noise[[u, i]];
                x.push(&u.to_string(), &i.to_string(), r, 0);
            }
        }
        let m = Mf::new(MfParams {
            dim: 4,
            epochs: 200,
            lr: 0.02,
            lr_decay: 0.99,
            reg_bias: 0.0,
            reg: 0.001,
            init_std: 0.1,
            svdpp: false,
        })
        .unwrap()
        .fit(
            &x,
            None,
            &TrainContext {
                threads: 2,
                seed: 1,
                progress: false,
                ..Default::default()
            },
        )
        .unwrap();
        let first = m.epochs[0].loss;
        let last = m.epochs.last().unwrap().loss;
        assert!(last < first / 5.0, "{first} → {last}");
        assert!(
            last < 0.06,
            "train RMSE {last} should reach the noise level (~0.03)"
        );
    }
}

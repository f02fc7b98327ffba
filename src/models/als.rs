//! Implicit-feedback ALS (Hu, Koren & Volinsky 2008) with the conjugate-gradient solver of
//! Takács, Pilászy & Tikk (2011), as in the `implicit` library.
//!
//! Every observed (user, item) pair has preference 1 and confidence `c = 1 + alpha · r`
//! (`r` = 1 for implicit data, or the rating with `use_ratings`); unobserved pairs have
//! preference 0 and confidence 1. Each half-step solves, for every user u,
//! `(YᵀY + λI + Σᵢ (cᵤᵢ − 1) yᵢyᵢᵀ) xᵤ = Σᵢ cᵤᵢ yᵢ` by `cg_steps` CG iterations warm-started
//! from the previous `xᵤ`. Rows are solved in parallel; each solve only reads the other side,
//! so the result does not depend on the thread count.

use std::time::Instant;

use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::weighting::Weighting;
use super::{TrainContext, Trainer};
use crate::data::{Catalog, Interactions};
use crate::embedding::Initializer;
use crate::error::{Error, Result};
use crate::kernels::simd::{axpy, dot, dots as gemv, weighted_rows};
use crate::model::{EpochLog, Model, ITEM_EMBEDDING, USER_EMBEDDING};

/// ALS hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsParams {
    /// Latent factors (embedding width).
    pub dim: usize,
    /// L2 regularisation λ.
    pub reg: f32,
    /// Confidence slope: `c = 1 + alpha · r`.
    pub alpha: f32,
    /// Full alternations (users then items).
    pub epochs: usize,
    /// CG steps per row solve.
    pub cg_steps: usize,
    /// Use the rating value as `r` (otherwise every observed pair has `r = 1`).
    pub use_ratings: bool,
    /// Initial factors are uniform in `[0, init_scale)`.
    pub init_scale: f32,
    /// How the interaction matrix is weighted before `c = 1 + alpha · w` (models saved before
    /// this field existed read as `none`).
    #[serde(default)]
    pub weighting: Weighting,
}

/// Defaults chosen on the MovieLens-100K `u1` fold (see BENCHMARKS.md): λ = 10 and α = 1
/// beat implicit's λ = 0.05 by a wide NDCG@10 margin at 64 factors and 15 iterations.
impl Default for AlsParams {
    fn default() -> Self {
        AlsParams {
            dim: 64,
            reg: 10.0,
            alpha: 1.0,
            epochs: 15,
            cg_steps: 3,
            use_ratings: false,
            init_scale: 0.01,
            weighting: Weighting::None,
        }
    }
}

impl AlsParams {
    /// Reject values no run could use.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Param(m.to_string()));
        if self.dim == 0 || self.dim > 4096 {
            return bad("factors must be in 1..=4096");
        }
        if !(self.reg.is_finite() && self.reg >= 0.0) {
            return bad("regularization must be a finite number >= 0");
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return bad("alpha must be a finite number >= 0");
        }
        if self.epochs == 0 {
            return bad("iterations must be >= 1");
        }
        if self.cg_steps == 0 {
            return bad("cg_steps must be >= 1");
        }
        if !(self.init_scale.is_finite() && self.init_scale > 0.0) {
            return bad("init_scale must be > 0");
        }
        self.weighting.check()
    }
}

/// The ALS trainer.
#[derive(Debug, Clone, Default)]
pub struct Als {
    /// Its parameters.
    pub params: AlsParams,
}

/// Scratch vectors of one solver thread.
struct Scratch {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
}

/// The inputs of one row solve that do not change within a half-step.
struct Side<'a> {
    /// `YᵀY + λI`, row-major `k × k`.
    g: &'a [f32],
    /// The fixed factors, row-major.
    ys: &'a [f32],
    k: usize,
    cg_steps: usize,
}

/// Conjugate-gradient solve of one row (see the module docs), warm-started from `xu`.
#[inline(always)]
fn solve_row(side: &Side<'_>, items: &[usize], conf: &[f32], xu: &mut [f32], s: &mut Scratch) {
    let (g, ys, k) = (side.g, side.ys, side.k);
    // r = b − A x  =  Σ cᵢ yᵢ − (G x + Σ (cᵢ−1)(yᵢ·x) yᵢ)
    gemv(g, xu, &mut s.ap);
    s.r.iter_mut().zip(&s.ap).for_each(|(r, a)| *r = -a);
    // + Σ (cᵢ − (cᵢ−1)(yᵢ·x)) yᵢ  (an item of confidence 1 needs no dot product)
    weighted_rows(ys, k, items, conf, xu, (1.0, -1.0), &mut s.r);
    s.p.copy_from_slice(&s.r);
    let mut rsold = dot(&s.r, &s.r);
    for _ in 0..side.cg_steps {
        if rsold < 1e-20 {
            break;
        }
        gemv(g, &s.p, &mut s.ap);
        // + Σ (cᵢ−1)(yᵢ·p) yᵢ  (an item of confidence 1 adds exactly 0 and is skipped)
        weighted_rows(ys, k, items, conf, &s.p, (0.0, 1.0), &mut s.ap);
        let alpha = rsold / dot(&s.p, &s.ap);
        if !alpha.is_finite() {
            break;
        }
        axpy(alpha, &s.p, xu);
        axpy(-alpha, &s.ap, &mut s.r);
        let rsnew = dot(&s.r, &s.r);
        let beta = rsnew / rsold;
        for (p, r) in s.p.iter_mut().zip(&s.r) {
            *p = r + beta * *p;
        }
        rsold = rsnew;
    }
}

crate::kernels::simd::dispatch!(
    /// [`solve_row`] compiled for the best instruction set this CPU has.
    fn solve_row_fast(side: &Side<'_>, items: &[usize], conf: &[f32], xu: &mut [f32], s: &mut Scratch) => solve_row
);

/// One half-step: re-solve every row of `x` against the fixed `y`, using the rows of `conf`
/// (CSR, values are confidences `c`).
fn solve_side(
    x: &mut Array2<f32>,
    y: &Array2<f32>,
    conf: &CsMat<f32>,
    reg: f32,
    cg_steps: usize,
    frozen: &[bool],
) {
    let k = y.ncols();
    let mut gram = y.t().dot(y);
    for i in 0..k {
        gram[[i, i]] += reg;
    }
    let side = Side {
        g: gram.as_slice().unwrap_or(&[]),
        ys: y.as_slice().unwrap_or(&[]),
        k,
        cg_steps,
    };
    x.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each_init(
            || Scratch {
                r: vec![0.0; k],
                p: vec![0.0; k],
                ap: vec![0.0; k],
            },
            |s, (u, mut xrow)| {
                if frozen.get(u) == Some(&true) {
                    return;
                }
                let Some(xu) = xrow.as_slice_mut() else {
                    return;
                };
                if let Some(row) = conf.outer_view(u) {
                    solve_row_fast(&side, row.indices(), row.data(), xu, s);
                }
            },
        );
}

/// The factors of a user the model has not seen (implicit's `recalculate_user`): one user
/// row solved against the fixed item factors `items` with the confidences training would give
/// their distinct `liked` items (weighted as the model's `weighting` says, with the items'
/// training counts `item_counts`), by the training's conjugate-gradient solve run from zero
/// to convergence (`2k` steps for `k` factors).
#[must_use]
pub fn fold_in(
    params: &AlsParams,
    items: &Array2<f32>,
    liked: &[u32],
    item_counts: &[u32],
) -> Vec<f32> {
    let k = items.ncols();
    let mut liked: Vec<u32> = liked
        .iter()
        .copied()
        .filter(|&i| (i as usize) < items.nrows())
        .collect();
    liked.sort_unstable();
    liked.dedup();
    let sums: Vec<f64> = item_counts.iter().map(|&c| f64::from(c)).collect();
    let conf: Vec<f32> = params
        .weighting
        .weigh_row(&liked, &sums)
        .into_iter()
        .map(|w| 1.0 + params.alpha * w)
        .collect();
    let owned;
    let ys = match items.as_slice() {
        Some(s) => s,
        None => {
            owned = items.iter().copied().collect::<Vec<f32>>();
            &owned
        }
    };
    let mut gram = items.t().dot(items);
    for i in 0..k {
        gram[[i, i]] += params.reg;
    }
    let g: Vec<f32> = gram.iter().copied().collect();
    let side = Side {
        g: &g,
        ys,
        k,
        cg_steps: 2 * k,
    };
    let rows: Vec<usize> = liked.iter().map(|&i| i as usize).collect();
    let mut x = vec![0f32; k];
    let mut s = Scratch {
        r: vec![0.0; k],
        p: vec![0.0; k],
        ap: vec![0.0; k],
    };
    solve_row_fast(&side, &rows, &conf, &mut x, &mut s);
    x
}

/// The ALS objective `Σ_ui c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²)`, divided by the number of
/// (user, item) cells.
fn loss(x: &Array2<f32>, y: &Array2<f32>, conf: &CsMat<f32>, reg: f32) -> f64 {
    let k = y.ncols();
    let gram = y.t().dot(y);
    let g = gram.as_slice().unwrap_or(&[]);
    let ys = y.as_slice().unwrap_or(&[]);
    let total: f64 = x
        .axis_iter(Axis(0))
        .into_par_iter()
        .enumerate()
        .map(|(u, xrow)| {
            let xu: Vec<f32> = xrow.to_vec();
            let mut gx = vec![0.0f32; k];
            gemv(g, &xu, &mut gx);
            let mut l = f64::from(dot(&xu, &gx));
            if let Some(row) = conf.outer_view(u) {
                for (i, &c) in row.iter() {
                    let s = f64::from(dot(&ys[i * k..(i + 1) * k], &xu));
                    l += f64::from(c) * (1.0 - s) * (1.0 - s) - s * s;
                }
            }
            l + f64::from(reg) * f64::from(dot(&xu, &xu))
        })
        .sum();
    let yreg: f64 = y.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>() * f64::from(reg);
    (total + yreg) / (x.nrows() as f64 * y.nrows() as f64).max(1.0)
}

impl Als {
    /// An ALS trainer with checked parameters.
    pub fn new(params: AlsParams) -> Result<Als> {
        params.check()?;
        Ok(Als { params })
    }

    /// Confidence matrices (users × items and items × users) from interactions.
    fn confidences(&self, data: &Interactions) -> (CsMat<f32>, CsMat<f32>) {
        let mut m = if self.params.use_ratings {
            data.csr()
        } else {
            data.binary_csr()
        };
        self.params.weighting.apply(&mut m);
        let a = self.params.alpha;
        m.data_mut().iter_mut().for_each(|r| *r = 1.0 + a * *r);
        let t = m.transpose_view().to_csr();
        (m, t)
    }
}

impl Trainer for Als {
    fn name(&self) -> &'static str {
        "als"
    }

    fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Catalog>,
        ctx: &TrainContext,
    ) -> Result<Model> {
        self.params.check()?;
        super::require_interactions(data)?;
        let p = &self.params;
        let (cui, ciu) = self.confidences(data);
        let init = Initializer::UniformPositive {
            scale: p.init_scale,
        };
        let params = serde_json::to_value(p).unwrap_or_default();
        let s = ctx.factor_start("als", &params, ("epochs", p.epochs), data, init, p.dim)?;
        // the state of an ALS run is its two factor tables
        let (mut users, mut items, first, mut epochs) = (s.users, s.items, s.first, s.log);
        let (ufrozen, ifrozen, reports) = (s.users_frozen, s.items_frozen, s.reports);
        let pb = crate::progress::bar((p.epochs - first) as u64, "als", ctx.progress);
        let start = Instant::now();
        let epochs = ctx.install(|| {
            for it in first..p.epochs {
                let t0 = Instant::now();
                solve_side(&mut users, &items, &cui, p.reg, p.cg_steps, &ufrozen);
                solve_side(&mut items, &users, &ciu, p.reg, p.cg_steps, &ifrozen);
                let seconds = t0.elapsed().as_secs_f64();
                let l = loss(&users, &items, &cui, p.reg);
                pb.set_message(format!("loss {l:.5}"));
                pb.inc(1);
                epochs.push(EpochLog {
                    epoch: it + 1,
                    loss: l,
                    seconds,
                });
            }
            epochs
        })?;
        pb.finish_and_clear();
        if users.iter().chain(items.iter()).any(|v| !v.is_finite()) {
            return Err(Error::Diverged {
                algo: "als".into(),
                epoch: p.epochs,
                what: "the factors".into(),
                hint: "raise --reg or lower --alpha".into(),
            });
        }
        let mut model = Model::for_interactions("als", data, catalog);
        model.params = params;
        model.tables.insert(USER_EMBEDDING.into(), users);
        model.tables.insert(ITEM_EMBEDDING.into(), items);
        model.record_run(epochs, start, ctx.seed, &reports);
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_checked() {
        assert!(Als::new(AlsParams {
            dim: 0,
            ..Default::default()
        })
        .is_err());
        assert!(Als::new(AlsParams {
            reg: f32::NAN,
            ..Default::default()
        })
        .is_err());
        assert!(Als::new(AlsParams::default()).is_ok());
    }

    #[test]
    fn cg_solves_small_system_like_direct_solve() {
        // One user, three items, k = 2: CG with k steps reaches the exact solution.
        let y = ndarray::array![[1.0f32, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let mut x = Array2::<f32>::zeros((1, 2));
        let mut tri = sprs::TriMat::new((1, 3));
        tri.add_triplet(0, 0, 3.0f32);
        tri.add_triplet(0, 2, 2.0f32);
        let conf = tri.to_csr();
        solve_side(&mut x, &y, &conf, 0.1, 2, &[]);
        // A = YᵀY + 0.1 I + 2·y0y0ᵀ + 1·y2y2ᵀ ; b = 3 y0 + 2 y2
        let a = [
            [2.0 + 0.1 + 2.0 + 1.0, 1.0 + 1.0],
            [1.0 + 1.0, 2.0 + 0.1 + 1.0],
        ];
        let b = [5.0, 2.0];
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        let sol = [
            (b[0] * a[1][1] - a[0][1] * b[1]) / det,
            (a[0][0] * b[1] - a[1][0] * b[0]) / det,
        ];
        assert!((x[[0, 0]] - sol[0]).abs() < 1e-4, "{x:?} vs {sol:?}");
        assert!((x[[0, 1]] - sol[1]).abs() < 1e-4, "{x:?} vs {sol:?}");
    }
}

//! t-SNE (van der Maaten & Hinton 2008) with the Barnes–Hut approximation (van der Maaten
//! 2014), so maps of 10k+ points take seconds.
//!
//! Input similarities: each row's `3 · perplexity` nearest neighbours (exact, squared
//! Euclidean distance, parallel over rows) after a PCA to at most 50 dimensions, with a
//! Gaussian whose width is found by bisection to give the perplexity; `P` is symmetrised
//! and normalised. The map: Student-t similarities, attractive forces over the sparse `P`,
//! repulsive forces from a quadtree (a cell far enough away — `size / distance < θ` — acts as
//! one point at its centre of mass). Optimiser as in the reference implementation: gradient
//! descent with momentum 0.5 then 0.8, per-coordinate gains, early exaggeration 12 for the
//! first 250 iterations; the map starts from the first two principal components scaled to
//! standard deviation 1e-4 (`init = "pca"`, as scikit-learn). The learning rate defaults to
//! scikit-learn's `auto`: `max(n / 12 / 4, 50)`.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::pca::Pca;
use crate::error::{Error, Result};

/// Settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TsneParams {
    /// Effective number of neighbours.
    pub perplexity: f64,
    /// Barnes–Hut accuracy (0 = exact repulsion, slow).
    pub theta: f64,
    /// Gradient steps.
    pub iterations: usize,
    /// Steps with exaggerated `P`.
    pub exaggeration_iters: usize,
    /// The exaggeration factor.
    pub exaggeration: f64,
    /// Step size; `None` = `max(n / 48, 50)`.
    pub learning_rate: Option<f64>,
    /// Record the KL divergence every this many steps (0 = never).
    pub log_every: usize,
}

impl Default for TsneParams {
    fn default() -> Self {
        TsneParams {
            perplexity: 30.0,
            theta: 0.5,
            iterations: 1000,
            exaggeration_iters: 250,
            exaggeration: 12.0,
            learning_rate: None,
            log_every: 50,
        }
    }
}

/// A map and how it got there.
#[derive(Debug, Clone)]
pub struct TsneResult {
    /// `n × 2` coordinates.
    pub y: Array2<f64>,
    /// `(iteration, KL divergence)` as logged (exaggeration removed).
    pub kl: Vec<(usize, f64)>,
}

/// Sparse symmetric input similarities: row `i` holds `(j, p_ij)`.
struct Sparse {
    rows: Vec<Vec<(u32, f64)>>,
}

fn sqdist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The `k` nearest other rows of every row (exact), as `(index, squared distance)`.
fn knn(x: &Array2<f64>, k: usize) -> Vec<Vec<(u32, f64)>> {
    let n = x.nrows();
    (0..n)
        .into_par_iter()
        .map(|i| {
            let xi = x.row(i);
            let xi = xi.as_slice().unwrap_or(&[]);
            let mut d: Vec<(u32, f64)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (j as u32, sqdist(xi, x.row(j).as_slice().unwrap_or(&[]))))
                .collect();
            let k = k.min(d.len());
            if k < d.len() {
                d.select_nth_unstable_by(k, |a, b| a.1.total_cmp(&b.1));
                d.truncate(k);
            }
            d.sort_by(|a, b| a.1.total_cmp(&b.1));
            d
        })
        .collect()
}

/// Conditional `p_j|i` with the Gaussian width that gives `perplexity` (bisection on β).
fn conditional(d: &[(u32, f64)], perplexity: f64) -> Vec<f64> {
    let target = perplexity.ln();
    let (mut lo, mut hi, mut beta) = (f64::NEG_INFINITY, f64::INFINITY, 1.0);
    let d0 = d.first().map_or(0.0, |x| x.1);
    let mut p = vec![0.0; d.len()];
    for _ in 0..200 {
        let mut sum = 0.0;
        for (pj, &(_, dj)) in p.iter_mut().zip(d) {
            *pj = (-(dj - d0) * beta).exp();
            sum += *pj;
        }
        let sum = sum.max(f64::MIN_POSITIVE);
        // entropy H = ln(sum) + β Σ p_j (d_j − d0) / sum
        let h = sum.ln() + beta * p.iter().zip(d).map(|(pj, x)| pj * (x.1 - d0)).sum::<f64>() / sum;
        p.iter_mut().for_each(|v| *v /= sum);
        if (h - target).abs() < 1e-5 {
            break;
        }
        if h > target {
            lo = beta;
            beta = if hi.is_finite() {
                (beta + hi) / 2.0
            } else {
                beta * 2.0
            };
        } else {
            hi = beta;
            beta = if lo.is_finite() {
                (beta + lo) / 2.0
            } else {
                beta / 2.0
            };
        }
    }
    p
}

fn joint(x: &Array2<f64>, perplexity: f64) -> Sparse {
    let n = x.nrows();
    let k = ((3.0 * perplexity) as usize).clamp(1, n - 1);
    let nn = knn(x, k);
    let cond: Vec<Vec<f64>> = nn.par_iter().map(|d| conditional(d, perplexity)).collect();
    // symmetrise: p_ij = (p_j|i + p_i|j) / 2n
    let mut maps: Vec<std::collections::HashMap<u32, f64>> = vec![Default::default(); n];
    for (i, (d, p)) in nn.iter().zip(&cond).enumerate() {
        for (&(j, _), &pj) in d.iter().zip(p) {
            *maps[i].entry(j).or_insert(0.0) += pj;
            *maps[j as usize].entry(i as u32).or_insert(0.0) += pj;
        }
    }
    let z = 2.0 * n as f64;
    Sparse {
        rows: maps
            .into_iter()
            .map(|m| {
                let mut r: Vec<(u32, f64)> = m.into_iter().map(|(j, v)| (j, v / z)).collect();
                r.sort_by_key(|e| e.0);
                r
            })
            .collect(),
    }
}

/// A quadtree cell: bounds, mass and centre of mass; a leaf holds its points' indices.
#[derive(Debug, Clone)]
struct Cell {
    cx: f64,
    cy: f64,
    half: f64,
    mass: f64,
    mx: f64,
    my: f64,
    points: Vec<u32>,
    /// First of four consecutive children, or `NONE` for a leaf.
    child: u32,
}

const NONE: u32 = u32::MAX;
/// Deeper than this, points share a leaf (duplicates cannot be split).
const MAX_DEPTH: usize = 40;

struct QuadTree<'a> {
    cells: Vec<Cell>,
    y: &'a Array2<f64>,
}

impl Cell {
    fn empty(cx: f64, cy: f64, half: f64) -> Cell {
        Cell {
            cx,
            cy,
            half,
            mass: 0.0,
            mx: 0.0,
            my: 0.0,
            points: Vec::new(),
            child: NONE,
        }
    }
}

impl<'a> QuadTree<'a> {
    fn new(y: &'a Array2<f64>) -> QuadTree<'a> {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for r in y.outer_iter() {
            x0 = x0.min(r[0]);
            x1 = x1.max(r[0]);
            y0 = y0.min(r[1]);
            y1 = y1.max(r[1]);
        }
        let half = ((x1 - x0).max(y1 - y0) / 2.0).max(1e-9) * (1.0 + 1e-6);
        let mut t = QuadTree {
            cells: vec![Cell::empty((x0 + x1) / 2.0, (y0 + y1) / 2.0, half)],
            y,
        };
        for i in 0..y.nrows() {
            t.insert(i);
        }
        t
    }

    fn quadrant(&self, c: usize, i: usize) -> usize {
        let cell = &self.cells[c];
        usize::from(self.y[[i, 0]] >= cell.cx) | (usize::from(self.y[[i, 1]] >= cell.cy) << 1)
    }

    fn insert(&mut self, i: usize) {
        let (px, py) = (self.y[[i, 0]], self.y[[i, 1]]);
        let mut c = 0usize;
        let mut depth = 0;
        loop {
            let cell = &mut self.cells[c];
            cell.mx = (cell.mx * cell.mass + px) / (cell.mass + 1.0);
            cell.my = (cell.my * cell.mass + py) / (cell.mass + 1.0);
            cell.mass += 1.0;
            if cell.child == NONE {
                if cell.points.is_empty() || depth >= MAX_DEPTH {
                    cell.points.push(i as u32);
                    return;
                }
                // split the leaf: its points move into the new children
                let (cx, cy, h) = (cell.cx, cell.cy, cell.half / 2.0);
                let old = std::mem::take(&mut cell.points);
                let base = self.cells.len();
                self.cells[c].child = base as u32;
                for q in 0..4 {
                    let dx = if q & 1 == 1 { h } else { -h };
                    let dy = if q & 2 == 2 { h } else { -h };
                    self.cells.push(Cell::empty(cx + dx, cy + dy, h));
                }
                for o in old {
                    let q = self.quadrant(c, o as usize);
                    let ch = &mut self.cells[base + q];
                    let (ox, oy) = (self.y[[o as usize, 0]], self.y[[o as usize, 1]]);
                    ch.mx = (ch.mx * ch.mass + ox) / (ch.mass + 1.0);
                    ch.my = (ch.my * ch.mass + oy) / (ch.mass + 1.0);
                    ch.mass += 1.0;
                    ch.points.push(o);
                }
            }
            let q = self.quadrant(c, i);
            c = self.cells[c].child as usize + q;
            depth += 1;
        }
    }

    /// Repulsive force on point `i` (unnormalised: `Σ q_ij² Z² (y_i − y_j)`) and its share of
    /// `Z = Σ (1 + d²)⁻¹`.
    fn repulsion(&self, i: usize, theta: f64) -> (f64, f64, f64) {
        let (px, py) = (self.y[[i, 0]], self.y[[i, 1]]);
        let (mut fx, mut fy, mut z) = (0.0, 0.0, 0.0);
        let mut stack = vec![0usize];
        while let Some(c) = stack.pop() {
            let cell = &self.cells[c];
            if cell.mass == 0.0 {
                continue;
            }
            let (dx, dy) = (px - cell.mx, py - cell.my);
            let d2 = dx * dx + dy * dy;
            let far =
                cell.child == NONE || (2.0 * cell.half) * (2.0 * cell.half) < theta * theta * d2;
            if far {
                // a leaf: its points one by one (skipping i); a far cell: one summary point
                if cell.child == NONE {
                    for &j in &cell.points {
                        let j = j as usize;
                        if j == i {
                            continue;
                        }
                        let (dx, dy) = (px - self.y[[j, 0]], py - self.y[[j, 1]]);
                        let q = 1.0 / (1.0 + dx * dx + dy * dy);
                        z += q;
                        fx += q * q * dx;
                        fy += q * q * dy;
                    }
                } else {
                    let q = 1.0 / (1.0 + d2);
                    z += cell.mass * q;
                    fx += cell.mass * q * q * dx;
                    fy += cell.mass * q * q * dy;
                }
            } else {
                for k in 0..4 {
                    stack.push(cell.child as usize + k);
                }
            }
        }
        (fx, fy, z)
    }
}

/// Gradient of KL(P‖Q) at `y` (with `P` scaled by `exaggeration`), and `Z`.
fn gradient(p: &Sparse, y: &Array2<f64>, theta: f64, exaggeration: f64) -> (Array2<f64>, f64) {
    let tree = QuadTree::new(y);
    let n = y.nrows();
    let parts: Vec<(f64, f64, f64, f64, f64)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (rx, ry, z) = tree.repulsion(i, theta);
            let (mut ax, mut ay) = (0.0, 0.0);
            for &(j, pij) in &p.rows[i] {
                let j = j as usize;
                let (dx, dy) = (y[[i, 0]] - y[[j, 0]], y[[i, 1]] - y[[j, 1]]);
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                ax += exaggeration * pij * q * dx;
                ay += exaggeration * pij * q * dy;
            }
            (ax, ay, rx, ry, z)
        })
        .collect();
    let z: f64 = parts
        .iter()
        .map(|t| t.4)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let mut g = Array2::zeros((n, 2));
    for (i, (ax, ay, rx, ry, _)) in parts.into_iter().enumerate() {
        g[[i, 0]] = 4.0 * (ax - rx / z);
        g[[i, 1]] = 4.0 * (ay - ry / z);
    }
    (g, z)
}

/// KL(P‖Q) over the nonzero `p_ij`, with `Z` from the tree.
fn kl(p: &Sparse, y: &Array2<f64>, z: f64) -> f64 {
    p.rows
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            r.iter()
                .map(|&(j, pij)| {
                    let j = j as usize;
                    let (dx, dy) = (y[[i, 0]] - y[[j, 0]], y[[i, 1]] - y[[j, 1]]);
                    let q = (1.0 / (1.0 + dx * dx + dy * dy) / z).max(f64::MIN_POSITIVE);
                    if pij > 0.0 {
                        pij * (pij / q).ln()
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
        })
        .sum()
}

/// Map the rows of `x` to two dimensions.
pub fn tsne(x: ArrayView2<'_, f32>, p: &TsneParams) -> Result<TsneResult> {
    let n = x.nrows();
    if n < 4 {
        return Err(Error::Param(format!(
            "t-SNE needs at least 4 rows, not {n}"
        )));
    }
    if !(p.perplexity.is_finite() && p.perplexity >= 1.0) {
        return Err(Error::Param(format!(
            "perplexity must be ≥ 1, not {}",
            p.perplexity
        )));
    }
    if (n as f64) < 3.0 * p.perplexity + 1.0 {
        return Err(Error::Param(format!(
            "perplexity {} needs at least {} rows (3·perplexity + 1); this table has {n}",
            p.perplexity,
            (3.0 * p.perplexity).ceil() as usize + 1
        )));
    }
    let pca = Pca::fit(x, 50)?;
    let xr = pca.transform(x);
    let pmat = joint(&xr, p.perplexity);
    // init: the first two principal components, scaled to std 1e-4
    let mut y = xr.slice(ndarray::s![.., ..2.min(xr.ncols())]).to_owned();
    if y.ncols() < 2 {
        let mut y2 = Array2::zeros((n, 2));
        y2.column_mut(0).assign(&y.column(0));
        y = y2;
    }
    let std0 = y.column(0).std(0.0).max(f64::MIN_POSITIVE);
    y.mapv_inplace(|v| v / std0 * 1e-4);
    let lr = p
        .learning_rate
        .unwrap_or((n as f64 / p.exaggeration / 4.0).max(50.0));
    let mut update = Array2::<f64>::zeros((n, 2));
    let mut gains = Array2::<f64>::ones((n, 2));
    let mut log = Vec::new();
    for it in 0..p.iterations {
        let exag = if it < p.exaggeration_iters {
            p.exaggeration
        } else {
            1.0
        };
        let momentum = if it < p.exaggeration_iters { 0.5 } else { 0.8 };
        let (g, z) = gradient(&pmat, &y, p.theta, exag);
        for ((u, gn), gr) in update.iter_mut().zip(gains.iter_mut()).zip(g.iter()) {
            *gn = if (*gr > 0.0) != (*u > 0.0) {
                *gn + 0.2
            } else {
                (*gn * 0.8).max(0.01)
            };
            *u = momentum * *u - lr * *gn * gr;
        }
        y += &update;
        // keep the map centred
        let mean = y
            .mean_axis(ndarray::Axis(0))
            .unwrap_or_else(|| ndarray::Array1::zeros(2));
        y -= &mean;
        if !y.iter().all(|v| v.is_finite()) {
            return Err(Error::Param(format!(
                "t-SNE diverged at iteration {it}; try a lower learning rate"
            )));
        }
        if p.log_every > 0 && ((it + 1) % p.log_every == 0 || it + 1 == p.iterations) {
            log.push((it + 1, kl(&pmat, &y, z)));
        }
    }
    Ok(TsneResult { y, kl: log })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Three well-separated Gaussian blobs in 10-D.
    fn blobs(per: usize) -> (Array2<f32>, Vec<usize>) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        let mut x = Array2::zeros((3 * per, 10));
        let mut labels = Vec::new();
        for c in 0..3 {
            for r in 0..per {
                let i = c * per + r;
                for d in 0..10 {
                    let centre = if d == c { 10.0 } else { 0.0 };
                    x[[i, d]] = centre + (rng.random::<f32>() - 0.5) * 2.0;
                }
                labels.push(c);
            }
        }
        (x, labels)
    }

    #[test]
    fn perplexity_is_met() {
        let d: Vec<(u32, f64)> = (0..90).map(|j| (j, f64::from(j) * 0.1)).collect();
        let p = conditional(&d, 30.0);
        let h: f64 = -p
            .iter()
            .filter(|&&v| v > 0.0)
            .map(|v| v * v.ln())
            .sum::<f64>();
        assert!((h.exp() - 30.0).abs() < 0.01, "perplexity {}", h.exp());
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn barnes_hut_gradient_matches_the_exact_one() {
        let (x, _) = blobs(20);
        let pca = Pca::fit(x.view(), 10).unwrap();
        let pm = joint(&pca.transform(x.view()), 5.0);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2);
        let y = Array2::from_shape_simple_fn((60, 2), || rng.random::<f64>() * 10.0);
        let (exact, ze) = gradient(&pm, &y, 0.0, 1.0);
        let (approx, za) = gradient(&pm, &y, 0.5, 1.0);
        assert!((ze - za).abs() / ze < 0.02, "{ze} vs {za}");
        let err: f64 = (&exact - &approx).iter().map(|v| v * v).sum::<f64>().sqrt();
        let norm: f64 = exact.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(err / norm < 0.05, "relative error {}", err / norm);
        // the exact gradient is the derivative of KL: central differences on one coordinate
        let h = 1e-5;
        let klz = |y: &Array2<f64>| {
            let (_, z) = gradient(&pm, y, 0.0, 1.0);
            kl(&pm, y, z)
        };
        let (mut yp, mut ym) = (y.clone(), y.clone());
        yp[[3, 1]] += h;
        ym[[3, 1]] -= h;
        let num = (klz(&yp) - klz(&ym)) / (2.0 * h);
        assert!(
            (num - exact[[3, 1]]).abs() < 1e-4 * num.abs().max(1e-3),
            "{num} vs {}",
            exact[[3, 1]]
        );
    }

    #[test]
    fn kl_falls_and_blobs_stay_apart() {
        let (x, labels) = blobs(60);
        let r = tsne(
            x.view(),
            &TsneParams {
                perplexity: 15.0,
                iterations: 500,
                ..Default::default()
            },
        )
        .unwrap();
        let after: Vec<f64> =
            r.kl.iter()
                .filter(|(it, _)| *it > 250)
                .map(|x| x.1)
                .collect();
        assert!(after.windows(2).all(|w| w[1] <= w[0] + 1e-3), "{:?}", r.kl);
        assert!(after[after.len() - 1] < r.kl[0].1, "{:?}", r.kl);
        // each point's nearest map neighbour is from its own blob
        let n = x.nrows();
        let mut right = 0;
        for i in 0..n {
            let mut best = (f64::MAX, 0);
            for j in 0..n {
                if i != j {
                    let d = sqdist(
                        r.y.row(i).as_slice().unwrap(),
                        r.y.row(j).as_slice().unwrap(),
                    );
                    if d < best.0 {
                        best = (d, j);
                    }
                }
            }
            right += usize::from(labels[best.1] == labels[i]);
        }
        assert!(right as f64 / n as f64 > 0.98, "{right}/{n}");
        assert!(tsne(x.slice(ndarray::s![..10, ..]), &TsneParams::default()).is_err());
    }
}

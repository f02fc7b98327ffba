//! Truncated SVD of a large sparse square matrix by randomised range finding (Halko,
//! Martinsson, Tropp 2011, algorithms 4.4 and 5.1), for [`super::lsa`].
//!
//! `A` is given in CSR together with the values of `Aᵀ` on the same sparsity pattern (the
//! PPMI matrix has a symmetric pattern but asymmetric values), so both products are parallel
//! row scans. Dense blocks are `f64`; orthonormalisation is by the eigen-decomposition of the
//! small Gram matrix (done twice: "CholeskyQR2" with an eigen-solver instead of Cholesky, so a
//! rank-deficient block is handled by dropping its null directions). The small dense
//! eigen-problems are solved by cyclic Jacobi rotations.

use ndarray::{s, Array1, Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// A square CSR matrix with the values of its transpose on the same (symmetric) pattern.
#[derive(Debug, Clone)]
pub(crate) struct SymPattern {
    pub(crate) n: usize,
    pub(crate) indptr: Vec<usize>,
    pub(crate) indices: Vec<u32>,
    /// `A[r][indices[k]]` for `k` in row `r`'s range.
    pub(crate) values: Vec<f32>,
    /// `A[indices[k]][r]` (= `Aᵀ[r][indices[k]]`).
    pub(crate) values_t: Vec<f32>,
}

impl SymPattern {
    /// `out = A·x` (`transpose = false`) or `Aᵀ·x`.
    fn mul(&self, x: &Array2<f64>, transpose: bool) -> Array2<f64> {
        let l = x.ncols();
        let vals = if transpose {
            &self.values_t
        } else {
            &self.values
        };
        let mut out = Array2::<f64>::zeros((self.n, l));
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(r, mut o)| {
                let o = o.as_slice_mut().unwrap_or(&mut []);
                let span = self.indptr[r]..self.indptr[r + 1];
                for (&c, &v) in self.indices[span.clone()].iter().zip(&vals[span]) {
                    let v = f64::from(v);
                    if v == 0.0 {
                        continue;
                    }
                    let xr = x.row(c as usize);
                    for (a, b) in o.iter_mut().zip(xr.iter()) {
                        *a += v * b;
                    }
                }
            });
        out
    }
}

/// A standard normal draw (Box–Muller), so the crate needs no distribution dependency.
fn normal(rng: &mut impl rand::Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `YᵀY`, summed over row blocks in parallel (blocks in order: deterministic).
fn gram(y: &Array2<f64>) -> Array2<f64> {
    let l = y.ncols();
    let blocks: Vec<Array2<f64>> = y
        .axis_chunks_iter(Axis(0), 4096)
        .into_par_iter()
        .map(|b| b.t().dot(&b))
        .collect();
    blocks.into_iter().fold(Array2::zeros((l, l)), |a, b| a + b)
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi: eigenvalues in descending
/// order and the matching unit eigenvectors as columns.
pub(crate) fn sym_eig(a: &Array2<f64>) -> (Array1<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut m = a.clone();
    let mut v = Array2::<f64>::eye(n);
    let norm: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|p| (0..n).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| m[[p, q]] * m[[p, q]])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-14 * norm.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[[p, q]];
                if apq.abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let theta = (m[[q, q]] - m[[p, p]]) / (2.0 * apq);
                let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[[k, p]], m[[k, q]]);
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[[p, k]], m[[q, k]]);
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[[j, j]].total_cmp(&m[[i, i]]));
    let vals = Array1::from_iter(order.iter().map(|&i| m[[i, i]]));
    let mut vecs = Array2::zeros((n, n));
    for (c, &i) in order.iter().enumerate() {
        vecs.column_mut(c).assign(&v.column(i));
    }
    (vals, vecs)
}

/// An orthonormal basis of the column space of `y` (null directions dropped).
fn orth(y: &Array2<f64>) -> Array2<f64> {
    let mut q = y.clone();
    for _ in 0..2 {
        let (vals, vecs) = sym_eig(&gram(&q));
        let top = vals.first().copied().unwrap_or(0.0).max(0.0);
        let keep: Vec<usize> = (0..vals.len())
            .filter(|&i| vals[i] > top * 1e-12 && vals[i] > 0.0)
            .collect();
        let mut w = Array2::zeros((vecs.nrows(), keep.len()));
        for (c, &i) in keep.iter().enumerate() {
            let scale = 1.0 / vals[i].sqrt();
            w.column_mut(c).assign(&(&vecs.column(i) * scale));
        }
        q = par_dot(&q, &w);
    }
    q
}

/// `x·w` for a tall `x`, row blocks in parallel.
fn par_dot(x: &Array2<f64>, w: &Array2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), w.ncols()));
    out.axis_chunks_iter_mut(Axis(0), 4096)
        .into_par_iter()
        .zip(x.axis_chunks_iter(Axis(0), 4096).into_par_iter())
        .for_each(|(mut o, xb)| o.assign(&xb.dot(w)));
    out
}

/// Rank-`k` truncated SVD of `a`: left singular vectors (`n × k`, zero columns beyond the
/// numerical rank) and singular values (descending), with `oversample` extra directions and
/// `power_iters` subspace iterations.
pub(crate) fn truncated_svd(
    a: &SymPattern,
    k: usize,
    oversample: usize,
    power_iters: usize,
    seed: u64,
) -> (Array2<f64>, Vec<f64>) {
    let n = a.n;
    let l = (k + oversample).min(n).max(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let omega = Array2::from_shape_simple_fn((n, l), || normal(&mut rng));
    let mut q = orth(&a.mul(&omega, false));
    for _ in 0..power_iters {
        let z = orth(&a.mul(&q, true));
        q = orth(&a.mul(&z, false));
    }
    // B = Qᵀ A = (Aᵀ Q)ᵀ; B Bᵀ = ZᵀZ
    let z = a.mul(&q, true);
    let (vals, ub) = sym_eig(&gram(&z));
    let r = q.ncols().min(k);
    let u_full = par_dot(&q, &ub.slice(s![.., ..r]).to_owned());
    let mut u = Array2::zeros((n, k));
    u.slice_mut(s![.., ..r]).assign(&u_full);
    let sv: Vec<f64> = (0..k)
        .map(|i| if i < r { vals[i].max(0.0).sqrt() } else { 0.0 })
        .collect();
    (u, sv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn jacobi_diagonalises_a_known_matrix() {
        let a = ndarray::arr2(&[[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 1.0]]);
        let (vals, vecs) = sym_eig(&a);
        assert!(vals[0] >= vals[1] && vals[1] >= vals[2]);
        let trace: f64 = vals.sum();
        assert!((trace - 8.0).abs() < 1e-10);
        for c in 0..3 {
            let v = vecs.column(c);
            let av = a.dot(&v);
            for r in 0..3 {
                assert!((av[r] - vals[c] * v[r]).abs() < 1e-10);
            }
        }
        let vtv = vecs.t().dot(&vecs);
        for i in 0..3 {
            for j in 0..3 {
                assert!((vtv[[i, j]] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-10);
            }
        }
    }

    /// A dense `n × n` matrix as a full pattern.
    fn dense_pattern(m: &Array2<f64>) -> SymPattern {
        let n = m.nrows();
        let mut p = SymPattern {
            n,
            indptr: vec![0],
            indices: vec![],
            values: vec![],
            values_t: vec![],
        };
        for r in 0..n {
            for c in 0..n {
                p.indices.push(c as u32);
                p.values.push(m[[r, c]] as f32);
                p.values_t.push(m[[c, r]] as f32);
            }
            p.indptr.push(p.indices.len());
        }
        p
    }

    #[test]
    fn recovers_a_planted_low_rank_matrix() {
        // A = U diag(10, 5, 2) Vᵀ + tiny noise, asymmetric
        let n = 60;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let u = orth(&Array2::from_shape_simple_fn((n, 3), || normal(&mut rng)));
        let v = orth(&Array2::from_shape_simple_fn((n, 3), || normal(&mut rng)));
        let s = Array2::from_diag(&ndarray::arr1(&[10.0, 5.0, 2.0]));
        let a = u.dot(&s).dot(&v.t())
            + Array2::from_shape_simple_fn((n, n), || rng.random::<f64>() * 1e-4);
        let (uk, sv) = truncated_svd(&dense_pattern(&a), 3, 5, 2, 1);
        for (got, want) in sv.iter().zip([10.0, 5.0, 2.0]) {
            assert!((got - want).abs() < 1e-2, "{sv:?}");
        }
        // the recovered left space is U's: |Uᵀ Uk| ≈ I up to signs
        let m = u.t().dot(&uk);
        for i in 0..3 {
            assert!((m[[i, i]].abs() - 1.0).abs() < 1e-3, "{m:?}");
        }
        // asking for more than the rank: zero singular values beyond it
        let (_, sv) = truncated_svd(&dense_pattern(&a), 6, 2, 2, 1);
        assert!(sv[3] < 1e-2 && sv[5] >= 0.0, "{sv:?}");
    }
}

//! Principal component analysis of a table's rows: the top eigenvectors of the covariance
//! matrix (`dim × dim`, in `f64`, cyclic Jacobi), rows projected onto them.

use ndarray::{Array2, ArrayView2, Axis};

use crate::error::{Error, Result};

/// A fitted projection.
#[derive(Debug, Clone)]
pub struct Pca {
    /// Mean row.
    pub mean: Vec<f64>,
    /// `dim × k` principal directions (unit columns, by decreasing variance).
    pub components: Array2<f64>,
    /// Variance along each component.
    pub variances: Vec<f64>,
    /// Total variance of the rows.
    pub total_variance: f64,
}

impl Pca {
    /// Fit `k` components to the rows of `x`.
    pub fn fit(x: ArrayView2<'_, f32>, k: usize) -> Result<Pca> {
        let (n, d) = x.dim();
        if n < 2 || d == 0 {
            return Err(Error::Param(format!(
                "PCA needs at least 2 rows and 1 column, not {n} × {d}"
            )));
        }
        let k = k.min(d);
        let xf = x.mapv(f64::from);
        let mean = xf
            .mean_axis(Axis(0))
            .unwrap_or_else(|| ndarray::Array1::zeros(d));
        let c = &xf - &mean;
        let cov = c.t().dot(&c) / (n as f64 - 1.0);
        let total_variance = cov.diag().sum();
        let (vals, vecs) = crate::models::rsvd::sym_eig(&cov);
        Ok(Pca {
            mean: mean.to_vec(),
            components: vecs.slice(ndarray::s![.., ..k]).to_owned(),
            variances: vals.iter().take(k).map(|v| v.max(0.0)).collect(),
            total_variance,
        })
    }

    /// Rows of `x` in component coordinates (`n × k`).
    #[must_use]
    pub fn transform(&self, x: ArrayView2<'_, f32>) -> Array2<f64> {
        let mean = ndarray::Array1::from(self.mean.clone());
        (&x.mapv(f64::from) - &mean).dot(&self.components)
    }

    /// Share of the total variance each component explains.
    #[must_use]
    pub fn explained(&self) -> Vec<f64> {
        self.variances
            .iter()
            .map(|v| {
                if self.total_variance > 0.0 {
                    v / self.total_variance
                } else {
                    0.0
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_planted_direction() {
        // points along (1, 2, 0)/√5 with small noise in the other directions
        let mut x = Array2::<f32>::zeros((200, 3));
        for i in 0..200 {
            let t = i as f32 / 20.0 - 5.0;
            let e = ((i * 37 % 11) as f32 - 5.0) * 0.01;
            x[[i, 0]] = t + e;
            x[[i, 1]] = 2.0 * t - e;
            x[[i, 2]] = e;
        }
        let p = Pca::fit(x.view(), 2).unwrap();
        let c = p.components.column(0);
        let s5 = 5f64.sqrt();
        assert!((c[0].abs() - 1.0 / s5).abs() < 1e-3 && (c[1].abs() - 2.0 / s5).abs() < 1e-3);
        assert!(p.explained()[0] > 0.999);
        let y = p.transform(x.view());
        assert_eq!(y.dim(), (200, 2));
        // projections are centred
        assert!(y.column(0).sum().abs() < 1e-6);
    }
}

//! k-means on the L2-normalised rows of a table (spherical k-means by Euclidean distance of
//! unit vectors): k-means++ seeding, Lloyd iterations until no row moves, several seeded
//! restarts keeping the lowest inertia; and the adjusted Rand index to score a clustering
//! against known labels.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// A clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Cluster of each row.
    pub labels: Vec<usize>,
    /// `k × dim` centroids (means of the unit rows).
    pub centroids: Vec<Vec<f32>>,
    /// Sum of squared distances of rows to their centroid.
    pub inertia: f64,
}

fn dist2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn unit_rows(table: &[f32], dim: usize) -> Vec<f32> {
    let mut t = table.to_vec();
    for row in t.chunks_exact_mut(dim) {
        let n = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if n > 0.0 {
            row.iter_mut().for_each(|v| *v /= n);
        }
    }
    t
}

fn one_run(t: &[f32], dim: usize, k: usize, seed: u64, max_iter: usize) -> Clustering {
    let n = t.len() / dim;
    let row = |i: usize| &t[i * dim..(i + 1) * dim];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // k-means++: each next centre drawn with probability proportional to D(x)²
    let mut centroids: Vec<Vec<f32>> = vec![row(rng.random_range(0..n)).to_vec()];
    let mut d2: Vec<f32> = (0..n).map(|i| dist2(row(i), &centroids[0])).collect();
    while centroids.len() < k {
        let total: f64 = d2.iter().map(|&x| f64::from(x)).sum();
        let pick = if total > 0.0 {
            let mut r = rng.random::<f64>() * total;
            let mut chosen = n - 1;
            for (i, &x) in d2.iter().enumerate() {
                r -= f64::from(x);
                if r <= 0.0 {
                    chosen = i;
                    break;
                }
            }
            chosen
        } else {
            rng.random_range(0..n)
        };
        let c = row(pick).to_vec();
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(dist2(row(i), &c));
        }
        centroids.push(c);
    }
    let mut labels = vec![usize::MAX; n];
    for _ in 0..max_iter {
        let new: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|i| {
                let r = row(i);
                (0..k)
                    .min_by(|&a, &b| dist2(r, &centroids[a]).total_cmp(&dist2(r, &centroids[b])))
                    .unwrap_or(0)
            })
            .collect();
        let moved = new != labels;
        labels = new;
        let mut sums = vec![vec![0.0f32; dim]; k];
        let mut counts = vec![0usize; k];
        for (i, &l) in labels.iter().enumerate() {
            counts[l] += 1;
            sums[l].iter_mut().zip(row(i)).for_each(|(s, v)| *s += v);
        }
        for (c, (s, &m)) in centroids.iter_mut().zip(sums.iter().zip(&counts)) {
            if m > 0 {
                *c = s.iter().map(|v| v / m as f32).collect();
            }
        }
        if !moved {
            break;
        }
    }
    let inertia = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| f64::from(dist2(row(i), &centroids[l])))
        .sum();
    Clustering {
        labels,
        centroids,
        inertia,
    }
}

/// Cluster the rows of `table` (`dim` floats each) into `k` groups; the best of `restarts`
/// seeded runs (lowest inertia).
pub fn kmeans(
    table: &[f32],
    dim: usize,
    k: usize,
    restarts: usize,
    seed: u64,
) -> Result<Clustering> {
    if dim == 0 || !table.len().is_multiple_of(dim) {
        return Err(Error::Param(
            "k-means: the table is not a whole number of rows".into(),
        ));
    }
    let n = table.len() / dim;
    if k == 0 || k > n {
        return Err(Error::Param(format!(
            "k-means: k must be in 1..={n}, not {k}"
        )));
    }
    let t = unit_rows(table, dim);
    (0..restarts.max(1) as u64)
        .map(|r| {
            one_run(
                &t,
                dim,
                k,
                seed ^ (r.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                100,
            )
        })
        .min_by(|a, b| a.inertia.total_cmp(&b.inertia))
        .ok_or_else(|| Error::Param("k-means: no run".into()))
}

/// The rows of cluster `c` closest to its centroid, nearest first (at most `m`).
#[must_use]
pub fn central(table: &[f32], dim: usize, c: &Clustering, cluster: usize, m: usize) -> Vec<usize> {
    let t = unit_rows(table, dim);
    let mut members: Vec<(usize, f32)> = c
        .labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| l == cluster)
        .map(|(i, _)| (i, dist2(&t[i * dim..(i + 1) * dim], &c.centroids[cluster])))
        .collect();
    members.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    members.into_iter().take(m).map(|x| x.0).collect()
}

/// Adjusted Rand index of two labellings of the same items (1 = identical up to renaming,
/// about 0 = chance).
#[must_use]
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    let ka = a.iter().copied().max().map_or(0, |m| m + 1);
    let kb = b.iter().copied().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0u64; kb]; ka];
    for i in 0..n {
        table[a[i]][b[i]] += 1;
    }
    let c2 = |x: u64| (x * x.saturating_sub(1)) as f64 / 2.0;
    let sum_ij: f64 = table.iter().flatten().map(|&x| c2(x)).sum();
    let sum_a: f64 = table.iter().map(|r| c2(r.iter().sum())).sum();
    let sum_b: f64 = (0..kb).map(|j| c2(table.iter().map(|r| r[j]).sum())).sum();
    let total = c2(n as u64);
    let expected = sum_a * sum_b / total.max(1.0);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (sum_ij - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_planted_gaussian_clusters() {
        let (k, per, dim) = (6, 80, 10);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let centres: Vec<Vec<f32>> = (0..k)
            .map(|_| (0..dim).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect())
            .collect();
        let mut table = Vec::new();
        let mut truth = Vec::new();
        for i in 0..k * per {
            let c = i % k;
            truth.push(c);
            table.extend(
                centres[c]
                    .iter()
                    .map(|v| v + (rng.random::<f32>() - 0.5) * 0.2),
            );
        }
        let got = kmeans(&table, dim, k, 5, 1).unwrap();
        let ari = adjusted_rand_index(&truth, &got.labels);
        assert!(ari > 0.99, "ARI {ari}");
        // a random labelling scores near 0, identical ones 1
        let shuffled: Vec<usize> = (0..k * per).map(|_| rng.random_range(0..k)).collect();
        assert!(adjusted_rand_index(&truth, &shuffled).abs() < 0.1);
        assert!((adjusted_rand_index(&truth, &truth) - 1.0).abs() < 1e-12);
        let near = central(&table, dim, &got, got.labels[0], 3);
        assert_eq!(near.len(), 3);
        assert!(near.iter().all(|&i| got.labels[i] == got.labels[0]));
        assert!(kmeans(&table, dim, 0, 1, 1).is_err());
    }
}

//! Exact nearest neighbours over one table: [`top_k`] over a score vector (bounded heap),
//! and [`Index`] (cosine or dot product; parallel blocks over tables of
//! [`PARALLEL_ROWS`]+ rows; batches as blocked `Q·Bᵀ` products).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Similarity measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// Cosine similarity (rows are L2-normalised once).
    #[default]
    Cosine,
    /// Raw dot product.
    Dot,
}

#[derive(PartialEq)]
struct Entry(f32, usize);
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reverse order, so the heap's top is the worst kept entry; ties keep the lower index.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

/// Indices and scores of the `k` highest `scores`, best first, skipping `skip(i)` and NaN.
/// Ties go to the lower index.
pub fn top_k(scores: &[f32], k: usize, skip: impl Fn(usize) -> bool) -> Vec<(usize, f32)> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(k + 1);
    for (i, &s) in scores.iter().enumerate() {
        if s.is_nan() || skip(i) {
            continue;
        }
        if heap.len() < k {
            heap.push(Entry(s, i));
        } else if let Some(worst) = heap.peek() {
            if s > worst.0 {
                heap.pop();
                heap.push(Entry(s, i));
            }
        }
    }
    let mut v: Vec<(usize, f32)> = heap.into_iter().map(|Entry(s, i)| (i, s)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

use crate::embedding::normalize_rows;

/// An exact nearest-neighbour index over one table.
#[derive(Debug, Clone)]
pub struct Index {
    pub(super) table: Array2<f32>,
    metric: Metric,
}

impl Index {
    /// Build an index (copies the table; normalises rows for cosine; zero rows stay zero).
    #[must_use]
    pub fn new(table: ArrayView2<'_, f32>, metric: Metric) -> Index {
        let mut t = table.to_owned();
        if metric == Metric::Cosine {
            normalize_rows(&mut t);
        }
        Index { table: t, metric }
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.table.nrows()
    }

    /// The indexed table (rows normalised for cosine).
    #[must_use]
    pub fn table(&self) -> ArrayView2<'_, f32> {
        self.table.view()
    }

    /// True when the table has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.table.nrows() == 0
    }

    /// The query as searched: normalised for cosine.
    fn prepare(&self, query: &[f32]) -> Vec<f32> {
        let mut q = query.to_vec();
        if self.metric == Metric::Cosine {
            let n = q.iter().map(|v| v * v).sum::<f32>().sqrt();
            if n > 0.0 {
                q.iter_mut().for_each(|v| *v /= n);
            }
        }
        q
    }

    /// Scores of every row against `query` (normalised first for cosine).
    #[must_use]
    pub fn scores(&self, query: &[f32]) -> Vec<f32> {
        let q = self.prepare(query);
        match self.table.as_slice() {
            Some(t) => {
                let mut out = vec![0.0f32; self.table.nrows()];
                crate::kernels::simd::dots(t, &q, &mut out);
                out
            }
            None => self.table.dot(&ndarray::ArrayView1::from(&q[..])).to_vec(),
        }
    }

    /// Top-k rows for a query vector, skipping rows for which `skip` is true. Tables of more
    /// than [`PARALLEL_ROWS`] rows are scanned in parallel blocks, each keeping its own top-k
    /// (no full score vector is materialised).
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        skip: impl Fn(usize) -> bool + Sync,
    ) -> Result<Vec<(usize, f32)>> {
        let d = self.table.ncols();
        if query.len() != d {
            return Err(Error::Param(format!(
                "query has {} dimensions, the table has {}",
                query.len(),
                d
            )));
        }
        let n = self.table.nrows();
        let (Some(t), true) = (self.table.as_slice(), n >= PARALLEL_ROWS && d > 0) else {
            return Ok(top_k(&self.scores(query), k, skip));
        };
        let q = self.prepare(query);
        // at least two blocks per worker, at most BLOCK_ROWS rows each
        let per = n
            .div_ceil(2 * rayon::current_num_threads())
            .clamp(1024, BLOCK_ROWS);
        let parts: Vec<Vec<(usize, f32)>> = t
            .par_chunks(per * d)
            .enumerate()
            .map(|(b, block)| {
                let base = b * per;
                let mut scores = vec![0.0f32; block.len() / d];
                crate::kernels::simd::dots(block, &q, &mut scores);
                top_k(&scores, k, |i| skip(base + i))
                    .into_iter()
                    .map(|(i, s)| (base + i, s))
                    .collect()
            })
            .collect();
        Ok(merge_top_k(parts, k))
    }

    /// Top-k neighbours of row `row`, itself excluded.
    pub fn neighbours(&self, row: usize, k: usize) -> Result<Vec<(usize, f32)>> {
        let q = self
            .table
            .row(row)
            .as_slice()
            .map(<[f32]>::to_vec)
            .ok_or_else(|| Error::Param("row out of range".into()))?;
        self.search(&q, k, |i| i == row)
    }

    /// Top-k for many queries at once (rows of `queries`): blocks of the table are scored
    /// against all queries as one matrix product (`Q · Bᵀ`), blocks in parallel, each query
    /// keeping its top-k per block, merged at the end.
    pub fn search_batch(
        &self,
        queries: ArrayView2<'_, f32>,
        k: usize,
    ) -> Result<Vec<Vec<(usize, f32)>>> {
        let d = self.table.ncols();
        if queries.ncols() != d {
            return Err(Error::Param(format!(
                "queries have {} dimensions, the table has {}",
                queries.ncols(),
                d
            )));
        }
        let mut q = queries.to_owned();
        if self.metric == Metric::Cosine {
            normalize_rows(&mut q);
        }
        let nq = q.nrows();
        let mut out: Vec<Vec<(usize, f32)>> = vec![Vec::new(); nq];
        // groups of queries bound the score block's memory (256 × BLOCK_ROWS floats per task)
        for (g, qs) in q.axis_chunks_iter(ndarray::Axis(0), 256).enumerate() {
            let n_blocks = self.table.nrows().div_ceil(BLOCK_ROWS);
            let parts: Vec<Vec<Vec<(usize, f32)>>> = (0..n_blocks)
                .into_par_iter()
                .map(|b| {
                    let lo = b * BLOCK_ROWS;
                    let hi = (lo + BLOCK_ROWS).min(self.table.nrows());
                    let block = self.table.slice(ndarray::s![lo..hi, ..]);
                    let scores = qs.dot(&block.t());
                    scores
                        .rows()
                        .into_iter()
                        .map(|row| {
                            let r: Vec<f32> = row.to_vec();
                            top_k(&r, k, |_| false)
                                .into_iter()
                                .map(|(i, s)| (lo + i, s))
                                .collect()
                        })
                        .collect()
                })
                .collect();
            for (i, slot) in out[g * 256..g * 256 + qs.nrows()].iter_mut().enumerate() {
                let per_block: Vec<Vec<(usize, f32)>> =
                    parts.iter().map(|p| p[i].clone()).collect();
                *slot = merge_top_k(per_block, k);
            }
        }
        Ok(out)
    }
}

/// Tables with at least this many rows are searched in parallel blocks.
pub const PARALLEL_ROWS: usize = 65_536;
/// Rows per block of a parallel or batched search.
const BLOCK_ROWS: usize = 8_192;

/// Merge per-block top-k lists (indices already global) into one, best first, ties to the
/// lower index.
fn merge_top_k(parts: Vec<Vec<(usize, f32)>>, k: usize) -> Vec<(usize, f32)> {
    let mut all: Vec<(usize, f32)> = parts.into_iter().flatten().collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

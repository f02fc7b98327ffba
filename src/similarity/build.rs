//! Building the approximate index of a model's item table (`recsys index`): the HNSW graph
//! written beside the model, with its recall measured against exact search.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ann_path, Lookup};
use crate::ann::{Hnsw, HnswParams, Visited};
use crate::error::{Error, Result};

/// What an index build did.
#[derive(Debug, Clone, Serialize)]
pub struct IndexReport {
    /// The graph file written (`DIR/item.hnsw`).
    pub index: PathBuf,
    /// Rows indexed.
    pub rows: usize,
    /// Links per node.
    pub m: usize,
    /// Candidate list size while building.
    pub ef_construction: usize,
    /// Seconds to build.
    pub build_s: f64,
    /// Nodes the build's last pass had to link back into the graph.
    pub relinked: usize,
    /// Candidate list size of the recall measurement.
    pub ef: usize,
    /// Recall@10 against exact search on up to 200 rows spread over the table.
    #[serde(rename = "recall@10")]
    pub recall_at_10: f64,
}

/// Build the HNSW graph of the item table of the model in `dir` on `threads` threads, write
/// it beside the model (where [`Lookup::open`] finds it), and measure its recall@10 at `ef`
/// against exact search on up to 200 rows spread over the table.
pub fn build_item_index(
    dir: &Path,
    params: HnswParams,
    ef: usize,
    threads: usize,
) -> Result<IndexReport> {
    let lookup = Lookup::open(dir)?;
    let idx = lookup.items().ok_or_else(|| {
        Error::NotFound(format!(
            "model {} has no item table to index",
            dir.display()
        ))
    })?;
    let table = idx.table();
    let flat = table
        .as_slice()
        .ok_or_else(|| Error::Param("the item table is not contiguous".into()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Param(format!("cannot start {threads} threads: {e}")))?;
    let (m, ef_construction) = (params.m, params.ef_construction);
    let t0 = std::time::Instant::now();
    let g = pool.install(|| Hnsw::build(flat, table.ncols(), params))?;
    let build_s = t0.elapsed().as_secs_f64();
    let n = table.nrows();
    let step = (n / 200).max(1);
    let mut vis = Visited::new(n);
    let (mut hits, mut total) = (0usize, 0usize);
    for r in (0..n).step_by(step).take(200) {
        let q = table.row(r).to_vec();
        let exact = idx.search(&q, 10, |_| false)?;
        let got = g.search(flat, &q, 10, ef, &mut vis)?;
        hits += got
            .iter()
            .filter(|x| exact.iter().any(|e| e.0 == x.0))
            .count();
        total += exact.len();
    }
    let path = ann_path(dir, "item");
    g.write(&path)?;
    Ok(IndexReport {
        index: path,
        rows: n,
        m,
        ef_construction,
        build_s,
        relinked: g.relinked(),
        ef,
        recall_at_10: hits as f64 / total.max(1) as f64,
    })
}

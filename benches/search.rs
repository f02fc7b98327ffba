//! Exact top-10 search (issue 8): recsys's `Index` (cosine over a normalised `f32` table)
//! beside numpy brute force and faiss `IndexFlatIP`, same tables and queries, same run:
//! single-query latency (median of 100) and batch throughput (1,000 queries at once), on a
//! 10k × 64 and a 1M × 100 table of Gaussian rows (queries Gaussian too: the worst case for
//! any graph index), and a 1M × 100 low-rank table shaped like trained embeddings (16 latent
//! dimensions plus noise; queries from the same distribution). On the
//! 1M tables also the HNSW graph (`recsys::ann`, M = 16, efConstruction = 100) beside faiss's
//! `IndexHNSWFlat` with the same settings: build time, and recall@10 against exact search and
//! throughput (1,000 queries over 2 threads) at efSearch 32–256. Prints markdown.
//!
//! ```text
//! RECSYS_BENCH_PYTHON=.venv-bench/bin/python cargo bench --bench search
//! ```
//! Environment: `RECSYS_BENCH_PYTHON` (with numpy and faiss-cpu), `RECSYS_BENCH_THREADS`
//! (default 2).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use recsys::ann::{Hnsw, HnswParams, Visited};
use recsys::checkpoint::formats::npy;
use recsys::similarity::{Index, Metric};

/// Rows like a trained embedding table: a 16-dimensional latent Gaussian mapped into `dim`
/// dimensions by a fixed random matrix, plus 10 % noise (low intrinsic dimension). Queries
/// come from the same distribution (fresh draws of the latent vector).
fn low_rank(rows: usize, dim: usize, seed: u64) -> Array2<f32> {
    let basis = gaussian(16, dim, 0x1a7e);
    let z = gaussian(rows, 16, seed);
    let noise = gaussian(rows, dim, seed ^ 0x5eed);
    let mut t = z.dot(&basis);
    t.zip_mut_with(&noise, |v, n| *v += 0.1 * 4.0 * n);
    t
}

fn gaussian(rows: usize, dim: usize, seed: u64) -> Array2<f32> {
    use rand::Rng;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_simple_fn((rows, dim), || {
        let u1: f32 = rng.random::<f32>().max(f32::MIN_POSITIVE);
        let u2: f32 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let threads: usize = std::env::var("RECSYS_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("rayon pool");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-search");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let sizes = [
        ("t10k_64", 10_000, 64),
        ("t1m_100", 1_000_000, 100),
        ("u1m_100_lowrank", 1_000_000, 100),
    ];
    let only = std::env::var("RECSYS_BENCH_TABLES").unwrap_or_default();
    let mut ours = Vec::new();
    let mut ann_rows = Vec::new();
    for (i, &(name, rows, dim)) in sizes.iter().enumerate() {
        if !only.is_empty() && !only.split(',').any(|o| o == name) {
            continue;
        }
        let (t, q) = if name.contains("lowrank") {
            (
                low_rank(rows, dim, 1 + i as u64),
                low_rank(1000, dim, 100 + i as u64),
            )
        } else {
            (
                gaussian(rows, dim, 1 + i as u64),
                gaussian(1000, dim, 100 + i as u64),
            )
        };
        let keys: Vec<String> = (0..rows).map(|r| r.to_string()).collect();
        npy::write(&work.join(format!("{name}.npy")), &keys, t.view()).expect("npy");
        let qk: Vec<String> = (0..1000).map(|r| r.to_string()).collect();
        npy::write(&work.join(format!("{name}.q.npy")), &qk, q.view()).expect("npy");
        let idx = Index::new(t.view(), Metric::Cosine);
        let mut lat = Vec::new();
        let mut single_ids = Vec::new();
        for r in 0..100 {
            let qv = q.row(r).to_vec();
            let t0 = Instant::now();
            let hits = idx.search(&qv, 10, |_| false).expect("search");
            lat.push(t0.elapsed().as_secs_f64());
            single_ids.push(hits.iter().map(|h| h.0).collect::<Vec<_>>());
        }
        let t0 = Instant::now();
        let batch = idx.search_batch(q.view(), 10).expect("batch");
        let qps = 1000.0 / t0.elapsed().as_secs_f64();
        if rows >= 100_000 {
            let mut tn = t.clone();
            recsys::similarity::normalize_rows(&mut tn);
            let mut qn = q.clone();
            recsys::similarity::normalize_rows(&mut qn);
            let flat = tn.as_slice().expect("contiguous");
            let t0 = Instant::now();
            let g = Hnsw::build(flat, dim, HnswParams::default()).expect("hnsw");
            let build_s = t0.elapsed().as_secs_f64();
            eprintln!(
                "{name}: HNSW built in {build_s:.0} s; {} of {rows} nodes relinked on layer 0",
                g.relinked()
            );
            for ef in [32, 64, 128, 256] {
                let t0 = Instant::now();
                let got: Vec<Vec<usize>> = (0..1000)
                    .into_par_iter()
                    .map_init(
                        || Visited::new(rows),
                        |vis, r| {
                            let qv = qn.row(r).to_vec();
                            g.search(flat, &qv, 10, ef, vis)
                                .expect("search")
                                .into_iter()
                                .map(|x| x.0)
                                .collect()
                        },
                    )
                    .collect();
                let ann_qps = 1000.0 / t0.elapsed().as_secs_f64();
                let hits: usize = got
                    .iter()
                    .zip(&batch)
                    .map(|(a, e)| a.iter().filter(|x| e.iter().any(|h| h.0 == **x)).count())
                    .sum();
                ann_rows.push((
                    name,
                    rows,
                    dim,
                    build_s,
                    ef,
                    hits as f64 / 10_000.0,
                    ann_qps,
                    qps,
                ));
            }
        }
        ours.push((name, rows, dim, median(lat) * 1e3, qps, batch, single_ids));
    }
    let py = std::env::var("RECSYS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&py)
        .arg(root.join("benches/search_peers.py"))
        .arg(&work)
        .arg(threads.to_string())
        .output()
        .expect("run the python peers (set RECSYS_BENCH_PYTHON)");
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let peers: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    println!(
        "numpy {}, faiss {}, {threads} threads\n",
        peers["numpy"], peers["faiss"]
    );
    println!(
        "| table | engine | single query, median | batch of 1,000, queries/s | top-10 = numpy's |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (name, rows, dim, lat, qps, batch, single) in &ours {
        let p = &peers["tables"][*name];
        let np_ids: Vec<Vec<usize>> = p["numpy_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        r.as_array()
                            .map(|x| {
                                x.iter()
                                    .filter_map(|v| v.as_u64())
                                    .map(|v| v as usize)
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let agree = batch
            .iter()
            .zip(&np_ids)
            .filter(|(b, n)| b.iter().map(|h| h.0).collect::<Vec<_>>() == **n)
            .count() as f64
            / np_ids.len().max(1) as f64;
        let single_agree = single.iter().zip(&np_ids).filter(|(s, n)| s == n).count() as f64
            / single.len().max(1) as f64;
        let label = format!("{rows}×{dim}");
        println!(
            "| {label} | recsys | {lat:.3} ms | {qps:.0} | {:.3} (single {:.2}) |",
            agree, single_agree
        );
        let f = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "| {label} | numpy | {:.3} ms | {:.0} | — |",
            f("numpy_single_ms"),
            f("numpy_batch_qps")
        );
        println!(
            "| {label} | faiss IndexFlatIP | {:.3} ms | {:.0} | top-1 agrees with numpy {:.3} |",
            f("faiss_single_ms"),
            f("faiss_batch_qps"),
            f("faiss_numpy_top1_agree")
        );
        println!(
            "| {label} | recsys vs numpy / faiss | {:.1}× / {:.1}× faster | {:.1}× / {:.1}× | |",
            f("numpy_single_ms") / lat,
            f("faiss_single_ms") / lat,
            qps / f("numpy_batch_qps"),
            qps / f("faiss_batch_qps")
        );
    }
    println!("\n| table | engine | build | efSearch | recall@10 | queries/s (2 threads) | vs exact batch |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, rows, dim, build_s, ef, recall, ann_qps, exact_qps) in &ann_rows {
        let label = format!(
            "{rows}×{dim} {}",
            if name.contains("lowrank") {
                "low-rank (embedding-like)"
            } else {
                "Gaussian"
            }
        );
        println!(
            "| {label} | recsys HNSW | {build_s:.0} s | {ef} | {recall:.3} | {ann_qps:.0} | {:.1}× |",
            ann_qps / exact_qps
        );
        let p = &peers["tables"][*name];
        let h = &p[format!("faiss_hnsw_ef{ef}")];
        if !h.is_null() {
            println!(
                "| {label} | faiss HNSW | {:.0} s | {ef} | {:.3} | {:.0} | {:.1}× vs faiss flat |",
                p["faiss_hnsw_build_s"].as_f64().unwrap_or(f64::NAN),
                h["recall@10"].as_f64().unwrap_or(f64::NAN),
                h["qps"].as_f64().unwrap_or(f64::NAN),
                h["qps"].as_f64().unwrap_or(f64::NAN)
                    / p["faiss_batch_qps"].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

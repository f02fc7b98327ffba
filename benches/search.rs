//! Exact top-10 search (issue 8): recsys's `Index` (cosine over a normalised `f32` table)
//! beside numpy brute force and faiss `IndexFlatIP`, same tables and queries, same run:
//! single-query latency (median of 100) and batch throughput (1,000 queries at once), on a
//! 10k × 64 and a 1M × 100 table of Gaussian rows. Prints markdown.
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
use recsys::checkpoint::formats::npy;
use recsys::similarity::{Index, Metric};

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
    let sizes = [("t10k_64", 10_000, 64), ("t1m_100", 1_000_000, 100)];
    let mut ours = Vec::new();
    for (i, &(name, rows, dim)) in sizes.iter().enumerate() {
        let t = gaussian(rows, dim, 1 + i as u64);
        let q = gaussian(1000, dim, 100 + i as u64);
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
        for ef in [64, 128, 256] {
            let h = &p[format!("faiss_hnsw_ef{ef}")];
            if !h.is_null() {
                println!(
                    "| {label} | faiss HNSW M=32 ef={ef} | | {:.0} | recall@10 {:.3} |",
                    h["qps"].as_f64().unwrap_or(f64::NAN),
                    h["recall@10"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

//! Side-by-side benchmark: recsys ALS vs implicit's ALS (`../shared/peers/mf_implicit.py`) on
//! the same `time80_20_per_user` split of MovieLens 100K, in one run, reported as ratios.
//!
//! ```text
//! python3 -m venv .venv-bench && .venv-bench/bin/pip install -r benches/requirements.txt
//! RECSYS_BENCH_PYTHON=.venv-bench/bin/python cargo bench --bench peers
//! ```
//! Environment: `RECSYS_PEERS` (default `../shared/peers`), `RECSYS_BENCH_PYTHON`
//! (default `.venv-bench/bin/python`), `RECSYS_BENCH_REPEATS` (default 5).

use std::path::{Path, PathBuf};
use std::process::Command;

use recsys::data::{read_interactions, Interactions, ReadOptions};
use recsys::eval::evaluate_topk;
use recsys::model::{Model, ITEM_EMBEDDING, USER_EMBEDDING};
use recsys::models::als::{Als, AlsParams};
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::Vocab;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load_split(dir: &Path) -> (Interactions, Interactions) {
    let p = |part: &str| dir.join(format!("ml-100k.time80_20_per_user.{part}.tsv"));
    let opts = ReadOptions::default();
    let mut train =
        read_interactions(&p("train"), &opts, Vocab::new(), Vocab::new()).expect("train split");
    let test = read_interactions(&p("test"), &opts, train.users.clone(), train.items.clone())
        .expect("test split");
    train.users = test.users.clone();
    train.items = test.items.clone();
    (train, test)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let peers = std::env::var("RECSYS_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/peers"));
    let python = std::env::var("RECSYS_BENCH_PYTHON").unwrap_or_else(|_| {
        root.join(".venv-bench/bin/python")
            .to_string_lossy()
            .into_owned()
    });
    let repeats: usize = std::env::var("RECSYS_BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let splits = root.join("target/peer-splits");
    std::fs::create_dir_all(&splits).expect("split dir");

    // 1. The peer, `repeats` times (it also writes the split files on its first run).
    let mut peer_fit = Vec::new();
    let mut peer = serde_json::Value::Null;
    let mut peer_pop = serde_json::Value::Null;
    let mut peer_version = String::new();
    for _ in 0..repeats {
        let out = Command::new(&python)
            .arg(peers.join("mf_implicit.py"))
            .args([
                "--threads",
                "2",
                "--no-bpr",
                "--splits",
                "time80_20_per_user",
            ])
            .env("PEERS_SPLIT_DIR", &splits)
            .output()
            .expect("run the implicit peer (set RECSYS_BENCH_PYTHON)");
        assert!(
            out.status.success(),
            "peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value =
            serde_json::from_str(line.lines().last().unwrap_or("")).expect("peer JSON");
        peer_version = v["version"].as_str().unwrap_or("?").to_string();
        for r in v["runs"].as_array().expect("runs") {
            if r["algo"] == "ALS" && r["variant"] == "conf1" {
                peer_fit.push(r["fit_s"].as_f64().unwrap_or(f64::NAN));
                peer = r.clone();
            }
            if r["algo"] == "popularity" {
                peer_pop = r.clone();
            }
        }
    }
    let (train, test) = load_split(&splits);

    // 2. Metric cross-check: popularity through our evaluation code.
    let counts = train.item_counts();
    let mut pop = Model::for_interactions("popularity", &train, None);
    pop.tables.insert(
        USER_EMBEDDING.into(),
        ndarray::Array2::ones((train.users.len(), 1)),
    );
    pop.tables.insert(
        ITEM_EMBEDDING.into(),
        ndarray::Array2::from_shape_fn((train.items.len(), 1), |(i, _)| counts[i] as f32),
    );
    let popm = evaluate_topk(&Lookup::new(pop), &test, 10).expect("eval");

    // 3. recsys ALS: like-for-like with the peer (c = 1 ⇔ alpha 0, λ 0.05), and our defaults.
    let run = |params: AlsParams| {
        let t = Als::new(params).expect("params");
        let ctx = TrainContext {
            threads: 2,
            seed: 42,
            progress: false,
        };
        let mut fits = Vec::new();
        let mut last = None;
        for _ in 0..repeats {
            let m = t.fit(&train, None, &ctx).expect("fit");
            fits.push(m.info["fit_s"].as_f64().unwrap_or(f64::NAN));
            last = Some(m);
        }
        let m = evaluate_topk(&Lookup::new(last.expect("a run")), &test, 10).expect("eval");
        (median(fits), m)
    };
    let same = AlsParams {
        factors: 64,
        regularization: 0.05,
        alpha: 0.0,
        iterations: 15,
        ..Default::default()
    };
    let (fit_same, m_same) = run(same);
    let (fit_def, m_def) = run(AlsParams::default());
    let pf = median(peer_fit);
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);

    println!("## ALS vs implicit — ML-100K time80_20_per_user, 64 factors, 15 iterations, 2 threads, median of {repeats}\n");
    println!(
        "| run | ndcg@10 | hr@10 | precision@10 | recall@10 | fit_s | fit speed-up vs implicit |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| implicit {} ALS (conf 1, λ 0.05) | {:.4} | {:.4} | {:.4} | {:.4} | {:.3} | 1.00× |",
        peer_version,
        f(&peer["ndcg@10"]),
        f(&peer["hr@10"]),
        f(&peer["precision@10"]),
        f(&peer["recall@10"]),
        pf
    );
    for (name, fit, m) in [
        ("recsys ALS, same model (α 0, λ 0.05)", fit_same, m_same),
        ("recsys ALS, defaults (α 1, λ 10)", fit_def, m_def),
    ] {
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.3} | {:.2}× |",
            m.ndcg,
            m.hr,
            m.precision,
            m.recall,
            fit,
            pf / fit
        );
    }
    println!("\n## Metric cross-check: popularity on the same split\n");
    println!("| implementation | ndcg@10 | hr@10 | precision@10 | recall@10 | users |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| peers/common.py | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
        f(&peer_pop["ndcg@10"]),
        f(&peer_pop["hr@10"]),
        f(&peer_pop["precision@10"]),
        f(&peer_pop["recall@10"]),
        peer_pop["eval_users"]
    );
    println!(
        "| recsys::eval | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
        popm.ndcg, popm.hr, popm.precision, popm.recall, popm.users
    );
}

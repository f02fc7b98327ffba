//! Side-by-side benchmark of recsys and the reference libraries on the same splits, in one
//! run, reported as ratios:
//! - `als` vs implicit ALS and `bpr` vs implicit BPR (`../shared/peers/mf_implicit.py`) on
//!   ML-100K `time80_20_per_user`;
//! - `mf` vs Surprise SVD (`../shared/peers/mf_explicit_surprise.py`) on ML-100K
//!   `random80_20_seed42`;
//! - a metric cross-check: popularity scored by `recsys::eval` and by `peers/common.py`.
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
use recsys::eval::{evaluate_ratings, evaluate_topk};
use recsys::model::{Model, ITEM_EMBEDDING, USER_EMBEDDING};
use recsys::models::als::{Als, AlsParams};
use recsys::models::bpr::Bpr;
use recsys::models::mf::{Mf, MfParams};
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::Vocab;

type Json = serde_json::Value;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load_split(dir: &Path, split: &str) -> (Interactions, Interactions) {
    let p = |part: &str| dir.join(format!("ml-100k.{split}.{part}.tsv"));
    let opts = ReadOptions::default();
    let mut train =
        read_interactions(&p("train"), &opts, Vocab::new(), Vocab::new()).expect("train split");
    let test = read_interactions(&p("test"), &opts, train.users.clone(), train.items.clone())
        .expect("test split");
    train.users = test.users.clone();
    train.items = test.items.clone();
    (train, test)
}

struct Peers {
    python: String,
    dir: PathBuf,
    splits: PathBuf,
    repeats: usize,
}

impl Peers {
    /// Run a peer script `repeats` times; return every run's JSON.
    fn run(&self, script: &str, args: &[&str]) -> Vec<Json> {
        (0..self.repeats)
            .map(|_| {
                let out = Command::new(&self.python)
                    .arg(self.dir.join(script))
                    .args(args)
                    .env("PEERS_SPLIT_DIR", &self.splits)
                    .output()
                    .expect("run a peer (set RECSYS_BENCH_PYTHON)");
                assert!(
                    out.status.success(),
                    "{script} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let line = String::from_utf8_lossy(&out.stdout);
                serde_json::from_str(line.lines().last().unwrap_or("")).expect("peer JSON")
            })
            .collect()
    }
}

/// The runs matching `pred` across repeats: (last run, median fit_s).
fn pick(runs: &[Json], pred: impl Fn(&Json) -> bool) -> (Json, f64) {
    let mut fits = Vec::new();
    let mut last = Json::Null;
    for v in runs {
        for r in v["runs"].as_array().expect("runs") {
            if pred(r) {
                fits.push(r["fit_s"].as_f64().unwrap_or(f64::NAN));
                last = r.clone();
            }
        }
    }
    (
        last,
        if fits.is_empty() {
            f64::NAN
        } else {
            median(fits)
        },
    )
}

fn fit_many(t: &dyn Trainer, train: &Interactions, repeats: usize) -> (Model, f64) {
    let ctx = TrainContext {
        threads: 2,
        seed: 42,
        progress: false,
        ..Default::default()
    };
    let mut fits = Vec::new();
    let mut last = None;
    for _ in 0..repeats {
        let m = t.fit(train, None, &ctx).expect("fit");
        fits.push(m.info.fit_s.unwrap_or(f64::NAN));
        last = Some(m);
    }
    (last.expect("a run"), median(fits))
}

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn topk_row(name: &str, m: (f64, f64, f64, f64), fit: f64, peer_fit: f64) {
    println!(
        "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {fit:.3} | {:.2}× |",
        m.0,
        m.1,
        m.2,
        m.3,
        peer_fit / fit
    );
}

/// ALS and BPR beside implicit on one split, and the popularity cross-check.
fn implicit_section(peers: &Peers, split: &str) {
    let r = peers.repeats;
    // ---- implicit feedback: ALS and BPR vs implicit ----
    let implicit = peers.run("mf_implicit.py", &["--threads", "2", "--splits", split]);
    let version = implicit[0]["version"].as_str().unwrap_or("?").to_string();
    let (als_peer, als_peer_fit) =
        pick(&implicit, |x| x["algo"] == "ALS" && x["variant"] == "conf1");
    let (als41_peer, als41_fit) = pick(&implicit, |x| {
        x["algo"] == "ALS" && x["variant"] == "conf41"
    });
    let (bpr_peer, bpr_peer_fit) = pick(&implicit, |x| x["algo"] == "BPR");
    let (pop_peer, _) = pick(&implicit, |x| x["algo"] == "popularity");
    let (train, test) = load_split(&peers.splits, split);
    let topk = |m: Model| {
        let e = evaluate_topk(&Lookup::new(m), &test, 10).expect("eval");
        (e.ndcg, e.hr, e.precision, e.recall)
    };
    let peer_topk = |p: &Json| {
        (
            f(&p["ndcg@10"]),
            f(&p["hr@10"]),
            f(&p["precision@10"]),
            f(&p["recall@10"]),
        )
    };

    println!("## Implicit feedback — ML-100K {split}, 2 threads, median fit of {r}\n");
    println!("| run | ndcg@10 | hr@10 | precision@10 | recall@10 | fit_s | speed vs peer |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    topk_row(
        &format!("implicit {version} ALS conf1 (64 f, 15 it, λ 0.05)"),
        peer_topk(&als_peer),
        als_peer_fit,
        als_peer_fit,
    );
    // recsys ALS on one of the peer's confidence models (α: c = 1 + α) at λ, timed against `peer_fit`
    let als_row = |name: &str, reg: f32, alpha: f32, peer_fit: f64| {
        let als = Als::new(AlsParams {
            reg,
            alpha,
            ..Default::default()
        })
        .expect("params");
        let (m, fit) = fit_many(&als, &train, r);
        topk_row(name, topk(m), fit, peer_fit);
    };
    als_row(
        "recsys als, same model (α 0, λ 0.05)",
        0.05,
        0.0,
        als_peer_fit,
    );
    topk_row(
        &format!("implicit {version} ALS conf41 (c = 41)"),
        peer_topk(&als41_peer),
        als41_fit,
        als41_fit,
    );
    als_row(
        "recsys als, same model (α 40, λ 0.05)",
        0.05,
        40.0,
        als41_fit,
    );
    // the peer's two confidence models at the λ chosen on validation splits cut from the
    // training files (BENCHMARKS.md, "Thirty seeds on both splits")
    als_row(
        "recsys als, conf1 at the validated λ (α 0, λ 10)",
        10.0,
        0.0,
        als_peer_fit,
    );
    als_row(
        "recsys als, c = 41 at the validated λ (α 40, λ 50)",
        50.0,
        40.0,
        als41_fit,
    );
    let (m, fit) = fit_many(&Als::default(), &train, r);
    topk_row(
        "recsys als, defaults (α 1, λ 10)",
        topk(m),
        fit,
        als_peer_fit,
    );
    topk_row(
        &format!("implicit {version} BPR (64 f, 100 it, lr 0.01)"),
        peer_topk(&bpr_peer),
        bpr_peer_fit,
        bpr_peer_fit,
    );
    let (m, fit) = fit_many(&Bpr::default(), &train, r);
    topk_row(
        "recsys bpr, defaults (64 f, 100 epochs, lr 0.02, λ 0.03, negatives ∝ count^½)",
        topk(m),
        fit,
        bpr_peer_fit,
    );

    // ---- metric cross-check ----
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
    let popm = topk(pop);
    println!("\n## Metric cross-check: popularity on {split}\n");
    println!("| implementation | ndcg@10 | hr@10 | precision@10 | recall@10 |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let p = peer_topk(&pop_peer);
    println!(
        "| peers/common.py | {:.4} | {:.4} | {:.4} | {:.4} |",
        p.0, p.1, p.2, p.3
    );
    println!(
        "| recsys::eval | {:.4} | {:.4} | {:.4} | {:.4} |",
        popm.0, popm.1, popm.2, popm.3
    );

    println!();
}

/// `mf` (defaults, 2 threads; median of the repeats) vs Surprise SVD (its defaults; median of
/// three fits in one interpreter) on the five `u1..u5` folds.
fn folds_section(peers: &Peers, datasets: &Path) {
    const SCRIPT: &str = r#"
import json, sys, time
from surprise import SVD, Dataset, Reader, accuracy
from surprise.model_selection import PredefinedKFold
base, test = sys.argv[1], sys.argv[2]
reader = Reader(line_format="user item rating timestamp", sep="\t", rating_scale=(1, 5))
data = Dataset.load_from_folds([(base, test)], reader=reader)
for tr, te in PredefinedKFold().split(data):
    fits = []
    for _ in range(3):  # median of three in-process fits, as recsys reports a median
        algo = SVD(random_state=0)
        t0 = time.perf_counter(); algo.fit(tr); fits.append(time.perf_counter() - t0)
    fit = sorted(fits)[1]
    preds = algo.test(te)
    print(json.dumps({"rmse": accuracy.rmse(preds, verbose=False), "mae": accuracy.mae(preds, verbose=False), "fit_s": fit}))
"#;
    println!("## Explicit feedback — ML-100K u1..u5 folds (Surprise SVD defaults vs recsys mf defaults, 2 threads)\n");
    println!("| fold | Surprise rmse | recsys rmse | Δ rmse | Surprise fit_s | recsys fit_s | speed-up |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let (mut ds, mut sp) = (Vec::new(), Vec::new());
    for i in 1..=5 {
        let base = datasets.join(format!("movielens-100k/u{i}.base"));
        let test = datasets.join(format!("movielens-100k/u{i}.test"));
        let out = Command::new(&peers.python)
            .arg("-c")
            .arg(SCRIPT)
            .arg(&base)
            .arg(&test)
            .output()
            .expect("run Surprise");
        assert!(
            out.status.success(),
            "Surprise failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Json = serde_json::from_slice(&out.stdout).expect("Surprise JSON");
        let opts = ReadOptions::default();
        let mut train = read_interactions(&base, &opts, Vocab::new(), Vocab::new()).expect("base");
        let te = read_interactions(&test, &opts, train.users.clone(), train.items.clone())
            .expect("test");
        train.users = te.users.clone();
        train.items = te.items.clone();
        let (m, fit) = fit_many(&Mf::default(), &train, peers.repeats);
        let e = evaluate_ratings(&m, &te).expect("rating model");
        let (pr, pf) = (f(&v["rmse"]), f(&v["fit_s"]));
        ds.push(pr - e.rmse);
        sp.push(pf / fit);
        println!(
            "| u{i} | {pr:.4} | {:.4} | {:.4} | {pf:.3} | {fit:.3} | {:.1}× |",
            e.rmse,
            pr - e.rmse,
            pf / fit
        );
    }
    println!(
        "| mean | | | {:.4} | | | {:.1}× |\n",
        ds.iter().sum::<f64>() / 5.0,
        sp.iter().sum::<f64>() / 5.0
    );
}

fn params_svdpp(name: &str) -> bool {
    name.contains("--svdpp")
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let peers = Peers {
        dir: std::env::var("RECSYS_PEERS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root.join("../shared/peers")),
        python: std::env::var("RECSYS_BENCH_PYTHON").unwrap_or_else(|_| {
            root.join(".venv-bench/bin/python")
                .to_string_lossy()
                .into_owned()
        }),
        repeats: std::env::var("RECSYS_BENCH_REPEATS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5),
        splits: root.join("target/peer-splits"),
    };
    std::fs::create_dir_all(&peers.splits).expect("split dir");
    let r = peers.repeats;

    for split in ["time80_20_per_user", "leave_last_out"] {
        implicit_section(&peers, split);
    }

    let datasets = std::env::var("RECSYS_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/datasets"));
    folds_section(&peers, &datasets);

    // ---- explicit feedback: MF vs Surprise SVD ----
    let surprise = peers.run("mf_explicit_surprise.py", &["--threads", "2"]);
    let sv = surprise[0]["version"].as_str().unwrap_or("?").to_string();
    let (svd, svd_fit) = pick(&surprise, |x| x["algo"] == "SVD");
    let (svdpp, svdpp_fit) = pick(&surprise, |x| x["algo"] == "SVDpp");
    let (train, test) = load_split(&peers.splits, "random80_20_seed42");
    println!("\n## Explicit feedback — ML-100K random80_20_seed42, median fit of {r}\n");
    println!("| run | rmse | mae | fit_s | speed vs Surprise |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| Surprise {sv} SVD (100 f, 20 epochs, 1 thread) | {:.4} | {:.4} | {svd_fit:.3} | 1.00× |",
        f(&svd["rmse"]),
        f(&svd["mae"])
    );
    for (name, params, threads) in [
        (
            "recsys mf, Surprise's settings (100 f, 20 ep, lr 0.005, λ 0.02, no decay)",
            MfParams {
                dim: 100,
                epochs: 20,
                lr: 0.005,
                lr_decay: 1.0,
                reg_bias: 0.02,
                reg: 0.02,
                init_std: 0.1,
                svdpp: false,
            },
            1usize,
        ),
        ("recsys mf, defaults, 1 thread", MfParams::default(), 1),
        ("recsys mf, defaults, 2 threads", MfParams::default(), 2),
        (
            "recsys mf --svdpp, Surprise's SVD++ settings (20 f, 20 ep, lr 0.007, λ 0.02)",
            MfParams {
                lr: 0.007,
                reg: 0.02,
                ..MfParams::svdpp_default()
            },
            1,
        ),
        (
            "recsys mf --svdpp, defaults (λ 0.1)",
            MfParams::svdpp_default(),
            1,
        ),
    ] {
        let t = Mf::new(params).expect("params");
        let ctx = TrainContext {
            threads,
            seed: 42,
            progress: false,
            ..Default::default()
        };
        let mut fits = Vec::new();
        let mut last = None;
        for _ in 0..r {
            let m = t.fit(&train, None, &ctx).expect("fit");
            fits.push(m.info.fit_s.unwrap_or(f64::NAN));
            last = Some(m);
        }
        let fit = median(fits);
        let e = evaluate_ratings(&last.expect("a run"), &test).expect("rating model");
        let (peer, peer_fit) = if params_svdpp(name) {
            ("SVD++", svdpp_fit)
        } else {
            ("SVD", svd_fit)
        };
        println!(
            "| {name} | {:.4} | {:.4} | {fit:.3} | {:.1}× vs {peer} |",
            e.rmse,
            e.mae,
            peer_fit / fit
        );
    }
    println!(
        "| Surprise {sv} SVD++ (20 f, 20 epochs, 1 thread) | {:.4} | {:.4} | {svdpp_fit:.3} | 1.00× |",
        f(&svdpp["rmse"]),
        f(&svdpp["mae"])
    );
}

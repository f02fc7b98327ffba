//! Load speed of model directories (issue 7): a 1M × 100 table with a 1M-key vocabulary, and a
//! MovieLens 100K ALS model; `checkpoint::load` and `Lookup::open` (load + normalised index),
//! median of 5, with the bytes on disk. Prints markdown.
//!
//! ```text
//! cargo bench --bench load
//! ```
//! Environment: `RECSYS_DATASETS` (default `../shared/datasets`).

use std::path::Path;
use std::time::Instant;

use recsys::checkpoint;
use recsys::embedding::Initializer;
use recsys::model::{Model, ITEM_EMBEDDING};
use recsys::models::als::Als;
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::Vocab;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn dir_bytes(dir: &Path) -> u64 {
    walk(dir).iter().sum()
}

fn walk(dir: &Path) -> Vec<u64> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if let Ok(m) = e.metadata() {
            out.push(m.len());
        }
    }
    out
}

fn time_load(label: &str, dir: &Path) {
    let load: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let m = checkpoint::load(dir).expect("load");
            std::hint::black_box(&m);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let open: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let l = Lookup::open(dir).expect("open");
            std::hint::black_box(&l);
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "| {label} | {:.1} MB | {:.1} ms | {:.1} ms |",
        dir_bytes(dir) as f64 / 1e6,
        median(load) * 1e3,
        median(open) * 1e3
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-load");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    println!("| model | on disk | checkpoint::load | Lookup::open |");
    println!("| --- | --- | --- | --- |");
    // 1M × 100
    let n = 1_000_000;
    let mut m = Model {
        algo: "synthetic".into(),
        ..Default::default()
    };
    m.tables.insert(
        ITEM_EMBEDDING.into(),
        Initializer::Uniform { scale: 1.0 }.table(n, 100, 1),
    );
    m.vocabs.insert(
        "item".into(),
        Vocab::from_keys((0..n).map(|i| format!("item{i}"))),
    );
    m.item_counts = vec![1; n];
    m.item_info = vec![Default::default(); n];
    let big = work.join("big");
    checkpoint::save(&m, &big).expect("save");
    drop(m);
    time_load("1M × 100 item table, 1M keys", &big);
    // MovieLens 100K ALS
    let data = std::env::var("RECSYS_DATASETS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/datasets"))
        .join("movielens-100k/u.item");
    if data.is_file() {
        let ds = recsys::data::load_dataset(&data, &Default::default()).expect("ml-100k");
        let model = Als::default()
            .fit(
                &ds.interactions,
                ds.catalog.as_ref(),
                &TrainContext::default(),
            )
            .expect("als");
        let ml = work.join("ml100k");
        checkpoint::save(&model, &ml).expect("save");
        time_load(
            "MovieLens 100K ALS (943 users, 1682 items, 64 dims, titles, seen items)",
            &ml,
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

//! Neighbours people recognise: the default model and item-KNN, through the real binary, judged
//! by the franchise families of `benches/franchises/` (written by `benches/franchises.py`).

mod common;
use common::*;

use std::path::PathBuf;

fn families(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("benches/franchises/{name}.tsv"))
}

fn neighbour_eval(model: &std::path::Path, fams: &std::path::Path) -> serde_json::Value {
    json(&ok(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--neighbours",
        fams.to_str().unwrap(),
        "--json",
    ]))
}

/// On the shipped data every family's original has a sequel as its first neighbour, and the
/// default model says it holds both the factors and the item-item table.
#[test]
fn default_model_puts_a_sequel_first_for_every_synthetic_family() {
    let dir = tempdir("nb-synth");
    let model = dir.join("m");
    let out = json(&ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(out["algo"], "als");
    assert_eq!(out["neighbours"]["similarity"], "bm25");
    assert_eq!(out["neighbours"]["neighbours"], 50);
    let r = neighbour_eval(&model, &families("synthetic"));
    assert_eq!(r["families"], 60);
    assert_eq!(r["evaluated"], 60);
    assert_eq!(r["hit_at_5"], 1.0);
    assert_eq!(r["mrr_at_10"], 1.0, "{r}");
    // the factors alone (`--by embedding`) answer too, and differently ranked scores
    let v = json(&ok(&[
        "similar",
        "--model",
        model.to_str().unwrap(),
        "--item",
        "1",
        "--by",
        "embedding",
        "--json",
    ]));
    assert!(v["results"][0]["score"].as_f64().unwrap() <= 1.0 + 1e-6);
    // without the table the manifest has no neighbour tensors
    let bare = dir.join("bare");
    let out = json(&ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--model",
        bare.to_str().unwrap(),
        "--no-neighbours",
        "--json",
    ]));
    assert!(out["neighbours"].is_null());
    let e = fails(&[
        "similar",
        "--model",
        bare.to_str().unwrap(),
        "--item",
        "1",
        "--by",
        "table",
    ]);
    assert!(e.contains("no item-item table"), "{e}");
}

/// MovieLens 100K: the default model finds a sequel among the first five neighbours of more
/// than half of the 24 franchises (implicit's best recipe in the same benchmark: 0.375,
/// BENCHMARKS.md), and its neighbours are less popular than plain ALS's.
#[test]
fn default_model_finds_movielens_sequels() {
    let d = datasets().join("movielens-100k");
    let dir = tempdir("nb-ml");
    let (model, bare) = (dir.join("m"), dir.join("bare"));
    for (m, extra) in [(&model, None), (&bare, Some("--no-neighbours"))] {
        let mut args = vec![
            "train",
            d.join("u.item").to_str().unwrap(),
            "--model",
            m.to_str().unwrap(),
            "--quiet",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.extend(extra.map(String::from));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&a);
    }
    let fams = families("ml-100k");
    let r = neighbour_eval(&model, &fams);
    let plain = neighbour_eval(&bare, &fams);
    assert_eq!(r["evaluated"], 24);
    let hit = r["hit_at_5"].as_f64().unwrap();
    assert!(hit > 0.5, "{r}");
    assert!(hit > plain["hit_at_5"].as_f64().unwrap(), "{r} vs {plain}");
    assert!(
        r["mean_count_at_10"].as_f64().unwrap() < plain["mean_count_at_10"].as_f64().unwrap(),
        "popular-item crowding: {r} vs {plain}"
    );
}

/// `--algo itemknn` answers every look-up: items, movies, users, recommendations (seen items
/// excluded), and refuses what it has no table for.
#[test]
fn itemknn_answers_similar_recommend_and_users() {
    let d = datasets().join("movielens-100k");
    let dir = tempdir("nb-knn");
    let model = dir.join("m");
    let out = json(&ok(&[
        "train",
        d.join("u.item").to_str().unwrap(),
        "--algo",
        "itemknn",
        "--similarity",
        "cosine",
        "--neighbours",
        "20",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(out["algo"], "itemknn");
    let m = model.to_str().unwrap();
    let v = json(&ok(&[
        "similar",
        "--model",
        m,
        "--movie",
        "star wars",
        "-k",
        "25",
        "--json",
    ]));
    let res = v["results"].as_array().unwrap();
    assert_eq!(
        res.len(),
        20,
        "the table keeps 20 per item and there is no embedding"
    );
    assert!(res.iter().any(|h| h["title"]
        .as_str()
        .unwrap()
        .starts_with("Empire Strikes Back")));
    assert!(res.iter().all(|h| h["key"] != "50"));
    let v = json(&ok(&["recommend", "--model", m, "--user", "1", "--json"]));
    let recs = v["results"].as_array().unwrap();
    assert_eq!(recs.len(), 10);
    let seen: Vec<String> = std::fs::read_to_string(d.join("u.data"))
        .unwrap()
        .lines()
        .filter(|l| l.split('\t').next() == Some("1"))
        .map(|l| l.split('\t').nth(1).unwrap().to_string())
        .collect();
    assert!(recs
        .iter()
        .all(|h| !seen.contains(&h["key"].as_str().unwrap().to_string())));
    // a user the model has not seen: the sum of the neighbours of their items
    let v = json(&ok(&[
        "recommend",
        "--model",
        m,
        "--items",
        "50,172,181",
        "-k",
        "5",
        "--json",
    ]));
    let got = v["results"].as_array().unwrap();
    assert_eq!(got.len(), 5);
    assert!(got
        .iter()
        .all(|h| !["50", "172", "181"].contains(&h["key"].as_str().unwrap())));
    let v = json(&ok(&[
        "similar", "--model", m, "--user", "1", "-k", "3", "--json",
    ]));
    assert_eq!(v["results"].as_array().unwrap().len(), 3);
    assert!(v["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["key"] != "1"));
    let e = fails(&["similar", "--model", m, "--item", "50", "--by", "embedding"]);
    assert!(e.contains("no item embedding"), "{e}");
    let e = fails(&[
        "train",
        d.join("u.data").to_str().unwrap(),
        "--algo",
        "itemknn",
        "--neighbours",
        "0",
        "--model",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(e.contains("neighbours"), "{e}");
}

/// A damaged neighbour table is a clear error naming what is wrong, never a panic.
#[test]
fn damaged_neighbour_tables_are_refused() {
    let dir = tempdir("nb-damage");
    let model = dir.join("m");
    ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--algo",
        "itemknn",
        "--model",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    let mut m = recsys::checkpoint::load(&model).unwrap();
    let good = m.neighbours["item"].clone();
    // an index pointing outside the vocabulary
    let nb = m.neighbours.get_mut("item").unwrap();
    nb.indices[0] = 1_000_000;
    let bad = dir.join("bad");
    recsys::checkpoint::save(&m, &bad).unwrap();
    let e = fails(&["similar", "--model", bad.to_str().unwrap(), "--item", "1"]);
    assert!(
        e.contains("neighbour table 'item/neighbours' is inconsistent"),
        "{e}"
    );
    // pointers that do not end at the number of entries
    let mut m2 = m.clone();
    let nb = m2.neighbours.get_mut("item").unwrap();
    *nb = good;
    nb.indptr.pop();
    let bad2 = dir.join("bad2");
    recsys::checkpoint::save(&m2, &bad2).unwrap();
    let e = fails(&["similar", "--model", bad2.to_str().unwrap(), "--item", "1"]);
    assert!(e.contains("inconsistent"), "{e}");
}

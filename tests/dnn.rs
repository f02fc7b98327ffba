//! End-to-end tests of `--algo dnn` through the real binary on MovieLens 100K and the shipped
//! synthetic data.

mod common;
use common::*;

use std::path::Path;

fn schema_100k() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/movielens-100k.toml")
        .display()
        .to_string()
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn eval_on_movielens_100k_learns_and_sizes_tables_by_the_fourth_root_rule() {
    let d = datasets().join("movielens-100k");
    let v = json(&ok(&[
        "eval",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--split",
        "random",
        "--threads",
        "2",
        "--json",
    ]));
    let auc = f(&v["auc"]);
    assert!(auc > 0.74, "auc {auc}");
    assert!(
        f(&v["logloss"]) < f(&v["logloss_constant_baseline"]) - 0.05,
        "{v}"
    );
    assert!(f(&v["accuracy"]) > 0.66, "{v}");
    assert_eq!(v["train_examples"], 80_000);
    assert_eq!(v["test_examples"], 20_000);
    // fourth-root rule: 944 users (943 + 1 OOV) → 6, 168 day×hour cells → 4, 7 age groups → 2
    assert_eq!(v["embedding_dims"]["user"], 6);
    assert_eq!(v["embedding_dims"]["item"], 6);
    assert_eq!(v["embedding_dims"]["day_x_hour"], 4);
    assert_eq!(v["embedding_dims"]["age"], 2);
    assert!(f(&v["fit_s"]) > 0.0 && f(&v["examples_per_s"]) > 0.0);
    let losses = v["train_loss_per_epoch"].as_array().unwrap();
    assert_eq!(losses.len(), 5);
    assert!(f(&losses[4]) < f(&losses[0]), "{losses:?}");
}

#[test]
fn eval_reads_peer_split_files_with_side_tables_from_data() {
    let d = datasets().join("movielens-100k");
    let tmp = tempdir("dnn-split");
    let text = std::fs::read_to_string(d.join("u.data")).unwrap();
    let (mut tr, mut te) = (String::new(), String::new());
    for (i, l) in text.lines().enumerate() {
        let s = if i % 5 == 0 { &mut te } else { &mut tr };
        s.push_str(l);
        s.push('\n');
    }
    std::fs::write(tmp.join("train.tsv"), tr).unwrap();
    std::fs::write(tmp.join("test.tsv"), te).unwrap();
    let v = json(&ok(&[
        "eval",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--train",
        tmp.join("train.tsv").to_str().unwrap(),
        "--test",
        tmp.join("test.tsv").to_str().unwrap(),
        "--optimizer",
        "adam",
        "--lr",
        "0.002",
        "--hidden",
        "32",
        "--validation",
        "0.1",
        "--epochs",
        "8",
        "--threads",
        "1",
        "--json",
    ]));
    assert_eq!(v["test_examples"], 20_000);
    assert!(f(&v["auc"]) > 0.72, "{v}");
    assert_eq!(v["params"]["hidden"], serde_json::json!([32]));
    let vl = v["validation_loss"].as_array().unwrap();
    assert_eq!(vl.len(), v["epochs_run"].as_u64().unwrap() as usize);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn trained_model_saves_every_table_and_a_frozen_prior_stays_bit_identical() {
    let d = datasets().join("movielens-100k");
    let tmp = tempdir("dnn-train");
    let m1 = tmp.join("m1");
    let out = json(&ok(&[
        "train",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--model",
        m1.to_str().unwrap(),
        "--epochs",
        "2",
        "--json",
    ]));
    assert_eq!(out["examples"], 100_000);
    let prior = recsys::checkpoint::load(&m1).unwrap();
    for t in [
        "user",
        "item",
        "genres",
        "age",
        "gender",
        "occupation",
        "day_x_hour",
    ] {
        let table = prior.table(&format!("{t}/embedding")).unwrap();
        assert_eq!(table.nrows(), prior.vocab(t).unwrap().len(), "{t}");
    }
    assert_eq!(prior.table("dnn/dense_0/kernel").unwrap().dim(), (24, 64));
    assert_eq!(prior.vocab("day_x_hour").unwrap().key(32), Some("1 x 8"));
    // similar works on the item table (with titles); recommend explains why it cannot
    let v = json(&ok(&[
        "similar",
        "--movie",
        "star wars",
        "--model",
        m1.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["results"].as_array().unwrap().len(), 10);
    let e = fails(&["recommend", "--user", "1", "--model", m1.to_str().unwrap()]);
    assert!(e.contains("dnn"), "{e}");
    // A second model takes the first one's item table, frozen.
    let m2 = tmp.join("m2");
    let out = json(&ok(&[
        "train",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--model",
        m2.to_str().unwrap(),
        "--init-from",
        m1.to_str().unwrap(),
        "--init-tensor",
        "item/embedding",
        "--freeze",
        "--seed",
        "9",
        "--epochs",
        "2",
        "--json",
    ]));
    assert_eq!(out["init"][0]["matched"], 1683);
    let after = recsys::checkpoint::load(&m2).unwrap();
    assert_eq!(
        after.table("item/embedding").unwrap(),
        prior.table("item/embedding").unwrap(),
        "frozen table changed"
    );
    assert_ne!(
        after.table("user/embedding").unwrap(),
        prior.table("user/embedding").unwrap()
    );
    // The same from the schema: `init_from` + `trainable = false` on the day×hour column.
    let text = std::fs::read_to_string(schema_100k()).unwrap();
    let frozen = text.replace(
        "[[embeddings]]\ncolumn = \"day_x_hour\"\n",
        &format!(
            "[[embeddings]]\ncolumn = \"day_x_hour\"\ninit_from = {:?}\ntrainable = false\n",
            m1.display().to_string()
        ),
    );
    assert_ne!(frozen, text);
    let s = tmp.join("frozen.toml");
    std::fs::write(&s, frozen).unwrap();
    let m3 = tmp.join("m3");
    let out = json(&ok(&[
        "train",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        s.to_str().unwrap(),
        "--model",
        m3.to_str().unwrap(),
        "--epochs",
        "1",
        "--seed",
        "3",
        "--json",
    ]));
    assert_eq!(out["init"][0]["table"], "day_x_hour/embedding");
    assert_eq!(out["init"][0]["matched"], 168);
    let third = recsys::checkpoint::load(&m3).unwrap();
    assert_eq!(
        third.table("day_x_hour/embedding").unwrap(),
        prior.table("day_x_hour/embedding").unwrap()
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn a_label_without_threshold_trains_a_regression() {
    let d = datasets().join("movielens-100k");
    let tmp = tempdir("dnn-regression");
    let text = std::fs::read_to_string(schema_100k()).unwrap();
    let reg = text.replace("threshold = 4.0\n", "");
    assert_ne!(reg, text);
    let s = tmp.join("s.toml");
    std::fs::write(&s, reg).unwrap();
    let v = json(&ok(&[
        "eval",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        s.to_str().unwrap(),
        "--split",
        "random",
        "--optimizer",
        "adam",
        "--lr",
        "0.003",
        "--json",
    ]));
    let rmse = f(&v["rmse"]);
    // the global-mean predictor scores about 1.12 on this split
    assert!(rmse < 1.0, "rmse {rmse}");
    assert!(f(&v["mae"]) < rmse);
    assert!(v.get("auc").is_none());
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn trains_on_the_shipped_synthetic_data_with_the_csv_schema() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/movielens-latest.toml");
    let tmp = tempdir("dnn-synth");
    let data = synthetic();
    let train = |model: &Path, extra: &[&str]| -> String {
        let base = [
            "train",
            data.to_str().unwrap(),
            "--algo",
            "dnn",
            "--schema",
            schema.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
        ];
        ok(&[&base[..], extra].concat())
    };
    let out = json(&train(&tmp.join("m"), &["--json"]));
    assert!(out["examples"].as_u64().unwrap() > 5000);
    assert_eq!(out["embedding_dims"]["day_x_hour"], 4);
    // a run repeats bit for bit for a seed and thread count (shards' gradients are summed in
    // shard order), and another seed gives another model
    let run = |name: &str, seed: &str| {
        let m = tmp.join(name);
        train(
            &m,
            &["--threads", "2", "--epochs", "2", "--seed", seed, "--quiet"],
        );
        recsys::checkpoint::load(&m).unwrap()
    };
    let (a, b, c) = (run("a", "3"), run("b", "3"), run("c", "4"));
    assert!(!a.tables.is_empty());
    for (name, t) in &a.tables {
        assert_eq!(
            Some(t),
            b.tables.get(name),
            "{name}: two 2-thread runs of seed 3 differ"
        );
    }
    assert_eq!(a.vectors, b.vectors);
    assert_ne!(a.tables, c.tables, "seeds 3 and 4 gave the same model");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn dnn_errors_name_the_problem() {
    let d = datasets().join("movielens-100k");
    let e = fails(&["train", d.to_str().unwrap(), "--algo", "dnn"]);
    assert!(e.contains("--schema"), "{e}");
    let e = fails(&[
        "train",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--dim",
        "8",
    ]);
    assert!(e.contains("dimension"), "{e}");
    let e = fails(&[
        "train",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--optimizer",
        "rmsprop",
    ]);
    assert!(e.contains("sgd, adagrad or adam"), "{e}");
    // a schema without a label
    let tmp = tempdir("dnn-errors");
    let text = std::fs::read_to_string(schema_100k()).unwrap();
    let no_label = text.replace("[label]\ncolumn = \"rating\"\nthreshold = 4.0\n", "");
    assert_ne!(no_label, text);
    let s = tmp.join("s.toml");
    std::fs::write(&s, no_label).unwrap();
    let e = fails(&[
        "train",
        d.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        s.to_str().unwrap(),
        "--model",
        tmp.join("m").to_str().unwrap(),
    ]);
    assert!(e.contains("[label]"), "{e}");
    // a rating file with a bad row names file, line and field
    let bad = tmp.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    for f in ["u.item", "u.user"] {
        std::fs::copy(d.join(f), bad.join(f)).unwrap();
    }
    std::fs::write(
        bad.join("u.data"),
        "1\t1\t5\t874965758\n2\t1\tx\t874965758\n",
    )
    .unwrap();
    let e = fails(&[
        "train",
        bad.to_str().unwrap(),
        "--algo",
        "dnn",
        "--schema",
        &schema_100k(),
        "--model",
        tmp.join("m").to_str().unwrap(),
    ]);
    assert!(e.contains("u.data:2") && e.contains("rating"), "{e}");
    let _ = std::fs::remove_dir_all(&tmp);
}

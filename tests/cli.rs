//! End-to-end tests of the `recsys` binary on real files.

mod common;
use common::*;

use recsys::synth::{self, Family, SynthConfig};

fn titles(v: &serde_json::Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn movielens_100k_items_file_finds_ratings_and_star_wars_neighbours() {
    let d = datasets().join("movielens-100k");
    let m = tempdir("ml100k");
    let model = m.join("model");
    let out = json(&ok(&[
        "train",
        d.join("u.item").to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(out["interactions"], 100_000);
    assert_eq!(out["users"], 943);
    assert_eq!(out["items"], 1682);
    assert_eq!(out["titles"], 1682);
    let v = json(&ok(&[
        "similar",
        "--movie",
        "star wars",
        "-k",
        "5",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["query"]["title"], "Star Wars (1977)");
    let t = titles(&v);
    assert!(
        t.iter().any(|x| x.starts_with("Empire Strikes Back")),
        "{t:?}"
    );
    assert!(
        t.iter().any(|x| x.starts_with("Return of the Jedi")),
        "{t:?}"
    );
    assert!(
        !t.iter().any(|x| x == "Star Wars (1977)"),
        "the query is not its own neighbour"
    );
    // latin-1 title survives into the model
    let v = json(&ok(&[
        "similar",
        "--movie",
        "misérables",
        "-k",
        "1",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["query"]["title"], "Misérables, Les (1995)");
    // recommend excludes seen items: user 1 rated items 1..272
    let v = json(&ok(&[
        "recommend",
        "--user",
        "1",
        "-k",
        "10",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    let keys: Vec<u32> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(keys.len(), 10);
    assert!(keys.iter().all(|&k| k > 272), "{keys:?}");
    std::fs::remove_dir_all(&m).unwrap();
}

#[test]
fn latest_csv_folder_puts_shrek_sequels_first() {
    let fam = |titles: &[&str], genres: &[&str]| Family {
        titles: titles.iter().map(|s| s.to_string()).collect(),
        genres: genres.iter().map(|s| s.to_string()).collect(),
    };
    let families = vec![
        fam(
            &[
                "Shrek (2001)",
                "Shrek 2 (2004)",
                "Shrek the Third (2007)",
                "Shrek Forever After (2010)",
            ],
            &["Adventure", "Animation", "Comedy"],
        ),
        fam(
            &[
                "Toy Story (1995)",
                "Toy Story 2 (1999)",
                "Toy Story 3 (2010)",
            ],
            &["Animation", "Children", "Comedy"],
        ),
        fam(
            &["Godfather, The (1972)", "Godfather: Part II, The (1974)"],
            &["Crime", "Drama"],
        ),
        fam(
            &[
                "Matrix, The (1999)",
                "Matrix Reloaded, The (2003)",
                "Matrix Revolutions, The (2003)",
            ],
            &["Action", "Sci-Fi"],
        ),
        fam(
            &["Alien (1979)", "Aliens (1986)", "Alien³ (1992)"],
            &["Horror", "Sci-Fi"],
        ),
        fam(
            &["American President, The (1995)"],
            &["Comedy", "Drama", "Romance"],
        ),
        fam(&["Shrek the Halls (2007)"], &["Animation", "Comedy"]),
    ];
    let data = synth::generate(&SynthConfig {
        seed: 3,
        n_users: 400,
        n_standalone: 60,
        families: Some(families),
        ..Default::default()
    });
    let dir = tempdir("latest");
    data.write(&dir).unwrap();
    let movies = std::fs::read_to_string(dir.join("movies.csv")).unwrap();
    assert!(
        movies.contains("\"Godfather: Part II, The (1974)\""),
        "quoted titles with commas"
    );
    let model = dir.join("model");
    ok(&[
        "train",
        dir.join("movies.csv").to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    let v = json(&ok(&[
        "similar",
        "--movie",
        "shrek",
        "-k",
        "3",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(
        v["query"]["title"], "Shrek (2001)",
        "exact match wins over sequels"
    );
    let mut t = titles(&v);
    t.sort();
    assert_eq!(
        t,
        vec![
            "Shrek 2 (2004)",
            "Shrek Forever After (2010)",
            "Shrek the Third (2007)"
        ]
    );
    let v = json(&ok(&[
        "similar",
        "--movie",
        "the godfather",
        "-k",
        "1",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["query"]["title"], "Godfather, The (1972)");
    assert_eq!(titles(&v), vec!["Godfather: Part II, The (1974)"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shipped_synthetic_data_trains_and_sequels_are_neighbours() {
    let dir = tempdir("synthetic");
    let model = dir.join("model");
    ok(&[
        "train",
        synthetic().join("movies.csv").to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    // For every family's first film, its top neighbour is one of its sequels.
    let movies = std::fs::read_to_string(synthetic().join("movies.csv")).unwrap();
    let all: Vec<String> = movies
        .lines()
        .skip(1)
        .map(|l| {
            if l.contains('"') {
                l.split('"').nth(1).unwrap().to_string()
            } else {
                l.split(',').nth(1).unwrap().to_string()
            }
        })
        .collect();
    let norm: Vec<String> = all.iter().map(|t| recsys::titles::normalize(t)).collect();
    let firsts: Vec<String> = all
        .iter()
        .zip(&norm)
        .filter(|(_, n)| norm.contains(&format!("{n} 2")))
        .map(|(t, _)| t.clone())
        .collect();
    assert!(firsts.len() >= 30, "{}", firsts.len());
    let mut good = 0;
    for t in &firsts {
        let v = json(&ok(&[
            "similar",
            "--movie",
            t,
            "-k",
            "1",
            "--model",
            model.to_str().unwrap(),
            "--json",
            "--quiet",
        ]));
        let top = titles(&v)[0].clone();
        let stem = recsys::titles::normalize(t);
        if recsys::titles::normalize(&top).starts_with(&stem) {
            good += 1;
        }
    }
    assert!(
        good * 10 >= firsts.len() * 9,
        "{good}/{} families have a sequel as top neighbour",
        firsts.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shipped_synthetic_data_is_what_the_generator_writes() {
    let d = synth::generate(&SynthConfig::default());
    assert_eq!(
        std::fs::read_to_string(synthetic().join("movies.csv")).unwrap(),
        d.movies_csv()
    );
    assert_eq!(
        std::fs::read_to_string(synthetic().join("ratings.csv")).unwrap(),
        d.ratings_csv()
    );
}

#[test]
fn eval_on_time_split_beats_popularity_and_prints_design_keys() {
    let d = datasets().join("movielens-100k/u.data");
    let v = json(&ok(&[
        "eval",
        d.to_str().unwrap(),
        "--algo",
        "als",
        "--split",
        "time",
        "--json",
    ]));
    for k in ["precision@10", "recall@10", "hr@10", "ndcg@10", "fit_s"] {
        assert!(v[k].is_number(), "{k} missing: {v}");
    }
    assert_eq!(v["eval_users"], 943);
    // Popularity scores ndcg@10 = 0.1106 on this split (peers); ALS must clearly beat it.
    assert!(v["ndcg@10"].as_f64().unwrap() > 0.15, "{v}");
    // the split's own sampling error beside each metric: positive, and far below the metric
    // for 943 users (one user's NDCG is at most 1, so the se is at most about 1/√943)
    for k in ["ndcg@10", "hr@10"] {
        let se = v[format!("{k}_se")].as_f64().unwrap_or(-1.0);
        assert!(se > 0.0 && se < 0.04, "{k}_se = {se}: {v}");
    }
    let v = json(&ok(&[
        "eval",
        d.to_str().unwrap(),
        "--split",
        "leave-last-out",
        "--json",
        "--epochs",
        "3",
    ]));
    assert_eq!(v["test_interactions"], 943);
}

#[test]
fn export_word2vec_and_projector() {
    let dir = tempdir("export");
    let model = train_synthetic(&dir, 8);
    let w2v = dir.join("items.txt");
    ok(&[
        "export",
        "--format",
        "word2vec",
        "--model",
        model.to_str().unwrap(),
        "--out",
        w2v.to_str().unwrap(),
    ]);
    let (keys, table) = recsys::checkpoint::formats::word2vec::read(&w2v, false).unwrap();
    let m = recsys::checkpoint::load(&model).unwrap();
    assert_eq!(keys, m.vocab("item").unwrap().keys());
    assert_eq!(table, m.tables["item/embedding"]);
    let bin = dir.join("items.bin");
    ok(&[
        "export",
        "--format",
        "word2vec-bin",
        "--model",
        model.to_str().unwrap(),
        "--out",
        bin.to_str().unwrap(),
    ]);
    assert_eq!(
        recsys::checkpoint::formats::word2vec::read(&bin, true)
            .unwrap()
            .1,
        table
    );
    let proj = dir.join("proj");
    ok(&[
        "export",
        "--format",
        "projector",
        "--model",
        model.to_str().unwrap(),
        "--out",
        proj.to_str().unwrap(),
    ]);
    let meta = std::fs::read_to_string(proj.join("metadata.tsv")).unwrap();
    let vecs = std::fs::read_to_string(proj.join("vectors.tsv")).unwrap();
    assert_eq!(meta.lines().count(), keys.len() + 1);
    assert_eq!(vecs.lines().count(), keys.len());
    assert!(meta.starts_with("key\ttitle\tgenres\n"));
    assert_eq!(vecs.lines().next().unwrap().split('\t').count(), 8);
    let e = fails(&[
        "export",
        "--format",
        "word2vec",
        "--model",
        model.to_str().unwrap(),
        "--table",
        "nope",
        "--out",
        w2v.to_str().unwrap(),
    ]);
    assert!(e.contains("item/embedding"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gets_one_clear_line() {
    let dir = tempdir("bad");
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let model = p("model");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let e = fails(&["train", &p("empty.csv"), "--model", &model]);
    assert!(e.contains("empty.csv") && e.contains("empty"), "{e}");
    std::fs::write(dir.join("nouser.csv"), "when,rating\nx,1\n").unwrap();
    let e = fails(&["train", &p("nouser.csv"), "--model", &model]);
    assert!(
        e.contains("nouser.csv") && e.contains("missing column"),
        "{e}"
    );
    std::fs::write(
        dir.join("rating.csv"),
        "userId,movieId,rating\n1,2,4\n1,3,high\n",
    )
    .unwrap();
    let e = fails(&["train", &p("rating.csv"), "--model", &model]);
    assert!(
        e.contains("rating.csv:3") && e.contains("'rating'") && e.contains("high"),
        "{e}"
    );
    std::fs::write(dir.join("short.tsv"), "1\t2\t5\n1\n").unwrap();
    let e = fails(&["train", &p("short.tsv"), "--model", &model]);
    assert!(e.contains("short.tsv:2") && e.contains("fields"), "{e}");
    std::fs::write(dir.join("quote.csv"), "userId,movieId,rating\n1,\"2,3\n").unwrap();
    let e = fails(&["train", &p("quote.csv"), "--model", &model]);
    assert!(e.contains("quote.csv:2") && e.contains("quote"), "{e}");
    fails(&["train", &p("missing.csv"), "--model", &model]);
    // latin-1 bytes in an items file load (and a ratings file beside it is used)
    std::fs::write(
        dir.join("movies.csv"),
        b"movieId,title,genres\n1,Mis\xe9rables (1995),Drama\n2,Heat (1995),Action\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("ratings.csv"),
        "userId,movieId,rating,timestamp\n1,1,5,1\n1,2,4,2\n2,1,3,3\n",
    )
    .unwrap();
    ok(&[
        "train",
        &p("movies.csv"),
        "--model",
        &model,
        "--quiet",
        "--dim",
        "2",
    ]);
    let v = json(&ok(&[
        "similar",
        "--movie",
        "misérables",
        "--model",
        &model,
        "--json",
        "-k",
        "1",
    ]));
    assert_eq!(v["query"]["title"], "Misérables (1995)");
    let e = fails(&["similar", "--movie", "jaws", "--model", &model]);
    assert!(
        e.contains("no title matches 'jaws'") && e.contains("nearest"),
        "{e}"
    );
    let e = fails(&["similar", "--item", "999", "--model", &model]);
    assert!(e.contains("unknown item '999'"), "{e}");
    let e = fails(&["recommend", "--user", "999", "--model", &model]);
    assert!(e.contains("unknown user"), "{e}");
    // a schema naming missing columns
    std::fs::write(dir.join("s.toml"), "name = \"s\"\n[[sources]]\nkind = \"interactions\"\nfile = \"ratings.csv\"\n[roles]\nuser = \"userId\"\nitem = \"itemId\"\n").unwrap();
    let e = fails(&[
        "train",
        &p("ratings.csv"),
        "--schema",
        &p("s.toml"),
        "--model",
        &model,
    ]);
    assert!(e.contains("s.toml") && e.contains("itemId"), "{e}");
    // bad hyper-parameters
    let e = fails(&[
        "train",
        &p("ratings.csv"),
        "--dim",
        "zero",
        "--model",
        &model,
    ]);
    assert!(e.contains("--dim"), "{e}");
    let e = fails(&["train", &p("ratings.csv"), "--reg=-1", "--model", &model]);
    assert!(e.contains("regularization"), "{e}");
    // truncated / corrupted model directory
    let st = dir.join("model/tensors.safetensors");
    let bytes = std::fs::read(&st).unwrap();
    std::fs::write(&st, &bytes[..bytes.len() / 2]).unwrap();
    let e = fails(&["similar", "--item", "1", "--model", &model]);
    assert!(
        e.contains("tensors.safetensors") && e.contains("truncated"),
        "{e}"
    );
    std::fs::write(dir.join("model/manifest.json"), "{not json").unwrap();
    let e = fails(&["similar", "--item", "1", "--model", &model]);
    assert!(e.contains("manifest.json") && e.contains("JSON"), "{e}");
    let e = fails(&["similar", "--item", "1", "--model", &p("nomodel")]);
    assert!(e.contains("no such model directory"), "{e}");
    // training never replaces a directory that is not a model
    std::fs::create_dir_all(dir.join("precious")).unwrap();
    std::fs::write(dir.join("precious/notes.txt"), "keep me").unwrap();
    let e = fails(&[
        "train",
        &p("ratings.csv"),
        "--model",
        &p("precious"),
        "--dim",
        "2",
    ]);
    assert!(e.contains("refusing"), "{e}");
    assert_eq!(
        std::fs::read_to_string(dir.join("precious/notes.txt")).unwrap(),
        "keep me"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mf_reports_rating_metrics_and_bpr_trains_from_the_cli() {
    let d = datasets().join("movielens-100k");
    let (base, test) = (d.join("u1.base"), d.join("u1.test"));
    let (base, test) = (base.to_str().unwrap(), test.to_str().unwrap());
    let eval_mf = |extra: &[&str]| {
        let args = [
            &[
                "eval", "--algo", "mf", "--train", base, "--test", test, "--json",
            ],
            extra,
        ];
        json(&ok(&args.concat()))
    };
    let v = eval_mf(&[]);
    // Surprise SVD's defaults score about 0.95 RMSE on u1; the global mean about 1.15.
    let rmse = v["rmse"].as_f64().unwrap();
    assert!(rmse < 0.935, "{v}");
    assert!(v["mae"].as_f64().unwrap() < rmse);
    // SVD++ adds which items a user rated: lower RMSE than plain MF on the same fold.
    let pp = eval_mf(&["--svdpp"]);
    assert!(pp["rmse"].as_f64().unwrap() < rmse, "{pp}");
    assert_eq!(pp["params"]["svdpp"], true);
    // every optimiser option reaches the trainer: with zero initial factors SGD never moves
    // them (their gradients are products of factors), so only the biases are learned
    let flat = eval_mf(&["--init-std", "0", "--reg-bias", "0.05", "--lr-decay", "0.9"]);
    assert_eq!(flat["params"]["init_std"], 0.0);
    assert_eq!(flat["params"]["lr_decay"].as_f64().unwrap() as f32, 0.9);
    let biases_only = flat["rmse"].as_f64().unwrap();
    assert!(biases_only > rmse && biases_only < 1.0, "{flat}");
    let dir = tempdir("bpr");
    let model = dir.join("model");
    ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--algo",
        "bpr",
        "--model",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    let v = json(&ok(&[
        "similar",
        "--movie",
        "silent river",
        "-k",
        "3",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    let t = titles(&v);
    assert!(t.iter().all(|x| x.starts_with("Silent River")), "{t:?}");
    let m = recsys::checkpoint::load(&model).unwrap();
    assert_eq!(m.algo, "bpr");
    assert!(m.vectors.contains_key("item/bias"));
    // negatives ∝ count^0.5 by default, the hybrid's uniform; --ns-exponent sets either
    assert_eq!(m.params["ns_exponent"], 0.5);
    let v = json(&ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--algo",
        "bpr",
        "--item-features",
        "--model",
        model.to_str().unwrap(),
        "--epochs",
        "2",
        "--json",
    ]));
    assert!(v["model"].is_string(), "{v}");
    let m = recsys::checkpoint::load(&model).unwrap();
    assert_eq!(m.params["ns_exponent"], 0.0);
    let e = fails(&[
        "train",
        synthetic().to_str().unwrap(),
        "--algo",
        "bpr",
        "--ns-exponent",
        "9",
        "--model",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert!(e.contains("neg_exponent"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_from_prior_model_and_word2vec_file_with_freeze() {
    let dir = tempdir("transfer");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let prior = dir.join("prior");
    ok(&[
        "train",
        &s(&synthetic()),
        "--model",
        &s(&prior),
        "--quiet",
        "--dim",
        "16",
    ]);
    // BPR starting from ALS item vectors, frozen: every item row is the prior's, bit for bit.
    let out = dir.join("bpr");
    let v = json(&ok(&[
        "train",
        &s(&synthetic()),
        "--algo",
        "bpr",
        "--dim",
        "16",
        "--model",
        &s(&out),
        "--init-from",
        &s(&prior),
        "--freeze",
        "--epochs",
        "5",
        "--json",
    ]));
    assert_eq!(v["init"][0]["matched"], 306);
    assert_eq!(v["init"][0]["unmatched"], 0);
    assert_eq!(v["init"][0]["frozen"], true);
    let a = recsys::checkpoint::load(&prior).unwrap();
    let b = recsys::checkpoint::load(&out).unwrap();
    assert_eq!(a.tables["item/embedding"], b.tables["item/embedding"]);
    assert_ne!(a.tables["user/embedding"], b.tables["user/embedding"]);
    // From a word2vec file exported by recsys, and from GloVe and .npy exports.
    let w2v = dir.join("items.txt");
    ok(&[
        "export",
        "--format",
        "word2vec",
        "--model",
        &s(&prior),
        "--out",
        &s(&w2v),
    ]);
    let glove = dir.join("items.glove");
    ok(&[
        "export",
        "--format",
        "glove",
        "--model",
        &s(&prior),
        "--out",
        &s(&glove),
    ]);
    let npy = dir.join("items.npy");
    ok(&[
        "export",
        "--format",
        "npy",
        "--model",
        &s(&prior),
        "--out",
        &s(&npy),
    ]);
    assert_eq!(
        recsys::checkpoint::formats::npy::read(&npy).unwrap(),
        a.tables["item/embedding"]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("items.npy.keys.txt"))
            .unwrap()
            .lines()
            .count(),
        306
    );
    for f in [&w2v, &glove] {
        let m = dir.join("from-file");
        ok(&[
            "train",
            &s(&synthetic()),
            "--dim",
            "16",
            "--model",
            &s(&m),
            "--init-from",
            &s(f),
            "--freeze",
            "--quiet",
        ]);
        assert_eq!(
            recsys::checkpoint::load(&m).unwrap().tables["item/embedding"],
            a.tables["item/embedding"]
        );
    }
    // A width mismatch names both widths and the fix.
    let e = fails(&[
        "train",
        &s(&synthetic()),
        "--algo",
        "mf",
        "--model",
        &s(&dir.join("x")),
        "--init-from",
        &s(&prior),
    ]);
    assert!(e.contains("dimension 16") && e.contains("--dim 16"), "{e}");
    let e = fails(&[
        "train",
        &s(&synthetic()),
        "--model",
        &s(&dir.join("x")),
        "--init-from",
        &s(&prior),
        "--init-tensor",
        "word/embedding",
    ]);
    assert!(e.contains("word/embedding"), "{e}");
    // The same from a schema: `init_from` + `trainable = false` on the item column.
    let latest =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/movielens-latest.toml");
    let text = std::fs::read_to_string(&latest).unwrap();
    let with_prior = text.replace(
        "[[embeddings]]\ncolumn = \"item\"\n",
        &format!(
            "[[embeddings]]\ncolumn = \"item\"\ninit_from = {:?}\ntrainable = false\n",
            s(&prior)
        ),
    );
    assert_ne!(with_prior, text);
    let schema = dir.join("prior.toml");
    std::fs::write(&schema, &with_prior).unwrap();
    let m = dir.join("from-schema");
    let v = json(&ok(&[
        "train",
        &s(&synthetic()),
        "--algo",
        "bpr",
        "--dim",
        "16",
        "--schema",
        &s(&schema),
        "--model",
        &s(&m),
        "--json",
    ]));
    assert_eq!(v["init"][0]["frozen"], true);
    assert_eq!(
        recsys::checkpoint::load(&m).unwrap().tables["item/embedding"],
        a.tables["item/embedding"]
    );
    // `trainable = false` with nothing to start from is an error for the factorisations
    let frozen_only = text.replace(
        "[[embeddings]]\ncolumn = \"item\"\n",
        "[[embeddings]]\ncolumn = \"item\"\ntrainable = false\n",
    );
    std::fs::write(&schema, frozen_only).unwrap();
    let e = fails(&[
        "train",
        &s(&synthetic()),
        "--schema",
        &s(&schema),
        "--model",
        &s(&dir.join("x")),
    ]);
    assert!(
        e.contains("trainable = false") && e.contains("init_from"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tune_searches_a_parameter_over_folds() {
    let d = datasets().join("movielens-100k");
    let fold = |i: u32| {
        format!(
            "{}:{}",
            d.join(format!("u{i}.base")).display(),
            d.join(format!("u{i}.test")).display()
        )
    };
    let (f1, f2) = (fold(1), fold(2));
    let v = json(&ok(&[
        "tune", "--algo", "mf", "--param", "reg", "--range", "0.001:10", "--iters", "6", "--fold",
        &f1, "--fold", &f2, "--epochs", "10", "--json",
    ]));
    assert_eq!(v["folds"], 2);
    assert_eq!(v["metric"], "rmse");
    let best = v["best_value"].as_f64().unwrap();
    assert!(best > 0.001 && best < 10.0, "{v}");
    let trials = v["trials"].as_array().unwrap();
    assert!(trials.len() >= 6);
    // the best is no worse than any candidate tried, including the extremes of the range
    let b = v["best"].as_f64().unwrap();
    assert!(trials
        .iter()
        .all(|t| t["rmse"].as_f64().unwrap() >= b - 1e-12));
    let e = fails(&[
        "tune", "--algo", "mf", "--param", "reg", "--range", "5:1", "--fold", &f1,
    ]);
    assert!(e.contains("0 < lo < hi"), "{e}");
    let e = fails(&["tune", "--algo", "mf", "--param", "reg", "--range", "0.1:1"]);
    assert!(e.contains("--fold"), "{e}");
}

/// Transfer aligns rows by key: a prior whose rows come in another order gives the same
/// model, bit for bit, as the prior in its own order.
#[test]
fn a_prior_in_shuffled_order_gives_the_same_model() {
    let dir = tempdir("transfer-order");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let prior = dir.join("prior");
    ok(&[
        "train",
        &s(&synthetic()),
        "--model",
        &s(&prior),
        "--quiet",
        "--dim",
        "8",
    ]);
    let txt = dir.join("prior.txt");
    ok(&[
        "export",
        "--format",
        "word2vec",
        "--model",
        &s(&prior),
        "--out",
        &s(&txt),
    ]);
    let text = std::fs::read_to_string(&txt).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    lines.rotate_left(7);
    let shuffled = dir.join("shuffled.txt");
    std::fs::write(&shuffled, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    let train = |from: &std::path::Path, out: &std::path::Path| {
        ok(&[
            "train",
            &s(&synthetic()),
            "--algo",
            "bpr",
            "--dim",
            "8",
            "--threads",
            "1",
            "--init-from",
            &s(from),
            "--model",
            &s(out),
            "--quiet",
        ]);
        recsys::checkpoint::load(out).unwrap()
    };
    let a = train(&txt, &dir.join("a"));
    let b = train(&shuffled, &dir.join("b"));
    assert_eq!(a.tables, b.tables);
    assert_eq!(a.vectors, b.vectors);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cluster_groups_every_item_and_names_central_ones() {
    let dir = tempdir("cluster");
    let m = dir.join("m");
    ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--model",
        m.to_str().unwrap(),
        "--quiet",
    ]);
    let v = json(&ok(&[
        "cluster",
        "--model",
        m.to_str().unwrap(),
        "-k",
        "6",
        "--json",
    ]));
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 6);
    let total: u64 = clusters.iter().map(|c| c["size"].as_u64().unwrap()).sum();
    assert_eq!(total, 306);
    assert!(clusters.iter().all(|c| c["central"][0]["title"]
        .as_str()
        .is_some_and(|t| !t.is_empty())));
    let e = fails(&["cluster", "--model", m.to_str().unwrap(), "-k", "0"]);
    assert!(e.contains("k must be"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--on-bad-row skip` trains on the good rows and reports how many were skipped; the default
/// stops at the first bad row with its file, line and field.
#[test]
fn bad_rows_are_skipped_and_counted_when_asked() {
    let dir = tempdir("bad-rows");
    let f = dir.join("ratings.csv");
    let mut text = String::from("userId,movieId,rating,timestamp\n");
    for u in 0..30 {
        for i in 0..10 {
            text.push_str(&format!(
                "{u},{},{}.0,{}\n",
                (u + i) % 25,
                1 + (u * i) % 5,
                1000 + i
            ));
        }
    }
    text.push_str("7,3,not-a-number,5\n");
    text.push_str("8\n");
    text.push_str("9,4,NaN,6\n");
    text.push_str(",4,3.0,6\n");
    std::fs::write(&f, text).unwrap();
    let fp = f.to_str().unwrap();
    let m = dir.join("m");
    let e = fails(&["train", fp, "--model", m.to_str().unwrap()]);
    assert!(e.contains("ratings.csv:302") && e.contains("rating"), "{e}");
    assert!(!m.exists());
    let out = json(&ok(&[
        "--json",
        "train",
        fp,
        "--on-bad-row",
        "skip",
        "--dim",
        "4",
        "--model",
        m.to_str().unwrap(),
    ]));
    assert_eq!(out["skipped_rows"], 4, "{out}");
    assert_eq!(out["interactions"], 300, "{out}");
    let model = recsys::checkpoint::load(&m).unwrap();
    assert_eq!(model.info.skipped_rows, Some(4));
}

/// Each kind of failure has its own exit code (README "Exit codes"), and with `--json` the
/// error is also one JSON object on stdout naming the kind.
#[test]
fn exit_codes_and_json_errors_tell_the_kind_apart() {
    let dir = tempdir("exit-codes");
    let model = train_synthetic(&dir, 8);
    let m = model.to_str().unwrap();
    let bad_csv = dir.join("bad.csv");
    std::fs::write(&bad_csv, "userId,movieId,rating\n1,2,4\n1,3,notanumber\n").unwrap();
    let missing = dir.join("missing.csv");
    let [x, y, z, nomodel, syn] = [
        dir.join("x"),
        dir.join("y"),
        dir.join("z"),
        dir.join("nomodel"),
        synthetic(),
    ]
    .map(|p| p.to_str().unwrap().to_string());
    let (x, y, z, nomodel, syn) = (&*x, &*y, &*z, &*nomodel, &*syn);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["train", "--bogus-flag"], 2, "usage"),
        (
            vec![
                "train",
                syn,
                "--algo",
                "itemknn",
                "--neighbours",
                "0",
                "--model",
                x,
            ],
            2,
            "usage",
        ),
        (
            vec!["train", bad_csv.to_str().unwrap(), "--model", x],
            3,
            "data",
        ),
        (
            vec!["similar", "--model", m, "--movie", "no such film at all"],
            4,
            "not_found",
        ),
        (
            vec!["similar", "--model", m, "--item", "no-such-key"],
            4,
            "not_found",
        ),
        (
            vec!["similar", "--model", nomodel, "--item", "1"],
            4,
            "not_found",
        ),
        (
            vec!["train", missing.to_str().unwrap(), "--model", y],
            5,
            "io",
        ),
        (
            vec!["train", syn, "--algo", "mf", "--lr", "1000", "--model", z],
            6,
            "diverged",
        ),
    ];
    for (args, code, kind) in cases {
        let o = recsys(&args);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{err}");
        let mut with_json = args.clone();
        with_json.push("--json");
        let o = recsys(&with_json);
        assert_eq!(o.status.code(), Some(code), "{with_json:?}");
        let v = json(&String::from_utf8_lossy(&o.stdout));
        assert_eq!(v["error"]["kind"], kind, "{with_json:?}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    assert!(!dir.join("z").exists(), "a diverged run saves nothing");
}

/// Papercuts met as a new user: a basket file given to item2vec is read as sessions, and to
/// another trainer the error says what to do; item2vec on sessions reports its speed; an
/// alternate title in `(a.k.a. …)` or in parentheses finds the film.
#[test]
fn baskets_speed_and_alternate_titles() {
    let dir = tempdir("papercuts");
    let baskets = dir.join("baskets.txt");
    let mut text = String::new();
    for i in 0..400u32 {
        let n = 2 + (i % 5);
        let line: Vec<String> = (0..n)
            .map(|k| ((i * 7 + k * 13) % 50).to_string())
            .collect();
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    std::fs::write(&baskets, text).unwrap();
    let out = json(&ok(&[
        "train",
        baskets.to_str().unwrap(),
        "--algo",
        "item2vec",
        "--model",
        dir.join("b").to_str().unwrap(),
        "--json",
        "--quiet",
    ]));
    assert_eq!(out["algo"], "item2vec");
    assert_eq!(out["sentences"], 400);
    assert!(out["raw_words_per_s"].as_f64().unwrap() > 0.0, "{out}");
    let e = fails(&[
        "train",
        baskets.to_str().unwrap(),
        "--model",
        dir.join("c").to_str().unwrap(),
    ]);
    assert!(e.contains("--algo item2vec --input sessions"), "{e}");
    // MovieLens 100K writes Se7en as "Seven (Se7en) (1995)"
    let d = datasets().join("movielens-100k");
    let model = dir.join("ml");
    ok(&[
        "train",
        d.join("u.item").to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    for q in ["se7en", "Se7en (1995)", "seven"] {
        let v = json(&ok(&[
            "similar",
            "--model",
            model.to_str().unwrap(),
            "--movie",
            q,
            "--json",
        ]));
        assert_eq!(v["query"]["title"], "Seven (Se7en) (1995)", "{q}");
    }
}

#[test]
fn generate_large_writes_movielens_shaped_data_that_trains() {
    let dir = tempdir("generate-large");
    let out = dir.join("big");
    let v = json(&ok(&[
        "generate",
        "--out",
        out.to_str().unwrap(),
        "--users",
        "400",
        "--items",
        "900",
        "--json",
    ]));
    let n = v["interactions"].as_u64().unwrap();
    assert!(v["median_per_user"].as_f64().unwrap() >= 20.0, "{v}");
    let rows = std::fs::read_to_string(out.join("ratings.csv"))
        .unwrap()
        .lines()
        .count() as u64;
    assert_eq!(rows, n + 1);
    let t = json(&ok(&[
        "train",
        out.to_str().unwrap(),
        "--model",
        dir.join("m").to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(t["interactions"].as_u64(), Some(n), "{t}");
    let e = fails(&[
        "generate",
        "--out",
        out.to_str().unwrap(),
        "--items",
        "900",
        "--interactions-per-user",
        "zipf:3",
    ]);
    assert!(e.contains("lognormal:MEDIAN:SIGMA"), "{e}");
}

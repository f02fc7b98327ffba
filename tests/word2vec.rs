//! word2vec and item2vec through the real binary: training on the Lee corpus and the shipped
//! synthetic data, look-ups, analogies, word-vector evaluation, sessions input, exports that
//! gensim reads, and clear errors.

mod common;
use common::*;

use std::process::Command;

fn lee() -> String {
    datasets()
        .join("lee-corpus/lee_background.cor")
        .to_string_lossy()
        .into_owned()
}

fn train_lee(dir: &std::path::Path, extra: &[&str]) -> (std::path::PathBuf, serde_json::Value) {
    let model = dir.join("w2v");
    let mut args = vec![
        "--json",
        "train",
        &lee_path(),
        "--algo",
        "word2vec",
        "--min-count",
        "3",
        "--epochs",
        "10",
        "--dim",
        "32",
        "--threads",
        "1",
        "--model",
    ];
    let m = model.to_string_lossy().into_owned();
    args.push(&m);
    args.extend_from_slice(extra);
    let out = json(&ok(&args));
    (model, out)
}

fn lee_path() -> &'static str {
    Box::leak(lee().into_boxed_str())
}

#[test]
fn word2vec_trains_on_lee_and_answers_lookups() {
    let dir = tempdir("w2v-lee");
    let (model, out) = train_lee(&dir, &[]);
    assert_eq!(out["algo"], "word2vec");
    assert_eq!(out["corpus_words"], 59_576, "{out}");
    assert_eq!(out["sentences"], 300);
    let vocab = out["vocab"].as_u64().unwrap();
    assert!((1000..5000).contains(&vocab), "{out}");
    assert!(out["raw_words_per_s"].as_f64().unwrap() > 0.0);
    let m = model.to_str().unwrap();
    let s = json(&ok(&[
        "--json", "similar", "--word", "police", "-k", "5", "--model", m,
    ]));
    let res = s["results"].as_array().unwrap();
    assert_eq!(res.len(), 5);
    assert!(res.iter().all(|h| h["key"] != "police"));
    let a = json(&ok(&[
        "--json",
        "similar",
        "--analogy",
        "president - bush + howard",
        "-k",
        "3",
        "--model",
        m,
    ]));
    assert_eq!(
        a["query"]["positive"],
        serde_json::json!(["president", "howard"])
    );
    assert_eq!(a["query"]["negative"], serde_json::json!(["bush"]));
    assert_eq!(a["results"].as_array().unwrap().len(), 3);
    let e = fails(&["similar", "--word", "qwertyuiop", "--model", m]);
    assert!(e.contains("unknown word 'qwertyuiop'"), "{e}");
    let e = fails(&["similar", "--item", "1", "--model", m]);
    assert!(e.contains("item"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dim_auto_applies_the_fourth_root_rule_to_the_vocabulary() {
    let dir = tempdir("w2v-auto");
    let model = dir.join("m");
    let out = json(&ok(&[
        "--json",
        "train",
        &lee(),
        "--algo",
        "word2vec",
        "--dim",
        "auto",
        "--epochs",
        "1",
        "--min-count",
        "3",
        "--model",
        model.to_str().unwrap(),
    ]));
    let v = out["vocab"].as_u64().unwrap() as f64;
    let expect = (v.powf(0.25).round() as usize).max(2);
    assert_eq!(out["params"]["dim"], expect);
    let m = recsys::checkpoint::load(&model).unwrap();
    assert_eq!(m.tables["word/embedding"].ncols(), expect);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_thread_training_is_reproducible_through_the_cli() {
    let dir = tempdir("w2v-repro");
    let (a, _) = train_lee(&dir.join("a"), &["--cbow", "--hs", "--negative", "0"]);
    let (b, _) = train_lee(&dir.join("b"), &["--cbow", "--hs", "--negative", "0"]);
    let ma = recsys::checkpoint::load(&a).unwrap();
    let mb = recsys::checkpoint::load(&b).unwrap();
    assert_eq!(ma.tables["word/embedding"], mb.tables["word/embedding"]);
    assert!(ma.tables.contains_key("word/hs_nodes"));
    assert!(!ma.tables.contains_key("word/context"));
    assert_eq!(ma.params["arch"], "cbow");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The initial learning rate defaults to word2vec.c's: 0.025 for skip-gram, 0.05 for CBOW;
/// `--lr` overrides either.
#[test]
fn the_learning_rate_default_follows_the_architecture() {
    let dir = tempdir("w2v-lr");
    let alpha = |extra: &[&str], name: &str| {
        let (_, out) = train_lee(&dir.join(name), extra);
        out["params"]["lr"].as_f64().unwrap()
    };
    assert!((alpha(&[], "sg") - 0.025).abs() < 1e-7);
    assert!((alpha(&["--cbow"], "cbow") - 0.05).abs() < 1e-7);
    assert!((alpha(&["--cbow", "--lr", "0.025"], "cbow-lr") - 0.025).abs() < 1e-7);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn word_eval_reports_gensim_style_figures() {
    let dir = tempdir("w2v-eval");
    let (model, _) = train_lee(&dir, &[]);
    let ev = datasets().join("word-embedding-eval");
    let q = ev.join("questions-words.txt");
    let ws = ev.join("wordsim353.tsv");
    let sl = ev.join("simlex999.txt");
    let out = json(&ok(&[
        "--json",
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--analogies",
        q.to_str().unwrap(),
        "--word-pairs",
        ws.to_str().unwrap(),
        "--word-pairs",
        sl.to_str().unwrap(),
    ]));
    assert_eq!(out["analogy_questions"], 19_544);
    let covered = out["analogy_covered"].as_u64().unwrap();
    assert!(covered > 0 && covered < 19_544, "{out}");
    let acc = out["analogy_acc"].as_f64().unwrap();
    assert_eq!(
        out["analogy_correct"].as_u64().unwrap() as f64 / covered as f64,
        acc
    );
    // WordSim-353 recomputed here, independently: the pairs whose two words the model knows
    // (case-insensitively), their cosines, Spearman's ρ with average ranks for ties
    let (want_oov, want_rho) = wordsim_by_hand(&model, &ws);
    let oov = out["wordsim353_oov_pct"].as_f64().unwrap();
    assert!((oov - want_oov).abs() < 1e-9, "{oov} vs {want_oov}");
    let rho = out["wordsim353_spearman"].as_f64().unwrap();
    assert!((rho - want_rho).abs() < 1e-6, "{rho} vs {want_rho}");
    assert!(out["simlex999_covered"].as_u64().unwrap() > 0);
    // restricting candidates to 100 words covers fewer questions
    let small = json(&ok(&[
        "--json",
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--analogies",
        q.to_str().unwrap(),
        "--restrict",
        "100",
    ]));
    assert!(small["analogy_covered"].as_u64().unwrap() < covered);
    let e = fails(&["eval", "--model", model.to_str().unwrap()]);
    assert!(e.contains("--analogies"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn item2vec_on_the_synthetic_data_finds_film_families() {
    let dir = tempdir("i2v-synth");
    let model = dir.join("m");
    let data = synthetic().join("movies.csv");
    ok(&[
        "train",
        data.to_str().unwrap(),
        "--algo",
        "item2vec",
        "--threads",
        "1",
        "--epochs",
        "20",
        "--model",
        model.to_str().unwrap(),
    ]);
    let s = json(&ok(&[
        "--json",
        "similar",
        "--movie",
        "silent river",
        "-k",
        "3",
        "--model",
        model.to_str().unwrap(),
    ]));
    let titles: Vec<&str> = s["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap())
        .collect();
    assert!(
        titles
            .iter()
            .filter(|t| t.starts_with("Silent River"))
            .count()
            >= 2,
        "{titles:?}"
    );
    // the manifest records how the query vectors were made (the default recency weighting)
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["params"]["history"], 20, "{manifest}");
    assert!((manifest["params"]["history_decay"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    let err = fails(&[
        "train",
        data.to_str().unwrap(),
        "--algo",
        "item2vec",
        "--history-decay",
        "1.5",
        "--model",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert!(err.contains("history-decay must be in (0, 1]"), "{err}");
    // users get cosine query vectors, so recommend works and excludes seen items
    let r = json(&ok(&[
        "--json",
        "recommend",
        "--user",
        "1",
        "-k",
        "5",
        "--model",
        model.to_str().unwrap(),
    ]));
    assert_eq!(r["results"].as_array().unwrap().len(), 5);
    // eval reports the popularity baseline beside item2vec
    let e = json(&ok(&[
        "--json",
        "eval",
        data.to_str().unwrap(),
        "--algo",
        "item2vec",
        "--split",
        "leave-last-out",
        "--threads",
        "1",
    ]));
    let hr = e["hr@10"].as_f64().unwrap();
    let pop = e["hr@10_popularity"].as_f64().unwrap();
    // leave-last-out holds one test item per user, so the metrics are tied by laws: a user's
    // HR is 0 or 1 (HR = hits / users), recall@10 = HR, precision@10 = HR / 10 — for the
    // model and for the popularity baseline reported beside it
    let users = e["eval_users"].as_f64().unwrap();
    assert_eq!(users, e["test_interactions"].as_f64().unwrap(), "{e}");
    for (h, tag) in [(hr, "item2vec"), (pop, "popularity")] {
        let hits = h * users;
        assert!(
            (hits - hits.round()).abs() < 1e-6 && hits >= 1.0,
            "{tag}: {e}"
        );
    }
    assert!((e["recall@10"].as_f64().unwrap() - hr).abs() < 1e-12, "{e}");
    assert!(
        (e["precision@10"].as_f64().unwrap() - hr / 10.0).abs() < 1e-12,
        "{e}"
    );
    assert!(e["ndcg@10_popularity"].as_f64().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn item2vec_reads_sessions() {
    let dir = tempdir("i2v-sessions");
    let f = dir.join("baskets.txt");
    let mut text = String::new();
    for s in 0..400 {
        let base = if s % 2 == 0 { "a" } else { "b" };
        for j in 0..6 {
            text.push_str(&format!("{base}{} ", (s * 7 + j * 3) % 10));
        }
        text.push('\n');
    }
    std::fs::write(&f, text).unwrap();
    let model = dir.join("m");
    let out = json(&ok(&[
        "--json",
        "train",
        f.to_str().unwrap(),
        "--algo",
        "item2vec",
        "--input",
        "sessions",
        "--dim",
        "8",
        "--sample",
        "0",
        "--threads",
        "1",
        "--model",
        model.to_str().unwrap(),
    ]));
    assert_eq!(out["vocab"], 20);
    assert_eq!(out["sentences"], 400);
    let s = json(&ok(&[
        "--json",
        "similar",
        "--item",
        "a3",
        "-k",
        "5",
        "--model",
        model.to_str().unwrap(),
    ]));
    for h in s["results"].as_array().unwrap() {
        assert!(h["key"].as_str().unwrap().starts_with('a'), "{s}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn word2vec_errors_are_one_line_and_name_the_problem() {
    let dir = tempdir("w2v-errors");
    let e = fails(&["train", "/nonexistent/corpus.txt", "--algo", "word2vec"]);
    assert!(e.contains("/nonexistent/corpus.txt"), "{e}");
    let e = fails(&["train", &lee(), "--algo", "word2vec", "--dim", "wide"]);
    assert!(e.contains("--dim"), "{e}");
    let e = fails(&["train", &lee(), "--algo", "word2vec", "--negative", "0"]);
    assert!(e.contains("--hs"), "{e}");
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let e = fails(&["train", empty.to_str().unwrap(), "--algo", "word2vec"]);
    assert!(e.contains("min_count"), "{e}");
    let model = train_synthetic(&dir, 8);
    let e = fails(&["similar", "--word", "x", "--model", model.to_str().unwrap()]);
    assert!(e.contains("no word"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gensim_loads_our_word_vectors() {
    let python = std::env::var("RECSYS_PYTHON").unwrap_or_else(|_| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".venv/bin/python")
            .to_string_lossy()
            .into_owned()
    });
    let dir = tempdir("w2v-gensim");
    let (model, _) = train_lee(&dir, &[]);
    let bin = dir.join("v.bin");
    ok(&[
        "export",
        "--format",
        "word2vec-bin",
        "--model",
        model.to_str().unwrap(),
        "--out",
        bin.to_str().unwrap(),
    ]);
    let m = recsys::checkpoint::load(&model).unwrap();
    let t = &m.tables["word/embedding"];
    let v = m.vocab("word").unwrap();
    let script = format!(
        r#"
import json
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format({bin:?}, binary=True)
print(json.dumps({{"n": len(kv.index_to_key), "first": kv.index_to_key[0],
  "row": [float(x) for x in kv[kv.index_to_key[7]]], "key7": kv.index_to_key[7],
  "sim": [w for w, _ in kv.most_similar("police", topn=3)]}}))
"#,
        bin = bin.to_str().unwrap()
    );
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .output()
        .expect("run python (README's test command makes .venv)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(g["n"], v.len());
    assert_eq!(g["first"], v.key(0).unwrap());
    assert_eq!(g["key7"], v.key(7).unwrap());
    let row: Vec<f32> = g["row"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(row, t.row(7).to_vec());
    // gensim's neighbours agree with ours
    let ours = json(&ok(&[
        "--json",
        "similar",
        "--word",
        "police",
        "-k",
        "3",
        "--model",
        model.to_str().unwrap(),
    ]));
    let ours: Vec<&str> = ours["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap())
        .collect();
    assert_eq!(g["sim"], serde_json::json!(ours));
    std::fs::remove_dir_all(&dir).unwrap();
}

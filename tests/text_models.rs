//! GloVe and LSA through the real binary on the Lee corpus: training, the saved tables,
//! look-ups, word evaluation, export, transfer of word2vec vectors into GloVe (frozen rows
//! bit-identical), and clear errors.

mod common;
use common::*;

fn lee() -> String {
    datasets()
        .join("lee-corpus/lee_background.cor")
        .to_string_lossy()
        .into_owned()
}

fn eval_file(name: &str) -> String {
    datasets()
        .join("word-embedding-eval")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Train `algo` on Lee (dim 24; min-count 3 and one thread unless `extra` says otherwise).
fn train(
    dir: &std::path::Path,
    name: &str,
    algo: &str,
    extra: &[&str],
) -> (String, serde_json::Value) {
    let model = dir.join(name).to_string_lossy().into_owned();
    let lee = lee();
    let mut args = vec![
        "--json", "train", &lee, "--algo", algo, "--dim", "24", "--model", &model,
    ];
    if !extra.contains(&"--min-count") {
        args.extend(["--min-count", "3"]);
    }
    if !extra.contains(&"--threads") {
        args.extend(["--threads", "1"]);
    }
    args.extend_from_slice(extra);
    let out = json(&ok(&args));
    (model, out)
}

#[test]
fn glove_trains_on_lee_saves_tables_and_answers_lookups() {
    let dir = tempdir("glove-lee");
    let (m, out) = train(&dir, "glove", "glove", &["--epochs", "10"]);
    assert_eq!(out["algo"], "glove");
    assert_eq!(out["corpus_words"], 59_576, "{out}");
    assert!(out["cooc_pairs"].as_u64().unwrap() > 10_000, "{out}");
    let model = recsys::checkpoint::load(m.as_ref()).unwrap();
    let v = model.vocab("word").unwrap();
    let e = model.table("word/embedding").unwrap();
    let c = model.table("word/context").unwrap();
    assert_eq!(e.dim(), (v.len(), 24));
    assert_eq!(c.dim(), e.dim());
    assert_eq!(model.vector("word/bias").unwrap().len(), v.len());
    assert!(e.iter().all(|x| x.is_finite()));
    // the loss is logged per epoch and falls
    let l: Vec<f64> = model.epochs.iter().map(|e| e.loss).collect();
    assert_eq!(l.len(), 10);
    assert!(l[9] < l[0], "{l:?}");
    let s = json(&ok(&[
        "--json", "similar", "--word", "police", "-k", "5", "--model", &m,
    ]));
    let res = s["results"].as_array().unwrap();
    assert_eq!(res.len(), 5);
    assert!(res.iter().all(|h| h["key"] != "police"));
    // evaluation on the standard files works on the saved model
    let ws = eval_file("wordsim353.tsv");
    let r = json(&ok(&["--json", "eval", "--model", &m, "--word-pairs", &ws]));
    assert!(r["wordsim353_covered"].as_u64().unwrap() > 50, "{r}");
    assert!(r["wordsim353_spearman"].as_f64().unwrap().is_finite());
    // export in the word2vec text format
    let out_file = dir.join("glove.txt");
    let o = out_file.to_string_lossy().into_owned();
    ok(&["export", "--format", "word2vec", "--model", &m, "--out", &o]);
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.starts_with(&format!("{} 24\n", v.len())));
}

#[test]
fn glove_repeats_with_one_thread_and_keeps_a_frozen_word2vec_prior() {
    let dir = tempdir("glove-prior");
    let (a, _) = train(&dir, "a", "glove", &["--epochs", "3"]);
    let (b, _) = train(&dir, "b", "glove", &["--epochs", "3"]);
    let (ma, mb) = (
        recsys::checkpoint::load(a.as_ref()).unwrap(),
        recsys::checkpoint::load(b.as_ref()).unwrap(),
    );
    assert_eq!(ma.table("word/embedding"), mb.table("word/embedding"));
    // word2vec vectors on fewer words (min-count 10) as a frozen prior
    let (w, _) = train(
        &dir,
        "w2v",
        "word2vec",
        &["--epochs", "2", "--min-count", "10"],
    );
    let (g, out) = train(
        &dir,
        "g",
        "glove",
        &[
            "--epochs",
            "3",
            "--init-from",
            &w,
            "--init-tensor",
            "word/embedding",
            "--freeze",
        ],
    );
    let init = &out["init"][0];
    assert!(init["matched"].as_u64().unwrap() > 100, "{out}");
    assert!(init["unmatched"].as_u64().unwrap() > 100, "{out}");
    let (mw, mg) = (
        recsys::checkpoint::load(w.as_ref()).unwrap(),
        recsys::checkpoint::load(g.as_ref()).unwrap(),
    );
    let (vw, vg) = (mw.vocab("word").unwrap(), mg.vocab("word").unwrap());
    let (tw, tg) = (
        mw.table("word/embedding").unwrap(),
        mg.table("word/embedding").unwrap(),
    );
    for (r, key) in vw.keys().iter().enumerate() {
        let rg = vg.get(key).unwrap() as usize;
        let same = tw
            .row(r)
            .iter()
            .zip(tg.row(rg))
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "frozen row '{key}' changed");
    }
    // the words without a prior trained away from their random start
    let ga = ma.table("word/embedding").unwrap();
    let va = ma.vocab("word").unwrap();
    let fresh = vg.keys().iter().find(|k| vw.get(k).is_none()).unwrap();
    assert_ne!(
        tg.row(vg.get(fresh).unwrap() as usize),
        ga.row(va.get(fresh).unwrap() as usize)
    );
}

#[test]
fn lsa_ppmi_and_log_count_train_and_evaluate() {
    let dir = tempdir("lsa-lee");
    let (m, out) = train(&dir, "lsa", "lsa", &["--threads", "2"]);
    assert_eq!(out["algo"], "lsa");
    let model = recsys::checkpoint::load(m.as_ref()).unwrap();
    let e = model.table("word/embedding").unwrap();
    assert_eq!(e.ncols(), 24);
    let sv: Vec<f64> = model.info["singular_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(sv.len(), 24);
    assert!(sv.windows(2).all(|w| w[0] >= w[1] - 1e-9), "{sv:?}");
    assert!(sv[23] > 0.0);
    let residual = model.info["residual_share"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&residual));
    // same seed and threads: the same vectors
    let (m2, _) = train(&dir, "lsa2", "lsa", &["--threads", "2"]);
    let again = recsys::checkpoint::load(m2.as_ref()).unwrap();
    assert_eq!(again.table("word/embedding"), model.table("word/embedding"));
    let (lc, _) = train(&dir, "lc", "lsa", &["--weighting", "log-count"]);
    let s = json(&ok(&[
        "--json", "similar", "--word", "police", "-k", "3", "--model", &lc,
    ]));
    assert_eq!(s["results"].as_array().unwrap().len(), 3);
    let ws = eval_file("wordsim353.tsv");
    let lee = lee();
    let r = json(&ok(&[
        "--json",
        "eval",
        &lee,
        "--algo",
        "lsa",
        "--min-count",
        "3",
        "--dim",
        "16",
        "--word-pairs",
        &ws,
    ]));
    assert!(r["svd_s"].as_f64().unwrap() >= 0.0, "{r}");
    assert!(r["wordsim353_spearman"].as_f64().unwrap().is_finite());
}

#[test]
fn text_model_errors_are_one_line_and_clear() {
    let dir = tempdir("text-errors");
    let lee = lee();
    let m = dir.join("x").to_string_lossy().into_owned();
    let e = fails(&[
        "train", &lee, "--algo", "lsa", "--dim", "100000", "--model", &m,
    ]);
    assert!(
        e.contains("more than the") && e.contains("words of the vocabulary"),
        "{e}"
    );
    let e = fails(&[
        "train", &lee, "--algo", "glove", "--x-max", "0", "--model", &m,
    ]);
    assert!(e.contains("x-max must be positive"), "{e}");
    let e = fails(&[
        "train",
        &lee,
        "--algo",
        "glove",
        "--min-count",
        "100000",
        "--model",
        &m,
    ]);
    assert!(!e.is_empty() && !e.contains("panicked"), "{e}");
    let syn = synthetic()
        .join("ratings.csv")
        .to_string_lossy()
        .into_owned();
    let e = fails(&["eval", &syn, "--algo", "glove", "--split", "random"]);
    assert!(!e.contains("panicked"), "{e}");
    let e = fails(&[
        "tune", &syn, "--algo", "lsa", "--param", "reg", "--range", "0.1:1",
    ]);
    assert!(e.contains("lsa is not supported"), "{e}");
    assert!(!std::path::Path::new(&m).exists());
}

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
    let (oov, rho) = common::wordsim_by_hand(m.as_ref(), ws.as_ref());
    assert!(
        (r["wordsim353_spearman"].as_f64().unwrap() - rho).abs() < 1e-6,
        "{r} vs {rho}"
    );
    assert!(
        (r["wordsim353_oov_pct"].as_f64().unwrap() - oov).abs() < 1e-9,
        "{r}"
    );
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
    let sv: Vec<f64> = model.info.singular_values.clone();
    assert_eq!(sv.len(), 24);
    assert!(sv.windows(2).all(|w| w[0] >= w[1] - 1e-9), "{sv:?}");
    assert!(sv[23] > 0.0);
    let residual = model.info.residual_share.unwrap();
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
    // eval trains the same model `train` saves: its ρ is the saved model's, recomputed by hand
    let saved = dir.join("lsa-eval");
    ok(&[
        "train",
        &lee,
        "--algo",
        "lsa",
        "--min-count",
        "3",
        "--dim",
        "16",
        "--model",
        saved.to_str().unwrap(),
    ]);
    let (_, rho) = common::wordsim_by_hand(&saved, ws.as_ref());
    assert!(
        (r["wordsim353_spearman"].as_f64().unwrap() - rho).abs() < 1e-6,
        "{r} vs {rho}"
    );
}

#[test]
fn text_model_errors_are_one_line_and_clear() {
    let dir = tempdir("text-errors");
    let lee = lee();
    let m = dir.join("x").to_string_lossy().into_owned();
    let e = fails(&[
        "train", &lee, "--algo", "lsa", "--dim", "4000", "--model", &m,
    ]);
    assert!(
        e.contains("more than the") && e.contains("words of the vocabulary"),
        "{e}"
    );
    let e = fails(&[
        "train", &lee, "--algo", "lsa", "--dim", "100000", "--model", &m,
    ]);
    assert!(e.contains("at most 4096"), "{e}");
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
    assert!(
        e.contains("no token that reaches min_count") && e.contains("59576 tokens"),
        "{e}"
    );
    let syn = synthetic()
        .join("ratings.csv")
        .to_string_lossy()
        .into_owned();
    let e = fails(&["eval", &syn, "--algo", "glove", "--split", "random"]);
    assert!(
        e.contains("give --analogies FILE and/or --word-pairs FILE"),
        "{e}"
    );
    let e = fails(&[
        "tune", &syn, "--algo", "lsa", "--param", "reg", "--range", "0.1:1",
    ]);
    assert!(e.contains("lsa is not supported"), "{e}");
    assert!(!std::path::Path::new(&m).exists());
}

/// Planted sentiment: positive reviews use words of one set, negative of another, both with
/// shared filler. Returns the labelled TSV and the unlabelled corpus (same generator).
fn planted_reviews(dir: &std::path::Path) -> (String, String, String) {
    let pos = [
        "superb",
        "moving",
        "brilliant",
        "charming",
        "delightful",
        "gripping",
    ];
    let neg = ["tedious", "dull", "clumsy", "boring", "awful", "lifeless"];
    let filler = [
        "the", "film", "plot", "actor", "scene", "story", "camera", "music",
    ];
    let mut state = 12345u64;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let mut review = |good: bool| {
        let words = if good { &pos } else { &neg };
        (0..12)
            .map(|i| {
                if i % 3 == 0 {
                    words[next(words.len())]
                } else {
                    filler[next(filler.len())]
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut train = String::from("label\treview\n");
    let mut test = String::from("label\treview\n");
    let mut corpus = String::new();
    for i in 0..400 {
        let good = i % 2 == 0;
        let r = review(good);
        let target = if i < 300 { &mut train } else { &mut test };
        target.push_str(&format!("{}\t\"{r}\"\n", u8::from(good)));
        corpus.push_str(&review(good));
        corpus.push('\n');
    }
    let (a, b, c) = (
        dir.join("train.tsv"),
        dir.join("test.tsv"),
        dir.join("corpus.txt"),
    );
    std::fs::write(&a, train).unwrap();
    std::fs::write(&b, test).unwrap();
    std::fs::write(&c, corpus).unwrap();
    let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    (s(a), s(b), s(c))
}

#[test]
fn text_column_learns_sentiment_and_a_frozen_word2vec_prior_stays_bit_identical() {
    let dir = tempdir("text-column");
    let (train_f, test_f, corpus) = planted_reviews(&dir);
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/imdb-sentiment.toml")
        .to_string_lossy()
        .into_owned();
    let w2v = dir.join("w2v").to_string_lossy().into_owned();
    ok(&[
        "--quiet",
        "train",
        &corpus,
        "--algo",
        "word2vec",
        "--dim",
        "100",
        "--min-count",
        "1",
        "--epochs",
        "3",
        "--threads",
        "1",
        "--model",
        &w2v,
    ]);
    // random init: the shipped schema's text column learns the planted words
    let r = json(&ok(&[
        "--json",
        "eval",
        "--algo",
        "dnn",
        "--schema",
        &schema,
        "--train",
        &train_f,
        "--test",
        &test_f,
        "--epochs",
        "10",
        "--batch",
        "16",
        "--threads",
        "1",
    ]));
    assert!(r["auc"].as_f64().unwrap() > 0.95, "{r}");
    // frozen prior: train a model, its text table's prior rows are bit-identical
    let frozen = dir.join("frozen").to_string_lossy().into_owned();
    let out = json(&ok(&[
        "--json",
        "train",
        &train_f,
        "--algo",
        "dnn",
        "--schema",
        &schema,
        "--epochs",
        "3",
        "--threads",
        "1",
        "--init-from",
        &w2v,
        "--init-tensor",
        "word/embedding",
        "--freeze",
        "--model",
        &frozen,
    ]));
    assert!(out["init"][0]["matched"].as_u64().unwrap() >= 20, "{out}");
    let prior = recsys::checkpoint::load(w2v.as_ref()).unwrap();
    let m = recsys::checkpoint::load(frozen.as_ref()).unwrap();
    let (pv, mv) = (prior.vocab("word").unwrap(), m.vocab("word").unwrap());
    let (pt, mt) = (
        prior.table("word/embedding").unwrap(),
        m.table("word/embedding").unwrap(),
    );
    let mut checked = 0;
    for (r, key) in mv.keys().iter().enumerate() {
        if let Some(p) = pv.get(key) {
            let same = mt
                .row(r)
                .iter()
                .zip(pt.row(p as usize))
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "frozen row '{key}' changed");
            checked += 1;
        }
    }
    assert!(checked >= 20);
    // fine-tuned: the same rows move
    let tuned = dir.join("tuned").to_string_lossy().into_owned();
    ok(&[
        "--quiet",
        "train",
        &train_f,
        "--algo",
        "dnn",
        "--schema",
        &schema,
        "--epochs",
        "3",
        "--threads",
        "1",
        "--init-from",
        &w2v,
        "--init-tensor",
        "word/embedding",
        "--model",
        &tuned,
    ]);
    let t = recsys::checkpoint::load(tuned.as_ref()).unwrap();
    let tt = t.table("word/embedding").unwrap();
    let tv = t.vocab("word").unwrap();
    let row = tv.get("superb").unwrap() as usize;
    assert_ne!(tt.row(row), pt.row(pv.get("superb").unwrap() as usize));
}

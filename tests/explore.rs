//! `recsys plot` and `recsys debias` through the real binary: maps of the shipped synthetic
//! data (t-SNE and PCA, PNG and SVG, genre colours, labels), training curves, debiasing word
//! vectors trained on the Lee corpus, and clear errors.

mod common;
use common::*;

fn png(p: &std::path::Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.len() > 1000 && &b[1..4] == b"PNG")
}

#[test]
fn maps_and_curves_of_the_synthetic_model() {
    let dir = tempdir("explore-plot");
    let model = train_synthetic(&dir, 16);
    let m = model.to_str().unwrap();
    let out = dir.join("map.png");
    let o = out.to_str().unwrap();
    let r = json(&ok(&[
        "--json",
        "plot",
        "--model",
        m,
        "--out",
        o,
        "--perplexity",
        "10",
        "--iterations",
        "400",
    ]));
    assert!(png(&out));
    assert_eq!(r["method"], "tsne");
    assert_eq!(r["table"], "item/embedding");
    assert!(r["points"].as_u64().unwrap() > 250, "{r}");
    assert!(r["labels_placed"].as_u64().unwrap() >= 10, "{r}");
    // coloured by the items' first genre, KL logged and falling after the exaggeration phase
    assert!(
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "Drama" || g == "Comedy"),
        "{r}"
    );
    let kl: Vec<f64> = r["kl"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[1].as_f64().unwrap())
        .collect();
    assert!(kl[kl.len() - 1] < kl[kl.len() / 2], "{kl:?}");
    // PCA to SVG, labels from a file
    let labels = dir.join("labels.txt");
    std::fs::write(&labels, "1\n2\n3\n").unwrap();
    let svg = dir.join("map.svg");
    let r = json(&ok(&[
        "--json",
        "plot",
        "--model",
        m,
        "--method",
        "pca",
        "--labels",
        labels.to_str().unwrap(),
        "--color-by",
        "cluster",
        "--clusters",
        "4",
        "--out",
        svg.to_str().unwrap(),
    ]));
    assert_eq!(r["labels_placed"], 3, "{r}");
    assert_eq!(r["explained"].as_array().unwrap().len(), 2);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let curves = dir.join("curves.png");
    ok(&[
        "plot",
        "--curves",
        "--model",
        m,
        "--out",
        curves.to_str().unwrap(),
    ]);
    assert!(png(&curves));
    // errors
    let e = fails(&[
        "plot",
        "--model",
        m,
        "--out",
        dir.join("x.gif").to_str().unwrap(),
    ]);
    assert!(e.contains(".png or .svg"), "{e}");
    let e = fails(&[
        "plot",
        "--model",
        m,
        "--table",
        "nope/embedding",
        "--out",
        o,
    ]);
    assert!(e.contains("no table 'nope/embedding'"), "{e}");
    let e = fails(&["plot", "--model", m, "--size", "10x10", "--out", o]);
    assert!(e.contains("--size"), "{e}");
    let e = fails(&["plot", "--model", m, "--perplexity", "500", "--out", o]);
    assert!(e.contains("perplexity"), "{e}");
}

#[test]
fn debias_neutralises_word_vectors_into_a_new_model() {
    let dir = tempdir("explore-debias");
    let lee = datasets().join("lee-corpus/lee_background.cor");
    let w2v = dir.join("w2v");
    let w = w2v.to_str().unwrap();
    ok(&[
        "--quiet",
        "train",
        lee.to_str().unwrap(),
        "--algo",
        "word2vec",
        "--min-count",
        "2",
        "--dim",
        "24",
        "--epochs",
        "3",
        "--threads",
        "1",
        "--model",
        w,
    ]);
    let out = dir.join("debiased");
    let q = datasets().join("word-embedding-eval/questions-words.txt");
    let r = json(&ok(&[
        "--json",
        "debias",
        "--model",
        w,
        "--out",
        out.to_str().unwrap(),
        "--analogies",
        q.to_str().unwrap(),
    ]));
    let rep = &r["report"];
    assert!(rep["pairs_used"].as_u64().unwrap() >= 3, "{r}");
    assert!(
        rep["mean_abs_projection_before"].as_f64().unwrap() > 0.01,
        "{r}"
    );
    assert!(
        rep["mean_abs_projection_after"].as_f64().unwrap() < 1e-5,
        "{r}"
    );
    assert!(r["analogy_acc_before"].is_number() && r["analogy_acc_after"].is_number());
    // the new directory is a model; its neutral words have no component along she − he
    let m = recsys::checkpoint::load(&out).unwrap();
    let v = m.vocab("word").unwrap();
    let t = m.table("word/embedding").unwrap();
    let row = |w: &str| t.row(v.get(w).unwrap() as usize).to_owned();
    let g = &row("he") - &row("she");
    let police = row("police");
    let cos = police.dot(&g) / (police.dot(&police).sqrt() * g.dot(&g).sqrt());
    assert!(cos.abs() < 0.05, "police · (he − she) = {cos}");
    assert!(m.info.debias.is_some() && m.info.debiased_from.is_some());
    // a model without word vectors is refused
    let items = train_synthetic(&dir, 8);
    let e = fails(&[
        "debias",
        "--model",
        items.to_str().unwrap(),
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(e.contains("not a word model"), "{e}");
    let e = fails(&[
        "debias",
        "--model",
        w,
        "--pairs",
        "qq:zz",
        "--out",
        dir.join("y").to_str().unwrap(),
    ]);
    assert!(e.contains("definitional pairs"), "{e}");
}

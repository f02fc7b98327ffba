//! `recsys eval`: ranking, rating, word-vector and neighbour-family metrics.

use std::path::Path;

use anyhow::{bail, Result};
use serde_json::json;

use super::args::{Algo, Cli, EvalArgs, SplitKind};
use super::common::{context, load, peak_rss_mb, print_json, read_pair, split_kind};
use super::params::trainer;
use super::train::fit;
use recsys::checkpoint::{self};
use recsys::eval::{self};
use recsys::similarity::Lookup;

pub(super) fn evaluate_words(cli: &Cli, a: &EvalArgs) -> Result<()> {
    if a.analogies.is_none() && a.word_pairs.is_empty() {
        bail!("give --analogies FILE and/or --word-pairs FILE to evaluate word vectors");
    }
    let (model, trained) = match &a.model {
        Some(dir) => (checkpoint::load(dir)?, false),
        None => (fit(cli, &a.hyper, &a.data, None)?.model, true),
    };
    let (Some(table), Some(vocab)) = (
        model.table(recsys::models::word2vec::WORD_EMBEDDING),
        model.vocab("word"),
    ) else {
        return Err(recsys::Error::NotFound(format!(
            "the model has no word vectors (it was trained with --algo {})",
            model.algo
        ))
        .into());
    };
    let mut out = json!({
        "algo": model.algo,
        "params": model.params,
        "vocab": vocab.len(),
        "restrict": a.restrict,
    });
    if trained {
        let i = &model.info;
        let facts: [(&str, Option<serde_json::Value>); 10] = [
            ("corpus_words", i.corpus_words.map(Into::into)),
            ("sentences", i.sentences.map(Into::into)),
            ("effective_words", i.effective_words.map(Into::into)),
            ("build_vocab_s", i.build_vocab_s.map(Into::into)),
            ("fit_s", i.fit_s.map(Into::into)),
            ("raw_words_per_s", i.raw_words_per_s.map(Into::into)),
            ("count_s", i.count_s.map(Into::into)),
            ("train_s", i.train_s.map(Into::into)),
            ("svd_s", i.svd_s.map(Into::into)),
            ("cooc_pairs", i.cooc_pairs.map(Into::into)),
        ];
        for (k, v) in facts {
            if let Some(v) = v {
                out[k] = v;
            }
        }
        out["epoch_losses"] = model
            .epochs
            .iter()
            .map(|e| e.loss)
            .collect::<Vec<_>>()
            .into();
        out["threads"] = a.hyper.threads.into();
        out["peak_rss_mb"] = peak_rss_mb().into();
    } else if let Some(dir) = &a.model {
        out["model"] = dir.display().to_string().into();
    }
    let mut lines = Vec::new();
    if let Some(q) = &a.analogies {
        let r = eval::words::analogies(table, vocab, q, a.restrict)?;
        out["analogy_acc"] = r.accuracy.into();
        out["analogy_correct"] = r.correct.into();
        out["analogy_covered"] = r.covered.into();
        out["analogy_questions"] = r.questions.into();
        out["analogy_semantic_acc"] = r.semantic_accuracy.into();
        out["analogy_syntactic_acc"] = r.syntactic_accuracy.into();
        out["analogy_sections"] = serde_json::to_value(&r.sections)?;
        lines.push(format!(
            "analogies: {:.4} ({} of {} covered questions; {} in the file; semantic {:.4}, syntactic {:.4})",
            r.accuracy, r.correct, r.covered, r.questions, r.semantic_accuracy, r.syntactic_accuracy
        ));
    }
    for f in &a.word_pairs {
        let r = eval::words::word_pairs(table, vocab, f, a.restrict)?;
        let key: String = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        out[format!("{key}_spearman")] = r.spearman.into();
        out[format!("{key}_pearson")] = r.pearson.into();
        out[format!("{key}_oov_pct")] = r.oov_pct.into();
        out[format!("{key}_covered")] = r.covered.into();
        lines.push(format!(
            "{key}: spearman {:.4}  pearson {:.4}  ({} of {} pairs, {:.1}% OOV)",
            r.spearman, r.pearson, r.covered, r.pairs, r.oov_pct
        ));
    }
    if cli.json {
        print_json(&out);
    } else {
        if trained {
            println!(
                "{}: fit {:.2}s, {} words/s, vocabulary {}",
                model.algo,
                model.info.fit_s.unwrap_or(0.0),
                model.info.raw_words_per_s.unwrap_or(0.0).round(),
                vocab.len()
            );
        }
        for l in lines {
            println!("{l}");
        }
    }
    Ok(())
}

/// `recsys eval --model M --neighbours FAMILIES`: neighbour quality of a saved model.
pub(super) fn evaluate_neighbours(cli: &Cli, model: &Path, families: &Path) -> Result<()> {
    let lookup = Lookup::open(model)?;
    let fams = eval::neighbours::read_families(families)?;
    let r = eval::neighbours::evaluate_neighbours(&lookup, &fams)?;
    if cli.json {
        let mut v = serde_json::to_value(&r)?;
        v["model"] = model.display().to_string().into();
        v["algo"] = lookup.model().algo.clone().into();
        print_json(&v);
        return Ok(());
    }
    println!(
        "neighbours of {} families ({} evaluated, {}): hit@5 {:.3}  MRR@10 {:.3}  mean count of the 10 neighbours {:.1} (all items {:.1})",
        r.families,
        r.evaluated,
        lookup.model().algo,
        r.hit_at_5,
        r.mrr_at_10,
        r.mean_count_at_10,
        r.mean_count
    );
    for f in &r.results {
        println!(
            "  {:>5}  {:<50} first neighbour: {}",
            f.first_rank.map_or("-".to_string(), |x| format!("#{x}")),
            f.title.as_deref().unwrap_or(&f.original),
            f.first_neighbour.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// The top-k metrics as `--json` names them (`ndcg@10`, `hr@10_se`, …).
fn add_topk(out: &mut serde_json::Value, m: &eval::TopK, k: usize) {
    for (name, v) in [
        (format!("precision@{k}"), m.precision),
        (format!("recall@{k}"), m.recall),
        (format!("hr@{k}"), m.hr),
        (format!("ndcg@{k}"), m.ndcg),
        (format!("hr@{k}_se"), m.hr_se),
        (format!("ndcg@{k}_se"), m.ndcg_se),
    ] {
        out[name] = v.into();
    }
    out["eval_users"] = m.users.into();
}

/// `recsys eval --model M --test FILE`: top-k metrics of a saved recommender (trained here,
/// or imported from Spark) on held-out interactions keyed as the model's vocabularies; each
/// user's training items, as the model saved them, are excluded.
fn evaluate_saved(cli: &Cli, lookup: &Lookup, dir: &Path, test: &Path, k: usize) -> Result<()> {
    let model = lookup.model();
    let vocab = |c: &str| model.vocab(c).cloned().unwrap_or_default();
    let test_x = recsys::data::read_interactions(
        test,
        &recsys::data::ReadOptions::default(),
        vocab("user"),
        vocab("item"),
    )?;
    let m = eval::evaluate_topk(lookup, &test_x, k)?;
    if cli.json {
        let mut out = json!({
            "model": dir.display().to_string(),
            "algo": model.algo,
            "test": test.display().to_string(),
            "test_interactions": test_x.len(),
        });
        add_topk(&mut out, &m, k);
        print_json(&out);
    } else {
        println!(
            "{} ({}): precision@{k} {:.4}  recall@{k} {:.4}  hr@{k} {:.4} ± {:.4}  ndcg@{k} {:.4} ± {:.4}  ({} users)",
            dir.display(),
            model.algo,
            m.precision,
            m.recall,
            m.hr,
            m.hr_se,
            m.ndcg,
            m.ndcg_se,
            m.users
        );
    }
    Ok(())
}

pub(super) fn evaluate(cli: &Cli, a: &EvalArgs) -> Result<()> {
    if let (Some(m), Some(f)) = (&a.model, &a.neighbours) {
        return evaluate_neighbours(cli, m, f);
    }
    if let (Some(m), None, Some(te)) = (&a.model, &a.train, &a.test) {
        let lookup = Lookup::open(m)?;
        if lookup.model().vocab("user").is_some() {
            return evaluate_saved(cli, &lookup, m, te, a.k);
        }
    }
    if a.hyper.algo == Algo::Dnn && a.model.is_none() {
        return super::dnn::evaluate(cli, a);
    }
    if a.model.is_some() || matches!(a.hyper.algo, Algo::Word2vec | Algo::Glove | Algo::Lsa) {
        return evaluate_words(cli, a);
    }
    let (train, test, catalog, source) = match (&a.train, &a.test, a.data.as_slice()) {
        (Some(tr), Some(te), []) => {
            let (train, test) = read_pair(tr, te)?;
            (
                train,
                test,
                None,
                json!({"train": tr.display().to_string(), "test": te.display().to_string()}),
            )
        }
        (None, None, [d]) => {
            let ds = load(d, a.hyper.schema.as_deref(), a.hyper.on_bad_row)?;
            let split = split_kind(a.split.unwrap_or(SplitKind::Time), a.hyper.seed);
            let (tr, te) = eval::split_rows(&ds.interactions, split);
            let x = &ds.interactions;
            (
                x.select(&tr),
                x.select(&te),
                ds.catalog.clone(),
                json!({"data": d.display().to_string(), "split": format!("{split:?}")}),
            )
        }
        _ => bail!("give one DATA (with --split) or both --train and --test"),
    };
    // --items names (or replaces) the catalogue: genres for --item-features, titles
    let catalog = match &a.items {
        Some(p) => Some(recsys::data::Catalog::read(p)?),
        None => catalog,
    };
    let t = trainer(&a.hyper, train.items.len())?;
    let model = t.fit(&train, catalog.as_ref(), &context(cli, &a.hyper)?)?;
    let fit_s = model.info.fit_s.unwrap_or(0.0);
    let lookup = Lookup::new(model);
    let m = eval::evaluate_topk(&lookup, &test, a.k)?;
    let k = a.k;
    let mut out = json!({
        "algo": t.name(),
        "source": source,
        "params": lookup.model().params,
        "train_interactions": train.len(),
        "test_interactions": test.len(),
        "fit_s": fit_s,
    });
    add_topk(&mut out, &m, k);
    if a.hyper.algo == Algo::Item2vec {
        // item2vec is always reported beside the popularity baseline
        let p = eval::evaluate_popularity(&train, &test, k);
        out[format!("hr@{k}_popularity")] = p.hr.into();
        out[format!("ndcg@{k}_popularity")] = p.ndcg.into();
    }
    let rating = eval::evaluate_ratings(lookup.model(), &test);
    if let Some(r) = rating {
        out["rmse"] = r.rmse.into();
        out["mae"] = r.mae.into();
    }
    if cli.json {
        print_json(&out);
    } else {
        let rating = rating.map_or(String::new(), |r| {
            format!("rmse {:.4}  mae {:.4}  ", r.rmse, r.mae)
        });
        println!(
            "{}: {rating}precision@{k} {:.4}  recall@{k} {:.4}  hr@{k} {:.4} ± {:.4}  ndcg@{k} {:.4} ± {:.4}  ({} users; ± one standard error over users)  fit {:.3}s",
            t.name(),
            m.precision,
            m.recall,
            m.hr,
            m.hr_se,
            m.ndcg,
            m.ndcg_se,
            m.users,
            fit_s
        );
    }
    Ok(())
}

//! `recsys train`: read the data, one call to [`recsys::train::train_dataset`] (or
//! [`recsys::train::train`] for text and schemas), save, report.

use std::path::Path;

use anyhow::{bail, Result};
use serde_json::json;

use super::args::{Algo, Cli, HyperArgs, InputKind, TrainArgs};
use super::common::{algo_name, context, inits_json, load, note_inits, peak_rss_mb, print_json};
use super::params::{algorithm, knn_params, trainer};
use recsys::checkpoint::{self};
use recsys::data::{self};
use recsys::text::{TextFiles, Tokenizer};
use recsys::train::{self, Algorithm, Input, Job};

/// Algorithms that train on text files (word vectors, or item2vec sessions).
pub(super) fn trains_on_text(h: &HyperArgs) -> bool {
    matches!(h.algo, Algo::Word2vec | Algo::Glove | Algo::Lsa)
        || (h.algo == Algo::Item2vec && h.words.input == InputKind::Sessions)
}

pub(super) fn one_path(paths: &[std::path::PathBuf], algo: Algo) -> Result<&Path> {
    match paths {
        [p] => Ok(p),
        [] => bail!("give the data file"),
        _ => bail!(
            "--algo {} takes one data file or folder, not {}",
            format!("{algo:?}").to_lowercase(),
            paths.len()
        ),
    }
}

pub(super) fn text_files(paths: &[std::path::PathBuf], tokenizer: Tokenizer) -> Result<TextFiles> {
    for p in paths {
        if !p.is_file() {
            bail!(
                "{}: not a file (word2vec reads text files, one sentence per line)",
                p.display()
            );
        }
    }
    Ok(TextFiles {
        paths: paths.to_vec(),
        tokenizer,
    })
}

/// Train word2vec, GloVe, LSA (or item2vec on sessions) on text files.
/// `save_to`: where `--checkpoint-every` saves the model so far (word2vec).
pub(super) fn fit_text(
    cli: &Cli,
    h: &HyperArgs,
    paths: &[std::path::PathBuf],
    save_to: Option<&Path>,
) -> Result<recsys::Model> {
    let ctx = context(cli, h)?;
    let tokenizer = if h.algo == Algo::Item2vec {
        Tokenizer::Whitespace
    } else {
        Tokenizer::Words
    };
    let files = text_files(paths, tokenizer)?;
    let job = Job {
        checkpoint_every: h.start.checkpoint_every.unwrap_or(0),
        ..Job::new(algorithm(h, None)?)
    };
    let mut save = |m: &recsys::Model| -> recsys::Result<()> {
        match save_to {
            Some(dir) => checkpoint::save(m, dir),
            None => Ok(()),
        }
    };
    Ok(train::train(&job, Input::Text(&files), &ctx, &mut save)?)
}

pub(super) fn train_text(cli: &Cli, a: &TrainArgs) -> Result<()> {
    let mut model = fit_text(cli, &a.hyper, &a.data, Some(&a.model))?;
    note_inits(cli, &model);
    model.info.text_files = a.data.iter().map(|p| p.display().to_string()).collect();
    checkpoint::save(&model, &a.model)?;
    let i = &model.info;
    let fit_s = i.fit_s.unwrap_or(0.0);
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": model.algo,
            "params": model.params,
            "vocab": i.vocab,
            "corpus_words": i.corpus_words,
            "sentences": i.sentences,
            "effective_words": i.effective_words,
            "epochs": model.epochs.len(),
            "loss": model.epochs.last().map(|e| e.loss),
            "build_vocab_s": i.build_vocab_s,
            "fit_s": fit_s,
            "raw_words_per_s": i.raw_words_per_s,
            "count_s": i.count_s,
            "cooc_pairs": i.cooc_pairs,
            "threads": a.hyper.threads,
            "peak_rss_mb": peak_rss_mb(),
            "init": inits_json(&model),
        }));
    } else {
        println!(
            "trained {} on {} tokens ({} lines, {} kept in the vocabulary) in {:.2}s ({} words/s) → {}",
            model.algo,
            i.corpus_words.unwrap_or(0),
            i.sentences.unwrap_or(0),
            i.vocab.unwrap_or(0),
            fit_s,
            i.raw_words_per_s.unwrap_or(0.0).round(),
            a.model.display()
        );
    }
    Ok(())
}

pub(super) fn train(cli: &Cli, a: &TrainArgs) -> Result<()> {
    let h = &a.hyper;
    if h.algo == Algo::Dnn {
        return super::dnn::train(cli, a);
    }
    if trains_on_text(h) {
        return train_text(cli, a);
    }
    let path = one_path(&a.data, h.algo)?;
    let baskets = path.is_file() && h.schema.is_none() && data::reader::looks_like_sessions(path);
    if baskets && h.algo == Algo::Item2vec {
        if !cli.quiet {
            eprintln!(
                "note: {} holds one session/basket per line; reading it as sessions (--input sessions)",
                path.display()
            );
        }
        let mut a2 = TrainArgs {
            data: a.data.clone(),
            model: a.model.clone(),
            hyper: a.hyper.clone(),
        };
        a2.hyper.words.input = InputKind::Sessions;
        return train_text(cli, &a2);
    }
    if baskets {
        return Err(recsys::Error::data(
            path,
            format!(
                "looks like one session or basket per line (whitespace-separated item tokens, lines of different lengths or words past the second column), not interaction rows: --algo {} needs user and item columns; train item2vec on it (`--algo item2vec --input sessions`)",
                algo_name(h.algo)
            ),
        )
        .into());
    }
    let ds = load(path, h.schema.as_deref(), h.on_bad_row)?;
    let x = &ds.interactions;
    let t = trainer(&a.hyper, x.items.len())?;
    let ctx = context(cli, &a.hyper)?;
    let job = Job {
        // the default model: ALS factors for `recommend`, an item-item table for `similar`
        item_neighbours: (h.algo == Algo::Als && !h.factors.no_neighbours).then(|| knn_params(h)),
        ..Job::new(algorithm(&a.hyper, Some(x.items.len()))?)
    };
    let model = train::train_dataset(&job, &ds, &ctx, &mut |_| Ok(()))?;
    if let (Algo::Item2vec, false) = (h.algo, cli.quiet) {
        let window = match &job.algorithm {
            Algorithm::Item2vec(p) => p.w2v.window,
            _ => 0,
        };
        if let Some(median) = recsys::models::item2vec::long_histories(x, window) {
            eprintln!(
                "note: users here have {median} items (median), more than item2vec's window of {window}: its neighbours follow when items were rated together more than what they are; for `similar`, the default model (`recsys train DATA`) or `--algo itemknn` find sequels far more often (BENCHMARKS.md, \"Neighbours people recognise\")"
            );
        }
    }
    note_inits(cli, &model);
    checkpoint::save(&model, &a.model)?;
    let fit_s = model.info.fit_s.unwrap_or(0.0);
    let loss = model.epochs.last().map(|e| e.loss);
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": t.name(),
            "interactions": x.len(),
            "users": x.users.len(),
            "items": x.items.len(),
            "titles": ds.catalog.as_ref().map_or(0, |c| c.len()),
            "skipped_rows": x.skipped_rows,
            "epochs": model.epochs.len(),
            "loss": loss,
            "fit_s": fit_s,
            "init": inits_json(&model),
            "neighbours": model.info.neighbours,
        }));
    } else {
        println!(
            "trained {} on {} interactions ({} users, {} items{}) in {:.2}s → {}",
            t.name(),
            x.len(),
            x.users.len(),
            x.items.len(),
            if ds.catalog.is_some() {
                ", with titles"
            } else {
                ""
            },
            fit_s,
            a.model.display()
        );
        if let (Some(nb), false) = (&model.info.neighbours, cli.quiet) {
            eprintln!(
                "note: the model also holds an item-item table ({} similarity, {} neighbours per item): `similar` answers from it, `recommend` from the {} factors (--no-neighbours leaves it out; `similar --by embedding` uses the factors)",
                nb.similarity,
                nb.neighbours,
                t.name()
            );
        }
    }
    Ok(())
}

//! `recsys train`: flags → one call to [`recsys::train::train_files`] → save → report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use super::args::{Algo, BadRow, Cli, HyperArgs, InputKind, TrainArgs};
use super::common::{context, inits_json, note_inits, peak_rss_mb, print_json};
use super::params::{algorithm, knn_params};
use recsys::checkpoint::{self};
use recsys::data::ReadOptions;
use recsys::embedding::Dimension;
use recsys::features::Schema;
use recsys::train::{self, Job, Source, Trained};

/// The job of `recsys train`/`eval` from the flags: the algorithm and its parameters, the
/// width to resolve once the data is read, the item-item table of the default model.
fn job(h: &HyperArgs) -> Result<Job> {
    let dim =
        match &h.dim {
            None => None,
            Some(d) => Some(Dimension::parse(d).with_context(|| {
                format!("--dim must be 'auto' or a positive integer, not '{d}'")
            })?),
        };
    Ok(Job {
        checkpoint_every: h.start.checkpoint_every.unwrap_or(0),
        // the default model: ALS factors for `recommend`, an item-item table for `similar`
        item_neighbours: (h.algo == Algo::Als && !h.factors.no_neighbours).then(|| knn_params(h)),
        dim,
        ..Job::new(algorithm(h, None)?)
    })
}

/// Train on `paths` as the flags say: one call to [`train::train_files`]; its notes are
/// printed unless `--quiet`. `save_to`: where `--checkpoint-every` saves the model so far.
pub(super) fn fit(
    cli: &Cli,
    h: &HyperArgs,
    paths: &[PathBuf],
    save_to: Option<&Path>,
) -> Result<Trained> {
    let schema = h.schema.as_deref().map(Schema::load).transpose()?;
    let src = Source {
        paths,
        schema: schema.as_ref(),
        read: ReadOptions {
            skip_bad_rows: h.on_bad_row == BadRow::Skip,
            ..ReadOptions::default()
        },
        sessions: h.words.input == InputKind::Sessions,
    };
    let mut save = |m: &recsys::Model| -> recsys::Result<()> {
        match save_to {
            Some(dir) => checkpoint::save(m, dir),
            None => Ok(()),
        }
    };
    let trained = train::train_files(&job(h)?, &src, &context(cli, h)?, &mut save)?;
    if !cli.quiet {
        for n in &trained.notes {
            eprintln!("note: {n}");
        }
    }
    note_inits(cli, &trained.model);
    Ok(trained)
}

fn report_text(cli: &Cli, a: &TrainArgs, model: &recsys::Model) -> Result<()> {
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
            "init": inits_json(model),
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
    let Trained { model, data, .. } = fit(cli, h, &a.data, Some(&a.model))?;
    checkpoint::save(&model, &a.model)?;
    let Some(x) = data else {
        return if h.algo == Algo::Dnn {
            super::dnn::report(cli, a, &model)
        } else {
            report_text(cli, a, &model)
        };
    };
    let fit_s = model.info.fit_s.unwrap_or(0.0);
    let loss = model.epochs.last().map(|e| e.loss);
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": model.algo,
            "interactions": x.interactions,
            "users": x.users,
            "items": x.items,
            "titles": x.titles.unwrap_or(0),
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
            model.algo,
            x.interactions,
            x.users,
            x.items,
            if x.titles.is_some() {
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
                model.algo
            );
        }
    }
    Ok(())
}

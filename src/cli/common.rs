//! What the subcommands share: JSON output, the training context from the flags, notes on
//! stderr, the data loader with `--schema` / `--on-bad-row`.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::args::{Algo, BadRow, Cli, HyperArgs, SplitKind};
use recsys::checkpoint::{self};
use recsys::data::{self, Dataset, ReadOptions};
use recsys::eval::Split;
use recsys::features::Schema;
use recsys::models::TrainContext;
use recsys::transfer::TableInit;
use recsys::Vocab;

pub(super) fn print_json(v: &serde_json::Value) {
    println!("{v}");
}

/// The `--algo` spelling of `a`.
pub(super) fn algo_name(a: Algo) -> String {
    format!("{a:?}").to_lowercase()
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub(super) fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

pub(super) fn context(cli: &Cli, h: &HyperArgs) -> Result<TrainContext> {
    let mut inits = recsys::transfer::Inits::new();
    if let Some(path) = &h.start.init_from {
        let ours = ["user/embedding", "item/embedding", "word/embedding"];
        let table = match h.start.init_tensor.as_deref() {
            Some(t) if ours.contains(&t) => t,
            _ if matches!(h.algo, Algo::Word2vec | Algo::Glove | Algo::Lsa) => "word/embedding",
            _ => "item/embedding",
        };
        let source = recsys::transfer::PriorSource {
            path: path.clone(),
            tensor: h.start.init_tensor.clone(),
            keys: h.start.init_vocab.clone(),
        };
        let init = TableInit::load(&source, table, h.start.freeze)?;
        inits.insert(table.to_string(), init);
    }
    // The schema's `init_from` entries (the dnn applies its own, column by column).
    if let (Some(p), false) = (&h.schema, h.algo == Algo::Dnn) {
        recsys::transfer::schema_inits(p, &algo_name(h.algo), &mut inits)?;
    }
    let resume = match &h.start.resume {
        Some(dir) => Some(std::sync::Arc::new(checkpoint::load(dir)?)),
        None => None,
    };
    if h.start.checkpoint_every.is_some() && !matches!(h.algo, Algo::Dnn | Algo::Word2vec) {
        bail!("--checkpoint-every is for --algo dnn and word2vec (other trainers finish in seconds; --resume continues any saved als, mf, bpr or item2vec model)");
    }
    Ok(TrainContext {
        inits,
        threads: h.threads,
        seed: h.seed,
        progress: !cli.quiet && !cli.json,
        resume,
        cache_mb: h
            .words
            .corpus_cache_mb
            .unwrap_or(TrainContext::default().cache_mb),
    })
}

/// Print what transfer did (on stderr, unless quiet or JSON).
pub(super) fn note_inits(cli: &Cli, model: &recsys::Model) {
    if cli.quiet || cli.json {
        return;
    }
    for r in &model.info.init {
        eprintln!(
            "note: {} initialised from the prior: {} rows matched{}, {} new (e.g. {:?})",
            r.table,
            r.matched,
            if r.frozen { " and frozen" } else { "" },
            r.unmatched,
            r.unmatched_sample
        );
        let (rows, keys, repeated) = (r.rows_without_key, r.keys_without_row, r.repeated_keys);
        if rows + keys + repeated > 0 {
            eprintln!(
                "note: the keys file left {rows} prior rows without a key, named {keys} keys past the last row, and repeated {repeated} keys"
            );
        }
    }
}

/// What transfer did, for `--json` (null when nothing was initialised from a prior).
pub(super) fn inits_json(model: &recsys::Model) -> serde_json::Value {
    if model.info.init.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::to_value(&model.info.init).unwrap_or_default()
    }
}

pub(super) fn load(data: &Path, schema: Option<&Path>, bad: BadRow) -> Result<Dataset> {
    let skip = bad == BadRow::Skip;
    if skip && schema.is_some() {
        bail!("--on-bad-row skip works on files read without a schema (a schema's rows must all parse)");
    }
    Ok(match schema {
        Some(s) => {
            let schema = Schema::load(s)?;
            data::load_with_schema(data, &schema)?
        }
        None => {
            let ds = data::load_dataset(
                data,
                &ReadOptions {
                    skip_bad_rows: skip,
                    ..ReadOptions::default()
                },
            )?;
            let x = &ds.interactions;
            if x.skipped_rows > 0 {
                eprintln!(
                    "note: skipped {} malformed rows (the first: {})",
                    x.skipped_rows,
                    x.first_skipped.as_deref().unwrap_or("")
                );
            }
            ds
        }
    })
}

/// The table a command works on: `--table`, else `item/embedding`, else the word table of a
/// word model; an unknown name lists the model's tables.
pub(super) fn chosen_table<'m>(
    model: &'m recsys::Model,
    table: Option<&str>,
    dir: &Path,
) -> Result<(String, ndarray::ArrayView2<'m, f32>)> {
    let name = table.map_or_else(
        || {
            let word = recsys::models::word2vec::WORD_EMBEDDING;
            if model.table(recsys::model::ITEM_EMBEDDING).is_none() && model.table(word).is_some() {
                word.to_string()
            } else {
                recsys::model::ITEM_EMBEDDING.to_string()
            }
        },
        str::to_string,
    );
    let view = model.table(&name).with_context(|| {
        format!(
            "model {} has no table '{}' (tables: {})",
            dir.display(),
            name,
            checkpoint::table_names(model).join(", ")
        )
    })?;
    Ok((name, view))
}

pub(super) fn split_kind(s: SplitKind, seed: u64) -> Split {
    match s {
        SplitKind::Random => Split::Random { frac: 0.8, seed },
        SplitKind::LeaveLastOut => Split::LeaveLastOut,
        SplitKind::Time => Split::Time { frac: 0.8 },
    }
}

/// Read a train/test pair in one index space (train ∪ test), as the peers build it.
pub(super) fn read_pair(
    tr: &Path,
    te: &Path,
) -> Result<(recsys::data::Interactions, recsys::data::Interactions)> {
    let opts = ReadOptions::default();
    let mut train = data::read_interactions(tr, &opts, Vocab::new(), Vocab::new())?;
    let test = data::read_interactions(te, &opts, train.users.clone(), train.items.clone())?;
    train.users = test.users.clone();
    train.items = test.items.clone();
    Ok((train, test))
}

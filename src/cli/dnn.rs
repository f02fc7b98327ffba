//! `train --algo dnn` and `eval --algo dnn`: schema-driven, joined files in, model directory or
//! classification metrics out.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::args::{Cli, EvalArgs, HyperArgs, SplitKind, TrainArgs};
use super::common::{context, note_inits, print_json, split_kind};
use recsys::checkpoint;
use recsys::data::joined::Joined;
use recsys::data::{self, Catalog, TextTable};
use recsys::eval::{self, classify};
use recsys::features::encode::encode;
use recsys::features::{Examples, FeatureSet, Schema, SourceKind};
use recsys::models::dnn::{self, Dnn, DnnParams, OptimizerKind, Task};

/// DNN hyper-parameters from the flags, over the defaults.
pub fn params(h: &HyperArgs) -> Result<DnnParams> {
    if h.dim.is_some() {
        bail!("--algo dnn takes each column's width from the schema (`dimension = N` in its [[embeddings]] entry), not --dim");
    }
    let d = DnnParams::default();
    let hidden = match &h.hidden {
        None => d.hidden,
        Some(s) if s.trim().is_empty() || s.trim() == "none" => Vec::new(),
        Some(s) => s
            .split(',')
            .map(|w| w.trim().parse::<usize>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .with_context(|| format!("--hidden must be widths like 64,32, not '{s}'"))?,
    };
    let optimizer = match &h.optimizer {
        None => d.optimizer,
        Some(s) => OptimizerKind::parse(s)
            .with_context(|| format!("--optimizer must be sgd, adagrad or adam, not '{s}'"))?,
    };
    let p = DnnParams {
        hidden,
        optimizer,
        learning_rate: h.lr.unwrap_or(d.learning_rate),
        batch: h.batch.unwrap_or(d.batch),
        epochs: h.epochs.unwrap_or(d.epochs),
        validation: h.validation.unwrap_or(d.validation),
        patience: h.patience.unwrap_or(d.patience),
    };
    p.check()?;
    Ok(p)
}

fn schema(h: &HyperArgs) -> Result<Schema> {
    let Some(p) = &h.schema else {
        bail!("--algo dnn needs --schema FILE (e.g. schemas/movielens-100k.toml): it declares the files, the label and the embedding columns");
    };
    Ok(Schema::load(p)?)
}

/// The folder of the side tables and the interactions file for DATA: a folder holds the
/// schema's sources; a file is the interactions, with side tables beside it.
fn locate(data: &Path) -> (PathBuf, Option<PathBuf>) {
    if data.is_dir() {
        (data.to_path_buf(), None)
    } else {
        let dir = data.parent().map(Path::to_path_buf).unwrap_or_default();
        (dir, Some(data.to_path_buf()))
    }
}

/// Titles of the schema's items source, for the saved item table.
fn catalog(schema: &Schema, dir: &Path) -> Result<Option<Catalog>> {
    let Some(src) = schema.source(SourceKind::Items) else {
        return Ok(None);
    };
    if schema.roles.title.is_none() {
        return Ok(None);
    }
    let delim = src.delimiter.as_deref().and_then(data::Delimiter::parse);
    let mut t = TextTable::open(&dir.join(&src.file), delim, src.header)?;
    if let Some(names) = &src.columns {
        t = t.with_names(names.clone());
    }
    let key = src.key.as_deref().or(schema.roles.item.as_deref());
    Ok(Some(Catalog::from_table_with(
        &t,
        key,
        schema.roles.title.as_deref(),
    )?))
}

pub fn train(cli: &Cli, a: &TrainArgs) -> Result<()> {
    let h = &a.hyper;
    let schema = schema(h)?;
    let p = params(h)?;
    let [data] = a.data.as_slice() else {
        bail!("--algo dnn takes one data folder or interactions file");
    };
    let (dir, file) = locate(data);
    let joined = Joined::open(&schema, &dir, file.as_deref())?;
    let titles = catalog(&schema, &dir)?;
    let source = joined.path().display().to_string();
    let out = a.model.clone();
    let mut save = |d: &Dnn| -> recsys::Result<()> {
        let mut m = d.to_model(titles.as_ref());
        m.info
            .insert("interactions_file".into(), source.clone().into());
        checkpoint::save(&m, &out)
    };
    let every = h.checkpoint_every.unwrap_or(0);
    let (dnn, x) = dnn::train_with(&schema, &joined, &p, &context(cli, h)?, every, &mut save)?;
    let mut model = dnn.to_model(titles.as_ref());
    note_inits(cli, &model);
    model.info.insert(
        "interactions_file".into(),
        joined.path().display().to_string().into(),
    );
    model.info.insert("examples".into(), x.len().into());
    checkpoint::save(&model, &a.model)?;
    let fit_s: f64 = dnn.epochs.iter().map(|e| e.seconds).sum();
    let loss = dnn.epochs.last().map(|e| e.loss);
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": "dnn",
            "examples": x.len(),
            "epochs": dnn.epochs.len(),
            "best_epoch": dnn.best_epoch,
            "loss": loss,
            "validation_loss": dnn.validation_loss,
            "fit_s": fit_s,
            "embedding_dims": model.params.get("embedding_dims"),
            "init": model.info.get("init"),
        }));
    } else {
        let dims: Vec<String> = dnn
            .net
            .tables
            .iter()
            .map(|t| format!("{} {}×{}", t.name, t.w.nrows(), t.w.ncols()))
            .collect();
        println!(
            "trained dnn on {} examples ({}) — {} epochs, loss {:.4}, {:.2}s → {}",
            x.len(),
            dims.join(", "),
            dnn.epochs.len(),
            loss.unwrap_or(f64::NAN),
            fit_s,
            a.model.display()
        );
    }
    Ok(())
}

/// Fit columns on the training rows, encode both sides with them.
fn encode_pair(
    schema: &Schema,
    train: &Joined,
    test: &Joined,
    split: Option<(&[usize], &[usize])>,
) -> Result<(FeatureSet, Examples, Examples)> {
    let rows = train.rows()?;
    let pick = |ix: Option<&[usize]>| -> Vec<usize> {
        ix.map_or_else(|| (0..rows.len()).collect(), <[usize]>::to_vec)
    };
    let tr_ix = pick(split.map(|s| s.0));
    let priors = recsys::transfer::prior_vocabularies(schema)?;
    let features = FeatureSet::fit_with_priors(schema, tr_ix.iter().map(|&i| &rows[i]), &priors)?;
    let tr = encode(
        schema,
        &features,
        tr_ix.iter().map(|&i| (rows[i].line, &rows[i])),
        train.path(),
    )?;
    let te = match split {
        Some((_, te_ix)) => encode(
            schema,
            &features,
            te_ix.iter().map(|&i| (rows[i].line, &rows[i])),
            train.path(),
        )?,
        None => {
            let trows = test.rows()?;
            encode(
                schema,
                &features,
                trows.iter().map(|r| (r.line, r)),
                test.path(),
            )?
        }
    };
    Ok((features, tr, te))
}

pub fn evaluate(cli: &Cli, a: &EvalArgs) -> Result<()> {
    let h = &a.hyper;
    let schema = schema(h)?;
    let p = params(h)?;
    let (features, train, test, source) = match (&a.train, &a.test, a.data.as_slice()) {
        (Some(tr), Some(te), data) => {
            let dir = match data {
                [d] => locate(d).0,
                [] => a
                    .items
                    .as_deref()
                    .or(tr.parent())
                    .and_then(|p| if p.is_dir() { Some(p) } else { p.parent() })
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                _ => bail!("give at most one DATA folder (for the schema's item and user files)"),
            };
            let jtr = Joined::open(&schema, &dir, Some(tr))?;
            let jte = Joined::open(&schema, &dir, Some(te))?;
            let (f, x, y) = encode_pair(&schema, &jtr, &jte, None)?;
            (
                f,
                x,
                y,
                json!({"train": tr.display().to_string(), "test": te.display().to_string(), "data": dir.display().to_string()}),
            )
        }
        (None, None, [d]) => {
            let (dir, file) = locate(d);
            let joined = Joined::open(&schema, &dir, file.as_deref())?;
            let kind = a.split.unwrap_or(SplitKind::Random);
            let split = split_kind(kind, h.seed);
            let ds = data::load_with_schema(d, &schema)?;
            let (tr, te) = eval::split_rows(&ds.interactions, split);
            let n_rows = tr.len() + te.len();
            let (f, x, y) = encode_pair(&schema, &joined, &joined, Some((&tr, &te)))?;
            if x.len() + y.len() != n_rows {
                bail!("internal: the split and the joined rows disagree");
            }
            (
                f,
                x,
                y,
                json!({"data": d.display().to_string(), "split": format!("{split:?}")}),
            )
        }
        _ => bail!("give DATA (with --split) or --train and --test (with DATA: the folder of the schema's item and user files)"),
    };
    let dnn = Dnn::fit(&schema, features, &train, &p, &context(cli, h)?)?;
    let fit_s: f64 = dnn.epochs.iter().map(|e| e.seconds).sum();
    let n_fit = ((train.len() as f64) * (1.0 - p.validation)).round();
    let examples_per_s = dnn.epochs.len() as f64 * n_fit / fit_s.max(1e-9);
    let pred = dnn.predict(&test);
    let mut out = json!({
        "algo": "dnn",
        "source": source,
        "params": p,
        "embedding_dims": dnn.net.tables.iter().map(|t| (t.name.clone(), json!(t.w.ncols()))).collect::<serde_json::Map<_, _>>(),
        "num_params": dnn.net.num_params(),
        "train_examples": train.len(),
        "test_examples": test.len(),
        "epochs_run": dnn.epochs.len(),
        "best_epoch": dnn.best_epoch,
        "train_loss_per_epoch": dnn.epochs.iter().map(|e| e.loss).collect::<Vec<_>>(),
        "validation_loss": dnn.validation_loss,
        "fit_s": fit_s,
        "examples_per_s": examples_per_s,
        "init": dnn.inits,
    });
    let text = match dnn.net.task {
        Task::Binary => {
            let c = classify::classification(&pred, &test.labels);
            let base =
                train.labels.iter().map(|&y| f64::from(y)).sum::<f64>() / train.len().max(1) as f64;
            let constant = vec![base as f32; test.len()];
            out["auc"] = c.auc.into();
            out["logloss"] = c.logloss.into();
            out["accuracy"] = c.accuracy.into();
            out["logloss_constant_baseline"] = classify::logloss(&constant, &test.labels).into();
            format!(
                "auc {:.4}  logloss {:.4}  accuracy {:.4}",
                c.auc, c.logloss, c.accuracy
            )
        }
        Task::Regression => {
            let (rmse, mae) = classify::rmse_mae(&pred, &test.labels);
            out["rmse"] = rmse.into();
            out["mae"] = mae.into();
            format!("rmse {rmse:.4}  mae {mae:.4}")
        }
    };
    if cli.json {
        print_json(&out);
    } else {
        println!(
            "dnn: {text}  ({} train / {} test examples)  fit {fit_s:.3}s  {:.0} examples/s",
            train.len(),
            test.len(),
            examples_per_s
        );
    }
    Ok(())
}

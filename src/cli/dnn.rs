//! `train --algo dnn` and `eval --algo dnn`: the DNN's flags, its training report, and
//! `eval --algo dnn` (one call to [`recsys::eval::dnn::evaluate`]).

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::args::{Cli, EvalArgs, HyperArgs, SplitKind, TrainArgs};
use super::common::{context, inits_json, print_json, split_kind};
use recsys::eval::dnn::{self as eval_dnn, Held};
use recsys::features::Schema;
use recsys::models::dnn::{DnnParams, OptimizerKind};

/// DNN hyper-parameters from the flags, over the defaults.
pub fn params(h: &HyperArgs) -> Result<DnnParams> {
    if h.dim.is_some() {
        bail!("--algo dnn takes each column's width from the schema (`dimension = N` in its [[embeddings]] entry), not --dim");
    }
    let d = DnnParams::default();
    let hidden = match &h.net.hidden {
        None => d.hidden,
        Some(s) if s.trim().is_empty() || s.trim() == "none" => Vec::new(),
        Some(s) => s
            .split(',')
            .map(|w| w.trim().parse::<usize>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .with_context(|| format!("--hidden must be widths like 64,32, not '{s}'"))?,
    };
    let optimizer = match &h.net.optimizer {
        None => d.optimizer,
        Some(s) => OptimizerKind::parse(s)
            .with_context(|| format!("--optimizer must be sgd, adagrad or adam, not '{s}'"))?,
    };
    let p = DnnParams {
        hidden,
        optimizer,
        lr: h.lr.unwrap_or(d.lr),
        batch: h.net.batch.unwrap_or(d.batch),
        epochs: h.epochs.unwrap_or(d.epochs),
        validation: h.net.validation.unwrap_or(d.validation),
        patience: h.net.patience.unwrap_or(d.patience),
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

/// Print what `train --algo dnn` trained (the model is saved).
pub fn report(cli: &Cli, a: &TrainArgs, model: &recsys::Model) -> Result<()> {
    let schema = schema(&a.hyper)?;
    let fit_s: f64 = model.epochs.iter().map(|e| e.seconds).sum();
    let loss = model.epochs.last().map(|e| e.loss);
    let info = &model.info;
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": "dnn",
            "examples": info.examples,
            "epochs": model.epochs.len(),
            "best_epoch": info.best_epoch,
            "loss": loss,
            "validation_loss": info.validation_loss,
            "fit_s": fit_s,
            "embedding_dims": schema
                .columns
                .iter()
                .filter_map(|c| {
                    let t = model.table(&format!("{}/embedding", c.name()))?;
                    Some((c.name().to_string(), json!(t.ncols())))
                })
                .collect::<serde_json::Map<_, _>>(),
            "init": inits_json(model),
        }));
    } else {
        // the tables in the schema's column order
        let dims: Vec<String> = schema
            .columns
            .iter()
            .filter_map(|c| {
                let t = model.table(&format!("{}/embedding", c.name()))?;
                Some(format!("{} {}×{}", c.name(), t.nrows(), t.ncols()))
            })
            .collect();
        println!(
            "trained dnn on {} examples ({}) — {} epochs, loss {:.4}, {:.2}s → {}",
            info.examples.unwrap_or(0),
            dims.join(", "),
            model.epochs.len(),
            loss.unwrap_or(f64::NAN),
            fit_s,
            a.model.display()
        );
    }
    Ok(())
}

pub fn evaluate(cli: &Cli, a: &EvalArgs) -> Result<()> {
    let h = &a.hyper;
    let schema = schema(h)?;
    let p = params(h)?;
    let dir;
    let held = match (&a.train, &a.test, a.data.as_slice()) {
        (Some(train), Some(test), data) => {
            dir = match data {
                [d] => recsys::data::joined::locate(d).0,
                [] => eval_dnn::side_tables_dir(a.items.as_deref(), train),
                _ => bail!("give at most one DATA folder (for the schema's item and user files)"),
            };
            Held::Files { train, test, dir: &dir }
        }
        (None, None, [d]) => Held::Split {
            data: d,
            split: split_kind(a.split.unwrap_or(SplitKind::Random), h.seed),
        },
        _ => bail!("give DATA (with --split) or --train and --test (with DATA: the folder of the schema's item and user files)"),
    };
    let r = eval_dnn::evaluate(&schema, &held, &p, &context(cli, h)?)?;
    if cli.json {
        print_json(&serde_json::to_value(&r)?);
        return Ok(());
    }
    let text = match (&r.binary, &r.regression) {
        (Some(c), _) => format!(
            "auc {:.4}  logloss {:.4}  accuracy {:.4}",
            c.auc, c.logloss, c.accuracy
        ),
        (None, Some(e)) => format!("rmse {:.4}  mae {:.4}", e.rmse, e.mae),
        (None, None) => String::new(),
    };
    println!(
        "dnn: {text}  ({} train / {} test examples)  fit {:.3}s  {:.0} examples/s",
        r.train_examples, r.test_examples, r.fit_s, r.examples_per_s
    );
    Ok(())
}

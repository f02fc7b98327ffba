//! The DNN evaluated on held-out rows of a schema's data: the job of `recsys eval --algo dnn`.
//! Columns are fitted on the training rows only, both sides encoded with them, the network
//! trained, and the test rows scored (AUC, log-loss and accuracy for a thresholded label; RMSE
//! and MAE for a raw one).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::classify;
use super::split::{split_rows, Split};
use crate::data::joined::{locate, Joined, JoinedRow};
use crate::error::{Error, Result};
use crate::features::encode::encode;
use crate::features::{Examples, FeatureSet, Schema};
use crate::models::dnn::{fit_features, Dnn, DnnParams, Task};
use crate::models::TrainContext;
use crate::transfer::InitReport;

/// Which rows train and which test.
#[derive(Debug, Clone)]
pub enum Held<'a> {
    /// Split files (header-less peer splits or files with the schema's columns); the side
    /// tables come from `dir`.
    Files {
        /// Training rows.
        train: &'a Path,
        /// Test rows.
        test: &'a Path,
        /// The folder of the schema's item and user files.
        dir: &'a Path,
    },
    /// One data set (a folder or an interactions file, see [`locate`]) split by `split`.
    Split {
        /// The data.
        data: &'a Path,
        /// How its rows are split.
        split: Split,
    },
}

/// Classification metrics of a thresholded label.
#[derive(Debug, Clone, Serialize)]
pub struct BinaryScores {
    /// Area under the ROC curve.
    pub auc: f64,
    /// Mean log-loss.
    pub logloss: f64,
    /// Accuracy at 0.5.
    pub accuracy: f64,
    /// Log-loss of predicting the training rows' positive rate for every test row.
    pub logloss_constant_baseline: f64,
}

/// Error metrics of a raw label.
#[derive(Debug, Clone, Serialize)]
pub struct RegressionScores {
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
}

/// What an evaluation measured (the JSON `recsys eval --algo dnn --json` prints).
#[derive(Debug, Clone, Serialize)]
pub struct DnnEvaluation {
    /// Always `dnn`.
    pub algo: &'static str,
    /// Where the rows came from.
    pub source: serde_json::Value,
    /// Hyper-parameters.
    pub params: DnnParams,
    /// Width of each embedding table.
    pub embedding_dims: std::collections::BTreeMap<String, usize>,
    /// Trainable parameters of the network.
    pub num_params: usize,
    /// Training examples.
    pub train_examples: usize,
    /// Test examples.
    pub test_examples: usize,
    /// Epochs run (early stopping can end before `params.epochs`).
    pub epochs_run: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Training loss per epoch.
    pub train_loss_per_epoch: Vec<f64>,
    /// Validation loss per epoch (empty without a validation slice).
    pub validation_loss: Vec<f64>,
    /// Seconds of training (sum of epochs).
    pub fit_s: f64,
    /// Examples trained per second.
    pub examples_per_s: f64,
    /// What prior vectors did to each table.
    pub init: Vec<InitReport>,
    /// Metrics of a binary task.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub binary: Option<BinaryScores>,
    /// Metrics of a regression task.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub regression: Option<RegressionScores>,
}

/// Fit columns on the training rows, encode both sides with them.
fn encode_pair(
    schema: &Schema,
    train: &Joined,
    test: &Joined,
    split: Option<(&[usize], &[usize])>,
) -> Result<(FeatureSet, Examples, Examples)> {
    let rows = train.rows()?;
    let pick = |ix: Option<&[usize]>| -> Vec<&JoinedRow<'_>> {
        ix.map_or_else(
            || rows.iter().collect(),
            |ix| ix.iter().map(|&i| &rows[i]).collect(),
        )
    };
    let (features, tr) = fit_features(schema, &pick(split.map(|s| s.0)), train.path())?;
    let te = match split {
        Some((_, te_ix)) => encode(
            schema,
            &features,
            pick(Some(te_ix)).into_iter().map(|r| (r.line, r)),
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

/// Train the DNN of `schema` on the training rows of `held` and score its test rows.
pub fn evaluate(
    schema: &Schema,
    held: &Held<'_>,
    params: &DnnParams,
    ctx: &TrainContext,
) -> Result<DnnEvaluation> {
    params.check()?;
    let (features, train, test, source) = match held {
        Held::Files { train, test, dir } => {
            let jtr = Joined::open(schema, dir, Some(train))?;
            let jte = Joined::open(schema, dir, Some(test))?;
            let (f, x, y) = encode_pair(schema, &jtr, &jte, None)?;
            let source = serde_json::json!({
                "train": train.display().to_string(),
                "test": test.display().to_string(),
                "data": dir.display().to_string(),
            });
            (f, x, y, source)
        }
        Held::Split { data, split } => {
            let (dir, file) = locate(data);
            let joined = Joined::open(schema, &dir, file.as_deref())?;
            let ds = crate::data::load_with_schema(data, schema)?;
            let (tr, te) = split_rows(&ds.interactions, *split);
            let n_rows = tr.len() + te.len();
            let (f, x, y) = encode_pair(schema, &joined, &joined, Some((&tr, &te)))?;
            if x.len() + y.len() != n_rows {
                return Err(Error::data(
                    joined.path(),
                    format!(
                        "the split has {n_rows} rows and the joined file {}",
                        x.len() + y.len()
                    ),
                ));
            }
            let source = serde_json::json!({
                "data": data.display().to_string(),
                "split": format!("{split:?}"),
            });
            (f, x, y, source)
        }
    };
    let dnn = Dnn::fit(schema, features, &train, params, ctx)?;
    let fit_s: f64 = dnn.epochs.iter().map(|e| e.seconds).sum();
    let n_fit = ((train.len() as f64) * (1.0 - params.validation)).round();
    let pred = dnn.predict(&test);
    let (binary, regression) = match dnn.net.task {
        Task::Binary => {
            let c = classify::classification(&pred, &test.labels);
            let base =
                train.labels.iter().map(|&y| f64::from(y)).sum::<f64>() / train.len().max(1) as f64;
            let constant = vec![base as f32; test.len()];
            let s = BinaryScores {
                auc: c.auc,
                logloss: c.logloss,
                accuracy: c.accuracy,
                logloss_constant_baseline: classify::logloss(&constant, &test.labels),
            };
            (Some(s), None)
        }
        Task::Regression => {
            let (rmse, mae) = classify::rmse_mae(&pred, &test.labels);
            (None, Some(RegressionScores { rmse, mae }))
        }
    };
    Ok(DnnEvaluation {
        algo: "dnn",
        source,
        params: params.clone(),
        embedding_dims: dnn
            .net
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.w.ncols()))
            .collect(),
        num_params: dnn.net.num_params(),
        train_examples: train.len(),
        test_examples: test.len(),
        epochs_run: dnn.epochs.len(),
        best_epoch: dnn.best_epoch,
        train_loss_per_epoch: dnn.epochs.iter().map(|e| e.loss).collect(),
        validation_loss: dnn.validation_loss.clone(),
        fit_s,
        examples_per_s: dnn.epochs.len() as f64 * n_fit / fit_s.max(1e-9),
        init: dnn.inits.clone(),
        binary,
        regression,
    })
}

/// The folder of the schema's side tables for split files, when no DATA folder is given:
/// `items` (a folder, or a file's folder), else the training file's folder.
#[must_use]
pub fn side_tables_dir(items: Option<&Path>, train: &Path) -> PathBuf {
    items
        .or(train.parent())
        .and_then(|p| if p.is_dir() { Some(p) } else { p.parent() })
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

//! Evaluation: splits, metrics and the top-k protocol (train items excluded, macro average
//! over users with at least one test item).

pub mod classify;
pub mod dnn;
pub mod metrics;
pub mod neighbours;
pub mod split;
pub mod words;

pub use metrics::{TopK, TopKAccumulator};
pub use split::{split_rows, Split};

use rayon::prelude::*;

use crate::data::Interactions;
use crate::error::Result;
use crate::similarity::{top_k, Lookup};

/// Top-k metrics of `lookup`'s user→item scores on `test` (indexed in the model's
/// vocabularies), excluding each user's training items.
pub fn evaluate_topk(lookup: &Lookup, test: &Interactions, k: usize) -> Result<TopK> {
    let n_users = test.users.len();
    let mut truth: Vec<Vec<usize>> = vec![Vec::new(); n_users];
    for r in 0..test.len() {
        let t = &mut truth[test.user[r] as usize];
        let i = test.item[r] as usize;
        if !t.contains(&i) {
            t.push(i);
        }
    }
    let model = lookup.model();
    let n_model_users = model.vocab("user").map_or(0, |v| v.len());
    let acc = (0..n_users)
        .into_par_iter()
        .filter(|&u| !truth[u].is_empty())
        .map(|u| -> Result<TopKAccumulator> {
            let mut acc = TopKAccumulator::new(k);
            let ranked: Vec<usize> = if u < n_model_users {
                let scores = lookup.user_scores(u)?;
                let seen: &[u32] = model.seen.as_ref().map_or(&[], |s| s.row(u));
                top_k(&scores, k, |i| seen.binary_search(&(i as u32)).is_ok())
                    .into_iter()
                    .map(|(i, _)| i)
                    .collect()
            } else {
                Vec::new()
            };
            acc.add(&ranked, &truth[u]);
            Ok(acc)
        })
        .try_reduce(|| TopKAccumulator::new(k), |a, b| Ok(a.merge(&b)))?;
    Ok(acc.finish())
}

/// Top-k metrics of the popularity baseline: items ranked by training interactions (ties by
/// index), each user's training items excluded — the reference every embedding must beat.
#[must_use]
pub fn evaluate_popularity(train: &Interactions, test: &Interactions, k: usize) -> TopK {
    let counts = train.item_counts();
    let scores: Vec<f32> = counts.iter().map(|&c| c as f32).collect();
    let seen = crate::model::Seen::from_interactions(train);
    let mut truth: Vec<Vec<usize>> = vec![Vec::new(); test.users.len()];
    for r in 0..test.len() {
        let t = &mut truth[test.user[r] as usize];
        let i = test.item[r] as usize;
        if !t.contains(&i) {
            t.push(i);
        }
    }
    let mut acc = TopKAccumulator::new(k);
    for (u, t) in truth.iter().enumerate() {
        if t.is_empty() {
            continue;
        }
        let s = seen.row(u);
        let ranked: Vec<usize> = top_k(&scores, k, |i| s.binary_search(&(i as u32)).is_ok())
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        acc.add(&ranked, t);
    }
    acc.finish()
}

/// RMSE and MAE of an explicit model's predictions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RatingMetrics {
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
}

/// RMSE/MAE of `model`'s rating predictions on `test` (indexed in the model's vocabularies);
/// `None` for models that do not predict ratings. Predictions are clipped to the training
/// rating range by [`crate::model::Model::predict_rating`].
#[must_use]
pub fn evaluate_ratings(model: &crate::model::Model, test: &Interactions) -> Option<RatingMetrics> {
    let mut pred = Vec::with_capacity(test.len());
    for r in 0..test.len() {
        pred.push(model.predict_rating(test.user[r] as usize, test.item[r] as usize)?);
    }
    Some(RatingMetrics {
        rmse: metrics::rmse(&pred, &test.rating, f32::NEG_INFINITY, f32::INFINITY),
        mae: metrics::mae(&pred, &test.rating, f32::NEG_INFINITY, f32::INFINITY),
    })
}

//! Hyper-parameter tuning: a bounded one-dimensional search (Brent's method, from `argmin`)
//! over one parameter on a log scale, scoring each candidate by the mean validation metric
//! over several train/test folds (RMSE for rating models, −NDCG@k for ranking models).

use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentOpt;
use serde::Serialize;

use crate::data::Interactions;
use crate::error::{Error, Result};
use crate::eval::{evaluate_ratings, evaluate_topk};
use crate::models::{TrainContext, Trainer};
use crate::similarity::Lookup;

/// One train/test pair, indexed in one vocabulary space.
#[derive(Debug, Clone)]
pub struct Fold {
    /// Training events.
    pub train: Interactions,
    /// Held-out events.
    pub test: Interactions,
}

/// What a candidate is scored by (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Objective {
    /// Mean RMSE of rating predictions.
    Rmse,
    /// Minus the mean NDCG at this cut-off.
    NegNdcg(usize),
}

/// One evaluated candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    /// Parameter value.
    pub value: f64,
    /// Mean objective over the folds (lower is better).
    pub score: f64,
    /// Per-fold objective.
    pub folds: Vec<f64>,
}

/// The outcome of a search.
#[derive(Debug, Clone, Serialize)]
pub struct TuneResult {
    /// Best value found.
    pub best_value: f64,
    /// Its mean objective.
    pub best_score: f64,
    /// Every candidate, in evaluation order.
    pub trials: Vec<Trial>,
}

struct Problem<'a, F> {
    folds: &'a [Fold],
    make: F,
    objective: Objective,
    ctx: &'a TrainContext,
    trials: std::sync::Mutex<Vec<Trial>>,
}

/// Score one parameter value over every fold.
fn score<F>(p: &Problem<'_, F>, value: f64) -> Result<Trial>
where
    F: Fn(f64) -> Result<Box<dyn Trainer>>,
{
    let trainer = (p.make)(value)?;
    let mut per = Vec::with_capacity(p.folds.len());
    for f in p.folds {
        let model = trainer.fit(&f.train, None, p.ctx)?;
        per.push(match p.objective {
            Objective::Rmse => {
                evaluate_ratings(&model, &f.test)
                    .ok_or_else(|| {
                        Error::Param(format!(
                            "{} does not predict ratings; tune it by NDCG",
                            trainer.name()
                        ))
                    })?
                    .rmse
            }
            Objective::NegNdcg(k) => -evaluate_topk(&Lookup::new(model), &f.test, k)?.ndcg,
        });
    }
    Ok(Trial {
        value,
        score: per.iter().sum::<f64>() / per.len().max(1) as f64,
        folds: per,
    })
}

impl<F> CostFunction for Problem<'_, F>
where
    F: Fn(f64) -> Result<Box<dyn Trainer>>,
{
    type Param = f64;
    type Output = f64;

    fn cost(&self, log_value: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let t = score(self, 10f64.powf(*log_value))
            .map_err(|e| argmin::core::Error::msg(e.to_string()))?;
        let s = t.score;
        if let Ok(mut v) = self.trials.lock() {
            v.push(t);
        }
        Ok(s)
    }
}

/// Search `[lo, hi]` (both > 0, on a log scale) for the value minimising the objective, with at
/// most `iters` Brent iterations. `make` builds a trainer for a candidate value.
pub fn tune<F>(
    folds: &[Fold],
    lo: f64,
    hi: f64,
    iters: u64,
    objective: Objective,
    ctx: &TrainContext,
    make: F,
) -> Result<TuneResult>
where
    F: Fn(f64) -> Result<Box<dyn Trainer>>,
{
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Err(Error::Param(format!(
            "the range must satisfy 0 < lo < hi, got {lo}:{hi}"
        )));
    }
    if folds.is_empty() {
        return Err(Error::Param("no folds to evaluate on".into()));
    }
    let problem = Problem {
        folds,
        make,
        objective,
        ctx,
        trials: std::sync::Mutex::new(Vec::new()),
    };
    let solver = BrentOpt::new(lo.log10(), hi.log10());
    let res = Executor::new(problem, solver)
        .configure(|s| s.max_iters(iters))
        .run()
        .map_err(|e| Error::Param(format!("search failed: {e}")))?;
    let trials = res
        .problem
        .problem
        .as_ref()
        .and_then(|p| p.trials.lock().ok().map(|v| v.clone()))
        .unwrap_or_default();
    let best = trials
        .iter()
        .min_by(|a, b| a.score.total_cmp(&b.score))
        .cloned()
        .ok_or_else(|| Error::Param("the search evaluated nothing".into()))?;
    Ok(TuneResult {
        best_value: best.value,
        best_score: best.score,
        trials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::mf::{Mf, MfParams};

    /// On a planted low-rank matrix with noise, too little and too much regularisation both
    /// hurt held-out RMSE: the search must land strictly inside the range and beat both ends.
    #[test]
    fn finds_an_interior_regularisation() {
        let init = crate::embedding::Initializer::Uniform { scale: 1.0 };
        let (pu, qi) = (init.table(80, 3, 1), init.table(60, 3, 2));
        let noise = crate::embedding::Initializer::Uniform { scale: 0.5 }.table(80, 60, 3);
        let mut all = Interactions::default();
        for u in 0..80 {
            for i in 0..60 {
                if (u * 7 + i * 13) % 3 != 0 {
                    all.push(
                        &u.to_string(),
                        &i.to_string(),
                        3.0 + pu.row(u).dot(&qi.row(i)) + noise[[u, i]],
                        0,
                    );
                }
            }
        }
        let (tr, te) =
            crate::eval::split_rows(&all, crate::eval::Split::Random { frac: 0.8, seed: 1 });
        let folds = vec![Fold {
            train: all.select(&tr),
            test: all.select(&te),
        }];
        let ctx = TrainContext {
            threads: 1,
            ..Default::default()
        };
        let make = |reg: f64| -> Result<Box<dyn Trainer>> {
            Ok(Box::new(Mf::new(MfParams {
                dim: 16,
                epochs: 60,
                reg: reg as f32,
                ..MfParams::default()
            })?))
        };
        let r = tune(&folds, 1e-4, 10.0, 12, Objective::Rmse, &ctx, make).unwrap();
        assert!(r.trials.len() >= 5);
        assert!(r.best_value > 1e-4 && r.best_value < 10.0);
        let edge = |v: f64| {
            score(
                &Problem {
                    folds: &folds,
                    make,
                    objective: Objective::Rmse,
                    ctx: &ctx,
                    trials: Default::default(),
                },
                v,
            )
            .unwrap()
            .score
        };
        assert!(r.best_score < edge(1e-4), "{r:?}");
        assert!(r.best_score < edge(10.0), "{r:?}");
    }
}

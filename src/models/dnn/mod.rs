//! `dnn`: a schema's embedding columns (fourth-root widths by default) concatenated into a
//! small MLP (default 64-32, ReLU) and trained end to end — binary log-loss for a thresholded
//! label, squared loss otherwise — with SGD, Adagrad or Adam over mini-batches.
//!
//! Each mini-batch is cut into one shard per worker; shards run forward and backward in
//! parallel and their gradients are summed in shard order, so a run is deterministic for a
//! seed and a thread count (and bit-reproducible with `threads = 1`). Embedding tables get
//! **sparse updates**: only the rows the batch touched, with lazily updated optimiser state.
//! Tables with `trainable = false`, and rows taken from a frozen prior, never change.
//!
//! The model directory holds every table as `<column>/embedding` with a vocabulary naming each
//! row (see [`crate::features::encode::row_keys`]), the dense layers as
//! `dnn/dense_<l>/kernel` (`in × out`) and `dnn/dense_<l>/bias`, and the schema in the
//! manifest's parameters.

pub mod net;
pub mod optim;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use net::{Net, Task};
pub use optim::OptimizerKind;

use super::TrainContext;
use crate::data::joined::{Joined, JoinedRow};
use crate::data::Catalog;
use crate::error::{Error, Result};
use crate::features::encode::{encode, row_keys, Packed};
use crate::features::{Examples, FeatureSet, Schema};
use crate::model::{EpochLog, Model};
use crate::transfer::{InitReport, TableInit};
use crate::vocab::Vocab;
use optim::{State, Step};

/// Hyper-parameters of the DNN. The defaults are those of the PyTorch reference model the
/// benchmarks run beside it (`benches/dnn.sh`): 64-32 ReLU, Adagrad 0.05, batch 512, 5 epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnnParams {
    /// Widths of the hidden ReLU layers.
    pub hidden: Vec<usize>,
    /// Update rule.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f32,
    /// Examples per mini-batch.
    pub batch: usize,
    /// Passes over the training examples (the most, with early stopping).
    pub epochs: usize,
    /// Fraction of the training examples held out for early stopping (0 = none).
    pub validation: f64,
    /// Stop after this many epochs without a better validation loss (then keep the best).
    pub patience: usize,
}

impl Default for DnnParams {
    fn default() -> Self {
        DnnParams {
            hidden: vec![64, 32],
            optimizer: OptimizerKind::Adagrad,
            lr: 0.05,
            batch: 512,
            epochs: 5,
            validation: 0.0,
            patience: 2,
        }
    }
}

impl DnnParams {
    /// Reject values that cannot train.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Param(format!("dnn: {m}")));
        if self.hidden.contains(&0) {
            return bad("hidden layer widths must be > 0");
        }
        if self.batch == 0 || self.epochs == 0 {
            return bad("--batch and --epochs must be > 0");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("--lr must be a positive number");
        }
        if !(0.0..0.9).contains(&self.validation) {
            return bad("--validation must be in [0, 0.9)");
        }
        Ok(())
    }
}

/// A trained DNN: the fitted feature columns and the network.
#[derive(Debug, Clone)]
pub struct Dnn {
    /// The schema it was trained with.
    pub schema: Schema,
    /// Fitted feature columns (vocabularies learned from the training rows).
    pub features: FeatureSet,
    /// Tables and layers.
    pub net: Net,
    /// Hyper-parameters.
    pub params: DnnParams,
    /// Per-epoch training loss.
    pub epochs: Vec<EpochLog>,
    /// Per-epoch validation loss (empty without a validation slice).
    pub validation_loss: Vec<f64>,
    /// The epoch whose weights were kept (the last, or the best with early stopping).
    pub best_epoch: usize,
    /// What transfer did to the tables.
    pub inits: Vec<InitReport>,
    /// Training examples per row of each table (for the vocabulary files).
    pub counts: Vec<Vec<u32>>,
    /// Optimiser state (saved with the model, so that `--resume` continues it).
    opt: Optimizer,
}

/// The task a schema's label implies.
#[must_use]
pub fn task_of(schema: &Schema) -> Task {
    match schema.label.as_ref().and_then(|l| l.threshold) {
        Some(_) => Task::Binary,
        None => Task::Regression,
    }
}

/// Build the embedding tables: fresh rows by each column's initializer, then rows from a prior
/// (the schema's `init_from`, or the run's `--init-from`), matched by key.
fn build_tables(
    schema: &Schema,
    features: &FeatureSet,
    ctx: &TrainContext,
    inits: &mut Vec<InitReport>,
) -> Result<Vec<net::Table>> {
    let base = schema.path.parent().unwrap_or(Path::new(""));
    let names: Vec<String> = schema
        .embeddings
        .iter()
        .map(|e| format!("{}/embedding", e.column))
        .collect();
    ctx.check_inits("dnn", &names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let mut tables = Vec::new();
    for (i, e) in schema.embeddings.iter().enumerate() {
        let c = features
            .columns
            .iter()
            .position(|c| c.spec.name() == e.column)
            .ok_or_else(|| Error::schema(&schema.path, format!("unknown column '{}'", e.column)))?;
        let n = features.columns[c].num_buckets();
        if n == 0 {
            return Err(Error::schema(
                &schema.path,
                format!("column '{}' has no ids (empty vocabulary?)", e.column),
            ));
        }
        let dim = e.dimension.resolve(n);
        crate::embedding::check_table_fits(&names[i], n, dim)?;
        let mut w = e
            .initializer
            .table(n, dim, ctx.seed ^ (0x9e37_79b9 * (i as u64 + 1)));
        let vocab = Vocab::from_keys(row_keys(features, c));
        let mut frozen = ctx.init_table(&names[i], &mut w, &vocab, inits)?;
        if e.init_from.is_some() {
            let prior = TableInit::load(
                &crate::transfer::PriorSource::of(e, base),
                &names[i],
                !e.trainable,
            )?;
            let (f, report) = prior.apply(&mut w, &vocab)?;
            inits.push(report);
            frozen.iter_mut().zip(f).for_each(|(a, b)| *a |= b);
        }
        tables.push(net::Table {
            name: e.column.clone(),
            w,
            combiner: e.combiner,
            trainable: e.trainable,
            frozen: if frozen.iter().any(|&f| f) {
                frozen
            } else {
                Vec::new()
            },
        });
    }
    Ok(tables)
}

/// Optimiser state of the whole network.
#[derive(Debug, Clone)]
struct Optimizer {
    kind: OptimizerKind,
    lr: f32,
    t: u64,
    layers: Vec<(State, State)>,
    tables: Vec<State>,
    /// Per table: summed row gradients of the current batch, and which rows they touch.
    grads: Vec<(Vec<f32>, Vec<bool>, Vec<u32>)>,
}

impl Optimizer {
    fn new(kind: OptimizerKind, lr: f32, net: &Net) -> Optimizer {
        Optimizer {
            kind,
            lr,
            t: 0,
            layers: net
                .layers
                .iter()
                .map(|l| (State::new(kind, l.w.len()), State::new(kind, l.b.len())))
                .collect(),
            tables: net
                .tables
                .iter()
                .map(|t| State::new(kind, if t.trainable { t.w.len() } else { 0 }))
                .collect(),
            grads: net
                .tables
                .iter()
                .map(|t| {
                    if t.trainable {
                        (vec![0.0; t.w.len()], vec![false; t.w.nrows()], Vec::new())
                    } else {
                        (Vec::new(), Vec::new(), Vec::new())
                    }
                })
                .collect(),
        }
    }

    /// Every state slot as `(tensor name, shape, values)`, for the model directory:
    /// `optimizer/<tensor>/s1` (Adagrad sums, Adam first moments) and `…/s2` (Adam second).
    fn export(&self, net: &Net) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut out = Vec::new();
        let mut push = |name: String, shape: Vec<usize>, st: &State| {
            for (slot, v) in [("s1", &st.s1), ("s2", &st.s2)] {
                if !v.is_empty() {
                    out.push((format!("optimizer/{name}/{slot}"), shape.clone(), v.clone()));
                }
            }
        };
        for (t, st) in net.tables.iter().zip(&self.tables) {
            push(format!("{}/embedding", t.name), t.w.shape().to_vec(), st);
        }
        for (l, (layer, (sw, sb))) in net.layers.iter().zip(&self.layers).enumerate() {
            push(
                format!("dnn/dense_{l}/kernel"),
                layer.w.shape().to_vec(),
                sw,
            );
            push(format!("dnn/dense_{l}/bias"), vec![layer.b.len()], sb);
        }
        out
    }

    /// Take the state of a saved run (see [`Optimizer::export`]).
    fn import(&mut self, net: &Net, m: &Model) -> Result<()> {
        let steps = m.info.optimizer_steps.ok_or_else(|| {
            Error::Param("--resume: the saved model has no optimizer_steps".into())
        })?;
        self.t = steps;
        let get = |name: String, st: &mut State| -> Result<()> {
            for (slot, v) in [("s1", &mut st.s1), ("s2", &mut st.s2)] {
                if v.is_empty() {
                    continue;
                }
                let key = format!("optimizer/{name}/{slot}");
                let saved: Vec<f32> = match (m.tables.get(&key), m.vectors.get(&key)) {
                    (Some(t), _) => t.iter().copied().collect(),
                    (None, Some(x)) => x.to_vec(),
                    _ => {
                        return Err(Error::Param(format!(
                            "--resume: the saved model has no optimiser state '{key}'"
                        )))
                    }
                };
                if saved.len() != v.len() {
                    return Err(Error::Param(format!(
                        "--resume: optimiser state '{key}' has {} values, the network needs {}",
                        saved.len(),
                        v.len()
                    )));
                }
                *v = saved;
            }
            Ok(())
        };
        for (t, st) in net.tables.iter().zip(self.tables.iter_mut()) {
            get(format!("{}/embedding", t.name), st)?;
        }
        for (l, (sw, sb)) in self.layers.iter_mut().enumerate() {
            get(format!("dnn/dense_{l}/kernel"), sw)?;
            get(format!("dnn/dense_{l}/bias"), sb)?;
        }
        Ok(())
    }

    /// One step from the shards' gradients of examples `shards[s]`: the dense layers and
    /// each table are updated in parallel (tables are independent).
    fn step(&mut self, net: &mut Net, g: Vec<net::Grads>) {
        self.t += 1;
        let step = Step::new(self.kind, self.lr, self.t);
        let Net { tables, layers, .. } = net;
        let (layer_state, table_state, grads) =
            (&mut self.layers, &mut self.tables, &mut self.grads);
        let g = &g;
        rayon::join(
            || {
                // Dense layers: the shards' gradients summed in shard order.
                let mut it = g.iter();
                let Some(first) = it.next() else { return };
                let mut sum: Vec<(Array2<f32>, Array1<f32>)> = first.layers.clone();
                for other in it {
                    for ((w, b), (ow, ob)) in sum.iter_mut().zip(&other.layers) {
                        *w += ow;
                        *b += ob;
                    }
                }
                for ((layer, (sw, sb)), (gw, gb)) in
                    layers.iter_mut().zip(layer_state.iter_mut()).zip(&sum)
                {
                    if let (Some(p), Some(gs)) = (layer.w.as_slice_mut(), gw.as_slice()) {
                        let (a, b) = sw.slice(0..p.len());
                        step.apply(p, gs, 1.0, a, b);
                    }
                    if let (Some(p), Some(gs)) = (layer.b.as_slice_mut(), gb.as_slice()) {
                        let (a, b) = sb.slice(0..p.len());
                        step.apply(p, gs, 1.0, a, b);
                    }
                }
            },
            || {
                // Tables: sum the shards' rows, then update only the touched rows.
                tables
                    .par_iter_mut()
                    .zip(table_state.par_iter_mut())
                    .zip(grads.par_iter_mut())
                    .enumerate()
                    .for_each(|(t, ((table, state), (sum, mark, touched)))| {
                        if !table.trainable {
                            return;
                        }
                        let d = table.w.ncols();
                        for gr in g {
                            let sr = &gr.tables[t];
                            for (k, &id) in sr.ids.iter().enumerate() {
                                let id = id as usize;
                                if !mark[id] {
                                    mark[id] = true;
                                    touched.push(id as u32);
                                }
                                let src = &sr.vals[k * d..(k + 1) * d];
                                for (a, v) in sum[id * d..(id + 1) * d].iter_mut().zip(src) {
                                    *a += v;
                                }
                            }
                        }
                        let Some(w) = table.w.as_slice_mut() else {
                            return;
                        };
                        for &r in touched.iter() {
                            let r = r as usize;
                            let range = r * d..(r + 1) * d;
                            let (a, b) = state.slice(range.clone());
                            step.apply(&mut w[range.clone()], &sum[range.clone()], 1.0, a, b);
                            sum[range].iter_mut().for_each(|v| *v = 0.0);
                            mark[r] = false;
                        }
                        touched.clear();
                    });
            },
        );
    }
}

/// Mean loss of `net` over all of `x`.
fn mean_loss(net: &Net, x: &Packed) -> f64 {
    let z = predict_raw(net, x);
    if z.is_empty() {
        return 0.0;
    }
    z.iter()
        .zip(&x.labels)
        .map(|(&z, &y)| net.loss(z, y))
        .sum::<f64>()
        / z.len() as f64
}

/// Raw outputs (logits or values) of every example, in parallel chunks.
fn predict_raw(net: &Net, x: &Packed) -> Vec<f32> {
    let rows: Vec<usize> = (0..x.len()).collect();
    rows.par_chunks(4096)
        .flat_map_iter(|c| net.outputs(x, c))
        .collect()
}

impl Dnn {
    /// Train on encoded examples (`features` fitted on the same rows).
    pub fn fit(
        schema: &Schema,
        features: FeatureSet,
        train: &Examples,
        params: &DnnParams,
        ctx: &TrainContext,
    ) -> Result<Dnn> {
        Dnn::fit_with(schema, features, train, params, ctx, 0, &mut |_| Ok(()))
    }

    /// [`Dnn::fit`], handing the state after every `every`-th epoch to `checkpoint` (0 =
    /// never), so that a run killed mid-way can be resumed from the last one. With
    /// `ctx.resume`, continues the saved run: its tables, layers, optimiser state and epoch
    /// log, and the shuffles it would have drawn next (one thread and the same seed give the
    /// uninterrupted run's result bit for bit; with `validation`, early stopping's patience
    /// and best weights restart with the resumed epochs).
    pub fn fit_with(
        schema: &Schema,
        features: FeatureSet,
        train: &Examples,
        params: &DnnParams,
        ctx: &TrainContext,
        every: usize,
        checkpoint: &mut (dyn FnMut(&Dnn) -> Result<()> + Send),
    ) -> Result<Dnn> {
        params.check()?;
        if train.is_empty() {
            return Err(Error::Param("dnn: no training examples".into()));
        }
        let mut inits = Vec::new();
        let tables = build_tables(schema, &features, ctx, &mut inits)?;
        let counts: Vec<Vec<u32>> = tables
            .iter()
            .zip(&train.bags)
            .map(|(t, b)| {
                let mut c = vec![0u32; t.w.nrows()];
                b.ids.iter().for_each(|&i| c[i as usize] += 1);
                c
            })
            .collect();
        let mut net = Net::new(tables, &params.hidden, task_of(schema), ctx.seed);
        let mut opt = Optimizer::new(params.optimizer, params.lr, &net);
        let mut epochs = Vec::new();
        let mut first = 0;
        // the row keys are only needed to check a resumed run's vocabularies
        let vocabs: Vec<(String, Vocab)> = net
            .tables
            .iter()
            .filter(|_| ctx.resume.is_some())
            .map(|t| {
                let c = features
                    .columns
                    .iter()
                    .position(|c| c.spec.name() == t.name)
                    .unwrap_or_default();
                (t.name.clone(), Vocab::from_keys(row_keys(&features, c)))
            })
            .collect();
        let vocab_refs: Vec<(&str, &Vocab)> = vocabs.iter().map(|(n, v)| (n.as_str(), v)).collect();
        let pjson = serde_json::to_value(params).unwrap_or_default();
        if let Some((m, done)) = ctx.resumed("dnn", &pjson, "epochs", params.epochs, &vocab_refs)? {
            for t in &mut net.tables {
                let w = super::saved_table(m, &format!("{}/embedding", t.name))?;
                if w.dim() != t.w.dim() {
                    return Err(Error::Param(format!(
                        "--resume: table '{}' is {:?} in the saved run, {:?} here",
                        t.name,
                        w.dim(),
                        t.w.dim()
                    )));
                }
                t.w = w;
            }
            for (l, layer) in net.layers.iter_mut().enumerate() {
                let w = super::saved_table(m, &format!("dnn/dense_{l}/kernel"))?;
                let b = super::saved_vector(m, &format!("dnn/dense_{l}/bias"))?;
                if w.dim() != layer.w.dim() || b.len() != layer.b.len() {
                    return Err(Error::Param(format!(
                        "--resume: layer {l} has another shape in the saved run (--hidden differs?)"
                    )));
                }
                layer.w = w;
                layer.b = Array1::from_vec(b);
            }
            opt.import(&net, m)?;
            epochs.extend(m.epochs.iter().cloned());
            first = done;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(ctx.seed);
        let mut order: Vec<usize> = (0..train.len()).collect();
        let (fit_rows, valid) = if params.validation > 0.0 {
            order.shuffle(&mut rng);
            let n_valid = ((train.len() as f64) * params.validation).round() as usize;
            let n_valid = n_valid.clamp(1, train.len().saturating_sub(1).max(1));
            let valid = Packed::new(&train.select(&order[..n_valid]));
            let mut rest = order[n_valid..].to_vec();
            rest.sort_unstable();
            (rest, Some(valid))
        } else {
            (order, None)
        };
        let mut order = fit_rows;
        // a resumed run draws the shuffles the first epochs drew, to continue the sequence
        for _ in 0..first {
            order.shuffle(&mut rng);
        }
        let packed = Packed::new(train);
        let batches = order.len().div_ceil(params.batch);
        let bar = crate::progress::bar(
            (batches * (params.epochs - first)) as u64,
            "dnn",
            ctx.progress,
        );
        let mut validation_loss = Vec::new();
        let mut best: Option<(f64, usize, Net)> = None;
        let snapshot = |net: &Net, opt: &Optimizer, epochs: &[EpochLog], vl: &[f64]| Dnn {
            schema: schema.clone(),
            features: features.clone(),
            net: net.clone(),
            params: params.clone(),
            epochs: epochs.to_vec(),
            validation_loss: vl.to_vec(),
            best_epoch: epochs.len(),
            inits: inits.clone(),
            counts: counts.clone(),
            opt: opt.clone(),
        };
        ctx.install(|| {
            let shards_per_batch = rayon::current_num_threads().max(1);
            let mut scratch = vec![net::Scratch::default(); shards_per_batch];
            for epoch in first + 1..=params.epochs {
                let t0 = Instant::now();
                order.shuffle(&mut rng);
                let mut total = 0.0;
                for batch in order.chunks(params.batch) {
                    let per = batch.len().div_ceil(shards_per_batch).max(1);
                    let shards: Vec<&[usize]> = batch.chunks(per).collect();
                    let grads: Vec<net::Grads> = shards
                        .par_iter()
                        .zip(scratch.par_iter_mut())
                        .map(|(rows, sc)| net.backward(&packed, rows, batch.len(), sc))
                        .collect();
                    total += grads.iter().map(|g| g.loss).sum::<f64>();
                    opt.step(&mut net, grads);
                    bar.inc(1);
                }
                let loss = total / order.len() as f64;
                super::check_finite(
                    "dnn",
                    epoch,
                    "the training loss",
                    loss.is_finite(),
                    "try a lower --lr",
                )?;
                epochs.push(EpochLog {
                    epoch,
                    loss,
                    seconds: t0.elapsed().as_secs_f64(),
                });
                let mut stop = false;
                if let Some(v) = &valid {
                    let vl = mean_loss(&net, v);
                    validation_loss.push(vl);
                    bar.set_message(format!("epoch {epoch}: loss {loss:.4}, validation {vl:.4}"));
                    match &best {
                        Some((b, _, _)) if vl >= *b => {}
                        _ => best = Some((vl, epoch, net.clone())),
                    }
                    stop = best
                        .as_ref()
                        .is_some_and(|(_, e, _)| epoch - e >= params.patience.max(1));
                } else {
                    bar.set_message(format!("epoch {epoch}: loss {loss:.4}"));
                }
                if every > 0 && epoch % every == 0 && epoch < params.epochs && !stop {
                    checkpoint(&snapshot(&net, &opt, &epochs, &validation_loss))?;
                }
                if stop {
                    break;
                }
            }
            Ok(())
        })??;
        bar.finish_and_clear();
        let mut dnn = snapshot(&net, &opt, &epochs, &validation_loss);
        if let Some((_, e, kept)) = best {
            dnn.net = kept;
            dnn.best_epoch = e;
        }
        Ok(dnn)
    }

    /// Outputs of every example: probabilities (binary) or predicted values (regression).
    #[must_use]
    pub fn predict(&self, x: &Examples) -> Vec<f32> {
        let z = predict_raw(&self.net, &Packed::new(x));
        match self.net.task {
            Task::Binary => z.into_iter().map(net::sigmoid).collect(),
            Task::Regression => z,
        }
    }

    /// Encode rows of a joined file with this model's fitted columns.
    pub fn encode(&self, data: &Joined) -> Result<Examples> {
        let rows = data.rows()?;
        encode(
            &self.schema,
            &self.features,
            rows.iter().map(|r| (r.line, r)),
            data.path(),
        )
    }

    /// The model directory contents: every table with its row keys, the dense layers, the
    /// schema and hyper-parameters, per-epoch losses; titles for an `item` column from
    /// `catalog`.
    #[must_use]
    pub fn to_model(&self, catalog: Option<&Catalog>) -> Model {
        let mut m = Model {
            algo: "dnn".into(),
            ..Default::default()
        };
        for (t, counts) in self.net.tables.iter().zip(&self.counts) {
            let c = self
                .features
                .columns
                .iter()
                .position(|c| c.spec.name() == t.name)
                .unwrap_or_default();
            let vocab = Vocab::from_keys(row_keys(&self.features, c));
            if t.name == "item" {
                m.item_info = vocab
                    .keys()
                    .iter()
                    .map(|k| catalog.and_then(|x| x.get(k)).cloned().unwrap_or_default())
                    .collect();
                m.item_counts = counts.clone();
            }
            m.vocabs.insert(t.name.clone(), vocab);
            m.tables
                .insert(format!("{}/embedding", t.name), t.w.clone());
        }
        for (l, layer) in self.net.layers.iter().enumerate() {
            m.tables
                .insert(format!("dnn/dense_{l}/kernel"), layer.w.clone());
            m.vectors
                .insert(format!("dnn/dense_{l}/bias"), layer.b.clone());
        }
        for (name, shape, v) in self.opt.export(&self.net) {
            match shape[..] {
                [r, c] => {
                    if let Ok(a) = Array2::from_shape_vec((r, c), v) {
                        m.tables.insert(name, a);
                    }
                }
                _ => {
                    m.vectors.insert(name, Array1::from_vec(v));
                }
            }
        }
        m.info.optimizer_steps = Some(self.opt.t);
        let mut params = serde_json::to_value(&self.params).unwrap_or_default();
        params["task"] = match self.net.task {
            Task::Binary => "binary".into(),
            Task::Regression => "regression".into(),
        };
        params["schema"] = serde_json::to_value(&self.schema).unwrap_or_default();
        params["embedding_dims"] = self
            .net
            .tables
            .iter()
            .map(|t| (t.name.clone(), serde_json::Value::from(t.w.ncols())))
            .collect::<serde_json::Map<_, _>>()
            .into();
        params["num_params"] = self.net.num_params().into();
        m.params = params;
        let fit_s: f64 = self.epochs.iter().map(|e| e.seconds).sum();
        m.epochs = self.epochs.clone();
        m.info.fit_s = Some(fit_s);
        if !self.validation_loss.is_empty() {
            m.info.validation_loss = self.validation_loss.clone();
            m.info.best_epoch = Some(self.best_epoch);
        }
        m.info.init = self.inits.clone();
        m
    }
}

/// Fit the schema's columns on `rows` — the vocabularies of the schema's `init_from`
/// checkpoints first, so a prior's rows keep their ids — and encode those rows as examples
/// (`file` names them in errors). What training and held-out evaluation both start from.
pub fn fit_features(
    schema: &Schema,
    rows: &[&JoinedRow<'_>],
    file: &Path,
) -> Result<(FeatureSet, Examples)> {
    let priors = crate::transfer::prior_vocabularies(schema)?;
    let features = FeatureSet::fit_with_priors(schema, rows.iter().copied(), &priors)?;
    let x = encode(schema, &features, rows.iter().map(|r| (r.line, *r)), file)?;
    Ok((features, x))
}

/// Fit the columns on `data`, encode it and train, handing the network so far to
/// `checkpoint` every `every` epochs (0: never; see [`Dnn::fit_with`]).
pub fn train_with(
    schema: &Schema,
    data: &Joined,
    params: &DnnParams,
    ctx: &TrainContext,
    every: usize,
    checkpoint: &mut (dyn FnMut(&Dnn) -> Result<()> + Send),
) -> Result<(Dnn, Examples)> {
    let rows = data.rows()?;
    let (features, x) = fit_features(schema, &rows.iter().collect::<Vec<_>>(), data.path())?;
    drop(rows);
    let dnn = Dnn::fit_with(schema, features, &x, params, ctx, every, checkpoint)?;
    Ok((dnn, x))
}

/// The whole job of `recsys train --algo dnn`: the schema's files at `data` (a folder holding
/// its sources, or the interactions file with the side tables beside it; see
/// [`crate::data::joined::locate`]) joined, the columns fitted, the network trained, and the
/// model returned with the items source's titles and `interactions_file` and `examples` in its
/// info. `on_checkpoint` gets the model so far every `every` epochs (0: never).
pub fn train_model(
    schema: &Schema,
    data: &Path,
    params: &DnnParams,
    ctx: &TrainContext,
    every: usize,
    on_checkpoint: &mut (dyn FnMut(&Model) -> Result<()> + Send),
) -> Result<Model> {
    let (dir, file) = crate::data::joined::locate(data);
    let joined = Joined::open(schema, &dir, file.as_deref())?;
    let titles = crate::data::joined::schema_catalog(schema, &dir)?;
    let source = joined.path().display().to_string();
    let mut save = |d: &Dnn| -> Result<()> {
        let mut m = d.to_model(titles.as_ref());
        m.info.interactions_file = Some(source.clone());
        on_checkpoint(&m)
    };
    let (dnn, x) = train_with(schema, &joined, params, ctx, every, &mut save)?;
    let mut model = dnn.to_model(titles.as_ref());
    model.info.interactions_file = Some(source);
    model.info.examples = Some(x.len());
    Ok(model)
}

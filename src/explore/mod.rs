//! Looking at embeddings: 2-D maps of a table (PCA or Barnes–Hut t-SNE, [`pca`], [`tsne`])
//! coloured by a category and labelled with the most popular keys, training curves
//! ([`plot`]), and hard debiasing of word vectors ([`debias`]). k-means lives in
//! [`crate::cluster`].
//!
//! Data flow of a map: a model's table → rows chosen (the most frequent `max_points`: items by
//! training count, words by corpus count — word vocabularies are already in that order) →
//! L2-normalised (cosine geometry) → PCA or t-SNE coordinates → [`plot::Map`] (colour group per
//! row: the item's first genre, or a k-means cluster) → PNG/SVG.

pub mod debias;
pub mod pca;
pub mod plot;
pub mod tsne;

use std::time::Instant;

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::model::Model;
use plot::{Map, MapPoint};

/// How rows become 2-D.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The first two principal components.
    Pca,
    /// Barnes–Hut t-SNE.
    Tsne,
}

/// How points are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorBy {
    /// The item's first genre (items with titles and genres).
    Genre,
    /// k-means clusters of the normalised rows (k given).
    Cluster(usize),
    /// One colour.
    None,
}

/// Which points get a text label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labels {
    /// The `n` most frequent keys (placed without overlap; some may be dropped).
    Top(usize),
    /// These keys, in this order.
    Keys(Vec<String>),
}

/// Settings of [`map`].
#[derive(Debug, Clone)]
pub struct MapOptions {
    /// The table, e.g. `item/embedding`.
    pub table: String,
    /// PCA or t-SNE.
    pub method: Method,
    /// Colours.
    pub color_by: ColorBy,
    /// Labels.
    pub labels: Labels,
    /// At most this many rows (the most frequent).
    pub max_points: usize,
    /// t-SNE settings.
    pub tsne: tsne::TsneParams,
    /// Seed (k-means).
    pub seed: u64,
}

/// What a map run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapInfo {
    /// Rows drawn.
    pub points: usize,
    /// `pca` or `tsne`.
    pub method: String,
    /// Seconds for the projection.
    pub seconds: f64,
    /// t-SNE: `(iteration, KL)` log.
    pub kl: Vec<(usize, f64)>,
    /// PCA: share of the variance of the two components.
    pub explained: Vec<f64>,
}

/// The rows of `model`'s table to draw, most frequent first.
fn chosen_rows(model: &Model, table: &str, n_rows: usize, max: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n_rows).collect();
    if Model::column_of(table) == "item" && model.item_counts.len() == n_rows {
        rows.sort_by_key(|&i| (std::cmp::Reverse(model.item_counts[i]), i));
        // items never seen in training have zero vectors: nothing to place
        rows.retain(|&i| model.item_counts[i] > 0);
    } else if let Some(c) = model.vector(crate::models::word2vec::WORD_COUNT) {
        if c.len() == n_rows {
            rows.sort_by(|&a, &b| c[b].total_cmp(&c[a]).then(a.cmp(&b)));
        }
    }
    rows.truncate(max);
    rows
}

/// A 2-D map of `model`'s table.
pub fn map(model: &Model, o: &MapOptions) -> Result<(Map, MapInfo)> {
    let t = model.table(&o.table).ok_or_else(|| {
        Error::Param(format!(
            "the model has no table '{}' (tables: {})",
            o.table,
            model.tables.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let column = Model::column_of(&o.table).to_string();
    let vocab = model.vocab(&column);
    let rows = chosen_rows(model, &o.table, t.nrows(), o.max_points.max(1));
    if rows.len() < 4 {
        return Err(Error::Param(format!(
            "only {} rows to draw; a map needs at least 4",
            rows.len()
        )));
    }
    let mut x = Array2::zeros((rows.len(), t.ncols()));
    for (k, &r) in rows.iter().enumerate() {
        x.row_mut(k).assign(&t.row(r));
    }
    crate::embedding::normalize_rows(&mut x);
    let t0 = Instant::now();
    let (coords, kl, explained) = match o.method {
        Method::Pca => {
            let p = pca::Pca::fit(x.view(), 2)?;
            let e = p.explained();
            (p.transform(x.view()), Vec::new(), e)
        }
        Method::Tsne => {
            let r = tsne::tsne(x.view(), &o.tsne)?;
            (r.y, r.kl, Vec::new())
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    let key = |r: usize| vocab.and_then(|v| v.key(r)).unwrap_or("").to_string();
    let display = |r: usize| match model.title(r) {
        Some(t) if column == "item" && !t.is_empty() => t.to_string(),
        _ => key(r),
    };
    // colour groups
    let (groups, group_of): (Vec<String>, Vec<usize>) = match o.color_by {
        ColorBy::Genre => {
            let firsts: Vec<Option<String>> = rows
                .iter()
                .map(|&r| {
                    model
                        .item_info
                        .get(r)
                        .and_then(|i| i.genres.first().cloned())
                })
                .collect();
            if firsts.iter().all(Option::is_none) {
                return Err(Error::Param(
                    "no genres to colour by (the model has no item genres); use --color-by cluster or none".into(),
                ));
            }
            // the ten most common first genres get colours; the rest are "other"
            let mut counts: std::collections::HashMap<&str, usize> = Default::default();
            for g in firsts.iter().flatten() {
                *counts.entry(g.as_str()).or_insert(0) += 1;
            }
            let mut names: Vec<(&str, usize)> = counts.into_iter().collect();
            names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let names: Vec<String> = names.iter().take(10).map(|x| x.0.to_string()).collect();
            let of = firsts
                .iter()
                .map(|g| {
                    g.as_ref()
                        .and_then(|g| names.iter().position(|n| n == g))
                        .unwrap_or(names.len().max(10))
                })
                .collect();
            (names, of)
        }
        ColorBy::Cluster(k) => {
            let k = k.clamp(1, rows.len());
            let flat = x.as_slice().unwrap_or(&[]);
            let c = crate::cluster::kmeans(flat, x.ncols(), k, 3, o.seed)?;
            (
                (0..k).map(|i| format!("cluster {}", i + 1)).collect(),
                c.labels,
            )
        }
        ColorBy::None => (Vec::new(), vec![0; rows.len()]),
    };
    let wanted: std::collections::HashMap<String, usize> = match &o.labels {
        Labels::Top(n) => rows
            .iter()
            .take(*n)
            .enumerate()
            .map(|(k, &r)| (key(r), k))
            .collect(),
        Labels::Keys(keys) => keys
            .iter()
            .enumerate()
            .map(|(k, s)| (s.clone(), k))
            .collect(),
    };
    let mut points: Vec<(usize, MapPoint)> = rows
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let pri = wanted.get(&key(r)).copied();
            (
                pri.unwrap_or(usize::MAX),
                MapPoint {
                    x: coords[[k, 0]],
                    y: coords[[k, 1]],
                    group: group_of[k],
                    label: pri.map(|_| display(r)),
                },
            )
        })
        .collect();
    points.sort_by_key(|p| p.0);
    let method = match o.method {
        Method::Pca => "PCA",
        Method::Tsne => "t-SNE",
    };
    let title = format!(
        "{} of {} ({} {} rows, {})",
        method,
        o.table,
        model.algo,
        rows.len(),
        match o.color_by {
            ColorBy::Genre => "colour: first genre".to_string(),
            ColorBy::Cluster(k) => format!("colour: {k} k-means clusters"),
            ColorBy::None => "one colour".to_string(),
        }
    );
    Ok((
        Map {
            title,
            groups,
            points: points.into_iter().map(|p| p.1).collect(),
        },
        MapInfo {
            points: rows.len(),
            method: method.to_lowercase().replace('-', ""),
            seconds,
            kl,
            explained,
        },
    ))
}

/// Per-epoch curves of a model's manifest: the training loss (and nothing else is logged
/// per epoch today).
#[must_use]
pub fn curves(model: &Model) -> Vec<plot::Curve> {
    vec![(
        format!("{} training loss", model.algo),
        model
            .epochs
            .iter()
            .map(|e| (e.epoch as f64, e.loss))
            .collect(),
    )]
}

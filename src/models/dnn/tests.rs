use std::path::Path;

use ndarray::Array2;

use super::net::{Net, Table, Task};
use super::*;
use crate::embedding::Combiner;
use crate::eval::classify::auc;
use crate::features::encode::Packed;
use crate::features::Bags;

fn bags(rows: &[&[u32]]) -> Bags {
    let mut b = Bags {
        offsets: vec![0],
        ids: Vec::new(),
    };
    for r in rows {
        b.ids.extend_from_slice(r);
        b.offsets.push(b.ids.len() as u32);
    }
    b
}

fn table(name: &str, rows: usize, dim: usize, combiner: Combiner, seed: u64) -> Table {
    Table {
        name: name.into(),
        w: crate::embedding::Initializer::Uniform { scale: 0.8 }.table(rows, dim, seed),
        combiner,
        trainable: true,
        frozen: Vec::new(),
    }
}

/// Batch-mean loss of `net` on `rows`, in f64.
fn batch_loss(net: &Net, x: &Packed, rows: &[usize]) -> f64 {
    let z = net.outputs(x, rows);
    z.iter()
        .zip(rows)
        .map(|(&z, &e)| net.loss(z, x.labels[e]))
        .sum::<f64>()
        / rows.len() as f64
}

fn close(analytic: f64, numeric: f64, what: &str) {
    let tol = 2e-3 + 2e-2 * numeric.abs().max(analytic.abs());
    assert!(
        (analytic - numeric).abs() <= tol,
        "{what}: analytic {analytic} vs numeric {numeric}"
    );
}

/// Every layer's kernel and bias, and every table's rows (single ids, a mean bag, a sqrtn
/// bag with a repeated id), against central finite differences — for both losses.
#[test]
fn gradients_match_finite_differences() {
    for task in [Task::Binary, Task::Regression] {
        let x = Examples {
            bags: vec![
                bags(&[&[0], &[2], &[1], &[2]]),
                bags(&[&[0, 1], &[3], &[1, 2, 3], &[]]),
                bags(&[&[1, 1, 0], &[2], &[0], &[0, 2]]),
            ],
            labels: match task {
                Task::Binary => vec![1.0, 0.0, 1.0, 0.0],
                Task::Regression => vec![3.5, 1.0, 4.0, 2.0],
            },
        };
        let tables = vec![
            table("a", 3, 2, Combiner::Sum, 1),
            table("b", 4, 3, Combiner::Mean, 2),
            table("c", 3, 2, Combiner::Sqrtn, 3),
        ];
        let x = Packed::new(&x);
        let mut net = Net::new(tables, &[5, 4], task, 7);
        let rows = [0usize, 1, 2, 3];
        // Two shards of one batch of four sum to the batch gradient.
        let shards: [&[usize]; 2] = [&rows[..2], &rows[2..]];
        let mut sc = net::Scratch::default();
        let g: Vec<_> = shards
            .iter()
            .map(|r| net.backward(&x, r, 4, &mut sc))
            .collect();
        let h = 1e-3f32;
        for l in 0..net.layers.len() {
            let (ni, no) = net.layers[l].w.dim();
            for i in 0..ni {
                for j in 0..no {
                    let a: f64 = g.iter().map(|s| f64::from(s.layers[l].0[[i, j]])).sum();
                    let orig = net.layers[l].w[[i, j]];
                    net.layers[l].w[[i, j]] = orig + h;
                    let up = batch_loss(&net, &x, &rows);
                    net.layers[l].w[[i, j]] = orig - h;
                    let down = batch_loss(&net, &x, &rows);
                    net.layers[l].w[[i, j]] = orig;
                    close(
                        a,
                        (up - down) / (2.0 * f64::from(h)),
                        &format!("W{l}[{i},{j}]"),
                    );
                }
            }
            for j in 0..no {
                let a: f64 = g.iter().map(|s| f64::from(s.layers[l].1[j])).sum();
                let orig = net.layers[l].b[j];
                net.layers[l].b[j] = orig + h;
                let up = batch_loss(&net, &x, &rows);
                net.layers[l].b[j] = orig - h;
                let down = batch_loss(&net, &x, &rows);
                net.layers[l].b[j] = orig;
                close(a, (up - down) / (2.0 * f64::from(h)), &format!("b{l}[{j}]"));
            }
        }
        for t in 0..net.tables.len() {
            let (nr, d) = net.tables[t].w.dim();
            let mut analytic = Array2::<f64>::zeros((nr, d));
            for s in &g {
                let sr = &s.tables[t];
                for (j, &id) in sr.ids.iter().enumerate() {
                    for k in 0..d {
                        analytic[[id as usize, k]] += f64::from(sr.vals[j * d + k]);
                    }
                }
            }
            for r in 0..nr {
                for k in 0..d {
                    let orig = net.tables[t].w[[r, k]];
                    net.tables[t].w[[r, k]] = orig + h;
                    let up = batch_loss(&net, &x, &rows);
                    net.tables[t].w[[r, k]] = orig - h;
                    let down = batch_loss(&net, &x, &rows);
                    net.tables[t].w[[r, k]] = orig;
                    close(
                        analytic[[r, k]],
                        (up - down) / (2.0 * f64::from(h)),
                        &format!("{task:?} table {t} row {r} [{k}]"),
                    );
                }
            }
        }
    }
}

const PLANTED: &str = r#"
name = "planted"
[label]
column = "y"
threshold = 0.5
[[columns]]
type = "identity"
name = "a"
key = "a"
num_buckets = 8
[[columns]]
type = "identity"
name = "b"
key = "b"
num_buckets = 8
[[columns]]
type = "crossed"
name = "a_x_b"
columns = ["a", "b"]
[[columns]]
type = "identity"
name = "noise"
key = "noise"
num_buckets = 50
[[embeddings]]
column = "a"
[[embeddings]]
column = "b"
[[embeddings]]
column = "a_x_b"
[[embeddings]]
column = "noise"
trainable = false
"#;

/// Rows of the planted task: the label is a fixed random function of the pair (a, b), so
/// only the cross (or the MLP over both) can learn it; `noise` carries nothing.
fn planted_rows(n: usize, seed: u64) -> Vec<Vec<(String, String)>> {
    use rand::{Rng, SeedableRng};
    let mut truth = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(99);
    let f: Vec<bool> = (0..64).map(|_| truth.random::<bool>()).collect();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let (a, b) = (rng.random_range(0..8usize), rng.random_range(0..8usize));
            let y = u8::from(f[a * 8 + b]);
            vec![
                ("a".into(), a.to_string()),
                ("b".into(), b.to_string()),
                ("noise".into(), rng.random_range(0..50usize).to_string()),
                ("y".into(), y.to_string()),
            ]
        })
        .collect()
}

fn encode_rows(s: &Schema, fs: &FeatureSet, rows: &[Vec<(String, String)>]) -> Examples {
    let rows: Vec<Vec<(&str, &str)>> = rows
        .iter()
        .map(|r| r.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .collect();
    encode(
        s,
        fs,
        rows.iter().enumerate().map(|(i, r)| (i + 1, r.as_slice())),
        Path::new("planted"),
    )
    .unwrap()
}

/// The planted cross is learned to near-perfect AUC; the frozen table stays bit-identical
/// while the trainable ones move; one-thread runs repeat exactly.
#[test]
fn learns_a_planted_cross_and_keeps_frozen_tables() {
    let s = Schema::parse(PLANTED, Path::new("planted.toml")).unwrap();
    let train_rows = planted_rows(6000, 1);
    let test_rows = planted_rows(2000, 2);
    let fs = FeatureSet::fit(
        &s,
        train_rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .iter()
            .map(Vec::as_slice),
    )
    .unwrap();
    let train = encode_rows(&s, &fs, &train_rows);
    let test = encode_rows(&s, &fs, &test_rows);
    let ctx = TrainContext {
        threads: 1,
        seed: 5,
        ..Default::default()
    };
    let before = build_tables(&s, &fs, &ctx, &mut Vec::new()).unwrap();
    let params = DnnParams {
        optimizer: OptimizerKind::Adam,
        lr: 0.01,
        batch: 64,
        epochs: 15,
        ..Default::default()
    };
    let dnn = Dnn::fit(&s, fs.clone(), &train, &params, &ctx).unwrap();
    let p = dnn.predict(&test);
    let a = auc(&p, &test.labels);
    assert!(a > 0.99, "planted cross AUC {a}");
    let losses: Vec<f64> = dnn.epochs.iter().map(|e| e.loss).collect();
    assert!(losses[losses.len() - 1] < losses[0] * 0.5, "{losses:?}");
    for (b, t) in before.iter().zip(&dnn.net.tables) {
        if t.name == "noise" {
            assert_eq!(b.w, t.w, "frozen table changed");
        } else {
            assert_ne!(b.w, t.w, "table {} did not train", t.name);
        }
    }
    let again = Dnn::fit(&s, fs, &train, &params, &ctx).unwrap();
    assert_eq!(again.predict(&test), p);
    // The saved form names every row.
    let m = dnn.to_model(None);
    assert_eq!(m.vocab("a_x_b").unwrap().key(9), Some("1 x 1"));
    assert_eq!(m.table("a_x_b/embedding").unwrap().nrows(), 64);
    assert!(m.table("dnn/dense_2/kernel").is_some());
}

/// Early stopping keeps the best epoch's weights and records the validation curve.
#[test]
fn early_stopping_keeps_the_best_epoch() {
    let s = Schema::parse(PLANTED, Path::new("planted.toml")).unwrap();
    let rows = planted_rows(3000, 3);
    let fs = FeatureSet::fit(
        &s,
        rows.iter()
            .map(|r| {
                r.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .iter()
            .map(Vec::as_slice),
    )
    .unwrap();
    let x = encode_rows(&s, &fs, &rows);
    let params = DnnParams {
        optimizer: OptimizerKind::Adam,
        lr: 0.3,
        batch: 32,
        epochs: 30,
        validation: 0.2,
        patience: 2,
        ..Default::default()
    };
    let ctx = TrainContext {
        threads: 2,
        ..Default::default()
    };
    let dnn = Dnn::fit(&s, fs, &x, &params, &ctx).unwrap();
    let v = &dnn.validation_loss;
    assert_eq!(v.len(), dnn.epochs.len());
    let best = v.iter().cloned().fold(f64::INFINITY, f64::min);
    assert_eq!(v[dnn.best_epoch - 1], best);
    assert!(dnn.epochs.len() == 30 || dnn.epochs.len() >= dnn.best_epoch + 2);
    assert!(DnnParams {
        hidden: vec![0],
        ..Default::default()
    }
    .check()
    .is_err());
}

/// A text column's input to the network is the mean of its tokens' word vectors (repeats
/// counted, unknown words dropped), through the real schema → columns → encode path.
#[test]
fn text_column_bag_is_the_mean_of_its_word_vectors() {
    let schema = crate::features::Schema::parse(
        r#"
name = "t"
[label]
column = "y"
threshold = 0.5
[[columns]]
type = "text"
name = "word"
key = "review"
[[embeddings]]
column = "word"
dimension = 3
combiner = "mean"
"#,
        Path::new("t.toml"),
    )
    .unwrap();
    let rows: Vec<Vec<(&str, &str)>> = vec![
        vec![("review", "Good film, good cast."), ("y", "1")],
        vec![("review", "A dull film<br />dull!"), ("y", "0")],
    ];
    let features =
        crate::features::FeatureSet::fit(&schema, rows.iter().map(|r| r.as_slice())).unwrap();
    let col = features.column("word").unwrap();
    let v = col.vocab.clone().unwrap();
    assert_eq!(v.len(), 5);
    let x = crate::features::encode::encode(
        &schema,
        &features,
        rows.iter().enumerate().map(|(i, r)| (i + 1, r.as_slice())),
        Path::new("t.tsv"),
    )
    .unwrap();
    let t = table("word", v.len(), 3, Combiner::Mean, 5);
    let w = t.w.clone();
    let net = Net::new(vec![t], &[4], Task::Binary, 1);
    let input = net.input(&Packed::new(&x), &[0, 1]);
    for (r, words) in [
        vec!["good", "film", "good", "cast"],
        vec!["a", "dull", "film", "dull"],
    ]
    .iter()
    .enumerate()
    {
        for k in 0..3 {
            let mean: f32 = words
                .iter()
                .map(|wd| w[[v.get(wd).unwrap() as usize, k]])
                .sum::<f32>()
                / words.len() as f32;
            assert!((input[[r, k]] - mean).abs() < 1e-6, "row {r} dim {k}");
        }
    }
}

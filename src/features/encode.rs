//! Encoded examples: each embedded column's bags of ids in CSR form, and the labels — what
//! the DNN trains on. Also the key of every row of a column's table (for the vocabulary files
//! saved beside the tables, so that later models can take rows by key).

use super::{ColumnSpec, FeatureSet, Row, Schema};
use crate::error::{Error, Result};

/// One column's bags: example `e` holds `ids[offsets[e]..offsets[e + 1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bags {
    /// `n + 1` offsets into `ids`.
    pub offsets: Vec<u32>,
    /// Concatenated ids.
    pub ids: Vec<u32>,
}

impl Bags {
    /// The bag of example `e`.
    #[must_use]
    pub fn bag(&self, e: usize) -> &[u32] {
        &self.ids[self.offsets[e] as usize..self.offsets[e + 1] as usize]
    }

    /// Number of examples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True without examples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Encoded examples of the schema's embedded columns (in `[[embeddings]]` order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Examples {
    /// One entry per embedding, in schema order.
    pub bags: Vec<Bags>,
    /// The label of each example (0/1 for a thresholded label, else the raw value).
    pub labels: Vec<f32>,
}

impl Examples {
    /// Number of examples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True without examples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The examples at `rows`, in that order.
    #[must_use]
    pub fn select(&self, rows: &[usize]) -> Examples {
        let bags = self
            .bags
            .iter()
            .map(|b| {
                let mut out = Bags {
                    offsets: Vec::with_capacity(rows.len() + 1),
                    ids: Vec::new(),
                };
                out.offsets.push(0);
                for &r in rows {
                    out.ids.extend_from_slice(b.bag(r));
                    out.offsets.push(out.ids.len() as u32);
                }
                out
            })
            .collect();
        Examples {
            bags,
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
        }
    }
}

/// Example-major copy of [`Examples`]: each example's bags for every column back to back,
/// each bag preceded by its length, so that one example is one or two cache lines instead of
/// two random reads per column (what a shuffled mini-batch loop wants).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed {
    /// Example `e` is `data[starts[e]..starts[e + 1]]`.
    pub starts: Vec<usize>,
    /// `[len, ids…]` per column, per example.
    pub data: Vec<u32>,
    /// Labels.
    pub labels: Vec<f32>,
    /// Number of columns.
    pub columns: usize,
}

impl Packed {
    /// Pack `x`.
    #[must_use]
    pub fn new(x: &Examples) -> Packed {
        let n = x.len();
        let total: usize = x.bags.iter().map(|b| b.ids.len() + b.len()).sum();
        let mut data = Vec::with_capacity(total);
        let mut starts = Vec::with_capacity(n + 1);
        starts.push(0);
        for e in 0..n {
            for b in &x.bags {
                let bag = b.bag(e);
                data.push(bag.len() as u32);
                data.extend_from_slice(bag);
            }
            starts.push(data.len());
        }
        Packed {
            starts,
            data,
            labels: x.labels.clone(),
            columns: x.bags.len(),
        }
    }

    /// The bags of example `e`, column by column.
    pub fn bags(&self, e: usize) -> impl Iterator<Item = &[u32]> + '_ {
        let mut rest = self.example(e);
        (0..self.columns).map(move |_| {
            let (head, tail) = rest.split_first().unwrap_or((&0, &[]));
            let n = (*head as usize).min(tail.len());
            let (bag, after) = tail.split_at(n);
            rest = after;
            bag
        })
    }

    /// The packed words of example `e`.
    #[must_use]
    pub fn example(&self, e: usize) -> &[u32] {
        &self.data[self.starts[e]..self.starts[e + 1]]
    }

    /// Number of examples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True without examples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Encode `rows` (each with a 1-based `line` for messages): map every embedded column and
/// read the label. `file` names the data in errors.
pub fn encode<'r, R: Row + ?Sized + 'r>(
    schema: &Schema,
    features: &FeatureSet,
    rows: impl IntoIterator<Item = (usize, &'r R)>,
    file: &std::path::Path,
) -> Result<Examples> {
    let label = schema
        .label
        .as_ref()
        .ok_or_else(|| Error::schema(&schema.path, "a supervised model needs a [label]"))?;
    let cols: Vec<usize> = schema
        .embeddings
        .iter()
        .map(|e| {
            features
                .columns
                .iter()
                .position(|c| c.spec.name() == e.column)
                .ok_or_else(|| {
                    Error::schema(&schema.path, format!("unknown column '{}'", e.column))
                })
        })
        .collect::<Result<_>>()?;
    let mut out = Examples {
        bags: vec![
            Bags {
                offsets: vec![0],
                ids: Vec::new()
            };
            cols.len()
        ],
        labels: Vec::new(),
    };
    for (line, row) in rows {
        let ids = features
            .transform(row)
            .map_err(|e| Error::parse(file, line, e.to_string()))?;
        for (b, &c) in out.bags.iter_mut().zip(&cols) {
            b.ids.extend_from_slice(&ids[c]);
            b.offsets.push(b.ids.len() as u32);
        }
        let raw = row.get(&label.column).ok_or_else(|| {
            Error::parse(file, line, format!("no label field '{}'", label.column))
        })?;
        let y: f64 = raw
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                Error::parse(
                    file,
                    line,
                    format!(
                        "label '{}': expected a finite number, found '{raw}'",
                        label.column
                    ),
                )
            })?;
        out.labels.push(match label.threshold {
            Some(t) => f32::from(u8::from(y >= t)),
            None => y as f32,
        });
    }
    Ok(out)
}

/// The key of every row of column `c`'s table, unique within the column: vocabulary keys then
/// `<oov:j>`; identity and hashed ids as `#j`; bucketized ranges as `[lo,hi)`; flag names;
/// exact crosses as the inputs' keys joined by ` x `.
#[must_use]
pub fn row_keys(features: &FeatureSet, c: usize) -> Vec<String> {
    let col = &features.columns[c];
    let n = col.num_buckets();
    let keys: Vec<String> = match &col.spec {
        ColumnSpec::Vocabulary {
            num_oov_buckets, ..
        }
        | ColumnSpec::Text {
            num_oov_buckets, ..
        } => col
            .vocab
            .iter()
            .flat_map(|v| v.keys().iter().cloned())
            .chain((0..*num_oov_buckets).map(|j| format!("<oov:{j}>")))
            .collect(),
        ColumnSpec::Identity { .. } => (0..n).map(|j| j.to_string()).collect(),
        ColumnSpec::HashBucket { .. } => (0..n).map(|j| format!("#{j}")).collect(),
        ColumnSpec::Bucketized { boundaries, .. } => (0..n)
            .map(|j| {
                let lo = if j == 0 {
                    "-inf".to_string()
                } else {
                    boundaries[j - 1].to_string()
                };
                let hi = boundaries
                    .get(j)
                    .map_or_else(|| "inf".to_string(), f64::to_string);
                format!("[{lo},{hi})")
            })
            .collect(),
        ColumnSpec::Flags { flags, .. } => flags
            .iter()
            .map(|f| f.split_once(':').map_or(f.as_str(), |x| x.1).to_string())
            .collect(),
        ColumnSpec::Crossed {
            hash_bucket_size: Some(_),
            ..
        } => (0..n).map(|j| format!("#{j}")).collect(),
        ColumnSpec::Crossed { .. } => {
            let inputs: Vec<Vec<String>> = col
                .cross_inputs()
                .iter()
                .map(|&i| row_keys(features, i))
                .collect();
            (0..n)
                .map(|mut j| {
                    let mut parts = vec![String::new(); inputs.len()];
                    for (p, keys) in parts.iter_mut().zip(&inputs).rev() {
                        *p = keys[j % keys.len()].clone();
                        j /= keys.len();
                    }
                    parts.join(" x ")
                })
                .collect()
        }
    };
    // Keys must be unique (one row each); fall back to positions if the data made them collide.
    let unique: std::collections::HashSet<&String> = keys.iter().collect();
    if unique.len() == keys.len() && keys.len() == n {
        keys
    } else {
        (0..n).map(|j| format!("#{j}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn encodes_bags_labels_and_row_keys() {
        let text = r#"
name = "t"
[label]
column = "rating"
threshold = 4.0
[[columns]]
type = "identity"
name = "dow"
key = "ts"
derive = "day_of_week"
num_buckets = 7
[[columns]]
type = "identity"
name = "hour"
key = "ts"
derive = "hour_of_day"
num_buckets = 24
[[columns]]
type = "crossed"
name = "dow_x_hour"
columns = ["dow", "hour"]
[[columns]]
type = "vocabulary"
name = "tags"
key = "tags"
separator = "|"
num_oov_buckets = 1
[[columns]]
type = "bucketized"
name = "age"
key = "age"
boundaries = [18.0, 25.0]
[[embeddings]]
column = "dow_x_hour"
[[embeddings]]
column = "tags"
[[embeddings]]
column = "age"
"#;
        let s = Schema::parse(text, Path::new("t.toml")).unwrap();
        let rows: Vec<Vec<(&str, &str)>> = vec![
            vec![
                ("ts", "1704184200"),
                ("tags", "a|b"),
                ("age", "30"),
                ("rating", "4"),
            ],
            vec![("ts", "0"), ("tags", "a"), ("age", "3"), ("rating", "3.5")],
        ];
        let fs = FeatureSet::fit(&s, rows.iter().map(|r| r.as_slice())).unwrap();
        let x = encode(
            &s,
            &fs,
            rows.iter().enumerate().map(|(i, r)| (i + 1, r.as_slice())),
            Path::new("d.csv"),
        )
        .unwrap();
        assert_eq!(x.labels, vec![1.0, 0.0]);
        assert_eq!(x.bags[0].bag(0), &[32]); // Tuesday 08h
        assert_eq!(x.bags[1].bag(0).len(), 2);
        assert_eq!(x.bags[2].bag(1), &[0]);
        let packed = Packed::new(&x);
        let bags: Vec<&[u32]> = packed.bags(0).collect();
        assert_eq!(
            bags,
            vec![x.bags[0].bag(0), x.bags[1].bag(0), x.bags[2].bag(0)]
        );
        let y = x.select(&[1]);
        assert_eq!(y.labels, vec![0.0]);
        assert_eq!(y.bags[1].bag(0), x.bags[1].bag(1));
        let cross = row_keys(&fs, 2);
        assert_eq!(cross.len(), 168);
        assert_eq!(cross[32], "1 x 8");
        assert_eq!(row_keys(&fs, 3), vec!["a", "b", "<oov:0>"]);
        assert_eq!(row_keys(&fs, 4), vec!["[-inf,18)", "[18,25)", "[25,inf)"]);
        let bad = [vec![
            ("ts", "0"),
            ("tags", "a"),
            ("age", "x"),
            ("rating", "4"),
        ]];
        let e = encode(
            &s,
            &fs,
            bad.iter().map(|r| (7, r.as_slice())),
            Path::new("d.csv"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("d.csv:7") && e.contains("age"), "{e}");
    }
}

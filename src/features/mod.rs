//! Feature columns: the TensorFlow feature-column vocabulary, declared in `schemas/*.toml`.
//!
//! A [`Schema`] declares categorical [`ColumnSpec`]s (vocabulary, identity, hash bucket,
//! bucketized, flags, crossed; vocabulary and hash columns may be multivalent with a
//! `separator`) and embeddings over them. [`FeatureSet::fit`] learns vocabularies from rows
//! and wires crossed columns; [`FeatureSet::transform`] maps a row to one bag of ids per column.

pub mod columns;
pub mod derive;
pub mod encode;
pub mod hash;
pub mod schema;

pub use columns::{Column, ColumnError, ColumnSpec, Row};
pub use derive::Derive;
pub use encode::{Bags, Examples};
pub use schema::{EmbeddingSpec, Label, Roles, Schema, Source, SourceKind};

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::vocab::{KeyCounter, Vocab};

/// The fitted columns of a schema, in declaration order.
#[derive(Debug, Clone)]
pub struct FeatureSet {
    /// Fitted columns.
    pub columns: Vec<Column>,
}

impl FeatureSet {
    /// Resolve every column: fixed vocabularies from lists or files, learned ones by counting
    /// keys over `rows` (kept when seen `min_count` times, at most `max_size` of them, the most
    /// frequent; ordered by descending count, then key), and crossed columns wired to their inputs.
    pub fn fit<'r, R, I>(schema: &Schema, rows: I) -> Result<FeatureSet>
    where
        R: Row + ?Sized + 'r,
        I: IntoIterator<Item = &'r R>,
    {
        FeatureSet::fit_with_priors(schema, rows, &HashMap::new())
    }

    /// [`FeatureSet::fit`], with the vocabularies of text columns that name a
    /// `vocabulary_from` model given in `priors` (column name → the model's word
    /// vocabulary; `store::prior_vocabularies` reads them). A column whose prior is
    /// missing is a schema error.
    pub fn fit_with_priors<'r, R, I>(
        schema: &Schema,
        rows: I,
        priors: &HashMap<String, Vocab>,
    ) -> Result<FeatureSet>
    where
        R: Row + ?Sized + 'r,
        I: IntoIterator<Item = &'r R>,
    {
        let base = schema
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let mut counts: Vec<Option<KeyCounter>> = Vec::new();
        let mut columns = Vec::new();
        for spec in &schema.columns {
            let mut vocab = None;
            let mut learn = None;
            if let ColumnSpec::Vocabulary {
                vocabulary,
                vocabulary_file,
                ..
            } = spec
            {
                if let Some(list) = vocabulary {
                    vocab = Some(Vocab::from_keys(list.iter().cloned()));
                } else if let Some(f) = vocabulary_file {
                    vocab = Some(read_vocab_file(&base.join(f))?);
                } else {
                    learn = Some(KeyCounter::new(spec.max_size()));
                }
            }
            if let ColumnSpec::Text {
                vocabulary_file,
                vocabulary_from,
                ..
            } = spec
            {
                if let Some(f) = vocabulary_file {
                    vocab = Some(read_vocab_file(&base.join(f))?);
                } else if let Some(dir) = vocabulary_from {
                    let v = priors.get(spec.name()).ok_or_else(|| {
                        Error::schema(
                            &schema.path,
                            format!(
                                "column '{}': the word vocabulary of {} was not loaded (vocabulary_from)",
                                spec.name(),
                                base.join(dir).display()
                            ),
                        )
                    })?;
                    vocab = Some(v.clone());
                } else {
                    learn = Some(KeyCounter::new(spec.max_size()));
                }
            }
            counts.push(learn);
            columns.push(Column::new(spec.clone(), vocab));
        }
        if counts.iter().any(Option::is_some) {
            for row in rows {
                for (c, cnt) in columns.iter().zip(counts.iter_mut()) {
                    let Some(cnt) = cnt else { continue };
                    if let ColumnSpec::Text {
                        key, max_tokens, ..
                    } = &c.spec
                    {
                        let Some(raw) = row.get(key) else {
                            return Err(Error::schema(
                                &schema.path,
                                format!(
                                    "column '{}': the data has no field '{key}'",
                                    c.spec.name()
                                ),
                            ));
                        };
                        columns::for_each_token(raw, *max_tokens, |t| cnt.add(t));
                    }
                    if let ColumnSpec::Vocabulary {
                        key,
                        derive,
                        separator,
                        ..
                    } = &c.spec
                    {
                        let Some(raw) = row.get(key) else {
                            return Err(Error::schema(
                                &schema.path,
                                format!(
                                    "column '{}': the data has no field '{key}'",
                                    c.spec.name()
                                ),
                            ));
                        };
                        let parts: Vec<&str> = match separator {
                            Some(s) => raw
                                .split(s.as_str())
                                .map(str::trim)
                                .filter(|k| !k.is_empty())
                                .collect(),
                            None => vec![raw.trim()],
                        };
                        for p in parts {
                            match derive {
                                Some(d) => match d.apply(p) {
                                    Some(v) => cnt.add(&v),
                                    None => continue,
                                },
                                None => cnt.add(p),
                            }
                        }
                    }
                }
            }
            for (c, cnt) in columns.iter_mut().zip(counts) {
                let Some(cnt) = cnt else { continue };
                let min = match &c.spec {
                    ColumnSpec::Vocabulary { min_count, .. }
                    | ColumnSpec::Text { min_count, .. } => *min_count,
                    _ => 1,
                };
                let mut keys = cnt.into_top(min as u64);
                keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                c.vocab = Some(Vocab::from_keys(keys.into_iter().map(|(k, _)| k)));
            }
        }
        let sizes: HashMap<String, (usize, usize)> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.spec.name().to_string(), (i, c.num_buckets())))
            .collect();
        for c in &mut columns {
            if let ColumnSpec::Crossed {
                columns: inputs, ..
            } = &c.spec
            {
                let (pos, n): (Vec<usize>, Vec<usize>) =
                    inputs.iter().map(|x| sizes[x.as_str()]).unzip();
                let product: u128 = n.iter().map(|&v| v as u128).product();
                if product > u128::from(u32::MAX) {
                    return Err(Error::schema(
                        &schema.path,
                        format!(
                            "crossed column '{}': the exact cross has {product} ids; set hash_bucket_size",
                            c.spec.name()
                        ),
                    ));
                }
                c.set_cross(pos, n);
            }
        }
        Ok(FeatureSet { columns })
    }

    /// Map one row to one bag of ids per column (declaration order).
    pub fn transform<R: Row + ?Sized>(
        &self,
        row: &R,
    ) -> std::result::Result<Vec<Vec<u32>>, ColumnError> {
        let mut out: Vec<Vec<u32>> = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            if let ColumnSpec::Crossed { .. } = c.spec {
                out.push(Vec::new());
            } else {
                out.push(c.ids(row)?);
            }
        }
        for (i, c) in self.columns.iter().enumerate() {
            if let ColumnSpec::Crossed { .. } = c.spec {
                let mut ids = Vec::with_capacity(c.cross_inputs().len());
                for &j in c.cross_inputs() {
                    match out[j].as_slice() {
                        [one] => ids.push(*one),
                        _ => {
                            return Err(ColumnError::BadValue {
                                column: c.spec.name().to_string(),
                                message: format!(
                                    "input '{}' must yield exactly one id",
                                    self.columns[j].spec.name()
                                ),
                            })
                        }
                    }
                }
                out[i] = vec![c.cross(&ids)];
            }
        }
        Ok(out)
    }

    /// A fitted column by name.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.spec.name() == name)
    }
}

/// A vocabulary file: one key per line, blank lines skipped, surrounding spaces trimmed.
fn read_vocab_file(p: &Path) -> Result<Vocab> {
    let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
    Ok(Vocab::from_keys(
        text.lines().map(str::trim).filter(|l| !l.is_empty()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SCHEMA: &str = r#"
name = "t"
[[columns]]
type = "identity"
name = "dow"
key = "timestamp"
derive = "day_of_week"
num_buckets = 7
[[columns]]
type = "identity"
name = "hour"
key = "timestamp"
derive = "hour_of_day"
num_buckets = 24
[[columns]]
type = "crossed"
name = "dow_x_hour"
columns = ["dow", "hour"]
[[columns]]
type = "crossed"
name = "dow_x_hour_hashed"
columns = ["dow", "hour"]
hash_bucket_size = 50
[[columns]]
type = "vocabulary"
name = "item"
key = "item"
min_count = 2
num_oov_buckets = 1
[[embeddings]]
column = "dow_x_hour"
[[embeddings]]
column = "item"
dimension = 8
combiner = "sqrtn"
"#;

    #[test]
    fn day_hour_cross_of_tuesday_8am() {
        let s = Schema::parse(SCHEMA, Path::new("t.toml")).unwrap();
        let rows: Vec<Vec<(&str, &str)>> = vec![
            vec![("timestamp", "1704184200"), ("item", "a")],
            vec![("timestamp", "0"), ("item", "a")],
            vec![("timestamp", "0"), ("item", "b")],
        ];
        let fs = FeatureSet::fit(&s, rows.iter().map(|r| r.as_slice())).unwrap();
        let cross = fs.column("dow_x_hour").unwrap();
        assert_eq!(cross.num_buckets(), 7 * 24);
        // 2024-01-02 08:30 UTC: Tuesday (1) × 08h → 1 * 24 + 8 = 32
        let ids = fs.transform(rows[0].as_slice()).unwrap();
        assert_eq!(ids[0], vec![1]);
        assert_eq!(ids[1], vec![8]);
        assert_eq!(ids[2], vec![32]);
        assert_eq!(ids[3], vec![crate::features::hash::bucket("1_8", 50)]);
        // min_count = 2 keeps only "a"; "b" goes to the single OOV bucket (index 1).
        assert_eq!(fs.column("item").unwrap().num_buckets(), 2);
        assert_eq!(fs.transform(rows[2].as_slice()).unwrap()[4], vec![1]);
        let e = s.embedding("dow_x_hour").unwrap();
        assert_eq!(e.dimension.resolve(168), 4); // round(168^0.25) = round(3.6) = 4
    }

    #[test]
    fn schema_errors_are_clear() {
        let bad = "name = \"x\"\n[[embeddings]]\ncolumn = \"nope\"\n";
        let e = Schema::parse(bad, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.toml") && e.contains("unknown column 'nope'"),
            "{e}"
        );
        let bad = "name = \"x\"\n[[columns]]\ntype = \"bucketized\"\nname = \"a\"\nkey = \"a\"\nboundaries = [3.0, 1.0]\n";
        assert!(Schema::parse(bad, Path::new("s.toml")).is_err());
        let bad = "name = \"x\"\n[[columns]]\ntype = \"teleport\"\nname = \"a\"\n";
        assert!(Schema::parse(bad, Path::new("s.toml")).is_err());
        let s = Schema::parse(SCHEMA, Path::new("t.toml")).unwrap();
        let e = s.check_fields(&["item".into()]).unwrap_err().to_string();
        assert!(
            e.contains("missing columns") && e.contains("timestamp"),
            "{e}"
        );
    }

    #[test]
    fn max_size_keeps_the_most_frequent_keys_in_bounded_memory() {
        let schema = "name = \"x\"\n[[columns]]\ntype = \"vocabulary\"\nname = \"item\"\nkey = \"item\"\nmax_size = 3\nnum_oov_buckets = 1\n[[embeddings]]\ncolumn = \"item\"\n";
        let s = Schema::parse(schema, Path::new("v.toml")).unwrap();
        // "hot0".."hot3" recur (hot0 most), 10,000 one-off keys between them.
        let mut items: Vec<String> = Vec::new();
        for i in 0..10_000 {
            if i % 50 == 0 {
                for h in 0..4 {
                    for _ in 0..(4 - h) {
                        items.push(format!("hot{h}"));
                    }
                }
            }
            items.push(format!("cold{i}"));
        }
        let rows: Vec<Vec<(&str, &str)>> =
            items.iter().map(|k| vec![("item", k.as_str())]).collect();
        let fs = FeatureSet::fit(&s, rows.iter().map(|r| r.as_slice())).unwrap();
        let c = fs.column("item").unwrap();
        assert_eq!(c.num_buckets(), 3 + 1);
        let v = c.vocab.as_ref().unwrap();
        assert_eq!(v.keys(), ["hot0", "hot1", "hot2"]);
        // the fourth hot key and the cold ones fall to the OOV bucket
        let hot3 = fs.transform([("item", "hot3")].as_slice()).unwrap();
        assert_eq!(hot3[0], vec![3]);
    }
}

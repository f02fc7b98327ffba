//! Categorical feature columns: each maps a row's raw fields to a bag of ids in
//! `[0, num_buckets)`. A single-valued column yields one id; a multivalent one several.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::derive::Derive;
use super::hash;
use crate::vocab::Vocab;

/// Read access to one row's raw fields by column name.
pub trait Row {
    /// The raw text of field `name`, if the row has it.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Row for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl Row for [(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// Why a row could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    /// The row lacks a field the column reads.
    #[error("column '{column}': the row has no field '{field}'")]
    MissingField {
        /// Column name.
        column: String,
        /// Field name.
        field: String,
    },
    /// A value the column cannot map (non-numeric, out of range, unknown without OOV).
    #[error("column '{column}': {message}")]
    BadValue {
        /// Column name.
        column: String,
        /// What was wrong.
        message: String,
    },
}

/// The declaration of one categorical column, as written in a schema (`type = …`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ColumnSpec {
    /// Keys from a list, a file, or learned from data.
    Vocabulary {
        /// Column name (also the embedding table's name).
        name: String,
        /// The field it reads.
        key: String,
        /// Derivation applied to the field first.
        #[serde(default)]
        derive: Option<Derive>,
        /// Fixed key list.
        #[serde(default)]
        vocabulary: Option<Vec<String>>,
        /// File with one key per line (relative to the schema).
        #[serde(default)]
        vocabulary_file: Option<String>,
        /// When learned from data: keys seen fewer times are out of vocabulary.
        #[serde(default = "one")]
        min_count: usize,
        /// When learned from data: keep at most this many keys, the most frequent (counted in
        /// memory bounded by twice this; see [`crate::vocab::KeyCounter`]).
        #[serde(default)]
        max_size: Option<usize>,
        /// Out-of-vocabulary keys are hashed into this many extra buckets.
        #[serde(default)]
        num_oov_buckets: usize,
        /// Id for out-of-vocabulary keys when there are no OOV buckets (`None` = error).
        #[serde(default)]
        default_value: Option<u32>,
        /// Split the field on this separator into several keys (multivalent).
        #[serde(default)]
        separator: Option<String>,
    },
    /// Integer ids already in `[0, num_buckets)`.
    Identity {
        /// Column name.
        name: String,
        /// The field it reads.
        key: String,
        /// Derivation applied first (e.g. `day_of_week`).
        #[serde(default)]
        derive: Option<Derive>,
        /// Number of ids.
        num_buckets: usize,
        /// Id for out-of-range values (`None` = error).
        #[serde(default)]
        default_value: Option<u32>,
    },
    /// Any key hashed into `hash_bucket_size` buckets (stable FNV-1a, see [`hash`]).
    HashBucket {
        /// Column name.
        name: String,
        /// The field it reads.
        key: String,
        /// Number of buckets.
        hash_bucket_size: usize,
        /// Split the field on this separator (multivalent).
        #[serde(default)]
        separator: Option<String>,
    },
    /// A number mapped to the bucket of sorted `boundaries` it falls in (n+1 buckets).
    Bucketized {
        /// Column name.
        name: String,
        /// The field it reads.
        key: String,
        /// Derivation applied first.
        #[serde(default)]
        derive: Option<Derive>,
        /// Strictly increasing boundaries; bucket i holds `b[i-1] <= x < b[i]`.
        boundaries: Vec<f64>,
    },
    /// Several 0/1 flag fields (e.g. `u.item` genres) → the bag of the set flags' positions.
    Flags {
        /// Column name.
        name: String,
        /// The flag fields, in id order.
        flags: Vec<String>,
    },
    /// A text field (title, review, tag) tokenised by the word2vec tokenizer
    /// ([`crate::tokenize::Tokenizer::Words`]: lower-cased `[a-z]+('[a-z]+)?`, `<br />` removed)
    /// into a bag of word ids — one id per token, repeats kept, so a `mean` embedding is the
    /// mean of the tokens' word vectors (TensorFlow Hub's `text_embedding_column`). Tokens
    /// outside the vocabulary go to `num_oov_buckets` hashed buckets, or are dropped.
    Text {
        /// Column name.
        name: String,
        /// The field it reads.
        key: String,
        /// File with one word per line (relative to the schema).
        #[serde(default)]
        vocabulary_file: Option<String>,
        /// A model directory whose `word` vocabulary is used (typically the word vectors the
        /// embedding starts from), relative to the schema.
        #[serde(default)]
        vocabulary_from: Option<String>,
        /// When learned from data: words seen fewer times are out of vocabulary.
        #[serde(default = "one")]
        min_count: usize,
        /// When learned from data: keep at most this many words, the most frequent.
        #[serde(default)]
        max_size: Option<usize>,
        /// Keep only the first N tokens of a field.
        #[serde(default)]
        max_tokens: Option<usize>,
        /// Out-of-vocabulary tokens are hashed into this many extra buckets (0: dropped).
        #[serde(default)]
        num_oov_buckets: usize,
    },
    /// The cross of other columns (by name). Exact (mixed radix) unless `hash_bucket_size`.
    Crossed {
        /// Column name.
        name: String,
        /// The crossed columns' names, each single-valued.
        columns: Vec<String>,
        /// Hash the combined ids into this many buckets instead of the exact product.
        #[serde(default)]
        hash_bucket_size: Option<usize>,
    },
}

fn one() -> usize {
    1
}

impl ColumnSpec {
    /// The column's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            ColumnSpec::Vocabulary { name, .. }
            | ColumnSpec::Identity { name, .. }
            | ColumnSpec::HashBucket { name, .. }
            | ColumnSpec::Bucketized { name, .. }
            | ColumnSpec::Flags { name, .. }
            | ColumnSpec::Text { name, .. }
            | ColumnSpec::Crossed { name, .. } => name,
        }
    }

    /// The cap on a vocabulary learned from data (`max_size`), if any.
    #[must_use]
    pub fn max_size(&self) -> Option<usize> {
        match self {
            ColumnSpec::Vocabulary { max_size, .. } | ColumnSpec::Text { max_size, .. } => {
                *max_size
            }
            _ => None,
        }
    }

    /// The raw fields this column reads (crossed columns read through other columns).
    #[must_use]
    pub fn fields(&self) -> Vec<&str> {
        match self {
            ColumnSpec::Vocabulary { key, .. }
            | ColumnSpec::Identity { key, .. }
            | ColumnSpec::HashBucket { key, .. }
            | ColumnSpec::Bucketized { key, .. }
            | ColumnSpec::Text { key, .. } => vec![key],
            ColumnSpec::Flags { flags, .. } => flags.iter().map(String::as_str).collect(),
            ColumnSpec::Crossed { .. } => vec![],
        }
    }
}

/// A column ready to map rows: vocabularies resolved, sizes known.
#[derive(Debug, Clone)]
pub struct Column {
    /// The declaration.
    pub spec: ColumnSpec,
    /// For vocabulary columns: the in-vocabulary keys.
    pub vocab: Option<Vocab>,
    /// Sizes of the crossed columns (for crossed columns only).
    cross_sizes: Vec<usize>,
    /// Positions of the crossed columns among the fitted columns.
    cross_inputs: Vec<usize>,
}

fn field<'r, R: Row + ?Sized>(row: &'r R, column: &str, key: &str) -> Result<&'r str, ColumnError> {
    row.get(key).ok_or_else(|| ColumnError::MissingField {
        column: column.to_string(),
        field: key.to_string(),
    })
}

fn derived(value: &str, derive: Option<Derive>, column: &str) -> Result<String, ColumnError> {
    match derive {
        None => Ok(value.trim().to_string()),
        Some(d) => d.apply(value).ok_or_else(|| ColumnError::BadValue {
            column: column.to_string(),
            message: format!("cannot derive {d:?} from '{value}'"),
        }),
    }
}

/// Call `f` with the first `max` (all when `None`) word tokens of a text field.
pub(crate) fn for_each_token(value: &str, max: Option<usize>, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    let mut toks = Vec::new();
    crate::tokenize::Tokenizer::Words.tokenize(value, &mut buf, &mut toks);
    for t in toks.iter().take(max.unwrap_or(usize::MAX)) {
        f(t);
    }
}

fn split<'a>(value: &'a str, sep: &Option<String>) -> Vec<&'a str> {
    match sep {
        Some(s) => value
            .split(s.as_str())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect(),
        None => vec![value],
    }
}

impl Column {
    /// A column whose vocabulary (if any) is fixed: a list, or `vocab` learned elsewhere.
    #[must_use]
    pub fn new(spec: ColumnSpec, vocab: Option<Vocab>) -> Self {
        Column {
            spec,
            vocab,
            cross_sizes: Vec::new(),
            cross_inputs: Vec::new(),
        }
    }

    /// Wire a crossed column to its inputs (positions and sizes among fitted columns).
    pub(crate) fn set_cross(&mut self, inputs: Vec<usize>, sizes: Vec<usize>) {
        self.cross_inputs = inputs;
        self.cross_sizes = sizes;
    }

    /// Positions of a crossed column's inputs among the fitted columns.
    #[must_use]
    pub fn cross_inputs(&self) -> &[usize] {
        &self.cross_inputs
    }

    /// Number of distinct ids this column can produce (the embedding table's row count).
    #[must_use]
    pub fn num_buckets(&self) -> usize {
        match &self.spec {
            ColumnSpec::Vocabulary {
                num_oov_buckets, ..
            }
            | ColumnSpec::Text {
                num_oov_buckets, ..
            } => self.vocab.as_ref().map_or(0, Vocab::len) + num_oov_buckets,
            ColumnSpec::Identity { num_buckets, .. } => *num_buckets,
            ColumnSpec::HashBucket {
                hash_bucket_size, ..
            } => *hash_bucket_size,
            ColumnSpec::Bucketized { boundaries, .. } => boundaries.len() + 1,
            ColumnSpec::Flags { flags, .. } => flags.len(),
            ColumnSpec::Crossed {
                hash_bucket_size, ..
            } => hash_bucket_size.unwrap_or_else(|| self.cross_sizes.iter().product()),
        }
    }

    /// Map one row to its ids. Crossed columns need their inputs' ids: use
    /// [`Column::cross`] for them (the [`super::FeatureSet`] does this).
    pub fn ids<R: Row + ?Sized>(&self, row: &R) -> Result<Vec<u32>, ColumnError> {
        let name = self.spec.name();
        match &self.spec {
            ColumnSpec::Vocabulary {
                key,
                derive,
                num_oov_buckets,
                default_value,
                separator,
                ..
            } => {
                let raw = field(row, name, key)?;
                let vocab = self.vocab.as_ref().ok_or_else(|| ColumnError::BadValue {
                    column: name.to_string(),
                    message: "vocabulary not fitted".into(),
                })?;
                let mut out = Vec::new();
                for k in split(raw, separator) {
                    let k = derived(k, *derive, name)?;
                    match vocab.get(&k) {
                        Some(i) => out.push(i),
                        None if *num_oov_buckets > 0 => {
                            out.push(vocab.len() as u32 + hash::bucket(&k, *num_oov_buckets))
                        }
                        None => match default_value {
                            Some(d) => out.push(*d),
                            None => {
                                return Err(ColumnError::BadValue {
                                    column: name.to_string(),
                                    message: format!(
                                        "key '{k}' is not in the vocabulary and there are no OOV buckets or default_value"
                                    ),
                                })
                            }
                        },
                    }
                }
                Ok(out)
            }
            ColumnSpec::Identity {
                key,
                derive,
                num_buckets,
                default_value,
                ..
            } => {
                let v = derived(field(row, name, key)?, *derive, name)?;
                match v.parse::<i64>() {
                    Ok(i) if i >= 0 && (i as u64) < *num_buckets as u64 => Ok(vec![i as u32]),
                    _ => match default_value {
                        Some(d) => Ok(vec![*d]),
                        None => Err(ColumnError::BadValue {
                            column: name.to_string(),
                            message: format!("'{v}' is not an integer in [0, {num_buckets})"),
                        }),
                    },
                }
            }
            ColumnSpec::HashBucket {
                key,
                hash_bucket_size,
                separator,
                ..
            } => Ok(split(field(row, name, key)?, separator)
                .into_iter()
                .map(|k| hash::bucket(k.trim(), *hash_bucket_size))
                .collect()),
            ColumnSpec::Bucketized {
                key,
                derive,
                boundaries,
                ..
            } => {
                let v = derived(field(row, name, key)?, *derive, name)?;
                let x: f64 = v.parse().map_err(|_| ColumnError::BadValue {
                    column: name.to_string(),
                    message: format!("expected a number, found '{v}'"),
                })?;
                if x.is_nan() {
                    return Err(ColumnError::BadValue {
                        column: name.to_string(),
                        message: "NaN cannot be bucketized".into(),
                    });
                }
                Ok(vec![boundaries.partition_point(|&b| b <= x) as u32])
            }
            ColumnSpec::Flags { flags, .. } => {
                let mut out = Vec::new();
                for (i, f) in flags.iter().enumerate() {
                    let v = field(row, name, f)?.trim();
                    if !(v.is_empty() || v == "0" || v == "0.0" || v.eq_ignore_ascii_case("false"))
                    {
                        out.push(i as u32);
                    }
                }
                Ok(out)
            }
            ColumnSpec::Text {
                key,
                max_tokens,
                num_oov_buckets,
                ..
            } => {
                let raw = field(row, name, key)?;
                let vocab = self.vocab.as_ref().ok_or_else(|| ColumnError::BadValue {
                    column: name.to_string(),
                    message: "vocabulary not fitted".into(),
                })?;
                let mut out = Vec::new();
                for_each_token(raw, *max_tokens, |t| match vocab.get(t) {
                    Some(i) => out.push(i),
                    None if *num_oov_buckets > 0 => {
                        out.push(vocab.len() as u32 + hash::bucket(t, *num_oov_buckets))
                    }
                    None => {}
                });
                Ok(out)
            }
            ColumnSpec::Crossed { .. } => Err(ColumnError::BadValue {
                column: name.to_string(),
                message: "a crossed column is mapped from its inputs' ids".into(),
            }),
        }
    }

    /// The crossed id of single ids of the inputs (`inputs[j]` is input j's id).
    /// Exact: mixed radix `((i0 · n1 + i1) · n2 + i2)…`; hashed: FNV-1a of the ids joined by
    /// `_` (decimal), modulo `hash_bucket_size`.
    #[must_use]
    pub fn cross(&self, inputs: &[u32]) -> u32 {
        match &self.spec {
            ColumnSpec::Crossed {
                hash_bucket_size: Some(n),
                ..
            } => {
                let joined = inputs
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join("_");
                hash::bucket(&joined, *n)
            }
            _ => {
                let mut id: u64 = 0;
                for (v, n) in inputs.iter().zip(&self.cross_sizes) {
                    id = id * *n as u64 + u64::from(*v);
                }
                id as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab_col(oov: usize, default: Option<u32>, sep: Option<&str>) -> Column {
        Column::new(
            ColumnSpec::Vocabulary {
                name: "genre".into(),
                key: "genres".into(),
                derive: None,
                vocabulary: None,
                vocabulary_file: None,
                min_count: 1,
                max_size: None,
                num_oov_buckets: oov,
                default_value: default,
                separator: sep.map(String::from),
            },
            Some(Vocab::from_keys(["Action", "Comedy", "Drama"])),
        )
    }

    #[test]
    fn vocabulary_known_oov_default() {
        let row: &[(&str, &str)] = &[("genres", "Comedy")];
        assert_eq!(vocab_col(0, None, None).ids(row).unwrap(), vec![1]);
        let row: &[(&str, &str)] = &[("genres", "Western")];
        assert!(vocab_col(0, None, None).ids(row).is_err());
        assert_eq!(vocab_col(0, Some(0), None).ids(row).unwrap(), vec![0]);
        let c = vocab_col(4, None, None);
        assert_eq!(c.num_buckets(), 7);
        let id = c.ids(row).unwrap()[0];
        assert_eq!(id, 3 + hash::bucket("Western", 4));
        assert!((3..7).contains(&id));
    }

    #[test]
    fn multivalent_bag() {
        let row: &[(&str, &str)] = &[("genres", "Action|Drama")];
        assert_eq!(vocab_col(0, None, Some("|")).ids(row).unwrap(), vec![0, 2]);
        let flags = Column::new(
            ColumnSpec::Flags {
                name: "g".into(),
                flags: vec!["a".into(), "b".into(), "c".into()],
            },
            None,
        );
        let row: &[(&str, &str)] = &[("a", "1"), ("b", "0"), ("c", "1")];
        assert_eq!(flags.ids(row).unwrap(), vec![0, 2]);
        assert_eq!(flags.num_buckets(), 3);
    }

    #[test]
    fn identity_range() {
        let mut c = Column::new(
            ColumnSpec::Identity {
                name: "x".into(),
                key: "x".into(),
                derive: None,
                num_buckets: 5,
                default_value: None,
            },
            None,
        );
        let row: &[(&str, &str)] = &[("x", "4")];
        assert_eq!(c.ids(row).unwrap(), vec![4]);
        let row: &[(&str, &str)] = &[("x", "5")];
        assert!(c.ids(row).is_err());
        if let ColumnSpec::Identity { default_value, .. } = &mut c.spec {
            *default_value = Some(0);
        }
        assert_eq!(c.ids(row).unwrap(), vec![0]);
        let row: &[(&str, &str)] = &[("y", "1")];
        assert!(matches!(c.ids(row), Err(ColumnError::MissingField { .. })));
    }

    #[test]
    fn bucketized_boundaries() {
        let c = Column::new(
            ColumnSpec::Bucketized {
                name: "age".into(),
                key: "age".into(),
                derive: None,
                boundaries: vec![18.0, 25.0, 35.0],
            },
            None,
        );
        let id = |v: &str| c.ids(&[("age", v)][..]).unwrap()[0];
        assert_eq!(id("7"), 0);
        assert_eq!(id("18"), 1);
        assert_eq!(id("24.9"), 1);
        assert_eq!(id("35"), 3);
        assert_eq!(id("99"), 3);
        assert_eq!(c.num_buckets(), 4);
    }

    #[test]
    fn text_is_a_bag_of_word_ids() {
        let spec = |oov: usize, max: Option<usize>| ColumnSpec::Text {
            name: "review".into(),
            key: "text".into(),
            vocabulary_file: None,
            vocabulary_from: None,
            min_count: 1,
            max_size: None,
            max_tokens: max,
            num_oov_buckets: oov,
        };
        let v = Vocab::from_keys(["good", "film", "don't"]);
        let row: &[(&str, &str)] = &[("text", "Good<br />film, GOOD film! Don't... zzz")];
        let c = Column::new(spec(0, None), Some(v.clone()));
        assert_eq!(c.ids(row).unwrap(), vec![0, 1, 0, 1, 2]);
        assert_eq!(c.num_buckets(), 3);
        let c = Column::new(spec(2, Some(6)), Some(v));
        let ids = c.ids(row).unwrap();
        assert_eq!(ids.len(), 6);
        assert_eq!(ids[5], 3 + hash::bucket("zzz", 2));
        assert_eq!(c.num_buckets(), 5);
    }

    #[test]
    fn hash_bucket_is_stable() {
        let c = Column::new(
            ColumnSpec::HashBucket {
                name: "h".into(),
                key: "k".into(),
                hash_bucket_size: 100,
                separator: None,
            },
            None,
        );
        // fnv1a64("foobar") = 0x85944171f73967e8 → mod 100 = 68
        assert_eq!(c.ids(&[("k", "foobar")][..]).unwrap(), vec![68]);
    }
}

//! Schemas: the TOML declaration of a data set's files, column roles, label, feature columns
//! and embedding columns. See `schemas/*.toml` for complete examples.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::columns::ColumnSpec;
use crate::embedding::{Combiner, Dimension, Initializer};
use crate::error::{Error, Result};

/// One input file of a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `interactions`, `items` or `users`.
    pub kind: SourceKind,
    /// File name, looked up in the data directory.
    pub file: String,
    /// Field separator (`,`, `\t`, `|`, `::`, `whitespace`); sniffed when absent.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Whether the file has a header line; detected when absent.
    #[serde(default)]
    pub header: Option<bool>,
    /// Column names in file order (for header-less files).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// The key column joined with the interactions (items: the item column; users: the user).
    #[serde(default)]
    pub key: Option<String>,
}

/// What a source file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// One row per event.
    Interactions,
    /// One row per item (titles, genres, …).
    Items,
    /// One row per user (age, gender, …).
    Users,
}

/// Which columns play the standard roles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// User key column.
    pub user: Option<String>,
    /// Item key column.
    pub item: Option<String>,
    /// Rating column.
    pub rating: Option<String>,
    /// Timestamp column (unix seconds).
    pub timestamp: Option<String>,
    /// Title column of the items source.
    pub title: Option<String>,
}

/// The training label of supervised models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// The column holding it.
    pub column: String,
    /// `value >= threshold` → 1, else 0 (binary, log-loss); absent → regression.
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// An embedding over a categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingSpec {
    /// The categorical column embedded.
    pub column: String,
    /// Width; `auto` (default) is the fourth-root rule.
    #[serde(default)]
    pub dimension: Dimension,
    /// How a bag of ids is reduced to one vector.
    #[serde(default)]
    pub combiner: Combiner,
    /// Initialiser of rows not taken from a prior checkpoint.
    #[serde(default)]
    pub initializer: Initializer,
    /// False = frozen: rows stay bit-identical through training.
    #[serde(default = "yes")]
    pub trainable: bool,
    /// A prior to take rows from, matched by key: a model directory, a word2vec / GloVe file,
    /// or a tensor file of another framework (safetensors, `.npy`, a TensorFlow checkpoint or
    /// SavedModel, a `torch.save` file) with `init_vocab`.
    #[serde(default)]
    pub init_from: Option<String>,
    /// The tensor name inside `init_from` (default `<column>/embedding` in a model directory,
    /// the only 2-D float tensor of a tensor file).
    #[serde(default)]
    pub tensor: Option<String>,
    /// Keys for the rows of a tensor file in `init_from` (one per line, like TensorFlow's
    /// `vocabulary_file`), relative to the schema file.
    #[serde(default)]
    pub init_vocab: Option<String>,
}

fn valid_boundaries(b: &[f64]) -> bool {
    !b.is_empty() && b.iter().all(|x| x.is_finite()) && b.windows(2).all(|w| w[0] < w[1])
}

fn yes() -> bool {
    true
}

/// A complete schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Schema name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Input files.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// Standard column roles.
    #[serde(default)]
    pub roles: Roles,
    /// Supervised label.
    #[serde(default)]
    pub label: Option<Label>,
    /// Categorical feature columns.
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// Embedding columns.
    #[serde(default)]
    pub embeddings: Vec<EmbeddingSpec>,
    /// Where the schema was read from (not part of the TOML).
    #[serde(skip)]
    pub path: PathBuf,
}

impl Schema {
    /// Read and check a schema file.
    pub fn load(path: &Path) -> Result<Schema> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parse and check schema text; `path` is used in messages and to resolve relative files.
    pub fn parse(text: &str, path: &Path) -> Result<Schema> {
        let mut s: Schema = toml::from_str(text).map_err(|e| {
            Error::schema(path, e.to_string().lines().collect::<Vec<_>>().join(" "))
        })?;
        s.path = path.to_path_buf();
        s.check()?;
        Ok(s)
    }

    /// The source of `kind`, if declared.
    #[must_use]
    pub fn source(&self, kind: SourceKind) -> Option<&Source> {
        self.sources.iter().find(|s| s.kind == kind)
    }

    /// A column declaration by name.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name() == name)
    }

    fn err(&self, msg: impl Into<String>) -> Error {
        Error::schema(&self.path, msg)
    }

    /// Internal consistency: unique names, references resolve, sizes and boundaries valid.
    pub fn check(&self) -> Result<()> {
        let mut names = HashSet::new();
        for c in &self.columns {
            if !names.insert(c.name()) {
                return Err(self.err(format!("column '{}' is declared twice", c.name())));
            }
            match c {
                ColumnSpec::Identity { num_buckets: 0, .. } => {
                    return Err(self.err(format!("column '{}': num_buckets must be > 0", c.name())))
                }
                ColumnSpec::HashBucket {
                    hash_bucket_size: 0,
                    ..
                }
                | ColumnSpec::Crossed {
                    hash_bucket_size: Some(0),
                    ..
                } => {
                    return Err(self.err(format!(
                        "column '{}': hash_bucket_size must be > 0",
                        c.name()
                    )))
                }
                ColumnSpec::Bucketized { boundaries, .. } if !valid_boundaries(boundaries) => {
                    return Err(self.err(format!(
                        "column '{}': boundaries must be finite and strictly increasing",
                        c.name()
                    )));
                }
                ColumnSpec::Flags { flags, .. } if flags.is_empty() => {
                    return Err(self.err(format!("column '{}': flags is empty", c.name())))
                }
                _ => {}
            }
        }
        for c in &self.columns {
            if let ColumnSpec::Crossed { columns, .. } = c {
                if columns.len() < 2 {
                    return Err(self.err(format!(
                        "crossed column '{}' needs at least two columns",
                        c.name()
                    )));
                }
                for x in columns {
                    match self.column(x) {
                        None => {
                            return Err(self.err(format!(
                                "crossed column '{}' refers to unknown column '{x}'",
                                c.name()
                            )))
                        }
                        Some(ColumnSpec::Crossed { .. })
                        | Some(ColumnSpec::Flags { .. })
                        | Some(ColumnSpec::Text { .. }) => {
                            return Err(self.err(format!(
                                "crossed column '{}': '{x}' must be a single-valued column",
                                c.name()
                            )))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        let mut embedded = HashSet::new();
        for e in &self.embeddings {
            if self.column(&e.column).is_none() {
                return Err(self.err(format!(
                    "embedding refers to unknown column '{}' (columns: {})",
                    e.column,
                    self.columns
                        .iter()
                        .map(ColumnSpec::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if !embedded.insert(&e.column) {
                return Err(self.err(format!("column '{}' has two embeddings", e.column)));
            }
            if let Dimension::Fixed(0) = e.dimension {
                return Err(self.err(format!("embedding '{}': dimension must be > 0", e.column)));
            }
        }
        if let Some(l) = &self.label {
            if l.threshold.is_some_and(|t| !t.is_finite()) {
                return Err(self.err("label threshold must be finite"));
            }
        }
        Ok(())
    }

    /// Check that every field the schema reads exists among `available` (the union of the
    /// sources' columns), naming the missing ones.
    pub fn check_fields(&self, available: &[String]) -> Result<()> {
        let have: HashSet<&str> = available.iter().map(String::as_str).collect();
        let mut missing: Vec<String> = Vec::new();
        let role_fields = [
            &self.roles.user,
            &self.roles.item,
            &self.roles.rating,
            &self.roles.timestamp,
        ];
        for f in role_fields.into_iter().flatten() {
            if !have.contains(f.as_str()) {
                missing.push(format!("role '{f}'"));
            }
        }
        for c in &self.columns {
            for f in c.fields() {
                if !have.contains(f) {
                    missing.push(format!("'{f}' (column '{}')", c.name()));
                }
            }
        }
        if let Some(l) = &self.label {
            if !have.contains(l.column.as_str()) {
                missing.push(format!("'{}' (label)", l.column));
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            let mut avail: Vec<&str> = have.into_iter().collect();
            avail.sort_unstable();
            Err(self.err(format!(
                "names missing columns: {} (available: {})",
                missing.join(", "),
                avail.join(", ")
            )))
        }
    }

    /// The embedding declared for `column`, if any.
    #[must_use]
    pub fn embedding(&self, column: &str) -> Option<&EmbeddingSpec> {
        self.embeddings.iter().find(|e| e.column == column)
    }

    /// Column names of every source (declared lists), for [`Schema::check_fields`].
    #[must_use]
    pub fn declared_fields(&self) -> Vec<String> {
        let mut seen = HashMap::new();
        for s in &self.sources {
            for c in s.columns.iter().flatten() {
                seen.entry(c.clone()).or_insert(());
            }
        }
        seen.into_keys().collect()
    }
}

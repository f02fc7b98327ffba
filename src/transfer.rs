//! Transfer: start an embedding table from prior vectors — a tensor of a model directory
//! (like TensorFlow's `ckpt_to_load_from` + `tensor_name_in_ckpt`), or a word2vec / GloVe
//! file — with rows matched **by key**, not by position. Keys the prior lacks keep their fresh
//! initialisation and are counted; a width mismatch is an error. With `freeze`, the matched
//! rows stay bit-identical through training (TensorFlow's `trainable = False`, per row).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::checkpoint::{self, formats};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::vocab::Vocab;

/// Prior vectors for one table.
#[derive(Debug, Clone)]
pub struct TableInit {
    /// The table they initialise, e.g. `item/embedding`.
    pub table: String,
    /// Prior vectors by key.
    pub keys: Vocab,
    /// One row per key of `keys`.
    pub vectors: Array2<f32>,
    /// Keep matched rows fixed during training.
    pub freeze: bool,
    /// Where they came from (for messages).
    pub source: PathBuf,
    /// Rows of a keyless prior beyond its keys file.
    pub rows_without_key: usize,
    /// Keys-file lines beyond the prior's rows.
    pub keys_without_row: usize,
    /// Keys the keys file repeats.
    pub repeated_keys: usize,
}

pub use crate::model::InitReport;

/// Add a schema's `init_from` entries to `inits` for a trainer other than the DNN (which
/// applies them column by column itself): each embedding with `init_from` becomes the prior
/// of its `<column>/embedding` table, frozen unless `trainable`, unless `inits` already
/// names that table (a `--init-from` flag wins). A `trainable = false` embedding without
/// `init_from` is an error: only the DNN trains a schema's other tables.
pub fn schema_inits(schema_path: &Path, algorithm: &str, inits: &mut Inits) -> Result<()> {
    let schema = crate::features::Schema::load(schema_path)?;
    let base = schema_path.parent().unwrap_or(Path::new(""));
    for e in &schema.embeddings {
        let table = format!("{}/embedding", e.column);
        match &e.init_from {
            Some(from) if !inits.contains_key(&table) => {
                let init = TableInit::load(&PriorSource::of(e, base), &table, !e.trainable)?;
                inits.insert(table, init);
            }
            Some(_) => {}
            None if !e.trainable => {
                return Err(Error::schema(
                    schema_path,
                    format!(
                        "`trainable = false` on '{}' needs `init_from` for --algo {algorithm} (only the dnn trains a schema's other tables)",
                        e.column
                    ),
                ))
            }
            None => {}
        }
    }
    Ok(())
}

/// The word vocabularies of a schema's text columns that name a `vocabulary_from`
/// model directory (relative to the schema file), keyed by column name, for
/// [`crate::features::FeatureSet::fit_with_priors`].
pub fn prior_vocabularies(
    schema: &crate::features::Schema,
) -> Result<std::collections::HashMap<String, Vocab>> {
    let base = schema
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = std::collections::HashMap::new();
    for spec in &schema.columns {
        let crate::features::ColumnSpec::Text {
            vocabulary_file: None,
            vocabulary_from: Some(dir),
            ..
        } = spec
        else {
            continue;
        };
        let p = base.join(dir);
        let m = checkpoint::load(&p)?;
        let v = m.vocab("word").ok_or_else(|| {
            Error::schema(
                &schema.path,
                format!(
                    "column '{}': {} has no word vocabulary (vocabulary_from needs a word2vec, glove or lsa model)",
                    spec.name(),
                    p.display()
                ),
            )
        })?;
        out.insert(spec.name().to_string(), v.clone());
    }
    Ok(out)
}

/// Where a table's prior vectors come from.
#[derive(Debug, Clone, Default)]
pub struct PriorSource {
    /// A model directory, a word2vec / GloVe file, or a tensor file of another framework
    /// (safetensors, `.npy`, a TensorFlow checkpoint or SavedModel, a `torch.save` file).
    pub path: PathBuf,
    /// The tensor's name in `path` (default: the target table's name in a model directory;
    /// the only 2-D float tensor of a tensor file).
    pub tensor: Option<String>,
    /// Keys for the rows of a tensor file (`--init-vocab`; see
    /// [`formats::sources::read_keys`]); default `PATH.keys.txt` when it exists.
    pub keys: Option<PathBuf>,
}

impl PriorSource {
    /// Where a schema embedding's `init_from` points (with `tensor` and `init_vocab`), paths
    /// relative to the schema's directory `base`.
    #[must_use]
    pub fn of(spec: &crate::features::EmbeddingSpec, base: &Path) -> PriorSource {
        PriorSource {
            path: base.join(spec.init_from.as_deref().unwrap_or_default()),
            tensor: spec.tensor.clone(),
            keys: spec.init_vocab.as_ref().map(|k| base.join(k)),
        }
    }

    /// A source at `path` with default tensor and keys.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> PriorSource {
        PriorSource {
            path: path.into(),
            ..PriorSource::default()
        }
    }
}

/// Counts of a keys file set against a tensor's rows, for [`InitReport`].
#[derive(Debug, Clone, Copy, Default)]
struct KeyCounts {
    rows_without_key: usize,
    keys_without_row: usize,
    repeated_keys: usize,
}

/// Pick the tensor of `src` to read: the one asked for, else the only 2-D float tensor,
/// else one named like the target table.
fn pick_tensor(
    src: &dyn formats::tensor::TensorSource,
    path: &Path,
    asked: Option<&str>,
    target_table: &str,
) -> Result<String> {
    let all = src.tensors();
    if let Some(name) = asked {
        return Ok(name.to_string());
    }
    let floats: Vec<&formats::tensor::TensorInfo> = all
        .iter()
        .filter(|t| {
            t.shape.len() == 2
                && ["float32", "float16", "bfloat16", "float64"].contains(&t.dtype.as_str())
        })
        .collect();
    if let [one] = floats.as_slice() {
        return Ok(one.name.clone());
    }
    if all.iter().any(|t| t.name == target_table) {
        return Ok(target_table.to_string());
    }
    Err(Error::checkpoint(
        path,
        format!(
            "{} 2-D float tensors ({}): name one with --init-tensor (or `tensor` in the schema); `recsys inspect {}` lists them",
            floats.len(),
            floats
                .iter()
                .take(12)
                .map(|t| format!("{} {:?}", t.name, t.shape))
                .collect::<Vec<_>>()
                .join(", "),
            path.display()
        ),
    ))
}

/// Give `table`'s rows the keys of `keys` (line i = row i): the first row of a repeated key
/// wins; extra rows or extra keys are counted.
fn key_rows(keys: Vec<String>, table: Array2<f32>) -> (Vocab, Array2<f32>, KeyCounts) {
    let n = keys.len().min(table.nrows());
    let mut counts = KeyCounts {
        rows_without_key: table.nrows() - n,
        keys_without_row: keys.len() - n,
        repeated_keys: 0,
    };
    let mut vocab = Vocab::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    for (r, k) in keys.into_iter().take(n).enumerate() {
        let before = vocab.len();
        vocab.insert(k);
        if vocab.len() > before {
            rows.push(r);
        } else {
            counts.repeated_keys += 1;
        }
    }
    let table = if rows.len() == table.nrows() {
        table // every row keyed once, in order: no copy
    } else {
        table.select(ndarray::Axis(0), &rows)
    };
    (vocab, table, counts)
}

impl TableInit {
    /// Read prior vectors for `target_table` from `source` (see [`PriorSource`]): a model
    /// directory (keys from the vocabulary of the tensor's column), a tensor file of another
    /// framework (keys from a keys file), a word2vec binary file (`.bin`), a word2vec text file
    /// (header `N DIM`), or a GloVe text file (no header).
    pub fn load(source: &PriorSource, target_table: &str, freeze: bool) -> Result<TableInit> {
        let path = source.path.as_path();
        let mut counts = KeyCounts::default();
        let is_model_dir = path.is_dir() && checkpoint::manifest_path(path).is_file();
        let (keys, vectors) = if is_model_dir {
            let m = checkpoint::load(path)?;
            let name = source.tensor.as_deref().unwrap_or(target_table);
            let t = m.tables.get(name).ok_or_else(|| {
                Error::checkpoint(
                    path,
                    format!(
                        "no tensor '{name}' (tensors: {})",
                        checkpoint::table_names(&m).join(", ")
                    ),
                )
            })?;
            if let Some(k) = &source.keys {
                let (v, t, c) = key_rows(formats::sources::read_keys(k)?, t.clone());
                counts = c;
                (v, t)
            } else {
                let col = Model::column_of(name);
                let v = m.vocab(col).ok_or_else(|| {
                    Error::checkpoint(
                        path,
                        format!("no vocabulary for column '{col}' to match keys by"),
                    )
                })?;
                (v.clone(), t.clone())
            }
        } else if let Some(src) = formats::sources::open(path)? {
            let name = pick_tensor(&*src, path, source.tensor.as_deref(), target_table)?;
            let table = src.read(&name)?;
            let beside = formats::npy::keys_path(path);
            let keys_file = match &source.keys {
                Some(k) => k.clone(),
                None if beside.is_file() => beside,
                None => {
                    return Err(Error::checkpoint(
                        path,
                        format!(
                            "a {} file carries no keys for the rows of '{name}': give --init-vocab FILE (one key per line, line i = row i; or a TSV with a header, keys in the first column)",
                            src.format()
                        ),
                    ))
                }
            };
            let (v, t, c) = key_rows(formats::sources::read_keys(&keys_file)?, table);
            counts = c;
            (v, t)
        } else if path.is_dir() {
            return Err(Error::checkpoint(
                path,
                "neither a recsys model directory (no manifest.json) nor a TensorFlow checkpoint or SavedModel directory",
            ));
        } else if path.extension().is_some_and(|e| e == "bin") {
            let (k, t) = formats::word2vec::read(path, true)?;
            (Vocab::from_keys(k), t)
        } else {
            let (k, t) = if formats::word2vec::has_header(path)? {
                formats::word2vec::read(path, false)?
            } else {
                formats::glove::read(path)?
            };
            (Vocab::from_keys(k), t)
        };
        Ok(TableInit {
            table: target_table.to_string(),
            keys,
            vectors,
            freeze,
            source: path.to_path_buf(),
            rows_without_key: counts.rows_without_key,
            keys_without_row: counts.keys_without_row,
            repeated_keys: counts.repeated_keys,
        })
    }

    /// Copy prior rows into `table` (rows indexed by `vocab`), by key. Returns the frozen-row
    /// mask (all false unless `freeze`) and the report.
    pub fn apply(&self, table: &mut Array2<f32>, vocab: &Vocab) -> Result<(Vec<bool>, InitReport)> {
        if self.vectors.ncols() != table.ncols() {
            return Err(Error::Param(format!(
                "{}: prior vectors have dimension {}, the table '{}' has {}; train with --dim {} (the dnn: `dimension = {}` in the column's [[embeddings]] entry of the schema)",
                self.source.display(),
                self.vectors.ncols(),
                self.table,
                table.ncols(),
                self.vectors.ncols(),
                self.vectors.ncols()
            )));
        }
        let mut frozen = vec![false; table.nrows()];
        let mut matched = 0;
        let mut missing = Vec::new();
        let mut unmatched = 0;
        for (r, key) in vocab.keys().iter().enumerate() {
            match self.keys.get(key) {
                Some(src) => {
                    table.row_mut(r).assign(&self.vectors.row(src as usize));
                    frozen[r] = self.freeze;
                    matched += 1;
                }
                None => {
                    unmatched += 1;
                    if missing.len() < 5 {
                        missing.push(key.clone());
                    }
                }
            }
        }
        Ok((
            frozen,
            InitReport {
                table: self.table.clone(),
                matched,
                unmatched,
                unmatched_sample: missing,
                frozen: self.freeze,
                rows_without_key: self.rows_without_key,
                keys_without_row: self.keys_without_row,
                repeated_keys: self.repeated_keys,
            },
        ))
    }
}

/// Prior tables by target table name, as trainers receive them.
pub type Inits = HashMap<String, TableInit>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_by_key_and_width_is_checked() {
        let prior = TableInit {
            table: "item/embedding".into(),
            keys: Vocab::from_keys(["b", "a"]),
            vectors: ndarray::array![[2.0f32, 2.0], [1.0, 1.0]],
            freeze: true,
            source: "p".into(),
            rows_without_key: 0,
            keys_without_row: 0,
            repeated_keys: 0,
        };
        let mut t = Array2::<f32>::zeros((3, 2));
        let (frozen, rep) = prior
            .apply(&mut t, &Vocab::from_keys(["a", "c", "b"]))
            .unwrap();
        assert_eq!(t, ndarray::array![[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]);
        assert_eq!(frozen, vec![true, false, true]);
        assert_eq!((rep.matched, rep.unmatched), (2, 1));
        assert_eq!(rep.unmatched_sample, vec!["c"]);
        let mut wrong = Array2::<f32>::zeros((3, 5));
        let e = prior
            .apply(&mut wrong, &Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("dimension 2") && e.contains("--dim 2"), "{e}");
    }
}

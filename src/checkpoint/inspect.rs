//! `recsys inspect`: the tensors of any file `--init-from` takes, with dtype and shape (as
//! TensorFlow's `list_variables` and `inspect_checkpoint`), and for a model directory its
//! algorithm and vocabularies — so the `--init-tensor` name is found without Python.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::formats::{self, tensor::TensorInfo};
use crate::error::{Error, Result};

/// What a file or directory holds.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// `recsys-model`, `safetensors`, `npy`, `tf-checkpoint`, `torch`, `word2vec`,
    /// `word2vec-bin` or `glove`.
    pub format: String,
    /// The tensors, in the file's order.
    pub tensors: Vec<TensorInfo>,
    /// A model directory's algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algo: Option<String>,
    /// A model directory's vocabularies: column → number of keys.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vocabularies: BTreeMap<String, usize>,
}

/// Inspect `path`: a model directory, a tensor file of another framework, or a word2vec /
/// GloVe file.
pub fn inspect(path: &Path) -> Result<Inspection> {
    if path.is_dir() && super::manifest_path(path).is_file() {
        let m = super::load(path)?;
        let manifest = super::read_manifest(path)?;
        return Ok(Inspection {
            format: super::manifest::FORMAT_NAME.to_string(),
            tensors: manifest
                .tensors
                .iter()
                .map(|t| TensorInfo {
                    name: t.name.clone(),
                    dtype: match t.dtype.as_str() {
                        "F32" => "float32".to_string(),
                        "I64" => "int64".to_string(),
                        "U32" => "uint32".to_string(),
                        other => other.to_lowercase(),
                    },
                    shape: t.shape.iter().map(|&d| d as u64).collect(),
                })
                .collect(),
            algo: Some(manifest.algo.clone()),
            vocabularies: m.vocabs.iter().map(|(c, v)| (c.clone(), v.len())).collect(),
        });
    }
    if let Some(src) = formats::sources::open(path)? {
        return Ok(Inspection {
            format: src.format().to_string(),
            tensors: src.tensors(),
            algo: None,
            vocabularies: BTreeMap::new(),
        });
    }
    if path.is_dir() {
        return Err(Error::checkpoint(
            path,
            "neither a recsys model directory nor a TensorFlow checkpoint or SavedModel directory",
        ));
    }
    // The same detection as `--init-from`: `.bin` is word2vec binary; a first line of two
    // fields is a word2vec text header; anything else is GloVe.
    let (format, (keys, table)) = if path.extension().is_some_and(|e| e == "bin") {
        ("word2vec-bin", formats::word2vec::read(path, true)?)
    } else if formats::word2vec::has_header(path)? {
        ("word2vec", formats::word2vec::read(path, false)?)
    } else {
        ("glove", formats::glove::read(path)?)
    };
    Ok(Inspection {
        format: format.to_string(),
        tensors: vec![TensorInfo {
            name: "vectors".to_string(),
            dtype: "float32".to_string(),
            shape: vec![keys.len() as u64, table.ncols() as u64],
        }],
        algo: None,
        vocabularies: BTreeMap::new(),
    })
}

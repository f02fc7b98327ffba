//! `manifest.json`: the description of a model directory (see `docs/FORMAT.md`).

use serde::{Deserialize, Serialize};

use crate::model::EpochLog;

/// The `format` field of every manifest.
pub const FORMAT_NAME: &str = "recsys-model";
/// The format version this build writes (2 added the sparse neighbour tables
/// `<column>/neighbours/*`).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format version this build reads (every version since is a superset of it).
pub const OLDEST_READABLE_VERSION: u32 = 1;

/// A tensor's entry in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorEntry {
    /// Name inside `tensors.safetensors`.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// `F32`, `I64` or `U32`.
    pub dtype: String,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// The crate version that wrote it.
    pub crate_version: String,
    /// Algorithm name.
    pub algo: String,
    /// Hyper-parameters.
    #[serde(default)]
    pub params: serde_json::Value,
    /// Every tensor with shape and dtype.
    pub tensors: Vec<TensorEntry>,
    /// Vocabulary files by column, relative to the directory.
    pub vocabularies: std::collections::BTreeMap<String, String>,
    /// Per-epoch training log.
    #[serde(default)]
    pub epochs: Vec<EpochLog>,
    /// Facts about the data and run.
    #[serde(default)]
    pub info: serde_json::Map<String, serde_json::Value>,
}

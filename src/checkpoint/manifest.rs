//! `manifest.json`: the description of a model directory (see `docs/FORMAT.md`).

use serde::{Deserialize, Serialize};

use crate::model::{EpochLog, RunInfo};

/// The `format` field of every manifest.
pub const FORMAT_NAME: &str = "recsys-model";
/// The format version this build writes (2 added the sparse neighbour tables
/// `<column>/neighbours/*`; 3 gave every trainer's hyper-parameters one vocabulary of names:
/// `dim`, `epochs`, `lr`, `min_lr`, `reg`, `ns_exponent`, `weight_exponent`).
pub const FORMAT_VERSION: u32 = 3;
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
    pub info: RunInfo,
}

/// The names a manifest older than version 3 gave hyper-parameters, by algorithm, and their
/// names now.
const RENAMED: [(&str, &str, &str); 14] = [
    ("als", "factors", "dim"),
    ("als", "regularization", "reg"),
    ("als", "iterations", "epochs"),
    ("mf", "factors", "dim"),
    ("mf", "learning_rate", "lr"),
    ("mf", "reg_factors", "reg"),
    ("bpr", "factors", "dim"),
    ("bpr", "learning_rate", "lr"),
    ("bpr", "neg_exponent", "ns_exponent"),
    ("dnn", "learning_rate", "lr"),
    ("word2vec", "alpha", "lr"),
    ("word2vec", "min_alpha", "min_lr"),
    ("item2vec", "alpha", "lr"),
    ("item2vec", "min_alpha", "min_lr"),
];

impl Manifest {
    /// Read a manifest of an older version with today's names: hyper-parameters renamed in
    /// version 3 (e.g. ALS's `factors`, `iterations`, `regularization` → `dim`, `epochs`,
    /// `reg`; word2vec's `alpha` → `lr`; GloVe's `alpha` → `weight_exponent`) and word2vec's
    /// `alpha_done` run fact (→ `lr_done`), and MF's `rating_min`/`rating_max` parameters (→ the
    /// run fact `rating_range`). The `scoring` rule dnn and item2vec wrote is dropped from any
    /// version; otherwise a manifest of version 3 or later is unchanged.
    pub fn upgrade(&mut self) {
        // dnn and item2vec wrote a `scoring` rule that nothing read (the algorithm decides)
        if let Some(params) = self.params.as_object_mut() {
            params.remove("scoring");
        }
        if self.format_version >= 3 {
            return;
        }
        let algo = self.algo.as_str();
        let mut renames: Vec<(&str, &str)> = RENAMED
            .iter()
            .filter(|r| r.0 == algo)
            .map(|r| (r.1, r.2))
            .collect();
        if algo == "glove" {
            renames.push(("alpha", "weight_exponent"));
        }
        if let Some(params) = self.params.as_object_mut() {
            // the hybrid BPR wrote the feature column where the switch is
            if algo == "bpr"
                && params.get("item_features").and_then(|v| v.as_str()) == Some("genres")
            {
                params.insert("item_features".into(), true.into());
                params.insert("item_feature_column".into(), "genres".into());
            }
            // MF's rating range moved from the parameters to the run facts
            if algo == "mf" {
                let lo = params.remove("rating_min").and_then(|v| v.as_f64());
                let hi = params.remove("rating_max").and_then(|v| v.as_f64());
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    self.info.rating_range = Some([lo as f32, hi as f32]);
                }
            }
            for (old, new) in renames {
                if let Some(v) = params.remove(old) {
                    params.insert(new.to_string(), v);
                }
            }
        }
        if let Some(v) = self.info.other.remove("alpha_done") {
            self.info.lr_done = v.as_f64();
        }
    }
}

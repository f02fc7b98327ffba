//! Embedding file formats, one reader/writer pair per format over (keys, table):
//! word2vec text and binary (as gensim's `load_word2vec_format` reads them), GloVe text,
//! `.npy` with a keys file, and the TensorBoard projector (`vectors.tsv` + `metadata.tsv`). Every file is written to a
//! temporary sibling and renamed into place.

pub mod glove;
pub mod npy;
pub mod projector;
pub mod word2vec;

use std::path::Path;

use crate::error::{Error, Result};

/// Write a file atomically: a temporary sibling, synced, then renamed over `path`.
pub fn atomic_file_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::data(path, "not a file name"))?
        .to_string_lossy()
        .to_string();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if let Err(e) = super::write_synced(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

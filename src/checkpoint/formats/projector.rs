//! TensorBoard Embedding Projector files: `vectors.tsv` (one row of tab-separated values per
//! key, no header) and `metadata.tsv` (a header `key\ttitle\tgenres`, one line per row).

use std::fmt::Write;
use std::path::Path;

use ndarray::ArrayView2;

use super::atomic_file_write;
use crate::data::ItemInfo;
use crate::error::{Error, Result};

fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

/// Write `vectors.tsv` and `metadata.tsv` into the directory `dir`.
pub fn write(
    dir: &Path,
    keys: &[String],
    table: ArrayView2<'_, f32>,
    info: &[ItemInfo],
) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            dir,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    let mut vectors = String::new();
    for row in table.rows() {
        let cells: Vec<String> = row.iter().map(f32::to_string).collect();
        vectors.push_str(&cells.join("\t"));
        vectors.push('\n');
    }
    let mut meta = String::from("key\ttitle\tgenres\n");
    for (i, k) in keys.iter().enumerate() {
        let inf = info.get(i).cloned().unwrap_or_default();
        let _ = writeln!(
            meta,
            "{}\t{}\t{}",
            clean(k),
            clean(&inf.title),
            clean(&inf.genres.join("|"))
        );
    }
    atomic_file_write(&dir.join("vectors.tsv"), vectors.as_bytes())?;
    atomic_file_write(&dir.join("metadata.tsv"), meta.as_bytes())
}

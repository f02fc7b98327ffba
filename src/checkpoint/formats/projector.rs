//! TensorBoard Embedding Projector files: `vectors.tsv` (one row of tab-separated values per
//! key, no header) and `metadata.tsv` (a header `key\ttitle\tgenres`, one line per row).

use std::fmt::Write as _;
use std::path::Path;

use ndarray::ArrayView2;

use super::atomic_file_stream;
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
    atomic_file_stream(&dir.join("vectors.tsv"), |w| {
        let mut line = String::with_capacity(table.ncols() * 12);
        for row in table.rows() {
            line.clear();
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    line.push('\t');
                }
                let _ = write!(line, "{v}");
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    })?;
    atomic_file_stream(&dir.join("metadata.tsv"), |w| {
        w.write_all(b"key\ttitle\tgenres\n")?;
        for (i, k) in keys.iter().enumerate() {
            let inf = info.get(i).cloned().unwrap_or_default();
            writeln!(
                w,
                "{}\t{}\t{}",
                clean(k),
                clean(&inf.title),
                clean(&inf.genres.join("|"))
            )?;
        }
        Ok(())
    })
}

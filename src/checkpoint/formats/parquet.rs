//! Vectors as a Parquet table, the file vector databases ingest (LanceDB, Qdrant, Milvus) and
//! Spark and pandas read: one row per key, `key: string`, `vector: fixed_size_list<float>[dim]`
//! (a Parquet LIST, its width in the file's Arrow schema), and for an
//! item table with a catalogue `title: string` and `genres: list<string>`. Row groups of 65,536
//! rows, zstd, written atomically. Read back by [`crate::data::parquet`] (a vector as `a|b|…`)
//! or by any Parquet reader.

use std::path::Path;

use ndarray::ArrayView2;

use super::atomic_file_stream;
use crate::data::parquet::{ColumnData, ColumnKind, TableWriter};
use crate::data::ItemInfo;
use crate::error::{Error, Result};

/// Rows per row group.
const GROUP: usize = 1 << 16;

/// Write `table` (row i keyed by `keys[i]`) to `path`; `info`, when it has one entry per row,
/// adds the title and genres columns.
pub fn write(
    path: &Path,
    keys: &[String],
    table: ArrayView2<'_, f32>,
    info: &[ItemInfo],
) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    let with_info = !info.is_empty() && info.len() == keys.len();
    let mut cols = vec![
        ("key", ColumnKind::String),
        (
            "vector",
            ColumnKind::FloatArray(i32::try_from(table.ncols()).unwrap_or(i32::MAX)),
        ),
    ];
    if with_info {
        cols.push(("title", ColumnKind::String));
        cols.push(("genres", ColumnKind::StringList));
    }
    atomic_file_stream(path, |w| {
        let mut out = TableWriter::new(w, &cols)?;
        for start in (0..keys.len()).step_by(GROUP) {
            let end = (start + GROUP).min(keys.len());
            let mut group = vec![
                ColumnData::String(keys[start..end].to_vec()),
                ColumnData::FloatList((start..end).map(|r| table.row(r).to_vec()).collect()),
            ];
            if with_info {
                let rows = &info[start..end];
                group.push(ColumnData::String(
                    rows.iter().map(|i| i.title.clone()).collect(),
                ));
                group.push(ColumnData::StringList(
                    rows.iter().map(|i| i.genres.clone()).collect(),
                ));
            }
            out.write_group(&group)?;
        }
        out.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_and_titles_read_back() {
        let dir = std::env::temp_dir().join(format!("recsys-pqvec-{}", std::process::id()));
        let p = dir.join("v.parquet");
        let table = ndarray::Array2::from_shape_fn((3, 2), |(i, j)| i as f32 + j as f32 / 4.0);
        let keys: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let info: Vec<ItemInfo> = (0..3)
            .map(|i| ItemInfo {
                title: format!("Film {i}"),
                genres: vec!["Drama".into(); i],
            })
            .collect();
        write(&p, &keys, table.view(), &info).unwrap();
        let t = crate::data::TextTable::open(&p, None, None).unwrap();
        assert_eq!(
            t.header.as_deref().unwrap(),
            ["key", "vector", "title", "genres"]
        );
        let rows: Vec<Vec<String>> = t
            .records()
            .map(|r| r.unwrap().fields.iter().map(|f| f.to_string()).collect())
            .collect();
        assert_eq!(rows[0], ["a", "0|0.25", "Film 0", ""]);
        assert_eq!(rows[2], ["c", "2|2.25", "Film 2", "Drama|Drama"]);
        // without a catalogue: two columns; a key count that disagrees is refused
        write(&p, &keys, table.view(), &[]).unwrap();
        assert_eq!(
            crate::data::parquet::column_names(&p).unwrap(),
            ["key", "vector"]
        );
        assert!(write(&p, &keys[..2], table.view(), &[]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

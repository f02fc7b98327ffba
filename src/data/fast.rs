//! The polars fast path for large interaction files (feature `polars`).
//!
//! For a plain (not gzipped) delimited file with a header line, at least [`MIN_BYTES`] long,
//! polars' multi-threaded CSV reader parses the columns; keys are then interned in row order,
//! so the result is identical to the hand-written reader's. Anything unusual — a parse error,
//! a null, a non-finite rating, an unexpected column type — returns `None`, and the caller
//! falls back to the hand-written reader, which reports the exact file, line and field.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::interactions::Interactions;
use crate::vocab::Vocab;

/// Files smaller than this are read by the hand-written reader (parsing is not the cost).
pub const MIN_BYTES: u64 = 4 << 20;

/// Column names of the roles, as in the file's header.
pub(crate) struct Names<'a> {
    pub user: &'a str,
    pub item: &'a str,
    pub rating: Option<&'a str>,
    pub timestamp: Option<&'a str>,
}

fn intern_column(col: &Column, vocab: &mut Vocab) -> Option<Vec<u32>> {
    if col.null_count() > 0 {
        return None;
    }
    let s = col.as_materialized_series();
    match s.dtype() {
        DataType::Int64 => {
            let mut cache: HashMap<i64, u32> = HashMap::new();
            Some(
                s.i64()
                    .ok()?
                    .into_no_null_iter()
                    .map(|v| {
                        *cache
                            .entry(v)
                            .or_insert_with(|| vocab.intern(&v.to_string()))
                    })
                    .collect(),
            )
        }
        DataType::String => s
            .str()
            .ok()?
            .iter()
            .map(|v| {
                let v = v?.trim();
                (!v.is_empty()).then(|| vocab.intern(v))
            })
            .collect(),
        _ => None,
    }
}

fn f64_column(col: &Column) -> Option<Vec<f64>> {
    if col.null_count() > 0 {
        return None;
    }
    let s = col.as_materialized_series().cast(&DataType::Float64).ok()?;
    Some(s.f64().ok()?.into_no_null_iter().collect())
}

/// Whether some line of `path` is longer than `max` bytes (one streaming pass).
fn has_line_longer(path: &Path, max: usize) -> Option<bool> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 1 << 20];
    let mut run = 0usize;
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            return Some(false);
        }
        for part in buf[..n].split_inclusive(|&b| b == b'\n') {
            run += part.len();
            if run > max + 1 {
                return Some(true);
            }
            if part.last() == Some(&b'\n') {
                run = 0;
            }
        }
    }
}

/// Try to read `path` with polars; `None` means "use the hand-written reader".
pub(crate) fn read(
    path: &Path,
    delimiter: u8,
    names: &Names<'_>,
    users: Vocab,
    items: Vocab,
) -> Option<Interactions> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() < MIN_BYTES {
        return None;
    }
    let mut head = [0u8; 2];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    if n == 2 && head == [0x1f, 0x8b] {
        return None;
    }
    // a row over the line limit: the hand-written reader reports it with its line number
    if has_line_longer(path, super::reader::MAX_LINE)? {
        return None;
    }
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_parse_options(CsvParseOptions::default().with_separator(delimiter))
        .try_into_reader_with_file_path(Some(path.into()))
        .ok()?
        .finish()
        .ok()?;
    let mut out = Interactions {
        users,
        items,
        has_rating: names.rating.is_some(),
        has_timestamp: names.timestamp.is_some(),
        ..Default::default()
    };
    out.user = intern_column(df.column(names.user).ok()?, &mut out.users)?;
    out.item = intern_column(df.column(names.item).ok()?, &mut out.items)?;
    let rows = out.user.len();
    out.rating = match names.rating {
        Some(r) => {
            let v = f64_column(df.column(r).ok()?)?;
            if v.iter().any(|x| !x.is_finite()) {
                return None;
            }
            v.into_iter().map(|x| x as f32).collect()
        }
        None => vec![1.0; rows],
    };
    out.timestamp = match names.timestamp {
        Some(t) => {
            let c = df.column(t).ok()?;
            if c.null_count() > 0 {
                return None;
            }
            match c.dtype() {
                DataType::Int64 => c
                    .as_materialized_series()
                    .i64()
                    .ok()?
                    .into_no_null_iter()
                    .collect(),
                _ => f64_column(c)?.into_iter().map(|x| x as i64).collect(),
            }
        }
        None => vec![0; rows],
    };
    (rows > 0).then_some(out)
}

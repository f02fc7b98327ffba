//! The word2vec formats. Text: a header `N DIM`, then `key v1 … vDIM` per line. Binary: the
//! same header line, then per row `key`, a space, DIM little-endian `f32`, and `\n`.
//! Keys cannot hold whitespace in this format: spaces, tabs and newlines are written as `_`.

use std::io::Write;
use std::path::Path;

use ndarray::{Array2, ArrayView2};

use super::atomic_file_write;
use crate::error::{Error, Result};

fn clean_key(k: &str) -> String {
    let k: String = k
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    if k.is_empty() {
        "_".into()
    } else {
        k
    }
}

/// Render (keys, table) in the word2vec format.
#[must_use]
pub fn to_bytes(keys: &[String], table: ArrayView2<'_, f32>, binary: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(table.len() * if binary { 4 } else { 10 } + keys.len() * 8);
    let _ = writeln!(out, "{} {}", table.nrows(), table.ncols());
    for (k, row) in keys.iter().zip(table.rows()) {
        out.extend_from_slice(clean_key(k).as_bytes());
        if binary {
            out.push(b' ');
            for v in row {
                out.extend_from_slice(&v.to_le_bytes());
            }
        } else {
            for v in row {
                let _ = write!(out, " {v}");
            }
        }
        out.push(b'\n');
    }
    out
}

/// Write (keys, table) to `path` in the word2vec text or binary format.
pub fn write(path: &Path, keys: &[String], table: ArrayView2<'_, f32>, binary: bool) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    atomic_file_write(path, &to_bytes(keys, table, binary))
}

/// Read a word2vec text or binary file. Sizes in the header are checked against the file's
/// length before anything is allocated.
pub fn read(path: &Path, binary: bool) -> Result<(Vec<String>, Array2<f32>)> {
    let bytes = crate::data::reader::read_bytes(path)?;
    parse(&bytes, binary, path)
}

/// Parse word2vec bytes (see [`read`]).
pub fn parse(bytes: &[u8], binary: bool, path: &Path) -> Result<(Vec<String>, Array2<f32>)> {
    let nl = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| Error::parse(path, 1, "expected a header line 'N DIM'"))?;
    let header = std::str::from_utf8(&bytes[..nl])
        .map_err(|_| Error::parse(path, 1, "header is not text"))?;
    let mut h = header.split_whitespace();
    let (Some(n), Some(dim), None) = (h.next(), h.next(), h.next()) else {
        return Err(Error::parse(
            path,
            1,
            format!("expected 'N DIM', found '{header}'"),
        ));
    };
    let (Ok(n), Ok(dim)) = (n.parse::<usize>(), dim.parse::<usize>()) else {
        return Err(Error::parse(
            path,
            1,
            format!("expected two integers 'N DIM', found '{header}'"),
        ));
    };
    let body = &bytes[nl + 1..];
    // Each value takes at least 4 bytes (binary) or 2 bytes (text: digit + separator).
    let min_per_row = dim
        .checked_mul(if binary { 4 } else { 2 })
        .and_then(|v| v.checked_add(2));
    match min_per_row.and_then(|m| m.checked_mul(n)) {
        Some(need) if need <= body.len() + 1 && dim > 0 => {}
        _ => {
            return Err(Error::parse(
                path,
                1,
                format!(
                    "header claims {n} rows of {dim} values, more than the file's {} bytes hold",
                    bytes.len()
                ),
            ))
        }
    }
    let mut keys = Vec::with_capacity(n);
    let mut data = Vec::with_capacity(n * dim);
    if binary {
        let mut pos = 0;
        for row in 0..n {
            while pos < body.len() && (body[pos] == b'\n' || body[pos] == b' ') {
                pos += 1;
            }
            let sp = body[pos..].iter().position(|&b| b == b' ').ok_or_else(|| {
                Error::parse(
                    path,
                    row + 2,
                    "truncated: expected 'key ' before the vector",
                )
            })?;
            keys.push(String::from_utf8_lossy(&body[pos..pos + sp]).into_owned());
            pos += sp + 1;
            let end = pos + dim * 4;
            if end > body.len() {
                return Err(Error::parse(
                    path,
                    row + 2,
                    format!("truncated: row {row} needs {dim} floats"),
                ));
            }
            data.extend(
                body[pos..end]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            pos = end;
        }
    } else {
        let text = String::from_utf8_lossy(body);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty()).enumerate();
        for row in 0..n {
            let (i, line) = lines.next().ok_or_else(|| {
                Error::parse(
                    path,
                    row + 2,
                    format!("truncated: expected {n} rows, found {row}"),
                )
            })?;
            let mut f = line.split_whitespace();
            let key = f.next().unwrap_or_default();
            keys.push(key.to_string());
            let before = data.len();
            for v in f {
                let x: f32 = v.parse().map_err(|_| {
                    Error::parse(path, i + 2, format!("expected a number, found '{v}'"))
                })?;
                data.push(x);
            }
            if data.len() - before != dim {
                return Err(Error::parse(
                    path,
                    i + 2,
                    format!("expected {dim} values, found {}", data.len() - before),
                ));
            }
        }
    }
    let a = Array2::from_shape_vec((n, dim), data).map_err(|e| Error::data(path, e.to_string()))?;
    Ok((keys, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(rows in 1usize..20, dim in 1usize..9, seed in 0u64..1000) {
            let t = crate::embedding::Initializer::Uniform { scale: 3.0 }.table(rows, dim, seed);
            let keys: Vec<String> = (0..rows).map(|i| format!("k{i}")).collect();
            for binary in [false, true] {
                let b = to_bytes(&keys, t.view(), binary);
                let (k2, t2) = parse(&b, binary, Path::new("x")).unwrap();
                prop_assert_eq!(&k2, &keys);
                // Rust's float Display is shortest-round-trip, so text is exact too.
                prop_assert_eq!(&t2, &t);
            }
        }
    }

    #[test]
    fn lying_header_is_rejected_without_allocating() {
        let e = parse(b"1000000000000 300\nx 1\n", false, Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("more than the file"), "{e}");
        assert!(parse(b"2 2\na 1 2\n", false, Path::new("x")).is_err());
        assert!(parse(b"1 2\na 1\n", false, Path::new("x")).is_err());
        assert!(parse(b"1 2\na \x00\x00", true, Path::new("x")).is_err());
    }
}

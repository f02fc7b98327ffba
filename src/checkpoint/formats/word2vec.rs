//! The word2vec formats. Text: a header `N DIM`, then `key v1 … vDIM` per line. Binary: the
//! same header line, then per row `key`, a space, DIM little-endian `f32`, and `\n`.
//! Keys cannot hold whitespace in this format: spaces, tabs and newlines are written as `_`.

use std::io::{BufRead, Write};
use std::path::Path;

use ndarray::{Array2, ArrayView2};

use super::{atomic_file_stream, open_read, read_exact, read_line, read_line_max};
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

/// Write (keys, table) in the word2vec format to `w`.
pub fn write_to(
    w: &mut dyn Write,
    keys: &[String],
    table: ArrayView2<'_, f32>,
    binary: bool,
) -> std::io::Result<()> {
    writeln!(w, "{} {}", table.nrows(), table.ncols())?;
    let mut line = Vec::with_capacity(table.ncols() * 12 + 32);
    for (k, row) in keys.iter().zip(table.rows()) {
        line.clear();
        line.extend_from_slice(clean_key(k).as_bytes());
        if binary {
            line.push(b' ');
            for v in row {
                line.extend_from_slice(&v.to_le_bytes());
            }
        } else {
            for v in row {
                write!(line, " {v}")?;
            }
        }
        line.push(b'\n');
        w.write_all(&line)?;
    }
    Ok(())
}

/// Write (keys, table) to `path` in the word2vec text or binary format, streamed.
pub fn write(path: &Path, keys: &[String], table: ArrayView2<'_, f32>, binary: bool) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    atomic_file_stream(path, |w| write_to(w, keys, table, binary))
}

/// Read a word2vec text or binary file (plain or gzip), streamed. Sizes in the header are
/// checked against the file's length before anything is allocated.
pub fn read(path: &Path, binary: bool) -> Result<(Vec<String>, Array2<f32>)> {
    let (mut r, len) = open_read(path)?;
    read_from(&mut *r, len, binary, path)
}

/// Parse word2vec bytes (see [`read`]).
pub fn parse(bytes: &[u8], binary: bool, path: &Path) -> Result<(Vec<String>, Array2<f32>)> {
    let mut r = bytes;
    read_from(&mut r, Some(bytes.len() as u64), binary, path)
}

/// The most dimensions a word2vec file may claim.
pub const MAX_DIM: usize = 1 << 20;
/// The longest key of a word2vec binary file, in bytes.
pub const MAX_KEY: usize = 1 << 20;

/// Parse the word2vec format from a reader; `len` (the stream's byte length, when known)
/// bounds what the header may claim. Without it, the up-front allocation is capped and the
/// table grows as rows arrive.
pub fn read_from(
    r: &mut dyn BufRead,
    len: Option<u64>,
    binary: bool,
    path: &Path,
) -> Result<(Vec<String>, Array2<f32>)> {
    let mut line = Vec::new();
    if !read_line(r, &mut line, path)? {
        return Err(Error::parse(path, 1, "expected a header line 'N DIM'"));
    }
    let header = std::str::from_utf8(&line)
        .map_err(|_| Error::parse(path, 1, "header is not text"))?
        .to_string();
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
    // Each value takes at least 4 bytes (binary) or 2 bytes (text: digit + separator).
    let min_per_row = dim
        .checked_mul(if binary { 4 } else { 2 })
        .and_then(|v| v.checked_add(2));
    let need = min_per_row.and_then(|m| m.checked_mul(n));
    let fits = match (need, len) {
        (Some(need), Some(len)) => need as u64 <= len + 1,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !fits || dim == 0 {
        return Err(Error::parse(
            path,
            1,
            format!(
                "header claims {n} rows of {dim} values, more than the file's {} bytes hold",
                len.map_or_else(|| "?".to_string(), |l| l.to_string())
            ),
        ));
    }
    if dim > MAX_DIM {
        return Err(Error::parse(
            path,
            1,
            format!("header claims {dim} dimensions; at most {MAX_DIM} are supported"),
        ));
    }
    // a stream of unknown length: reserve at most 64 MiB up front, grow as rows arrive
    let cap = if len.is_some() {
        n
    } else {
        n.min((16 << 20) / dim)
    };
    let mut keys = Vec::with_capacity(cap);
    let mut data = Vec::with_capacity(cap.saturating_mul(dim));
    // a text row: a key and `dim` numbers, each at most ~40 characters
    let max_line = dim.saturating_mul(48).saturating_add(1 << 20);
    if binary {
        let mut vals = vec![0u8; dim * 4];
        for row in 0..n {
            // skip the newline (or spaces) left after the previous vector
            loop {
                let buf = r
                    .fill_buf()
                    .map_err(|e| Error::data(path, format!("read error: {e}")))?;
                match buf.first() {
                    Some(b'\n' | b' ') => r.consume(1),
                    _ => break,
                }
            }
            line.clear();
            crate::data::reader::read_until_max(r, b' ', &mut line, MAX_KEY)
                .map_err(|e| Error::parse(path, row + 2, format!("a key: {e}")))?;
            if line.pop() != Some(b' ') {
                return Err(Error::parse(
                    path,
                    row + 2,
                    "truncated: expected 'key ' before the vector",
                ));
            }
            keys.push(String::from_utf8_lossy(&line).into_owned());
            read_exact(r, &mut vals, path, &format!("row {row} needs {dim} floats"))?;
            data.extend(
                vals.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
    } else {
        let mut lineno = 1;
        for row in 0..n {
            loop {
                lineno += 1;
                if !read_line_max(r, &mut line, path, max_line)? {
                    return Err(Error::parse(
                        path,
                        lineno,
                        format!("truncated: expected {n} rows, found {row}"),
                    ));
                }
                if !line.iter().all(u8::is_ascii_whitespace) {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&line);
            let mut f = text.split_whitespace();
            let key = f.next().unwrap_or_default();
            keys.push(key.to_string());
            let before = data.len();
            for v in f {
                let x: f32 = v.parse().map_err(|_| {
                    Error::parse(path, lineno, format!("expected a number, found '{v}'"))
                })?;
                data.push(x);
            }
            if data.len() - before != dim {
                return Err(Error::parse(
                    path,
                    lineno,
                    format!("expected {dim} values, found {}", data.len() - before),
                ));
            }
        }
    }
    let a = Array2::from_shape_vec((n, dim), data).map_err(|e| Error::data(path, e.to_string()))?;
    Ok((keys, a))
}

/// Whether the text file at `path` starts with a word2vec header (`N DIM`: a first line of
/// exactly two fields); a GloVe file starts with a key and its values.
pub fn has_header(path: &Path) -> Result<bool> {
    let (mut r, _) = super::open_read(path)?;
    let mut first = Vec::new();
    super::read_line(&mut *r, &mut first, path)?;
    Ok(String::from_utf8_lossy(&first).split_whitespace().count() == 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (keys, table) in the word2vec format, in memory.
    fn to_bytes(keys: &[String], table: ArrayView2<'_, f32>, binary: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_to(&mut out, keys, table, binary).unwrap();
        out
    }

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

//! The GloVe text format: one `key v1 … vDIM` line per row, no header. Writing replaces
//! whitespace inside keys with `_`.

use std::io::{BufRead, Write};
use std::path::Path;

use ndarray::{Array2, ArrayView2};

use super::{atomic_file_stream, open_read, read_line};
use crate::error::{Error, Result};

/// Write (keys, table) as GloVe text, streamed.
pub fn write(path: &Path, keys: &[String], table: ArrayView2<'_, f32>) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    atomic_file_stream(path, |w| {
        let mut line = Vec::with_capacity(table.ncols() * 12 + 32);
        for (k, row) in keys.iter().zip(table.rows()) {
            line.clear();
            let k: String = k
                .chars()
                .map(|c| if c.is_whitespace() { '_' } else { c })
                .collect();
            line.extend_from_slice(if k.is_empty() { b"_" } else { k.as_bytes() });
            for v in row {
                write!(line, " {v}")?;
            }
            line.push(b'\n');
            w.write_all(&line)?;
        }
        Ok(())
    })
}

/// Read a GloVe text file (plain or gzip), streamed line by line.
pub fn read(path: &Path) -> Result<(Vec<String>, Array2<f32>)> {
    let (mut r, _) = open_read(path)?;
    read_from(&mut *r, path)
}

/// Parse GloVe text; every line must have the same number of values.
pub fn parse(bytes: &[u8], path: &Path) -> Result<(Vec<String>, Array2<f32>)> {
    let mut r = bytes;
    read_from(&mut r, path)
}

/// Parse GloVe text from a reader.
pub fn read_from(r: &mut dyn BufRead, path: &Path) -> Result<(Vec<String>, Array2<f32>)> {
    let mut keys = Vec::new();
    let mut data = Vec::new();
    let mut dim = None;
    let mut line = Vec::new();
    let mut n = 0;
    while read_line(r, &mut line, path)? {
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let mut f = text.split_whitespace();
        let key = f.next().unwrap_or_default().to_string();
        let before = data.len();
        for v in f {
            data.push(
                v.parse::<f32>().map_err(|_| {
                    Error::parse(path, n, format!("expected a number, found '{v}'"))
                })?,
            );
        }
        let d = data.len() - before;
        match dim {
            None if d == 0 => return Err(Error::parse(path, n, "expected 'key v1 v2 …'")),
            None => dim = Some(d),
            Some(x) if x != d => {
                return Err(Error::parse(
                    path,
                    n,
                    format!("expected {x} values, found {d}"),
                ))
            }
            _ => {}
        }
        keys.push(key);
    }
    let dim = dim.ok_or_else(|| Error::data(path, "no vectors in the file"))?;
    let a = Array2::from_shape_vec((keys.len(), dim), data)
        .map_err(|e| Error::data(path, e.to_string()))?;
    Ok((keys, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_ragged_rows() {
        let t = crate::embedding::Initializer::Uniform { scale: 2.0 }.table(4, 3, 9);
        let keys: Vec<String> = ["a", "b c", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let dir = std::env::temp_dir().join(format!("recsys-glove-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("g.txt");
        write(&p, &keys, t.view()).unwrap();
        let (k, t2) = read(&p).unwrap();
        assert_eq!(k[1], "b_c");
        assert_eq!(t2, t);
        assert!(parse(b"a 1 2\nb 1\n", Path::new("g")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

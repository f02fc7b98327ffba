//! `.npy` (NumPy format 1.0, little-endian `<f4`, C order) plus a keys file beside it
//! (`<name>.keys.txt`, one key per line, row order).

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2};

use super::atomic_file_write;
use crate::error::{Error, Result};

/// The keys file written beside `path`.
#[must_use]
pub fn keys_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".keys.txt");
    PathBuf::from(s)
}

/// The bytes of a `.npy` file holding `table` as float32.
#[must_use]
pub fn to_bytes(table: ArrayView2<'_, f32>) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        table.nrows(),
        table.ncols()
    );
    // magic (6) + version (2) + header length (2) + header + '\n', padded to 64 bytes.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + table.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in table.iter() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Write `table` to `path` and its keys to [`keys_path`].
pub fn write(path: &Path, keys: &[String], table: ArrayView2<'_, f32>) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    atomic_file_write(path, &to_bytes(table))?;
    let mut k = keys
        .iter()
        .map(|k| k.replace('\n', " "))
        .collect::<Vec<_>>()
        .join("\n");
    k.push('\n');
    atomic_file_write(&keys_path(path), k.as_bytes())
}

/// Read a 2-D `<f4` C-order `.npy` file (what [`write`] produces), checking the header's
/// shape against the file's length.
pub fn read(path: &Path) -> Result<Array2<f32>> {
    let b = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |m: &str| Error::data(path, format!("not a float32 .npy file: {m}"));
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" || b[6] != 1 {
        return Err(bad("missing the version-1 magic"));
    }
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(
        b.get(10..10 + hlen)
            .ok_or_else(|| bad("truncated header"))?,
    )
    .map_err(|_| bad("header is not text"))?;
    if !header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False") {
        return Err(bad("only little-endian float32 in C order is supported"));
    }
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no shape"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("bad shape")))
        .collect::<Result<_>>()?;
    let [r, c] = dims[..] else {
        return Err(bad("not 2-D"));
    };
    let data = &b[10 + hlen..];
    if r.checked_mul(c).and_then(|n| n.checked_mul(4)) != Some(data.len()) {
        return Err(bad("shape does not match the file's length"));
    }
    let v: Vec<f32> = data
        .chunks_exact(4)
        .map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]]))
        .collect();
    Array2::from_shape_vec((r, c), v).map_err(|e| bad(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_header_alignment() {
        let t = crate::embedding::Initializer::Uniform { scale: 1.0 }.table(7, 5, 3);
        let b = to_bytes(t.view());
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let dir = std::env::temp_dir().join(format!("recsys-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.npy");
        let keys: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
        write(&p, &keys, t.view()).unwrap();
        assert_eq!(read(&p).unwrap(), t);
        assert_eq!(
            std::fs::read_to_string(keys_path(&p))
                .unwrap()
                .lines()
                .count(),
            7
        );
        std::fs::write(&p, &b[..b.len() - 4]).unwrap();
        assert!(read(&p).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! `.npy` (NumPy format 1.0, little-endian `<f4`, C order) plus a keys file beside it
//! (`<name>.keys.txt`, one key per line, row order).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2};

use super::atomic_file_stream;
use crate::error::{Error, Result};

/// The keys file written beside `path`.
#[must_use]
pub fn keys_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".keys.txt");
    PathBuf::from(s)
}

/// The `.npy` header (magic, version, length, dict) for a `rows × cols` float32 table.
fn header(rows: usize, cols: usize) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // magic (6) + version (2) + header length (2) + header + '\n', padded to 64 bytes.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

/// Write `table` as a `.npy` file to `w`.
pub fn write_to(w: &mut dyn Write, table: ArrayView2<'_, f32>) -> std::io::Result<()> {
    w.write_all(&header(table.nrows(), table.ncols()))?;
    let mut buf = Vec::with_capacity(table.ncols() * 4);
    for row in table.rows() {
        buf.clear();
        for v in row {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Write `table` to `path` and its keys to [`keys_path`], streamed.
pub fn write(path: &Path, keys: &[String], table: ArrayView2<'_, f32>) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    atomic_file_stream(path, |w| write_to(w, table))?;
    atomic_file_stream(&keys_path(path), |w| {
        for k in keys {
            writeln!(w, "{}", k.replace('\n', " "))?;
        }
        Ok(())
    })
}

/// Read a 2-D `<f4` C-order `.npy` file (what [`write()`] produces), checking the header's
/// shape against the file's length before allocating; the data is read straight into the
/// table.
pub fn read(path: &Path) -> Result<Array2<f32>> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let bad = |m: &str| Error::data(path, format!("not a float32 .npy file: {m}"));
    let mut pre = [0u8; 10];
    f.read_exact(&mut pre)
        .map_err(|_| bad("missing the version-1 magic"))?;
    if &pre[..6] != b"\x93NUMPY" || pre[6] != 1 {
        return Err(bad("missing the version-1 magic"));
    }
    let hlen = u16::from_le_bytes([pre[8], pre[9]]) as usize;
    let mut hbytes = vec![0u8; hlen];
    f.read_exact(&mut hbytes)
        .map_err(|_| bad("truncated header"))?;
    let header = std::str::from_utf8(&hbytes).map_err(|_| bad("header is not text"))?;
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
    let data_len = len.saturating_sub(10 + hlen as u64);
    if r.checked_mul(c)
        .and_then(|n| n.checked_mul(4))
        .map(|n| n as u64)
        != Some(data_len)
    {
        return Err(bad("shape does not match the file's length"));
    }
    let mut v = vec![0f32; r * c];
    let mut buf = vec![0u8; 1 << 16];
    let mut filled = 0;
    while filled < v.len() {
        let take = (v.len() - filled).min(buf.len() / 4);
        f.read_exact(&mut buf[..take * 4])
            .map_err(|_| bad("truncated data"))?;
        for (dst, x) in v[filled..filled + take]
            .iter_mut()
            .zip(buf[..take * 4].chunks_exact(4))
        {
            *dst = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
        }
        filled += take;
    }
    Array2::from_shape_vec((r, c), v).map_err(|e| bad(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a `.npy` file holding `table`, in memory.
    fn to_bytes(table: ArrayView2<'_, f32>) -> Vec<u8> {
        let mut out = Vec::new();
        write_to(&mut out, table).unwrap();
        out
    }

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

//! `.npy` plus a keys file beside it (`<name>.keys.txt`, one key per line, row order).
//! Written as NumPy format 1.0, little-endian `<f4`, C order; read in versions 1–3 with
//! float16/32/64 elements in either byte order and C or Fortran order.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2};

use super::atomic_file_stream;
use super::tensor::DType;
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

/// A `.npy` header: the element type, the order and the shape, and where the data starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The `descr` string (`<f4`, `>f8`, `<i8`, …).
    pub descr: String,
    /// Column-major (`fortran_order: True`).
    pub fortran: bool,
    /// The shape.
    pub shape: Vec<u64>,
    /// Offset of the first data byte.
    pub data_offset: u64,
}

impl Header {
    /// The float type of the data, if it is one `recsys` reads.
    fn dtype(&self) -> Option<(DType, bool)> {
        let (order, kind) = self.descr.split_at(1.min(self.descr.len()));
        let big = match order {
            "<" | "|" | "=" => false,
            ">" => true,
            _ => return None,
        };
        let t = match kind {
            "f2" | "e" => DType::F16,
            "f4" => DType::F32,
            "f8" => DType::F64,
            _ => return None,
        };
        Some((t, big))
    }

    /// The element type as `inspect` prints it.
    #[must_use]
    pub fn dtype_name(&self) -> String {
        match self.dtype() {
            Some((t, _)) => t.name().to_string(),
            None => format!("numpy '{}'", self.descr),
        }
    }
}

/// The value of `key` in a `.npy` header dict (the text after `'key':` up to the next
/// top-level `,` or `}`; a tuple is kept whole).
fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Read and check the header of a `.npy` file (versions 1–3): the data the shape claims
/// must be exactly what follows the header.
pub fn read_header(path: &Path) -> Result<Header> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let bad = |m: &str| Error::data(path, format!("not a .npy file: {m}"));
    let mut pre = [0u8; 8];
    f.read_exact(&mut pre)
        .map_err(|_| bad("missing the magic"))?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err(bad("missing the magic"));
    }
    let (hlen, start) = match pre[6] {
        1 => {
            let mut b = [0u8; 2];
            f.read_exact(&mut b).map_err(|_| bad("truncated header"))?;
            (u64::from(u16::from_le_bytes(b)), 10u64)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            f.read_exact(&mut b).map_err(|_| bad("truncated header"))?;
            (u64::from(u32::from_le_bytes(b)), 12u64)
        }
        v => return Err(bad(&format!("unknown version {v}"))),
    };
    if start + hlen > len || hlen > 1 << 20 {
        return Err(bad("the header is longer than the file"));
    }
    let mut hbytes = vec![0u8; hlen as usize];
    f.read_exact(&mut hbytes)
        .map_err(|_| bad("truncated header"))?;
    let header = std::str::from_utf8(&hbytes).map_err(|_| bad("header is not text"))?;
    let descr = header_value(header, "descr")
        .map(|d| d.trim_matches(['\'', '"']).to_string())
        .ok_or_else(|| bad("no 'descr'"))?;
    let fortran = match header_value(header, "fortran_order") {
        Some("True") => true,
        Some("False") => false,
        _ => return Err(bad("no 'fortran_order'")),
    };
    let shape_text = header_value(header, "shape").ok_or_else(|| bad("no shape"))?;
    let shape: Vec<u64> = shape_text
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse()
                .map_err(|_| bad("bad shape"))
        })
        .collect::<Result<_>>()?;
    let h = Header {
        descr,
        fortran,
        shape,
        data_offset: start + hlen,
    };
    if let Some((t, _)) = h.dtype() {
        let bytes = h
            .shape
            .iter()
            .try_fold(t.size() as u64, |a, &d| a.checked_mul(d));
        if bytes != Some(len - h.data_offset) {
            return Err(bad("shape does not match the file's length"));
        }
    }
    Ok(h)
}

/// Read a float16/32/64 `.npy` file (either byte order, C or Fortran order, 1-D or 2-D) as a
/// float32 table, checking the header's shape against the file's length before allocating.
pub fn read_any(path: &Path) -> Result<Array2<f32>> {
    let h = read_header(path)?;
    let (t, big) = h
        .dtype()
        .ok_or_else(|| super::tensor::not_float(path, "npy", &h.dtype_name()))?;
    let name = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    f.seek(std::io::SeekFrom::Start(h.data_offset))
        .map_err(|e| Error::io(path, e))?;
    let n = super::tensor::numel(path, &name, &h.shape)? as usize;
    let mut v = Vec::with_capacity(n);
    let mut buf = vec![0u8; (1 << 16) * t.size()];
    while v.len() < n {
        let take = (n - v.len()).min(1 << 16) * t.size();
        f.read_exact(&mut buf[..take])
            .map_err(|_| Error::data(path, "not a .npy file: truncated data"))?;
        v.extend(super::tensor::decode(t, &buf[..take], big));
    }
    if h.fortran && h.shape.len() == 2 {
        let (r, c) = (h.shape[0] as usize, h.shape[1] as usize);
        let col_major =
            Array2::from_shape_vec((c, r), v).map_err(|e| Error::data(path, e.to_string()))?;
        return Ok(col_major.reversed_axes().as_standard_layout().to_owned());
    }
    super::tensor::table(path, &name, &h.shape, v)
}

/// Read a 2-D `.npy` table (what [`write()`] produces, or any float `.npy`).
pub fn read(path: &Path) -> Result<Array2<f32>> {
    let h = read_header(path)?;
    if h.shape.len() != 2 {
        return Err(Error::data(path, "not a float32 .npy file: not 2-D"));
    }
    read_any(path)
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

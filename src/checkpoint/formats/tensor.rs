//! Tensors from the files other frameworks write: any `.safetensors` file, `.npy`,
//! TensorFlow checkpoints and SavedModel variables ([`super::tf`]) and PyTorch `torch.save`
//! files ([`super::torch`]). One interface over them — list the tensors ([`TensorInfo`]),
//! read one as an `f32` table — so `--init-from`, the schema's `init_from` and
//! `recsys inspect` take any of them alike. None of these formats carries a vocabulary: the
//! rows are given keys by a keys file (`--init-vocab`).
//!
//! Every reader checks the sizes a file claims against the file before it allocates, and
//! converts float16, bfloat16 and float64 to float32 exactly as the frameworks do
//! (round to nearest even for float64).

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::error::{Error, Result};

/// Element types of the tensors a table can start from; other types are listed by
/// [`TensorSource::tensors`] under their own name and refused by [`TensorSource::read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// IEEE half precision.
    F16,
    /// bfloat16 (the top half of a float32).
    BF16,
    /// IEEE single precision.
    F32,
    /// IEEE double precision.
    F64,
}

impl DType {
    /// Bytes per element.
    #[must_use]
    pub fn size(self) -> usize {
        match self {
            DType::F16 | DType::BF16 => 2,
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// The name `inspect` prints.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
}

/// One tensor of a file, as `recsys inspect` lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TensorInfo {
    /// Its name (key) in the file.
    pub name: String,
    /// Element type (`float32`, `int64`, `string`, …).
    pub dtype: String,
    /// Dimensions, outermost first.
    pub shape: Vec<u64>,
}

/// A file (or directory) of named tensors from another framework.
pub trait TensorSource {
    /// What kind of file it is (`safetensors`, `npy`, `tf-checkpoint`, `torch`).
    fn format(&self) -> &'static str;
    /// Every tensor, in the file's order.
    fn tensors(&self) -> Vec<TensorInfo>;
    /// Tensor `name` as a rows × columns `f32` table (a 2-D float tensor; a 1-D one is one
    /// column).
    fn read(&self, name: &str) -> Result<Array2<f32>>;
}

/// `f32` from IEEE half-precision bits, exactly (every half is a float).
#[must_use]
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // subnormal: normalise the mantissa
            let shift = m.leading_zeros() - 21;
            let m = (m << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (m << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Read `n` elements of `dtype` from `r`, decoding 64 KiB at a time (the raw bytes are never
/// held whole); `inspect` sees every raw chunk (e.g. to checksum it).
pub(crate) fn read_decoded(
    r: &mut dyn Read,
    dtype: DType,
    n: usize,
    big_endian: bool,
    inspect: &mut dyn FnMut(&[u8]),
) -> std::io::Result<Vec<f32>> {
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; (1 << 16) * dtype.size()];
    while out.len() < n {
        let take = (n - out.len()).min(1 << 16) * dtype.size();
        r.read_exact(&mut buf[..take])?;
        inspect(&buf[..take]);
        decode_into(dtype, &buf[..take], big_endian, &mut out);
    }
    Ok(out)
}

/// Decode `bytes` (a whole number of `dtype` elements, little- or big-endian) to `f32`.
#[must_use]
pub fn decode(dtype: DType, bytes: &[u8], big_endian: bool) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / dtype.size());
    decode_into(dtype, bytes, big_endian, &mut out);
    out
}

/// [`decode`] appending to `out`.
fn decode_into(dtype: DType, bytes: &[u8], big_endian: bool, out: &mut Vec<f32>) {
    if dtype == DType::F32 && !big_endian {
        out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        return;
    }
    let n = dtype.size();
    out.extend(bytes.chunks_exact(n).map(|c| {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(c);
        if big_endian {
            b[..n].reverse();
        }
        match dtype {
            DType::F16 => f16_to_f32(u16::from_le_bytes([b[0], b[1]])),
            DType::BF16 => f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16),
            DType::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            DType::F64 => f64::from_le_bytes(b) as f32,
        }
    }));
}

/// A table from a tensor's shape and its elements in C order; a 1-D tensor is one column.
pub(crate) fn table(path: &Path, name: &str, shape: &[u64], v: Vec<f32>) -> Result<Array2<f32>> {
    let (r, c) = match shape {
        [n] => (*n as usize, 1),
        [r, c] => (*r as usize, *c as usize),
        _ => {
            return Err(Error::checkpoint(
                path,
                format!(
                    "tensor '{name}' has shape {shape:?}: a table needs 2 dimensions (rows × width)"
                ),
            ))
        }
    };
    Array2::from_shape_vec((r, c), v)
        .map_err(|e| Error::checkpoint(path, format!("tensor '{name}': {e}")))
}

/// Elements of a tensor with `shape`, or an error when the count overflows.
pub(crate) fn numel(path: &Path, name: &str, shape: &[u64]) -> Result<u64> {
    shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| {
            Error::checkpoint(path, format!("tensor '{name}': shape {shape:?} overflows"))
        })
}

/// Any `.safetensors` file: the tensors of the header, read from a memory map.
pub struct SafetensorsFile {
    path: PathBuf,
    map: memmap2::Mmap,
    infos: Vec<TensorInfo>,
}

impl SafetensorsFile {
    /// Open and check `path` (header, offsets and sizes are validated by the `safetensors`
    /// crate before any tensor is read).
    pub fn open(path: &Path) -> Result<SafetensorsFile> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and private to this process; a file changed under it
        // by another process can give wrong values but no memory unsafety in safe readers of
        // `&[u8]`, which is all that touches it.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
        let st = safetensors::SafeTensors::deserialize(&map)
            .map_err(|e| Error::checkpoint(path, format!("not a safetensors file: {e}")))?;
        let mut infos: Vec<TensorInfo> = st
            .iter()
            .map(|(name, v)| TensorInfo {
                name: name.to_string(),
                dtype: safetensors_dtype_name(v.dtype()),
                shape: v.shape().iter().map(|&d| d as u64).collect(),
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        drop(st);
        Ok(SafetensorsFile {
            path: path.to_path_buf(),
            map,
            infos,
        })
    }
}

/// A safetensors dtype under the names the other formats use (`float32`, `int64`, …).
fn safetensors_dtype_name(d: safetensors::tensor::Dtype) -> String {
    use safetensors::tensor::Dtype;
    match d {
        Dtype::F16 => "float16".into(),
        Dtype::BF16 => "bfloat16".into(),
        Dtype::F32 => "float32".into(),
        Dtype::F64 => "float64".into(),
        Dtype::I64 => "int64".into(),
        Dtype::I32 => "int32".into(),
        Dtype::U8 => "uint8".into(),
        Dtype::BOOL => "bool".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

impl TensorSource for SafetensorsFile {
    fn format(&self) -> &'static str {
        "safetensors"
    }
    fn tensors(&self) -> Vec<TensorInfo> {
        self.infos.clone()
    }
    fn read(&self, name: &str) -> Result<Array2<f32>> {
        use safetensors::tensor::Dtype;
        let st = safetensors::SafeTensors::deserialize(&self.map)
            .map_err(|e| Error::checkpoint(&self.path, e.to_string()))?;
        let v = st
            .tensor(name)
            .map_err(|_| not_found(&self.path, name, &self.infos))?;
        let dtype = match v.dtype() {
            Dtype::F16 => DType::F16,
            Dtype::BF16 => DType::BF16,
            Dtype::F32 => DType::F32,
            Dtype::F64 => DType::F64,
            other => return Err(not_float(&self.path, name, &safetensors_dtype_name(other))),
        };
        let shape: Vec<u64> = v.shape().iter().map(|&d| d as u64).collect();
        table(&self.path, name, &shape, decode(dtype, v.data(), false))
    }
}

/// A `.npy` file as a source of one tensor, named after the file's stem.
pub struct NpyFile {
    path: PathBuf,
    name: String,
    header: super::npy::Header,
}

impl NpyFile {
    /// Open `path` and check its header against its length.
    pub fn open(path: &Path) -> Result<NpyFile> {
        let header = super::npy::read_header(path)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        Ok(NpyFile {
            path: path.to_path_buf(),
            name,
            header,
        })
    }
}

impl TensorSource for NpyFile {
    fn format(&self) -> &'static str {
        "npy"
    }
    fn tensors(&self) -> Vec<TensorInfo> {
        vec![TensorInfo {
            name: self.name.clone(),
            dtype: self.header.dtype_name(),
            shape: self.header.shape.clone(),
        }]
    }
    fn read(&self, name: &str) -> Result<Array2<f32>> {
        if name != self.name {
            return Err(not_found(&self.path, name, &self.tensors()));
        }
        super::npy::read_any(&self.path)
    }
}

/// Write `table` as a bare safetensors file holding one float32 tensor named `weight`, so
/// that `nn.Embedding(rows, dim).load_state_dict(safetensors.torch.load_file(path))` takes it
/// as it is; its keys go to [`super::npy::keys_path`] (line i = row i).
pub fn write_safetensors(
    path: &Path,
    keys: &[String],
    table: ndarray::ArrayView2<'_, f32>,
) -> Result<()> {
    if keys.len() != table.nrows() {
        return Err(Error::data(
            path,
            format!("{} keys for {} rows", keys.len(), table.nrows()),
        ));
    }
    let bytes: Vec<u8> = table.iter().flat_map(|v| v.to_le_bytes()).collect();
    let view = safetensors::tensor::TensorView::new(
        safetensors::tensor::Dtype::F32,
        vec![table.nrows(), table.ncols()],
        &bytes,
    )
    .map_err(|e| Error::data(path, e.to_string()))?;
    let out = safetensors::serialize([("weight", view)], None)
        .map_err(|e| Error::data(path, e.to_string()))?;
    super::atomic_file_write(path, &out)?;
    write_keys(&super::npy::keys_path(path), keys)
}

/// Write one key per line (newlines inside a key become spaces).
pub fn write_keys(path: &Path, keys: &[String]) -> Result<()> {
    super::atomic_file_stream(path, |w| {
        for k in keys {
            writeln!(w, "{}", k.replace('\n', " "))?;
        }
        Ok(())
    })
}

/// "no tensor NAME (tensors: …)".
pub(crate) fn not_found(path: &Path, name: &str, infos: &[TensorInfo]) -> Error {
    let mut names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).take(20).collect();
    if infos.len() > 20 {
        names.push("…");
    }
    Error::checkpoint(
        path,
        format!(
            "no tensor '{name}' (tensors: {}; `recsys inspect` lists them with shapes)",
            names.join(", ")
        ),
    )
}

/// "tensor NAME is DTYPE, not a float type".
pub(crate) fn not_float(path: &Path, name: &str, dtype: &str) -> Error {
    Error::checkpoint(
        path,
        format!("tensor '{name}' is {dtype}; a table starts only from float16, bfloat16, float32 or float64"),
    )
}

/// What kind of tensor file `path` is, by its content (and, for TensorFlow, the files beside
/// it); `None` for anything else (a word2vec or GloVe text, our own model directory).
pub fn open(path: &Path) -> Result<Option<Box<dyn TensorSource>>> {
    if let Some(prefix) = super::tf::checkpoint_prefix(path)? {
        return Ok(Some(Box::new(super::tf::Bundle::open(&prefix)?)));
    }
    if path.is_dir() {
        return Ok(None);
    }
    let mut magic = [0u8; 9];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut got = 0;
    while got < magic.len() {
        match f.read(&mut magic[got..]).map_err(|e| Error::io(path, e))? {
            0 => break,
            n => got += n,
        }
    }
    let magic = &magic[..got];
    if magic.starts_with(b"\x93NUMPY") {
        return Ok(Some(Box::new(NpyFile::open(path)?)));
    }
    if magic.starts_with(b"PK\x03\x04") {
        return Ok(Some(Box::new(super::torch::StateDict::open(path)?)));
    }
    if magic.starts_with(b"\x80\x02\x8a\x0a") {
        return Err(Error::checkpoint(
            path,
            "a torch.save file in the legacy format (before PyTorch 1.6) is not read: save it again with a current PyTorch (the zip format)",
        ));
    }
    if magic.len() == 9 && magic[8] == b'{' {
        return Ok(Some(Box::new(SafetensorsFile::open(path)?)));
    }
    Ok(None)
}

/// Keys for the rows of a tensor from a keys file: one key per line (line i = row i, as
/// TensorFlow's `vocabulary_file`), or a tab-separated file whose first line is a header and
/// whose first column is the key (our `vocab/*.tsv`, TensorBoard's `metadata.tsv`).
pub fn read_keys(path: &Path) -> Result<Vec<String>> {
    let (mut r, _) = super::open_read(path)?;
    let mut buf = Vec::new();
    let mut keys = Vec::new();
    let mut first = true;
    let mut tsv = false;
    while super::read_line(&mut *r, &mut buf, path)? {
        let line = String::from_utf8_lossy(&buf);
        if first {
            first = false;
            if line.contains('\t') {
                tsv = true;
                continue;
            }
        }
        let key = if tsv {
            line.split('\t').next().unwrap_or_default()
        } else {
            &line
        };
        keys.push(key.to_string());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_converts_exactly() {
        // 1.0, -2.0, 65504 (max), smallest subnormal 2^-24, largest subnormal, inf, 0.5
        let cases: [(u16, f32); 8] = [
            (0x3c00, 1.0),
            (0xc000, -2.0),
            (0x7bff, 65504.0),
            (0x0001, 2f32.powi(-24)),
            (0x03ff, 1023.0 * 2f32.powi(-24)),
            (0x7c00, f32::INFINITY),
            (0x3800, 0.5),
            (0x8000, -0.0),
        ];
        for (h, want) in cases {
            assert_eq!(f16_to_f32(h).to_bits(), want.to_bits(), "{h:#06x}");
        }
        assert!(f16_to_f32(0x7e00).is_nan());
        // every finite half round-trips through f32 → f16 by the textbook rule
        for h in 0u16..0x7c00 {
            let f = f16_to_f32(h);
            let back = ((f.to_bits() >> 13) & 0x3ff) as u16;
            if h >= 0x0400 {
                assert_eq!(back, h & 0x3ff, "{h:#06x}");
            }
        }
    }

    #[test]
    fn bfloat16_and_float64_decode() {
        let bf = [0x80u8, 0x3f, 0x00, 0xc0]; // 1.0, -2.0
        assert_eq!(decode(DType::BF16, &bf, false), vec![1.0, -2.0]);
        let d = 0.1f64.to_be_bytes();
        assert_eq!(decode(DType::F64, &d, true), vec![0.1f32]);
    }

    #[test]
    fn keys_files_plain_and_tsv() {
        let dir = std::env::temp_dir().join(format!("recsys-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("v.txt");
        std::fs::write(&plain, "a\nb c\n\nd\n").unwrap();
        assert_eq!(read_keys(&plain).unwrap(), vec!["a", "b c", "", "d"]);
        let tsv = dir.join("v.tsv");
        std::fs::write(&tsv, "key\ttitle\nx\tX\ny\tY\n").unwrap();
        assert_eq!(read_keys(&tsv).unwrap(), vec!["x", "y"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

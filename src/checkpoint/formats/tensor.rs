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
use std::path::Path;

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
}

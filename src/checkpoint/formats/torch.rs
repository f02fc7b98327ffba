//! PyTorch `torch.save` files (the zip format of PyTorch ≥ 1.6): `ARCHIVE/data.pkl` holds
//! the pickled object, `ARCHIVE/data/KEY` the raw storages (stored, not compressed), and
//! `ARCHIVE/byteorder` the byte order. Only tensor state dicts are read — a `dict` or
//! `OrderedDict` of tensors, nested dicts flattened with `.` (`{"state_dict": {...}}` gives
//! `state_dict.embeddings.movie.weight`) — through [`super::pickle`], which executes nothing.
//!
//! TorchRec names its tables `embedding_bags.<table>.weight` (`EmbeddingBagCollection`) and
//! `embeddings.<table>.weight` (`EmbeddingCollection`); a plain `nn.Embedding` is `weight`,
//! inside a model `<attribute>.weight`. Example:
//!
//! ```text
//! recsys inspect model.pt
//! recsys train ratings.csv --init-from model.pt --init-tensor embedding_bags.movie.weight \
//!     --init-vocab movies.txt --freeze
//! ```

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::pickle::{self, TensorRef, Value};
use super::tensor::{not_float, not_found, table, TensorInfo, TensorSource};
use crate::error::{Error, Result};

/// The largest `data.pkl` read (a state dict's pickle is small; the tensors are elsewhere).
const MAX_PICKLE: u64 = 256 << 20;

/// An opened `torch.save` file: its tensors by name.
#[derive(Debug)]
pub struct StateDict {
    path: PathBuf,
    prefix: String,
    big_endian: bool,
    tensors: Vec<(String, TensorRef)>,
}

fn flatten(prefix: &str, v: Value, out: &mut Vec<(String, TensorRef)>) {
    match v {
        Value::Dict(items) => {
            for (k, v) in items {
                let key = match k {
                    Value::Str(s) => s,
                    Value::Int(i) => i.to_string(),
                    _ => continue,
                };
                let name = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, v, out);
            }
        }
        Value::Tensor(t) => out.push((prefix.to_string(), *t)),
        _ => {}
    }
}

impl StateDict {
    /// Open `path`, check its entries and decode its pickle.
    pub fn open(path: &Path) -> Result<StateDict> {
        let bad = |m: String| Error::checkpoint(path, format!("not a torch.save file: {m}"));
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut zip = zip::ZipArchive::new(f).map_err(|e| bad(format!("zip: {e}")))?;
        let pkl_name = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.to_string()))
            .find(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
            .ok_or_else(|| bad("no ARCHIVE/data.pkl entry".into()))?;
        let prefix = pkl_name.trim_end_matches("data.pkl").to_string();
        for i in 0..zip.len() {
            let e = zip
                .by_index_raw(i)
                .map_err(|e| bad(format!("zip entry {i}: {e}")))?;
            let entry = e
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| format!("#{i}"));
            if e.compression() != zip::CompressionMethod::Stored {
                return Err(bad(format!(
                    "entry '{entry}' is compressed ({}); torch.save stores its entries",
                    e.compression()
                )));
            }
            if e.size() > len {
                return Err(bad(format!(
                    "entry '{entry}' claims {} bytes in a {len}-byte file",
                    e.size()
                )));
            }
        }
        let big_endian = match zip.by_name(&format!("{prefix}byteorder")) {
            Ok(mut e) => {
                let mut s = String::new();
                e.by_ref()
                    .take(16)
                    .read_to_string(&mut s)
                    .map_err(|e| bad(format!("byteorder: {e}")))?;
                s.trim() == "big"
            }
            Err(_) => false,
        };
        let mut e = zip
            .by_name(&pkl_name)
            .map_err(|e| bad(format!("{pkl_name}: {e}")))?;
        if e.size() > MAX_PICKLE {
            return Err(bad(format!("data.pkl is {} bytes", e.size())));
        }
        let mut pkl = Vec::with_capacity(e.size() as usize);
        e.read_to_end(&mut pkl)
            .map_err(|e| bad(format!("data.pkl: {e}")))?;
        drop(e);
        let value =
            pickle::load(&pkl).map_err(|m| Error::checkpoint(path, format!("{pkl_name}: {m}")))?;
        let mut tensors = Vec::new();
        match value {
            Value::Tensor(t) => tensors.push(("tensor".to_string(), *t)),
            v @ Value::Dict(_) => flatten("", v, &mut tensors),
            _ => {
                return Err(bad(
                    "data.pkl holds neither a tensor nor a dict of tensors".into()
                ))
            }
        }
        Ok(StateDict {
            path: path.to_path_buf(),
            prefix,
            big_endian,
            tensors,
        })
    }
}

impl TensorSource for StateDict {
    fn format(&self) -> &'static str {
        "torch"
    }

    fn tensors(&self) -> Vec<TensorInfo> {
        self.tensors
            .iter()
            .map(|(name, t)| TensorInfo {
                name: name.clone(),
                dtype: t
                    .dtype
                    .map_or_else(|| t.class.clone(), |d| d.name().to_string()),
                shape: t.shape.clone(),
            })
            .collect()
    }

    fn read(&self, name: &str) -> Result<Array2<f32>> {
        let (_, t) = self
            .tensors
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| not_found(&self.path, name, &self.tensors()))?;
        let dtype = t
            .dtype
            .ok_or_else(|| not_float(&self.path, name, &t.class))?;
        let bad = |m: String| Error::checkpoint(&self.path, format!("tensor '{name}': {m}"));
        // The last element the view touches must lie inside the storage.
        let mut last = t.offset;
        for (&d, &s) in t.shape.iter().zip(&t.stride) {
            if d == 0 {
                return table(&self.path, name, &t.shape, Vec::new());
            }
            last = (d - 1)
                .checked_mul(s)
                .and_then(|x| x.checked_add(last))
                .ok_or_else(|| bad("its strides overflow".into()))?;
        }
        if last >= t.storage_numel {
            return Err(bad(format!(
                "the view ends at element {last} of a {}-element storage",
                t.storage_numel
            )));
        }
        let bytes = t
            .storage_numel
            .checked_mul(dtype.size() as u64)
            .ok_or_else(|| bad("its storage size overflows".into()))?;
        let f = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut zip = zip::ZipArchive::new(f).map_err(|e| bad(format!("zip: {e}")))?;
        let entry_name = format!("{}data/{}", self.prefix, t.key);
        let mut e = zip
            .by_name(&entry_name)
            .map_err(|e| bad(format!("no storage '{entry_name}' ({e})")))?;
        if e.size() != bytes {
            return Err(bad(format!(
                "storage '{entry_name}' has {} bytes, its {} {} elements need {bytes}",
                e.size(),
                t.storage_numel,
                dtype.name()
            )));
        }
        let storage = super::tensor::read_decoded(
            &mut e,
            dtype,
            t.storage_numel as usize,
            self.big_endian,
            &mut |_| {},
        )
        .map_err(|e| bad(format!("storage '{entry_name}': {e}")))?;
        let n: u64 = t.shape.iter().product();
        let c_order = t
            .shape
            .iter()
            .zip(&t.stride)
            .rev()
            .try_fold(1u64, |want, (&d, &s)| {
                (d == 1 || s == want).then(|| want * d)
            })
            .is_some();
        if t.offset == 0 && c_order && n == t.storage_numel {
            return table(&self.path, name, &t.shape, storage);
        }
        let (rows, cols, rs, cs) = match (t.shape.as_slice(), t.stride.as_slice()) {
            ([n], [s]) => (*n, 1, *s, 0),
            ([r, c], [rs, cs]) => (*r, *c, *rs, *cs),
            _ => return table(&self.path, name, &t.shape, Vec::new()),
        };
        let mut v = Vec::with_capacity((rows * cols) as usize);
        for r in 0..rows {
            for c in 0..cols {
                v.push(storage[(t.offset + r * rs + c * cs) as usize]);
            }
        }
        table(&self.path, name, &t.shape, v)
    }
}

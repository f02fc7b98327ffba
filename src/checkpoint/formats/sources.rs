//! Opening a tensor file of another framework by its content ([`open`]) and the files beside
//! it: the safetensors and `.npy` sources, keys files ([`read_keys`]), and the bare safetensors
//! export. The readers themselves are [`super::tf`], [`super::torch`], [`super::npy`]; the
//! interface they share is [`super::tensor`].

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::tensor::{decode, not_float, not_found, table, DType, TensorInfo, TensorSource};
use crate::error::{Error, Result};

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

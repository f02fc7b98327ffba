//! Embedding file formats, one reader/writer pair per format over (keys, table):
//! word2vec text and binary (as gensim's `load_word2vec_format` reads them), GloVe text,
//! `.npy` with a keys file, and the TensorBoard projector (`vectors.tsv` + `metadata.tsv`);
//! and tensors from other frameworks' files ([`tensor`]: safetensors, `.npy`, TensorFlow
//! checkpoints, `torch.save` files), read natively.
//! Files stream both ways: writers go through a buffer into a temporary sibling that is synced
//! and renamed into place; readers parse from a buffered reader (gzip detected by its magic),
//! so nothing but the table itself is held in memory.

pub mod glove;
pub mod npy;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod pickle;
pub mod projector;
pub mod sources;
pub mod tensor;
pub mod tf;
pub mod torch;
pub mod word2vec;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Write a file atomically by streaming: `fill` writes into a buffered temporary sibling,
/// which is synced and renamed over `path`; on any error the temporary file is removed.
pub fn atomic_file_stream(
    path: &Path,
    fill: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::data(path, "not a file name"))?
        .to_string_lossy()
        .to_string();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    remove_dead_temporaries(&parent, &name);
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        fill(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Remove `.NAME.tmp-PID` files left in `parent` by writers that were killed.
fn remove_dead_temporaries(parent: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().to_string();
        let pid = f.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(crate::checkpoint::writer_gone) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Open `path` for a streaming read: a buffered reader (decompressing gzip, detected by its
/// magic) and, for an uncompressed file, its length (to check sizes claimed by headers).
pub fn open_read(path: &Path) -> Result<(Box<dyn BufRead>, Option<u64>)> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut r = BufReader::with_capacity(1 << 20, f);
    let magic = r.fill_buf().map_err(|e| Error::io(path, e))?;
    if magic.len() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
        let gz = flate2::read::MultiGzDecoder::new(r);
        Ok((Box::new(BufReader::with_capacity(1 << 20, gz)), None))
    } else {
        Ok((Box::new(r), Some(len)))
    }
}

/// Read one line (without its `\n`/`\r\n`) into `buf`; false at the end of the stream.
pub(crate) fn read_line(r: &mut dyn BufRead, buf: &mut Vec<u8>, path: &Path) -> Result<bool> {
    read_line_max(r, buf, path, MAX_LINE)
}

/// The longest line an embedding file may have unless its header says otherwise (64 MiB:
/// a million-dimension text vector).
pub(crate) const MAX_LINE: usize = 64 << 20;

/// [`read_line`] reading at most `max` bytes: a longer line is an error, never an
/// allocation the size of the file.
pub(crate) fn read_line_max(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    path: &Path,
    max: usize,
) -> Result<bool> {
    buf.clear();
    let n = crate::data::reader::read_until_max(r, b'\n', buf, max)
        .map_err(|e| Error::data(path, format!("read error: {e}")))?;
    while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        buf.pop();
    }
    Ok(n > 0)
}

/// Fill `buf` exactly from `r`, or say the file is truncated.
pub(crate) fn read_exact(r: &mut dyn Read, buf: &mut [u8], path: &Path, what: &str) -> Result<()> {
    r.read_exact(buf)
        .map_err(|e| Error::data(path, format!("truncated: {what} ({e})")))
}

/// Write a file atomically: a temporary sibling, synced, then renamed over `path`.
pub fn atomic_file_write(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_file_stream(path, |w| w.write_all(bytes))
}

//! TensorFlow checkpoints (`tf.train.Checkpoint`, `tf.compat.v1.train.Saver`, Keras
//! `model.save_weights` in the checkpoint format) and SavedModel variables: the TensorBundle
//! format, read natively.
//!
//! A bundle is `PREFIX.index` plus data shards `PREFIX.data-NNNNN-of-MMMMM`. The index is a
//! LevelDB-format table (sorted string keys in blocks, each block followed by a compression
//! byte and a masked CRC32C, an index block of block handles and a 48-byte footer ending in
//! the magic `0xdb4775248b80fb57`). Its empty key holds a `BundleHeaderProto` (shard count,
//! byte order); every other key is a tensor name whose value is a `BundleEntryProto`: dtype,
//! shape, shard, offset, size and the masked CRC32C of the tensor's raw bytes, which are read
//! from the shard and checked. Protobuf messages are decoded by `prost`.
//!
//! Keras objects saved through `tf.train.Checkpoint` name their variables by the object
//! path, e.g. `model/layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE`;
//! `recsys inspect` lists them. Partitioned (sliced) variables are refused with a message.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ndarray::Array2;
use prost::Message;

use super::tensor::{not_float, not_found, numel, table, DType, TensorInfo, TensorSource};
use crate::error::{Error, Result};

/// The LevelDB table magic, little-endian in the last 8 bytes of the index.
const TABLE_MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// The largest index file read (its blocks are read whole).
const MAX_INDEX: u64 = 1 << 30;

/// `tensorflow.BundleHeaderProto`.
#[derive(Clone, PartialEq, Message)]
struct BundleHeader {
    #[prost(int32, tag = "1")]
    num_shards: i32,
    /// 0 = little-endian, 1 = big-endian.
    #[prost(int32, tag = "2")]
    endianness: i32,
    #[prost(message, optional, tag = "3")]
    version: Option<Version>,
}

/// `tensorflow.VersionDef`.
#[derive(Clone, PartialEq, Message)]
struct Version {
    #[prost(int32, tag = "1")]
    producer: i32,
    #[prost(int32, tag = "2")]
    min_consumer: i32,
}

/// `tensorflow.TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, Message)]
struct Dim {
    #[prost(int64, tag = "1")]
    size: i64,
}

/// `tensorflow.TensorShapeProto`.
#[derive(Clone, PartialEq, Message)]
struct Shape {
    #[prost(message, repeated, tag = "2")]
    dim: Vec<Dim>,
    #[prost(bool, tag = "3")]
    unknown_rank: bool,
}

/// `tensorflow.TensorSliceProto` (only whether there are any matters here).
#[derive(Clone, PartialEq, Message)]
struct Slice {}

/// `tensorflow.BundleEntryProto`.
#[derive(Clone, PartialEq, Message)]
struct Entry {
    #[prost(int32, tag = "1")]
    dtype: i32,
    #[prost(message, optional, tag = "2")]
    shape: Option<Shape>,
    #[prost(int32, tag = "3")]
    shard_id: i32,
    #[prost(int64, tag = "4")]
    offset: i64,
    #[prost(int64, tag = "5")]
    size: i64,
    #[prost(fixed32, tag = "6")]
    crc32c: u32,
    #[prost(message, repeated, tag = "7")]
    slices: Vec<Slice>,
}

/// A tensor's place in the bundle.
#[derive(Debug, Clone)]
struct Located {
    info: TensorInfo,
    dtype: i32,
    shard: u32,
    offset: u64,
    size: u64,
    crc: u32,
    sliced: bool,
}

/// The name of TensorFlow's `DataType` enum value `t`.
fn dtype_name(t: i32) -> String {
    match t {
        1 => "float32".into(),
        2 => "float64".into(),
        3 => "int32".into(),
        4 => "uint8".into(),
        5 => "int16".into(),
        6 => "int8".into(),
        7 => "string".into(),
        9 => "int64".into(),
        10 => "bool".into(),
        14 => "bfloat16".into(),
        19 => "float16".into(),
        20 => "resource".into(),
        21 => "variant".into(),
        t => format!("DataType {t}"),
    }
}

fn float_dtype(t: i32) -> Option<DType> {
    match t {
        1 => Some(DType::F32),
        2 => Some(DType::F64),
        14 => Some(DType::BF16),
        19 => Some(DType::F16),
        _ => None,
    }
}

/// CRC-32C (Castagnoli), bitwise-reflected, as LevelDB and TensorFlow compute it.
#[must_use]
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c_extend(0, data)
}

fn crc32c_table() -> &'static [u32; 256] {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0x82f6_3b78 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    })
}

fn crc32c_extend(crc: u32, data: &[u8]) -> u32 {
    let t = crc32c_table();
    let mut c = !crc;
    for &b in data {
        c = t[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// LevelDB's CRC mask (stored CRCs are masked so that a CRC of CRCs stays strong).
#[must_use]
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// A varint from `b` at `*at`, advancing it.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The (key, value) entries of one table block (restart array stripped).
fn block_entries(block: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let n = block.len();
    if n < 4 {
        return None;
    }
    let restarts = u32::from_le_bytes(block[n - 4..].try_into().ok()?) as usize;
    let end = n.checked_sub(4 + restarts.checked_mul(4)?)?;
    let mut out = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut at = 0;
    while at < end {
        let shared = usize::try_from(varint(block, &mut at)?).ok()?;
        let unshared = usize::try_from(varint(block, &mut at)?).ok()?;
        let vlen = usize::try_from(varint(block, &mut at)?).ok()?;
        if shared > key.len() || at.checked_add(unshared)?.checked_add(vlen)? > end {
            return None;
        }
        key.truncate(shared);
        key.extend_from_slice(&block[at..at + unshared]);
        at += unshared;
        out.push((key.clone(), block[at..at + vlen].to_vec()));
        at += vlen;
    }
    Some(out)
}

/// The prefix of the TensorFlow checkpoint `path` names, if it names one: the prefix itself
/// (`ckpt-1`, with `ckpt-1.index` beside it), the `.index` file, a data shard, a directory
/// holding TensorFlow's `checkpoint` state file (its latest checkpoint), or a SavedModel
/// directory (`variables/variables`).
pub fn checkpoint_prefix(path: &Path) -> Result<Option<PathBuf>> {
    let s = path.as_os_str().to_string_lossy().to_string();
    let with_index = PathBuf::from(format!("{s}.index"));
    if with_index.is_file() {
        return Ok(Some(path.to_path_buf()));
    }
    if let Some(p) = s.strip_suffix(".index") {
        if path.is_file() {
            return Ok(Some(PathBuf::from(p)));
        }
    }
    if let Some((p, tail)) = s.rsplit_once(".data-") {
        if tail.contains("-of-") && Path::new(&format!("{p}.index")).is_file() {
            return Ok(Some(PathBuf::from(p)));
        }
    }
    if path.is_dir() {
        let saved = path.join("variables").join("variables");
        if saved.with_extension("index").is_file() {
            return Ok(Some(saved));
        }
        let state = path.join("checkpoint");
        if state.is_file() && !path.join("manifest.json").exists() {
            let text = std::fs::read_to_string(&state).map_err(|e| Error::io(&state, e))?;
            let latest = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("model_checkpoint_path:"))
                .map(|v| v.trim().trim_matches('"').to_string())
                .ok_or_else(|| {
                    Error::checkpoint(
                        &state,
                        "no model_checkpoint_path line in TensorFlow's checkpoint state file",
                    )
                })?;
            let p = if Path::new(&latest).is_absolute() {
                PathBuf::from(latest)
            } else {
                path.join(latest)
            };
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// An opened TensorFlow bundle: its index decoded, shards opened on demand.
#[derive(Debug)]
pub struct Bundle {
    prefix: PathBuf,
    shards: u32,
    big_endian: bool,
    tensors: Vec<Located>,
}

impl Bundle {
    /// Read and check the index of the bundle at `prefix`.
    pub fn open(prefix: &Path) -> Result<Bundle> {
        let index = PathBuf::from(format!("{}.index", prefix.display()));
        let bad = |m: String| {
            Error::checkpoint(&index, format!("not a TensorFlow checkpoint index: {m}"))
        };
        let mut f = File::open(&index).map_err(|e| Error::io(&index, e))?;
        let len = f.metadata().map_err(|e| Error::io(&index, e))?.len();
        if len < 48 {
            return Err(bad(format!("{len} bytes, shorter than the 48-byte footer")));
        }
        if len > MAX_INDEX {
            return Err(bad(format!(
                "{len} bytes, more than an index of any real model"
            )));
        }
        let mut bytes = Vec::with_capacity(len as usize);
        f.read_to_end(&mut bytes)
            .map_err(|e| Error::io(&index, e))?;
        let footer = &bytes[bytes.len() - 48..];
        let magic = u64::from_le_bytes(
            footer[40..48]
                .try_into()
                .map_err(|_| bad("footer".into()))?,
        );
        if magic != TABLE_MAGIC {
            return Err(bad("the footer lacks the table magic".into()));
        }
        let mut at = 0;
        let handle = |at: &mut usize| -> Result<(u64, u64)> {
            let o =
                varint(footer, at).ok_or_else(|| bad("bad block handle in the footer".into()))?;
            let s =
                varint(footer, at).ok_or_else(|| bad("bad block handle in the footer".into()))?;
            Ok((o, s))
        };
        let _meta = handle(&mut at)?;
        let index_handle = handle(&mut at)?;
        let block = |(off, size): (u64, u64)| -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
            let end = off
                .checked_add(size)
                .and_then(|e| e.checked_add(5))
                .filter(|&e| e <= len - 48)
                .ok_or_else(|| {
                    bad(format!(
                        "a block at {off} of {size} bytes runs past the index"
                    ))
                })?;
            let (off, size, end) = (off as usize, size as usize, end as usize);
            let contents = &bytes[off..off + size];
            let kind = bytes[off + size];
            let stored = u32::from_le_bytes(
                bytes[off + size + 1..end]
                    .try_into()
                    .map_err(|_| bad("trailer".into()))?,
            );
            let crc = crc32c_extend(crc32c(contents), &[kind]);
            if mask(crc) != stored {
                return Err(bad(format!(
                    "the CRC32C of the block at {off} does not match"
                )));
            }
            if kind != 0 {
                return Err(bad(format!(
                    "block at {off} is compressed (type {kind}); TensorFlow writes bundle indexes uncompressed"
                )));
            }
            block_entries(contents).ok_or_else(|| bad(format!("the block at {off} is malformed")))
        };
        let mut header = None;
        let mut tensors = Vec::new();
        for (_, h) in block(index_handle)? {
            let mut at = 0;
            let o = varint(&h, &mut at).ok_or_else(|| bad("bad block handle".into()))?;
            let s = varint(&h, &mut at).ok_or_else(|| bad("bad block handle".into()))?;
            for (key, value) in block((o, s))? {
                if key.first() == Some(&0) {
                    // A slice of a partitioned variable, keyed by TensorFlow's ordered-code
                    // encoding of (name, extents); listed under its variable's own entry.
                    continue;
                }
                if key.is_empty() {
                    header = Some(
                        BundleHeader::decode(value.as_slice())
                            .map_err(|e| bad(format!("header: {e}")))?,
                    );
                    continue;
                }
                let name = String::from_utf8_lossy(&key).to_string();
                let e = Entry::decode(value.as_slice())
                    .map_err(|e| bad(format!("entry '{name}': {e}")))?;
                let shape = e.shape.unwrap_or_default();
                let dims: Vec<u64> = shape
                    .dim
                    .iter()
                    .map(|d| u64::try_from(d.size))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| bad(format!("entry '{name}': a negative dimension")))?;
                tensors.push(Located {
                    info: TensorInfo {
                        name,
                        dtype: dtype_name(e.dtype),
                        shape: dims,
                    },
                    dtype: e.dtype,
                    shard: u32::try_from(e.shard_id).map_err(|_| bad("negative shard".into()))?,
                    offset: u64::try_from(e.offset).map_err(|_| bad("negative offset".into()))?,
                    size: u64::try_from(e.size).map_err(|_| bad("negative size".into()))?,
                    crc: e.crc32c,
                    sliced: !e.slices.is_empty(),
                });
            }
        }
        let header = header.ok_or_else(|| bad("no bundle header".into()))?;
        let shards = u32::try_from(header.num_shards)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| bad(format!("{} shards", header.num_shards)))?;
        Ok(Bundle {
            prefix: prefix.to_path_buf(),
            shards,
            big_endian: header.endianness == 1,
            tensors,
        })
    }

    fn shard_path(&self, shard: u32) -> PathBuf {
        PathBuf::from(format!(
            "{}.data-{shard:05}-of-{:05}",
            self.prefix.display(),
            self.shards
        ))
    }
}

impl TensorSource for Bundle {
    fn format(&self) -> &'static str {
        "tf-checkpoint"
    }

    fn tensors(&self) -> Vec<TensorInfo> {
        self.tensors.iter().map(|t| t.info.clone()).collect()
    }

    fn read(&self, name: &str) -> Result<Array2<f32>> {
        let index = PathBuf::from(format!("{}.index", self.prefix.display()));
        let t = self
            .tensors
            .iter()
            .find(|t| t.info.name == name)
            .ok_or_else(|| not_found(&index, name, &self.tensors()))?;
        if t.sliced {
            return Err(Error::checkpoint(
                &index,
                format!("'{name}' is a partitioned (sliced) variable, which is not read: save it unpartitioned (e.g. tf.train.Checkpoint of the layer)"),
            ));
        }
        let dtype = float_dtype(t.dtype).ok_or_else(|| not_float(&index, name, &t.info.dtype))?;
        if t.shard >= self.shards {
            return Err(Error::checkpoint(
                &index,
                format!("'{name}' is in shard {} of {}", t.shard, self.shards),
            ));
        }
        let n = numel(&index, name, &t.info.shape)?;
        if n.checked_mul(dtype.size() as u64) != Some(t.size) {
            return Err(Error::checkpoint(
                &index,
                format!(
                    "'{name}': {} bytes for shape {:?} of {}",
                    t.size, t.info.shape, t.info.dtype
                ),
            ));
        }
        let path = self.shard_path(t.shard);
        let mut f = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let len = f.metadata().map_err(|e| Error::io(&path, e))?.len();
        if t.offset.checked_add(t.size).is_none_or(|end| end > len) {
            return Err(Error::checkpoint(
                &path,
                format!(
                    "truncated: '{name}' needs bytes {}..{} of a {len}-byte shard",
                    t.offset,
                    t.offset.saturating_add(t.size)
                ),
            ));
        }
        f.seek(SeekFrom::Start(t.offset))
            .map_err(|e| Error::io(&path, e))?;
        let mut crc = 0u32;
        let values =
            super::tensor::read_decoded(&mut f, dtype, n as usize, self.big_endian, &mut |b| {
                crc = crc32c_extend(crc, b);
            })
            .map_err(|e| Error::io(&path, e))?;
        if mask(crc) != t.crc {
            return Err(Error::checkpoint(
                &path,
                format!(
                    "the CRC32C of '{name}' does not match its index entry: the shard is damaged"
                ),
            ));
        }
        table(&index, name, &t.info.shape, values)
    }
}

/// Append a varint.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A table block of `entries` (sorted keys, each a restart point), with its trailer.
fn put_block(out: &mut Vec<u8>, entries: &[(&[u8], &[u8])]) -> (u64, u64) {
    let start = out.len();
    let mut restarts = Vec::with_capacity(entries.len().max(1));
    for (k, v) in entries {
        restarts.push((out.len() - start) as u32);
        put_varint(out, 0);
        put_varint(out, k.len() as u64);
        put_varint(out, v.len() as u64);
        out.extend_from_slice(k);
        out.extend_from_slice(v);
    }
    if restarts.is_empty() {
        restarts.push(0);
    }
    for r in &restarts {
        out.extend_from_slice(&r.to_le_bytes());
    }
    out.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
    let size = (out.len() - start) as u64;
    let crc = crc32c_extend(crc32c(&out[start..]), &[0]);
    out.push(0);
    out.extend_from_slice(&mask(crc).to_le_bytes());
    (start as u64, size)
}

/// Write `tables` (name → float32 table) as a one-shard TensorFlow checkpoint at `prefix`
/// (`PREFIX.index` + `PREFIX.data-00000-of-00001`), which `tf.train.load_variable(prefix,
/// name)` and TensorFlow's `embedding_column(ckpt_to_load_from=…, tensor_name_in_ckpt=…)`
/// read. Both files are written atomically.
pub fn write(prefix: &Path, tables: &[(&str, ndarray::ArrayView2<'_, f32>)]) -> Result<()> {
    let mut sorted: Vec<&(&str, ndarray::ArrayView2<'_, f32>)> = tables.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let header = BundleHeader {
        num_shards: 1,
        endianness: 0,
        version: Some(Version {
            producer: 1,
            min_consumer: 0,
        }),
    };
    entries.push((Vec::new(), header.encode_to_vec()));
    let mut data = Vec::new();
    for (name, t) in &sorted {
        let start = data.len();
        for v in t.iter() {
            data.extend_from_slice(&v.to_le_bytes());
        }
        let e = Entry {
            dtype: 1,
            shape: Some(Shape {
                dim: [t.nrows(), t.ncols()]
                    .iter()
                    .map(|&d| Dim { size: d as i64 })
                    .collect(),
                unknown_rank: false,
            }),
            shard_id: 0,
            offset: start as i64,
            size: (data.len() - start) as i64,
            crc32c: mask(crc32c(&data[start..])),
            slices: Vec::new(),
        };
        entries.push((name.as_bytes().to_vec(), e.encode_to_vec()));
    }
    let mut index = Vec::new();
    let refs: Vec<(&[u8], &[u8])> = entries
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let data_block = put_block(&mut index, &refs);
    let meta_block = put_block(&mut index, &[]);
    let mut handle = Vec::new();
    put_varint(&mut handle, data_block.0);
    put_varint(&mut handle, data_block.1);
    let last = entries.last().map(|(k, _)| k.clone()).unwrap_or_default();
    let index_block = put_block(&mut index, &[(&last, &handle)]);
    let mut footer = Vec::with_capacity(48);
    for (o, s) in [meta_block, index_block] {
        put_varint(&mut footer, o);
        put_varint(&mut footer, s);
    }
    footer.resize(40, 0);
    footer.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
    index.extend_from_slice(&footer);
    let p = prefix.display().to_string();
    super::atomic_file_write(Path::new(&format!("{p}.data-00000-of-00001")), &data)?;
    super::atomic_file_write(Path::new(&format!("{p}.index")), &index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c(b""), 0);
        // extending equals one pass
        assert_eq!(
            crc32c_extend(crc32c(b"1234"), b"56789"),
            crc32c(b"123456789")
        );
    }

    #[test]
    fn varints_and_blocks_decode() {
        let mut at = 0;
        assert_eq!(varint(&[0xac, 0x02], &mut at), Some(300));
        assert_eq!(varint(&[0x80], &mut 0), None);
        // two entries, the second sharing 2 bytes of key: "abc" → "abd"
        let mut b = vec![0, 3, 1, b'a', b'b', b'c', b'x', 2, 1, 1, b'd', b'y'];
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        let e = block_entries(&b).unwrap();
        assert_eq!(
            e,
            vec![
                (b"abc".to_vec(), b"x".to_vec()),
                (b"abd".to_vec(), b"y".to_vec())
            ]
        );
        // a shared length past the previous key is refused
        let mut bad = vec![5, 1, 0, b'a'];
        bad.extend_from_slice(&0u32.to_le_bytes());
        assert!(block_entries(&bad).is_none());
    }

    #[test]
    fn written_bundles_read_back_bit_for_bit() {
        let dir = std::env::temp_dir().join(format!("recsys-tf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = ndarray::array![[1.5f32, -2.0, f32::MIN_POSITIVE], [0.1, 7.0, -0.0]];
        let b = ndarray::array![[3.0f32], [4.0], [5.0]];
        let prefix = dir.join("ckpt");
        write(&prefix, &[("item/embedding", a.view()), ("b", b.view())]).unwrap();
        let got = Bundle::open(&prefix).unwrap();
        let names: Vec<String> = got.tensors().into_iter().map(|t| t.name).collect();
        assert_eq!(names, vec!["b", "item/embedding"]);
        let back = got.read("item/embedding").unwrap();
        assert!(back
            .iter()
            .zip(a.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits()));
        assert_eq!(got.read("b").unwrap(), b);
        // a flipped data byte fails the tensor's CRC; a flipped index byte the block's
        let data = dir.join("ckpt.data-00000-of-00001");
        let mut bytes = std::fs::read(&data).unwrap();
        bytes[12 + 5] ^= 1; // inside item/embedding ("b", 3 floats, comes first)
        std::fs::write(&data, &bytes).unwrap();
        let e = Bundle::open(&prefix)
            .unwrap()
            .read("item/embedding")
            .unwrap_err()
            .to_string();
        assert!(e.contains("CRC32C") && e.contains("damaged"), "{e}");
        let index = dir.join("ckpt.index");
        let mut bytes = std::fs::read(&index).unwrap();
        bytes[3] ^= 1;
        std::fs::write(&index, &bytes).unwrap();
        let e = Bundle::open(&prefix).unwrap_err().to_string();
        assert!(e.contains("CRC32C"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

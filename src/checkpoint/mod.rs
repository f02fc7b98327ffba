//! Model directories: `manifest.json` + `tensors.safetensors` + `vocab/<column>.tsv`,
//! written atomically (a temporary sibling renamed into place) and validated on load
//! (format version, tensor names, shapes and dtypes, every size checked against the file).

pub mod formats;
mod inspect;
mod manifest;
pub(crate) mod vocab_file;

pub use inspect::{inspect, Inspection};

pub use manifest::{Manifest, TensorEntry, FORMAT_NAME, FORMAT_VERSION, OLDEST_READABLE_VERSION};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use safetensors::tensor::{Dtype, TensorView};

use crate::error::{Error, Result};
use crate::model::{Model, Seen};

const MANIFEST: &str = "manifest.json";
const TENSORS: &str = "tensors.safetensors";
const SEEN_INDPTR: &str = "seen/indptr";
const SEEN_INDICES: &str = "seen/indices";
/// The middle part of a sparse neighbour table's tensor names: `item/neighbours/indptr`.
const NEIGHBOURS: &str = "neighbours";

fn le_i64(data: &[u8]) -> Vec<u64> {
    data.chunks_exact(8)
        .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as u64)
        .collect()
}

fn le_u32(data: &[u8]) -> Vec<u32> {
    data.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn le_f32(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// `("item", "indptr")` for `item/neighbours/indptr`.
fn neighbours_part(name: &str) -> Option<(&str, &str)> {
    let (col, rest) = name.split_once('/')?;
    let part = rest.strip_prefix(NEIGHBOURS)?.strip_prefix('/')?;
    Some((col, part))
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Write `bytes` to `path` and flush them to disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// The writer's process id from a `.NAME.tmp-PID-NANOS` / `.NAME.old-PID-NANOS` sibling.
fn writer_pid(file_name: &str, name: &str, kind: &str) -> Option<(u32, u128)> {
    let rest = file_name.strip_prefix(&format!(".{name}.{kind}-"))?;
    let (pid, nanos) = rest.split_once('-')?;
    Some((pid.parse().ok()?, nanos.parse().ok()?))
}

/// True when the process that wrote a sibling is known to be gone. Where the system cannot
/// tell (no `/proc`), writers are presumed alive and nothing is touched.
pub(crate) fn writer_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists()
        && pid != std::process::id()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Finish what a save killed between its two renames left behind: when `dest` is missing and
/// a `.NAME.old-*` sibling from a dead writer holds a model, it is the previous model and is
/// renamed back. Temporary `.NAME.tmp-*` siblings of dead writers are removed. Returns true
/// when a model was restored. Safe to call at any time: a live writer's files are not touched.
pub fn recover_interrupted(dest: &Path) -> bool {
    let Some(name) = dest.file_name().map(|n| n.to_string_lossy().to_string()) else {
        return false;
    };
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = fs::read_dir(&parent) else {
        return false;
    };
    let mut olds: Vec<(u128, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().to_string();
        if let Some((pid, _)) = writer_pid(&f, &name, "tmp") {
            if writer_gone(pid) {
                let _ = fs::remove_dir_all(e.path());
            }
        } else if let Some((pid, nanos)) = writer_pid(&f, &name, "old") {
            if writer_gone(pid) {
                olds.push((nanos, e.path()));
            }
        }
    }
    olds.sort();
    let mut restored = false;
    if !dest.exists() {
        // a moved-aside directory is whole until the new one is in place (only then is it
        // removed, which may have been cut short): the newest with a manifest is restored
        if let Some(pos) = olds.iter().rposition(|(_, p)| p.join(MANIFEST).is_file()) {
            let (_, newest) = olds.remove(pos);
            restored = fs::rename(&newest, dest).is_ok();
        }
    }
    // with `dest` in place, what dead writers moved aside is superseded
    if dest.exists() {
        for (_, old) in olds {
            let _ = fs::remove_dir_all(old);
        }
    }
    restored
}

/// Write a directory atomically: `fill` populates a fresh temporary sibling of `dest`, which
/// is then renamed into place. If `dest` exists it must be a directory that `is_replaceable`
/// accepts; it is moved aside, the new one renamed in, and the old one removed. A crash
/// leaves either the old directory, or the new one, or (only between the two renames) the
/// old one under `.NAME.old-*` — never a half-written directory under `dest`.
pub fn atomic_dir_write(
    dest: &Path,
    is_replaceable: impl Fn(&Path) -> bool,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let name = dest
        .file_name()
        .ok_or_else(|| Error::checkpoint(dest, "not a valid directory name"))?
        .to_string_lossy()
        .to_string();
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    recover_interrupted(dest);
    if dest.exists() && !is_replaceable(dest) {
        return Err(Error::checkpoint(
            dest,
            "exists and is not a recsys model directory; refusing to replace it",
        ));
    }
    let stamp = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let tmp = parent.join(format!(".{name}.tmp-{stamp}"));
    fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dest.exists() {
        let old = parent.join(format!(".{name}.old-{stamp}"));
        fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
        fs::rename(&tmp, dest).map_err(|e| Error::io(dest, e))?;
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&tmp, dest).map_err(|e| Error::io(dest, e))?;
    }
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// True when `dir` holds a `manifest.json` of this format (any version) or is empty.
#[must_use]
pub fn is_model_dir_or_empty(dir: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    if dir.join(MANIFEST).is_file() {
        return true;
    }
    fs::read_dir(dir)
        .map(|mut r| r.next().is_none())
        .unwrap_or(false)
}

/// Save `model` as a model directory at `dir`, atomically.
pub fn save(model: &Model, dir: &Path) -> Result<()> {
    // The last line of defence: NaN or inf never reach a saved table.
    let bad = model
        .tables
        .iter()
        .filter(|(_, t)| t.iter().any(|x| !x.is_finite()))
        .map(|(n, _)| n.as_str())
        .chain(
            model
                .vectors
                .iter()
                .filter(|(_, v)| v.iter().any(|x| !x.is_finite()))
                .map(|(n, _)| n.as_str()),
        )
        .next();
    if let Some(name) = bad {
        return Err(Error::checkpoint(
            dir,
            format!(
                "tensor `{name}` holds NaN or inf; training diverged, nothing was saved \
                 (try a lower learning rate)"
            ),
        ));
    }
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, t) in &model.tables {
        let data: Vec<f32> = t.iter().copied().collect();
        tensors.push((
            name.clone(),
            Dtype::F32,
            t.shape().to_vec(),
            f32_bytes(&data),
        ));
    }
    for (name, v) in &model.vectors {
        let data: Vec<f32> = v.iter().copied().collect();
        tensors.push((name.clone(), Dtype::F32, vec![v.len()], f32_bytes(&data)));
    }
    if let Some(seen) = &model.seen {
        tensors.push((
            SEEN_INDPTR.into(),
            Dtype::I64,
            vec![seen.indptr.len()],
            seen.indptr
                .iter()
                .flat_map(|x| (*x as i64).to_le_bytes())
                .collect(),
        ));
        tensors.push((
            SEEN_INDICES.into(),
            Dtype::U32,
            vec![seen.indices.len()],
            seen.indices.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ));
    }
    for (col, nb) in &model.neighbours {
        tensors.push((
            format!("{col}/{NEIGHBOURS}/indptr"),
            Dtype::I64,
            vec![nb.indptr.len()],
            nb.indptr
                .iter()
                .flat_map(|x| (*x as i64).to_le_bytes())
                .collect(),
        ));
        tensors.push((
            format!("{col}/{NEIGHBOURS}/indices"),
            Dtype::U32,
            vec![nb.indices.len()],
            nb.indices.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ));
        tensors.push((
            format!("{col}/{NEIGHBOURS}/scores"),
            Dtype::F32,
            vec![nb.scores.len()],
            f32_bytes(&nb.scores),
        ));
    }
    let mut views = Vec::new();
    for (name, dtype, shape, bytes) in &tensors {
        let v = TensorView::new(*dtype, shape.clone(), bytes)
            .map_err(|e| Error::checkpoint(dir, format!("tensor {name}: {e}")))?;
        views.push((name.clone(), v));
    }
    let st = safetensors::serialize(views, None)
        .map_err(|e| Error::checkpoint(dir, format!("serialising tensors: {e}")))?;
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").into(),
        algo: model.algo.clone(),
        params: model.params.clone(),
        tensors: tensors
            .iter()
            .map(|(n, d, s, _)| TensorEntry {
                name: n.clone(),
                shape: s.clone(),
                dtype: format!("{d:?}"),
            })
            .collect(),
        vocabularies: model
            .vocabs
            .keys()
            .map(|c| (c.clone(), format!("vocab/{c}.tsv")))
            .collect(),
        epochs: model.epochs.clone(),
        info: model.info.clone(),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::checkpoint(dir, format!("manifest: {e}")))?;
    atomic_dir_write(dir, is_model_dir_or_empty, |tmp| {
        write_synced(&tmp.join(TENSORS), &st)?;
        let vdir = tmp.join("vocab");
        fs::create_dir(&vdir).map_err(|e| Error::io(&vdir, e))?;
        for (col, vocab) in &model.vocabs {
            let text = if col == "item" {
                vocab_file::write(vocab, Some((&model.item_counts, &model.item_info)))
            } else {
                vocab_file::write(vocab, None)
            };
            write_synced(&vdir.join(format!("{col}.tsv")), text.as_bytes())?;
        }
        // The manifest goes last, itself renamed into place: a directory whose manifest
        // exists is complete, one without it is never taken for a model.
        let part = tmp.join(format!("{MANIFEST}.part"));
        write_synced(&part, &manifest_json)?;
        fs::rename(&part, tmp.join(MANIFEST)).map_err(|e| Error::io(&part, e))
    })
}

/// Read and validate only the manifest of a model directory.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join(MANIFEST);
    if !dir.is_dir() && !recover_interrupted(dir) {
        return Err(Error::NotFound(format!(
            "model {}: no such model directory (train one with `recsys train DATA --model DIR`)",
            dir.display()
        )));
    }
    let text = fs::read(&p).map_err(|e| Error::checkpoint(&p, format!("cannot read: {e}")))?;
    let v: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| Error::checkpoint(&p, format!("not valid JSON: {e}")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
        return Err(Error::checkpoint(
            &p,
            format!("not a {FORMAT_NAME} manifest"),
        ));
    }
    match v.get("format_version").and_then(serde_json::Value::as_u64) {
        Some(x) if (u64::from(OLDEST_READABLE_VERSION)..=u64::from(FORMAT_VERSION)).contains(&x) => {}
        Some(x) if x > u64::from(FORMAT_VERSION) => {
            return Err(Error::checkpoint(
                &p,
                format!("format version {x} is newer than this recsys reads ({FORMAT_VERSION}); upgrade recsys"),
            ))
        }
        Some(x) => {
            return Err(Error::checkpoint(
                &p,
                format!("format version {x} is older than this recsys reads ({OLDEST_READABLE_VERSION}); retrain the model"),
            ))
        }
        None => return Err(Error::checkpoint(&p, "missing format_version")),
    }
    let mut m: Manifest = serde_json::from_value(v)
        .map_err(|e| Error::checkpoint(&p, format!("malformed manifest: {e}")))?;
    m.upgrade();
    Ok(m)
}

/// Load a model directory, validating everything against the manifest.
pub fn load(dir: &Path) -> Result<Model> {
    let manifest = read_manifest(dir)?;
    let tp = dir.join(TENSORS);
    let bytes = map_file(&tp)?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::checkpoint(&tp, format!("corrupt or truncated tensors file: {e}")))?;
    let mut model = Model {
        algo: manifest.algo.clone(),
        params: manifest.params.clone(),
        epochs: manifest.epochs.clone(),
        info: manifest.info.clone(),
        ..Default::default()
    };
    let mut indptr = None;
    let mut indices = None;
    for entry in &manifest.tensors {
        let t = st.tensor(&entry.name).map_err(|_| {
            Error::checkpoint(
                &tp,
                format!("tensor '{}' listed in the manifest is missing", entry.name),
            )
        })?;
        if t.shape() != entry.shape.as_slice() || format!("{:?}", t.dtype()) != entry.dtype {
            return Err(Error::checkpoint(
                &tp,
                format!(
                    "tensor '{}' is {:?} {:?}, the manifest says {} {:?}",
                    entry.name,
                    t.dtype(),
                    t.shape(),
                    entry.dtype,
                    entry.shape
                ),
            ));
        }
        let data = t.data();
        match (entry.name.as_str(), t.dtype(), t.shape()) {
            (SEEN_INDPTR, Dtype::I64, [_]) => indptr = Some(le_i64(data)),
            (SEEN_INDICES, Dtype::U32, [_]) => indices = Some(le_u32(data)),
            (name, dtype, [_]) if neighbours_part(name).is_some() => {
                let (col, part) = neighbours_part(name).unwrap_or_default();
                let nb = model.neighbours.entry(col.to_string()).or_default();
                match (part, dtype) {
                    ("indptr", Dtype::I64) => nb.indptr = le_i64(data),
                    ("indices", Dtype::U32) => nb.indices = le_u32(data),
                    ("scores", Dtype::F32) => nb.scores = le_f32(data),
                    _ => {
                        return Err(Error::checkpoint(
                            &tp,
                            format!("tensor '{name}' is not a neighbour table part of the right type (indptr I64, indices U32, scores F32)"),
                        ))
                    }
                }
            }
            (name, Dtype::F32, shape) => {
                let v = le_f32(data);
                match *shape {
                    [_] => {
                        model.vectors.insert(name.to_string(), Array1::from_vec(v));
                    }
                    [r, c] => {
                        let a = Array2::from_shape_vec((r, c), v)
                            .map_err(|e| Error::checkpoint(&tp, format!("tensor '{name}': {e}")))?;
                        model.tables.insert(name.to_string(), a);
                    }
                    _ => {
                        return Err(Error::checkpoint(
                            &tp,
                            format!("tensor '{name}' has unsupported rank {}", shape.len()),
                        ))
                    }
                }
            }
            (name, d, s) => {
                return Err(Error::checkpoint(
                    &tp,
                    format!("tensor '{name}' has unsupported type {d:?} {s:?}"),
                ))
            }
        }
    }
    for (col, rel) in &manifest.vocabularies {
        if rel.contains("..") || Path::new(rel).is_absolute() {
            return Err(Error::checkpoint(
                dir,
                format!("vocabulary path '{rel}' leaves the model directory"),
            ));
        }
        let p = dir.join(rel);
        let text = fs::read(&p).map_err(|e| Error::checkpoint(&p, format!("cannot read: {e}")))?;
        let text = String::from_utf8(text)
            .map_err(|_| Error::checkpoint(&p, "vocabulary file is not UTF-8"))?;
        let parsed = vocab_file::read(&text, &p)?;
        if col == "item" {
            model.item_counts = parsed.counts;
            model.item_info = parsed.info;
        }
        model.vocabs.insert(col.clone(), parsed.vocab);
    }
    if let (Some(indptr), Some(indices)) = (indptr, indices) {
        let ok = indptr.first() == Some(&0)
            && indptr.windows(2).all(|w| w[0] <= w[1])
            && indptr.last().copied() == Some(indices.len() as u64);
        if !ok {
            return Err(Error::checkpoint(
                &tp,
                "seen/indptr is inconsistent with seen/indices",
            ));
        }
        model.seen = Some(Seen { indptr, indices });
    }
    validate(&model, dir)?;
    Ok(model)
}

/// Cross-checks between tensors and vocabularies: a table `<col>/…` has one row per key of
/// vocabulary `<col>`; seen items index inside the item vocabulary.
fn validate(model: &Model, dir: &Path) -> Result<()> {
    for (name, t) in &model.tables {
        if let Some(v) = model.vocabs.get(Model::column_of(name)) {
            if t.nrows() != v.len() {
                return Err(Error::checkpoint(
                    dir,
                    format!(
                        "table '{name}' has {} rows but vocabulary has {} keys",
                        t.nrows(),
                        v.len()
                    ),
                ));
            }
        }
    }
    for (name, t) in &model.vectors {
        if let Some(v) = model.vocabs.get(Model::column_of(name)) {
            if t.len() != v.len() {
                return Err(Error::checkpoint(
                    dir,
                    format!(
                        "vector '{name}' has {} entries but vocabulary has {} keys",
                        t.len(),
                        v.len()
                    ),
                ));
            }
        }
    }
    for (col, nb) in &model.neighbours {
        let Some(v) = model.vocabs.get(col) else {
            return Err(Error::checkpoint(
                dir,
                format!("neighbour table '{col}' has no '{col}' vocabulary"),
            ));
        };
        if !nb.is_consistent(v.len()) {
            return Err(Error::checkpoint(
                dir,
                format!(
                    "neighbour table '{col}/{NEIGHBOURS}' is inconsistent: it needs {} row pointers \
                     starting at 0, never decreasing and ending at the number of entries, \
                     indices below {} other than the row itself, and finite scores",
                    v.len() + 1,
                    v.len()
                ),
            ));
        }
    }
    if let (Some(seen), Some(items)) = (&model.seen, model.vocabs.get("item")) {
        if seen.indices.iter().any(|&i| i as usize >= items.len()) {
            return Err(Error::checkpoint(
                dir,
                "seen items index outside the item vocabulary",
            ));
        }
    }
    Ok(())
}

/// The tensors file mapped into memory: the tables are copied out of the page cache once,
/// with no intermediate read buffer (a 1M × 100 table loads with one table's worth of memory).
fn map_file(path: &Path) -> Result<memmap2::Mmap> {
    let f =
        fs::File::open(path).map_err(|e| Error::checkpoint(path, format!("cannot read: {e}")))?;
    // SAFETY: a mapping is unsound if the file changes while mapped. recsys never modifies a
    // tensors file in place: model directories are written to a temporary sibling and
    // renamed into place (`atomic_dir_write`), so a file once opened keeps its contents (a
    // replaced file stays alive for existing mappings). The mapping lives only inside
    // `load`, which copies every tensor out before returning; the bytes are read through
    // safetensors' bounds-checked parser. Another program truncating the file in those
    // milliseconds is outside the contract (model directories are ours to write).
    unsafe { memmap2::Mmap::map(&f) }
        .map_err(|e| Error::checkpoint(path, format!("cannot map: {e}")))
}

/// Paths inside a model directory.
#[must_use]
pub fn manifest_path(dir: &Path) -> PathBuf {
    dir.join(MANIFEST)
}

/// The tensors file of a model directory.
#[must_use]
pub fn tensors_path(dir: &Path) -> PathBuf {
    dir.join(TENSORS)
}

/// Names of the tables in a model, for messages.
#[must_use]
pub fn table_names(model: &Model) -> Vec<String> {
    model.tables.keys().cloned().collect()
}

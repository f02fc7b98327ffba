//! Entry points for fuzzing every parser of untrusted input. Each takes arbitrary bytes and
//! must return — an `Err` is a fine outcome, a panic, an abort by allocation or a hang is a
//! bug. The cargo-fuzz targets in `fuzz/` and the regression tests over the saved corpus
//! (`tests/fuzz_regressions.rs`) call these same functions, so a case found once stays
//! tested. Parsers that read from a path get the bytes written into `scratch` first.

use std::path::Path;

use crate::checkpoint::formats;
use crate::data::reader::{decode_text, TextTable};
use crate::data::{Catalog, ReadOptions};
use crate::features::Schema;
use crate::vocab::Vocab;

const FUZZ_PATH: &str = "<fuzz>";

/// Interaction and catalog rows (CSV, TSV, `::`-separated `.dat`, header sniffed or not):
/// the table reader, the interactions builder with both bad-row policies, the catalog.
pub fn rows(bytes: &[u8]) {
    let path = Path::new(FUZZ_PATH);
    let text = decode_text(bytes.to_vec());
    for header in [None, Some(false)] {
        let Ok(t) = TextTable::from_text(path, text.clone(), None, header) else {
            continue;
        };
        for skip in [false, true] {
            let opts = ReadOptions {
                skip_bad_rows: skip,
                ..ReadOptions::default()
            };
            let _ = crate::data::interactions_from_table(&t, &opts, Vocab::new(), Vocab::new());
        }
        let _ = Catalog::from_table(&t);
    }
}

/// A schema file: TOML parsing and the consistency checks.
pub fn schema(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(s) = Schema::parse(text, Path::new(FUZZ_PATH)) {
        let _ = s.check();
        let _ = s.check_fields(&["user".into(), "item".into(), "rating".into()]);
    }
}

/// Embedding files: word2vec text and binary, GloVe text, and `.npy` (through `scratch`).
pub fn embeddings(bytes: &[u8], scratch: &Path) {
    let path = Path::new(FUZZ_PATH);
    let _ = formats::word2vec::parse(bytes, false, path);
    let _ = formats::word2vec::parse(bytes, true, path);
    let _ = formats::glove::parse(bytes, path);
    let npy = scratch.join("fuzz.npy");
    if std::fs::write(&npy, bytes).is_ok() {
        let _ = formats::npy::read(&npy);
        let _ = formats::npy::read_any(&npy);
        read_every_tensor(&npy);
    }
}

/// A Parquet file (through `scratch`): read as interactions, with both bad-row policies, and
/// as a whole table.
pub fn parquet(bytes: &[u8], scratch: &Path) {
    let p = scratch.join("fuzz.parquet");
    if std::fs::write(&p, bytes).is_ok() {
        for skip in [false, true] {
            let opts = ReadOptions {
                skip_bad_rows: skip,
                ..ReadOptions::default()
            };
            let _ = crate::data::read_interactions(&p, &opts, Vocab::new(), Vocab::new());
        }
        let _ = crate::data::TextTable::open(&p, None, None);
    }
}

/// Open `path` as a tensor file and read every tensor it lists.
fn read_every_tensor(path: &Path) {
    if let Ok(Some(src)) = formats::sources::open(path) {
        for t in src.tensors() {
            let _ = src.read(&t.name);
        }
    }
}

/// A TensorFlow checkpoint: `bytes` is the `.index` file, and also the data shard, so that
/// entries pointing into it are read and CRC-checked.
pub fn tf_checkpoint(bytes: &[u8], scratch: &Path) {
    let prefix = scratch.join("ckpt");
    let index = scratch.join("ckpt.index");
    let shard = scratch.join("ckpt.data-00000-of-00001");
    if std::fs::write(&index, bytes).is_ok() && std::fs::write(&shard, bytes).is_ok() {
        read_every_tensor(&prefix);
    }
}

/// A `torch.save` file (zip + pickle), and the same bytes as a bare pickle and as a
/// safetensors file.
pub fn torch(bytes: &[u8], scratch: &Path) {
    let _ = formats::pickle::load(bytes);
    let pt = scratch.join("fuzz.pt");
    if std::fs::write(&pt, bytes).is_ok() {
        read_every_tensor(&pt);
        let _ = formats::sources::SafetensorsFile::open(&pt).map(|f| {
            use formats::tensor::TensorSource;
            for t in f.tensors() {
                let _ = f.read(&t.name);
            }
        });
    }
}

/// A model directory with one file replaced by `bytes`: the first byte picks the file
/// (`manifest.json`, `tensors.safetensors`, a vocabulary, the ANN graph), the rest is its
/// content; `model` is a valid model directory copied into `scratch` first.
pub fn model_dir(bytes: &[u8], model: &Path, scratch: &Path) {
    let Some((&pick, content)) = bytes.split_first() else {
        return;
    };
    let dir = scratch.join("model");
    let _ = std::fs::remove_dir_all(&dir);
    if copy_dir(model, &dir).is_err() {
        return;
    }
    let target = match pick % 4 {
        0 => dir.join("manifest.json"),
        1 => dir.join("tensors.safetensors"),
        2 => dir.join("vocab").join("item.tsv"),
        _ => crate::similarity::ann_path(&dir, "item"),
    };
    if std::fs::write(&target, content).is_err() {
        return;
    }
    if pick % 4 == 3 {
        let _ = crate::ann::Hnsw::read(&target);
    }
    let _ = crate::similarity::Lookup::open(&dir);
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}

/// One HTTP request against the server's routes: the first byte picks the method and route
/// shape, the first line of the rest is the path and query, what follows is the body.
pub fn http(bytes: &[u8], app: &axum::Router, rt: &tokio::runtime::Runtime) {
    let Some((&pick, rest)) = bytes.split_first() else {
        return;
    };
    let (line, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return;
    };
    let routes = [
        "/similar?",
        "/recommend?",
        "/vectors",
        "/score",
        "/",
        "/healthz",
    ];
    let uri = format!("{}{line}", routes[pick as usize % routes.len()]);
    let method = if pick & 0x80 == 0 { "GET" } else { "POST" };
    let Ok(req) = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_vec()))
    else {
        return;
    };
    let mut app = app.clone();
    let _ = rt.block_on(tower_service::Service::call(&mut app, req));
}

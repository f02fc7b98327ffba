//! Replays every input the fuzzers found (`fuzz/regressions/<target>/`) and the seeds
//! (`fuzz/seeds/<target>/`) through the same entry points the cargo-fuzz targets call
//! (`recsys::fuzzing`): each must return without a panic or an abort by allocation.

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// The inputs the fuzzers found, each fixed and kept: `<target>/<file>` under `fuzz/regressions/`.
const FINDINGS: [&str; 2] = [
    "embeddings/oom-ef6a85bb5281b94817c967ee01373f9701725cde",
    // the parquet crate's `expect("Decoder for dict should have been set")` on a data page
    // claiming dictionary encoding without a dictionary page: caught by `parquet::guarded`
    "parquet/crash-c5f9f86b1a38695de60ad0f674b634e54aa34d46",
];

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for kind in ["regressions", "seeds"] {
        if let Ok(rd) = std::fs::read_dir(root.join(kind).join(target)) {
            out.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    out.sort();
    out
}

fn replay(target: &str, f: &mut dyn FnMut(&[u8])) -> usize {
    let files = inputs(target);
    for p in &files {
        eprintln!("{target}: {}", p.display());
        f(&std::fs::read(p).unwrap());
    }
    files.len()
}

#[test]
fn parsers_survive_every_saved_fuzz_input() {
    let dir = tempdir("fuzz-replay");
    let model = train_synthetic(&dir, 4);
    ok(&["index", "--model", model.to_str().unwrap(), "--quiet"]);
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut n = 0;
    n += replay("rows", &mut |b| recsys::fuzzing::rows(b));
    n += replay("schema", &mut |b| recsys::fuzzing::schema(b));
    n += replay("embeddings", &mut |b| {
        recsys::fuzzing::embeddings(b, &scratch)
    });
    n += replay("tf_checkpoint", &mut |b| {
        recsys::fuzzing::tf_checkpoint(b, &scratch)
    });
    n += replay("torch", &mut |b| recsys::fuzzing::torch(b, &scratch));
    n += replay("parquet", &mut |b| recsys::fuzzing::parquet(b, &scratch));
    n += replay("model_dir", &mut |b| {
        recsys::fuzzing::model_dir(b, &model, &scratch)
    });
    let cfg = recsys::serve::ServeConfig {
        reload_every: None,
        ..Default::default()
    };
    let shared = recsys::serve::Shared::open(&model, cfg).unwrap();
    let app = recsys::serve::router(std::sync::Arc::new(shared));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    n += replay("http", &mut |b| recsys::fuzzing::http(b, &app, &rt));
    assert!(
        n > FINDINGS.len(),
        "the seeds under fuzz/seeds/ were not found"
    );
    // every saved finding is replayed by name, and no finding sits there unlisted
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for f in FINDINGS {
        assert!(root.join(f).is_file(), "saved fuzz finding {f} is missing");
    }
    let mut found: Vec<String> = Vec::new();
    for target in [
        "rows",
        "schema",
        "embeddings",
        "tf_checkpoint",
        "torch",
        "parquet",
        "model_dir",
        "http",
    ] {
        if let Ok(rd) = std::fs::read_dir(root.join(target)) {
            found.extend(
                rd.flatten()
                    .map(|e| format!("{target}/{}", e.file_name().to_string_lossy())),
            );
        }
        // each target replays at least one seed
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds")
            .join(target);
        assert!(
            std::fs::read_dir(&seeds).map(|d| d.count()).unwrap_or(0) >= 1,
            "no seeds for {target} under {}",
            seeds.display()
        );
    }
    found.sort();
    assert_eq!(found, FINDINGS, "list each new finding in FINDINGS");
    // the first finding: a word2vec header of 0 rows × 709,551,615 dimensions made the binary
    // reader allocate 2.8 GB for one row; now it is refused by the dimension cap
    let e = recsys::checkpoint::formats::word2vec::parse(b"0 709551615\r", true, Path::new("x"))
        .unwrap_err();
    assert!(e.to_string().contains("dimensions"), "{e}");
}

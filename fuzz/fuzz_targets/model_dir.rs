//! A model directory with one file (manifest, safetensors, vocabulary, ANN graph) fuzzed.
//! The valid model it starts from is `RECSYS_FUZZ_MODEL` (fuzz/run.sh trains it).
#![no_main]
use std::path::PathBuf;
use std::sync::OnceLock;

fn dirs() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let model = std::env::var("RECSYS_FUZZ_MODEL").expect("set RECSYS_FUZZ_MODEL (fuzz/run.sh)");
        let d = std::env::temp_dir().join(format!("recsys-fuzz-dir-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        (PathBuf::from(model), d)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (model, scratch) = dirs();
    recsys::fuzzing::model_dir(data, model, scratch);
});

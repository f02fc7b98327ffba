//! The Parquet reader (see `recsys::fuzzing::parquet`).
#![no_main]
use std::sync::OnceLock;

fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("recsys-fuzz-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| recsys::fuzzing::parquet(data, scratch()));

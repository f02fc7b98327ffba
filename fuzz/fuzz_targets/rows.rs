//! Interaction and catalog rows (CSV, TSV, `.dat`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| recsys::fuzzing::rows(data));

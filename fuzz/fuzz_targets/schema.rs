//! Schema TOML.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| recsys::fuzzing::schema(data));

//! HTTP requests (query strings, JSON bodies) against the server's routes over a real model
//! (`RECSYS_FUZZ_MODEL`, trained by fuzz/run.sh).
#![no_main]
use std::sync::OnceLock;

fn app() -> &'static (axum::Router, tokio::runtime::Runtime) {
    static APP: OnceLock<(axum::Router, tokio::runtime::Runtime)> = OnceLock::new();
    APP.get_or_init(|| {
        let model = std::env::var("RECSYS_FUZZ_MODEL").expect("set RECSYS_FUZZ_MODEL (fuzz/run.sh)");
        let cfg = recsys::serve::ServeConfig {
            reload_every: None,
            ..Default::default()
        };
        let shared = recsys::serve::Shared::open(model.as_ref(), cfg).expect("a valid model");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        (recsys::serve::router(std::sync::Arc::new(shared)), rt)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (router, rt) = app();
    recsys::fuzzing::http(data, router, rt);
});

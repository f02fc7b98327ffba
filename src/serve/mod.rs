//! `recsys serve`: HTTP/JSON look-ups over a model directory (axum on tokio).
//!
//! Routes: `GET /similar?item=K|movie=TITLE|user=K|word=W[&k=10]` (`&ann=1[&ef=64]`: item
//! neighbours from the HNSW graph saved beside the model by `recsys index`),
//! `GET /recommend?user=K[&k=10][&exclude=a,b]`, `POST /recommend {"items"[,"k","exclude"]}`
//! (a user the model has not seen, folded in), `POST /vectors {"column","keys"}`,
//! `POST /score {"user","items"}`, `GET /healthz`, `GET /metrics` (Prometheus text).
//! Limits: `k` and batch sizes are capped, bodies are size-limited, every request has a
//! deadline. The model directory is watched: a newly written model (its `manifest.json`
//! changes) is loaded in the background and swapped in; requests in flight finish on the model
//! they started with, and a model that fails to load leaves the previous one serving.
//! SIGTERM or Ctrl-C stops accepting connections and lets open requests finish.

mod config;
pub mod metrics;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::similarity::Lookup;
pub use config::{ServeConfig, ServeFlags};
pub use metrics::Metrics;

/// What every handler shares: the current model and the counters.
#[derive(Debug)]
pub struct Shared {
    dir: PathBuf,
    lookup: RwLock<Arc<Lookup>>,
    stamp: RwLock<Option<SystemTime>>,
    started: Instant,
    /// Request and reload counters.
    pub metrics: Metrics,
    cfg: ServeConfig,
}

fn manifest_stamp(dir: &Path) -> Option<SystemTime> {
    std::fs::metadata(crate::checkpoint::manifest_path(dir))
        .and_then(|m| m.modified())
        .ok()
}

impl Shared {
    /// Load the model in `dir`.
    pub fn open(dir: &Path, cfg: ServeConfig) -> Result<Shared> {
        let stamp = manifest_stamp(dir);
        let lookup = Lookup::open(dir)?;
        Ok(Shared {
            dir: dir.to_path_buf(),
            lookup: RwLock::new(Arc::new(lookup)),
            stamp: RwLock::new(stamp),
            started: Instant::now(),
            metrics: Metrics::default(),
            cfg,
        })
    }

    /// The model serving now (requests keep the one they started with).
    #[must_use]
    pub fn current(&self) -> Arc<Lookup> {
        match self.lookup.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Load the model directory again if its manifest changed; true when a new model was
    /// swapped in. A model that fails to load is counted and the old one kept.
    pub fn reload_if_changed(&self) -> bool {
        let now = manifest_stamp(&self.dir);
        let before = self.stamp.read().map(|s| *s).unwrap_or(None);
        if now.is_none() || now == before {
            return false;
        }
        match Lookup::open(&self.dir) {
            Ok(l) => {
                if let Ok(mut g) = self.lookup.write() {
                    *g = Arc::new(l);
                }
                if let Ok(mut s) = self.stamp.write() {
                    *s = now;
                }
                self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                // keep serving the previous model; try again when the manifest changes again
                if let Ok(mut s) = self.stamp.write() {
                    *s = now;
                }
                self.metrics.reload_failures.fetch_add(1, Ordering::Relaxed);
                eprintln!("recsys serve: reload of {} failed: {e}", self.dir.display());
                false
            }
        }
    }
}

type AppState = Arc<Shared>;

/// An error answer: a status and a message, sent as `{"error": message}`.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn error_response(status: StatusCode, msg: impl Into<String>) -> Response {
    ApiError(status, msg.into()).into_response()
}

fn api_error(status: StatusCode, msg: impl Into<String>) -> ApiError {
    ApiError(status, msg.into())
}

fn from_error(e: &Error) -> ApiError {
    let status = match e {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Param(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError(status, e.to_string())
}

/// Run `f` on the model off the async workers.
async fn with_model(
    s: &AppState,
    f: impl FnOnce(&Lookup) -> std::result::Result<Value, ApiError> + Send + 'static,
) -> Response {
    let lookup = s.current();
    match tokio::task::spawn_blocking(move || f(&lookup)).await {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(r)) => r.into_response(),
        Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, "look-up failed"),
    }
}

fn param_k(q: &HashMap<String, String>, cfg: &ServeConfig) -> std::result::Result<usize, ApiError> {
    match q.get("k") {
        None => Ok(10),
        Some(v) => match v.parse::<usize>() {
            Ok(k) if (1..=cfg.max_k).contains(&k) => Ok(k),
            _ => Err(api_error(
                StatusCode::BAD_REQUEST,
                format!("k must be an integer in 1..={}, not '{v}'", cfg.max_k),
            )),
        },
    }
}

fn check_len(v: &str, what: &str, cfg: &ServeConfig) -> std::result::Result<(), ApiError> {
    if v.len() > cfg.max_key {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            format!("{what} is longer than {} bytes", cfg.max_key),
        ));
    }
    Ok(())
}

async fn similar(State(s): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let k = match param_k(&q, &s.cfg) {
        Ok(k) => k,
        Err(r) => return r.into_response(),
    };
    let given: Vec<(&str, &String)> = ["item", "movie", "user", "word"]
        .into_iter()
        .filter_map(|n| q.get(n).map(|v| (n, v)))
        .collect();
    let [(kind, value)] = given[..] else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "give exactly one of item=, movie=, user=, word=",
        );
    };
    if let Err(r) = check_len(value, kind, &s.cfg) {
        return r.into_response();
    }
    // `ann=1` (optionally `ef=N`) answers item queries from the HNSW graph
    let ann = match (q.get("ann").map(String::as_str), q.get("ef")) {
        (None | Some("0" | "false"), _) => None,
        (Some(_), None) => Some(64),
        (Some(_), Some(e)) => match e.parse::<usize>() {
            Ok(ef) if (1..=10 * s.cfg.max_k).contains(&ef) => Some(ef),
            _ => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    format!("ef must be an integer in 1..={}", 10 * s.cfg.max_k),
                )
            }
        },
    };
    let (kind, value) = (kind.to_string(), value.clone());
    with_model(&s, move |l| {
        let (query, hits) = match kind.as_str() {
            "item" if ann.is_some() => (
                json!({ "item": value, "ann": true }),
                l.similar_items_approx(&value, k, ann.unwrap_or(64)),
            ),
            "item" => (json!({ "item": value }), l.similar_items(&value, k)),
            "user" => (json!({ "user": value }), l.similar_users(&value, k)),
            "word" => (json!({ "word": value }), l.similar_words(&value, k)),
            _ => {
                let (key, m) = l.find_title(&value).map_err(|e| from_error(&e))?;
                let title = l.title(m.index).unwrap_or(&key).to_string();
                (
                    json!({ "movie": value, "key": key, "title": title }),
                    l.similar_items(&key, k),
                )
            }
        };
        let hits = hits.map_err(|e| from_error(&e))?;
        Ok(json!({ "query": query, "results": hits }))
    })
    .await
}

async fn recommend(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let k = match param_k(&q, &s.cfg) {
        Ok(k) => k,
        Err(r) => return r.into_response(),
    };
    let Some(user) = q.get("user").cloned() else {
        return error_response(StatusCode::BAD_REQUEST, "give user=");
    };
    if let Err(r) = check_len(&user, "user", &s.cfg) {
        return r.into_response();
    }
    let exclude: Vec<String> = q
        .get("exclude")
        .map(|e| {
            e.split(',')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if exclude.len() > s.cfg.max_batch {
        return error_response(
            StatusCode::BAD_REQUEST,
            format!("at most {} excluded items", s.cfg.max_batch),
        );
    }
    with_model(&s, move |l| {
        let hits = l
            .recommend(&user, k, &exclude)
            .map_err(|e| from_error(&e))?;
        Ok(json!({ "query": { "user": user }, "results": hits }))
    })
    .await
}

/// A JSON body (or the extractor's own status and message), holding at most
/// `max_batch` `what` as counted by `count`.
fn batch_body<T>(
    body: std::result::Result<Json<T>, axum::extract::rejection::JsonRejection>,
    count: impl Fn(&T) -> usize,
    cfg: &ServeConfig,
    what: &str,
) -> std::result::Result<T, ApiError> {
    let Json(b) = body.map_err(|e| ApiError(e.status(), e.body_text()))?;
    if count(&b) > cfg.max_batch {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            format!("at most {} {what} per request", cfg.max_batch),
        ));
    }
    Ok(b)
}

/// Body of `POST /vectors`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorsBody {
    /// `item` (default), `user` or `word`.
    #[serde(default = "item_column")]
    column: String,
    keys: Vec<String>,
}

fn item_column() -> String {
    "item".into()
}

async fn vectors(
    State(s): State<AppState>,
    body: std::result::Result<Json<VectorsBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match batch_body(body, |b: &VectorsBody| b.keys.len(), &s.cfg, "keys") {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    with_model(&s, move |l| {
        let results: Vec<Value> = b
            .keys
            .iter()
            .map(|k| match l.vector(&b.column, k) {
                Ok(v) => json!({ "key": k, "vector": v }),
                Err(_) => json!({ "key": k, "vector": null }),
            })
            .collect();
        Ok(json!({ "column": b.column, "results": results }))
    })
    .await
}

/// Body of `POST /score`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreBody {
    user: String,
    items: Vec<String>,
}

async fn score(
    State(s): State<AppState>,
    body: std::result::Result<Json<ScoreBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match batch_body(body, |b: &ScoreBody| b.items.len(), &s.cfg, "items") {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    with_model(&s, move |l| {
        let scores = l
            .score_items(&b.user, &b.items)
            .map_err(|e| from_error(&e))?;
        let results: Vec<Value> = b
            .items
            .iter()
            .zip(scores)
            .map(|(k, s)| json!({ "key": k, "score": s }))
            .collect();
        Ok(json!({ "user": b.user, "results": results }))
    })
    .await
}

/// Body of `POST /recommend`: a user the model has not seen, by the items they interacted
/// with (fold-in).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FoldInBody {
    items: Vec<String>,
    #[serde(default = "default_k")]
    k: usize,
    #[serde(default)]
    exclude: Vec<String>,
}

fn default_k() -> usize {
    10
}

async fn recommend_for_items(
    State(s): State<AppState>,
    body: std::result::Result<Json<FoldInBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match batch_body(
        body,
        |b: &FoldInBody| b.items.len().max(b.exclude.len()),
        &s.cfg,
        "items",
    ) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if b.k == 0 || b.k > s.cfg.max_k {
        return error_response(
            StatusCode::BAD_REQUEST,
            format!("k must be in 1..={}", s.cfg.max_k),
        );
    }
    with_model(&s, move |l| {
        let hits = l
            .recommend_for_items(&b.items, b.k, &b.exclude)
            .map_err(|e| from_error(&e))?;
        Ok(json!({ "query": { "items": b.items }, "results": hits }))
    })
    .await
}

async fn healthz(State(s): State<AppState>) -> Response {
    let l = s.current();
    Json(json!({
        "status": "ok",
        "model": s.dir.display().to_string(),
        "algo": l.model().algo,
        "uptime_s": s.started.elapsed().as_secs_f64(),
        "reloads": s.metrics.reloads.load(Ordering::Relaxed),
    }))
    .into_response()
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

/// Count, time and bound every request.
async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = match req.uri().path() {
        p @ ("/similar" | "/recommend" | "/vectors" | "/score" | "/healthz" | "/metrics") => p,
        _ => "other",
    }
    .to_string();
    let t0 = Instant::now();
    // a body announced over the limit is refused before a byte of it is read
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u128>().ok());
    if announced.is_some_and(|n| n > s.cfg.max_body as u128) {
        let resp = error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over {} bytes", s.cfg.max_body),
        );
        s.metrics
            .observe(&route, resp.status().as_u16(), t0.elapsed());
        return resp;
    }
    let resp = match tokio::time::timeout(s.cfg.timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error_response(StatusCode::SERVICE_UNAVAILABLE, "request timed out"),
    };
    s.metrics
        .observe(&route, resp.status().as_u16(), t0.elapsed());
    resp
}

/// The routes over a shared model.
pub fn router(state: AppState) -> Router {
    let limit = state.cfg.max_body;
    Router::new()
        .route("/similar", get(similar))
        .route("/recommend", get(recommend).post(recommend_for_items))
        .route("/vectors", post(vectors))
        .route("/score", post(score))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), track))
        .with_state(state)
}

/// A server running on its own thread (for tests and embedding); dropped or
/// [`ServerHandle::shutdown`] stops it gracefully.
#[derive(Debug)]
pub struct ServerHandle {
    /// The bound address (port 0 in the request gets a free port).
    pub addr: SocketAddr,
    /// The shared state (metrics, current model).
    pub shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stop accepting, finish open requests, join the server thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        b.worker_threads(threads);
    }
    b.enable_all()
        .build()
        .map_err(|e| Error::Param(format!("cannot start the server runtime: {e}")))
}

async fn serve_until(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Some(every) = shared.cfg.reload_every {
        let s = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let s2 = Arc::clone(&s);
                let _ = tokio::task::spawn_blocking(move || s2.reload_if_changed()).await;
            }
        });
    }
    accept_loop(shared, listener, stop).await;
    Ok(())
}

/// Accept connections until `stop`, then let open requests finish (each within its deadline).
/// Every connection holds a permit of `max_connections`; its headers must arrive within
/// `header_timeout`, and it is closed after `idle_timeout` without a request. Accept errors
/// (e.g. out of file descriptors) pause the loop briefly instead of ending it.
async fn accept_loop(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let app = router(Arc::clone(&shared));
    let permits = Arc::new(tokio::sync::Semaphore::new(
        shared.cfg.max_connections.max(1),
    ));
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        while conns.try_join_next().is_some() {}
        let stream = tokio::select! {
            () = &mut stop => break,
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            shared
                .metrics
                .refused_connections
                .fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        shared.metrics.connections.fetch_add(1, Ordering::Relaxed);
        shared
            .metrics
            .open_connections
            .fetch_add(1, Ordering::Relaxed);
        let app = app.clone();
        let s = Arc::clone(&shared);
        let mut closing = closing_rx.clone();
        conns.spawn(async move {
            let last = Arc::new(std::sync::Mutex::new(Instant::now()));
            let seen = Arc::clone(&last);
            let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                if let Ok(mut t) = seen.lock() {
                    *t = Instant::now();
                }
                let mut app = app.clone();
                async move { tower_service::Service::call(&mut app, req).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(s.cfg.header_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            let idle = s.cfg.idle_timeout.max(s.cfg.timeout);
            let mut idle_closing = false;
            let mut tick = tokio::time::interval(idle.min(Duration::from_secs(1)).max(Duration::from_millis(10)));
            loop {
                tokio::select! {
                    _ = conn.as_mut() => break,
                    _ = closing.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(s.cfg.timeout + Duration::from_secs(1), conn.as_mut()).await;
                        break;
                    }
                    _ = tick.tick(), if !idle_closing => {
                        let quiet = last.lock().map(|t| t.elapsed()).unwrap_or_default();
                        if quiet >= idle {
                            idle_closing = true;
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            s.metrics.open_connections.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    let _ = closing_tx.send(true);
    while conns.join_next().await.is_some() {}
}

/// Start a server for the model in `dir` on `addr` on a background thread.
pub fn spawn(dir: &Path, addr: SocketAddr, cfg: ServeConfig) -> Result<ServerHandle> {
    let shared = Arc::new(Shared::open(dir, cfg)?);
    let rt = runtime(0)?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| Error::Param(format!("cannot listen on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Param(format!("cannot listen on {addr}: {e}")))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let s = Arc::clone(&shared);
    let thread = std::thread::spawn(move || {
        let _ = rt.block_on(serve_until(s, listener, async move {
            let _ = rx.await;
        }));
    });
    Ok(ServerHandle {
        addr,
        shared,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// Serve the model in `dir` on `addr` until SIGTERM or Ctrl-C; `ready` is called with the
/// bound address once the server listens.
pub fn run(
    dir: &Path,
    addr: SocketAddr,
    cfg: ServeConfig,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let shared = Arc::new(Shared::open(dir, cfg)?);
    let rt = runtime(0)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Param(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::Param(format!("cannot listen on {addr}: {e}")))?;
        ready(bound);
        serve_until(shared, listener, shutdown_signal())
            .await
            .map_err(|e| Error::Param(format!("server error: {e}")))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

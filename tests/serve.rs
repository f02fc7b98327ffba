//! The HTTP server on loopback: every route, limits and errors, hot reload under load without
//! dropped requests, and a graceful stop of the real binary on SIGTERM.

mod common;
use common::*;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use recsys::serve::{self, ServeConfig};

/// One HTTP/1.1 request on a fresh connection: (status, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    http_raw(addr, req.as_bytes())
}

fn get_json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let (s, b) = http(addr, "GET", path, None);
    (
        s,
        serde_json::from_str(&b).unwrap_or(serde_json::Value::Null),
    )
}

fn train(model: &Path, algo: &str) {
    ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--algo",
        algo,
        "--model",
        model.to_str().unwrap(),
        "--quiet",
    ]);
}

#[test]
fn routes_limits_and_errors() {
    let dir = tempdir("serve-routes");
    let model = dir.join("m");
    train(&model, "als");
    let cfg = ServeConfig {
        max_k: 50,
        max_batch: 3,
        max_body: 2000,
        reload_every: None,
        ..Default::default()
    };
    let srv = serve::spawn(&model, "127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let a = srv.addr;
    let (s, v) = get_json(a, "/similar?movie=silent%20river&k=3");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["query"]["title"], "Silent River (1992)");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert!(r[0]["title"].as_str().unwrap().starts_with("Silent River"));
    let (s, v) = get_json(a, "/similar?item=1");
    assert_eq!((s, v["results"].as_array().unwrap().len()), (200, 10));
    let (s, v) = get_json(a, "/similar?user=1&k=2");
    assert_eq!((s, v["results"].as_array().unwrap().len()), (200, 2));
    // recommend excludes seen items and the exclusion list
    let (s, v) = get_json(a, "/recommend?user=1&k=5");
    assert_eq!(s, 200);
    let first = v["results"][0]["key"].as_str().unwrap().to_string();
    let first_score = v["results"][0]["score"].as_f64().unwrap();
    let (_, v2) = get_json(a, &format!("/recommend?user=1&k=5&exclude={first}"));
    assert!(v2["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["key"] != first.as_str()));
    // score: the recommend score, for given candidates, in request order
    let (s, b) = http(
        a,
        "POST",
        "/score",
        Some(&format!(r#"{{"user":"1","items":["{first}","nope"]}}"#)),
    );
    assert_eq!(s, 200, "{b}");
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    let got = v["results"][0]["score"].as_f64().unwrap();
    assert!((got - first_score).abs() < 1e-5, "{got} vs {first_score}");
    assert!(v["results"][1]["score"].is_null());
    // a user the model has not seen, by their items (fold-in): the same answer as the library
    let (s, b) = http(
        a,
        "POST",
        "/recommend",
        Some(r#"{"items":["1","2","nope"],"k":4,"exclude":["3"]}"#),
    );
    assert_eq!(s, 200, "{b}");
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    let got: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap())
        .collect();
    let lib = recsys::similarity::Lookup::open(&model).unwrap();
    let want: Vec<String> = lib
        .recommend_for_items(&["1".into(), "2".into(), "nope".into()], 4, &["3".into()])
        .unwrap()
        .into_iter()
        .map(|h| h.key)
        .collect();
    assert_eq!(got, want);
    assert!(got.iter().all(|k| !["1", "2", "3"].contains(k)));
    assert_eq!(
        http(a, "POST", "/recommend", Some(r#"{"items":["nope"]}"#)).0,
        404
    );
    assert_eq!(
        http(a, "POST", "/recommend", Some(r#"{"items":["1"],"k":0}"#)).0,
        400
    );
    let (s, b) = http(a, "POST", "/vectors", Some(r#"{"keys":["1","nope"]}"#));
    assert_eq!(s, 200, "{b}");
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["results"][0]["vector"].as_array().unwrap().len(), 64);
    assert!(v["results"][1]["vector"].is_null());
    // errors: status and a JSON message
    for (path, status) in [
        ("/similar?item=1&k=51", 400),
        ("/similar?item=1&k=0", 400),
        ("/similar?item=1&k=x", 400),
        ("/similar?item=1&user=2", 400),
        ("/similar", 400),
        ("/similar?item=nope", 404),
        ("/similar?movie=zzzzqqq", 404),
        ("/recommend", 400),
        ("/recommend?user=nope", 404),
        ("/nowhere", 404),
    ] {
        let (s, v) = get_json(a, path);
        assert_eq!(s, status, "{path}: {v}");
        assert!(v["error"].is_string(), "{path}: {v}");
    }
    let long = "x".repeat(5000);
    assert_eq!(get_json(a, &format!("/similar?item={long}")).0, 400);
    let (s, _) = http(a, "POST", "/vectors", Some(r#"{"keys":["1","2","3","4"]}"#));
    assert_eq!(s, 400, "batch limit");
    let (s, _) = http(a, "POST", "/vectors", Some("{not json"));
    assert!(s == 400 || s == 422, "{s}");
    let big = format!(r#"{{"keys":["{}"]}}"#, "y".repeat(3000));
    assert_eq!(http(a, "POST", "/vectors", Some(&big)).0, 413);
    // metrics count what happened
    let (s, text) = http(a, "GET", "/metrics", None);
    assert_eq!(s, 200);
    assert!(
        text.contains("recsys_requests_total{route=\"/similar\",status=\"200\"} 3"),
        "{text}"
    );
    assert!(text.contains("recsys_request_seconds_bucket{route=\"/similar\",le=\"+Inf\"}"));
    assert_eq!(srv.shared.metrics.count("/similar", 404), 2);
    srv.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hot_reload_under_load_drops_nothing() {
    let dir = tempdir("serve-reload");
    let model = dir.join("m");
    train(&model, "als");
    let cfg = ServeConfig {
        reload_every: Some(Duration::from_millis(50)),
        ..Default::default()
    };
    let srv = serve::spawn(&model, "127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let a = srv.addr;
    assert_eq!(get_json(a, "/healthz").1["algo"], "als");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    statuses.push(get_json(a, "/similar?item=1&k=5").0);
                }
                statuses
            })
        })
        .collect();
    // a new model (another algorithm) written over the directory, twice, and a broken one
    train(&model, "bpr");
    let t0 = Instant::now();
    while get_json(a, "/healthz").1["algo"] != "bpr" && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get_json(a, "/healthz").1["algo"], "bpr");
    train(&model, "mf");
    let t0 = Instant::now();
    while get_json(a, "/healthz").1["algo"] != "mf" && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get_json(a, "/healthz").1["algo"], "mf");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses: Vec<u16> = load.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(statuses.len() > 20, "{} requests", statuses.len());
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    // a corrupt model keeps the old one serving and counts a failure
    let manifest = model.join("manifest.json");
    let failures = || {
        srv.shared
            .metrics
            .reload_failures
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let before = failures();
    std::fs::write(&manifest, "{broken").unwrap();
    // a write within the file system's timestamp granularity could keep the old mtime, and
    // the watcher would never look: give the broken manifest a stamp of its own
    std::fs::File::options()
        .write(true)
        .open(&manifest)
        .unwrap()
        .set_modified(std::time::SystemTime::now() + Duration::from_secs(30))
        .unwrap();
    let t0 = Instant::now();
    while failures() == before && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        failures() > before,
        "the corrupt model was never tried (reload failures stayed at {before})"
    );
    let (s, v) = get_json(a, "/healthz");
    assert_eq!((s, v["algo"].as_str()), (200, Some("mf")));
    assert_eq!(get_json(a, "/similar?item=1").0, 200);
    srv.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_binary_serves_and_stops_on_sigterm() {
    let dir = tempdir("serve-bin");
    let model = dir.join("m");
    train(&model, "als");
    // the approximate index, saved beside the model and used by `ann=1`
    let v = json(&ok(&[
        "index",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert!(v["recall@10"].as_f64().unwrap() > 0.9, "{v}");
    assert!(v["relinked"].as_u64().is_some(), "{v}");
    assert!(model.join("item.hnsw").is_file());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recsys"))
        .args([
            "serve",
            "--model",
            model.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = v["listening"].as_str().unwrap();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let (s, exact) = get_json(addr, "/similar?item=1&k=5");
    assert_eq!(s, 200);
    let (s, approx) = get_json(addr, "/similar?item=1&k=5&ann=1&ef=100");
    assert_eq!(s, 200, "{approx}");
    assert_eq!(approx["query"]["ann"], true);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["key"].as_str().unwrap().to_string())
            .collect()
    };
    let (e, a) = (keys(&exact), keys(&approx));
    assert_eq!(a.len(), 5);
    assert!(
        a.iter().filter(|k| e.contains(k)).count() >= 4,
        "{e:?} vs {a:?}"
    );
    assert!(
        !a.contains(&"1".to_string()),
        "the query is not its own neighbour"
    );
    assert_eq!(get_json(addr, "/similar?item=1&ann=1&ef=0").0, 400);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let e = fails(&["serve", "--model", dir.join("none").to_str().unwrap()]);
    assert!(e.contains("none"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

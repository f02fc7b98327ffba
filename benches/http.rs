//! `recsys serve` under load on loopback (issue 8): an ALS model of MovieLens 100K served by
//! `serve::spawn`, and 1, 16 and 64 client threads, each on its own keep-alive HTTP/1.1
//! connection, asking `GET /similar?item=…&k=10` for random items for a fixed time; during the
//! 16-connection run the model directory is rewritten (a hot reload). Then `/recommend` at 16.
//! Reports requests/s, latency percentiles, non-200 answers, reloads, and the process's
//! resident memory before and after. The clients share the 2 cores with the server, as a load
//! generator on the same machine does. Also the wall time of `recsys similar` as a command.
//!
//! ```text
//! cargo bench --bench http            # RECSYS_HTTP_SECONDS per run (default 30)
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use recsys::models::als::Als;
use recsys::models::{TrainContext, Trainer};
use recsys::serve::{self, ServeConfig};

/// One keep-alive connection: send a GET, read the status line, headers and body.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Conn {
            r: BufReader::new(s.try_clone().expect("clone")),
            w: s,
        }
    }

    fn get(&mut self, path: &str) -> u16 {
        let req = format!("GET {path} HTTP/1.1\r\nHost: b\r\n\r\n");
        self.w.write_all(req.as_bytes()).expect("send");
        let mut line = String::new();
        self.r.read_line(&mut line).expect("status");
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l
                .to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
            {
                len = v.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        self.r.read_exact(&mut body).expect("body");
        status
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let secs: u64 = std::env::var("RECSYS_HTTP_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var("RECSYS_DATASETS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/datasets"))
        .join("movielens-100k/u.item");
    let work = root.join("target/bench-http");
    let _ = std::fs::remove_dir_all(&work);
    let ds = recsys::data::load_dataset(&data, &Default::default()).expect("ml-100k");
    let model = Als::default()
        .fit(
            &ds.interactions,
            ds.catalog.as_ref(),
            &TrainContext::default(),
        )
        .expect("als");
    let users: Vec<String> = model.vocab("user").expect("users").keys().to_vec();
    let items: Vec<String> = model.vocab("item").expect("items").keys().to_vec();
    recsys::checkpoint::save(&model, &work).expect("save");
    let cfg = ServeConfig {
        reload_every: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let rss = || -> String {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .map(|l| l[6..].trim().to_string())
            })
            .unwrap_or_else(|| "?".into())
    };
    let rss_before = rss();
    let srv = serve::spawn(&work, "127.0.0.1:0".parse().expect("addr"), cfg).expect("serve");
    let addr = srv.addr;
    println!(
        "| route | clients | seconds | requests | requests/s | p50 | p90 | p99 | max | non-200 | RSS after |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (route, clients) in [
        ("similar", 1),
        ("similar", 16),
        ("similar", 64),
        ("recommend", 16),
    ] {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let reloader = (route == "similar" && clients == 16).then(|| {
            let (m, w) = (model.clone(), work.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(secs / 3));
                recsys::checkpoint::save(&m, &w).expect("rewrite the model");
            })
        });
        let t0 = Instant::now();
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                let (users, items) = (users.clone(), items.clone());
                std::thread::spawn(move || {
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(c as u64);
                    let mut conn = Conn::open(addr);
                    let mut lat = Vec::new();
                    let mut bad = 0u64;
                    while Instant::now() < deadline {
                        let path = if route == "similar" {
                            format!(
                                "/similar?item={}&k=10",
                                items[rng.random_range(0..items.len())]
                            )
                        } else {
                            format!(
                                "/recommend?user={}&k=10",
                                users[rng.random_range(0..users.len())]
                            )
                        };
                        let t = Instant::now();
                        if conn.get(&path) != 200 {
                            bad += 1;
                        }
                        lat.push(t.elapsed().as_secs_f64());
                    }
                    (lat, bad)
                })
            })
            .collect();
        let mut lat = Vec::new();
        let mut bad = 0;
        for t in threads {
            let (l, b) = t.join().expect("client");
            lat.extend(l);
            bad += b;
        }
        let wall = t0.elapsed().as_secs_f64();
        if let Some(r) = reloader {
            r.join().expect("reloader");
        }
        lat.sort_by(f64::total_cmp);
        let ms = |x: f64| format!("{:.2} ms", x * 1e3);
        println!(
            "| /{route} | {clients} | {wall:.1} | {} | {:.0} | {} | {} | {} | {} | {bad} | {} |",
            lat.len(),
            lat.len() as f64 / wall,
            ms(pct(&lat, 0.5)),
            ms(pct(&lat, 0.9)),
            ms(pct(&lat, 0.99)),
            ms(pct(&lat, 1.0)),
            rss(),
        );
    }
    let errors: u64 = [400u16, 404, 500, 503]
        .iter()
        .map(|&s| {
            srv.shared.metrics.count("/similar", s) + srv.shared.metrics.count("/recommend", s)
        })
        .sum();
    println!(
        "\nserver-side error responses: {errors}; model reloads during the runs: {}; resident memory {rss_before} before, {} after",
        srv.shared.metrics.reloads.load(std::sync::atomic::Ordering::Relaxed),
        rss()
    );
    srv.shutdown();
    // `recsys similar` as a whole command (process start, model load, look-up, print)
    let bin = root.join("target/release/recsys");
    if bin.is_file() {
        let mut walls: Vec<f64> = (0..11)
            .map(|_| {
                let t = Instant::now();
                let o = std::process::Command::new(&bin)
                    .args(["similar", "--movie", "star wars", "--model"])
                    .arg(&work)
                    .output()
                    .expect("run recsys similar");
                assert!(o.status.success());
                t.elapsed().as_secs_f64()
            })
            .collect();
        walls.sort_by(f64::total_cmp);
        println!(
            "`recsys similar --movie \"star wars\"` on this model: median wall {:.1} ms over 11 runs (min {:.1}, max {:.1})",
            walls[5] * 1e3,
            walls[0] * 1e3,
            walls[10] * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

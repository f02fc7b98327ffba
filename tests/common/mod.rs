//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared evaluation data: `RECSYS_DATASETS`, else `../shared/datasets` beside the
/// checkout (`.ci/run` sets `RECSYS_DATASETS` for a clone made elsewhere).
pub fn datasets() -> PathBuf {
    let mut cands: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("RECSYS_DATASETS") {
        cands.push(p.into());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    cands.push(root.join("../shared/datasets"));
    cands.push(root.join("../../shared/datasets"));
    cands
        .into_iter()
        .find(|p| p.join("movielens-100k/u.data").is_file())
        .expect("the shared datasets (movielens-100k) were not found: set RECSYS_DATASETS")
}

/// The shipped synthetic data set.
pub fn synthetic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/synthetic")
}

/// A temporary directory of one test, removed when the test passes (a failing test leaves it
/// behind for inspection: the directory is kept while a panic unwinds).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh temporary directory for one test (see [`TempDir`]).
pub fn tempdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("recsys-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// Run the real binary.
pub fn recsys(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recsys"))
        .args(args)
        .output()
        .expect("run recsys")
}

/// Run and require success; return stdout.
pub fn ok(args: &[&str]) -> String {
    let o = recsys(args);
    assert!(
        o.status.success(),
        "recsys {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Run and require a clean failure: non-zero exit, one `error:` line on stderr, no panic.
/// Returns stderr.
pub fn fails(args: &[&str]) -> String {
    let o = recsys(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "recsys {args:?} should fail");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic: {err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(o.stdout.is_empty(), "nothing on stdout on error");
    err
}

/// Parse a JSON stdout.
pub fn json(s: &str) -> serde_json::Value {
    assert_eq!(
        s.trim_end().lines().count(),
        1,
        "one JSON line expected: {s}"
    );
    serde_json::from_str(s).unwrap()
}

/// Train ALS of width `dim` on the shipped synthetic data into `dir/model`; returns its path.
pub fn train_synthetic(dir: &Path, dim: usize) -> PathBuf {
    let model = dir.join("model");
    let dim = dim.to_string();
    ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--quiet",
        "--dim",
        &dim,
    ]);
    model
}

/// Send raw bytes as one request on a fresh loopback connection and read to the end:
/// (status, body). Status 0: the server closed the connection without a response.
pub fn http_raw(addr: std::net::SocketAddr, raw: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

/// (OOV %, Spearman's ρ) of a word model on a WordSim-format file, computed without the
/// library's evaluation code.
pub fn wordsim_by_hand(model: &std::path::Path, pairs: &std::path::Path) -> (f64, f64) {
    let m = recsys::checkpoint::load(model).unwrap();
    let vocab = m.vocab("word").unwrap();
    let table = m.table("word/embedding").unwrap();
    let row = |w: &str| {
        let i = vocab.get(&w.to_lowercase())? as usize;
        let r: Vec<f64> = table.row(i).iter().map(|&v| f64::from(v)).collect();
        let n = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        Some(r.into_iter().map(|v| v / n).collect::<Vec<f64>>())
    };
    let (mut gold, mut cos, mut total) = (Vec::new(), Vec::new(), 0usize);
    for line in std::fs::read_to_string(pairs).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        total += 1;
        if let (Some(a), Some(b)) = (row(f[0].trim()), row(f[1].trim())) {
            gold.push(f[2].trim().parse::<f64>().unwrap());
            cos.push(a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>());
        }
    }
    // average rank: 1 + values below + (ties − 1) / 2
    let rank = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .map(|v| {
                let below = x.iter().filter(|w| *w < v).count() as f64;
                let ties = x.iter().filter(|w| *w == v).count() as f64;
                1.0 + below + (ties - 1.0) / 2.0
            })
            .collect()
    };
    let (a, b) = (rank(&gold), rank(&cos));
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    (
        100.0 * (total - gold.len()) as f64 / total as f64,
        cov / (va * vb).sqrt(),
    )
}

/// A word for number `n` that the word tokenizer keeps (letters only: `n` in base 26).
pub fn letters(mut n: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

/// The Python of the tests that run Python packages (gensim, safetensors, pyspark, pyarrow,
/// lancedb): `RECSYS_PYTHON`, or `.venv/` made from `tests/requirements.txt` by README's test
/// command. Without one the test fails with the reason, so none passes vacuously.
pub fn python() -> String {
    if let Ok(p) = std::env::var("RECSYS_PYTHON") {
        return p;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.is_file(),
        "no Python for this test: run README's test command (it creates .venv from tests/requirements.txt) or set RECSYS_PYTHON"
    );
    venv.to_string_lossy().into_owned()
}

/// Run a Python script with [`python`] and `args`; it must succeed and print one JSON value.
pub fn run_python(script: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

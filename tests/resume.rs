//! `--resume`: a run continued from its saved state ends bit-identical to the uninterrupted
//! run (one thread, same seed) — including a DNN run killed with SIGKILL mid-training and
//! continued from its last per-epoch checkpoint.

mod common;
use common::*;

use std::path::Path;
use std::time::{Duration, Instant};

fn same_tensors(a: &Path, b: &Path) {
    let a = recsys::checkpoint::load(a).unwrap();
    let b = recsys::checkpoint::load(b).unwrap();
    assert_eq!(
        a.tables.keys().collect::<Vec<_>>(),
        b.tables.keys().collect::<Vec<_>>()
    );
    for (k, t) in &b.tables {
        assert_eq!(&a.tables[k], t, "table {k}");
    }
    for (k, v) in &b.vectors {
        assert_eq!(&a.vectors[k], v, "vector {k}");
    }
    assert_eq!(a.epochs.len(), b.epochs.len());
    let la: Vec<f64> = a.epochs.iter().map(|e| e.loss).collect();
    let lb: Vec<f64> = b.epochs.iter().map(|e| e.loss).collect();
    assert_eq!(la, lb, "per-epoch losses");
}

#[test]
fn factorisations_resume_to_the_uninterrupted_result() {
    let dir = tempdir("resume-mf");
    let data = synthetic();
    let data = data.to_str().unwrap();
    let variants: [(&str, &[&str]); 7] = [
        ("als", &[]),
        ("mf", &[]),
        ("bpr", &[]),
        ("bpr", &["--warp"]),
        ("mf", &["--svdpp"]),
        ("bpr", &["--item-features"]),
        ("bpr", &["--item-features", "--warp"]),
    ];
    for (algo, extra) in variants {
        let tag = format!("{algo}{}", extra.concat());
        let m = |n: &str| dir.join(format!("{tag}-{n}"));
        let p = |n: &str| m(n).to_str().unwrap().to_string();
        let base = [
            &[
                "train",
                data,
                "--algo",
                algo,
                "--threads",
                "1",
                "--seed",
                "5",
            ][..],
            extra,
        ]
        .concat();
        ok(&[&base[..], &["--epochs", "3", "--model", &p("part")]].concat());
        ok(&[
            &base[..],
            &[
                "--epochs",
                "7",
                "--resume",
                &p("part"),
                "--model",
                &p("resumed"),
            ],
        ]
        .concat());
        ok(&[&base[..], &["--epochs", "7", "--model", &p("whole")]].concat());
        same_tensors(&m("resumed"), &m("whole"));
        // changed settings or nothing left to do are refused
        let e = fails(
            &[
                &base[..],
                &[
                    "--epochs",
                    "7",
                    "--reg",
                    "0.5",
                    "--resume",
                    &p("part"),
                    "--model",
                    &p("x"),
                ],
            ]
            .concat(),
        );
        assert!(e.contains("--resume") && e.contains("saved run"), "{e}");
        let e = fails(
            &[
                &base[..],
                &["--epochs", "3", "--resume", &p("part"), "--model", &p("x")],
            ]
            .concat(),
        );
        assert!(e.contains("already has 3 epochs"), "{e}");
    }
    let e = fails(&[
        "train",
        data,
        "--algo",
        "mf",
        "--resume",
        dir.join("als-part").to_str().unwrap(),
        "--model",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(e.contains("is als, not mf"), "{e}");
    // other data (half of the ratings: other users and items) is refused, not trained on
    let ratings = std::fs::read_to_string(synthetic().join("ratings.csv")).unwrap();
    let lines: Vec<&str> = ratings.lines().collect();
    let half = dir.join("half.csv");
    std::fs::write(&half, lines[..lines.len() / 2].join("\n") + "\n").unwrap();
    let e = fails(&[
        "train",
        half.to_str().unwrap(),
        "--algo",
        "als",
        "--threads",
        "1",
        "--seed",
        "5",
        "--epochs",
        "7",
        "--resume",
        dir.join("als-part").to_str().unwrap(),
        "--model",
        dir.join("y").to_str().unwrap(),
    ]);
    assert!(e.contains("vocabulary differs from the saved run's"), "{e}");
    assert!(!dir.join("y").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_dnn_run_resumes_from_its_last_checkpoint_to_the_same_result() {
    let d = datasets().join("movielens-100k");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/movielens-100k.toml");
    let dir = tempdir("resume-dnn");
    let args = |model: &Path| -> Vec<String> {
        [
            "train",
            d.to_str().unwrap(),
            "--algo",
            "dnn",
            "--schema",
            schema.to_str().unwrap(),
            "--optimizer",
            "adam",
            "--lr",
            "0.002",
            "--epochs",
            "30",
            "--threads",
            "1",
            "--quiet",
            "--model",
            model.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    kill_resume_compare(&dir, 30, args);
}

#[test]
fn a_killed_word2vec_run_resumes_from_its_last_checkpoint_to_the_same_result() {
    let lee = datasets().join("lee-corpus/lee_background.cor");
    let dir = tempdir("resume-w2v");
    let args = |model: &Path| -> Vec<String> {
        [
            "train",
            lee.to_str().unwrap(),
            "--algo",
            "word2vec",
            "--dim",
            "16",
            "--min-count",
            "2",
            "--epochs",
            "60",
            "--threads",
            "1",
            "--quiet",
            "--model",
            model.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    kill_resume_compare(&dir, 60, args);
}

#[test]
fn item2vec_resumes_on_interactions_and_sessions() {
    let dir = tempdir("resume-i2v");
    let data = synthetic();
    let data = data.to_str().unwrap();
    let sessions = dir.join("sessions.txt");
    std::fs::write(
        &sessions,
        (0..300)
            .map(|s| {
                (0..8)
                    .map(|t| format!("i{}", (s * 3 + t * t) % 40))
                    .collect::<Vec<_>>()
                    .join(" ")
                    + "\n"
            })
            .collect::<String>(),
    )
    .unwrap();
    let s = sessions.to_str().unwrap().to_string();
    for input in [
        vec![data, "--algo", "item2vec"],
        vec![s.as_str(), "--algo", "item2vec", "--input", "sessions"],
    ] {
        let m = |n: &str| {
            dir.join(format!("{}-{n}", input.len()))
                .to_str()
                .unwrap()
                .to_string()
        };
        let base = [
            &["train"][..],
            &input[..],
            &["--threads", "1", "--dim", "8"],
        ]
        .concat();
        ok(&[&base[..], &["--epochs", "2", "--model", &m("part")]].concat());
        let out = json(&ok(&[
            &base[..],
            &[
                "--json",
                "--epochs",
                "4",
                "--resume",
                &m("part"),
                "--model",
                &m("more"),
            ],
        ]
        .concat()));
        assert_eq!(out["epochs"], 4, "{out}");
        let (a, b) = (
            recsys::checkpoint::load(m("part").as_ref()).unwrap(),
            recsys::checkpoint::load(m("more").as_ref()).unwrap(),
        );
        assert_eq!(b.epochs.len(), 4);
        assert_eq!(a.epochs[..], b.epochs[..2]);
        // the resumed run starts from the saved vectors at the learning rate they reached
        // (measured: rows move by < 0.01, where a fresh 4-epoch run ends ~0.3 away)
        let (ta, tb) = (
            a.table("item/embedding").unwrap(),
            b.table("item/embedding").unwrap(),
        );
        let moved = ta
            .iter()
            .zip(tb.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(moved > 0.0 && moved < 0.05, "resumed rows moved by {moved}");
        let e = fails(
            &[
                &base[..],
                &[
                    "--epochs",
                    "4",
                    "--window",
                    "3",
                    "--resume",
                    &m("part"),
                    "--model",
                    &m("x"),
                ],
            ]
            .concat(),
        );
        assert!(e.contains("window"), "{e}");
    }
    // hierarchical softmax: the node vectors are saved and restored too
    let hs = |n: &str| dir.join(format!("hs-{n}")).to_str().unwrap().to_string();
    let base = [
        "train",
        data,
        "--algo",
        "item2vec",
        "--hs",
        "--negative",
        "0",
        "--threads",
        "1",
        "--dim",
        "8",
    ];
    ok(&[&base[..], &["--epochs", "2", "--model", &hs("part")]].concat());
    ok(&[
        &base[..],
        &[
            "--epochs",
            "4",
            "--resume",
            &hs("part"),
            "--model",
            &hs("more"),
        ],
    ]
    .concat());
    let (a, b) = (
        recsys::checkpoint::load(hs("part").as_ref()).unwrap(),
        recsys::checkpoint::load(hs("more").as_ref()).unwrap(),
    );
    assert_eq!(b.epochs.len(), 4);
    assert_ne!(a.table("item/hs_nodes"), b.table("item/hs_nodes"));
    assert_eq!(
        a.table("item/hs_nodes").unwrap().nrows(),
        a.vocab("item").unwrap().len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run `args(killed)` with a checkpoint every epoch, SIGKILL it once two epochs are saved,
/// resume the checkpoint to the end, and compare with an uninterrupted `args(whole)` run of
/// `epochs` epochs: the tensors must be bit-identical.
fn kill_resume_compare(dir: &Path, epochs: usize, args: impl Fn(&Path) -> Vec<String>) {
    let (killed, whole, resumed) = (dir.join("killed"), dir.join("whole"), dir.join("resumed"));
    let mut run = args(&killed);
    run.extend(["--checkpoint-every".to_string(), "1".to_string()]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recsys"))
        .args(&run)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let saved_epochs = |p: &Path| -> usize {
        std::fs::read_to_string(p.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["epochs"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    while saved_epochs(&killed) < 2 && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let finished = child.try_wait().unwrap().is_some();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!finished, "the run ended before it could be killed");
    let done = saved_epochs(&killed);
    assert!((2..epochs).contains(&done), "{done} epochs saved");
    // the checkpoint is a complete model; continue it to the end
    let mut cont = args(&resumed);
    cont.extend(["--resume".to_string(), killed.to_str().unwrap().to_string()]);
    let cont: Vec<&str> = cont.iter().map(String::as_str).collect();
    ok(&cont);
    let all = args(&whole);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    ok(&all);
    same_tensors(&resumed, &whole);
    let _ = std::fs::remove_dir_all(dir);
}

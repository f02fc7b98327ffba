//! Crash safety: `train` and `export` are killed with SIGKILL at random moments, many times,
//! some of them while the model directory or export file is being written. After every kill
//! the previous model (or the new one, if the kill came after the final rename) must load,
//! and no half-written directory or file may ever be taken for a model or an export.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ok, synthetic, tempdir};

/// A small xorshift generator: the kill moments are random but repeatable per test run.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_recsys"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn recsys")
}

/// Siblings of `dest` whose names start with `.NAME.` (temporary or moved-aside copies).
fn leftovers(dest: &Path) -> Vec<PathBuf> {
    let name = dest.file_name().unwrap().to_string_lossy().to_string();
    std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}."))
        })
        .map(|e| e.path())
        .collect()
}

/// Kill `child` either after `delay`, or — when `during_write` — as soon as a temporary
/// sibling of `dest` appears (then after a further random 0–2 ms). Returns true when the
/// process was killed (false: it had already finished).
fn kill_at(
    mut child: Child,
    dest: &Path,
    delay: Duration,
    during_write: bool,
    extra_us: u64,
) -> bool {
    let t0 = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let writing = during_write && !leftovers(dest).is_empty();
        if writing || (!during_write && t0.elapsed() >= delay) {
            if writing {
                std::thread::sleep(Duration::from_micros(extra_us));
            }
            let _ = child.kill();
            let _ = child.wait();
            return true;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run neither finished nor started writing in 60 s");
        }
        // poll, but do not spin: two cores are shared with the child
        std::thread::sleep(Duration::from_micros(if during_write { 50 } else { 200 }));
    }
}

/// Median over three uninterrupted runs of (whole run, write phase): the write phase lasts
/// from the first temporary sibling of `dest` appearing to the process exiting.
fn timings(run: &dyn Fn() -> Child, dest: &Path) -> (Duration, Duration) {
    let mut fulls = Vec::new();
    let mut windows = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let mut child = run();
        let mut seen = None;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                assert!(st.success());
                break;
            }
            if seen.is_none() && !leftovers(dest).is_empty() {
                seen = Some(Instant::now());
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        fulls.push(t0.elapsed());
        windows.push(seen.map_or(Duration::from_millis(1), |s| s.elapsed()));
    }
    fulls.sort();
    windows.sort();
    (fulls[1], windows[1].max(Duration::from_micros(200)))
}

#[test]
fn a_train_killed_at_random_moments_never_loses_the_previous_model() {
    let dir = tempdir("crash-train");
    let model = dir.join("model");
    let data = synthetic();
    let train = |dim: usize, seed: u64| -> Vec<String> {
        [
            "train",
            data.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--quiet",
            "--dim",
            &dim.to_string(),
            "--seed",
            &seed.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // the previous model; how long an uninterrupted run takes, and how long its write lasts
    let (full, window) = timings(&|| spawn(&train(8, 0)), &model);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut killed, mut mid_write, mut restored) = (0, 0, 0);
    let mut dims_seen = std::collections::BTreeSet::new();
    let mut previous = 8;
    for round in 0..200u64 {
        let dim = 8 + 8 * (round as usize % 3);
        let during_write = round % 2 == 1;
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64 * 13 / 10));
        let extra = rng.below(window.as_micros() as u64 * 13 / 10);
        let child = spawn(&train(dim, round + 1));
        if kill_at(child, &model, delay, during_write, extra) {
            killed += 1;
        }
        let left = leftovers(&model);
        if left.iter().any(|p| p.to_string_lossy().contains(".tmp-")) {
            mid_write += 1;
        }
        // no half-written directory has a manifest (it is written last)
        for p in &left {
            if p.to_string_lossy().contains(".tmp-") {
                assert!(
                    !p.join("manifest.json").exists() || recsys::checkpoint::load(p).is_ok(),
                    "a half-written directory looks like a model: {}",
                    p.display()
                );
            }
        }
        let before = model.is_dir();
        let m = recsys::checkpoint::load(&model)
            .unwrap_or_else(|e| panic!("round {round}: the model does not load after a kill: {e}"));
        if !before {
            restored += 1;
        }
        let width = m.tables.get("item/embedding").expect("item table").ncols();
        assert!(
            width == previous || width == dim,
            "round {round}: width {width} is neither the previous model's ({previous}) nor the new one's ({dim})"
        );
        previous = width;
        dims_seen.insert(width);
        // the next save cleans up after a dead writer: at most this round's leftover remains
        assert!(
            leftovers(&model).len() <= 1,
            "leftovers pile up: {:?}",
            leftovers(&model)
        );
    }
    eprintln!(
        "crash-train: {killed} kills, {mid_write} mid-write (temporary directory left), \
         {restored} between the two renames (previous model restored), widths seen {dims_seen:?}"
    );
    assert!(killed >= 100, "most runs should have been killed: {killed}");
    assert!(
        mid_write >= 5,
        "too few kills landed while writing: {mid_write}"
    );
    assert!(dims_seen.len() >= 2, "no run ever completed: {dims_seen:?}");
    // the binary itself answers from the surviving model
    let out = ok(&[
        "similar",
        "--model",
        model.to_str().unwrap(),
        "--movie",
        "silent river",
    ]);
    assert!(!out.trim().is_empty());
}

#[test]
fn an_export_killed_at_random_moments_leaves_the_old_file_or_the_new_one() {
    let dir = tempdir("crash-export");
    // two models whose exports differ in every row: rounds alternate between them, so "the
    // old file or the new one" can be told apart from a mixture or a truncation
    let model_a = common::train_synthetic(&dir, 64);
    let model_b = dir.join("model-b");
    std::fs::rename(&model_a, &model_b).unwrap();
    let model_a = common::train_synthetic(&dir, 48);
    let out = dir.join("vectors.txt");
    let export = |model: &Path| -> Vec<String> { export_args(model, &out) };
    let read = || recsys::checkpoint::formats::word2vec::read(&out, false);
    ok(&export(&model_b)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    let want_b = read().unwrap();
    let (full, window) = timings(&|| spawn(&export(&model_a)), &out);
    let want_a = read().unwrap();
    assert_ne!(want_a.1.ncols(), want_b.1.ncols());
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut killed, mut mid_write) = (0, 0);
    let mut current = &want_a;
    for round in 0..100u64 {
        let (model, new) = if round % 2 == 0 {
            (&model_b, &want_b)
        } else {
            (&model_a, &want_a)
        };
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64 * 13 / 10));
        let extra = rng.below(window.as_micros() as u64 * 13 / 10);
        let during_write = round % 4 >= 2;
        if kill_at(spawn(&export(model)), &out, delay, during_write, extra) {
            killed += 1;
        }
        if !leftovers(&out).is_empty() {
            mid_write += 1;
        }
        // the next export removes what a dead writer left
        assert!(leftovers(&out).len() <= 1, "{:?}", leftovers(&out));
        let got = read().unwrap_or_else(|e| panic!("round {round}: the export is damaged: {e}"));
        assert!(
            got == *current || got == *new,
            "round {round}: the export is neither the old file nor the new one"
        );
        current = if got == *new { new } else { current };
    }
    eprintln!("crash-export: {killed} kills, {mid_write} left a temporary file (mid-write)");
    assert!(killed >= 50, "too few exports were killed: {killed}");
    assert!(
        mid_write >= 5,
        "too few kills landed while writing: {mid_write}"
    );
}

/// `recsys export --model MODEL --format word2vec --out OUT`.
fn export_args(model: &Path, out: &Path) -> Vec<String> {
    let (model, out) = (model.to_str().unwrap(), out.to_str().unwrap());
    [
        "export", "--model", model, "--format", "word2vec", "--out", out,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A pid that no process has now: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().expect("run true");
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn a_save_killed_between_its_two_renames_is_undone_on_the_next_load() {
    let dir = tempdir("crash-renames");
    let model = common::train_synthetic(&dir, 8);
    let want = recsys::checkpoint::load(&model).unwrap();
    // the state a kill between the renames leaves: the old model moved aside, the new one
    // still under its temporary name (whole or not), nothing at the model path
    let pid = dead_pid();
    let old = dir.join(format!(".model.old-{pid}-100"));
    let tmp = dir.join(format!(".model.tmp-{pid}-100"));
    std::fs::rename(&model, &old).unwrap();
    std::fs::create_dir(&tmp).unwrap();
    std::fs::write(tmp.join("tensors.safetensors"), b"half").unwrap();
    let got = recsys::checkpoint::load(&model).expect("the previous model is restored");
    assert_eq!(got.tables, want.tables);
    assert!(
        !old.exists() && !tmp.exists(),
        "leftovers: {:?}",
        leftovers(&model)
    );

    // a live writer's files are never touched (this test process plays the writer)
    let me = std::process::id();
    let live = dir.join(format!(".model.old-{me}-200"));
    std::fs::rename(&model, &live).unwrap();
    let err = recsys::checkpoint::load(&model).unwrap_err().to_string();
    assert!(err.contains("no such model directory"), "{err}");
    assert!(live.join("manifest.json").is_file());
    std::fs::rename(&live, &model).unwrap();

    // a directory with no manifest is not a model, whatever else it holds
    let err = recsys::checkpoint::load(&tmp_like(&dir))
        .unwrap_err()
        .to_string();
    assert!(err.contains("manifest.json"), "{err}");
}

fn tmp_like(dir: &Path) -> PathBuf {
    let d = dir.join("half");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("tensors.safetensors"), b"\x08\0\0\0\0\0\0\0{}").unwrap();
    d
}

/// Mount a tmpfs of `size` at `dir` (root only); false where this system does not allow it.
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_full_disk_fails_the_write_and_keeps_the_previous_model_and_export() {
    let dir = tempdir("crash-full");
    let disk = dir.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    if !mount_tmpfs(&disk, "300k") {
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root?)");
        return;
    }
    let model = disk.join("m");
    let train = |dim: &str| {
        common::recsys(&[
            "train",
            synthetic().to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--quiet",
            "--dim",
            dim,
            // the factors alone: the sizes below are reckoned for them
            "--no-neighbours",
        ])
    };
    let result = std::panic::catch_unwind(|| {
        assert!(train("8").status.success());
        // a model 16 times larger does not fit: a clear error, the old model kept
        let o = train("128");
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success());
        assert!(err.contains("No space left"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        let m = recsys::checkpoint::load(&model).expect("the previous model survives");
        assert_eq!(m.tables["item/embedding"].ncols(), 8);
        assert!(leftovers(&model).is_empty(), "{:?}", leftovers(&model));
        // an export that does not fit leaves the previous export whole
        let out = disk.join("v.txt");
        let export = || {
            common::recsys(&[
                "export",
                "--model",
                model.to_str().unwrap(),
                "--format",
                "word2vec",
                "--out",
                out.to_str().unwrap(),
            ])
        };
        assert!(export().status.success());
        let before = std::fs::read(&out).unwrap();
        let free = 300 * 1024 - 100 * 1024 - before.len();
        std::fs::write(
            disk.join("ballast"),
            vec![0u8; free.saturating_sub(8 * 1024)],
        )
        .unwrap();
        let o = export();
        assert!(!o.status.success(), "the export should not fit");
        assert_eq!(std::fs::read(&out).unwrap(), before);
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    });
    let _ = Command::new("umount").arg(&disk).status();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Run the binary with a per-file size limit of `kib` KiB (`RLIMIT_FSIZE`) and SIGXFSZ
/// ignored, so a write past the limit fails with EFBIG the way a full disk fails with ENOSPC
/// (no mount needed: this runs for every user, where the tmpfs test above needs root).
fn recsys_with_file_limit(kib: u64, args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_recsys");
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f {} && trap '' XFSZ && exec \"$0\" \"$@\"",
            kib * 2 // sh counts 512-byte blocks
        ))
        .arg(bin)
        .args(args)
        .output()
        .expect("run sh")
}

#[test]
fn a_write_past_the_file_size_limit_fails_and_keeps_the_previous_model_and_export() {
    let dir = tempdir("crash-fsize");
    let model = dir.join("m");
    let data = synthetic();
    let train = |dim: &str| {
        recsys_with_file_limit(
            200,
            &[
                "train",
                data.to_str().unwrap(),
                "--model",
                model.to_str().unwrap(),
                "--quiet",
                "--dim",
                dim,
                "--no-neighbours",
            ],
        )
    };
    let o = train("8");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = std::fs::read(model.join("tensors.safetensors")).unwrap();
    // 16 times larger: the tensors file passes 200 KiB; a clear error, the old model kept
    let o = train("128");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(5), "an I/O error's exit code: {err}");
    assert!(err.contains("File too large"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let m = recsys::checkpoint::load(&model).expect("the previous model survives");
    assert_eq!(m.tables["item/embedding"].ncols(), 8);
    assert_eq!(
        std::fs::read(model.join("tensors.safetensors")).unwrap(),
        before
    );
    assert!(leftovers(&model).is_empty(), "{:?}", leftovers(&model));
    // an export past the limit leaves the previous export whole
    let out = dir.join("v.txt");
    let export = |kib: u64| {
        let args = export_args(&model, &out);
        recsys_with_file_limit(kib, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert!(export(200).status.success());
    let first = std::fs::read(&out).unwrap();
    let o = export(first.len() as u64 / 1024 / 2);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), first);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

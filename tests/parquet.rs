//! Parquet input (issue 32): files written by pyarrow 26 and pandas (snappy, zstd, gzip, lz4;
//! several row groups; int32/uint64/string ids; timestamp[ms|us], Spark's INT96 and date32
//! times; nulls; list<string> genres; `tests/fixtures/parquet/make.py`, with what those
//! libraries read back in `expected.json`) are read by column name, value for value; training
//! on a Parquet file gives the same model, bit for bit, as on the same rows in CSV; Parquet
//! written by `recsys generate --format parquet` trains the same as its CSV; broken files fail
//! with one line naming the file (and the row group, column and row where there is one).
#![cfg(feature = "parquet")]

mod common;
use common::*;

use std::path::{Path, PathBuf};

use recsys::data::{self, ReadOptions};
use recsys::vocab::Vocab;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parquet")
}

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The rows of a read, as (user, item, rating, timestamp) in file order.
fn rows(x: &data::Interactions) -> Vec<(String, String, f32, i64)> {
    (0..x.len())
        .map(|k| {
            (
                x.users.key(x.user[k] as usize).unwrap().to_string(),
                x.items.key(x.item[k] as usize).unwrap().to_string(),
                x.rating[k],
                x.timestamp[k],
            )
        })
        .collect()
}

#[test]
fn files_from_pyarrow_and_pandas_read_value_for_value() {
    let e = &expected()["ratings"];
    let col = |k: &str| e[k].as_array().unwrap().clone();
    let (users, items, ratings) = (col("user"), col("item"), col("rating"));
    for (file, times) in [
        ("ratings_snappy.parquet", "timestamp"), // timestamp[ms], three row groups
        ("ratings_pandas_zstd.parquet", "timestamp"), // timestamp[us, UTC], uint64 users
        ("ratings_gzip_int96.parquet", "timestamp"), // Spark's INT96
        ("ratings_lz4_date.parquet", "days"),    // date32: midnight of the day
    ] {
        let x = data::read_interactions(
            &fixtures().join(file),
            &ReadOptions::default(),
            Vocab::new(),
            Vocab::new(),
        )
        .unwrap_or_else(|err| panic!("{file}: {err}"));
        assert!(x.has_rating && x.has_timestamp, "{file}");
        let got = rows(&x);
        assert_eq!(got.len(), users.len(), "{file}");
        let ts = col(times);
        for (k, (u, i, r, t)) in got.iter().enumerate() {
            assert_eq!(u, users[k].as_str().unwrap(), "{file} row {k}");
            assert_eq!(i, items[k].as_str().unwrap(), "{file} row {k}");
            assert_eq!(*r, ratings[k].as_f64().unwrap() as f32, "{file} row {k}");
            assert_eq!(*t, ts[k].as_i64().unwrap(), "{file} row {k}");
        }
    }
}

#[test]
fn a_parquet_file_trains_the_same_model_as_its_csv() {
    let dir = tempdir("parquet-same");
    let e = &expected()["ratings"];
    let mut csv = String::from("userId,movieId,rating,timestamp\n");
    for k in 0..e["user"].as_array().unwrap().len() {
        csv += &format!(
            "{},{},{},{}\n",
            e["user"][k].as_str().unwrap(),
            e["item"][k].as_str().unwrap(),
            e["rating"][k],
            e["timestamp"][k]
        );
    }
    let csv_path = dir.join("ratings.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let (a, b) = (dir.join("from-parquet"), dir.join("from-csv"));
    let pq = fixtures().join("ratings_snappy.parquet");
    for (data, model) in [(pq.as_path(), &a), (csv_path.as_path(), &b)] {
        ok(&[
            "train",
            s(data),
            "--model",
            s(model),
            "--quiet",
            "--dim",
            "8",
        ]);
    }
    let bytes = |m: &Path| std::fs::read(m.join("tensors.safetensors")).unwrap();
    assert_eq!(
        bytes(&a),
        bytes(&b),
        "Parquet and CSV trained different tables"
    );
    let info = |m: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(m.join("manifest.json")).unwrap()).unwrap()
    };
    assert_eq!(info(&a)["info"]["interactions"], 600, "{}", info(&a));
}

#[test]
fn a_folder_of_parquet_files_gets_titles_and_lists() {
    let dir = tempdir("parquet-folder");
    let folder = dir.join("data");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        fixtures().join("ratings_snappy.parquet"),
        folder.join("ratings.parquet"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("movies_lists.parquet"),
        folder.join("movies.parquet"),
    )
    .unwrap();
    let cat = data::Catalog::read(&folder.join("movies.parquet")).unwrap();
    let m = &expected()["movies"];
    for k in 0..5 {
        let info = cat.get(&format!("m{}", k + 1)).unwrap();
        assert_eq!(info.title, m["titles"][k].as_str().unwrap(), "title {k}");
        let genres = m["genres"][k].as_str().unwrap();
        let want: Vec<&str> = genres.split('|').filter(|g| !g.is_empty()).collect();
        assert_eq!(info.genres, want, "genres {k}");
    }
    let model = dir.join("model");
    let out = ok(&[
        "train",
        s(&folder),
        "--model",
        s(&model),
        "--quiet",
        "--dim",
        "8",
    ]);
    assert!(out.contains("with titles"), "{out}");
    let out = ok(&[
        "similar",
        "--model",
        s(&model),
        "--movie",
        "toy story",
        "-k",
        "3",
    ]);
    assert!(out.starts_with("similar to Toy Story (1995)"), "{out}");
}

#[test]
fn nulls_are_bad_rows_named_by_row_group_column_and_row() {
    let dir = tempdir("parquet-nulls");
    let f = fixtures().join("ratings_nulls.parquet");
    let err = fails(&["train", s(&f), "--model", s(&dir.join("m")), "--quiet"]);
    assert!(
        err.contains("ratings_nulls.parquet")
            && err.contains("row group 0, column 'rating', row 6: a null rating"),
        "{err}"
    );
    let out = json(&ok(&[
        "train",
        s(&f),
        "--model",
        s(&dir.join("m")),
        "--quiet",
        "--json",
        "--on-bad-row",
        "skip",
    ]));
    assert_eq!(out["skipped_rows"], 2, "{out}");
    assert_eq!(out["interactions"], 18, "{out}");
}

#[test]
fn generated_parquet_trains_the_same_as_generated_csv() {
    let dir = tempdir("parquet-generate");
    let (p, c) = (dir.join("p"), dir.join("c"));
    for (out, format) in [(&p, "parquet"), (&c, "csv")] {
        ok(&[
            "generate",
            "--out",
            s(out),
            "--items",
            "300",
            "--users",
            "400",
            "--format",
            format,
        ]);
    }
    assert!(p.join("ratings.parquet").is_file() && p.join("movies.parquet").is_file());
    let read =
        |f: &Path| data::load_dataset(f, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (read(&p), read(&c));
    assert!(a.interactions.len() > 400 * 20);
    assert_eq!(rows(&a.interactions), rows(&b.interactions));
    let (ca, cb) = (a.catalog.unwrap(), b.catalog.unwrap());
    assert_eq!(ca.len(), 300);
    for k in 1..=300 {
        let key = k.to_string();
        assert_eq!(ca.get(&key), cb.get(&key), "item {k}");
    }
}

#[test]
fn broken_parquet_files_fail_with_one_line() {
    let dir = tempdir("parquet-hostile");
    let good = std::fs::read(fixtures().join("ratings_snappy.parquet")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("magic-only.parquet", b"PAR1".to_vec()),
        ("cut.parquet", good[..good.len() / 2].to_vec()),
        ("no-footer.parquet", good[..good.len() - 8].to_vec()),
        ("zeroed-pages.parquet", {
            let mut b = good.clone();
            for x in &mut b[4..good.len() / 2] {
                *x = 0;
            }
            b
        }),
    ];
    for (name, bytes) in cases {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        let err = fails(&["train", s(&f), "--model", s(&dir.join("m")), "--quiet"]);
        assert!(err.contains(name), "{name}: {err}");
    }
    // a file on which the parquet crate itself panics (found by fuzzing: a data page claiming
    // dictionary encoding with no dictionary page) is an error too, and prints no panic
    let crash = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/parquet/crash-c5f9f86b1a38695de60ad0f674b634e54aa34d46");
    let err = fails(&["train", s(&crash), "--model", s(&dir.join("m")), "--quiet"]);
    assert!(
        err.contains("a damaged Parquet file: the reader stopped (Decoder for dict"),
        "{err}"
    );
    // a Parquet file without a user column says which columns it has
    let f = fixtures().join("movies_lists.parquet");
    let err = fails(&["train", s(&f), "--model", s(&dir.join("m")), "--quiet"]);
    assert!(err.contains("movies_lists.parquet"), "{err}");
}

#[test]
fn export_parquet_holds_every_vector_with_its_key_and_title() {
    let dir = tempdir("parquet-export");
    let model = train_synthetic(&dir, 8);
    let out = dir.join("items.parquet");
    ok(&[
        "export",
        "--format",
        "parquet",
        "--model",
        s(&model),
        "--out",
        s(&out),
        "--quiet",
    ]);
    let w2v = dir.join("items.txt");
    ok(&[
        "export",
        "--format",
        "word2vec",
        "--model",
        s(&model),
        "--out",
        s(&w2v),
        "--quiet",
    ]);
    let t = recsys::data::TextTable::open(&out, None, None).unwrap();
    assert_eq!(
        t.header.as_deref().unwrap(),
        ["key", "vector", "title", "genres"]
    );
    // the word2vec text export is the reference: same keys in the same order, same floats
    let text = std::fs::read_to_string(&w2v).unwrap();
    let mut n = 0;
    for (rec, line) in t.records().zip(text.lines().skip(1)) {
        let rec = rec.unwrap();
        let mut want = line.split(' ');
        assert_eq!(rec.fields[0], want.next().unwrap());
        let got: Vec<f32> = rec.fields[1]
            .split('|')
            .map(|v| v.parse().unwrap())
            .collect();
        let want: Vec<f32> = want.map(|v| v.parse().unwrap()).collect();
        assert_eq!(got, want, "row {n}");
        assert!(!rec.fields[2].is_empty(), "a title for row {n}");
        n += 1;
    }
    assert_eq!(n, text.lines().count() - 1);
}

//! Unit tests of the Parquet reader and writer (files written here, read back).
use super::*;
use crate::data::{ReadOptions, TextTable};
use crate::vocab::Vocab;

fn write(path: &Path, groups: &[Vec<ColumnData>], cols: &[(&str, ColumnKind)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = TableWriter::new(f, cols).unwrap();
    for g in groups {
        w.write_group(g).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn written_tables_read_back_row_for_row() {
    let dir = std::env::temp_dir().join(format!("recsys-pq-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("t.parquet");
    let cols = [
        ("key", ColumnKind::String),
        ("n", ColumnKind::Int32),
        ("vector", ColumnKind::FloatList),
        ("genres", ColumnKind::StringList),
    ];
    let g1 = vec![
        ColumnData::String(vec!["a\tb".into(), "\"q\" x".into()]),
        ColumnData::Int32(vec![-3, 7]),
        ColumnData::FloatList(vec![vec![0.5, -1.25], vec![]]),
        ColumnData::StringList(vec![vec![], vec!["War".into(), "Drama".into()]]),
    ];
    let g2 = vec![
        ColumnData::String(vec!["z".into()]),
        ColumnData::Int32(vec![i32::MAX]),
        ColumnData::FloatList(vec![vec![0.001]]),
        ColumnData::StringList(vec![vec!["Comedy".into()]]),
    ];
    write(&p, &[g1, g2], &cols);
    assert!(is_parquet(&p));
    assert_eq!(column_names(&p).unwrap(), ["key", "n", "vector", "genres"]);
    let t = TextTable::open(&p, None, None).unwrap();
    let got: Vec<Vec<String>> = t
        .records()
        .map(|r| r.unwrap().fields.iter().map(|f| f.to_string()).collect())
        .collect();
    assert_eq!(
        got,
        [
            ["a\tb", "-3", "0.5|-1.25", ""],
            ["\"q\" x", "7", "", "War|Drama"],
            ["z", "2147483647", "0.001", "Comedy"],
        ]
    );
    // a group whose columns disagree in length, or of the wrong kind, is refused
    let f = std::fs::File::create(dir.join("bad.parquet")).unwrap();
    let mut w = TableWriter::new(f, &cols[..2]).unwrap();
    let short = [
        ColumnData::String(vec!["a".into()]),
        ColumnData::Int32(vec![]),
    ];
    assert!(w.write_group(&short).is_err());
    let kind = [ColumnData::Int32(vec![1]), ColumnData::Int32(vec![1])];
    assert!(w.write_group(&kind).is_err());
    assert!(TableWriter::new(Vec::new(), &[("bad name", ColumnKind::Int32)]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn interactions_take_named_columns_and_skip_bad_rows() {
    let dir = std::env::temp_dir().join(format!("recsys-pq-unit2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("r.parquet");
    let cols = [
        ("who", ColumnKind::String),
        ("what", ColumnKind::Int64),
        ("stars", ColumnKind::Float),
    ];
    let g = vec![
        ColumnData::String(vec!["u1".into(), " ".into(), "u2".into()]),
        ColumnData::Int64(vec![10, 11, 12]),
        ColumnData::Float(vec![4.5, 3.0, f32::NAN]),
    ];
    write(&p, &[g], &cols);
    let opts = ReadOptions {
        user_col: Some("who".into()),
        item_col: Some("what".into()),
        rating_col: Some("stars".into()),
        ..ReadOptions::default()
    };
    let err = read_interactions(&p, &opts, Vocab::new(), Vocab::new()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("r.parquet: row group 0, column 'who', row 2: empty key"),
        "{err}"
    );
    let skip = ReadOptions {
        skip_bad_rows: true,
        ..opts.clone()
    };
    let x = read_interactions(&p, &skip, Vocab::new(), Vocab::new()).unwrap();
    assert_eq!((x.len(), x.skipped_rows), (1, 2));
    assert_eq!(
        (x.users.key(0), x.items.key(0), x.rating[0]),
        (Some("u1"), Some("10"), 4.5)
    );
    // without names, the roles are not found, and the error lists the columns
    let err = read_interactions(&p, &ReadOptions::default(), Vocab::new(), Vocab::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("found: who, what, stars"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

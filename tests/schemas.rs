//! The shipped schemas parse, describe the data they name, and map real rows.

mod common;

use std::collections::HashMap;
use std::path::Path;

use recsys::data::{Delimiter, TextTable};
use recsys::features::{FeatureSet, Schema};

fn schema(name: &str) -> Schema {
    Schema::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(name),
    )
    .unwrap()
}

#[test]
fn all_shipped_schemas_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let s = Schema::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert!(!s.columns.is_empty() && !s.embeddings.is_empty());
            n += 1;
        }
    }
    assert!(n >= 3);
}

/// Join u.data with u.item and u.user as the 100K schema declares, and map every row.
#[test]
fn movielens_100k_rows_map_through_every_column() {
    let s = schema("movielens-100k.toml");
    let d = common::datasets().join("movielens-100k");
    let table = |file: &str, delim: char, names: &[String]| {
        TextTable::open(&d.join(file), Some(Delimiter::Char(delim)), Some(false))
            .unwrap()
            .with_names(names.to_vec())
    };
    let cols = |kind| s.source(kind).unwrap().columns.clone().unwrap();
    use recsys::features::SourceKind::*;
    let by_key = |t: &TextTable| -> HashMap<String, HashMap<String, String>> {
        let names = t.header.clone().unwrap();
        t.records()
            .map(|r| {
                let r = r.unwrap();
                let m: HashMap<String, String> = names
                    .iter()
                    .cloned()
                    .zip(r.fields.iter().map(|f| f.to_string()))
                    .collect();
                (r.fields[0].to_string(), m)
            })
            .collect()
    };
    let items = by_key(&table("u.item", '|', &cols(Items)));
    let users = by_key(&table("u.user", '|', &cols(Users)));
    let ratings = table("u.data", '\t', &cols(Interactions));
    let names = ratings.header.clone().unwrap();
    let rows: Vec<HashMap<String, String>> = ratings
        .records()
        .take(5000)
        .map(|r| {
            let r = r.unwrap();
            let mut m: HashMap<String, String> = names
                .iter()
                .cloned()
                .zip(r.fields.iter().map(|f| f.to_string()))
                .collect();
            m.extend(items[&m["item_id"]].clone());
            m.extend(users[&m["user_id"]].clone());
            m
        })
        .collect();
    let mut avail: Vec<String> = rows[0].keys().cloned().collect();
    avail.sort();
    s.check_fields(&avail).unwrap();
    let fs = FeatureSet::fit(&s, rows.iter()).unwrap();
    assert_eq!(fs.column("day_x_hour").unwrap().num_buckets(), 168);
    assert_eq!(fs.column("genres").unwrap().num_buckets(), 19);
    assert_eq!(fs.column("age").unwrap().num_buckets(), 7);
    assert_eq!(fs.column("gender").unwrap().num_buckets(), 3);
    assert!(fs.column("occupation").unwrap().num_buckets() >= 20);
    for row in &rows {
        let ids = fs.transform(row).unwrap();
        for (c, bag) in fs.columns.iter().zip(&ids) {
            assert!(
                bag.iter().all(|&i| (i as usize) < c.num_buckets()),
                "{}",
                c.spec.name()
            );
        }
    }
    // fourth-root dims: item 1682+1 → 6, day×hour 168 → 4
    let item = fs.column("item").unwrap().num_buckets();
    assert_eq!(s.embedding("item").unwrap().dimension.resolve(item), 6);
    assert_eq!(s.embedding("day_x_hour").unwrap().dimension.resolve(168), 4);
}

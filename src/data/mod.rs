//! Data in: delimited files → [`Interactions`] (user × item events with dense indices) and a
//! [`Catalog`] of item titles and genres.
//!
//! Column roles are inferred from header names (`userId`, `user_id`, `user`, `movieId`,
//! `item_id`, `item`, `rating`, `timestamp`, `title`, `genres`) or given explicitly; a
//! header-less numeric file is read positionally as `user item [rating [timestamp]]`. Parquet
//! files (found by their magic bytes, whatever their name) are read by column name the same way
//! ([`parquet`], the `parquet` feature).

mod catalog;
#[cfg(feature = "polars")]
mod fast;
pub mod joined;
pub mod parquet;
pub mod reader;

pub use catalog::{Catalog, ItemInfo, ML100K_GENRES};
pub use reader::{Delimiter, TextTable};

mod discover;
mod interactions;
mod parse;
mod roles;

pub use discover::{load_dataset, load_with_schema, Dataset};
pub(crate) use interactions::bucket_starts;
pub use interactions::Interactions;
pub(crate) use parse::interactions_from_table;
pub use parse::read_interactions;
pub use roles::{infer_role, ReadOptions, Role};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Vocab;
    use std::path::Path;

    fn table(text: &str) -> TextTable {
        TextTable::from_text(Path::new("t.csv"), text.into(), None, None).unwrap()
    }

    #[test]
    fn roles_from_headers() {
        assert_eq!(infer_role("userId"), Some(Role::User));
        assert_eq!(infer_role("user_id"), Some(Role::User));
        assert_eq!(infer_role("movieId"), Some(Role::Item));
        assert_eq!(infer_role("item_id"), Some(Role::Item));
        assert_eq!(infer_role("Rating"), Some(Role::Rating));
        assert_eq!(infer_role("zip"), None);
    }

    #[test]
    fn header_and_positional_files() {
        let t = table("userId,movieId,rating,timestamp\n1,10,4.5,100\n2,10,3,200\n");
        let x = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap();
        assert_eq!(x.len(), 2);
        assert_eq!(x.items.len(), 1);
        assert_eq!(x.rating, vec![4.5, 3.0]);
        assert_eq!(x.timestamp, vec![100, 200]);
        let t = table("1\t10\n2\t11\n");
        let x = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap();
        assert!(!x.has_rating);
        assert_eq!(x.rating, vec![1.0, 1.0]);
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let t = table("userId,movieId,rating\n1,10,4\n1,11,abc\n");
        let e = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.csv:3") && e.contains("rating") && e.contains("abc"),
            "{e}"
        );
        let t = table("1\t10\t4\n1\t11\n");
        let e = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":2:") && e.contains("expected at least 3 fields"),
            "{e}"
        );
        let t = table("userId,movieId,rating\n1,10,NaN\n");
        assert!(
            interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
                .is_err()
        );
        let t = table("name,rating\nx,1\n");
        let e = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing column"), "{e}");
    }

    #[test]
    fn csr_sums_duplicates() {
        let mut x = Interactions::default();
        x.push("a", "i", 1.0, 0);
        x.push("a", "i", 2.0, 0);
        x.push("b", "j", 5.0, 0);
        let m = x.csr();
        assert_eq!(m.shape(), (2, 2));
        assert_eq!(m.get(0, 0), Some(&3.0));
        assert_eq!(x.binary_csr().get(0, 0), Some(&1.0));
        assert_eq!(x.item_counts(), vec![2, 1]);
    }

    proptest::proptest! {
        /// The counting-sort CSR equals a map from (user, item) to the summed rating, row by
        /// row in item order, for any events (repeats included).
        #[test]
        fn csr_equals_the_summed_pairs(
            events in proptest::collection::vec((0u8..12, 0u8..9, 1u8..6), 0..200)
        ) {
            let mut x = Interactions::default();
            let mut want = std::collections::BTreeMap::new();
            for &(u, i, r) in &events {
                x.push(&format!("u{u}"), &format!("i{i}"), f32::from(r), 0);
                let key = (x.user[x.len() - 1], x.item[x.len() - 1]);
                *want.entry(key).or_insert(0.0f32) += f32::from(r);
            }
            let m = x.csr();
            let got: Vec<((u32, u32), f32)> = m
                .iter()
                .map(|(v, (u, i))| ((u as u32, i as u32), *v))
                .collect();
            let want: Vec<((u32, u32), f32)> = want.into_iter().collect();
            proptest::prop_assert_eq!(got, want);
            // the seen-items index of a model: the same rows, without the ratings
            let seen = crate::model::Seen::from_interactions(&x);
            for u in 0..x.users.len() {
                let row: Vec<u32> = m
                    .outer_view(u)
                    .map(|r| r.indices().iter().map(|&i| i as u32).collect())
                    .unwrap_or_default();
                proptest::prop_assert_eq!(seen.row(u), &row[..]);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// The streamed reader and the whole-file table give the same interactions, the same
        /// skipped rows and the same errors (line numbers included), plain and gzip, with or
        /// without a header, blank lines, a BOM, quotes, CRLF and bad rows.
        #[test]
        fn streamed_rows_equal_the_whole_file_table(
            rows in proptest::collection::vec((0u8..6, 0u8..9, 0u8..12, proptest::bool::ANY), 1..60),
            header in proptest::bool::ANY,
            bom in proptest::bool::ANY,
            crlf in proptest::bool::ANY,
            gzip in proptest::bool::ANY,
            skip in proptest::bool::ANY,
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            if header {
                text += &format!("userId,movieId,rating{nl}");
            }
            for (k, &(u, i, r, blank)) in rows.iter().enumerate() {
                if blank {
                    text += nl;
                }
                let rating = match r {
                    10 => "x".to_string(),
                    11 => String::new(),
                    r => format!("{}", f32::from(r) / 2.0),
                };
                let item = if k % 7 == 3 { format!("\"m,{i}\"") } else { format!("m{i}") };
                text += &format!("u{u},{item},{rating}{nl}");
            }
            let dir = std::env::temp_dir().join(format!("recsys-stream-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let p = dir.join("r.csv");
            if gzip {
                use std::io::Write;
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(text.as_bytes()).unwrap();
                std::fs::write(&p, e.finish().unwrap()).unwrap();
            } else {
                std::fs::write(&p, &text).unwrap();
            }
            let opts = ReadOptions { skip_bad_rows: skip, ..ReadOptions::default() };
            let whole = TextTable::open(&p, None, None)
                .and_then(|t| interactions_from_table(&t, &opts, Vocab::new(), Vocab::new()));
            let streamed = reader::TableStream::open(&p, None, None)
                .and_then(|s| parse::interactions_from_stream(&s, &opts, Vocab::new(), Vocab::new()));
            match (whole, streamed) {
                (Ok(a), Ok(b)) => {
                    proptest::prop_assert_eq!(&a.users, &b.users);
                    proptest::prop_assert_eq!(&a.items, &b.items);
                    proptest::prop_assert_eq!(&a.user, &b.user);
                    proptest::prop_assert_eq!(&a.item, &b.item);
                    proptest::prop_assert_eq!(&a.rating, &b.rating);
                    proptest::prop_assert_eq!(a.skipped_rows, b.skipped_rows);
                    proptest::prop_assert_eq!(&a.first_skipped, &b.first_skipped);
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => proptest::prop_assert!(false, "{a:?} vs {b:?}"),
            }
        }
    }

    /// The polars fast path and the hand-written reader give identical interactions.
    #[cfg(feature = "polars")]
    #[test]
    fn polars_fast_path_matches_the_reference_reader() {
        let d = crate::synth::generate(&crate::synth::SynthConfig {
            n_users: 12_000,
            ..Default::default()
        });
        let dir = std::env::temp_dir().join(format!("recsys-fast-{}", std::process::id()));
        d.write(&dir).unwrap();
        let p = dir.join("ratings.csv");
        assert!(
            std::fs::metadata(&p).unwrap().len() >= fast::MIN_BYTES,
            "file must take the fast path"
        );
        let table = TextTable::open(&p, None, None).unwrap();
        let fast = parse::fast_path(
            &p,
            &table,
            &ReadOptions::default(),
            &Vocab::new(),
            &Vocab::new(),
        )
        .expect("fast path taken");
        let slow =
            interactions_from_table(&table, &ReadOptions::default(), Vocab::new(), Vocab::new())
                .unwrap();
        assert_eq!(fast.users, slow.users);
        assert_eq!(fast.items, slow.items);
        assert_eq!(fast.user, slow.user);
        assert_eq!(fast.item, slow.item);
        assert_eq!(fast.rating, slow.rating);
        assert_eq!(fast.timestamp, slow.timestamp);
        // A bad value far down the file: the fast path declines, the reference names the line.
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("1,1,oops,5\n");
        std::fs::write(&p, &text).unwrap();
        let e =
            read_interactions(&p, &ReadOptions::default(), Vocab::new(), Vocab::new()).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!(":{}:", text.lines().count())),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

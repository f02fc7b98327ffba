//! The model directory format: round trips, and every kind of damage gets a clear error.

mod common;

use std::path::Path;

use proptest::prelude::*;
use recsys::checkpoint;
use recsys::data::Interactions;
use recsys::model::{Model, ITEM_BIAS, ITEM_EMBEDDING, USER_EMBEDDING};

fn small_model(users: usize, items: usize, dim: usize, seed: u64) -> Model {
    let mut x = Interactions::default();
    for u in 0..users {
        for i in 0..items {
            if (u * 7 + i * 3 + seed as usize).is_multiple_of(4) || i == u % items {
                x.push(&format!("u{u}"), &format!("i\t{i}"), 1.0, 0);
            }
        }
    }
    let mut m = Model::for_interactions("test", &x, None);
    let init = recsys::embedding::Initializer::Uniform { scale: 1.0 };
    m.tables
        .insert(USER_EMBEDDING.into(), init.table(x.users.len(), dim, seed));
    m.tables.insert(
        ITEM_EMBEDDING.into(),
        init.table(x.items.len(), dim, seed + 1),
    );
    m.vectors.insert(
        ITEM_BIAS.into(),
        init.table(1, x.items.len(), seed + 2).row(0).to_owned(),
    );
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn round_trip_bit_identical(users in 1usize..12, items in 1usize..12, dim in 1usize..6, seed in 0u64..100) {
        let m = small_model(users, items, dim, seed);
        let dir = common::tempdir(&format!("prop-{users}-{items}-{dim}-{seed}"));
        let p = dir.join("m");
        checkpoint::save(&m, &p).unwrap();
        let back = checkpoint::load(&p).unwrap();
        prop_assert_eq!(&back.tables, &m.tables);
        prop_assert_eq!(&back.vectors, &m.vectors);
        prop_assert_eq!(&back.vocabs, &m.vocabs);
        prop_assert_eq!(&back.seen, &m.seen);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

fn saved(name: &str) -> (common::TempDir, std::path::PathBuf) {
    let dir = common::tempdir(name);
    let p = dir.join("m");
    checkpoint::save(&small_model(5, 6, 3, 1), &p).unwrap();
    (dir, p)
}

fn edit_manifest(p: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mp = p.join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&mp).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&mp, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn load_err(p: &Path) -> String {
    checkpoint::load(p).unwrap_err().to_string()
}

#[test]
fn other_format_versions_are_named() {
    let (dir, p) = saved("versions");
    edit_manifest(&p, |v| v["format_version"] = 99.into());
    let e = load_err(&p);
    assert!(e.contains("newer") && e.contains("99"), "{e}");
    edit_manifest(&p, |v| v["format_version"] = 0.into());
    assert!(load_err(&p).contains("older"));
    edit_manifest(&p, |v| v["format"] = "something-else".into());
    assert!(load_err(&p).contains("not a recsys-model manifest"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shape_and_name_mismatches_are_caught() {
    let (dir, p) = saved("shapes");
    edit_manifest(&p, |v| v["tensors"][0]["shape"] = serde_json::json!([1, 1]));
    let e = load_err(&p);
    assert!(e.contains("the manifest says"), "{e}");
    let (dir2, p2) = saved("names");
    edit_manifest(&p2, |v| v["tensors"][0]["name"] = "ghost/embedding".into());
    assert!(load_err(&p2).contains("'ghost/embedding'"));
    // a vocabulary that no longer matches the table's rows
    let (dir3, p3) = saved("vocab");
    let vp = p3.join("vocab/user.tsv");
    let text = std::fs::read_to_string(&vp).unwrap();
    let shorter: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&vp, shorter.join("\n") + "\n").unwrap();
    let e = load_err(&p3);
    assert!(e.contains("rows but vocabulary has"), "{e}");
    // a tensor whose dtype differs from the manifest's
    let (dir4, p4) = saved("dtype");
    edit_manifest(&p4, |v| v["tensors"][0]["dtype"] = "F64".into());
    let e = load_err(&p4);
    assert!(e.contains("F64") && e.contains("the manifest says"), "{e}");
    for d in [dir, dir2, dir3, dir4] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn truncation_and_garbage_are_caught() {
    let (dir, p) = saved("trunc");
    let tp = p.join("tensors.safetensors");
    let bytes = std::fs::read(&tp).unwrap();
    for cut in [0, 7, 8, 20, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&tp, &bytes[..cut]).unwrap();
        let e = load_err(&p);
        assert!(e.contains("tensors.safetensors"), "cut {cut}: {e}");
    }
    // a header that claims a gigantic size
    let mut lying = bytes.clone();
    lying[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&tp, &lying).unwrap();
    assert!(load_err(&p).contains("tensors.safetensors"));
    std::fs::write(&tp, &bytes).unwrap();
    assert!(checkpoint::load(&p).is_ok());
    std::fs::remove_file(p.join("vocab/item.tsv")).unwrap();
    assert!(load_err(&p).contains("item.tsv"));
    std::fs::remove_file(p.join("manifest.json")).unwrap();
    assert!(load_err(&p).contains("manifest.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn vocabulary_paths_cannot_escape_the_directory() {
    let (dir, p) = saved("escape");
    edit_manifest(&p, |v| {
        v["vocabularies"]["user"] = "../../etc/passwd".into()
    });
    assert!(load_err(&p).contains("leaves the model directory"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_save_leaves_the_previous_model_intact() {
    let (dir, p) = saved("intact");
    let before = checkpoint::load(&p).unwrap();
    // a vocabulary name that cannot become a file makes the save fail half-way through
    let mut bad = before.clone();
    bad.vocabs
        .insert("no/such/dir".into(), recsys::Vocab::from_keys(["k"]));
    bad.tables.get_mut(USER_EMBEDDING).unwrap().fill(7.0);
    assert!(checkpoint::save(&bad, &p).is_err());
    assert_eq!(checkpoint::load(&p).unwrap().tables, before.tables);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Directories saved at format version 2 (`tests/fixtures/format-v2/make.sh`, before the
/// hyper-parameters got one vocabulary of names) load, their parameters read typed under
/// today's names, they answer look-ups as their algorithm does, and saved again they are
/// version 3 with the same tensors.
#[test]
fn version_2_directories_load_with_todays_names() {
    use recsys::train::{Algorithm, ALGORITHMS};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v2");
    let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
    for algo in ALGORITHMS {
        let m = recsys::checkpoint::load(&root.join(algo)).unwrap();
        assert_eq!(m.algo, algo);
        for old in [
            "factors",
            "iterations",
            "learning_rate",
            "regularization",
            "reg_factors",
            "neg_exponent",
            "min_alpha",
            "scoring",
        ] {
            assert!(m.params.get(old).is_none(), "{algo}: {old} still there");
        }
        let a = Algorithm::from_saved(&m.algo, &m.params)
            .unwrap_or_else(|e| panic!("{algo}: {e}: {}", m.params));
        match &a {
            Algorithm::Als(p) => {
                assert_eq!((p.dim, p.epochs), (4, 2));
                assert!(close(p.reg, 0.5) && close(p.alpha, 2.0));
            }
            Algorithm::Mf(p) => {
                assert_eq!((p.dim, p.epochs), (4, 2));
                assert!(close(p.lr, 0.01) && close(p.reg, 0.03));
                assert_eq!(m.info.rating_range, Some([1.0, 5.0]));
                assert!(m.params.get("rating_min").is_none());
                assert!(m
                    .predict_rating(0, 0)
                    .is_some_and(|r| (1.0..=5.0).contains(&r)));
            }
            Algorithm::Bpr(p) => {
                assert_eq!((p.dim, p.epochs), (4, 2));
                assert!(close(p.lr, 0.07) && close(p.reg, 0.02));
                assert!((p.ns_exponent - 0.5).abs() < 1e-9);
            }
            Algorithm::Item2vec(p) => {
                assert_eq!((p.w2v.dim, p.w2v.epochs, p.history), (4, 2, 20));
                assert!(close(p.w2v.lr, 0.02) && close(p.w2v.min_lr, 0.0001));
            }
            Algorithm::Word2vec(p) => {
                assert_eq!((p.dim, p.epochs), (4, 2));
                assert!(close(p.lr, 0.03));
                assert!(m.info.lr_done.is_some() && !m.info.other.contains_key("alpha_done"));
            }
            Algorithm::Glove(p) => {
                assert_eq!((p.dim, p.epochs), (4, 2));
                assert!(close(p.lr, 0.04) && close(p.weight_exponent, 0.7));
            }
            Algorithm::Lsa(p) => assert_eq!(p.dim, 4),
            Algorithm::Itemknn(p) => assert_eq!(p.neighbours, 50),
            Algorithm::Dnn(p) => {
                assert_eq!((p.epochs, p.hidden.clone()), (1, vec![64, 32]));
                assert!(close(p.lr, 0.04));
            }
        }
        let l = recsys::similarity::Lookup::new(m.clone());
        match algo {
            "als" | "mf" | "bpr" | "item2vec" | "itemknn" => {
                let r = l.recommend("0", 3, &[]).unwrap();
                assert_eq!(r.len(), 3, "{algo}");
            }
            "dnn" => {
                let e = l.recommend("1", 3, &[]).unwrap_err().to_string();
                assert!(e.contains("network"), "{algo}: {e}");
            }
            _ => assert_eq!(l.similar_words("cat", 3).unwrap().len(), 3, "{algo}"),
        }
        let dir = common::tempdir(&format!("v2-{algo}"));
        let p = dir.join("again");
        recsys::checkpoint::save(&m, &p).unwrap();
        let text = std::fs::read_to_string(p.join("manifest.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["format_version"], 3, "{algo}");
        let back = recsys::checkpoint::load(&p).unwrap();
        assert_eq!(back.params, m.params, "{algo}");
        assert_eq!(back.tables, m.tables, "{algo}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

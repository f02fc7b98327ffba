//! The contract every trainer meets (after implicit's shared test mixin). A new trainer is
//! done when it is added to `trainers()` and passes every test here. Neighbourhood models
//! (item-KNN: a sparse item-item table, no embedding, no epochs, no random choices) take the
//! checks that apply to them: their table is the same at any thread count and seed, priors are
//! refused, and their neighbour scores need not be cosines.

mod common;

use recsys::data::{Catalog, Interactions};
use recsys::models::als::{Als, AlsParams};
use recsys::models::bpr::{Bpr, BprParams};
use recsys::models::itemknn::{ItemKnn, ItemKnnParams, Similarity};
use recsys::models::mf::{Mf, MfParams};
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::synth::{self, SynthConfig};
use recsys::transfer::TableInit;

fn trainers() -> Vec<Box<dyn Trainer>> {
    vec![
        Box::new(
            Als::new(AlsParams {
                factors: 16,
                iterations: 8,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(Mf::new(MfParams::default()).unwrap()),
        Box::new(Mf::new(MfParams::svdpp_default()).unwrap()),
        Box::new(
            Bpr::new(BprParams {
                factors: 16,
                ..Default::default()
            })
            .unwrap(),
        ),
        Box::new(
            Bpr::new(BprParams {
                factors: 16,
                ..BprParams::warp_default()
            })
            .unwrap(),
        ),
        Box::new(
            Bpr::new(BprParams {
                factors: 16,
                ..BprParams::defaults_for(false, true)
            })
            .unwrap(),
        ),
        Box::new(
            Bpr::new(BprParams {
                factors: 16,
                ..BprParams::defaults_for(true, true)
            })
            .unwrap(),
        ),
        Box::new(ItemKnn::new(ItemKnnParams::default()).unwrap()),
        Box::new(
            ItemKnn::new(ItemKnnParams {
                similarity: Similarity::Cosine,
                ..Default::default()
            })
            .unwrap(),
        ),
    ]
}

/// A neighbourhood model: a sparse item-item table and no embedding tables.
fn is_neighbourhood(m: &recsys::Model) -> bool {
    m.tables.is_empty() && m.neighbours.contains_key("item")
}

fn data() -> (Interactions, Catalog) {
    synth::generate(&SynthConfig {
        seed: 11,
        n_families: 20,
        n_standalone: 40,
        n_users: 300,
        families: None,
    })
    .to_dataset()
}

fn ctx(threads: usize) -> TrainContext {
    TrainContext {
        threads,
        seed: 5,
        progress: false,
        ..Default::default()
    }
}

#[test]
fn recommend_excludes_seen_items() {
    let (x, c) = data();
    for t in trainers() {
        let l = Lookup::new(t.fit(&x, Some(&c), &ctx(2)).unwrap());
        for u in 0..20u32 {
            let ukey = x.users.key(u as usize).unwrap();
            let seen: Vec<String> = (0..x.len())
                .filter(|&r| x.user[r] == u)
                .map(|r| x.items.key(x.item[r] as usize).unwrap().to_string())
                .collect();
            let recs = l.recommend(ukey, 10, &[]).unwrap();
            assert_eq!(recs.len(), 10, "{}", t.name());
            for h in &recs {
                assert!(
                    !seen.contains(&h.key),
                    "{}: user {ukey} got seen item {}",
                    t.name(),
                    h.key
                );
            }
            // an explicit exclusion is honoured too
            let first = recs[0].key.clone();
            let again = l.recommend(ukey, 10, std::slice::from_ref(&first)).unwrap();
            assert!(again.iter().all(|h| h.key != first));
            // scores are non-increasing
            assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
        }
    }
}

#[test]
fn query_is_not_its_own_neighbour_and_scores_are_cosines() {
    let (x, c) = data();
    for t in trainers() {
        let l = Lookup::new(t.fit(&x, Some(&c), &ctx(2)).unwrap());
        let bm25 = l.model().params["similarity"] == "bm25";
        for key in x.items.keys().iter().take(30) {
            let n = l.similar_items(key, 10).unwrap();
            assert_eq!(n.len(), 10);
            assert!(
                n.iter().all(|h| &h.key != key),
                "{}: {key} is its own neighbour",
                t.name()
            );
            assert!(n.windows(2).all(|w| w[0].score >= w[1].score));
            // BM25 neighbour scores are sums of weights, not cosines
            if !bm25 {
                assert!(n
                    .iter()
                    .all(|h| h.score <= 1.0 + 1e-5 && h.score >= -1.0 - 1e-5));
            }
        }
        let u = x.users.key(0).unwrap();
        assert!(l.similar_users(u, 5).unwrap().iter().all(|h| h.key != u));
    }
}

#[test]
fn save_load_round_trip_is_bit_identical() {
    let (x, c) = data();
    for t in trainers() {
        let m = t.fit(&x, Some(&c), &ctx(2)).unwrap();
        let dir = common::tempdir(&format!("conformance-rt-{}", t.name()));
        let p = dir.join("model");
        recsys::checkpoint::save(&m, &p).unwrap();
        let back = recsys::checkpoint::load(&p).unwrap();
        assert_eq!(back.algo, m.algo);
        assert_eq!(back.tables, m.tables, "{}", t.name());
        assert_eq!(back.vectors, m.vectors);
        assert_eq!(back.vocabs, m.vocabs);
        assert_eq!(back.item_info, m.item_info);
        assert_eq!(back.item_counts, m.item_counts);
        assert_eq!(back.seen, m.seen);
        assert_eq!(back.neighbours, m.neighbours, "{}", t.name());
        assert_eq!(back.epochs, m.epochs);
        assert_eq!(back.params, m.params);
        // saving again over it replaces it atomically and loads the same
        recsys::checkpoint::save(&back, &p).unwrap();
        assert_eq!(recsys::checkpoint::load(&p).unwrap().tables, m.tables);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            1,
            "no temporary directories left: {leftovers:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn single_thread_runs_are_bit_reproducible() {
    let (x, c) = data();
    for t in trainers() {
        let a = t.fit(&x, Some(&c), &ctx(1)).unwrap();
        let b = t.fit(&x, Some(&c), &ctx(1)).unwrap();
        assert_eq!(a.tables, b.tables, "{}", t.name());
        if is_neighbourhood(&a) {
            // no random choice: the same table at any seed and thread count
            let c2 = t
                .fit(&x, Some(&c), &TrainContext { seed: 6, ..ctx(2) })
                .unwrap();
            assert_eq!(a.neighbours, c2.neighbours, "{}", t.name());
            assert!(!a.neighbours["item"].indices.is_empty());
            continue;
        }
        let other = t
            .fit(&x, Some(&c), &TrainContext { seed: 6, ..ctx(1) })
            .unwrap();
        assert_ne!(a.tables, other.tables, "{}: the seed must matter", t.name());
    }
}

#[test]
fn training_logs_epochs_and_learns_structure() {
    let (x, c) = data();
    for t in trainers() {
        let m = t.fit(&x, Some(&c), &ctx(2)).unwrap();
        // a neighbourhood model is computed in one pass: no epochs, no loss
        if !is_neighbourhood(&m) {
            assert!(!m.epochs.is_empty());
            assert!(m.epochs.iter().all(|e| e.loss.is_finite()));
            assert!(
                m.epochs.last().unwrap().loss <= m.epochs[0].loss,
                "{}: loss must not grow",
                t.name()
            );
        }
        assert!(m.tables.values().all(|t| t.iter().all(|v| v.is_finite())));
        // planted structure: item "1" opens the first family; its nearest neighbour is a sequel.
        // Implicit-feedback trainers model who watched what together; explicit MF models
        // rating deviations only, so its structure test is the planted low-rank recovery in
        // `models::mf::tests`.
        if t.name() == "mf" {
            continue;
        }
        let l = Lookup::new(m);
        let hits = l.similar_items("1", 1).unwrap();
        let first = l.model().vocab("item").unwrap().get("1").unwrap() as usize;
        let stem = recsys::titles::normalize(l.title(first).unwrap());
        let top = recsys::titles::normalize(hits[0].title.as_deref().unwrap());
        assert!(top.starts_with(&stem), "{}: {stem} → {top}", t.name());
    }
}

#[test]
fn frozen_prior_rows_stay_bit_identical_and_others_train() {
    let (x, c) = data();
    for t in trainers() {
        let plain = t.fit(&x, Some(&c), &ctx(2)).unwrap();
        if is_neighbourhood(&plain) {
            // no table to start from a prior: refused, not ignored
            let mut c2 = ctx(2);
            c2.inits.insert(
                "item/embedding".into(),
                TableInit {
                    table: "item/embedding".into(),
                    keys: recsys::Vocab::from_keys(["1"]),
                    vectors: ndarray::Array2::zeros((1, 4)),
                    freeze: true,
                    source: "prior".into(),
                },
            );
            let e = t.fit(&x, Some(&c), &c2).unwrap_err().to_string();
            assert!(e.contains("has no table 'item/embedding'"), "{e}");
            continue;
        }
        let dim = plain.tables["item/embedding"].ncols();
        // A prior holding every other item and two keys the data does not have.
        let mut keys: Vec<String> = x.items.keys().iter().step_by(2).cloned().collect();
        keys.push("not-an-item".into());
        keys.push("also-missing".into());
        let prior =
            recsys::embedding::Initializer::Uniform { scale: 0.3 }.table(keys.len(), dim, 99);
        let init = TableInit {
            table: "item/embedding".into(),
            keys: recsys::Vocab::from_keys(keys.clone()),
            vectors: prior.clone(),
            freeze: true,
            source: "prior".into(),
        };
        let mut c2 = ctx(2);
        c2.inits.insert("item/embedding".into(), init);
        if plain.params["item_features"] == "genres" {
            // Hybrid item vectors are id + genre sums: a frozen id row would not keep the saved
            // vector fixed, so the hybrid refuses item priors instead of pretending.
            let e = t.fit(&x, Some(&c), &c2).unwrap_err().to_string();
            assert!(e.contains("has no table 'item/embedding'"), "{e}");
            continue;
        }
        let m = t.fit(&x, Some(&c), &c2).unwrap();
        let items = &m.tables["item/embedding"];
        for (pr, key) in keys.iter().enumerate() {
            if let Some(r) = x.items.get(key) {
                let got: Vec<u32> = items.row(r as usize).iter().map(|v| v.to_bits()).collect();
                let want: Vec<u32> = prior.row(pr).iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "{}: frozen row of {key} changed", t.name());
            }
        }
        let report = &m.info["init"][0];
        assert_eq!(report["matched"], keys.len() - 2, "{}", t.name());
        assert_eq!(report["unmatched"], x.items.len() - (keys.len() - 2));
        // fine-tuned (not frozen), the same prior rows move
        let mut c_ft = ctx(2);
        c_ft.inits.insert(
            "item/embedding".into(),
            TableInit {
                table: "item/embedding".into(),
                keys: recsys::Vocab::from_keys(keys.clone()),
                vectors: prior.clone(),
                freeze: false,
                source: "prior".into(),
            },
        );
        let ft = t.fit(&x, Some(&c), &c_ft).unwrap();
        let r0 = x.items.get(&keys[0]).unwrap() as usize;
        assert_ne!(
            ft.tables["item/embedding"].row(r0),
            prior.row(0),
            "{}: fine-tuned row did not move",
            t.name()
        );
        // a width mismatch is an error, not a silent resize
        let mut c3 = ctx(2);
        c3.inits.insert(
            "item/embedding".into(),
            TableInit {
                table: "item/embedding".into(),
                keys: recsys::Vocab::from_keys(["1"]),
                vectors: ndarray::Array2::zeros((1, dim + 1)),
                freeze: false,
                source: "prior".into(),
            },
        );
        assert!(t
            .fit(&x, Some(&c), &c3)
            .unwrap_err()
            .to_string()
            .contains("dimension"));
    }
}

//! Users the model has not seen (fold-in, as implicit's `recalculate_user`): folding in a
//! training user's own items reproduces the recommendations of the row training gave them.

use recsys::data::Interactions;
use recsys::models::als::{Als, AlsParams};
use recsys::models::item2vec::{Item2Vec, Item2VecParams};
use recsys::models::itemknn::ItemKnn;
use recsys::models::weighting::Weighting;
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::synth::{self, SynthConfig};

fn data() -> Interactions {
    synth::generate(&SynthConfig {
        seed: 3,
        n_families: 20,
        n_standalone: 40,
        n_users: 300,
        families: None,
    })
    .to_dataset()
    .0
}

/// Each user's items, oldest first (the order item2vec reads a history in).
fn history(x: &Interactions, u: u32) -> Vec<String> {
    let mut rows: Vec<usize> = (0..x.len()).filter(|&r| x.user[r] == u).collect();
    rows.sort_by_key(|&r| (x.timestamp[r], r));
    let mut keys: Vec<String> = Vec::new();
    for r in rows {
        let k = x.items.key(x.item[r] as usize).unwrap().to_string();
        keys.retain(|o| o != &k);
        keys.push(k);
    }
    keys
}

fn keys(h: &[recsys::similarity::Hit]) -> Vec<String> {
    h.iter().map(|x| x.key.clone()).collect()
}

/// Overlap of the two top-10 lists for the first 40 users: (smallest, mean).
fn agreement(l: &Lookup, x: &Interactions) -> (usize, f64) {
    let mut worst = 10;
    let mut total = 0;
    for u in 0..40u32 {
        let key = x.users.key(u as usize).unwrap();
        let trained = keys(&l.recommend(key, 10, &[]).unwrap());
        let folded = keys(&l.recommend_for_items(&history(x, u), 10, &[]).unwrap());
        let common = folded.iter().filter(|k| trained.contains(k)).count();
        worst = worst.min(common);
        total += common;
    }
    (worst, total as f64 / 40.0)
}

#[test]
fn als_fold_in_matches_the_trained_rows_within_solver_tolerance() {
    let x = data();
    for weighting in [Weighting::None, Weighting::bm25()] {
        let als = Als::new(AlsParams {
            dim: 16,
            epochs: 15,
            weighting,
            ..Default::default()
        })
        .unwrap();
        let ctx = TrainContext {
            threads: 1,
            ..Default::default()
        };
        let l = Lookup::new(als.fit(&x, None, &ctx).unwrap());
        let (worst, mean) = agreement(&l, &x);
        // the trained row was solved by 3 CG steps against the previous item factors; the
        // fold-in solves to convergence against the final ones
        assert!(
            worst >= 8 && mean >= 9.5,
            "{weighting:?}: worst {worst}, mean {mean}"
        );
        // no known item: an error, not an empty list
        assert!(l
            .recommend_for_items(&["nope".to_string()], 10, &[])
            .is_err());
    }
}

#[test]
fn itemknn_and_item2vec_fold_in_is_exact() {
    let x = data();
    let ctx = TrainContext {
        threads: 1,
        ..Default::default()
    };
    let knn = Lookup::new(ItemKnn::default().fit(&x, None, &ctx).unwrap());
    assert_eq!(agreement(&knn, &x), (10, 10.0));
    let i2v = Item2Vec::new(Item2VecParams {
        history: 5,
        ..Default::default()
    })
    .unwrap();
    let l = Lookup::new(i2v.fit(&x, None, &ctx).unwrap());
    assert_eq!(agreement(&l, &x), (10, 10.0));
}

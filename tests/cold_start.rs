//! Hybrid BPR (genre features) gives items without any training interaction useful vectors:
//! held-out "cold" items are ranked for the users who rated them far better than chance,
//! and better than plain BPR, whose cold items keep random vectors.

mod common;

use recsys::data::{read_interactions, Catalog, ReadOptions};
use recsys::models::bpr::{Bpr, BprParams};
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::Vocab;

/// Mean over held-out (user, cold item) events of the share of cold items scored above it
/// (0 = always first, 0.5 = chance).
fn mean_percentile(l: &Lookup, held: &[(usize, usize)], cold: &[usize]) -> f64 {
    let mut total = 0.0;
    for &(u, i) in held {
        let s = l.user_scores(u).unwrap();
        let above = cold.iter().filter(|&&c| c != i && s[c] > s[i]).count();
        total += above as f64 / (cold.len() - 1) as f64;
    }
    total / held.len() as f64
}

#[test]
fn cold_items_ranked_by_their_genres() {
    let d = common::datasets().join("movielens-100k");
    let x = read_interactions(
        &d.join("u.data"),
        &ReadOptions::default(),
        Vocab::new(),
        Vocab::new(),
    )
    .unwrap();
    let catalog = Catalog::read(&d.join("u.item")).unwrap();
    let is_cold = |i: u32| x.items.key(i as usize).unwrap().parse::<u32>().unwrap() % 10 == 0;
    let train_rows: Vec<usize> = (0..x.len()).filter(|&r| !is_cold(x.item[r])).collect();
    let held: Vec<(usize, usize)> = (0..x.len())
        .filter(|&r| is_cold(x.item[r]))
        .map(|r| (x.user[r] as usize, x.item[r] as usize))
        .collect();
    let cold: Vec<usize> = (0..x.items.len() as u32)
        .filter(|&i| is_cold(i))
        .map(|i| i as usize)
        .collect();
    let train = x.select(&train_rows);
    assert!(cold.len() > 150 && held.len() > 5000);
    let ctx = TrainContext {
        threads: 2,
        ..Default::default()
    };
    let params = BprParams {
        epochs: 40,
        ..Default::default()
    };
    let hybrid = Bpr::new(BprParams {
        epochs: 40,
        ..BprParams::defaults_for(false, true)
    })
    .unwrap()
    .fit(&train, Some(&catalog), &ctx)
    .unwrap();
    assert!(hybrid.tables.contains_key("genre/embedding"));
    assert_eq!(hybrid.vocab("genre").unwrap().len(), 19);
    let warp = Bpr::new(BprParams {
        epochs: 40,
        ..BprParams::defaults_for(true, true)
    })
    .unwrap()
    .fit(&train, Some(&catalog), &ctx)
    .unwrap();
    let plain = Bpr::new(params)
        .unwrap()
        .fit(&train, Some(&catalog), &ctx)
        .unwrap();
    let h = mean_percentile(&Lookup::new(hybrid), &held, &cold);
    let p = mean_percentile(&Lookup::new(plain), &held, &cold);
    let w = mean_percentile(&Lookup::new(warp), &held, &cold);
    eprintln!(
        "mean percentile of held-out cold items: hybrid {h:.3}, hybrid warp {w:.3}, plain {p:.3}"
    );
    assert!(h < 0.40, "hybrid {h}");
    assert!(h < p - 0.05, "hybrid {h} vs plain {p}");
    assert!(w < 0.45 && w < p - 0.05, "hybrid warp {w} vs plain {p}");
}

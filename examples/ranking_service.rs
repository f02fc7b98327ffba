//! A ranking service's use of recsys: open a model directory once, then answer look-ups from
//! many threads — neighbours of an item, recommendations for a user with an exclusion set,
//! and re-scoring a candidate list.
//!
//! ```text
//! recsys train datasets/synthetic/movies.csv --model /tmp/recsys-example
//! cargo run --release --example ranking_service -- /tmp/recsys-example
//! ```

use std::sync::Arc;

use recsys::similarity::Lookup;

fn main() -> recsys::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "recsys-model".into());
    let lookup = Arc::new(Lookup::open(dir.as_ref())?);
    let users: Vec<String> = lookup
        .model()
        .vocab("user")
        .map(|v| v.keys().iter().take(4).cloned().collect())
        .unwrap_or_default();
    // One request per thread, sharing the same read-only handle.
    let handles: Vec<_> = users
        .into_iter()
        .map(|user| {
            let l = Arc::clone(&lookup);
            std::thread::spawn(move || -> recsys::Result<String> {
                let recs = l.recommend(&user, 3, &[])?;
                let first = recs.first().map(|h| h.key.clone()).unwrap_or_default();
                let similar = l.similar_items(&first, 3)?;
                // Re-rank a candidate list by the user's scores (computed for these only).
                let keys: Vec<String> = similar.iter().map(|h| h.key.clone()).collect();
                let scores = l.score_items(&user, &keys)?;
                let mut candidates: Vec<(String, f32)> = keys
                    .into_iter()
                    .zip(scores)
                    .filter_map(|(k, s)| Some((k, s?)))
                    .collect();
                candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
                Ok(format!(
                    "user {user}: top {:?}; like {first}: {:?}; re-ranked {:?}",
                    recs.iter()
                        .map(|h| h.title.clone().unwrap_or_else(|| h.key.clone()))
                        .collect::<Vec<_>>(),
                    similar.iter().map(|h| h.key.as_str()).collect::<Vec<_>>(),
                    candidates.iter().map(|c| c.0.as_str()).collect::<Vec<_>>()
                ))
            })
        })
        .collect();
    for h in handles {
        match h.join() {
            Ok(r) => println!("{}", r?),
            Err(_) => eprintln!("a request thread panicked"),
        }
    }
    Ok(())
}

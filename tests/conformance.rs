//! The contract every trainer meets (after implicit's shared test mixin). A new trainer is
//! done when it is added to `trainers()` and passes every test here. Neighbourhood models
//! (item-KNN: a sparse item-item table, no embedding, no epochs, no random choices) take the
//! checks that apply to them: their table is the same at any thread count and seed, priors are
//! refused, and their neighbour scores need not be cosines.

mod common;

use recsys::data::{Catalog, Interactions};
use recsys::models::als::AlsParams;
use recsys::models::bpr::BprParams;
use recsys::models::item2vec::Item2VecParams;
use recsys::models::itemknn::{ItemKnnParams, Similarity};
use recsys::models::mf::MfParams;
use recsys::models::word2vec::Word2VecParams;
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::Lookup;
use recsys::synth::{self, SynthConfig};
use recsys::train::Algorithm;
use recsys::transfer::TableInit;

/// The suite's entries: every algorithm of the registry (`recsys::train::ALGORITHMS`) that
/// trains on interactions, with its variants (SVD++, WARP, the hybrid, cosine item-KNN), at
/// widths small enough for a 300-user data set. Text-only algorithms are in `text_entries`.
fn entries() -> Vec<Algorithm> {
    vec![
        Algorithm::Als(AlsParams {
            dim: 16,
            epochs: 8,
            ..Default::default()
        }),
        Algorithm::Mf(MfParams::default()),
        Algorithm::Mf(MfParams::svdpp_default()),
        Algorithm::Bpr(BprParams {
            dim: 16,
            ..Default::default()
        }),
        Algorithm::Bpr(BprParams {
            dim: 16,
            ..BprParams::warp_default()
        }),
        Algorithm::Bpr(BprParams {
            dim: 16,
            ..BprParams::defaults_for(false, true)
        }),
        Algorithm::Bpr(BprParams {
            dim: 16,
            ..BprParams::defaults_for(true, true)
        }),
        Algorithm::Item2vec(item2vec_params()),
        Algorithm::Itemknn(ItemKnnParams::default()),
        Algorithm::Itemknn(ItemKnnParams {
            similarity: Similarity::Cosine,
            ..Default::default()
        }),
    ]
}

/// item2vec at the settings the suite trains it with: the synthetic users' histories are
/// long for item2vec's default window, so a window that spans them and more epochs.
fn item2vec_params() -> Item2VecParams {
    let d = Item2VecParams::default();
    Item2VecParams {
        w2v: Word2VecParams { dim: 16, ..d.w2v },
        ..d
    }
}

fn trainers() -> Vec<Box<dyn Trainer>> {
    entries()
        .iter()
        .map(|a| a.trainer().unwrap().expect("an interaction trainer"))
        .collect()
}

/// Adding an algorithm to the registry without a conformance entry fails here; so does a
/// trainer that `recsys train --help` lists and the registry does not know.
#[test]
fn every_registered_algorithm_is_under_conformance() {
    let covered: std::collections::BTreeSet<&str> = entries()
        .iter()
        .chain(text_entries().iter())
        .chain(schema_entries().iter())
        .map(Algorithm::name)
        .collect();
    for name in recsys::train::ALGORITHMS {
        assert!(covered.contains(name), "{name} has no conformance entry");
    }
    let help = common::recsys(&["train", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    // the possible values listed under `--algo`, up to the next flag
    let algo = help
        .split("--algo")
        .nth(1)
        .and_then(|s| s.split("\n      --").next())
        .unwrap_or_default();
    let listed: Vec<&str> = algo
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter_map(|l| l.split(':').next())
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    assert!(listed.contains(&"als") && listed.contains(&"lsa"), "{help}");
    for name in &listed {
        assert!(
            covered.contains(name),
            "`train --help` lists {name}, conformance does not"
        );
    }
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

/// ARCHITECTURE's determinism claims: ALS (each row solve reads only the other side) and
/// item-KNN give the same tables at any thread count; MF, SVD++, BPR/WARP and the hybrid
/// repeat for a seed and thread count (blocks of one stratum share no rows). item2vec shares
/// weights Hogwild between workers, so only its one-thread runs repeat (above).
#[test]
fn runs_repeat_at_a_thread_count_and_als_at_any() {
    let (x, c) = data();
    for t in trainers() {
        if t.name() == "item2vec" {
            continue;
        }
        let a = t.fit(&x, Some(&c), &ctx(2)).unwrap();
        let b = t.fit(&x, Some(&c), &ctx(2)).unwrap();
        assert_eq!(a.tables, b.tables, "{}: two 2-thread runs differ", t.name());
        assert_eq!(a.vectors, b.vectors, "{}", t.name());
        if matches!(t.name(), "als" | "itemknn") {
            for threads in [1, 3] {
                let o = t.fit(&x, Some(&c), &ctx(threads)).unwrap();
                assert_eq!(
                    a.tables,
                    o.tables,
                    "{}: 2 and {threads} threads differ",
                    t.name()
                );
                assert_eq!(a.neighbours, o.neighbours, "{}", t.name());
            }
        }
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
        // item2vec needs more users than this set's 300 (median history 14, 97 items): here
        // its top neighbours are near chance for every setting tried (window 5–1000, 20–40
        // epochs, with and without subsampling); its structure test runs on the shipped
        // synthetic data (`tests/word2vec.rs`, item2vec_on_the_synthetic_data_finds_film_families).
        if t.name() == "item2vec" {
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
                    rows_without_key: 0,
                    keys_without_row: 0,
                    repeated_keys: 0,
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
            rows_without_key: 0,
            keys_without_row: 0,
            repeated_keys: 0,
        };
        let mut c2 = ctx(2);
        c2.inits.insert("item/embedding".into(), init);
        if plain.params["item_features"] == true {
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
        let report = &m.info.init[0];
        assert_eq!(report.matched, keys.len() - 2, "{}", t.name());
        assert_eq!(report.unmatched, x.items.len() - (keys.len() - 2));
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
                rows_without_key: 0,
                keys_without_row: 0,
                repeated_keys: 0,
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
                rows_without_key: 0,
                keys_without_row: 0,
                repeated_keys: 0,
            },
        );
        assert!(t
            .fit(&x, Some(&c), &c3)
            .unwrap_err()
            .to_string()
            .contains("dimension"));
    }
}

// ---- trainers over text: word2vec, GloVe, LSA, and item2vec on sessions ----

/// Text entries: word vectors over a sentence corpus, item2vec over a sessions file.
fn text_entries() -> Vec<Algorithm> {
    let w2v = Word2VecParams {
        dim: 16,
        min_count: 1,
        epochs: 3,
        ..Default::default()
    };
    vec![
        Algorithm::Word2vec(w2v.clone()),
        Algorithm::Glove(recsys::models::glove::GloveParams {
            dim: 16,
            min_count: 1,
            epochs: 5,
            ..Default::default()
        }),
        Algorithm::Lsa(recsys::models::lsa::LsaParams {
            dim: 16,
            min_count: 1,
            ..Default::default()
        }),
        Algorithm::Item2vec(Item2VecParams {
            w2v,
            ..Default::default()
        }),
    ]
}

/// The synthetic users' histories as text: one line per user, items as letter words.
fn corpus() -> (
    common::TempDir,
    recsys::text::TextFiles,
    recsys::text::TextFiles,
) {
    let (x, _) = data();
    let mut lines = vec![Vec::new(); x.users.len()];
    for r in 0..x.len() {
        lines[x.user[r] as usize].push(common::letters(x.item[r] as usize));
    }
    let text: String = lines.iter().map(|l| l.join(" ") + "\n").collect();
    let dir = common::tempdir("conformance-text");
    let p = dir.join("corpus.txt");
    std::fs::write(&p, text).unwrap();
    let files = |tokenizer| recsys::text::TextFiles {
        paths: vec![p.clone()],
        tokenizer,
    };
    let (w, s) = (
        files(recsys::tokenize::Tokenizer::Words),
        files(recsys::tokenize::Tokenizer::Whitespace),
    );
    (dir, w, s)
}

fn fit_text(
    a: &Algorithm,
    words: &recsys::text::TextFiles,
    sessions: &recsys::text::TextFiles,
    ctx: &TrainContext,
) -> recsys::Model {
    let files = if a.text_only() { words } else { sessions };
    let job = recsys::train::Job::new(a.clone());
    recsys::train::train(
        &job,
        recsys::train::Input::Text(files),
        ctx,
        &mut |_| Ok(()),
    )
    .unwrap()
}

#[test]
fn text_trainers_meet_the_contract() {
    let (_dir, words, sessions) = corpus();
    for a in text_entries() {
        let name = a.name();
        let m = fit_text(&a, &words, &sessions, &ctx(1));
        // single-thread runs are bit-reproducible, and the seed matters (LSA: a seeded
        // randomized SVD)
        let again = fit_text(&a, &words, &sessions, &ctx(1));
        assert_eq!(m.tables, again.tables, "{name}");
        assert_eq!(m.vocabs, again.vocabs, "{name}");
        let other = fit_text(&a, &words, &sessions, &TrainContext { seed: 6, ..ctx(1) });
        assert_ne!(m.tables, other.tables, "{name}: the seed must matter");
        // the loss is logged, finite and falls (LSA is one factorisation: no epochs)
        if name == "lsa" {
            assert_eq!(m.epochs.len(), 1, "{name}");
            assert!(m.epochs[0].loss.is_finite());
        } else {
            assert!(m.epochs.len() >= 3, "{name}");
            assert!(m.epochs.iter().all(|e| e.loss.is_finite() && e.loss > 0.0));
            assert!(
                m.epochs.last().unwrap().loss < m.epochs[0].loss,
                "{name}: loss must fall: {:?}",
                m.epochs.iter().map(|e| e.loss).collect::<Vec<_>>()
            );
        }
        assert!(m.tables.values().all(|t| t.iter().all(|v| v.is_finite())));
        // save/load is bit-identical
        let dir = common::tempdir(&format!("conformance-text-rt-{name}"));
        let p = dir.join("model");
        recsys::checkpoint::save(&m, &p).unwrap();
        let back = recsys::checkpoint::load(&p).unwrap();
        assert_eq!(back.tables, m.tables, "{name}");
        assert_eq!(back.vocabs, m.vocabs, "{name}");
        assert_eq!(back.epochs, m.epochs, "{name}");
        assert_eq!(back.params, m.params, "{name}");
        // a query is not its own neighbour; scores are cosines, best first
        let l = Lookup::new(back);
        let (vocab, by_word) = match l.model().vocab("word") {
            Some(v) => (v.clone(), true),
            None => (l.model().vocab("item").unwrap().clone(), false),
        };
        for key in vocab.keys().iter().take(30) {
            let n = if by_word {
                l.similar_words(key, 10).unwrap()
            } else {
                l.similar_items(key, 10).unwrap()
            };
            assert_eq!(n.len(), 10, "{name}");
            assert!(
                n.iter().all(|h| &h.key != key),
                "{name}: {key} is its own neighbour"
            );
            assert!(n.windows(2).all(|w| w[0].score >= w[1].score));
            assert!(n.iter().all(|h| h.score.abs() <= 1.0 + 1e-5));
        }
    }
}

/// The DNN's entries: it trains on a schema's joined files (the shipped synthetic films with
/// `schemas/movielens-latest.toml`), so it has its own input and its own test below.
fn schema_entries() -> Vec<Algorithm> {
    vec![Algorithm::Dnn(recsys::models::dnn::DnnParams {
        epochs: 3,
        ..Default::default()
    })]
}

fn fit_schema(a: &Algorithm, ctx: &TrainContext) -> recsys::Model {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema =
        recsys::features::Schema::load(&root.join("schemas/movielens-latest.toml")).unwrap();
    let input = recsys::train::Input::Schema {
        schema: &schema,
        data: &root.join("datasets/synthetic"),
    };
    recsys::train::train(&recsys::train::Job::new(a.clone()), input, ctx, &mut |_| {
        Ok(())
    })
    .unwrap()
}

/// The contract for a network over feature columns: runs repeat bit for bit at one thread and
/// at two (shards' gradients summed in order), the seed matters, the loss is logged and falls,
/// save/load is bit-identical, and its item table answers `similar` without the query. (Frozen
/// prior rows: `tests/dnn.rs`; it does not recommend, so no seen-items check.)
#[test]
fn schema_trainers_meet_the_contract() {
    for a in schema_entries() {
        let name = a.name();
        let m = fit_schema(&a, &ctx(1));
        assert_eq!(
            m.tables,
            fit_schema(&a, &ctx(1)).tables,
            "{name}: one thread"
        );
        let two = fit_schema(&a, &ctx(2));
        assert_eq!(
            two.tables,
            fit_schema(&a, &ctx(2)).tables,
            "{name}: two threads"
        );
        let other = fit_schema(&a, &TrainContext { seed: 6, ..ctx(1) });
        assert_ne!(m.tables, other.tables, "{name}: the seed must matter");
        assert_eq!(m.epochs.len(), 3, "{name}");
        assert!(m.epochs.iter().all(|e| e.loss.is_finite() && e.loss > 0.0));
        assert!(
            m.epochs.last().unwrap().loss < m.epochs[0].loss,
            "{name}: loss must fall: {:?}",
            m.epochs.iter().map(|e| e.loss).collect::<Vec<_>>()
        );
        let dir = common::tempdir(&format!("conformance-schema-rt-{name}"));
        let p = dir.join("model");
        recsys::checkpoint::save(&m, &p).unwrap();
        let back = recsys::checkpoint::load(&p).unwrap();
        assert_eq!(back.tables, m.tables, "{name}");
        assert_eq!(back.vectors, m.vectors, "{name}");
        assert_eq!(back.vocabs, m.vocabs, "{name}");
        assert_eq!(back.epochs, m.epochs, "{name}");
        assert_eq!(back.params, m.params, "{name}");
        let l = Lookup::new(back);
        let items = l.model().vocab("item").unwrap().clone();
        for key in items.keys().iter().take(30) {
            let n = l.similar_items(key, 10).unwrap();
            assert_eq!(n.len(), 10, "{name}");
            assert!(
                n.iter().all(|h| &h.key != key),
                "{name}: {key} is its own neighbour"
            );
            assert!(n.windows(2).all(|w| w[0].score >= w[1].score));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

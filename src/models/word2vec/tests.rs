use super::*;
use rand::seq::IndexedRandom;
use rand::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Two planted topics: sentences draw words from one topic only, so words of a topic share
/// contexts and words of different topics never co-occur.
fn topics(sentences: usize, seed: u64) -> Sentences {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let a: Vec<String> = (0..12).map(|i| format!("a{i}")).collect();
    let b: Vec<String> = (0..12).map(|i| format!("b{i}")).collect();
    Sentences(
        (0..sentences)
            .map(|s| {
                let topic = if s % 2 == 0 { &a } else { &b };
                (0..10)
                    .map(|_| topic.choose(&mut rng).cloned().unwrap_or_default())
                    .collect()
            })
            .collect(),
    )
}

fn cos(x: ndarray::ArrayView1<'_, f32>, y: ndarray::ArrayView1<'_, f32>) -> f32 {
    x.dot(&y) / (x.dot(&x).sqrt() * y.dot(&y).sqrt() + 1e-12)
}

/// Mean cosine within topics minus mean cosine across topics.
pub(crate) fn separation(m: &crate::model::Model) -> f32 {
    let v = m.vocab("word").unwrap();
    let t = m.table(WORD_EMBEDDING).unwrap();
    let (mut within, mut nw, mut across, mut na) = (0.0, 0, 0.0, 0);
    for i in 0..v.len() {
        for j in i + 1..v.len() {
            let c = cos(t.row(i), t.row(j));
            if v.key(i).unwrap()[..1] == v.key(j).unwrap()[..1] {
                within += c;
                nw += 1;
            } else {
                across += c;
                na += 1;
            }
        }
    }
    within / nw as f32 - across / na as f32
}

fn ctx1(seed: u64) -> TrainContext {
    TrainContext {
        threads: 1,
        seed,
        ..Default::default()
    }
}

fn small(arch: Arch, negative: usize, hs: bool) -> Word2VecParams {
    Word2VecParams {
        dim: 16,
        arch,
        negative,
        hs,
        window: 3,
        min_count: 1,
        sample: 0.0,
        epochs: 5,
        ..Default::default()
    }
}

#[test]
fn words_sharing_contexts_end_up_nearer_in_every_mode() {
    let corpus = topics(600, 1);
    let mut skip_gram_ns = Vec::new();
    for (arch, neg, hs, batched) in [
        (Arch::SkipGram, 5, false, true),
        (Arch::SkipGram, 5, false, false),
        (Arch::Cbow, 5, false, true),
        (Arch::SkipGram, 0, true, true),
        (Arch::SkipGram, 0, true, false),
        (Arch::Cbow, 0, true, true),
        (Arch::SkipGram, 3, true, true),
    ] {
        let p = Word2VecParams {
            batched,
            ..small(arch, neg, hs)
        };
        let m = Word2Vec::new(p).unwrap().fit(&corpus, &ctx1(3)).unwrap();
        let mode = format!("{arch:?} neg {neg} hs {hs} batched {batched}");
        let sep = separation(&m);
        assert!(sep > 0.3, "{mode}: separation {sep}");
        let first = m.epochs.first().unwrap().loss;
        let last = m.epochs.last().unwrap().loss;
        assert!(last < first, "{mode}: loss {first} → {last}");
        if arch == Arch::SkipGram && neg == 5 {
            skip_gram_ns.push(m.table(WORD_EMBEDDING).unwrap().to_owned());
        }
    }
    // the batched window and word2vec.c's pair-by-pair order are two different trainings
    assert_ne!(skip_gram_ns[0], skip_gram_ns[1]);
}

#[test]
fn one_thread_is_bit_reproducible_and_threads_still_learn() {
    let corpus = topics(300, 2);
    let w = Word2Vec::new(small(Arch::SkipGram, 5, false)).unwrap();
    let a = w.fit(&corpus, &ctx1(9)).unwrap();
    let b = w.fit(&corpus, &ctx1(9)).unwrap();
    assert_eq!(a.table(WORD_EMBEDDING), b.table(WORD_EMBEDDING));
    let c = w.fit(&corpus, &ctx1(10)).unwrap();
    assert_ne!(a.table(WORD_EMBEDDING), c.table(WORD_EMBEDDING));
    let ctx = TrainContext {
        threads: 2,
        ..ctx1(9)
    };
    assert!(separation(&w.fit(&corpus, &ctx).unwrap()) > 0.3);
}

#[test]
fn frozen_rows_stay_bit_identical() {
    let corpus = topics(200, 4);
    let prior_keys = ["a0", "b5"];
    let prior = Array2::from_shape_fn((2, 16), |(i, j)| (i * 16 + j) as f32 * 0.01);
    let mut ctx = ctx1(5);
    ctx.inits.insert(
        WORD_EMBEDDING.into(),
        crate::transfer::TableInit {
            table: WORD_EMBEDDING.into(),
            keys: Vocab::from_keys(prior_keys),
            vectors: prior.clone(),
            freeze: true,
            source: "test".into(),
            rows_without_key: 0,
            keys_without_row: 0,
            repeated_keys: 0,
        },
    );
    let m = Word2Vec::new(small(Arch::Cbow, 5, false))
        .unwrap()
        .fit(&corpus, &ctx)
        .unwrap();
    let v = m.vocab("word").unwrap();
    let t = m.table(WORD_EMBEDDING).unwrap();
    for (r, k) in prior_keys.iter().enumerate() {
        let i = v.get(k).unwrap() as usize;
        assert_eq!(t.row(i), prior.row(r), "{k}");
    }
    // and the others moved
    let other = v.get("a1").unwrap() as usize;
    assert!(t.row(other).iter().any(|x| x.abs() > 0.1));
}

#[test]
fn bad_parameters_and_empty_corpora_are_errors() {
    let bad = Word2VecParams {
        negative: 0,
        hs: false,
        ..Default::default()
    };
    assert!(Word2Vec::new(bad).is_err());
    let w = Word2Vec::default();
    let e = w
        .fit(&Sentences::from_lines(&["a b", "c"]), &ctx1(1))
        .unwrap_err();
    assert!(e.to_string().contains("min_count"), "{e}");
}

/// Keeping the encoded corpus between epochs changes nothing but the speed: with one thread
/// the tables are bit-identical to reading the corpus every epoch (skip-gram + NS, CBOW + HS).
#[test]
fn the_corpus_cache_trains_the_same_chunks() {
    let corpus = topics(300, 8);
    for (arch, neg, hs) in [(Arch::SkipGram, 5, false), (Arch::Cbow, 0, true)] {
        let w = Word2Vec::new(Word2VecParams {
            epochs: 3,
            ..small(arch, neg, hs)
        })
        .unwrap();
        let streamed = w
            .fit(
                &corpus,
                &TrainContext {
                    cache_mb: 0,
                    ..ctx1(4)
                },
            )
            .unwrap();
        let cached = w.fit(&corpus, &ctx1(4)).unwrap();
        for t in [WORD_EMBEDDING, WORD_CONTEXT, WORD_HS] {
            assert_eq!(cached.table(t), streamed.table(t), "{t}");
        }
        let losses = |m: &crate::model::Model| m.epochs.iter().map(|e| e.loss).collect::<Vec<_>>();
        assert_eq!(losses(&cached), losses(&streamed));
    }
}

/// A corpus with rare words (dropped by `min_count`) and sentences longer than a chunk, which
/// are split: the chunks the vocabulary pass packs are the chunks the first epoch reads.
fn ragged(seed: u64) -> Sentences {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let lens = [3, 25_000, 1, 0, 9_999, 10_000, 10_001, 7, 40];
    Sentences(
        lens.iter()
            .map(|&n| {
                (0..n)
                    .map(|_| format!("w{}", rng.random_range(0..60u32).pow(2) / 40))
                    .collect()
            })
            .collect(),
    )
}

/// `build_encoded` counts exactly what `build` counts (words, order, counts, totals), and
/// training from its packed corpus is bit-identical to reading the corpus every epoch.
#[test]
fn the_vocabulary_pass_packs_the_first_epoch() {
    let corpus = ragged(3);
    for min_count in [1, 5] {
        let plain = WordVocab::build(&corpus, min_count, None).unwrap();
        let enc = WordVocab::build_encoded(&corpus, min_count, None, 1 << 30).unwrap();
        assert_eq!(enc.words, plain.words);
        assert_eq!(enc.counts, plain.counts);
        assert_eq!(
            (enc.corpus_words, enc.sentences),
            (plain.corpus_words, plain.sentences)
        );
        assert!(plain.encoded.is_none());
        let e = enc.encoded.as_ref().expect("fits the budget");
        assert_eq!(e.raw, plain.corpus_words);
        let packed: Vec<u32> = e.chunks.iter().flat_map(|c| c.words.clone()).collect();
        let read: Vec<u32> = corpus
            .0
            .iter()
            .flatten()
            .filter_map(|t| plain.get(t))
            .collect();
        assert_eq!(packed, read, "every kept token, in order");
        assert!(e
            .chunks
            .iter()
            .all(|c| c.ends.windows(2).all(|w| w[1] - w[0] <= 10_000)));
    }
    // too small a budget, or a max_vocab cap: nothing kept
    assert!(WordVocab::build_encoded(&corpus, 1, None, 1000)
        .unwrap()
        .encoded
        .is_none());
    assert!(WordVocab::build_encoded(&corpus, 1, Some(10), 1 << 30)
        .unwrap()
        .encoded
        .is_none());
    let w = Word2Vec::new(Word2VecParams {
        epochs: 2,
        min_count: 5,
        ..small(Arch::Cbow, 5, false)
    })
    .unwrap();
    let packed = w.fit(&corpus, &ctx1(7)).unwrap();
    let streamed = w
        .fit(
            &corpus,
            &TrainContext {
                cache_mb: 0,
                ..ctx1(7)
            },
        )
        .unwrap();
    assert_eq!(packed.table(WORD_EMBEDDING), streamed.table(WORD_EMBEDDING));
    assert_eq!(packed.table(WORD_CONTEXT), streamed.table(WORD_CONTEXT));
    assert!(packed.info.raw_words_per_s.is_some_and(|v| v > 0.0));
}

/// The cache holds a whole epoch or nothing: passing the budget frees it, and an epoch that
/// was not read to its end is not replayed.
#[test]
fn the_corpus_cache_keeps_to_its_budget() {
    let chunk = Chunk {
        words: vec![1; 1000],
        ends: vec![1000],
        ..Chunk::default()
    };
    let mut c = ChunkCache::new(10_000);
    c.record(&chunk, 0);
    c.record(&chunk, 1000);
    assert!(matches!(&c, ChunkCache::Filling { chunks, .. } if chunks.len() == 2));
    c.record(&chunk, 2000);
    assert!(matches!(c, ChunkCache::Off), "3 × 4 kB passes 10 kB");
    c.finish(3000, true);
    assert!(matches!(c, ChunkCache::Off));
    let mut c = ChunkCache::new(1 << 20);
    c.record(&chunk, 0);
    c.finish(1000, true);
    assert!(matches!(&c, ChunkCache::Full(e) if e.chunks.len() == 1 && e.raw == 1000));
    let mut c = ChunkCache::new(1 << 20);
    c.record(&chunk, 0);
    c.finish(1000, false);
    assert!(
        matches!(c, ChunkCache::Off),
        "a failed read is not replayed"
    );
    assert!(matches!(ChunkCache::new(0), ChunkCache::Off));
}

/// A run continued from its checkpoint ends bit-identical to the uninterrupted run (one
/// thread), for NS and HS; a completed run resumed with more epochs decays on to `min_alpha`.
#[test]
fn a_checkpointed_run_resumes_to_the_uninterrupted_result() {
    let corpus = topics(200, 6);
    for (neg, hs) in [(5, false), (0, true)] {
        let p = Word2VecParams {
            epochs: 4,
            ..small(Arch::SkipGram, neg, hs)
        };
        let w = Word2Vec::new(p.clone()).unwrap();
        let whole = w.fit(&corpus, &ctx1(3)).unwrap();
        let mut saved = Vec::new();
        let again = w
            .fit_with(&corpus, &ctx1(3), 1, &mut |m| {
                saved.push(m.clone());
                Ok(())
            })
            .unwrap();
        assert_eq!(again.table(WORD_EMBEDDING), whole.table(WORD_EMBEDDING));
        assert_eq!(saved.len(), 3, "checkpoints after epochs 1, 2, 3");
        assert_eq!(saved[1].epochs.len(), 2);
        let ctx = TrainContext {
            resume: Some(std::sync::Arc::new(saved[1].clone())),
            ..ctx1(3)
        };
        let resumed = w.fit(&corpus, &ctx).unwrap();
        for t in [WORD_EMBEDDING, WORD_CONTEXT, WORD_HS] {
            assert_eq!(resumed.table(t), whole.table(t), "{t}");
        }
        let losses = |m: &crate::model::Model| m.epochs.iter().map(|e| e.loss).collect::<Vec<_>>();
        assert_eq!(losses(&resumed), losses(&whole));
        // a finished 4-epoch run continued to 6: two more epochs, the rate decays to the end
        let six = Word2Vec::new(Word2VecParams {
            epochs: 6,
            ..p.clone()
        })
        .unwrap();
        let ctx = TrainContext {
            resume: Some(std::sync::Arc::new(whole.clone())),
            ..ctx1(3)
        };
        let more = six.fit(&corpus, &ctx).unwrap();
        assert_eq!(more.epochs.len(), 6);
        assert_ne!(more.table(WORD_EMBEDDING), whole.table(WORD_EMBEDDING));
        let end = more.info.lr_done.unwrap();
        assert!((end - f64::from(p.min_lr)).abs() < 1e-6, "{end}");
        // other settings are refused
        let other = Word2Vec::new(Word2VecParams {
            window: 2,
            epochs: 6,
            ..p
        })
        .unwrap();
        let e = other.fit(&corpus, &ctx).unwrap_err().to_string();
        assert!(e.contains("window"), "{e}");
    }
}

//! The word vocabulary of a corpus, built in one streaming pass: counts, the `min_count`
//! cut, frequency order, and the per-word keep probabilities of frequent-word subsampling.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::cache::{Encoded, Stream};
use super::Corpus;
use crate::error::{Error, Result};
use crate::vocab::{by_frequency, KeyCounter};

/// FNV-1a as a `Hasher`: several times faster than SipHash on short words, and the
/// vocabulary is built from trusted counts, not keys an attacker picks to collide.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Words kept for training, most frequent first (ties: first seen first).
#[derive(Debug, Clone, Default)]
pub struct WordVocab {
    /// Words by row.
    pub words: Vec<String>,
    /// Corpus count of each word.
    pub counts: Vec<u64>,
    index: FnvMap<String, u32>,
    /// Every token of the corpus, kept or not (the "raw words" of words/s figures).
    pub corpus_words: u64,
    /// Sentences (lines) in the corpus.
    pub sentences: u64,
    /// The corpus this vocabulary was counted on, packed in training chunks
    /// ([`WordVocab::build_encoded`]); training on that corpus replays it from the first
    /// epoch on. `None`: training reads the corpus.
    pub(crate) encoded: Option<Arc<Encoded>>,
}

impl WordVocab {
    /// Count every token of `corpus` and keep those seen at least `min_count` times — at most
    /// `max_vocab` of them, the most frequent, counted in bounded memory (see
    /// [`KeyCounter`]: with a cap, the pass holds at most `2·max_vocab` distinct words).
    pub fn build(
        corpus: &dyn Corpus,
        min_count: u64,
        max_vocab: Option<usize>,
    ) -> Result<WordVocab> {
        let mut counts = KeyCounter::new(max_vocab);
        let mut corpus_words = 0u64;
        let mut sentences = 0u64;
        corpus.for_each_sentence(&mut |toks| {
            sentences += 1;
            corpus_words += toks.len() as u64;
            for &t in toks {
                counts.add(t);
            }
            Ok(())
        })?;
        Ok(Self::from_counts(
            counts.into_top(min_count),
            corpus_words,
            sentences,
        ))
    }

    /// [`WordVocab::build`], keeping the corpus encoded by the same pass when it fits
    /// `budget` bytes (4 per token and per sentence) and no `max_vocab` cap is set: tokens
    /// are held as provisional ids (first-seen order) and, once the vocabulary is known,
    /// mapped to rows and packed into the chunks the first epoch would have read
    /// (kept inside the vocabulary, which [`train`](super::train) replays). Training on the same corpus then reads the files once, not
    /// twice. Counts, order and the kept words are those of [`WordVocab::build`].
    pub fn build_encoded(
        corpus: &dyn Corpus,
        min_count: u64,
        max_vocab: Option<usize>,
        budget: usize,
    ) -> Result<WordVocab> {
        if max_vocab.is_some() || budget == 0 {
            return Self::build(corpus, min_count, max_vocab);
        }
        let mut ids: FnvMap<String, u32> = FnvMap::default();
        let mut counts: Vec<u64> = Vec::new();
        let mut stream = Stream::new(budget);
        let mut corpus_words = 0u64;
        let mut sentences = 0u64;
        let mut sentence: Vec<u32> = Vec::new();
        corpus.for_each_sentence(&mut |toks| {
            sentences += 1;
            corpus_words += toks.len() as u64;
            sentence.clear();
            for &t in toks {
                let id = match ids.get(t) {
                    Some(&id) => id,
                    None => {
                        let id = u32::try_from(counts.len()).map_err(|_| {
                            Error::Param(format!(
                                "the corpus has more than {} distinct tokens; set --max-vocab",
                                u32::MAX
                            ))
                        })?;
                        ids.insert(t.to_string(), id);
                        counts.push(0);
                        id
                    }
                };
                counts[id as usize] += 1;
                sentence.push(id);
            }
            stream.push(sentence.iter().copied());
            Ok(())
        })?;
        let mut words: Vec<String> = vec![String::new(); counts.len()];
        for (w, id) in ids {
            words[id as usize] = w;
        }
        // provisional ids are first-seen positions, so this is KeyCounter::into_top's order
        let mut order: Vec<u32> = (0..counts.len() as u32)
            .filter(|&id| counts[id as usize] >= min_count.max(1))
            .collect();
        order.sort_unstable_by(|&a, &b| {
            by_frequency(
                (counts[a as usize], u64::from(a)),
                (counts[b as usize], u64::from(b)),
            )
        });
        let mut rows = vec![u32::MAX; counts.len()];
        for (row, &id) in order.iter().enumerate() {
            rows[id as usize] = row as u32;
        }
        let encoded = stream.pack(&rows)?;
        let pairs = order
            .iter()
            .map(|&id| (std::mem::take(&mut words[id as usize]), counts[id as usize]));
        let mut v = Self::from_counts(pairs, corpus_words, sentences);
        v.encoded = encoded.map(Arc::new);
        Ok(v)
    }

    /// A vocabulary of `(word, count)` pairs in the given order.
    pub fn from_counts(
        pairs: impl IntoIterator<Item = (String, u64)>,
        corpus_words: u64,
        sentences: u64,
    ) -> WordVocab {
        let mut v = WordVocab {
            corpus_words,
            sentences,
            ..Default::default()
        };
        for (w, c) in pairs {
            v.index.insert(w.clone(), v.words.len() as u32);
            v.words.push(w);
            v.counts.push(c);
        }
        v
    }

    /// Row of `word`, if kept.
    #[must_use]
    pub fn get(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// Number of kept words.
    #[must_use]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when no word was kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Check that there is something to train on.
    pub fn check_trainable(&self, what: &str) -> Result<()> {
        if self.is_empty() {
            return Err(Error::Param(format!(
                "{what} has no token that reaches min_count ({} tokens in {} lines); lower --min-count or give more data",
                self.corpus_words, self.sentences
            )));
        }
        Ok(())
    }

    /// Keep thresholds of frequent-word subsampling, as `u32` fractions of 2³² − 1 (a token is
    /// kept when a uniform `u32` draw is ≤ its threshold). For word count `c` out of `T` kept
    /// tokens and `t = sample·T`, the keep probability is `min(1, (√(c/t) + 1)·t/c)` — the
    /// rule of word2vec.c and gensim. `sample = 0` keeps everything.
    #[must_use]
    pub fn keep_thresholds(&self, sample: f64) -> Vec<u32> {
        let total: u64 = self.counts.iter().sum();
        if sample <= 0.0 || total == 0 {
            return vec![u32::MAX; self.len()];
        }
        let t = if sample < 1.0 {
            sample * total as f64
        } else {
            sample
        };
        self.counts
            .iter()
            .map(|&c| {
                let c = c as f64;
                let p = ((c / t).sqrt() + 1.0) * (t / c);
                if p >= 1.0 {
                    u32::MAX
                } else {
                    (p * f64::from(u32::MAX)) as u32
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::word2vec::Sentences;

    #[test]
    fn counts_cut_and_order() {
        let c = Sentences::from_lines(&["b a b c", "a b", "d"]);
        let v = WordVocab::build(&c, 2, None).unwrap();
        assert_eq!(v.words, vec!["b", "a"]);
        assert_eq!(v.counts, vec![3, 2]);
        assert_eq!(v.corpus_words, 7);
        assert_eq!(v.sentences, 3);
        assert_eq!(v.get("a"), Some(1));
        assert_eq!(v.get("c"), None);
        // ties keep first-seen order
        let v = WordVocab::build(&Sentences::from_lines(&["y x", "x y z"]), 1, None).unwrap();
        assert_eq!(v.words, vec!["y", "x", "z"]);
    }

    #[test]
    fn subsampling_matches_the_word2vec_rule() {
        let v = WordVocab::from_counts([("the".into(), 9000), ("cat".into(), 1000)], 0, 0);
        let k = v.keep_thresholds(1e-3);
        let t = 1e-3 * 10_000.0;
        let p = |c: f64| ((c / t).sqrt() + 1.0) * t / c;
        assert!((f64::from(k[0]) / f64::from(u32::MAX) - p(9000.0)).abs() < 1e-6);
        assert!((f64::from(k[1]) / f64::from(u32::MAX) - p(1000.0)).abs() < 1e-6);
        assert_eq!(v.keep_thresholds(0.0), vec![u32::MAX; 2]);
    }
}

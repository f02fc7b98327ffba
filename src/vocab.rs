//! `Vocab`: the two-way map between raw keys (user ids, item ids, words) and dense row indices.

use std::collections::HashMap;

/// The key hasher: foldhash (fast, seeded per process, so crafted keys cannot aim at a fixed
/// hash function); several times faster than SipHash on the short keys of recommender data.
type KeyHasher = foldhash::fast::RandomState;

/// The order in which a vocabulary is cut from counts, everywhere in the crate (the schema's
/// `max_size`, `--max-vocab`, word2vec's vocabulary): most frequent first, ties broken by first
/// appearance. `a` and `b` are `(count, first_seen)`.
#[must_use]
pub(crate) fn by_frequency(a: (u64, u64), b: (u64, u64)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Raw key ↔ dense index. Indices are assigned in insertion order and never change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocab {
    keys: Vec<String>,
    index: HashMap<String, u32, KeyHasher>,
}

impl Vocab {
    /// An empty vocabulary.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty vocabulary with room for `n` keys.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        let mut v = Vocab::new();
        v.keys.reserve(n);
        v.index.reserve(n);
        v
    }

    /// A vocabulary holding `keys` in this order. Duplicate keys keep their first index.
    pub fn from_keys<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let keys = keys.into_iter();
        let mut v = Vocab::new();
        let (lo, _) = keys.size_hint();
        v.keys.reserve(lo);
        v.index.reserve(lo);
        for k in keys {
            v.insert(k.into());
        }
        v
    }

    /// Index of `key`, inserting it at the end if it is new.
    pub fn insert(&mut self, key: impl Into<String>) -> u32 {
        let key = key.into();
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.index.insert(key.clone(), i);
        self.keys.push(key);
        i
    }

    /// Index of `key`, inserting it if new, without allocating when it is already present.
    pub fn intern(&mut self, key: &str) -> u32 {
        match self.index.get(key) {
            Some(&i) => i,
            None => self.insert(key.to_string()),
        }
    }

    /// Index of `key`, if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// Key at `index`, if in range.
    #[must_use]
    pub fn key(&self, index: usize) -> Option<&str> {
        self.keys.get(index).map(String::as_str)
    }

    /// All keys in index order.
    #[must_use]
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Counts keys in one streaming pass, holding at most `2·cap` distinct keys when a cap is set:
/// when the table reaches twice the cap it is cut back to the `cap` most frequent keys
/// (ties: first seen first). A key cut early loses its count so far, so counts near the cut
/// are lower bounds — the trade gensim's `max_vocab_size` makes; keys above it are exact as
/// long as they stay in. Memory is bounded by the cap, not by the distinct keys of the data.
#[derive(Debug, Clone)]
pub struct KeyCounter {
    /// key → (count, first-seen order)
    counts: HashMap<String, (u64, u64), KeyHasher>,
    cap: Option<usize>,
    seen: u64,
    pruned: u64,
}

impl KeyCounter {
    /// A counter that keeps every key (`cap = None`) or at most about `2·cap` of them.
    #[must_use]
    pub fn new(cap: Option<usize>) -> Self {
        KeyCounter {
            counts: HashMap::default(),
            cap: cap.map(|c| c.max(1)),
            seen: 0,
            pruned: 0,
        }
    }

    /// Count one occurrence of `key` (allocates only for a key not held).
    pub fn add(&mut self, key: &str) {
        if let Some(c) = self.counts.get_mut(key) {
            c.0 += 1;
            return;
        }
        self.counts.insert(key.to_string(), (1, self.seen));
        self.seen += 1;
        if let Some(cap) = self.cap {
            if self.counts.len() >= cap.saturating_mul(2) {
                self.prune(cap);
            }
        }
    }

    /// Distinct keys held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when nothing was counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Distinct keys dropped by the cap so far (a key dropped twice counts twice).
    #[must_use]
    pub fn pruned(&self) -> u64 {
        self.pruned
    }

    fn prune(&mut self, keep: usize) {
        let mut all: Vec<(String, (u64, u64))> = self.counts.drain().collect();
        if all.len() > keep {
            all.select_nth_unstable_by(keep - 1, |a, b| by_frequency(a.1, b.1));
            self.pruned += (all.len() - keep) as u64;
            all.truncate(keep);
        }
        self.counts.extend(all);
    }

    /// Keys seen at least `min_count` times, most frequent first (ties: first seen first), at
    /// most `cap` of them, with their counts.
    #[must_use]
    pub fn into_top(self, min_count: u64) -> Vec<(String, u64)> {
        let mut kept: Vec<(String, (u64, u64))> = self
            .counts
            .into_iter()
            .filter(|(_, (c, _))| *c >= min_count.max(1))
            .collect();
        kept.sort_unstable_by(|a, b| by_frequency(a.1, b.1));
        if let Some(cap) = self.cap {
            kept.truncate(cap);
        }
        kept.into_iter().map(|(k, (c, _))| (k, c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_frequency_is_count_descending_then_first_seen() {
        // (count, first_seen)
        let mut v = vec![(2, 3), (5, 4), (2, 1), (5, 0), (1, 2)];
        v.sort_unstable_by(|&a, &b| by_frequency(a, b));
        assert_eq!(v, vec![(5, 0), (5, 4), (2, 1), (2, 3), (1, 2)]);
        assert_eq!(by_frequency((3, 0), (3, 0)), std::cmp::Ordering::Equal);
    }

    #[test]
    fn indices_are_stable_and_first_wins() {
        let mut v = Vocab::from_keys(["b", "a", "b"]);
        assert_eq!(v.len(), 2);
        assert_eq!(v.get("b"), Some(0));
        assert_eq!(v.get("a"), Some(1));
        assert_eq!(v.intern("c"), 2);
        assert_eq!(v.key(2), Some("c"));
        assert_eq!(v.get("zzz"), None);
    }

    #[test]
    fn counter_without_cap_is_exact_and_ordered() {
        let mut c = KeyCounter::new(None);
        for k in ["b", "a", "c", "a", "b", "a", "d"] {
            c.add(k);
        }
        assert_eq!(c.pruned(), 0);
        let top = c.into_top(1);
        let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
        // a:3, b:2, then c and d (1 each) in first-seen order
        assert_eq!(keys, ["a", "b", "c", "d"]);
        assert_eq!(top[0].1, 3);
    }

    #[test]
    fn counter_min_count_cuts() {
        let mut c = KeyCounter::new(None);
        for k in ["x", "y", "x"] {
            c.add(k);
        }
        assert_eq!(c.into_top(2), vec![("x".to_string(), 2)]);
    }

    #[test]
    fn capped_counter_stays_bounded_and_keeps_heavy_keys() {
        // 10 heavy keys recur every 100 tokens; 200,000 distinct one-off keys in between.
        let mut c = KeyCounter::new(Some(50));
        let mut max_len = 0;
        for i in 0..200_000u32 {
            if i % 100 == 0 {
                for h in 0..10 {
                    c.add(&format!("heavy{h}"));
                }
            }
            c.add(&format!("once{i}"));
            max_len = max_len.max(c.len());
        }
        assert!(max_len <= 100, "held {max_len} keys with cap 50");
        assert!(c.pruned() > 190_000);
        let top = c.into_top(1);
        assert_eq!(top.len(), 50);
        for (h, (k, n)) in top.iter().take(10).enumerate() {
            assert_eq!(k, &format!("heavy{h}"));
            assert_eq!(
                *n, 2000,
                "heavy keys are never cut, so their counts are exact"
            );
        }
    }
}

//! `Vocab`: the two-way map between raw keys (user ids, item ids, words) and dense row indices.

use std::collections::HashMap;

/// The key hasher: foldhash (fast, seeded per process, so crafted keys cannot aim at a fixed
/// hash function); several times faster than SipHash on the short keys of recommender data.
type KeyHasher = foldhash::fast::RandomState;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

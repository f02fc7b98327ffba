//! [`Interactions`]: user × item events with dense indices, and their sparse matrices.

use sprs::CsMat;

use crate::vocab::Vocab;

/// User–item events with dense indices. Indices refer to `users` and `items`.
#[derive(Debug, Clone, Default)]
pub struct Interactions {
    /// User keys.
    pub users: Vocab,
    /// Item keys.
    pub items: Vocab,
    /// User index per event.
    pub user: Vec<u32>,
    /// Item index per event.
    pub item: Vec<u32>,
    /// Rating per event (1.0 when the file has none).
    pub rating: Vec<f32>,
    /// Unix seconds per event (0 when the file has none).
    pub timestamp: Vec<i64>,
    /// Whether ratings came from the file.
    pub has_rating: bool,
    /// Whether timestamps came from the file.
    pub has_timestamp: bool,
    /// Rows skipped as malformed (with [`crate::data::ReadOptions::skip_bad_rows`]).
    pub skipped_rows: usize,
    /// The first skipped row's error (file:line: what was wrong).
    pub first_skipped: Option<String>,
}

impl Interactions {
    /// Number of events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// True when there are no events.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Append one event, interning its keys.
    pub fn push(&mut self, user: &str, item: &str, rating: f32, timestamp: i64) {
        let u = self.users.intern(user);
        let i = self.items.intern(item);
        self.user.push(u);
        self.item.push(i);
        self.rating.push(rating);
        self.timestamp.push(timestamp);
    }

    /// Append one event by the indices of its keys (from [`Interactions::users`] and
    /// [`Interactions::items`], e.g. through an [`IntKeys`] cache).
    pub(crate) fn push_indexed(&mut self, user: u32, item: u32, rating: f32, timestamp: i64) {
        self.user.push(user);
        self.item.push(item);
        self.rating.push(rating);
        self.timestamp.push(timestamp);
    }

    /// A copy holding only the events at `rows`, sharing the same vocabularies.
    #[must_use]
    pub fn select(&self, rows: &[usize]) -> Interactions {
        Interactions {
            users: self.users.clone(),
            items: self.items.clone(),
            user: rows.iter().map(|&r| self.user[r]).collect(),
            item: rows.iter().map(|&r| self.item[r]).collect(),
            rating: rows.iter().map(|&r| self.rating[r]).collect(),
            timestamp: rows.iter().map(|&r| self.timestamp[r]).collect(),
            has_rating: self.has_rating,
            has_timestamp: self.has_timestamp,
            skipped_rows: 0,
            first_skipped: None,
        }
    }

    /// Users × items CSR matrix of ratings; repeated (user, item) pairs are summed.
    /// Built by two stable counting sorts (by item, then by user), so each row comes out in
    /// item order without a comparison sort: O(events + users + items).
    #[must_use]
    pub fn csr(&self) -> CsMat<f32> {
        let (nu, ni) = (self.users.len(), self.items.len());
        let n = self.len();
        // pass 1: event indices ordered by item (stable)
        let mut iptr = bucket_starts(&self.item, ni);
        let mut by_item = vec![0u32; n];
        for (k, &i) in self.item.iter().enumerate() {
            by_item[iptr[i as usize]] = k as u32;
            iptr[i as usize] += 1;
        }
        // pass 2: stable by user, so each user's events stay in item order
        let indptr = bucket_starts(&self.user, nu);
        let mut next = indptr.clone();
        let mut cells = vec![(0u32, 0.0f32); n];
        for &k in &by_item {
            let k = k as usize;
            let u = self.user[k] as usize;
            cells[next[u]] = (self.item[k], self.rating[k]);
            next[u] += 1;
        }
        let mut out_ptr = Vec::with_capacity(nu + 1);
        let mut indices: Vec<usize> = Vec::with_capacity(n);
        let mut data: Vec<f32> = Vec::with_capacity(n);
        out_ptr.push(0);
        for u in 0..nu {
            let row_start = indices.len();
            for &(i, r) in &cells[indptr[u]..indptr[u + 1]] {
                match (indices.len() > row_start, indices.last(), data.last_mut()) {
                    (true, Some(&last), Some(d)) if last == i as usize => *d += r,
                    _ => {
                        indices.push(i as usize);
                        data.push(r);
                    }
                }
            }
            out_ptr.push(indices.len());
        }
        CsMat::new((nu, ni), out_ptr, indices, data)
    }

    /// Users × items CSR matrix with value 1 for every pair that occurs (implicit feedback).
    #[must_use]
    pub fn binary_csr(&self) -> CsMat<f32> {
        let mut m = self.csr();
        m.data_mut().iter_mut().for_each(|v| *v = 1.0);
        m
    }

    /// Mean, minimum and maximum rating (`(0, +inf, -inf)` when empty).
    #[must_use]
    pub fn rating_stats(&self) -> (f32, f32, f32) {
        let sum: f64 = self.rating.iter().map(|&r| f64::from(r)).sum();
        let (lo, hi) = self
            .rating
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &r| {
                (a.min(r), b.max(r))
            });
        ((sum / self.len().max(1) as f64) as f32, lo, hi)
    }

    /// Number of events per item index.
    #[must_use]
    pub fn item_counts(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.items.len()];
        for &i in &self.item {
            c[i as usize] += 1;
        }
        c
    }
}

/// Index caches for integer keys, one per vocabulary side: most interaction files key users
/// and items by integers, and a cache keyed by the number skips the string hash and compare
/// of [`Vocab::intern`] for every repeated key (the vocabulary itself still holds the text).
/// Only canonical decimals (`0`, or digits without a leading zero, at most 18) are cached, so
/// `"007"` and `"7"` stay the distinct keys they are.
#[derive(Debug, Default)]
pub(crate) struct IntKeys {
    /// Indices of keys below [`IntKeys::DENSE`], by number (`u32::MAX`: not seen yet).
    dense: Vec<u32>,
    /// Indices of larger keys.
    sparse: std::collections::HashMap<u64, u32, foldhash::fast::RandomState>,
    /// Scratch for spelling an integer key as text (used by `intern_int`).
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    text: String,
}

impl IntKeys {
    /// Keys below this are looked up in a plain array (at most 16 MiB a side).
    const DENSE: u64 = 1 << 22;

    fn cached(&self, n: u64) -> Option<u32> {
        if n < Self::DENSE {
            self.dense
                .get(n as usize)
                .copied()
                .filter(|&i| i != u32::MAX)
        } else {
            self.sparse.get(&n).copied()
        }
    }

    fn remember(&mut self, n: u64, i: u32) {
        if n < Self::DENSE {
            let n = n as usize;
            if n >= self.dense.len() {
                self.dense.resize((n + 1).next_power_of_two(), u32::MAX);
            }
            self.dense[n] = i;
        } else {
            self.sparse.insert(n, i);
        }
    }

    /// The number a key spells canonically, if it does.
    fn canonical(key: &str) -> Option<u64> {
        let b = key.as_bytes();
        if b.is_empty() || b.len() > 18 || (b[0] == b'0' && b.len() > 1) {
            return None;
        }
        let mut n = 0u64;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u64::from(c - b'0');
        }
        Some(n)
    }

    /// Index of `key` in `vocab`, inserting it if new.
    pub(crate) fn intern(&mut self, vocab: &mut Vocab, key: &str) -> u32 {
        match Self::canonical(key) {
            Some(n) => self.cached(n).unwrap_or_else(|| {
                let i = vocab.intern(key);
                self.remember(n, i);
                i
            }),
            None => vocab.intern(key),
        }
    }

    /// Index of the key spelled by the integer `n` in `vocab`, inserting it if new.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub(crate) fn intern_int(&mut self, vocab: &mut Vocab, n: i64) -> u32 {
        if (0..1_000_000_000_000_000_000).contains(&n) {
            if let Some(i) = self.cached(n as u64) {
                return i;
            }
        }
        self.text.clear();
        use std::fmt::Write as _;
        let _ = write!(self.text, "{n}");
        let text = std::mem::take(&mut self.text);
        let i = self.intern(vocab, &text);
        self.text = text;
        i
    }
}

/// The start of each bucket `0..n` (and the end, at index `n`) when `keys` are counting-sorted:
/// `starts[b]` = how many keys are below `b`. Keys must be below `n`.
#[must_use]
pub(crate) fn bucket_starts(keys: &[u32], n: usize) -> Vec<usize> {
    let mut starts = vec![0usize; n + 1];
    for &k in keys {
        starts[k as usize + 1] += 1;
    }
    for b in 0..n {
        starts[b + 1] += starts[b];
    }
    starts
}

#[cfg(test)]
mod int_key_tests {
    use super::*;
    use proptest::prelude::*;

    proptest::proptest! {
        /// Keys through the integer cache get the indices `Vocab::intern` gives, whether
        /// they arrive as text or as numbers (`"007"` and `"7"` stay distinct keys).
        #[test]
        fn cached_indices_equal_the_vocabulary(
            keys in proptest::collection::vec(
                proptest::prop_oneof![
                    (0u64..50).prop_map(|n| n.to_string()),
                    (0u64..50).prop_map(|n| format!("0{n}")),
                    (0u64..3).prop_map(|n| (n + (1 << 22) - 1).to_string()),
                    (0u64..3).prop_map(|n| (u64::MAX - n).to_string()),
                    "[a-c]{1,2}",
                    (0i64..3).prop_map(|n| (-n).to_string()),
                ],
                1..200,
            ),
            as_numbers in proptest::bool::ANY,
        ) {
            let (mut plain, mut cached, mut ints) = (Vocab::new(), Vocab::new(), IntKeys::default());
            for k in &keys {
                let want = plain.intern(k);
                let got = match k.parse::<i64>() {
                    Ok(n) if as_numbers && n.to_string() == *k => ints.intern_int(&mut cached, n),
                    _ => ints.intern(&mut cached, k),
                };
                prop_assert_eq!(want, got, "key {}", k);
            }
            prop_assert_eq!(plain, cached);
        }
    }
}

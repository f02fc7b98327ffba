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

//! Which items each user interacted with, asked once per sampled negative by the ranking
//! trainers (BPR, WARP, the hybrid) to reject negatives the user liked.
//!
//! A bit matrix (one bit per user × item pair) answers with one memory access, where bisection
//! in a sorted list makes `log₂(n)` dependent ones (profiling WARP on ML-100K put half of the
//! training time in that bisection). The matrix is kept only while it fits in
//! [`BITS_BUDGET`] bytes (ML-100K: 204 kB); beyond that the sorted lists are searched. Both
//! representations give the same answers, so the choice never changes a trained model.

/// The most bytes the bit matrix may take.
pub(crate) const BITS_BUDGET: usize = 64 << 20;

/// The liked items of every user, as sorted lists, and as a bit matrix when it is small.
#[derive(Debug, Clone)]
pub(crate) struct LikedSet {
    lists: Vec<Vec<u32>>,
    /// Row-major `users × words` bits, `words = ⌈items / 64⌉`.
    bits: Option<Vec<u64>>,
    words: usize,
}

impl LikedSet {
    /// From each user's items (any order, repeats allowed) over a catalogue of `n_items`; the
    /// bit matrix is built when it needs at most `budget` bytes.
    pub(crate) fn new(mut lists: Vec<Vec<u32>>, n_items: usize, budget: usize) -> LikedSet {
        for l in &mut lists {
            l.sort_unstable();
            l.dedup();
        }
        let words = n_items.div_ceil(64);
        let bytes = lists.len().saturating_mul(words).saturating_mul(8);
        let bits = (bytes <= budget && lists.iter().flatten().all(|&i| (i as usize) < n_items))
            .then(|| {
                let mut b = vec![0u64; lists.len() * words];
                for (u, l) in lists.iter().enumerate() {
                    for &i in l {
                        b[u * words + (i as usize >> 6)] |= 1 << (i & 63);
                    }
                }
                b
            });
        LikedSet { lists, bits, words }
    }

    /// Whether user `u` interacted with `item` (false for a user or item out of range).
    #[inline(always)]
    pub(crate) fn contains(&self, u: usize, item: u32) -> bool {
        match &self.bits {
            Some(b) => {
                if item as usize >= self.words * 64 {
                    return false;
                }
                b.get(u * self.words + (item as usize >> 6))
                    .is_some_and(|w| (w >> (item & 63)) & 1 == 1)
            }
            None => self
                .lists
                .get(u)
                .is_some_and(|l| l.binary_search(&item).is_ok()),
        }
    }

    /// User `u`'s items, sorted.
    #[cfg(test)]
    pub(crate) fn items(&self, u: usize) -> &[u32] {
        self.lists.get(u).map_or(&[], Vec::as_slice)
    }

    /// Whether the bit matrix is in use.
    #[cfg(test)]
    pub(crate) fn has_bits(&self) -> bool {
        self.bits.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Bits and lists answer every query alike, and as the input lists say.
        #[test]
        fn both_representations_agree(
            lists in proptest::collection::vec(proptest::collection::vec(0u32..130, 0..40), 0..12),
            queries in proptest::collection::vec((0usize..14, 0u32..140), 1..200),
        ) {
            let bits = LikedSet::new(lists.clone(), 130, usize::MAX);
            let sorted = LikedSet::new(lists.clone(), 130, 0);
            proptest::prop_assert!(bits.has_bits());
            proptest::prop_assert!(!sorted.has_bits() || lists.is_empty());
            for (u, i) in queries {
                let want = lists.get(u).is_some_and(|l| l.contains(&i));
                proptest::prop_assert_eq!(bits.contains(u, i), want);
                proptest::prop_assert_eq!(sorted.contains(u, i), want);
            }
        }
    }

    #[test]
    fn a_large_catalogue_falls_back_to_the_lists() {
        let s = LikedSet::new(vec![vec![5, 1, 5]], 1 << 40, BITS_BUDGET);
        assert!(!s.has_bits());
        assert!(s.contains(0, 5) && s.contains(0, 1) && !s.contains(0, 2));
        assert_eq!(s.items(0), &[1, 5]);
        assert!(s.items(3).is_empty());
    }
}

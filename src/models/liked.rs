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

/// The liked items of every user: a bit matrix when it is small, else sorted lists.
#[derive(Debug, Clone)]
pub(crate) enum LikedSet {
    /// Row-major `users × words` bits, `words = ⌈items / 64⌉`.
    Bits { bits: Vec<u64>, words: usize },
    /// Each user's items, sorted and distinct.
    Lists(Vec<Vec<u32>>),
}

impl LikedSet {
    /// From each user's items (any order, repeats allowed) over a catalogue of `n_items`; the
    /// bit matrix is built when it needs at most `budget` bytes.
    pub(crate) fn new(mut lists: Vec<Vec<u32>>, n_items: usize, budget: usize) -> LikedSet {
        let words = n_items.div_ceil(64);
        let bytes = lists.len().saturating_mul(words).saturating_mul(8);
        if bytes <= budget && lists.iter().flatten().all(|&i| (i as usize) < n_items) {
            let mut bits = vec![0u64; lists.len() * words];
            for (u, l) in lists.iter().enumerate() {
                for &i in l {
                    bits[u * words + (i as usize >> 6)] |= 1 << (i & 63);
                }
            }
            return LikedSet::Bits { bits, words };
        }
        for l in &mut lists {
            l.sort_unstable();
            l.dedup();
        }
        LikedSet::Lists(lists)
    }

    /// Bring user `u`'s sorted list into cache ahead of [`LikedSet::contains`] (its first
    /// 4 kB; a bisection of a list past the caches otherwise waits on memory at every probe).
    /// The bit matrix is small enough to stay cached; nothing is done for it.
    #[inline(always)]
    pub(crate) fn prefetch(&self, u: usize) {
        if let LikedSet::Lists(lists) = self {
            if let Some(l) = lists.get(u) {
                crate::kernels::simd::prefetch(&l[..l.len().min(1024)]);
            }
        }
    }

    /// Whether user `u` interacted with `item` (false for a user or item out of range).
    #[inline(always)]
    pub(crate) fn contains(&self, u: usize, item: u32) -> bool {
        match self {
            LikedSet::Bits { bits, words } => {
                if item as usize >= words * 64 {
                    return false;
                }
                bits.get(u * words + (item as usize >> 6))
                    .is_some_and(|w| (w >> (item & 63)) & 1 == 1)
            }
            LikedSet::Lists(lists) => lists.get(u).is_some_and(|l| l.binary_search(&item).is_ok()),
        }
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
            let (is_bits, is_lists) = (
                matches!(bits, LikedSet::Bits { .. }),
                matches!(sorted, LikedSet::Lists(_)),
            );
            proptest::prop_assert!(is_bits, "an unlimited budget must give the bit matrix");
            proptest::prop_assert!(is_lists || lists.is_empty(), "a zero budget must give the lists");
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
        let LikedSet::Lists(lists) = &s else {
            panic!("a 2^40-item catalogue must not get a bit matrix");
        };
        assert_eq!(lists, &[vec![1, 5]]);
        assert!(s.contains(0, 5) && s.contains(0, 1) && !s.contains(0, 2) && !s.contains(3, 1));
    }
}

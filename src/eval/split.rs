//! Train/test splits: random (seeded), leave-last-out (each user's latest event) and
//! global time (the earliest 80 % of events by timestamp) — the splits the peer scripts of
//! `benches/` use, so figures are compared on identical test sets.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::data::Interactions;

/// How to split interactions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// Random `frac` of all rows → train (our own seeded shuffle; for numpy's exact split,
    /// pass the peers' split files with `--train/--test`).
    Random {
        /// Fraction to train.
        frac: f64,
        /// Shuffle seed.
        seed: u64,
    },
    /// Each user's last event by (timestamp, item key) → test.
    LeaveLastOut,
    /// Per user, the first `ceil(frac · n_u)` events by (timestamp, item key) → train.
    Time {
        /// Fraction to train.
        frac: f64,
    },
}

/// Row indices ordered by (user, timestamp, item key), the peers' "time order".
fn time_order(x: &Interactions) -> Vec<usize> {
    let key = |r: usize| {
        let k = x.items.key(x.item[r] as usize).unwrap_or_default();
        // Raw ids compare numerically when they are integers (as numpy does).
        (k.parse::<i64>().ok(), k)
    };
    let ukey = |r: usize| {
        let k = x.users.key(x.user[r] as usize).unwrap_or_default();
        (k.parse::<i64>().ok(), k)
    };
    let mut rows: Vec<usize> = (0..x.len()).collect();
    rows.sort_by(|&a, &b| {
        ukey(a)
            .cmp(&ukey(b))
            .then(x.timestamp[a].cmp(&x.timestamp[b]))
            .then_with(|| key(a).cmp(&key(b)))
    });
    rows
}

/// Split `x` into (train rows, test rows).
#[must_use]
pub fn split_rows(x: &Interactions, split: Split) -> (Vec<usize>, Vec<usize>) {
    match split {
        Split::Random { frac, seed } => {
            let mut rows: Vec<usize> = (0..x.len()).collect();
            rows.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
            let k = (frac * x.len() as f64).round() as usize;
            let (mut a, mut b) = (rows[..k].to_vec(), rows[k..].to_vec());
            a.sort_unstable();
            b.sort_unstable();
            (a, b)
        }
        Split::LeaveLastOut | Split::Time { .. } => {
            let order = time_order(x);
            let mut train = Vec::new();
            let mut test = Vec::new();
            let mut s = 0;
            while s < order.len() {
                let u = x.user[order[s]];
                let mut e = s;
                while e < order.len() && x.user[order[e]] == u {
                    e += 1;
                }
                let n = e - s;
                let ntrain = match split {
                    Split::Time { frac } => ((frac * n as f64) - 1e-9).ceil().max(0.0) as usize,
                    _ => n - 1,
                };
                train.extend_from_slice(&order[s..s + ntrain.min(n)]);
                test.extend_from_slice(&order[s + ntrain.min(n)..e]);
                s = e;
            }
            (train, test)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Interactions {
        let mut x = Interactions::default();
        // user 1: 5 events, two with equal timestamps (tie broken by item id 3 < 20)
        for (i, t) in [("20", 5), ("3", 5), ("7", 1), ("9", 2), ("11", 9)] {
            x.push("1", i, 1.0, t);
        }
        for (i, t) in [("3", 1), ("4", 2)] {
            x.push("2", i, 1.0, t);
        }
        x
    }

    #[test]
    fn leave_last_out_takes_latest_with_item_tiebreak() {
        let x = data();
        let (tr, te) = split_rows(&x, Split::LeaveLastOut);
        assert_eq!(tr.len() + te.len(), x.len());
        let test_items: Vec<&str> = te
            .iter()
            .map(|&r| x.items.key(x.item[r] as usize).unwrap())
            .collect();
        assert_eq!(test_items, vec!["11", "4"]);
    }

    #[test]
    fn time_split_ceil() {
        let x = data();
        let (tr, te) = split_rows(&x, Split::Time { frac: 0.8 });
        // user 1: ceil(4.0) = 4 train; user 2: ceil(1.6) = 2 train
        assert_eq!(tr.len(), 6);
        assert_eq!(te.len(), 1);
        // ordering 7(1) 9(2) 3(5) 20(5) 11(9): test is item 11
        assert_eq!(x.items.key(x.item[te[0]] as usize), Some("11"));
        let (tr, te) = split_rows(&x, Split::Random { frac: 0.8, seed: 1 });
        assert_eq!((tr.len(), te.len()), (6, 1));
    }
}

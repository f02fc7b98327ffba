//! Block-partitioned SGD (DSGD, Gemulla et al. 2011): users and items are split into `T`
//! blocks; an epoch runs `T` strata, and in stratum `s` worker `t` owns user block `t` and item
//! block `(t + s) mod T`. Blocks of one stratum share no rows, so the workers update factor
//! rows without locks or races, and a run is deterministic for a given seed and `T` whatever
//! the scheduling. With `T = 1` this is plain SGD in a shuffled order.
//!
//! Rows are renumbered so that every block is a contiguous range; trainers work in the block
//! numbering and [`Blocks::unpermute`] restores the original row order at the end. Events are
//! shuffled once, with the seed, and visited in that order every epoch.

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::data::Interactions;

/// One event in block numbering: user and item local to their blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event {
    pub u: u32,
    pub i: u32,
    pub r: f32,
}

/// The partition of users and items into blocks, and the events of every cell.
pub(crate) struct Blocks {
    pub t: usize,
    /// Block start offsets (length `t + 1`) in the new numbering.
    pub user_bounds: Vec<usize>,
    pub item_bounds: Vec<usize>,
    /// Original index → new index.
    user_new: Vec<u32>,
    item_new: Vec<u32>,
    /// `cells[ub * t + ib]`: events of user block ub × item block ib, local indices.
    pub cells: Vec<Vec<Event>>,
}

fn partition(n: usize, t: usize, rng: &mut Xoshiro256PlusPlus) -> (Vec<u32>, Vec<usize>) {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut new = vec![0u32; n];
    for (pos, &old) in order.iter().enumerate() {
        new[old as usize] = pos as u32;
    }
    let bounds = (0..=t).map(|b| b * n / t).collect();
    (new, bounds)
}

fn block_of(bounds: &[usize], x: usize) -> usize {
    bounds.partition_point(|&b| b <= x) - 1
}

/// The block of every original row, given its new index and the block bounds.
fn row_blocks(new: &[u32], bounds: &[usize]) -> Vec<u32> {
    new.iter()
        .map(|&n| block_of(bounds, n as usize) as u32)
        .collect()
}

impl Blocks {
    /// Partition `data` into `t` × `t` cells with a seeded random assignment of rows.
    pub fn new(data: &Interactions, t: usize, seed: u64) -> Blocks {
        let t = t
            .max(1)
            .min(data.users.len().max(1))
            .min(data.items.len().max(1));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed_b10c);
        let (user_new, user_bounds) = partition(data.users.len(), t, &mut rng);
        let (item_new, item_bounds) = partition(data.items.len(), t, &mut rng);
        // block of every row, looked up once per row instead of bisected once per event
        let user_block = row_blocks(&user_new, &user_bounds);
        let item_block = row_blocks(&item_new, &item_bounds);
        let blocks_of = |k: usize| {
            (
                user_block[data.user[k] as usize] as usize,
                item_block[data.item[k] as usize] as usize,
            )
        };
        // exact sizes first, so no cell reallocates while it fills
        let mut sizes = vec![0usize; t * t];
        for k in 0..data.len() {
            let (ub, ib) = blocks_of(k);
            sizes[ub * t + ib] += 1;
        }
        let mut cells: Vec<Vec<Event>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for k in 0..data.len() {
            let u = user_new[data.user[k] as usize] as usize;
            let i = item_new[data.item[k] as usize] as usize;
            let (ub, ib) = blocks_of(k);
            cells[ub * t + ib].push(Event {
                u: (u - user_bounds[ub]) as u32,
                i: (i - item_bounds[ib]) as u32,
                r: data.rating[k],
            });
        }
        // One seeded shuffle; epochs then visit each cell in this order (as Surprise visits
        // its ratings in one fixed order), which saves a copy and a shuffle per epoch.
        for c in &mut cells {
            c.shuffle(&mut rng);
        }
        Blocks {
            t,
            user_bounds,
            item_bounds,
            user_new,
            item_new,
            cells,
        }
    }

    /// Rows of `m` (original order) moved into block order.
    pub fn permute(&self, m: &Array2<f32>, users: bool) -> Array2<f32> {
        let mut out = Array2::zeros(m.raw_dim());
        for (old, &n) in self.new_index(users).iter().enumerate() {
            out.row_mut(n as usize).assign(&m.row(old));
        }
        out
    }

    /// Rows of `m` (block order) moved back to the original order.
    pub fn unpermute(&self, m: &Array2<f32>, users: bool) -> Array2<f32> {
        let mut out = Array2::zeros(m.raw_dim());
        for (old, &n) in self.new_index(users).iter().enumerate() {
            out.row_mut(old).assign(&m.row(n as usize));
        }
        out
    }

    /// The new index of every original row, on the user or the item side.
    fn new_index(&self, users: bool) -> &[u32] {
        if users {
            &self.user_new
        } else {
            &self.item_new
        }
    }

    /// A per-row value (bias, frozen mask; original order) moved into block order.
    pub fn permute_vec<T: Copy + Default>(&self, v: &[T], users: bool) -> Vec<T> {
        let mut out = vec![T::default(); v.len()];
        for (old, &n) in self.new_index(users).iter().enumerate() {
            out[n as usize] = v[old];
        }
        out
    }

    /// [`Blocks::permute_vec`] of a frozen-row mask.
    pub fn permute_mask(&self, mask: &[bool], users: bool) -> Vec<bool> {
        self.permute_vec(mask, users)
    }

    /// Undo [`Blocks::permute_vec`].
    pub fn unpermute_vec(&self, v: &[f32], users: bool) -> Vec<f32> {
        self.new_index(users)
            .iter()
            .map(|&n| v[n as usize])
            .collect()
    }
}

/// Split `data` (rows of width `k`) into the mutable blocks given by `bounds`.
pub(crate) fn split_rows<'a>(
    mut data: &'a mut [f32],
    bounds: &[usize],
    k: usize,
) -> Vec<&'a mut [f32]> {
    let mut out = Vec::with_capacity(bounds.len().saturating_sub(1));
    for w in bounds.windows(2) {
        let (head, tail) = data.split_at_mut((w[1] - w[0]) * k);
        out.push(head);
        data = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_lands_in_exactly_one_cell_and_permutation_round_trips() {
        let mut x = Interactions::default();
        for u in 0..13 {
            for i in 0..9 {
                if (u + i) % 3 == 0 {
                    x.push(&u.to_string(), &i.to_string(), (u * i) as f32, 0);
                }
            }
        }
        let b = Blocks::new(&x, 3, 1);
        assert_eq!(b.cells.iter().map(Vec::len).sum::<usize>(), x.len());
        assert_eq!(b.user_bounds, vec![0, 4, 8, 13]);
        let m = Array2::from_shape_fn((13, 2), |(r, c)| (r * 2 + c) as f32);
        assert_eq!(b.unpermute(&b.permute(&m, true), true), m);
        let mut data = vec![0.0f32; 13 * 2];
        let parts = split_rows(&mut data, &b.user_bounds, 2);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![8, 8, 10]
        );
    }
}

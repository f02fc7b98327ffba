//! The initial input vectors, drawn exactly as gensim 4 draws them.
//!
//! gensim's `Word2Vec(seed=S)` fills its input table with
//! `numpy.random.default_rng(S).random((V, dim), dtype=float32) * 2 - 1`, divided by `dim`
//! (`gensim.models.keyedvectors.prep_vectors`), in its vocabulary order: most frequent first,
//! ties broken by *last* first appearance (`np.lexsort((-indices, -counts))`). This module
//! re-implements that draw — numpy's `SeedSequence` seeding, the PCG64 (XSL-RR 128/64)
//! generator and its 24-bit `float32` conversion — and places each drawn row on the word it
//! belongs to in recsys's order (ties by first appearance). A recsys run and a gensim run with
//! the same seed therefore start from the same vectors for the same words, so a comparison of
//! the two trainers is not also a comparison of two random initialisations.

use ndarray::Array2;

/// numpy's `SeedSequence` constants (`numpy/random/bit_generator.pyx`).
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;
/// `SeedSequence`'s pool size in 32-bit words.
const POOL: usize = 4;

/// PCG's 128-bit LCG multiplier (`PCG_DEFAULT_MULTIPLIER_128`).
const PCG_MULT: u128 = 0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645;

fn hashmix(value: u32, hash_const: &mut u32) -> u32 {
    let mut v = value ^ *hash_const;
    *hash_const = hash_const.wrapping_mul(MULT_A);
    v = v.wrapping_mul(*hash_const);
    v ^ (v >> XSHIFT)
}

fn mix(x: u32, y: u32) -> u32 {
    let r = MIX_MULT_L
        .wrapping_mul(x)
        .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
    r ^ (r >> XSHIFT)
}

/// `SeedSequence(seed).generate_state(n)` as 32-bit words.
fn seed_sequence_state(seed: u64, n: usize) -> Vec<u32> {
    // the integer seed as little-endian 32-bit words (0 is one zero word)
    let mut entropy = vec![seed as u32];
    if seed >> 32 != 0 {
        entropy.push((seed >> 32) as u32);
    }
    let mut hash_const = INIT_A;
    let mut pool = [0u32; POOL];
    for (i, slot) in pool.iter_mut().enumerate() {
        *slot = hashmix(entropy.get(i).copied().unwrap_or(0), &mut hash_const);
    }
    for src in 0..POOL {
        for dst in 0..POOL {
            if src != dst {
                let h = hashmix(pool[src], &mut hash_const);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    // (an entropy of more than POOL words would be mixed in here; a u64 has two)
    let mut hash_const = INIT_B;
    (0..n)
        .map(|i| {
            let mut v = pool[i % POOL] ^ hash_const;
            hash_const = hash_const.wrapping_mul(MULT_B);
            v = v.wrapping_mul(hash_const);
            v ^ (v >> XSHIFT)
        })
        .collect()
}

/// numpy's `PCG64` bit generator (`numpy.random.PCG64`, the one `default_rng` uses).
#[derive(Debug, Clone)]
pub(crate) struct Pcg64 {
    state: u128,
    inc: u128,
    /// The high half of the last 64-bit draw, not yet handed out by [`Pcg64::next_u32`].
    pending: Option<u32>,
}

impl Pcg64 {
    /// `numpy.random.PCG64(seed)`.
    pub(crate) fn new(seed: u64) -> Self {
        let w = seed_sequence_state(seed, 8);
        let word = |i: usize| u64::from(w[2 * i]) | (u64::from(w[2 * i + 1]) << 32);
        let init_state = (u128::from(word(0)) << 64) | u128::from(word(1));
        let init_seq = (u128::from(word(2)) << 64) | u128::from(word(3));
        let mut rng = Pcg64 {
            state: 0,
            inc: (init_seq << 1) | 1,
            pending: None,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(init_state);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    /// The next 64-bit output (XSL-RR of the advanced state).
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        ((s >> 64) as u64 ^ s as u64).rotate_right((s >> 122) as u32)
    }

    /// The next 32-bit output: the low half of a 64-bit draw, then its high half.
    pub(crate) fn next_u32(&mut self) -> u32 {
        if let Some(hi) = self.pending.take() {
            return hi;
        }
        let x = self.next_u64();
        self.pending = Some((x >> 32) as u32);
        x as u32
    }

    /// `Generator.random(dtype=float32)`: 24 random bits in [0, 1).
    pub(crate) fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }
}

/// gensim's row of each of our rows: sort by count descending, ties by our row descending
/// (our ties are in order of first appearance, gensim's in the reverse order).
/// `order[g]` is our row at gensim's row `g`.
pub(crate) fn gensim_order(counts: &[u64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_unstable_by(|&a, &b| counts[b].cmp(&counts[a]).then(b.cmp(&a)));
    order
}

/// The `n × dim` input table gensim 4 starts from at `seed` for a vocabulary with these counts,
/// rows in recsys's order.
#[must_use]
pub(crate) fn gensim_init(counts: &[u64], dim: usize, seed: u64) -> Array2<f32> {
    let mut table = Array2::zeros((counts.len(), dim));
    let mut rng = Pcg64::new(seed);
    let scale = dim as f32;
    for row in gensim_order(counts) {
        for x in table.row_mut(row).iter_mut() {
            *x = (rng.next_f32() * 2.0 - 1.0) / scale;
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values printed by numpy 2 (`.venv-bench`):
    // `SeedSequence(42).generate_state(8, np.uint32)`, `PCG64(42).random_raw()`, and
    // `default_rng(s).random(5, dtype=np.float32) * 2**24`.
    #[test]
    fn seed_sequence_matches_numpy() {
        assert_eq!(
            seed_sequence_state(42, 8),
            [
                0xcd54_0ab7,
                0x9f1e_2e6d,
                0x79fb_94b6,
                0xd578_73dc,
                0x64d4_20b7,
                0x7d28_2a1b,
                0x4692_d5ff,
                0x3365_7971
            ]
        );
    }

    #[test]
    fn pcg64_matches_numpy() {
        assert_eq!(Pcg64::new(42).next_u64(), 0xc621_fbcd_16d9_2688);
        let cases: [(u64, [u32; 5]); 4] = [
            (
                42,
                [1_497_382, 12_984_827, 10_981_887, 7_363_158, 7_264_790],
            ),
            (0, [14_271_106, 10_686_443, 8_575_447, 4_526_269, 5_164_520]),
            (
                7,
                [15_852_874, 10_487_361, 11_478_634, 15_052_749, 9_702_137],
            ),
            (
                (1 << 40) + 5,
                [237_549, 79_514, 7_549_251, 6_250_932, 15_363_774],
            ),
        ];
        for (seed, want) in cases {
            let mut rng = Pcg64::new(seed);
            let got: Vec<u32> = (0..5)
                .map(|_| (rng.next_f32() * 16_777_216.0) as u32)
                .collect();
            assert_eq!(got, want, "seed {seed}");
        }
    }

    #[test]
    fn gensim_order_breaks_ties_by_last_appearance() {
        // counts in our order (ties by first appearance): gensim puts the later of a tie first
        assert_eq!(gensim_order(&[9, 5, 5, 5, 2, 2]), [0, 3, 2, 1, 5, 4]);
    }

    #[test]
    fn init_rows_follow_gensim_order() {
        let counts = [9, 5, 5, 2];
        let t = gensim_init(&counts, 3, 42);
        let mut rng = Pcg64::new(42);
        for row in [0, 2, 1, 3] {
            for c in 0..3 {
                let want = (rng.next_f32() * 2.0 - 1.0) / 3.0;
                assert_eq!(t[[row, c]].to_bits(), want.to_bits(), "row {row}");
            }
        }
        assert!(t.iter().all(|x| x.abs() < 1.0 / 3.0 + 1e-7));
    }
}

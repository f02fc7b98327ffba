//! The negative-sampling noise distribution `P(w) ∝ count(w)^α` as a Walker alias table:
//! one draw costs one random number and two array reads, and the table is vocabulary-sized
//! (word2vec.c's 10⁸-entry table would be 400 MB and miss the cache on every draw).

/// Alias table over word rows.
#[derive(Debug, Clone, Default)]
pub struct Noise {
    /// Probability (× 2³²) of keeping column `i` rather than its alias.
    keep: Vec<u64>,
    alias: Vec<u32>,
}

impl Noise {
    /// The distribution `count^exponent`, normalised. Zero counts are never drawn unless all
    /// are zero (then the draw is uniform).
    #[must_use]
    pub fn new(counts: &[u64], exponent: f64) -> Noise {
        let n = counts.len();
        if n == 0 {
            return Noise::default();
        }
        let w: Vec<f64> = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    (c as f64).powf(exponent)
                }
            })
            .collect();
        let total: f64 = w.iter().sum();
        let mut p: Vec<f64> = if total > 0.0 && total.is_finite() {
            w.iter().map(|x| x * n as f64 / total).collect()
        } else {
            vec![1.0; n]
        };
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let mut keep = vec![1u64 << 32; n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| p[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            keep[s] = (p[s] * 4_294_967_296.0) as u64;
            alias[s] = l as u32;
            p[l] -= 1.0 - p[s];
            if p[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // leftovers are 1 up to rounding
        Noise { keep, alias }
    }

    /// A word row drawn with one 64-bit random number.
    #[inline(always)]
    #[must_use]
    pub fn sample(&self, r: u64) -> u32 {
        let n = self.keep.len() as u64;
        let i = (((r >> 32) * n) >> 32) as usize;
        // both reads, then a select: the comparison is a coin flip for most words, so a branch
        // here mispredicts about once a draw
        let (keep, alias) = (self.keep[i], self.alias[i]);
        // (a mask rather than `std::hint::select_unpredictable`, which is newer than the MSRV)
        let own = 0u32.wrapping_sub(u32::from((r & 0xffff_ffff) < keep));
        (i as u32 & own) | (alias & !own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::word2vec::kernel::Rng;

    #[test]
    fn draws_follow_unigram_to_the_alpha() {
        let counts = [1000u64, 300, 100, 30, 10, 1, 0];
        for alpha in [0.75, 1.0, 0.0, -0.5] {
            let noise = Noise::new(&counts, alpha);
            let mut rng = Rng::new(7);
            let n = 2_000_000;
            let mut hist = [0u64; 7];
            for _ in 0..n {
                hist[noise.sample(rng.next_u64()) as usize] += 1;
            }
            let w: Vec<f64> = counts
                .iter()
                .map(|&c| if c == 0 { 0.0 } else { (c as f64).powf(alpha) })
                .collect();
            let total: f64 = w.iter().sum();
            for i in 0..7 {
                let expect = w[i] / total;
                let got = hist[i] as f64 / n as f64;
                // 5 standard errors of a binomial proportion
                let se = (expect * (1.0 - expect) / n as f64).sqrt();
                assert!(
                    (got - expect).abs() <= 5.0 * se + 1e-9,
                    "alpha {alpha} word {i}: {got} vs {expect}"
                );
            }
        }
    }
}

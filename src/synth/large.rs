//! Large MovieLens-shaped data to measure how far one machine goes (`recsys generate --items
//! M`): Zipf-like item popularity, long-tailed user activity (log-normal, at least 20 items a
//! user, as MovieLens keeps), timestamps in sessions, half-star ratings from an item quality and
//! a user bias, and titles with years and genres. Written as `movies.csv` + `ratings.csv` in the
//! MovieLens "latest" layout, streamed: memory holds the item table and one user's items, never
//! the interactions. Each user's rows come from an RNG seeded by (seed, user), so a file is
//! reproducible by seed.

use std::collections::HashSet;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

use super::GENRES;
use crate::checkpoint::formats::atomic_file_stream;
use crate::error::{Error, Result};

/// The shape of the generated data.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeConfig {
    /// RNG seed.
    pub seed: u64,
    /// Users.
    pub users: usize,
    /// Items.
    pub items: usize,
    /// Median items per user (log-normal), before the floor of 20.
    pub median_per_user: f64,
    /// σ of the log-normal items-per-user.
    pub sigma_per_user: f64,
    /// Zipf exponent of item popularity (weight of the item of rank r: `1 / (r + 10)^s`).
    pub zipf: f64,
}

impl Default for LargeConfig {
    /// Shaped like MovieLens 25M: about 150 interactions per user on average (median 70).
    fn default() -> Self {
        LargeConfig {
            seed: 7,
            users: 65_000,
            items: 25_000,
            median_per_user: 70.0,
            sigma_per_user: 1.23,
            zipf: 0.8,
        }
    }
}

/// What was written, and its shape (to set beside MovieLens's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LargeReport {
    /// Users.
    pub users: usize,
    /// Items.
    pub items: usize,
    /// Rows of `ratings.csv`.
    pub interactions: u64,
    /// Share of the interactions on the most popular 1 % of items.
    pub top1_share: f64,
    /// Median items per user.
    pub median_per_user: f64,
    /// 99th percentile of items per user.
    pub p99_per_user: f64,
}

/// One standard normal draw (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl LargeConfig {
    /// Reject shapes no run could use.
    pub fn check(&self) -> Result<()> {
        if self.users == 0 || self.items < 40 {
            return Err(Error::Param(format!(
                "generate needs at least 1 user and 40 items, not {} and {}",
                self.users, self.items
            )));
        }
        if !(self.median_per_user >= 1.0 && self.sigma_per_user >= 0.0 && self.zipf >= 0.0) {
            return Err(Error::Param(
                "items per user: median >= 1, sigma >= 0; zipf >= 0".into(),
            ));
        }
        Ok(())
    }
}

/// Write `movies.csv` and `ratings.csv` into `dir`.
pub fn generate(cfg: &LargeConfig, dir: &Path) -> Result<LargeReport> {
    cfg.check()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
    // item i (0-based) is popularity rank i; its quality and year
    let quality: Vec<f64> = (0..cfg.items).map(|_| 0.5 * normal(&mut rng)).collect();
    let mut cumulative = Vec::with_capacity(cfg.items);
    let mut total = 0.0;
    for r in 0..cfg.items {
        total += 1.0 / ((r + 10) as f64).powf(cfg.zipf);
        cumulative.push(total);
    }
    atomic_file_stream(&dir.join("movies.csv"), |w| {
        writeln!(w, "movieId,title,genres")?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0x6d6f_7669_6573);
        for i in 0..cfg.items {
            let year = 1950 + rng.random_range(0..71);
            let g1 = GENRES[rng.random_range(0..GENRES.len())];
            let g2 = GENRES[rng.random_range(0..GENRES.len())];
            let genres = if g1 == g2 {
                g1.to_string()
            } else {
                format!("{g1}|{g2}")
            };
            writeln!(w, "{},Film {} ({year}),{genres}", i + 1, i + 1)?;
        }
        Ok(())
    })?;
    let max_per_user = cfg.items / 2;
    let mut item_counts = vec![0u64; cfg.items];
    let mut per_user = Vec::with_capacity(cfg.users);
    atomic_file_stream(&dir.join("ratings.csv"), |w| {
        writeln!(w, "userId,movieId,rating,timestamp")?;
        let mut seen = HashSet::new();
        let mut line = String::new();
        for u in 0..cfg.users {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(
                cfg.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (u as u64 + 1),
            );
            let n = (cfg.median_per_user * (cfg.sigma_per_user * normal(&mut rng)).exp())
                .round()
                .clamp(20.0, max_per_user as f64) as usize;
            per_user.push(n as u32);
            let bias = 0.4 * normal(&mut rng);
            // 2000-01-01 .. 2020-01-01, then gaps of a few hours, days between sessions
            let mut t: i64 = 946_684_800 + rng.random_range(0..631_152_000);
            seen.clear();
            while seen.len() < n {
                let x = rng.random::<f64>() * total;
                let i = cumulative.partition_point(|&c| c < x).min(cfg.items - 1);
                if !seen.insert(i) {
                    continue;
                }
                item_counts[i] += 1;
                let r = (3.5 + quality[i] + bias + 0.9 * normal(&mut rng)).clamp(0.5, 5.0);
                let r = (r * 2.0).round() / 2.0;
                t += if rng.random::<f64>() < 0.1 {
                    rng.random_range(86_400..2_592_000)
                } else {
                    rng.random_range(30..3_600)
                };
                line.clear();
                use std::fmt::Write as _;
                let _ = writeln!(line, "{},{},{r:.1},{t}", u + 1, i + 1);
                w.write_all(line.as_bytes())?;
            }
        }
        Ok(())
    })?;
    let interactions: u64 = item_counts.iter().sum();
    item_counts.sort_unstable_by(|a, b| b.cmp(a));
    let top = (cfg.items as f64 * 0.01).round().max(1.0) as usize;
    let top1_share = item_counts[..top].iter().sum::<u64>() as f64 / interactions.max(1) as f64;
    per_user.sort_unstable();
    let pct = |q: f64| f64::from(per_user[((per_user.len() - 1) as f64 * q).round() as usize]);
    Ok(LargeReport {
        users: cfg.users,
        items: cfg.items,
        interactions,
        top1_share,
        median_per_user: pct(0.5),
        p99_per_user: pct(0.99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_by_seed_and_shaped() {
        let base = std::env::temp_dir().join(format!("recsys-large-{}", std::process::id()));
        let cfg = LargeConfig {
            users: 300,
            items: 800,
            ..LargeConfig::default()
        };
        let (a, b) = (base.join("a"), base.join("b"));
        let ra = generate(&cfg, &a).unwrap();
        let rb = generate(&cfg, &b).unwrap();
        assert_eq!(ra, rb);
        for f in ["movies.csv", "ratings.csv"] {
            assert_eq!(
                std::fs::read(a.join(f)).unwrap(),
                std::fs::read(b.join(f)).unwrap()
            );
        }
        let text = std::fs::read_to_string(a.join("ratings.csv")).unwrap();
        assert_eq!(text.lines().count() as u64, ra.interactions + 1);
        // every user has at least 20 distinct items; no (user, item) pair twice
        let mut pairs = HashSet::new();
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            assert!(pairs.insert((f[0].to_string(), f[1].to_string())), "{l}");
            let r: f64 = f[2].parse().unwrap();
            assert!((0.5..=5.0).contains(&r) && (r * 2.0).fract() == 0.0, "{l}");
        }
        assert!(ra.median_per_user >= 20.0 && ra.p99_per_user > 2.0 * ra.median_per_user);
        assert!(ra.top1_share > 0.02 && ra.top1_share < 0.3, "{ra:?}");
        let other = generate(&LargeConfig { seed: 8, ..cfg }, &base.join("c")).unwrap();
        assert_ne!(other, ra);
        std::fs::remove_dir_all(&base).unwrap();
    }
}

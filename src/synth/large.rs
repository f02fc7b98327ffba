//! Large MovieLens-shaped data to measure how far one machine goes (`recsys generate --items
//! M`): Zipf-like item popularity, long-tailed user activity (log-normal, at least 20 items a
//! user, as MovieLens keeps), timestamps in sessions, half-star ratings from an item quality and
//! a user bias, and titles with years and genres. Written as `movies.csv` + `ratings.csv` in the
//! MovieLens "latest" layout (or the same columns as Parquet), streamed: memory holds the item table and one user's items, never
//! the interactions. Each user's rows come from an RNG seeded by (seed, user), so a file is
//! reproducible by seed.

use std::collections::HashSet;
use std::io::Write;
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
    /// Write `movies.parquet` + `ratings.parquet` (row groups of 1M rows, zstd; genres as
    /// `list<string>`) instead of CSV; needs the `parquet` feature.
    pub parquet: bool,
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
            parquet: false,
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
        if self.parquet && !cfg!(feature = "parquet") {
            return Err(Error::Param(
                "Parquet output needs a build with `--features parquet`".into(),
            ));
        }
        Ok(())
    }
}

/// Rows of one Parquet row group.
#[cfg(feature = "parquet")]
const GROUP_ROWS: usize = 1 << 20;

/// Where the rows go: CSV lines, or Parquet row groups of [`GROUP_ROWS`].
enum Sink<'a> {
    Csv(&'a mut (dyn Write + Send)),
    #[cfg(feature = "parquet")]
    Parquet(
        Box<crate::data::parquet::TableWriter<&'a mut (dyn Write + Send)>>,
        Vec<crate::data::parquet::ColumnData>,
    ),
}

impl<'a> Sink<'a> {
    /// A sink writing `header` (CSV) or these Parquet columns.
    fn new(
        w: &'a mut (dyn Write + Send),
        parquet: bool,
        header: &str,
    ) -> std::io::Result<Sink<'a>> {
        #[cfg(feature = "parquet")]
        if parquet {
            use crate::data::parquet::{ColumnData as D, ColumnKind as K, TableWriter};
            let (cols, data): (Vec<(&str, K)>, Vec<D>) = match header {
                "movieId,title,genres" => (
                    vec![
                        ("movieId", K::Int64),
                        ("title", K::String),
                        ("genres", K::StringList),
                    ],
                    vec![D::Int64(vec![]), D::String(vec![]), D::StringList(vec![])],
                ),
                _ => (
                    vec![
                        ("userId", K::Int64),
                        ("movieId", K::Int64),
                        ("rating", K::Float),
                        ("timestamp", K::Int64),
                    ],
                    vec![
                        D::Int64(vec![]),
                        D::Int64(vec![]),
                        D::Float(vec![]),
                        D::Int64(vec![]),
                    ],
                ),
            };
            return Ok(Sink::Parquet(Box::new(TableWriter::new(w, &cols)?), data));
        }
        let _ = parquet;
        writeln!(w, "{header}")?;
        Ok(Sink::Csv(w))
    }

    fn movie(&mut self, id: usize, title: &str, genres: &[&str]) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => writeln!(w, "{id},{title},{}", genres.join("|")),
            #[cfg(feature = "parquet")]
            Sink::Parquet(_, data) => {
                use crate::data::parquet::ColumnData as D;
                if let [D::Int64(i), D::String(t), D::StringList(g)] = &mut data[..] {
                    i.push(id as i64);
                    t.push(title.to_string());
                    g.push(genres.iter().map(|s| (*s).to_string()).collect());
                }
                self.flush(false)
            }
        }
    }

    fn rating(
        &mut self,
        user: usize,
        item: usize,
        r: f64,
        t: i64,
        line: &mut String,
    ) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => {
                line.clear();
                use std::fmt::Write as _;
                let _ = writeln!(line, "{user},{item},{r:.1},{t}");
                w.write_all(line.as_bytes())
            }
            #[cfg(feature = "parquet")]
            Sink::Parquet(_, data) => {
                use crate::data::parquet::ColumnData as D;
                if let [D::Int64(u), D::Int64(i), D::Float(rs), D::Int64(ts)] = &mut data[..] {
                    u.push(user as i64);
                    i.push(item as i64);
                    rs.push(r as f32);
                    ts.push(t);
                }
                self.flush(false)
            }
        }
    }

    /// Write a full row group (or, at the end, what is left, and the footer).
    #[cfg(feature = "parquet")]
    fn flush(&mut self, end: bool) -> std::io::Result<()> {
        use crate::data::parquet::ColumnData as D;
        if let Sink::Parquet(w, data) = self {
            let rows = match &data[0] {
                D::Int64(v) => v.len(),
                _ => 0,
            };
            if rows >= GROUP_ROWS || (end && rows > 0) {
                w.write_group(data)?;
                for d in data.iter_mut() {
                    match d {
                        D::Int32(v) => v.clear(),
                        D::Int64(v) => v.clear(),
                        D::Float(v) => v.clear(),
                        D::String(v) => v.clear(),
                        D::FloatList(v) => v.clear(),
                        D::Int32List(v) => v.clear(),
                        D::StringList(v) => v.clear(),
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        #[cfg(feature = "parquet")]
        {
            self.flush(true)?;
            if let Sink::Parquet(w, _) = self {
                return w.finish();
            }
        }
        let _ = &mut self;
        Ok(())
    }
}

/// Write `movies.csv` and `ratings.csv` (or `.parquet`) into `dir`.
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
    let ext = if cfg.parquet { "parquet" } else { "csv" };
    atomic_file_stream(&dir.join(format!("movies.{ext}")), |w| {
        let mut out = Sink::new(w, cfg.parquet, "movieId,title,genres")?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0x6d6f_7669_6573);
        for i in 0..cfg.items {
            let year = 1950 + rng.random_range(0..71);
            let g1 = GENRES[rng.random_range(0..GENRES.len())];
            let g2 = GENRES[rng.random_range(0..GENRES.len())];
            let genres: &[&str] = if g1 == g2 { &[g1] } else { &[g1, g2] };
            out.movie(i + 1, &format!("Film {} ({year})", i + 1), genres)?;
        }
        out.finish()
    })?;
    let max_per_user = cfg.items / 2;
    let mut item_counts = vec![0u64; cfg.items];
    let mut per_user = Vec::with_capacity(cfg.users);
    atomic_file_stream(&dir.join(format!("ratings.{ext}")), |w| {
        let mut out = Sink::new(w, cfg.parquet, "userId,movieId,rating,timestamp")?;
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
                out.rating(u + 1, i + 1, r, t, &mut line)?;
            }
        }
        out.finish()
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

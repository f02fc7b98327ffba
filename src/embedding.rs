//! Embedding tables: sizing (the fourth-root rule), initialisation and bag combiners.

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The fourth-root rule: `max(2, round(n^0.25))` for a column of `n` ids.
#[must_use]
pub fn fourth_root_dim(n: usize) -> usize {
    ((n as f64).powf(0.25).round() as usize).max(2)
}

/// An embedding width: fixed, or `auto` (the fourth-root rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dimension {
    /// [`fourth_root_dim`] of the column's size.
    #[default]
    Auto,
    /// A fixed width.
    Fixed(usize),
}

impl Dimension {
    /// The width for a column of `n` ids.
    #[must_use]
    pub fn resolve(self, n: usize) -> usize {
        match self {
            Dimension::Auto => fourth_root_dim(n),
            Dimension::Fixed(d) => d,
        }
    }

    /// Parse `auto` or a positive integer.
    pub fn parse(s: &str) -> Option<Dimension> {
        if s.eq_ignore_ascii_case("auto") {
            Some(Dimension::Auto)
        } else {
            s.parse().ok().filter(|&d| d > 0).map(Dimension::Fixed)
        }
    }
}

impl Serialize for Dimension {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dimension::Auto => s.serialize_str("auto"),
            Dimension::Fixed(d) => s.serialize_u64(*d as u64),
        }
    }
}

impl<'de> Deserialize<'de> for Dimension {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Dimension::Fixed(n as usize)),
            Raw::S(s) => Dimension::parse(&s).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "dimension must be 'auto' or a positive integer, not '{s}'"
                ))
            }),
        }
    }
}

/// How a bag of ids becomes one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combiner {
    /// Average of the rows.
    #[default]
    Mean,
    /// Sum of the rows.
    Sum,
    /// Sum divided by the square root of the bag size.
    Sqrtn,
}

impl Combiner {
    /// The scale applied to the summed rows of a bag of `n` ids (0 for an empty bag).
    #[must_use]
    pub fn scale(self, n: usize) -> f32 {
        if n == 0 {
            return 0.0;
        }
        match self {
            Combiner::Mean => 1.0 / n as f32,
            Combiner::Sum => 1.0,
            Combiner::Sqrtn => 1.0 / (n as f32).sqrt(),
        }
    }

    /// Combine the rows `ids` of `table` into `out` (overwritten). An empty bag gives zeros.
    pub fn combine(self, table: ArrayView2<'_, f32>, ids: &[u32], out: &mut [f32]) {
        out.iter_mut().for_each(|v| *v = 0.0);
        for &i in ids {
            for (o, &x) in out.iter_mut().zip(table.row(i as usize)) {
                *o += x;
            }
        }
        let s = self.scale(ids.len());
        out.iter_mut().for_each(|v| *v *= s);
    }
}

/// Initial values of a new table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Initializer {
    /// Normal(0, std²) truncated at two standard deviations.
    TruncatedNormal {
        /// Standard deviation.
        std: f32,
    },
    /// Uniform in `[-scale, scale)`.
    Uniform {
        /// Half-width.
        scale: f32,
    },
    /// Uniform in `[0, scale)` (implicit's ALS initialisation).
    UniformPositive {
        /// Width.
        scale: f32,
    },
    /// All zeros.
    Zeros,
}

impl Default for Initializer {
    /// TensorFlow's `embedding_column` default: truncated normal with std `1/sqrt(dim)` is
    /// applied by [`Initializer::default_for`]; this default is a fixed 0.05.
    fn default() -> Self {
        Initializer::TruncatedNormal { std: 0.05 }
    }
}

impl Initializer {
    /// TensorFlow's default for a table of width `dim`: truncated normal, std `1/sqrt(dim)`.
    #[must_use]
    pub fn default_for(dim: usize) -> Self {
        Initializer::TruncatedNormal {
            std: 1.0 / (dim.max(1) as f32).sqrt(),
        }
    }

    /// A new `rows × dim` table, deterministic for a seed.
    #[must_use]
    pub fn table(self, rows: usize, dim: usize, seed: u64) -> Array2<f32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut sample = move || -> f32 {
            match self {
                Initializer::TruncatedNormal { std } => loop {
                    // Box–Muller
                    let u1: f32 = rng.random::<f32>().max(f32::MIN_POSITIVE);
                    let u2: f32 = rng.random();
                    let z = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
                    if z.abs() <= 2.0 {
                        break z * std;
                    }
                },
                Initializer::Uniform { scale } => (rng.random::<f32>() * 2.0 - 1.0) * scale,
                Initializer::UniformPositive { scale } => rng.random::<f32>() * scale,
                Initializer::Zeros => 0.0,
            }
        };
        Array2::from_shape_simple_fn((rows, dim), &mut sample)
    }
}

/// The memory this machine has, in bytes (`MemTotal` of `/proc/meminfo`; 16 GiB where it
/// cannot be read).
#[must_use]
pub fn machine_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .map_or(16 << 30, |kib| kib * 1024)
}

/// Refuse a table that could not be allocated (with its optimiser state) instead of aborting
/// on allocation: `rows × dim` f32 values may use at most a quarter of the machine's memory.
pub fn check_table_fits(name: &str, rows: usize, dim: usize) -> crate::error::Result<()> {
    let bytes = (rows as u128) * (dim as u128) * 4;
    let limit = u128::from(machine_memory() / 4);
    if bytes > limit {
        let gib = |b: u128| b as f64 / f64::from(1u32 << 30);
        return Err(crate::error::Error::Param(format!(
            "table '{name}' would be {rows} rows × {dim} = {:.1} GiB, more than a quarter of this machine's {:.1} GiB; use fewer hash buckets, a hashed cross or a smaller dimension",
            gib(bytes),
            gib(limit * 4)
        )));
    }
    Ok(())
}

/// Scale every row of `t` to unit L2 norm (zero rows stay zero).
pub fn normalize_rows(t: &mut ndarray::Array2<f32>) {
    for mut row in t.rows_mut() {
        let n = row.dot(&row).sqrt();
        if n > 0.0 {
            row.mapv_inplace(|v| v / n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourth_root_rule() {
        assert_eq!(fourth_root_dim(0), 2);
        assert_eq!(fourth_root_dim(1), 2);
        assert_eq!(fourth_root_dim(7), 2);
        assert_eq!(fourth_root_dim(168), 4);
        assert_eq!(fourth_root_dim(943), 6); // 943^0.25 = 5.54
        assert_eq!(fourth_root_dim(1682), 6); // 6.40
        assert_eq!(fourth_root_dim(10_000), 10);
    }

    #[test]
    fn combiners() {
        let t = ndarray::array![[1.0f32, 2.0], [3.0, 4.0], [0.0, 0.0]];
        let mut out = [0.0f32; 2];
        Combiner::Sum.combine(t.view(), &[0, 1], &mut out);
        assert_eq!(out, [4.0, 6.0]);
        Combiner::Mean.combine(t.view(), &[0, 1], &mut out);
        assert_eq!(out, [2.0, 3.0]);
        Combiner::Sqrtn.combine(t.view(), &[0, 1], &mut out);
        assert!((out[0] - 4.0 / 2f32.sqrt()).abs() < 1e-6);
        Combiner::Mean.combine(t.view(), &[], &mut out);
        assert_eq!(out, [0.0, 0.0]);
    }

    #[test]
    fn init_is_seeded_and_bounded() {
        let a = Initializer::TruncatedNormal { std: 0.1 }.table(50, 4, 7);
        let b = Initializer::TruncatedNormal { std: 0.1 }.table(50, 4, 7);
        assert_eq!(a, b);
        assert!(a.iter().all(|v| v.abs() <= 0.2 + 1e-6));
        assert_ne!(a, Initializer::TruncatedNormal { std: 0.1 }.table(50, 4, 8));
        assert_eq!(Dimension::parse("auto"), Some(Dimension::Auto));
        assert_eq!(Dimension::parse("16"), Some(Dimension::Fixed(16)));
        assert_eq!(Dimension::parse("0"), None);
    }
}

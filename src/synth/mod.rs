//! A synthetic MovieLens-"latest"-format data set with planted structure, ours to ship.
//!
//! Films come in *families* (an original and its sequels, sharing genres) plus standalone
//! films. Each user loves a few families and a few genres: they watch most films of their
//! families in release order and rate them high, some films of their genres, and a few
//! popular films at random. So a film's nearest neighbours should be its own sequels.
//! Everything is drawn from one seeded RNG: the same config gives byte-identical files.

pub mod large;

use std::fmt::Write;
use std::path::Path;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::Result;

const GENRES: &[&str] = &[
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Horror",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];
const ADJ: &[&str] = &[
    "Iron", "Silent", "Crimson", "Hidden", "Broken", "Golden", "Last", "Frozen", "Wild", "Lonely",
    "Midnight", "Burning", "Velvet", "Electric", "Savage", "Paper", "Glass", "Hollow", "Distant",
    "Lucky",
];
const NOUN: &[&str] = &[
    "Harbor",
    "Kingdom",
    "Detective",
    "River",
    "Garden",
    "Empire",
    "Circus",
    "Frontier",
    "Orchard",
    "Engine",
    "Lighthouse",
    "Carnival",
    "Canyon",
    "Voyage",
    "Mirror",
    "Dragon",
    "Station",
    "Island",
    "Symphony",
    "Heist",
];

/// A family of films given explicitly (for fixtures with real titles).
#[derive(Debug, Clone)]
pub struct Family {
    /// Titles in release order, e.g. `["Shrek (2001)", "Shrek 2 (2004)"]`.
    pub titles: Vec<String>,
    /// Shared genres.
    pub genres: Vec<String>,
}

/// Generator settings.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// RNG seed.
    pub seed: u64,
    /// Number of generated families (ignored when `families` is given).
    pub n_families: usize,
    /// Number of standalone films.
    pub n_standalone: usize,
    /// Number of users.
    pub n_users: usize,
    /// Explicit families instead of generated ones.
    pub families: Option<Vec<Family>>,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 7,
            n_families: 60,
            n_standalone: 120,
            n_users: 600,
            families: None,
        }
    }
}

/// One film.
#[derive(Debug, Clone, PartialEq)]
pub struct Film {
    /// `movieId`.
    pub id: u32,
    /// Title with year.
    pub title: String,
    /// Genres.
    pub genres: Vec<String>,
    /// Family index, if in a family.
    pub family: Option<usize>,
}

/// A generated data set.
#[derive(Debug, Clone)]
pub struct SynthData {
    /// Films.
    pub films: Vec<Film>,
    /// `(userId, movieId, rating, timestamp)`.
    pub ratings: Vec<(u32, u32, f32, i64)>,
}

fn pick_genres(rng: &mut Xoshiro256PlusPlus) -> Vec<String> {
    let n = rng.random_range(1..=3);
    let mut g: Vec<String> = GENRES
        .choose_multiple(rng, n)
        .map(|s| s.to_string())
        .collect();
    g.sort();
    g
}

fn generated_families(cfg: &SynthConfig, rng: &mut Xoshiro256PlusPlus) -> Vec<Family> {
    let mut used = std::collections::HashSet::new();
    let mut out = Vec::new();
    while out.len() < cfg.n_families {
        let a = *ADJ.choose(rng).unwrap_or(&"Iron");
        let n = *NOUN.choose(rng).unwrap_or(&"Harbor");
        if !used.insert((a, n)) {
            continue;
        }
        let the = rng.random_bool(0.3);
        let year = rng.random_range(1975..2015);
        let count: i32 = rng.random_range(2..=4);
        let titles = (0..count)
            .map(|k| {
                let num = if k == 0 {
                    String::new()
                } else {
                    format!(" {}", k + 1)
                };
                let y = year + 3 * k;
                if the {
                    format!("{a} {n}{num}, The ({y})")
                } else {
                    format!("{a} {n}{num} ({y})")
                }
            })
            .collect();
        out.push(Family {
            titles,
            genres: pick_genres(rng),
        });
    }
    out
}

/// Generate a data set.
#[must_use]
pub fn generate(cfg: &SynthConfig) -> SynthData {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
    let families = cfg
        .families
        .clone()
        .unwrap_or_else(|| generated_families(cfg, &mut rng));
    let mut films = Vec::new();
    for (f, fam) in families.iter().enumerate() {
        for t in &fam.titles {
            films.push(Film {
                id: films.len() as u32 + 1,
                title: t.clone(),
                genres: fam.genres.clone(),
                family: Some(f),
            });
        }
    }
    for s in 0..cfg.n_standalone {
        let a = ADJ[s % ADJ.len()];
        let n = NOUN[(s * 7 + s / ADJ.len()) % NOUN.len()];
        let year = rng.random_range(1960..2020);
        // Some standalone titles carry a comma, so the CSV needs quoting.
        let title = if s % 9 == 0 {
            format!("{a}, {n} and Others ({year})")
        } else {
            format!("The {n} of {a} Things ({year})")
        };
        films.push(Film {
            id: films.len() as u32 + 1,
            title,
            genres: pick_genres(&mut rng),
            family: None,
        });
    }
    // Popularity: a Zipf-like weight per film, used for genre and random picks.
    let weight: Vec<f64> = (0..films.len())
        .map(|i| 1.0 / (1.0 + (i % 37) as f64).sqrt())
        .collect();
    let mut ratings = Vec::new();
    for u in 1..=cfg.n_users as u32 {
        let nfav = rng.random_range(1..=3);
        let favs: Vec<usize> = (0..families.len())
            .collect::<Vec<_>>()
            .choose_multiple(&mut rng, nfav.min(families.len()))
            .copied()
            .collect();
        let fav_genres = pick_genres(&mut rng);
        let mut ts: i64 = 1_000_000_000 + rng.random_range(0..200_000_000);
        let mut seen = std::collections::HashSet::new();
        let mut watch =
            |film: &Film, r: f32, ts: &mut i64, ratings: &mut Vec<(u32, u32, f32, i64)>| {
                if seen.insert(film.id) {
                    *ts += rng_step(film.id, u);
                    ratings.push((u, film.id, r, *ts));
                }
            };
        for &f in &favs {
            for film in films.iter().filter(|x| x.family == Some(f)) {
                if rng.random_bool(0.9) {
                    let r = [4.0, 4.5, 5.0][rng.random_range(0..3)];
                    watch(film, r, &mut ts, &mut ratings);
                }
            }
        }
        let genre_films: Vec<usize> = (0..films.len())
            .filter(|&i| films[i].genres.iter().any(|g| fav_genres.contains(g)))
            .collect();
        for _ in 0..rng.random_range(5..12) {
            if let Ok(&i) = genre_films.choose_weighted(&mut rng, |&i| weight[i]) {
                let r = [3.0, 3.5, 4.0, 4.5][rng.random_range(0..4)];
                watch(&films[i], r, &mut ts, &mut ratings);
            }
        }
        for _ in 0..rng.random_range(2..6) {
            let i = rng.random_range(0..films.len());
            let r = [1.0, 2.0, 2.5, 3.0][rng.random_range(0..4)];
            watch(&films[i], r, &mut ts, &mut ratings);
        }
    }
    SynthData { films, ratings }
}

/// A deterministic gap between two ratings of a user (seconds).
fn rng_step(film: u32, user: u32) -> i64 {
    3600 + i64::from((film.wrapping_mul(2_654_435_761) ^ user.wrapping_mul(40_503)) % 86_400)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl SynthData {
    /// `movies.csv` text (`movieId,title,genres`, quoted where needed).
    #[must_use]
    pub fn movies_csv(&self) -> String {
        let mut s = String::from("movieId,title,genres\n");
        for f in &self.films {
            let _ = writeln!(
                s,
                "{},{},{}",
                f.id,
                csv_field(&f.title),
                csv_field(&f.genres.join("|"))
            );
        }
        s
    }

    /// `ratings.csv` text (`userId,movieId,rating,timestamp`).
    #[must_use]
    pub fn ratings_csv(&self) -> String {
        let mut s = String::from("userId,movieId,rating,timestamp\n");
        for (u, i, r, t) in &self.ratings {
            let _ = writeln!(s, "{u},{i},{r:.1},{t}");
        }
        s
    }

    /// The data as in-memory interactions and catalog (what loading the written files gives).
    #[must_use]
    pub fn to_dataset(&self) -> (crate::data::Interactions, crate::data::Catalog) {
        let mut x = crate::data::Interactions {
            has_rating: true,
            has_timestamp: true,
            ..Default::default()
        };
        for (u, i, r, t) in &self.ratings {
            x.push(&u.to_string(), &i.to_string(), *r, *t);
        }
        let mut c = crate::data::Catalog::default();
        for f in &self.films {
            c.insert(
                f.id.to_string(),
                crate::data::ItemInfo {
                    title: f.title.clone(),
                    genres: f.genres.clone(),
                },
            );
        }
        (x, c)
    }

    /// Write `movies.csv` and `ratings.csv` into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> Result<()> {
        use crate::checkpoint::formats::atomic_file_write;
        atomic_file_write(&dir.join("movies.csv"), self.movies_csv().as_bytes())?;
        atomic_file_write(&dir.join("ratings.csv"), self.ratings_csv().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_structured() {
        let a = generate(&SynthConfig::default());
        let b = generate(&SynthConfig::default());
        assert_eq!(a.ratings_csv(), b.ratings_csv());
        assert_eq!(a.movies_csv(), b.movies_csv());
        assert!(a.films.len() > 250);
        assert!(a.ratings.len() > 5_000);
        assert!(a.movies_csv().contains('"'), "some titles need quoting");
        let c = generate(&SynthConfig {
            seed: 8,
            ..Default::default()
        });
        assert_ne!(a.ratings_csv(), c.ratings_csv());
    }
}

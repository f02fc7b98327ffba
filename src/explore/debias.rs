//! Hard debiasing of word vectors (Bolukbasi et al. 2016, "Man is to Computer Programmer as
//! Woman is to Homemaker?"): identify a bias direction from definitional pairs, neutralise
//! the words that should not carry it, equalise pairs that should differ only along it.
//!
//! 1. All rows are L2-normalised.
//! 2. Direction `g`: the first principal component of the definitional pairs' vectors, each
//!    centred on its pair's mean (`a − μ`, `b − μ`), as in the paper.
//! 3. Neutralise: every word outside the *specific* set (the definitional and equalise words,
//!    plus any given list) loses its component along `g` (`w ← w − (w·g) g`) and is
//!    renormalised, so its projection on `g` is 0.
//! 4. Equalise: for each pair `(a, b)`, with `μ = (a + b)/2` and `ν = μ − (μ·g) g`, the pair
//!    becomes `ν ± √(1 − |ν|²) g`: equal length, mirror images along `g`, equidistant from every
//!    neutralised word.
//!
//! The paper learns its list of gender-specific words with a classifier (218 seeds grown to
//! 6,449 words); here the specific set is the pairs' words plus an optional list.

use std::collections::HashSet;

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};
use crate::vocab::Vocab;

/// The definitional pairs of the paper (gender).
pub const DEFINITIONAL: &[(&str, &str)] = &[
    ("woman", "man"),
    ("girl", "boy"),
    ("she", "he"),
    ("mother", "father"),
    ("daughter", "son"),
    ("gal", "guy"),
    ("female", "male"),
    ("her", "his"),
    ("herself", "himself"),
    ("mary", "john"),
];

/// Pairs to equalise (gender), a subset of the paper's list in this tokenizer's spelling.
pub const EQUALIZE: &[(&str, &str)] = &[
    ("actress", "actor"),
    ("actresses", "actors"),
    ("aunt", "uncle"),
    ("daughter", "son"),
    ("daughters", "sons"),
    ("girl", "boy"),
    ("girls", "boys"),
    ("grandmother", "grandfather"),
    ("her", "his"),
    ("herself", "himself"),
    ("lady", "gentleman"),
    ("mom", "dad"),
    ("mother", "father"),
    ("mothers", "fathers"),
    ("niece", "nephew"),
    ("princess", "prince"),
    ("queen", "king"),
    ("queens", "kings"),
    ("she", "he"),
    ("sister", "brother"),
    ("sisters", "brothers"),
    ("wife", "husband"),
    ("woman", "man"),
    ("women", "men"),
];

/// What debiasing did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DebiasReport {
    /// Definitional pairs found in the vocabulary.
    pub pairs_used: usize,
    /// Share of the centred pairs' variance along `g` (how one-dimensional the bias is).
    pub direction_explained: f64,
    /// Words neutralised.
    pub neutralised: usize,
    /// Pairs equalised.
    pub equalised: usize,
    /// Mean |w·g| over the neutralised words, before and after.
    pub mean_abs_projection_before: f64,
    /// After (≈ 0).
    pub mean_abs_projection_after: f64,
    /// The neutralised words most projected on `g` before (word, projection), both signs.
    pub most_biased_before: Vec<(String, f64)>,
}

fn normalise(t: &mut Array2<f32>) {
    crate::embedding::normalize_rows(t);
}

fn dot(a: ndarray::ArrayView1<'_, f32>, g: &Array1<f64>) -> f64 {
    a.iter().zip(g).map(|(x, y)| f64::from(*x) * y).sum()
}

/// Debias `table` (rows by `vocab`) in place; returns the report and the direction `g`.
pub fn debias(
    table: &mut Array2<f32>,
    vocab: &Vocab,
    definitional: &[(String, String)],
    equalize: &[(String, String)],
    specific: &HashSet<String>,
) -> Result<(DebiasReport, Array1<f64>)> {
    normalise(table);
    let d = table.ncols();
    let row = |w: &str| vocab.get(w).map(|r| r as usize);
    let mut centred = Vec::new();
    for (a, b) in definitional {
        if let (Some(ra), Some(rb)) = (row(a), row(b)) {
            for (r, other) in [(ra, rb), (rb, ra)] {
                let v: Vec<f32> = (0..d)
                    .map(|k| table[[r, k]] - (table[[r, k]] + table[[other, k]]) / 2.0)
                    .collect();
                centred.extend(v);
            }
        }
    }
    let pairs_used = centred.len() / d.max(1) / 2;
    if pairs_used < 1 {
        return Err(Error::Param(
            "none of the definitional pairs is in the vocabulary (give --pairs a:b,c:d with words the model has)".into(),
        ));
    }
    let m = Array2::from_shape_vec((2 * pairs_used, d), centred)
        .map_err(|e| Error::Param(e.to_string()))?;
    // uncentred PCA of the centred pair vectors (their mean is zero by construction)
    let cov = m.mapv(f64::from).t().dot(&m.mapv(f64::from));
    let (vals, vecs) = crate::models::rsvd::sym_eig(&cov);
    let total: f64 = vals.iter().map(|v| v.max(0.0)).sum();
    let g = vecs.column(0).to_owned();
    let mut skip: HashSet<&str> = specific.iter().map(String::as_str).collect();
    for (a, b) in definitional.iter().chain(equalize) {
        skip.insert(a);
        skip.insert(b);
    }
    let (mut before, mut after, mut neutralised) = (0.0, 0.0, 0usize);
    let mut biased: Vec<(String, f64)> = Vec::new();
    for (r, key) in vocab.keys().iter().enumerate() {
        if skip.contains(key.as_str()) {
            continue;
        }
        let p = dot(table.row(r), &g);
        before += p.abs();
        biased.push((key.clone(), p));
        for k in 0..d {
            table[[r, k]] -= (p * g[k]) as f32;
        }
        let n: f32 = table.row(r).iter().map(|v| v * v).sum::<f32>().sqrt();
        if n > 0.0 {
            table.row_mut(r).mapv_inplace(|v| v / n);
        }
        after += dot(table.row(r), &g).abs();
        neutralised += 1;
    }
    let mut equalised = 0;
    for (a, b) in equalize {
        let (Some(ra), Some(rb)) = (row(a), row(b)) else {
            continue;
        };
        let mu: Vec<f64> = (0..d)
            .map(|k| (f64::from(table[[ra, k]]) + f64::from(table[[rb, k]])) / 2.0)
            .collect();
        let mu_g: f64 = mu.iter().zip(&g).map(|(x, y)| x * y).sum();
        let nu: Vec<f64> = mu.iter().zip(&g).map(|(x, y)| x - mu_g * y).collect();
        let nu2: f64 = nu.iter().map(|v| v * v).sum();
        let scale = (1.0 - nu2).max(0.0).sqrt();
        let sa = if dot(table.row(ra), &g) >= dot(table.row(rb), &g) {
            1.0
        } else {
            -1.0
        };
        for k in 0..d {
            table[[ra, k]] = (nu[k] + sa * scale * g[k]) as f32;
            table[[rb, k]] = (nu[k] - sa * scale * g[k]) as f32;
        }
        equalised += 1;
    }
    biased.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()));
    biased.truncate(20);
    let nn = neutralised.max(1) as f64;
    Ok((
        DebiasReport {
            pairs_used,
            direction_explained: if total > 0.0 {
                vals[0].max(0.0) / total
            } else {
                0.0
            },
            neutralised,
            equalised,
            mean_abs_projection_before: before / nn,
            mean_abs_projection_after: after / nn,
            most_biased_before: biased,
        },
        g,
    ))
}

/// `(a, b)` pairs from `"a:b,c:d"`.
pub fn parse_pairs(s: &str) -> Result<Vec<(String, String)>> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once(':')
                .map(|(a, b)| (a.trim().to_lowercase(), b.trim().to_lowercase()))
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .ok_or_else(|| Error::Param(format!("'{p}' is not a pair like she:he")))
        })
        .collect()
}

/// The built-in pair lists as owned strings.
#[must_use]
pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Words with a planted bias direction (dimension 0): "she"/"he" and "queen"/"king" differ
    /// along it, "nurse" and "doctor" lean on it, the rest are random.
    fn planted() -> (Array2<f32>, Vocab) {
        let words = [
            "she", "he", "woman", "man", "queen", "king", "nurse", "doctor", "table", "river",
            "music", "ocean",
        ];
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
        let mut t = Array2::from_shape_simple_fn((words.len(), 16), || rng.random::<f32>() - 0.5);
        let lean = [
            1.0f32, -1.0, 1.0, -1.0, 0.8, -0.8, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0,
        ];
        for (r, l) in lean.iter().enumerate() {
            t[[r, 0]] += 2.0 * l;
        }
        (t, Vocab::from_keys(words))
    }

    #[test]
    fn neutral_words_lose_the_direction_and_pairs_become_mirrors() {
        let (mut t, v) = planted();
        let defs = parse_pairs("she:he, woman:man").unwrap();
        let eq = parse_pairs("queen:king").unwrap();
        let (rep, g) = debias(&mut t, &v, &defs, &eq, &HashSet::new()).unwrap();
        assert_eq!(rep.pairs_used, 2);
        assert!(g[0].abs() > 0.9, "direction {g:?}");
        assert_eq!(rep.neutralised, 6);
        assert!(rep.mean_abs_projection_before > 0.1);
        assert!(rep.mean_abs_projection_after < 1e-6, "{rep:?}");
        assert!(["nurse", "doctor"].contains(&rep.most_biased_before[0].0.as_str()));
        for w in ["nurse", "doctor", "table", "river"] {
            let r = v.get(w).unwrap() as usize;
            assert!(dot(t.row(r), &g).abs() < 1e-6, "{w}");
        }
        // equalised: mirror images along g, equidistant from every neutral word
        let (q, k) = (
            v.get("queen").unwrap() as usize,
            v.get("king").unwrap() as usize,
        );
        assert!((dot(t.row(q), &g) + dot(t.row(k), &g)).abs() < 1e-5);
        for w in ["nurse", "doctor", "music"] {
            let r = v.get(w).unwrap() as usize;
            let dq: f32 = t.row(r).dot(&t.row(q));
            let dk: f32 = t.row(r).dot(&t.row(k));
            assert!((dq - dk).abs() < 1e-5, "{w}: {dq} vs {dk}");
        }
        let nq: f32 = t.row(q).dot(&t.row(q));
        assert!((nq - 1.0).abs() < 1e-5);
        assert!(parse_pairs("she-he").is_err());
        let (mut t2, v2) = planted();
        assert!(debias(
            &mut t2,
            &v2,
            &parse_pairs("x:y").unwrap(),
            &[],
            &HashSet::new()
        )
        .is_err());
    }
}

//! Word-vector evaluation with gensim's conventions: analogy accuracy on
//! `questions-words.txt` (`evaluate_word_analogies`) and Spearman's ρ on word-pair similarity
//! sets such as WordSim-353 and SimLex-999 (`evaluate_word_pairs`).
//!
//! - Case-insensitive: words are compared lower-cased; when several vocabulary words share a
//!   lower-cased form, the most frequent (lowest row) stands for it.
//! - Only the `restrict` most frequent words take part (default [`DEFAULT_RESTRICT`], gensim's
//!   `restrict_vocab=300000`): a question or pair with any word outside them is skipped and
//!   counted as not covered / out of vocabulary.
//! - An analogy `a : b :: c : ?` is answered by the candidate nearest (cosine) to
//!   `unit(b) − unit(a) + unit(c)`, the three question words excluded (3CosAdd).
//! - ρ is Spearman's rank correlation with average ranks for ties (scipy's `spearmanr`).

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::vocab::Vocab;

/// Candidates considered by default: gensim's `restrict_vocab`.
pub const DEFAULT_RESTRICT: usize = 300_000;

/// Accuracy of one section of the analogy file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Section name (`capital-common-countries`, `gram1-adjective-to-adverb`, …).
    pub name: String,
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions whose four words are all in the (restricted) vocabulary.
    pub covered: usize,
    /// Questions in the section.
    pub questions: usize,
}

/// Analogy results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analogies {
    /// Correct / covered over all sections.
    pub accuracy: f64,
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions with all words in vocabulary.
    pub covered: usize,
    /// Questions in the file.
    pub questions: usize,
    /// Accuracy over semantic sections (names not starting with `gram`).
    pub semantic_accuracy: f64,
    /// Accuracy over syntactic (`gram*`) sections.
    pub syntactic_accuracy: f64,
    /// The candidate restriction used.
    pub restrict: usize,
    /// Per-section figures in file order.
    pub sections: Vec<Section>,
}

/// Word-pair similarity results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairScore {
    /// Spearman's ρ between human scores and cosines over the covered pairs.
    pub spearman: f64,
    /// Pearson's r over the same pairs.
    pub pearson: f64,
    /// Pairs with both words in vocabulary.
    pub covered: usize,
    /// Pairs in the file.
    pub pairs: usize,
    /// Percentage of pairs skipped as out of vocabulary.
    pub oov_pct: f64,
}

/// Unit rows of the `restrict` most frequent words, and lower-cased word → row.
struct Space {
    unit: Array2<f32>,
    index: HashMap<String, usize>,
}

impl Space {
    fn new(table: ArrayView2<'_, f32>, vocab: &Vocab, restrict: usize) -> Space {
        let n = table.nrows().min(vocab.len()).min(restrict);
        let mut unit = table.slice(ndarray::s![..n, ..]).to_owned();
        crate::embedding::normalize_rows(&mut unit);
        let mut index = HashMap::with_capacity(n);
        for i in 0..n {
            if let Some(k) = vocab.key(i) {
                index.entry(k.to_lowercase()).or_insert(i);
            }
        }
        Space { unit, index }
    }

    fn get(&self, w: &str) -> Option<usize> {
        self.index.get(&w.to_lowercase()).copied()
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Analogy accuracy of `table` (rows = `vocab` in frequency order) on a
/// `questions-words.txt`-format file.
pub fn analogies(
    table: ArrayView2<'_, f32>,
    vocab: &Vocab,
    path: &Path,
    restrict: usize,
) -> Result<Analogies> {
    let text = read(path)?;
    let space = Space::new(table, vocab, restrict);
    let mut sections: Vec<Section> = Vec::new();
    // (section, [a, b, c, expected]) of covered questions
    let mut qs: Vec<(usize, [usize; 4])> = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix(':') {
            sections.push(Section {
                name: name.trim().to_string(),
                correct: 0,
                covered: 0,
                questions: 0,
            });
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() != 4 {
            return Err(Error::parse(
                path,
                no + 1,
                format!("expected 4 words, found {}", words.len()),
            ));
        }
        if sections.is_empty() {
            return Err(Error::parse(
                path,
                no + 1,
                "a question before the first ': section' line",
            ));
        }
        let s = sections.len() - 1;
        sections[s].questions += 1;
        let ids: Option<Vec<usize>> = words.iter().map(|w| space.get(w)).collect();
        if let Some(ids) = ids {
            sections[s].covered += 1;
            qs.push((s, [ids[0], ids[1], ids[2], ids[3]]));
        }
    }
    let dim = space.unit.ncols();
    let correct: Vec<bool> = qs
        .par_chunks(256)
        .flat_map_iter(|block| {
            let mut q = Array2::<f32>::zeros((block.len(), dim));
            for (r, (_, [a, b, c, _])) in block.iter().enumerate() {
                let mut row = q.row_mut(r);
                row += &space.unit.row(*b);
                row -= &space.unit.row(*a);
                row += &space.unit.row(*c);
            }
            let scores = q.dot(&space.unit.t());
            block
                .iter()
                .enumerate()
                .map(|(r, (_, [a, b, c, d]))| {
                    let row = scores.row(r);
                    let mut best = (f32::NEG_INFINITY, usize::MAX);
                    for (j, &s) in row.iter().enumerate() {
                        if s > best.0 && j != *a && j != *b && j != *c {
                            best = (s, j);
                        }
                    }
                    best.1 == *d
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for ((s, _), ok) in qs.iter().zip(&correct) {
        sections[*s].correct += usize::from(*ok);
    }
    let sum = |f: &dyn Fn(&Section) -> bool| {
        sections
            .iter()
            .filter(|s| f(s))
            .fold((0, 0), |(c, n), s| (c + s.correct, n + s.covered))
    };
    let ratio = |(c, n): (usize, usize)| if n == 0 { 0.0 } else { c as f64 / n as f64 };
    let all = sum(&|_| true);
    Ok(Analogies {
        accuracy: ratio(all),
        correct: all.0,
        covered: all.1,
        questions: sections.iter().map(|s| s.questions).sum(),
        semantic_accuracy: ratio(sum(&|s| !s.name.starts_with("gram"))),
        syntactic_accuracy: ratio(sum(&|s| s.name.starts_with("gram"))),
        restrict,
        sections,
    })
}

/// Spearman's ρ of `table`'s cosines against a `word1 <TAB> word2 <TAB> score` file (lines
/// starting with `#` are comments).
pub fn word_pairs(
    table: ArrayView2<'_, f32>,
    vocab: &Vocab,
    path: &Path,
    restrict: usize,
) -> Result<PairScore> {
    let text = read(path)?;
    let space = Space::new(table, vocab, restrict);
    let (mut gold, mut model) = (Vec::new(), Vec::new());
    let mut pairs = 0usize;
    for (no, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        if f.len() != 3 {
            return Err(Error::parse(
                path,
                no + 1,
                format!(
                    "expected 'word1<TAB>word2<TAB>score', found {} fields",
                    f.len()
                ),
            ));
        }
        let score: f64 = f[2]
            .parse()
            .map_err(|_| Error::parse(path, no + 1, format!("score '{}' is not a number", f[2])))?;
        pairs += 1;
        if let (Some(a), Some(b)) = (space.get(f[0]), space.get(f[1])) {
            gold.push(score);
            model.push(f64::from(space.unit.row(a).dot(&space.unit.row(b))));
        }
    }
    if pairs == 0 {
        return Err(Error::data(path, "no word pairs"));
    }
    Ok(PairScore {
        spearman: spearman(&gold, &model),
        pearson: pearson(&gold, &model),
        covered: gold.len(),
        pairs,
        oov_pct: 100.0 * (pairs - gold.len()) as f64 / pairs as f64,
    })
}

/// Average ranks (1-based), ties sharing the mean of their positions.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson's correlation (NaN when either side is constant or there are < 2 points).
#[must_use]
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return f64::NAN;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b) = (x[i] - mx, y[i] - my);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman's rank correlation: Pearson's r of average ranks.
#[must_use]
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_matches_a_hand_computed_case_with_ties() {
        // x ranks: 1, 2.5, 2.5, 4 ; y ranks: 2, 1, 3, 4
        let x = [1.0, 2.0, 2.0, 5.0];
        let y = [0.3, 0.1, 0.7, 0.9];
        assert_eq!(ranks(&x), vec![1.0, 2.5, 2.5, 4.0]);
        // Pearson of (1,2.5,2.5,4) and (2,1,3,4): means 2.5; dx = -1.5,0,0,1.5; dy=-.5,-1.5,.5,1.5
        // sxy = .75 + 0 + 0 + 2.25 = 3; sxx = 4.5; syy = 5 → 3/sqrt(22.5)
        assert!((spearman(&x, &y) - 3.0 / 22.5f64.sqrt()).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!(spearman(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
    }

    fn toy() -> (Array2<f32>, Vocab) {
        // king - man + woman = queen in a 3-d toy space; "Man" differs only in case
        let v = Vocab::from_keys(["king", "queen", "man", "woman", "apple", "Man"]);
        let t = ndarray::array![
            [1.0f32, 1.0, 0.0],
            [1.0, 0.0, 1.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.3, -1.0, -1.0],
            [-1.0, 0.0, 0.0]
        ];
        (t, v)
    }

    #[test]
    fn analogies_count_correct_covered_and_sections() {
        let (t, v) = toy();
        let dir = std::env::temp_dir().join(format!("recsys-words-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("q.txt");
        std::fs::write(
            &p,
            ": family\nMAN WOMAN KING QUEEN\nman woman king apple\nman woman king pear\n: gram-x\nwoman man queen king\n",
        )
        .unwrap();
        let r = analogies(t.view(), &v, &p, DEFAULT_RESTRICT).unwrap();
        assert_eq!((r.correct, r.covered, r.questions), (2, 3, 4));
        assert_eq!(r.sections[0].correct, 1);
        assert_eq!(r.sections[1].correct, 1);
        assert!((r.semantic_accuracy - 0.5).abs() < 1e-12);
        assert!((r.syntactic_accuracy - 1.0).abs() < 1e-12);
        // restricting to 3 words leaves "woman" out: nothing covered
        let r = analogies(t.view(), &v, &p, 3).unwrap();
        assert_eq!(r.covered, 0);
        std::fs::write(&p, "king queen man\n").unwrap();
        assert!(analogies(t.view(), &v, &p, 10)
            .unwrap_err()
            .to_string()
            .contains("q.txt:1: expected 4 words"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn word_pairs_skip_oov_and_correlate() {
        let (t, v) = toy();
        let dir = std::env::temp_dir().join(format!("recsys-pairs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("p.tsv");
        std::fs::write(
            &p,
            "# comment\nking\tqueen\t8\nking\tapple\t1\nman\tking\t6\nking\tzebra\t3\n",
        )
        .unwrap();
        let r = word_pairs(t.view(), &v, &p, DEFAULT_RESTRICT).unwrap();
        assert_eq!((r.covered, r.pairs), (3, 4));
        assert!((r.oov_pct - 25.0).abs() < 1e-12);
        // cosines: king·queen = .5, king·apple < 0, man·king = .707 → ranks (2,1,3) vs (3,1,2)
        assert!((r.spearman - 0.5).abs() < 1e-12, "{}", r.spearman);
        std::fs::write(&p, "a\tb\tx\n").unwrap();
        assert!(word_pairs(t.view(), &v, &p, 10).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

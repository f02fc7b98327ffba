//! Neighbour quality as a person judges it: does an item's neighbour list find the items that
//! belong with it (a film's sequels)? A *families* file lists, per line, an original item and
//! the items that should come up among its nearest neighbours:
//!
//! ```text
//! # comment lines and blank lines are skipped
//! original<TAB>sequel,sequel,...[<TAB>free text]
//! ```
//!
//! For each family whose original is in the model, the 10 nearest items of the original (the
//! look-up `recsys similar` answers) are ranked; a family is a *hit@5* when a member is among
//! the first 5, and scores `1 / rank` of its first member within 10 (*MRR@10*). The mean
//! training count of the 10 neighbours tells how popular they are (popular-item crowding).

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::similarity::Lookup;

/// One family: an original item and the items that belong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The original's key.
    pub original: String,
    /// The members' keys.
    pub members: Vec<String>,
}

/// Read a families file (see the module docs); errors name the file and line.
pub fn read_families(path: &Path) -> Result<Vec<Family>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_families(&text, path)
}

/// Parse the text of a families file (`path` for messages).
pub fn parse_families(text: &str, path: &Path) -> Result<Vec<Family>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let original = fields.next().unwrap_or_default().trim();
        let members: Vec<String> = fields
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if original.is_empty() || members.is_empty() {
            return Err(Error::parse(
                path,
                n + 1,
                "expected `original<TAB>member,member,...` (an item key, a tab, then comma-separated item keys)",
            ));
        }
        out.push(Family {
            original: original.to_string(),
            members,
        });
    }
    if out.is_empty() {
        return Err(Error::data(path, "no families in the file"));
    }
    Ok(out)
}

/// How one family fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyResult {
    /// The original's key.
    pub original: String,
    /// Its title, when the model has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// 1-based rank of the first member among the 10 neighbours.
    pub first_rank: Option<usize>,
    /// The title (or key) of the first neighbour.
    pub first_neighbour: Option<String>,
}

/// The benchmark's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeighbourReport {
    /// Families in the file.
    pub families: usize,
    /// Families evaluated (original and at least one member in the model).
    pub evaluated: usize,
    /// Share of evaluated families with a member among the first 5 neighbours.
    pub hit_at_5: f64,
    /// Mean reciprocal rank of the first member within 10 (0 when none).
    pub mrr_at_10: f64,
    /// Mean training count of the 10 neighbours, over evaluated families.
    pub mean_count_at_10: f64,
    /// Mean training count of all items (for scale).
    pub mean_count: f64,
    /// Each evaluated family.
    pub results: Vec<FamilyResult>,
}

/// Evaluate `lookup`'s item neighbours against `families`.
pub fn evaluate_neighbours(lookup: &Lookup, families: &[Family]) -> Result<NeighbourReport> {
    let model = lookup.model();
    let vocab = model
        .vocab("item")
        .ok_or_else(|| Error::NotFound("the model has no item vocabulary".into()))?;
    let counts = &model.item_counts;
    let mut results = Vec::new();
    let (mut hits, mut rr, mut pop) = (0usize, 0f64, 0f64);
    for f in families {
        let members: Vec<&str> = f
            .members
            .iter()
            .filter(|m| vocab.get(m).is_some())
            .map(String::as_str)
            .collect();
        if vocab.get(&f.original).is_none() || members.is_empty() {
            continue;
        }
        let hits10 = lookup.similar_items(&f.original, 10)?;
        let first_rank = hits10
            .iter()
            .position(|h| members.contains(&h.key.as_str()))
            .map(|p| p + 1);
        if first_rank.is_some_and(|r| r <= 5) {
            hits += 1;
        }
        rr += first_rank.map_or(0.0, |r| 1.0 / r as f64);
        let c: f64 = hits10
            .iter()
            .filter_map(|h| vocab.get(&h.key))
            .map(|i| f64::from(counts.get(i as usize).copied().unwrap_or(0)))
            .sum();
        pop += c / hits10.len().max(1) as f64;
        results.push(FamilyResult {
            original: f.original.clone(),
            title: vocab
                .get(&f.original)
                .and_then(|i| model.title(i as usize))
                .map(String::from),
            first_rank,
            first_neighbour: hits10
                .first()
                .map(|h| h.title.clone().unwrap_or_else(|| h.key.clone())),
        });
    }
    let n = results.len();
    let per = |x: f64| if n == 0 { 0.0 } else { x / n as f64 };
    let mean_count = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / counts.len().max(1) as f64;
    Ok(NeighbourReport {
        families: families.len(),
        evaluated: n,
        hit_at_5: per(hits as f64),
        mrr_at_10: per(rr),
        mean_count_at_10: per(pop),
        mean_count,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, Neighbours};
    use crate::vocab::Vocab;

    /// Six items; item 0's neighbours (best first) are 3, 1, 4, 5, 2 by a hand-made table.
    fn lookup() -> Lookup {
        let mut items = Vocab::default();
        for k in ["a", "b", "c", "d", "e", "f"] {
            items.intern(k);
        }
        let mut m = Model {
            algo: "itemknn".into(),
            item_counts: vec![10, 1, 2, 3, 4, 5],
            ..Default::default()
        };
        m.vocabs.insert("item".into(), items);
        // row 0: 3 1 4 5 2; rows 1..5: none
        m.neighbours.insert(
            "item".into(),
            Neighbours {
                indptr: vec![0, 5, 5, 5, 5, 5, 5],
                indices: vec![3, 1, 4, 5, 2],
                scores: vec![0.9, 0.8, 0.7, 0.6, 0.5],
            },
        );
        Lookup::new(m)
    }

    fn fam(o: &str, m: &[&str]) -> Family {
        Family {
            original: o.into(),
            members: m.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn hit_and_mrr_match_hand_computed_cases() {
        let l = lookup();
        // a → rank of c is 5 (hit@5, rr 1/5); a → b at 2; a → zz unknown (skipped);
        // b → a: b has no neighbours (evaluated, miss)
        let fams = [
            fam("a", &["c"]),
            fam("a", &["b", "c"]),
            fam("a", &["zz"]),
            fam("b", &["a"]),
            fam("zz", &["a"]),
        ];
        let r = evaluate_neighbours(&l, &fams).unwrap();
        assert_eq!(r.families, 5);
        assert_eq!(r.evaluated, 3);
        assert!((r.hit_at_5 - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.mrr_at_10 - (0.2 + 0.5 + 0.0) / 3.0).abs() < 1e-12);
        assert_eq!(r.results[0].first_rank, Some(5));
        assert_eq!(r.results[1].first_rank, Some(2));
        assert_eq!(r.results[2].first_rank, None);
        // popularity: a's 5 neighbours d b e f c have counts 3 1 4 5 2 → mean 3; b has none → 0
        assert!((r.mean_count_at_10 - (3.0 + 3.0 + 0.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn families_file_errors_name_the_line() {
        let p = Path::new("f.tsv");
        let ok = parse_families("# c\n\n1\t2,3\tnote\n4\t5\n", p).unwrap();
        assert_eq!(ok, vec![fam("1", &["2", "3"]), fam("4", &["5"])]);
        let e = parse_families("1\t2\n3\n", p).unwrap_err().to_string();
        assert!(e.starts_with("f.tsv:2:"), "{e}");
        assert!(parse_families("# nothing\n", p).is_err());
    }
}

//! Finding an item by a human title: `shrek` → `Shrek (2001)`, `the lion king` →
//! `Lion King, The (1994)`.
//!
//! Titles and queries are normalised the same way: lower-cased; trailing parentheticals
//! (the year, alternative titles) dropped; a moved article (`…, The`) or leading article
//! dropped; punctuation turned into spaces. Then: an exact normalised match wins (the most
//! interacted among equal ones); otherwise the most interacted title that contains the
//! query as whole words is taken and the others are reported as alternatives; otherwise the
//! error lists the nearest titles.

use crate::error::{Error, Result};

const ARTICLES: &[&str] = &[
    "the", "a", "an", "les", "la", "le", "l'", "il", "el", "das", "der", "die", "los", "las",
];

/// Normalise a title or query (see the module docs).
#[must_use]
pub fn normalize(title: &str) -> String {
    let mut t = title.trim().to_lowercase();
    // Drop trailing parentheticals: "(1995)", "(a.k.a. …)".
    loop {
        let s = t.trim_end();
        if s.ends_with(')') {
            if let Some(open) = s.rfind('(') {
                if open > 0 {
                    t = s[..open].to_string();
                    continue;
                }
            }
        }
        t = s.to_string();
        break;
    }
    // Moved article: "lion king, the" → "lion king".
    if let Some(comma) = t.rfind(", ") {
        let tail = t[comma + 2..].trim();
        if ARTICLES.contains(&tail) {
            t.truncate(comma);
        }
    }
    let words: Vec<String> = t
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .map(String::from)
        .collect();
    let start = usize::from(words.len() > 1 && ARTICLES.contains(&words[0].as_str()));
    words[start..].join(" ")
}

/// The names a title answers to, normalised: the title itself, then each alternate title in
/// its trailing parentheses — `Seven (a.k.a. Se7en) (1995)` answers to `seven` and `se7en`,
/// `City of Lost Children, The (Cité des enfants perdus, La) (1995)` to its French title too.
/// Years and one- or two-letter marks such as `(V)` are not names.
#[must_use]
pub fn aliases(title: &str) -> Vec<String> {
    let mut out = vec![normalize(title)];
    let mut t = title.trim();
    while let (true, Some(open)) = (t.ends_with(')'), t.rfind('(')) {
        if open == 0 {
            break;
        }
        let inner = t[open + 1..t.len() - 1].trim();
        t = t[..open].trim_end();
        let lower = inner.to_lowercase();
        let name = ["a.k.a.", "aka", "a k a"]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .map_or(inner, |rest| &inner[inner.len() - rest.len()..])
            .trim();
        let is_year = name
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '–');
        if is_year || name.chars().count() <= 2 {
            continue;
        }
        let n = normalize(name);
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The outcome of a title search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleMatch {
    /// The chosen item index.
    pub index: usize,
    /// True when the normalised title equals the normalised query.
    pub exact: bool,
    /// Other candidates (item indices), most interacted first.
    pub alternatives: Vec<usize>,
}

/// Find `query` among `titles` (one per item index, empty when unknown), preferring items
/// with more interactions (`counts`, same indexing).
pub fn find(query: &str, titles: &[&str], counts: &[u32]) -> Result<TitleMatch> {
    let q = normalize(query);
    if q.is_empty() {
        return Err(Error::NotFound(format!("'{query}' is not a usable title")));
    }
    let names: Vec<Vec<String>> = titles.iter().map(|t| aliases(t)).collect();
    let count = |i: usize| counts.get(i).copied().unwrap_or(0);
    let by_popularity = |mut v: Vec<usize>| {
        v.sort_by(|&a, &b| count(b).cmp(&count(a)).then(a.cmp(&b)));
        v
    };
    let exact: Vec<usize> = (0..names.len())
        .filter(|&i| !titles[i].is_empty() && names[i].contains(&q))
        .collect();
    let padded_q = format!(" {q} ");
    let containing: Vec<usize> = by_popularity(
        (0..names.len())
            .filter(|&i| {
                !titles[i].is_empty()
                    && !names[i].contains(&q)
                    && names[i]
                        .iter()
                        .any(|n| format!(" {n} ").contains(&padded_q))
            })
            .collect(),
    );
    if !exact.is_empty() {
        let exact = by_popularity(exact);
        let mut alternatives: Vec<usize> = exact[1..].to_vec();
        alternatives.extend(containing);
        return Ok(TitleMatch {
            index: exact[0],
            exact: true,
            alternatives,
        });
    }
    if let Some((&first, rest)) = containing.split_first() {
        return Ok(TitleMatch {
            index: first,
            exact: false,
            alternatives: rest.to_vec(),
        });
    }
    let mut scored: Vec<(f64, usize)> = (0..names.len())
        .filter(|&i| !titles[i].is_empty())
        .map(|i| {
            let best = names[i]
                .iter()
                .map(|n| strsim::jaro_winkler(&q, n))
                .fold(0.0, f64::max);
            (best, i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let near: Vec<&str> = scored.iter().take(5).map(|&(_, i)| titles[i]).collect();
    Err(Error::NotFound(format!(
        "no title matches '{query}'; nearest: {}",
        if near.is_empty() {
            "(the model has no titles)".to_string()
        } else {
            near.join("; ")
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize("Lion King, The (1994)"), "lion king");
        assert_eq!(normalize("the lion king"), "lion king");
        assert_eq!(normalize("Shrek (2001)"), "shrek");
        assert_eq!(
            normalize("Star Wars: Episode IV - A New Hope (1977)"),
            "star wars episode iv a new hope"
        );
        assert_eq!(
            normalize("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
            "city of lost children"
        );
        assert_eq!(normalize("Misérables, Les (1995)"), "misérables");
        assert_eq!(normalize("A"), "a");
    }

    #[test]
    fn alternate_titles_are_names_too() {
        assert_eq!(
            aliases("Seven (a.k.a. Se7en) (1995)"),
            vec!["seven", "se7en"]
        );
        assert_eq!(
            aliases("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
            vec!["city of lost children", "cité des enfants perdus"]
        );
        assert_eq!(
            aliases("Land Before Time III: The Time of the Great Giving (1995) (V)"),
            vec!["land before time iii the time of the great giving"]
        );
        let titles = [
            "Seven (a.k.a. Se7en) (1995)",
            "Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)",
            "Seven Samurai (Shichinin no samurai) (1954)",
        ];
        let counts = [10, 5, 20];
        let m = find("se7en", &titles, &counts).unwrap();
        assert_eq!((m.index, m.exact), (0, true));
        let m = find("shichinin no samurai", &titles, &counts).unwrap();
        assert_eq!((m.index, m.exact), (2, true));
        // "seven" is Se7en's own title: exact beats the more rated "Seven Samurai"
        let m = find("seven", &titles, &counts).unwrap();
        assert_eq!(m.index, 0);
        assert_eq!(m.alternatives, vec![2]);
    }

    #[test]
    fn exact_beats_popular_sequel() {
        let titles = [
            "Shrek 2 (2004)",
            "Shrek (2001)",
            "Shrek the Third (2007)",
            "Heat (1995)",
        ];
        let counts = [500, 10, 300, 7];
        let m = find("shrek", &titles, &counts).unwrap();
        assert_eq!(m.index, 1);
        assert!(m.exact);
        assert_eq!(m.alternatives, vec![0, 2]);
        let m = find("SHREK 2", &titles, &counts).unwrap();
        assert_eq!(m.index, 0);
    }

    #[test]
    fn containing_picks_most_interacted_and_unknown_lists_nearest() {
        let titles = [
            "Star Wars (1977)",
            "Empire Strikes Back, The (1980)",
            "Star Trek (2009)",
            "",
        ];
        let counts = [583, 367, 100, 0];
        let m = find("the empire strikes back", &titles, &counts).unwrap();
        assert_eq!(m.index, 1);
        let m = find("star", &titles, &counts).unwrap();
        assert_eq!((m.index, m.exact), (0, false));
        assert_eq!(m.alternatives, vec![2]);
        let e = find("star warz", &titles, &counts).unwrap_err().to_string();
        assert!(
            e.contains("nearest") && e.contains("Star Wars (1977)"),
            "{e}"
        );
        assert!(find("  ", &titles, &counts).is_err());
    }
}

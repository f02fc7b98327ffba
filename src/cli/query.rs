//! `recsys similar` and `recsys recommend`: one look-up each, printed as text or JSON.

use anyhow::{bail, Result};
use serde_json::json;

use super::args::{Cli, RecommendArgs, SimilarArgs};
use super::common::print_json;
use recsys::similarity::{Hit, Lookup};

pub(super) fn print_hits(cli: &Cli, query: serde_json::Value, label: &str, hits: &[Hit]) {
    if cli.json {
        print_json(&json!({ "query": query, "results": hits }));
        return;
    }
    println!("{label}");
    for (n, h) in hits.iter().enumerate() {
        match &h.title {
            Some(t) => println!("{:>3}. {:<50} {:>8}  {:.3}", n + 1, t, h.key, h.score),
            None => println!("{:>3}. {:<20} {:.3}", n + 1, h.key, h.score),
        }
    }
}

pub(super) fn similar(cli: &Cli, a: &SimilarArgs) -> Result<()> {
    let lookup = Lookup::open(&a.model)?;
    let q = &a.query;
    if let Some(title) = &q.movie {
        let (key, m) = lookup.find_title(title)?;
        let chosen = lookup.title(m.index).unwrap_or(&key).to_string();
        if !m.alternatives.is_empty() && !cli.quiet {
            let alts: Vec<&str> = m
                .alternatives
                .iter()
                .take(5)
                .filter_map(|&i| lookup.title(i))
                .collect();
            eprintln!(
                "note: '{title}' → {chosen}{}; other matches: {}",
                if m.exact {
                    ""
                } else {
                    " (most rated title containing it)"
                },
                alts.join("; ")
            );
        }
        let hits = lookup.similar_items_by(&key, a.k, a.by.into())?;
        print_hits(
            cli,
            json!({"movie": title, "key": key, "title": chosen}),
            &format!("similar to {chosen}:"),
            &hits,
        );
    } else if let Some(item) = &q.item {
        let hits = lookup.similar_items_by(item, a.k, a.by.into())?;
        let label = match lookup
            .model()
            .vocab("item")
            .and_then(|v| v.get(item))
            .and_then(|i| lookup.title(i as usize))
        {
            Some(t) => format!("similar to {t} ({item}):"),
            None => format!("similar to item {item}:"),
        };
        print_hits(cli, json!({"item": item}), &label, &hits);
    } else if let Some(user) = &q.user {
        let hits = lookup.similar_users(user, a.k)?;
        print_hits(
            cli,
            json!({"user": user}),
            &format!("users similar to {user}:"),
            &hits,
        );
    } else if let Some(word) = &q.word {
        let hits = lookup.similar_words(word, a.k)?;
        print_hits(
            cli,
            json!({"word": word}),
            &format!("similar to {word}:"),
            &hits,
        );
    } else if let Some(expr) = &q.analogy {
        let (pos, neg) = parse_analogy(expr)?;
        let p: Vec<&str> = pos.iter().map(String::as_str).collect();
        let n: Vec<&str> = neg.iter().map(String::as_str).collect();
        let hits = lookup.analogy(&p, &n, a.k, None)?;
        print_hits(
            cli,
            json!({"analogy": expr, "positive": pos, "negative": neg}),
            &format!("{expr} ≈"),
            &hits,
        );
    }
    Ok(())
}

/// `"king - man + woman"` → (["king", "woman"], ["man"]). Signs may stand alone or prefix a
/// word; the first word is positive unless signed.
pub(super) fn parse_analogy(expr: &str) -> Result<(Vec<String>, Vec<String>)> {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    let mut sign = 1;
    for tok in expr.split_whitespace() {
        let (s, w) = match tok.chars().next() {
            Some('+') => (1, &tok[1..]),
            Some('-') => (-1, &tok[1..]),
            _ => (sign, tok),
        };
        if w.is_empty() {
            sign = s;
            continue;
        }
        if s > 0 {
            pos.push(w.to_string())
        } else {
            neg.push(w.to_string())
        }
        sign = 1;
    }
    if pos.is_empty() {
        bail!("--analogy needs at least one positive word, e.g. \"king - man + woman\"");
    }
    Ok((pos, neg))
}

pub(super) fn recommend(cli: &Cli, a: &RecommendArgs) -> Result<()> {
    let lookup = Lookup::open(&a.model)?;
    match (&a.user, &a.items) {
        (Some(user), _) => {
            let hits = lookup.recommend(user, a.k, &[])?;
            print_hits(
                cli,
                json!({"user": user}),
                &format!("recommended for user {user}:"),
                &hits,
            );
        }
        (None, Some(items)) => {
            let hits = lookup.recommend_for_items(items, a.k, &[])?;
            print_hits(
                cli,
                json!({"items": items}),
                &format!("recommended after {}:", items.join(", ")),
                &hits,
            );
        }
        (None, None) => bail!("give --user KEY or --items A,B,C"),
    }
    Ok(())
}

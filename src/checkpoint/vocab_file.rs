//! `vocab/<column>.tsv`: one line per row index, `index \t key` — and for the item column
//! `index \t key \t count \t title \t genres` — under a header line. Tabs, newlines and
//! backslashes inside fields are escaped as `\t`, `\n`, `\\`.

use std::fmt::Write;
use std::path::Path;

use crate::data::ItemInfo;
use crate::error::{Error, Result};
use crate::vocab::Vocab;

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

fn unescape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => o.push('\t'),
                Some('n') => o.push('\n'),
                Some('r') => o.push('\r'),
                Some(x) => o.push(x),
                None => o.push('\\'),
            }
        } else {
            o.push(c);
        }
    }
    o
}

/// Render a vocabulary, with item counts and info when given.
pub(crate) fn write(vocab: &Vocab, items: Option<(&[u32], &[ItemInfo])>) -> String {
    let mut s = String::new();
    match items {
        Some((counts, info)) => {
            s.push_str("index\tkey\tcount\ttitle\tgenres\n");
            for (i, k) in vocab.keys().iter().enumerate() {
                let inf = info.get(i).cloned().unwrap_or_default();
                let _ = writeln!(
                    s,
                    "{i}\t{}\t{}\t{}\t{}",
                    escape(k),
                    counts.get(i).copied().unwrap_or(0),
                    escape(&inf.title),
                    escape(&inf.genres.join("|"))
                );
            }
        }
        None => {
            s.push_str("index\tkey\n");
            for (i, k) in vocab.keys().iter().enumerate() {
                let _ = writeln!(s, "{i}\t{}", escape(k));
            }
        }
    }
    s
}

/// A parsed vocabulary file.
pub(crate) struct VocabFile {
    pub vocab: Vocab,
    pub counts: Vec<u32>,
    pub info: Vec<ItemInfo>,
}

/// Parse a vocabulary file, checking that indices run 0, 1, 2, … and keys are unique.
pub(crate) fn read(text: &str, path: &Path) -> Result<VocabFile> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.starts_with("index\tkey") => {}
        _ => return Err(Error::parse(path, 1, "expected the header 'index\\tkey…'")),
    }
    let mut vocab = Vocab::new();
    let mut counts = Vec::new();
    let mut info = Vec::new();
    for (n, line) in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 2 {
            return Err(Error::parse(path, n + 1, "expected 'index\\tkey'"));
        }
        let idx: usize = f[0].parse().map_err(|_| {
            Error::parse(
                path,
                n + 1,
                format!("field 'index': expected an integer, found '{}'", f[0]),
            )
        })?;
        if idx != vocab.len() {
            return Err(Error::parse(
                path,
                n + 1,
                format!("index {idx} out of order (expected {})", vocab.len()),
            ));
        }
        let key = unescape(f[1]);
        if vocab.get(&key).is_some() {
            return Err(Error::parse(path, n + 1, format!("duplicate key '{key}'")));
        }
        vocab.insert(key);
        if f.len() >= 5 {
            counts.push(f[2].parse().map_err(|_| {
                Error::parse(
                    path,
                    n + 1,
                    format!("field 'count': expected an integer, found '{}'", f[2]),
                )
            })?);
            let genres = unescape(f[4]);
            info.push(ItemInfo {
                title: unescape(f[3]),
                genres: if genres.is_empty() {
                    Vec::new()
                } else {
                    genres.split('|').map(String::from).collect()
                },
            });
        }
    }
    Ok(VocabFile {
        vocab,
        counts,
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_awkward_keys() {
        let v = Vocab::from_keys(["a\tb", "c\\d", "e\nf", "plain"]);
        let info = vec![
            ItemInfo {
                title: "T, The (1999)".into(),
                genres: vec!["Drama".into(), "War".into()],
            },
            ItemInfo::default(),
            ItemInfo::default(),
            ItemInfo {
                title: "x".into(),
                genres: vec![],
            },
        ];
        let counts = vec![3, 0, 1, 9];
        let text = write(&v, Some((&counts, &info)));
        let back = read(&text, Path::new("v.tsv")).unwrap();
        assert_eq!(back.vocab, v);
        assert_eq!(back.counts, counts);
        assert_eq!(back.info, info);
        assert!(read("index\tkey\n1\tx\n", Path::new("v.tsv")).is_err());
        assert!(read("index\tkey\n0\tx\n1\tx\n", Path::new("v.tsv")).is_err());
    }
}

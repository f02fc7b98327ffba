//! Tokenizers: how a line of text becomes tokens.
//!
//! [`Tokenizer::Words`] (the tokenizer gensim's IMDB recipe applies): HTML line breaks
//! `<br />` become spaces, ASCII letters are lower-cased, and a token is a run of ASCII
//! letters `a–z`, optionally followed by one apostrophe and more letters (`don't`,
//! `director's`). Everything else — digits, punctuation, non-ASCII characters — separates
//! tokens. Session files (item2vec baskets) use [`Tokenizer::Whitespace`] instead: tokens are
//! split on whitespace and kept verbatim.

/// How a line becomes tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tokenizer {
    /// Lower-cased words `[a-z]+('[a-z]+)?`, `<br />` removed (natural-language text).
    #[default]
    Words,
    /// Whitespace-separated tokens kept verbatim (sessions, baskets, pre-tokenised text).
    Whitespace,
}

impl Tokenizer {
    /// Append the tokens of `line` to `out` (cleared first). `buf` is scratch space that holds
    /// the lower-cased line for [`Tokenizer::Words`]; the tokens borrow from it or from `line`.
    pub fn tokenize<'a>(self, line: &'a str, buf: &'a mut String, out: &mut Vec<&'a str>) {
        out.clear();
        match self {
            Tokenizer::Whitespace => out.extend(line.split_whitespace()),
            Tokenizer::Words => {
                buf.clear();
                buf.push_str(line);
                buf.make_ascii_lowercase();
                words(buf, out);
            }
        }
    }
}

/// Tokens of an already lower-cased line, `<br />` skipped.
fn words<'a>(s: &'a str, out: &mut Vec<&'a str>) {
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        if b[i] == b'<' && b[i..].starts_with(b"<br />") {
            i += 6;
            continue;
        }
        if !b[i].is_ascii_lowercase() {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && b[i].is_ascii_lowercase() {
            i += 1;
        }
        // one apostrophe followed by at least one letter continues the token
        if i + 1 < n && b[i] == b'\'' && b[i + 1].is_ascii_lowercase() {
            i += 1;
            while i < n && b[i].is_ascii_lowercase() {
                i += 1;
            }
        }
        out.push(&s[start..i]);
    }
}

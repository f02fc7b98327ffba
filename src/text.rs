//! Text input for word vectors: a documented tokenizer and line-by-line streaming of plain or
//! gzip files, so a corpus is never held in memory.
//!
//! Lines become tokens by a [`Tokenizer`] (see [`crate::tokenize`]).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use crate::tokenize::Tokenizer;

/// Open `path` for line reading, decompressing `.gz` files (by magic bytes).
pub fn open_lines(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(|e| Error::io(path, e))?;
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, f)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, f))
    })
}

/// A corpus of sentences (one per line) in one or more plain or gzip files, streamed.
#[derive(Debug, Clone)]
pub struct TextFiles {
    /// The files, read in order.
    pub paths: Vec<PathBuf>,
    /// How lines become tokens.
    pub tokenizer: Tokenizer,
}

/// The longest line of a text corpus (one document): 64 MiB.
pub const MAX_LINE: usize = 64 << 20;

impl TextFiles {
    /// Call `f` with the tokens of every line (empty lines included) of every file, in order.
    /// Invalid UTF-8 is replaced, never fatal; a read error names the file and line.
    pub fn for_each_line(&self, f: &mut dyn FnMut(&[&str]) -> Result<()>) -> Result<()> {
        let mut raw = Vec::new();
        let mut buf = String::new();
        for path in &self.paths {
            let mut r = open_lines(path)?;
            let mut line_no = 0usize;
            loop {
                raw.clear();
                line_no += 1;
                let n = crate::data::reader::read_until_max(&mut r, b'\n', &mut raw, MAX_LINE)
                    .map_err(|e| Error::parse(path, line_no, format!("cannot read: {e}")))?;
                if n == 0 {
                    break;
                }
                let line = String::from_utf8_lossy(&raw);
                let mut toks = Vec::with_capacity(64);
                self.tokenizer.tokenize(&line, &mut buf, &mut toks);
                f(&toks)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(t: Tokenizer, s: &str) -> Vec<String> {
        let mut buf = String::new();
        let mut out = Vec::new();
        t.tokenize(s, &mut buf, &mut out);
        out.into_iter().map(String::from).collect()
    }

    #[test]
    fn words_match_the_documented_rule() {
        assert_eq!(
            toks(
                Tokenizer::Words,
                "I didn't LIKE it.<br /><br />The director's 2nd film -- café!"
            ),
            vec![
                "i",
                "didn't",
                "like",
                "it",
                "the",
                "director's",
                "nd",
                "film",
                "caf"
            ]
        );
        assert_eq!(
            toks(Tokenizer::Words, "rock'n'roll 'quoted' it'"),
            vec!["rock'n", "roll", "quoted", "it"]
        );
        assert!(toks(Tokenizer::Words, "  123 ... ").is_empty());
    }

    #[test]
    fn whitespace_keeps_tokens_verbatim() {
        assert_eq!(
            toks(Tokenizer::Whitespace, " 12 Ab\tc-d\n"),
            vec!["12", "Ab", "c-d"]
        );
    }

    #[test]
    fn streams_plain_and_gzip_lines() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("recsys-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("a.txt");
        std::fs::write(&plain, "one two\n\nthree").unwrap();
        let gz = dir.join("b.txt.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"Four<br />five\n").unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let files = TextFiles {
            paths: vec![plain, gz],
            tokenizer: Tokenizer::Words,
        };
        let mut lines = Vec::new();
        files
            .for_each_line(&mut |t| {
                lines.push(t.join(" "));
                Ok(())
            })
            .unwrap();
        assert_eq!(lines, vec!["one two", "", "three", "four five"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

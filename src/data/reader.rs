//! Delimited-text reading: gzip, UTF-8 or latin-1, `,` `\t` `|` `;` `::` or whitespace
//! separators, RFC 4180 quoting for commas, optional header.
//!
//! A [`TextTable`] decodes the whole file into memory once (items files, schema sources);
//! records are then borrowed slices of that text, so parsing allocates only per field vector.
//! Interactions, the large files, are read through [`TableStream`] instead: the table's head
//! (its first 64 KiB) decides the delimiter, the header and the columns, then the records are
//! streamed line by line, so memory holds one line, never the file.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The field separator of a delimited file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delimiter {
    /// A single character: `,`, `\t`, `|`, `;`.
    Char(char),
    /// MovieLens 1M/10M `::`.
    DoubleColon,
    /// Runs of spaces or tabs.
    Whitespace,
}

impl Delimiter {
    /// Parse a delimiter as written in a schema or on the command line.
    pub fn parse(s: &str) -> Option<Delimiter> {
        match s {
            "::" => Some(Delimiter::DoubleColon),
            "\\t" | "\t" | "tab" => Some(Delimiter::Char('\t')),
            "whitespace" | " " => Some(Delimiter::Whitespace),
            _ => {
                let mut c = s.chars();
                match (c.next(), c.next()) {
                    (Some(ch), None) => Some(Delimiter::Char(ch)),
                    _ => None,
                }
            }
        }
    }

    /// Guess the delimiter from a sample line.
    #[must_use]
    pub fn sniff(line: &str) -> Delimiter {
        if line.contains("::") {
            Delimiter::DoubleColon
        } else if line.contains('\t') {
            Delimiter::Char('\t')
        } else if line.contains('|') {
            Delimiter::Char('|')
        } else if line.contains(',') {
            Delimiter::Char(',')
        } else if line.contains(';') {
            Delimiter::Char(';')
        } else {
            Delimiter::Whitespace
        }
    }
}

/// Read a file's bytes, transparently un-gzipping (by magic number, not by name).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let got = f.read(&mut magic).map_err(|e| Error::io(path, e))?;
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let mut whole = head.chain(f);
    if got == 2 && magic == [0x1f, 0x8b] {
        let mut gz = flate2::read::MultiGzDecoder::new(whole);
        read_all_lines_max(&mut gz, path, MAX_LINE).map_err(|e| match e {
            Error::Data { message, .. } => {
                Error::data(path, format!("not a valid gzip stream: {message}"))
            }
            e => e,
        })
    } else {
        read_all_lines_max(&mut whole, path, MAX_LINE)
    }
}

/// The four bytes every Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// True when the file at `path` starts with Parquet's magic bytes (false when unreadable).
#[must_use]
pub fn is_parquet(path: &Path) -> bool {
    let mut b = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
        && &b == MAGIC
}

/// Whether a file looks like sessions or baskets — one line of whitespace-separated item tokens
/// per session, as the FIMI retail format — rather than interaction rows: among its first 200
/// non-empty lines none has a tab, comma, semicolon or `::`, and either the lines have
/// different numbers of tokens or a third token is not a number (so `user item [rating]`
/// files never qualify). Plain or gzip; false when the file cannot be read.
#[must_use]
pub fn looks_like_sessions(path: &Path) -> bool {
    if is_parquet(path) {
        return false;
    }
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut r = std::io::BufReader::new(f);
    let gz = r.fill_buf().is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
    let lines: Box<dyn BufRead> = if gz {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            r,
        )))
    } else {
        Box::new(r)
    };
    let mut counts = Vec::new();
    let mut non_numeric_third = false;
    for line in lines
        .take(MAX_LINE as u64)
        .split(b'\n')
        .map_while(std::result::Result::ok)
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(200)
    {
        let Ok(text) = std::str::from_utf8(&line) else {
            return false;
        };
        if text.contains(['\t', ',', ';']) || text.contains("::") {
            return false;
        }
        let tokens: Vec<&str> = text.split_whitespace().collect();
        if let Some(t) = tokens.get(2) {
            non_numeric_third |= t.parse::<f64>().is_err();
        }
        counts.push(tokens.len());
    }
    !counts.is_empty() && (counts.iter().any(|&c| c != counts[0]) || non_numeric_third)
}

/// The longest line (one row) a data file may have: 16 MiB. A longer one is reported with
/// its line number as soon as it is seen, so a file that is one huge line costs 16 MiB of
/// memory, not its size.
pub const MAX_LINE: usize = 16 << 20;

/// `read_until` that reads at most `max` bytes before the delimiter; a longer run is an
/// `InvalidData` error naming the limit. Returns the bytes read (0 at the end).
pub fn read_until_max(
    r: &mut dyn BufRead,
    delim: u8,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    let start = buf.len();
    let n = r.take(max as u64 + 1).read_until(delim, buf)?;
    if buf.len() - start > max && buf.last() != Some(&delim) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a line is longer than {} MiB", max >> 20),
        ));
    }
    Ok(n)
}

/// Read all of `r`, failing at the first line longer than `max` bytes (1-based line number
/// and what was expected in the message).
fn read_all_lines_max(r: &mut dyn Read, path: &Path, max: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    let (mut run, mut line) = (0usize, 1usize);
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::data(path, format!("read error: {e}"))),
        };
        for &b in &chunk[..n] {
            if b == b'\n' {
                run = 0;
                line += 1;
            } else {
                run += 1;
                if run > max {
                    return Err(Error::parse(
                        path,
                        line,
                        format!(
                            "the line is longer than {} MiB; expected delimited rows (is this the right file?)",
                            max >> 20
                        ),
                    ));
                }
            }
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

/// Decode bytes as UTF-8, falling back to latin-1 (ISO-8859-1) when they are not valid UTF-8.
/// A UTF-8 byte-order mark is dropped.
#[must_use]
pub fn decode_text(bytes: Vec<u8>) -> String {
    let bytes = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes[3..].to_vec()
    } else {
        bytes
    };
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    }
}

/// Read and decode a text file (gzip and latin-1 aware).
pub fn read_text(path: &Path) -> Result<String> {
    Ok(decode_text(read_bytes(path)?))
}

/// A decoded delimited file: its text, separator and header.
#[derive(Debug)]
pub struct TextTable {
    /// Where it came from (for error messages).
    pub path: PathBuf,
    /// The separator in use.
    pub delimiter: Delimiter,
    /// Column names: the header line, or names given for a header-less file.
    pub header: Option<Vec<String>>,
    header_in_file: bool,
    text: String,
}

/// One record: its 1-based line number and its fields.
#[derive(Debug)]
pub struct Record<'a> {
    /// 1-based line number in the file.
    pub line: usize,
    /// The fields, unquoted.
    pub fields: Vec<std::borrow::Cow<'a, str>>,
}

impl TextTable {
    /// Same as [`TextTable::open`] on text already in memory.
    pub fn from_text(
        path: &Path,
        text: String,
        delimiter: Option<Delimiter>,
        has_header: Option<bool>,
    ) -> Result<Self> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let first = lines
            .next()
            .ok_or_else(|| Error::data(path, "the file is empty (no data rows)"))?;
        let second = lines.next();
        let delimiter = delimiter.unwrap_or_else(|| Delimiter::sniff(first));
        let f1: Vec<String> = split_line(first, &delimiter)
            .map_err(|m| Error::parse(path, 1, m))?
            .into_iter()
            .map(|c| c.trim().to_string())
            .collect();
        let is_header = has_header.unwrap_or_else(|| {
            match second.and_then(|s| split_line(s, &delimiter).ok()) {
                Some(f2) => f1
                    .iter()
                    .zip(f2.iter())
                    .any(|(a, b)| !is_number(a) && !a.is_empty() && is_number(b.trim())),
                None => f1.iter().all(|a| !is_number(a)),
            }
        });
        Ok(TextTable {
            path: path.to_path_buf(),
            delimiter,
            header: if is_header { Some(f1) } else { None },
            header_in_file: is_header,
            text,
        })
    }

    /// Name the columns of a header-less file (a header line in the file stays skipped).
    #[must_use]
    pub fn with_names(mut self, names: Vec<String>) -> Self {
        self.header = Some(names);
        self
    }

    /// Iterate over data records (the header skipped, blank lines skipped).
    pub fn records(&self) -> impl Iterator<Item = Result<Record<'_>>> + '_ {
        let skip_header = self.header_in_file;
        let mut seen_first = false;
        self.text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .filter(move |_| {
                if skip_header && !seen_first {
                    seen_first = true;
                    return false;
                }
                true
            })
            .map(move |(i, l)| {
                split_line(l, &self.delimiter)
                    .map(|fields| Record {
                        line: i + 1,
                        fields,
                    })
                    .map_err(|m| Error::parse(&self.path, i + 1, m))
            })
    }

    /// The first data record, if any.
    pub fn first_record(&self) -> Option<Result<Record<'_>>> {
        self.records().next()
    }
}

/// Bytes read from the start of a file to decide its delimiter, header and columns.
pub const HEAD_BYTES: usize = 64 << 10;

/// Open `path` for reading line by line, transparently un-gzipping (by magic number).
fn open_lines(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, f);
    let gz = r
        .fill_buf()
        .map_err(|e| Error::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(r),
        ))
    } else {
        Box::new(r)
    })
}

/// A delimited file read as a stream of records: the [`TextTable`] of its first
/// [`HEAD_BYTES`] (whole lines) says the delimiter, header and column names, and
/// [`TableStream::for_each_record`] then reads every record from the file, one line at a time
/// (gzip, UTF-8 with latin-1 per line as a fallback, at most [`MAX_LINE`] bytes a line).
#[derive(Debug)]
pub struct TableStream {
    /// The table of the file's first lines.
    pub head: TextTable,
}

impl TableStream {
    /// Open `path` and read its head.
    pub fn open(
        path: &Path,
        delimiter: Option<Delimiter>,
        has_header: Option<bool>,
    ) -> Result<Self> {
        let mut r = open_lines(path)?;
        let mut head = Vec::with_capacity(HEAD_BYTES);
        while head.len() < HEAD_BYTES {
            match read_until_max(&mut r, b'\n', &mut head, MAX_LINE) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    return Err(Error::parse(
                        path,
                        head.iter().filter(|&&b| b == b'\n').count() + 1,
                        format!(
                            "the line is longer than {} MiB; expected delimited rows (is this the right file?)",
                            MAX_LINE >> 20
                        ),
                    ))
                }
                Err(e) => return Err(Error::data(path, format!("read error: {e}"))),
            }
        }
        let head = TextTable::from_text(path, decode_text(head), delimiter, has_header)?;
        Ok(TableStream { head })
    }

    /// Call `f` on every data record of the file in order (the header and blank lines
    /// skipped; a line that cannot be split is given as its error), stopping at the first
    /// error `f` or the reading returns.
    pub fn for_each_record(
        &self,
        mut f: impl FnMut(Result<Record<'_>>) -> Result<()>,
    ) -> Result<()> {
        let path = &self.head.path;
        let mut r = open_lines(path)?;
        let mut buf = Vec::new();
        let (mut line, mut skip_header) = (0usize, self.head.header_in_file);
        loop {
            buf.clear();
            line += 1;
            match read_until_max(&mut r, b'\n', &mut buf, MAX_LINE) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    return Err(Error::parse(
                        path,
                        line,
                        format!(
                            "the line is longer than {} MiB; expected delimited rows (is this the right file?)",
                            MAX_LINE >> 20
                        ),
                    ))
                }
                Err(e) => return Err(Error::data(path, format!("read error: {e}"))),
            }
            let mut bytes = &buf[..];
            if line == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes = &bytes[3..];
            }
            while let [rest @ .., b'\n' | b'\r'] = bytes {
                bytes = rest;
            }
            let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(bytes) {
                Ok(s) => s.into(),
                Err(_) => bytes.iter().map(|&b| b as char).collect::<String>().into(),
            };
            if text.trim().is_empty() {
                continue;
            }
            if skip_header {
                skip_header = false;
                continue;
            }
            f(split_line(&text, &self.head.delimiter)
                .map(|fields| Record { line, fields })
                .map_err(|m| Error::parse(path, line, m)))?;
        }
    }
}

/// True for an integer or decimal number (what a rating or id column holds).
#[must_use]
pub fn is_number(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.parse::<f64>().is_ok()
}

/// Split one line into fields. Quotes are honoured for single-character separators:
/// a field starting with `"` runs to the matching `"`, and `""` inside is a literal quote.
pub fn split_line<'a>(
    line: &'a str,
    delimiter: &Delimiter,
) -> std::result::Result<Vec<std::borrow::Cow<'a, str>>, String> {
    use std::borrow::Cow;
    let line = line.strip_suffix('\r').unwrap_or(line);
    match delimiter {
        Delimiter::DoubleColon => Ok(line.split("::").map(Cow::Borrowed).collect()),
        Delimiter::Whitespace => Ok(line.split_whitespace().map(Cow::Borrowed).collect()),
        Delimiter::Char(d) => {
            let d = *d;
            if !line.contains('"') {
                return Ok(line.split(d).map(Cow::Borrowed).collect());
            }
            let mut out = Vec::new();
            let mut rest = line;
            loop {
                if let Some(after) = rest.strip_prefix('"') {
                    let mut field = String::new();
                    let mut chars = after.char_indices();
                    let mut end = None;
                    while let Some((i, c)) = chars.next() {
                        if c == '"' {
                            if after[i + 1..].starts_with('"') {
                                field.push('"');
                                chars.next();
                            } else {
                                end = Some(i + 1);
                                break;
                            }
                        } else {
                            field.push(c);
                        }
                    }
                    let end = end.ok_or_else(|| "unterminated quoted field".to_string())?;
                    out.push(Cow::Owned(field));
                    let tail = &after[end..];
                    if tail.is_empty() {
                        return Ok(out);
                    }
                    match tail.strip_prefix(d) {
                        Some(t) => rest = t,
                        None => {
                            return Err(format!(
                                "unexpected text after a closing quote in field {}",
                                out.len()
                            ))
                        }
                    }
                } else {
                    match rest.find(d) {
                        Some(i) => {
                            out.push(Cow::Borrowed(&rest[..i]));
                            rest = &rest[i + d.len_utf8()..];
                        }
                        None => {
                            out.push(Cow::Borrowed(rest));
                            return Ok(out);
                        }
                    }
                }
            }
        }
    }
}

/// Parse an integer timestamp (unix seconds; a decimal part is truncated).
pub(crate) fn parse_ts(path: &Path, line: usize, value: &str) -> Result<i64> {
    let t = value.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v as i64),
        _ => Err(Error::parse(
            path,
            line,
            format!("field 'timestamp': expected unix seconds, found '{value}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baskets_are_told_from_interaction_rows() {
        let dir = std::env::temp_dir().join(format!("recsys-baskets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let case = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            looks_like_sessions(&p)
        };
        assert!(case("fimi.txt", "0 1 2 3\n4 5\n6 7 8\n"));
        assert!(case("words.txt", "milk bread eggs\nbeer chips salsa\n"));
        assert!(!case("udata.txt", "1 2 5 881250949\n3 4 3 881250950\n"));
        assert!(!case("pairs.txt", "u1 i1\nu2 i2\n"));
        assert!(!case("rated.txt", "u1 i1 4.5\nu2 i2 3\n"));
        assert!(!case("tsv.txt", "1\t2\t3\n4\t5\n"));
        assert!(!case("empty.txt", "\n\n"));
        assert!(!looks_like_sessions(&dir.join("missing.txt")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn quoted_commas_parse() {
        let f = split_line(
            r#"1,"American President, The (1995)",Comedy|Drama"#,
            &Delimiter::Char(','),
        )
        .unwrap();
        assert_eq!(
            f,
            vec!["1", "American President, The (1995)", "Comedy|Drama"]
        );
        let f = split_line(r#"2,"He said ""hi""",x"#, &Delimiter::Char(',')).unwrap();
        assert_eq!(f[1], "He said \"hi\"");
        assert!(split_line(r#"3,"open,x"#, &Delimiter::Char(',')).is_err());
    }

    #[test]
    fn double_colon_and_sniffing() {
        assert_eq!(
            Delimiter::sniff("1::Toy Story (1995)::Animation"),
            Delimiter::DoubleColon
        );
        assert_eq!(Delimiter::sniff("1\t2\t3"), Delimiter::Char('\t'));
        assert_eq!(Delimiter::sniff("1|a|b"), Delimiter::Char('|'));
        assert_eq!(Delimiter::sniff("1 2 3"), Delimiter::Whitespace);
        let f = split_line(
            "1::Toy Story (1995)::Animation|Children's",
            &Delimiter::DoubleColon,
        )
        .unwrap();
        assert_eq!(f.len(), 3);
    }

    #[test]
    fn latin1_falls_back() {
        let s = decode_text(b"543|Mis\xe9rables, Les (1995)".to_vec());
        assert_eq!(s, "543|Misérables, Les (1995)");
        assert_eq!(decode_text("é".as_bytes().to_vec()), "é");
    }

    #[test]
    fn header_detection() {
        let p = Path::new("x.csv");
        let t =
            TextTable::from_text(p, "userId,movieId,rating\n1,2,3.5\n".into(), None, None).unwrap();
        assert_eq!(t.header.as_deref().unwrap()[1], "movieId");
        let t = TextTable::from_text(p, "1\t2\t3\n4\t5\t6\n".into(), None, None).unwrap();
        assert!(t.header.is_none());
        let recs: Vec<_> = t.records().collect::<Result<_>>().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].line, 2);
        assert!(TextTable::from_text(p, "\n \n".into(), None, None).is_err());
    }

    #[test]
    fn gzip_is_transparent() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("recsys-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.tsv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"1\t2\n").unwrap();
        std::fs::write(&p, enc.finish().unwrap()).unwrap();
        assert_eq!(read_text(&p).unwrap(), "1\t2\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

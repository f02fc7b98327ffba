//! Interaction rows from a table: column positions, numbers and timestamps checked with
//! file:line context, the optional polars fast path.

use std::path::Path;

use crate::error::{Error, Result};
use crate::vocab::Vocab;

use super::interactions::{IntKeys, Interactions};
use super::reader::parse_ts;
use super::reader::{Delimiter, Record, TableStream, TextTable};
use super::roles::{resolve_named, Positions, ReadOptions};

pub(super) fn resolve_positions(table: &TextTable, opts: &ReadOptions) -> Result<Positions> {
    let names: Option<Vec<String>> = opts.columns.clone().or_else(|| table.header.clone());
    let Some(names) = names else {
        // Header-less: positional user item [rating [timestamp]].
        let n = match table.first_record() {
            Some(r) => r?.fields.len(),
            None => 0,
        };
        if n < 2 {
            return Err(Error::parse(
                &table.path,
                1,
                format!(
                    "expected at least 2 fields (user, item[, rating[, timestamp]]), found {n}"
                ),
            ));
        }
        return Ok(Positions {
            user: 0,
            item: 1,
            rating: (n > 2).then_some(2),
            timestamp: (n > 3).then_some(3),
        });
    };
    resolve_named(&table.path, &names, opts)
}

/// Parse a finite float field, with an error naming the line and field.
pub(crate) fn parse_f32(path: &Path, line: usize, field: &str, value: &str) -> Result<f32> {
    let v: f32 = value.trim().parse().map_err(|_| {
        Error::parse(
            path,
            line,
            format!("field '{field}': expected a number, found '{value}'"),
        )
    })?;
    if !v.is_finite() {
        return Err(Error::parse(
            path,
            line,
            format!("field '{field}': expected a finite number, found '{value}'"),
        ));
    }
    Ok(v)
}

/// Opening a table file whatever its format (here, above both readers, so that the text
/// reader and the Parquet reader do not import each other).
impl TextTable {
    /// Open `path`, sniff the delimiter from the first non-empty line unless given, and
    /// detect a header (first line has a non-numeric field where the second line is numeric,
    /// or every field of a one-line file is non-numeric) unless `has_header` says. A Parquet
    /// file is read whole into a table of its columns (see [`super::parquet::read_table`]).
    pub fn open(
        path: &Path,
        delimiter: Option<Delimiter>,
        has_header: Option<bool>,
    ) -> Result<Self> {
        if super::parquet::is_parquet(path) {
            #[cfg(feature = "parquet")]
            return super::parquet::read_table(path);
            #[cfg(not(feature = "parquet"))]
            return Err(super::parquet::unsupported(path));
        }
        let text = super::reader::read_text(path)?;
        Self::from_text(path, text, delimiter, has_header)
    }
}

/// Read an interactions file into `Interactions`, extending the given vocabularies (pass
/// `Vocab::new()` for fresh ones; pass a training set's vocabularies to index a test set in
/// the same space). A Parquet file is read column by column ([`super::parquet`]).
pub fn read_interactions(
    path: &Path,
    opts: &ReadOptions,
    users: Vocab,
    items: Vocab,
) -> Result<Interactions> {
    if super::parquet::is_parquet(path) {
        #[cfg(feature = "parquet")]
        return super::parquet::read_interactions(path, opts, users, items);
        #[cfg(not(feature = "parquet"))]
        return Err(super::parquet::unsupported(path));
    }
    #[cfg(feature = "polars")]
    if let Some(x) = fast_path_file(path, opts, &users, &items) {
        return Ok(x);
    }
    let stream = TableStream::open(path, opts.delimiter.clone(), opts.has_header)?;
    interactions_from_stream(&stream, opts, users, items)
}

/// The fast path deciding from the first 64 KiB only (header, delimiter, roles), so a large
/// file is not decoded twice.
#[cfg(feature = "polars")]
pub(super) fn fast_path_file(
    path: &Path,
    opts: &ReadOptions,
    users: &Vocab,
    items: &Vocab,
) -> Option<Interactions> {
    use std::io::Read;
    if opts.skip_bad_rows {
        // the hand-written reader counts and skips bad rows; polars would stop at the first
        return None;
    }
    if std::fs::metadata(path).ok()?.len() < super::fast::MIN_BYTES {
        return None;
    }
    let mut head = Vec::with_capacity(1 << 16);
    std::fs::File::open(path)
        .ok()?
        .take(1 << 16)
        .read_to_end(&mut head)
        .ok()?;
    let cut = head.iter().rposition(|&b| b == b'\n')?;
    head.truncate(cut + 1);
    let table = TextTable::from_text(
        path,
        String::from_utf8(head).ok()?,
        opts.delimiter.clone(),
        opts.has_header,
    )
    .ok()?;
    fast_path(path, &table, opts, users, items)
}

/// The polars reader for large headered files (see `fast.rs`); `None` = use ours.
#[cfg(feature = "polars")]
pub(super) fn fast_path(
    path: &Path,
    table: &TextTable,
    opts: &ReadOptions,
    users: &Vocab,
    items: &Vocab,
) -> Option<Interactions> {
    let header = table.header.as_ref()?;
    if opts.columns.is_some() {
        return None;
    }
    let delimiter = match table.delimiter {
        Delimiter::Char(c) if c.is_ascii() && c != '"' => c as u8,
        _ => return None,
    };
    let pos = resolve_positions(table, opts).ok()?;
    let name = |i: usize| header.get(i).map(String::as_str);
    let names = super::fast::Names {
        user: name(pos.user)?,
        item: name(pos.item)?,
        rating: match pos.rating {
            Some(r) => Some(name(r)?),
            None => None,
        },
        timestamp: match pos.timestamp {
            Some(t) => Some(name(t)?),
            None => None,
        },
    };
    super::fast::read(path, delimiter, &names, users.clone(), items.clone())
}

pub(crate) fn interactions_from_table(
    table: &TextTable,
    opts: &ReadOptions,
    users: Vocab,
    items: Vocab,
) -> Result<Interactions> {
    let mut rows = RowSink::new(table, opts, users, items)?;
    for rec in table.records() {
        let one = rec.and_then(|r| rows.record(&r));
        rows.take(one)?;
    }
    rows.finish()
}

/// Interactions streamed from a delimited file: the head decides the columns, then every
/// record is read line by line into the vocabularies and index vectors (memory: the result).
pub(crate) fn interactions_from_stream(
    stream: &TableStream,
    opts: &ReadOptions,
    users: Vocab,
    items: Vocab,
) -> Result<Interactions> {
    let mut rows = RowSink::new(&stream.head, opts, users, items)?;
    stream.for_each_record(|rec| {
        let one = rec.and_then(|r| rows.record(&r));
        rows.take(one)
    })?;
    rows.finish()
}

/// Interaction rows being collected: the columns resolved once, each record checked and
/// pushed, bad rows counted or fatal as `opts` says.
struct RowSink<'o> {
    path: std::path::PathBuf,
    opts: &'o ReadOptions,
    pos: Positions,
    need: usize,
    out: Interactions,
    users: IntKeys,
    items: IntKeys,
}

impl<'o> RowSink<'o> {
    fn new(head: &TextTable, opts: &'o ReadOptions, users: Vocab, items: Vocab) -> Result<Self> {
        let pos = resolve_positions(head, opts)?;
        let need = [Some(pos.user), Some(pos.item), pos.rating, pos.timestamp]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(1)
            + 1;
        Ok(RowSink {
            path: head.path.clone(),
            opts,
            pos,
            need,
            out: Interactions {
                users,
                items,
                has_rating: pos.rating.is_some(),
                has_timestamp: pos.timestamp.is_some(),
                ..Default::default()
            },
            users: IntKeys::default(),
            items: IntKeys::default(),
        })
    }

    /// Check one record and push it.
    fn record(&mut self, rec: &Record<'_>) -> Result<()> {
        let (path, pos, f) = (&self.path, self.pos, &rec.fields);
        if f.len() < self.need {
            return Err(Error::parse(
                path,
                rec.line,
                format!("expected at least {} fields, found {}", self.need, f.len()),
            ));
        }
        let user = f[pos.user].trim();
        let item = f[pos.item].trim();
        if user.is_empty() || item.is_empty() {
            return Err(Error::parse(
                path,
                rec.line,
                format!(
                    "field '{}': empty key",
                    if user.is_empty() { "user" } else { "item" }
                ),
            ));
        }
        let rating = match pos.rating {
            Some(c) => parse_f32(path, rec.line, "rating", &f[c])?,
            None => 1.0,
        };
        let ts = match pos.timestamp {
            Some(c) => parse_ts(path, rec.line, &f[c])?,
            None => 0,
        };
        let u = self.users.intern(&mut self.out.users, user);
        let i = self.items.intern(&mut self.out.items, item);
        self.out.push_indexed(u, i, rating, ts);
        Ok(())
    }

    /// A record's outcome: a bad row is counted (with `skip_bad_rows`) or returned.
    fn take(&mut self, row: Result<()>) -> Result<()> {
        match row {
            Ok(()) => Ok(()),
            Err(e @ (Error::Parse { .. } | Error::Data { .. })) if self.opts.skip_bad_rows => {
                self.out.skipped_rows += 1;
                if self.out.first_skipped.is_none() {
                    self.out.first_skipped = Some(e.to_string());
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn finish(self) -> Result<Interactions> {
        if self.out.is_empty() {
            return Err(Error::data(
                &self.path,
                "the file has a header but no data rows",
            ));
        }
        Ok(self.out)
    }
}

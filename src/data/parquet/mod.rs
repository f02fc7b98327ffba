//! Parquet in and out, through arrow-rs's `parquet` crate without its Arrow layer.
//!
//! - **Interactions** ([`read_interactions`]) are read column by column, one row group at a
//!   time: only the user, item, rating and timestamp columns are decoded, found by name exactly
//!   as a CSV header's (`userId`, `item_id`, `rating`, … or the names a schema or flag gives),
//!   so memory holds the result and one row group's four columns, never the file.
//! - **Any other table** (an items file, a schema's sources) becomes a [`TextTable`](crate::data::TextTable) with the
//!   same column names ([`read_table`]), so catalogs and feature columns read it unchanged; a
//!   list column (e.g. `genres: list<string>`) becomes `a|b|c`, the multivalent separator of
//!   MovieLens files.
//! - **Writing** ([`TableWriter`]): flat columns (int32, int64, float, string) and lists of
//!   floats or strings, one row group per call, zstd-compressed.
//!
//! Values are converted as a user of the file expects: ids of any integer or string type
//! become keys (unsigned integers printed unsigned); ratings of any numeric type become f32
//! (finite, as in CSV); timestamps are unix seconds, from plain integers or floats, from the
//! `TIMESTAMP(MILLIS|MICROS|NANOS)` and `DATE` logical types, and from Spark's legacy INT96.
//! A null key or rating is a bad row (skipped and counted with `--on-bad-row skip`); errors
//! name the file, the row group, the column and the row.

use std::path::Path;

use crate::error::{Error, Result};

pub use super::reader::{is_parquet, MAGIC};

/// The error for a Parquet file in a build without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
pub(crate) fn unsupported(path: &Path) -> Error {
    Error::data(
        path,
        "this is a Parquet file, and this build of recsys has no Parquet support (build with `--features parquet`)",
    )
}

/// The column names of a Parquet file (from its footer; a list column by its top-level name).
pub fn column_names(path: &Path) -> Result<Vec<String>> {
    #[cfg(feature = "parquet")]
    return guarded(path, || imp::column_names(path));
    #[cfg(not(feature = "parquet"))]
    return Err(unsupported(path));
}

#[cfg(feature = "parquet")]
pub use imp::{ColumnData, ColumnKind, TableWriter};

/// Read interactions from a Parquet file: the user and item columns (and rating and
/// timestamp, when present) found by name as in a CSV header, one row group at a time.
#[cfg(feature = "parquet")]
pub fn read_interactions(
    path: &Path,
    opts: &crate::data::ReadOptions,
    users: crate::vocab::Vocab,
    items: crate::vocab::Vocab,
) -> Result<crate::data::Interactions> {
    guarded(path, || imp::read_interactions(path, opts, users, items))
}

/// Read a whole Parquet table (an items file, a schema source) as a
/// [`TextTable`](crate::data::TextTable) whose header is the column names; a null is an empty
/// field, a list is joined with `|`. Line `n` of the table is row `n - 1` of the file (line 1
/// is the header).
#[cfg(feature = "parquet")]
pub fn read_table(path: &Path) -> Result<crate::data::TextTable> {
    guarded(path, || imp::read_table(path))
}

#[cfg(feature = "parquet")]
std::thread_local! {
    /// How many [`guarded`] calls this thread is inside (their panics are not printed).
    static GUARDED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Run `f`, a read through the parquet crate, turning a panic inside that crate into an
/// error naming the file. The crate has `expect`s and index panics that damaged files reach
/// (fuzzing found one: a data page claiming dictionary encoding with no dictionary page); a
/// panic is never how recsys answers bad input. The process's panic hook is wrapped once so a
/// caught panic prints nothing; panics anywhere else print as before.
#[cfg(feature = "parquet")]
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(std::cell::Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(g.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    r.unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(Error::data(
            path,
            format!("a damaged Parquet file: the reader stopped ({why})"),
        ))
    })
}

#[cfg(feature = "parquet")]
pub mod arrow;

#[cfg(feature = "parquet")]
mod imp {
    use std::fmt::Write as _;
    use std::fs::File;
    use std::path::Path;
    use std::sync::Arc;

    use parquet::basic::{Compression, ConvertedType, LogicalType, TimeUnit};
    use parquet::column::reader::ColumnReader;
    use parquet::data_type::{ByteArray, ByteArrayType, FloatType, Int32Type, Int64Type};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;

    use super::arrow::{schema_metadata, ArrowType};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::ColumnDescriptor;

    use super::super::interactions::{IntKeys, Interactions};
    use super::super::reader::{Delimiter, TextTable};
    use super::super::roles::resolve_named;
    use super::super::roles::ReadOptions;
    use crate::error::{Error, Result};
    use crate::vocab::Vocab;

    /// Rows decoded per call into a column reader.
    const BATCH: usize = 64 * 1024;

    fn open(path: &Path) -> Result<SerializedFileReader<File>> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        SerializedFileReader::new(f)
            .map_err(|e| Error::data(path, format!("not a readable Parquet file: {e}")))
    }

    /// What one leaf column's values mean, beyond their physical type.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Meaning {
        Plain,
        Unsigned,
        Text,
        /// Units of the stored integer per second.
        Timestamp(i64),
        Date,
        /// Digits after the decimal point.
        Decimal(i32),
    }

    fn meaning(c: &ColumnDescriptor) -> Meaning {
        match c.logical_type_ref() {
            Some(LogicalType::Timestamp(t)) => Meaning::Timestamp(match t.unit {
                TimeUnit::MILLIS => 1_000,
                TimeUnit::MICROS => 1_000_000,
                TimeUnit::NANOS => 1_000_000_000,
            }),
            Some(LogicalType::Date) => Meaning::Date,
            Some(LogicalType::Decimal(d)) => Meaning::Decimal(d.scale),
            Some(LogicalType::Integer(i)) if !i.is_signed => Meaning::Unsigned,
            Some(LogicalType::String | LogicalType::Enum | LogicalType::Json) => Meaning::Text,
            _ => match c.converted_type() {
                ConvertedType::TIMESTAMP_MILLIS => Meaning::Timestamp(1_000),
                ConvertedType::TIMESTAMP_MICROS => Meaning::Timestamp(1_000_000),
                ConvertedType::DATE => Meaning::Date,
                ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64 => Meaning::Unsigned,
                ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON => Meaning::Text,
                ConvertedType::DECIMAL => Meaning::Decimal(c.type_scale()),
                _ => Meaning::Plain,
            },
        }
    }

    /// One row group's values of one leaf column, with their levels.
    enum Values {
        Bool(Vec<bool>),
        I32(Vec<i32>),
        I64(Vec<i64>),
        /// INT96, already in unix seconds.
        Seconds(Vec<i64>),
        F32(Vec<f32>),
        F64(Vec<f64>),
        Bytes(Vec<ByteArray>),
    }

    struct Column {
        values: Values,
        /// Definition levels (empty for a required column).
        defs: Vec<i16>,
        /// Repetition levels (empty for a non-repeated column).
        reps: Vec<i16>,
        max_def: i16,
        meaning: Meaning,
    }

    /// Read all `rows` records of leaf column `i` of a row group.
    fn read_column(
        rg: &dyn parquet::file::reader::RowGroupReader,
        i: usize,
        rows: usize,
        desc: &ColumnDescriptor,
    ) -> parquet::errors::Result<Column> {
        let (mut defs, mut reps) = (Vec::new(), Vec::new());
        let (md, mr) = (desc.max_def_level(), desc.max_rep_level());
        macro_rules! all {
            ($r:expr, $v:expr) => {{
                let mut v = $v;
                let mut got = 0;
                while got < rows {
                    let (n, _, _) = $r.read_records(
                        BATCH.min(rows - got),
                        (md > 0).then_some(&mut defs),
                        (mr > 0).then_some(&mut reps),
                        &mut v,
                    )?;
                    if n == 0 {
                        return Err(parquet::errors::ParquetError::General(format!(
                            "the row group says {rows} rows, the column holds {got}"
                        )));
                    }
                    got += n;
                }
                v
            }};
        }
        let values = match rg.get_column_reader(i)? {
            ColumnReader::BoolColumnReader(mut r) => Values::Bool(all!(r, Vec::new())),
            ColumnReader::Int32ColumnReader(mut r) => Values::I32(all!(r, Vec::new())),
            ColumnReader::Int64ColumnReader(mut r) => Values::I64(all!(r, Vec::new())),
            ColumnReader::Int96ColumnReader(mut r) => {
                let v: Vec<parquet::data_type::Int96> = all!(r, Vec::new());
                Values::Seconds(
                    v.iter()
                        .map(parquet::data_type::Int96::to_seconds)
                        .collect(),
                )
            }
            ColumnReader::FloatColumnReader(mut r) => Values::F32(all!(r, Vec::new())),
            ColumnReader::DoubleColumnReader(mut r) => Values::F64(all!(r, Vec::new())),
            ColumnReader::ByteArrayColumnReader(mut r) => Values::Bytes(all!(r, Vec::new())),
            ColumnReader::FixedLenByteArrayColumnReader(mut r) => {
                let v: Vec<parquet::data_type::FixedLenByteArray> = all!(r, Vec::new());
                Values::Bytes(v.into_iter().map(ByteArray::from).collect())
            }
        };
        Ok(Column {
            values,
            defs,
            reps,
            max_def: md,
            meaning: meaning(desc),
        })
    }

    impl Values {
        /// Value `k` as a key or text field.
        fn text(
            &self,
            k: usize,
            meaning: Meaning,
            out: &mut String,
        ) -> std::result::Result<(), String> {
            out.clear();
            let _ = match self {
                Values::Bool(v) => write!(out, "{}", v[k]),
                Values::I32(v) => match meaning {
                    Meaning::Unsigned => write!(out, "{}", v[k] as u32),
                    Meaning::Date => write!(out, "{}", i64::from(v[k]) * 86_400),
                    Meaning::Decimal(s) => write!(out, "{}", f64::from(v[k]) / 10f64.powi(s)),
                    _ => write!(out, "{}", v[k]),
                },
                Values::I64(v) => match meaning {
                    Meaning::Unsigned => write!(out, "{}", v[k] as u64),
                    Meaning::Timestamp(per_s) => write!(out, "{}", v[k].div_euclid(per_s)),
                    Meaning::Decimal(s) => write!(out, "{}", v[k] as f64 / 10f64.powi(s)),
                    _ => write!(out, "{}", v[k]),
                },
                Values::Seconds(v) => write!(out, "{}", v[k]),
                Values::F32(v) => write!(out, "{}", v[k]),
                Values::F64(v) => write!(out, "{}", v[k]),
                Values::Bytes(v) => {
                    let s = std::str::from_utf8(v[k].data())
                        .map_err(|_| "expected UTF-8 text, found bytes that are not".to_string())?;
                    out.push_str(s);
                    Ok(())
                }
            };
            Ok(())
        }

        /// Value `k` as a rating.
        fn number(&self, k: usize, meaning: Meaning) -> std::result::Result<f64, String> {
            Ok(match self {
                Values::I32(v) => match meaning {
                    Meaning::Unsigned => f64::from(v[k] as u32),
                    Meaning::Decimal(s) => f64::from(v[k]) / 10f64.powi(s),
                    _ => f64::from(v[k]),
                },
                Values::I64(v) => match meaning {
                    Meaning::Unsigned => v[k] as u64 as f64,
                    Meaning::Decimal(s) => v[k] as f64 / 10f64.powi(s),
                    _ => v[k] as f64,
                },
                Values::F32(v) => f64::from(v[k]),
                Values::F64(v) => v[k],
                Values::Bool(v) => f64::from(u8::from(v[k])),
                Values::Seconds(_) | Values::Bytes(_) => {
                    return Err("expected a number column".into())
                }
            })
        }

        /// Value `k` as unix seconds.
        fn seconds(&self, k: usize, meaning: Meaning) -> std::result::Result<i64, String> {
            Ok(match (self, meaning) {
                (Values::I64(v), Meaning::Timestamp(per_s)) => v[k].div_euclid(per_s),
                (Values::I32(v), Meaning::Date) => i64::from(v[k]) * 86_400,
                (Values::I64(v), Meaning::Date) => v[k] * 86_400,
                (Values::I32(v), _) => i64::from(v[k]),
                (Values::I64(v), _) => v[k],
                (Values::Seconds(v), _) => v[k],
                (Values::F32(v), _) if v[k].is_finite() => v[k] as i64,
                (Values::F64(v), _) if v[k].is_finite() => v[k] as i64,
                (Values::Bytes(v), _) => {
                    let s = std::str::from_utf8(v[k].data()).unwrap_or("");
                    return super::super::reader::parse_ts(Path::new(""), 0, s)
                        .map_err(|_| format!("expected unix seconds, found '{s}'"));
                }
                _ => return Err("expected unix seconds (an integer or timestamp column)".into()),
            })
        }
    }

    impl Column {
        /// For a flat column: the index into the values of each row, `None` for a null.
        fn slots(&self, rows: usize) -> Vec<Option<usize>> {
            if self.max_def == 0 {
                return (0..rows).map(Some).collect();
            }
            let mut k = 0;
            self.defs
                .iter()
                .map(|&d| {
                    (d == self.max_def).then(|| {
                        k += 1;
                        k - 1
                    })
                })
                .collect()
        }
    }

    /// A key as read: an integer (indexed through an [`IntKeys`] cache), or text left in the
    /// caller's buffer.
    enum Key {
        Int(i64),
        Text,
    }

    /// Row `k`'s key of a key column: plain integers as numbers, anything else as text.
    fn key(col: &Column, k: usize, buf: &mut String) -> std::result::Result<Key, &'static str> {
        match (&col.values, col.meaning) {
            (Values::I64(v), Meaning::Plain) => Ok(Key::Int(v[k])),
            (Values::I32(v), Meaning::Plain) => Ok(Key::Int(i64::from(v[k]))),
            (values, meaning) => {
                values
                    .text(k, meaning, buf)
                    .map_err(|_| "expected UTF-8 text, found bytes that are not")?;
                if buf.trim().is_empty() {
                    return Err("empty key");
                }
                Ok(Key::Text)
            }
        }
    }

    /// Leaf column names (dotted paths for nested ones) of a file.
    fn leaf_names(r: &SerializedFileReader<File>) -> Vec<String> {
        let s = r.metadata().file_metadata().schema_descr_ptr();
        (0..s.num_columns())
            .map(|i| {
                let c = s.column(i);
                // a list<x> column's leaf is `name.list.element` (or `name.list.item`, or
                // `name.bag.array`): its user-facing name is the top-level one
                if c.max_rep_level() > 0 {
                    s.get_column_root(i).name().to_string()
                } else {
                    c.path().string()
                }
            })
            .collect()
    }

    pub(super) fn column_names(path: &Path) -> Result<Vec<String>> {
        Ok(leaf_names(&open(path)?))
    }

    pub(super) fn read_interactions(
        path: &Path,
        opts: &ReadOptions,
        users: Vocab,
        items: Vocab,
    ) -> Result<Interactions> {
        let r = open(path)?;
        let names = leaf_names(&r);
        let schema = r.metadata().file_metadata().schema_descr_ptr();
        let pos = resolve_named(path, &names, opts)?;
        for (role, c) in [
            ("user", Some(pos.user)),
            ("item", Some(pos.item)),
            ("rating", pos.rating),
            ("timestamp", pos.timestamp),
        ] {
            if let Some(c) = c {
                if schema.column(c).max_rep_level() > 0 {
                    return Err(Error::data(
                        path,
                        format!(
                            "column '{}' ({role}) is a list; expected one value per row",
                            names[c]
                        ),
                    ));
                }
            }
        }
        let mut out = Interactions {
            users,
            items,
            has_rating: pos.rating.is_some(),
            has_timestamp: pos.timestamp.is_some(),
            ..Default::default()
        };
        let total: i64 = r.metadata().file_metadata().num_rows();
        let mut before = 0usize;
        let (mut ukey, mut ikey) = (String::new(), String::new());
        let (mut ucache, mut icache) = (IntKeys::default(), IntKeys::default());
        for g in 0..r.num_row_groups() {
            let rg = r
                .get_row_group(g)
                .map_err(|e| Error::data(path, format!("row group {g}: {e}")))?;
            let rows = usize::try_from(rg.metadata().num_rows()).unwrap_or(0);
            if rows as i64 > total.max(0) {
                return Err(Error::data(
                    path,
                    format!("row group {g} says {rows} rows, more than the file's {total}"),
                ));
            }
            let read = |c: usize| {
                read_column(&*rg, c, rows, &schema.column(c)).map_err(|e| {
                    Error::data(path, format!("row group {g}, column '{}': {e}", names[c]))
                })
            };
            let user = read(pos.user)?;
            let item = read(pos.item)?;
            let rating = pos.rating.map(read).transpose()?;
            let ts = pos.timestamp.map(read).transpose()?;
            let slots = |c: &Column| c.slots(rows);
            let (us, is) = (slots(&user), slots(&item));
            let rs = rating.as_ref().map(slots);
            let ts_slots = ts.as_ref().map(slots);
            out.user.reserve(rows);
            out.item.reserve(rows);
            out.rating.reserve(rows);
            out.timestamp.reserve(rows);
            for row in 0..rows {
                let at = |c: usize, what: &str| {
                    Error::data(
                        path,
                        format!(
                            "row group {g}, column '{}', row {}: {what}",
                            names[c],
                            before + row + 1
                        ),
                    )
                };
                let one = (|| -> Result<(Key, Key, f32, i64)> {
                    let (Some(u), Some(i)) = (us[row], is[row]) else {
                        let c = if us[row].is_none() {
                            pos.user
                        } else {
                            pos.item
                        };
                        return Err(at(c, "a null key"));
                    };
                    let uk = key(&user, u, &mut ukey).map_err(|m| at(pos.user, m))?;
                    let ik = key(&item, i, &mut ikey).map_err(|m| at(pos.item, m))?;
                    let rating = match (&rating, &rs, pos.rating) {
                        (Some(col), Some(s), Some(c)) => {
                            let k = s[row].ok_or_else(|| at(c, "a null rating"))?;
                            let v = col.values.number(k, col.meaning).map_err(|m| at(c, &m))?;
                            let v = v as f32;
                            if !v.is_finite() {
                                return Err(at(c, &format!("expected a finite number, found {v}")));
                            }
                            v
                        }
                        _ => 1.0,
                    };
                    let t = match (&ts, &ts_slots, pos.timestamp) {
                        (Some(col), Some(s), Some(c)) => match s[row] {
                            Some(k) => col.values.seconds(k, col.meaning).map_err(|m| at(c, &m))?,
                            None => 0,
                        },
                        _ => 0,
                    };
                    Ok((uk, ik, rating, t))
                })();
                match one {
                    Ok((uk, ik, rating, t)) => {
                        let u = match uk {
                            Key::Int(n) => ucache.intern_int(&mut out.users, n),
                            Key::Text => ucache.intern(&mut out.users, ukey.trim()),
                        };
                        let i = match ik {
                            Key::Int(n) => icache.intern_int(&mut out.items, n),
                            Key::Text => icache.intern(&mut out.items, ikey.trim()),
                        };
                        out.push_indexed(u, i, rating, t);
                    }
                    Err(e) if opts.skip_bad_rows => {
                        out.skipped_rows += 1;
                        if out.first_skipped.is_none() {
                            out.first_skipped = Some(e.to_string());
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            before += rows;
        }
        if out.is_empty() {
            return Err(Error::data(path, "the Parquet file has no data rows"));
        }
        Ok(out)
    }

    /// Quote a field for the tab-separated text a [`TextTable`] holds: a tab or a leading
    /// quote is quoted (`""` inside), line breaks become spaces.
    fn push_field(line: &mut String, s: &str) {
        let s = s.replace(['\n', '\r'], " ");
        if s.contains('\t') || s.starts_with('"') {
            line.push('"');
            line.push_str(&s.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&s);
        }
    }

    pub(super) fn read_table(path: &Path) -> Result<TextTable> {
        let r = open(path)?;
        let names = leaf_names(&r);
        let schema = r.metadata().file_metadata().schema_descr_ptr();
        let mut text = String::new();
        for (k, n) in names.iter().enumerate() {
            if k > 0 {
                text.push('\t');
            }
            push_field(&mut text, n);
        }
        text.push('\n');
        let mut field = String::new();
        for g in 0..r.num_row_groups() {
            let rg = r
                .get_row_group(g)
                .map_err(|e| Error::data(path, format!("row group {g}: {e}")))?;
            let rows = usize::try_from(rg.metadata().num_rows()).unwrap_or(0);
            let mut cells: Vec<Vec<String>> = Vec::with_capacity(names.len());
            for (c, name) in names.iter().enumerate() {
                let err =
                    |e: String| Error::data(path, format!("row group {g}, column '{name}': {e}"));
                let col = read_column(&*rg, c, rows, &schema.column(c))
                    .map_err(|e| err(e.to_string()))?;
                let mut rendered = Vec::with_capacity(rows);
                if col.reps.is_empty() {
                    for s in col.slots(rows) {
                        match s {
                            Some(k) => col.values.text(k, col.meaning, &mut field).map_err(err)?,
                            None => field.clear(),
                        }
                        rendered.push(field.clone());
                    }
                } else {
                    // a list: a repetition level of 0 starts a row; a value is present where
                    // the definition level is the column's maximum
                    let mut k = 0;
                    for (&rep, &def) in col.reps.iter().zip(&col.defs) {
                        if rep == 0 {
                            rendered.push(String::new());
                        }
                        if def == col.max_def {
                            col.values.text(k, col.meaning, &mut field).map_err(err)?;
                            k += 1;
                            if let Some(cell) = rendered.last_mut() {
                                if !cell.is_empty() {
                                    cell.push('|');
                                }
                                cell.push_str(&field);
                            }
                        }
                    }
                }
                if rendered.len() != rows {
                    return Err(err(format!(
                        "{} rows, the row group says {rows}",
                        rendered.len()
                    )));
                }
                cells.push(rendered);
            }
            for row in 0..rows {
                for (c, col) in cells.iter().enumerate() {
                    if c > 0 {
                        text.push('\t');
                    }
                    push_field(&mut text, &col[row]);
                }
                text.push('\n');
            }
        }
        if text.lines().count() < 2 {
            return Err(Error::data(path, "the Parquet file has no data rows"));
        }
        TextTable::from_text(path, text, Some(Delimiter::Char('\t')), Some(true))
    }

    /// The type of a column [`TableWriter`] writes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ColumnKind {
        /// `int32`.
        Int32,
        /// `int64`.
        Int64,
        /// `float`.
        Float,
        /// `binary (STRING)`.
        String,
        /// `list<float>`.
        FloatList,
        /// `fixed_size_list<float>[n]` (an embedding vector): a Parquet LIST whose width the
        /// file's Arrow schema states; every row must have `n` values.
        FloatArray(i32),
        /// `list<int32>` (a bag of ids).
        Int32List,
        /// `list<string>` (genres, tags).
        StringList,
    }

    /// One row group's values of one column.
    #[derive(Debug, Clone, PartialEq)]
    pub enum ColumnData {
        /// `int32` values.
        Int32(Vec<i32>),
        /// `int64` values.
        Int64(Vec<i64>),
        /// `float` values.
        Float(Vec<f32>),
        /// Text values.
        String(Vec<String>),
        /// One list of floats per row.
        FloatList(Vec<Vec<f32>>),
        /// One list of `int32` per row.
        Int32List(Vec<Vec<i32>>),
        /// One list of strings per row.
        StringList(Vec<Vec<String>>),
    }

    impl ColumnData {
        fn rows(&self) -> usize {
            match self {
                ColumnData::Int32(v) => v.len(),
                ColumnData::Int64(v) => v.len(),
                ColumnData::Float(v) => v.len(),
                ColumnData::String(v) => v.len(),
                ColumnData::FloatList(v) => v.len(),
                ColumnData::Int32List(v) => v.len(),
                ColumnData::StringList(v) => v.len(),
            }
        }
    }

    /// Levels of a `list<x>` column for `lens` rows: (definition, repetition).
    fn list_levels(lens: impl Iterator<Item = usize>) -> (Vec<i16>, Vec<i16>) {
        let (mut defs, mut reps) = (Vec::new(), Vec::new());
        for n in lens {
            if n == 0 {
                defs.push(0);
                reps.push(0);
            }
            for j in 0..n {
                defs.push(1);
                reps.push(i16::from(j > 0));
            }
        }
        (defs, reps)
    }

    /// A Parquet file written one row group at a time (zstd), with a fixed schema.
    pub struct TableWriter<W: std::io::Write + Send> {
        inner: SerializedFileWriter<W>,
        kinds: Vec<ColumnKind>,
    }

    impl<W: std::io::Write + Send> TableWriter<W> {
        /// Start a file with these columns.
        pub fn new(out: W, columns: &[(&str, ColumnKind)]) -> std::io::Result<Self> {
            let mut msg = String::from("message schema {\n");
            for (name, kind) in columns {
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("Parquet column name '{name}': letters, digits and '_' only"),
                    ));
                }
                let _ = writeln!(
                    msg,
                    "{}",
                    match kind {
                        ColumnKind::Int32 => format!("required int32 {name};"),
                        ColumnKind::Int64 => format!("required int64 {name};"),
                        ColumnKind::Float => format!("required float {name};"),
                        ColumnKind::String => format!("required binary {name} (STRING);"),
                        ColumnKind::FloatList | ColumnKind::FloatArray(_) => format!(
                            "required group {name} (LIST) {{ repeated group list {{ required float element; }} }}"
                        ),
                        ColumnKind::Int32List => format!(
                            "required group {name} (LIST) {{ repeated group list {{ required int32 element; }} }}"
                        ),
                        ColumnKind::StringList => format!(
                            "required group {name} (LIST) {{ repeated group list {{ required binary element (STRING); }} }}"
                        ),
                    }
                );
            }
            msg.push('}');
            let schema = parquet::schema::parser::parse_message_type(&msg).map_err(io_err)?;
            let arrow: Vec<(&str, ArrowType)> = columns
                .iter()
                .map(|&(name, kind)| {
                    let t = match kind {
                        ColumnKind::Int32 => ArrowType::Int32,
                        ColumnKind::Int64 => ArrowType::Int64,
                        ColumnKind::Float => ArrowType::Float32,
                        ColumnKind::String => ArrowType::Utf8,
                        ColumnKind::FloatList => ArrowType::List(Box::new(ArrowType::Float32)),
                        ColumnKind::FloatArray(n) => {
                            ArrowType::FixedSizeList(Box::new(ArrowType::Float32), n)
                        }
                        ColumnKind::Int32List => ArrowType::List(Box::new(ArrowType::Int32)),
                        ColumnKind::StringList => ArrowType::List(Box::new(ArrowType::Utf8)),
                    };
                    (name, t)
                })
                .collect();
            let props = WriterProperties::builder()
                .set_key_value_metadata(Some(vec![KeyValue::new(
                    "ARROW:schema".to_string(),
                    schema_metadata(&arrow),
                )]))
                .set_compression(Compression::ZSTD(parquet::basic::ZstdLevel::default()))
                .set_created_by(format!("recsys {}", env!("CARGO_PKG_VERSION")))
                .build();
            let inner = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(props))
                .map_err(io_err)?;
            Ok(TableWriter {
                inner,
                kinds: columns.iter().map(|c| c.1).collect(),
            })
        }

        /// Write one row group: one [`ColumnData`] per column, in order, of equal lengths.
        pub fn write_group(&mut self, columns: &[ColumnData]) -> std::io::Result<()> {
            let rows = columns.first().map_or(0, ColumnData::rows);
            if columns.len() != self.kinds.len() || columns.iter().any(|c| c.rows() != rows) {
                return Err(std::io::Error::other(
                    "a Parquet row group needs every column, all of one length",
                ));
            }
            let mut rg = self.inner.next_row_group().map_err(io_err)?;
            for (data, kind) in columns.iter().zip(&self.kinds) {
                let mut col = rg
                    .next_column()
                    .map_err(io_err)?
                    .ok_or_else(|| std::io::Error::other("fewer Parquet columns than data"))?;
                let w = &mut col;
                match (data, kind) {
                    (ColumnData::Int32(v), ColumnKind::Int32) => {
                        w.typed::<Int32Type>()
                            .write_batch(v, None, None)
                            .map_err(io_err)?;
                    }
                    (ColumnData::Int64(v), ColumnKind::Int64) => {
                        w.typed::<Int64Type>()
                            .write_batch(v, None, None)
                            .map_err(io_err)?;
                    }
                    (ColumnData::Float(v), ColumnKind::Float) => {
                        w.typed::<FloatType>()
                            .write_batch(v, None, None)
                            .map_err(io_err)?;
                    }
                    (ColumnData::String(v), ColumnKind::String) => {
                        let b: Vec<ByteArray> = v.iter().map(|s| s.as_str().into()).collect();
                        w.typed::<ByteArrayType>()
                            .write_batch(&b, None, None)
                            .map_err(io_err)?;
                    }
                    (ColumnData::FloatList(v), ColumnKind::FloatArray(n)) => {
                        if let Some(r) = v.iter().find(|r| r.len() as i64 != i64::from(*n)) {
                            return Err(std::io::Error::other(format!(
                                "a fixed-size list column of {n} values given a row of {}",
                                r.len()
                            )));
                        }
                        let (d, r) = list_levels(v.iter().map(Vec::len));
                        let flat: Vec<f32> = v.iter().flatten().copied().collect();
                        w.typed::<FloatType>()
                            .write_batch(&flat, Some(&d), Some(&r))
                            .map_err(io_err)?;
                    }
                    (ColumnData::FloatList(v), ColumnKind::FloatList) => {
                        let (d, r) = list_levels(v.iter().map(Vec::len));
                        let flat: Vec<f32> = v.iter().flatten().copied().collect();
                        w.typed::<FloatType>()
                            .write_batch(&flat, Some(&d), Some(&r))
                            .map_err(io_err)?;
                    }
                    (ColumnData::Int32List(v), ColumnKind::Int32List) => {
                        let (d, r) = list_levels(v.iter().map(Vec::len));
                        let flat: Vec<i32> = v.iter().flatten().copied().collect();
                        w.typed::<Int32Type>()
                            .write_batch(&flat, Some(&d), Some(&r))
                            .map_err(io_err)?;
                    }
                    (ColumnData::StringList(v), ColumnKind::StringList) => {
                        let (d, r) = list_levels(v.iter().map(Vec::len));
                        let flat: Vec<ByteArray> =
                            v.iter().flatten().map(|s| s.as_str().into()).collect();
                        w.typed::<ByteArrayType>()
                            .write_batch(&flat, Some(&d), Some(&r))
                            .map_err(io_err)?;
                    }
                    _ => {
                        return Err(std::io::Error::other(format!(
                            "Parquet column of kind {kind:?} given other data"
                        )))
                    }
                }
                col.close().map_err(io_err)?;
            }
            rg.close().map_err(io_err)?;
            Ok(())
        }

        /// Write the footer; the file is complete.
        pub fn finish(self) -> std::io::Result<()> {
            self.inner.close().map_err(io_err)?;
            Ok(())
        }
    }

    fn io_err(e: parquet::errors::ParquetError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}

#[cfg(all(test, feature = "parquet"))]
mod tests;

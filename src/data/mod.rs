//! Data in: delimited files → [`Interactions`] (user × item events with dense indices) and a
//! [`Catalog`] of item titles and genres.
//!
//! Column roles are inferred from header names (`userId`, `user_id`, `user`, `movieId`,
//! `item_id`, `item`, `rating`, `timestamp`, `title`, `genres`) or given explicitly; a
//! header-less numeric file is read positionally as `user item [rating [timestamp]]`.

mod catalog;
#[cfg(feature = "polars")]
mod fast;
pub mod joined;
pub mod reader;

pub use catalog::{Catalog, ItemInfo, ML100K_GENRES};
pub use reader::{Delimiter, TextTable};

use std::path::{Path, PathBuf};

use sprs::CsMat;

use crate::error::{Error, Result};
use crate::vocab::Vocab;

/// The role a column plays in an interactions or items file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The user (or session) key.
    User,
    /// The item key.
    Item,
    /// An explicit rating or interaction strength.
    Rating,
    /// Unix seconds.
    Timestamp,
    /// An item title.
    Title,
    /// `|`-separated genres.
    Genres,
}

/// Infer a column's role from its header name (case- and punctuation-insensitive).
#[must_use]
pub fn infer_role(name: &str) -> Option<Role> {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match n.as_str() {
        "user" | "userid" | "uid" | "users" | "session" | "sessionid" | "customerid" => {
            Some(Role::User)
        }
        "item" | "itemid" | "movie" | "movieid" | "iid" | "items" | "productid" | "product" => {
            Some(Role::Item)
        }
        "rating" | "ratings" | "score" | "value" | "weight" | "count" => Some(Role::Rating),
        "timestamp" | "time" | "ts" | "unixtime" | "datetime" => Some(Role::Timestamp),
        "title" | "name" | "movietitle" => Some(Role::Title),
        "genres" | "genre" | "tags" | "categories" => Some(Role::Genres),
        _ => None,
    }
}

/// How to read an interactions file. Every field is optional: the defaults sniff.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Field separator (sniffed when `None`).
    pub delimiter: Option<Delimiter>,
    /// Whether the first line is a header (detected when `None`).
    pub has_header: Option<bool>,
    /// Column names for a header-less file, in file order.
    pub columns: Option<Vec<String>>,
    /// Name of the user column (overrides inference).
    pub user_col: Option<String>,
    /// Name of the item column.
    pub item_col: Option<String>,
    /// Name of the rating column.
    pub rating_col: Option<String>,
    /// Name of the timestamp column.
    pub timestamp_col: Option<String>,
    /// Skip malformed rows (counted in [`Interactions::skipped_rows`]) instead of failing on
    /// the first one (`--on-bad-row skip`).
    pub skip_bad_rows: bool,
}

/// User–item events with dense indices. Indices refer to `users` and `items`.
#[derive(Debug, Clone, Default)]
pub struct Interactions {
    /// User keys.
    pub users: Vocab,
    /// Item keys.
    pub items: Vocab,
    /// User index per event.
    pub user: Vec<u32>,
    /// Item index per event.
    pub item: Vec<u32>,
    /// Rating per event (1.0 when the file has none).
    pub rating: Vec<f32>,
    /// Unix seconds per event (0 when the file has none).
    pub timestamp: Vec<i64>,
    /// Whether ratings came from the file.
    pub has_rating: bool,
    /// Whether timestamps came from the file.
    pub has_timestamp: bool,
    /// Rows skipped as malformed (with [`ReadOptions::skip_bad_rows`]).
    pub skipped_rows: usize,
    /// The first skipped row's error (file:line: what was wrong).
    pub first_skipped: Option<String>,
}

impl Interactions {
    /// Number of events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// True when there are no events.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Append one event, interning its keys.
    pub fn push(&mut self, user: &str, item: &str, rating: f32, timestamp: i64) {
        let u = self.users.intern(user);
        let i = self.items.intern(item);
        self.user.push(u);
        self.item.push(i);
        self.rating.push(rating);
        self.timestamp.push(timestamp);
    }

    /// A copy holding only the events at `rows`, sharing the same vocabularies.
    #[must_use]
    pub fn select(&self, rows: &[usize]) -> Interactions {
        Interactions {
            users: self.users.clone(),
            items: self.items.clone(),
            user: rows.iter().map(|&r| self.user[r]).collect(),
            item: rows.iter().map(|&r| self.item[r]).collect(),
            rating: rows.iter().map(|&r| self.rating[r]).collect(),
            timestamp: rows.iter().map(|&r| self.timestamp[r]).collect(),
            has_rating: self.has_rating,
            has_timestamp: self.has_timestamp,
            skipped_rows: 0,
            first_skipped: None,
        }
    }

    /// Users × items CSR matrix of ratings; repeated (user, item) pairs are summed.
    /// Built by two stable counting sorts (by item, then by user), so each row comes out in
    /// item order without a comparison sort: O(events + users + items).
    #[must_use]
    pub fn csr(&self) -> CsMat<f32> {
        let (nu, ni) = (self.users.len(), self.items.len());
        let n = self.len();
        // pass 1: event indices ordered by item (stable)
        let mut iptr = bucket_starts(&self.item, ni);
        let mut by_item = vec![0u32; n];
        for (k, &i) in self.item.iter().enumerate() {
            by_item[iptr[i as usize]] = k as u32;
            iptr[i as usize] += 1;
        }
        // pass 2: stable by user, so each user's events stay in item order
        let indptr = bucket_starts(&self.user, nu);
        let mut next = indptr.clone();
        let mut cells = vec![(0u32, 0.0f32); n];
        for &k in &by_item {
            let k = k as usize;
            let u = self.user[k] as usize;
            cells[next[u]] = (self.item[k], self.rating[k]);
            next[u] += 1;
        }
        let mut out_ptr = Vec::with_capacity(nu + 1);
        let mut indices: Vec<usize> = Vec::with_capacity(n);
        let mut data: Vec<f32> = Vec::with_capacity(n);
        out_ptr.push(0);
        for u in 0..nu {
            let row_start = indices.len();
            for &(i, r) in &cells[indptr[u]..indptr[u + 1]] {
                match (indices.len() > row_start, indices.last(), data.last_mut()) {
                    (true, Some(&last), Some(d)) if last == i as usize => *d += r,
                    _ => {
                        indices.push(i as usize);
                        data.push(r);
                    }
                }
            }
            out_ptr.push(indices.len());
        }
        CsMat::new((nu, ni), out_ptr, indices, data)
    }

    /// Users × items CSR matrix with value 1 for every pair that occurs (implicit feedback).
    #[must_use]
    pub fn binary_csr(&self) -> CsMat<f32> {
        let mut m = self.csr();
        m.data_mut().iter_mut().for_each(|v| *v = 1.0);
        m
    }

    /// Mean, minimum and maximum rating (`(0, +inf, -inf)` when empty).
    #[must_use]
    pub fn rating_stats(&self) -> (f32, f32, f32) {
        let sum: f64 = self.rating.iter().map(|&r| f64::from(r)).sum();
        let (lo, hi) = self
            .rating
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &r| {
                (a.min(r), b.max(r))
            });
        ((sum / self.len().max(1) as f64) as f32, lo, hi)
    }

    /// Number of events per item index.
    #[must_use]
    pub fn item_counts(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.items.len()];
        for &i in &self.item {
            c[i as usize] += 1;
        }
        c
    }
}

/// The start of each bucket `0..n` (and the end, at index `n`) when `keys` are counting-sorted:
/// `starts[b]` = how many keys are below `b`. Keys must be below `n`.
#[must_use]
pub(crate) fn bucket_starts(keys: &[u32], n: usize) -> Vec<usize> {
    let mut starts = vec![0usize; n + 1];
    for &k in keys {
        starts[k as usize + 1] += 1;
    }
    for b in 0..n {
        starts[b + 1] += starts[b];
    }
    starts
}

/// Resolved column positions of an interactions table.
#[derive(Debug, Clone, Copy)]
struct Positions {
    user: usize,
    item: usize,
    rating: Option<usize>,
    timestamp: Option<usize>,
}

fn resolve_positions(table: &TextTable, opts: &ReadOptions) -> Result<Positions> {
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
    let find = |explicit: &Option<String>, role: Role| -> Result<Option<usize>> {
        if let Some(name) = explicit {
            return names
                .iter()
                .position(|n| n == name)
                .map(Some)
                .ok_or_else(|| {
                    Error::data(
                        &table.path,
                        format!("no column named '{name}' (columns: {})", names.join(", ")),
                    )
                });
        }
        Ok(names.iter().position(|n| infer_role(n) == Some(role)))
    };
    let user = find(&opts.user_col, Role::User)?;
    let item = find(&opts.item_col, Role::Item)?;
    let (Some(user), Some(item)) = (user, item) else {
        return Err(Error::data(
            &table.path,
            format!(
                "missing column: need a user and an item column (e.g. userId, movieId); found: {}",
                names.join(", ")
            ),
        ));
    };
    Ok(Positions {
        user,
        item,
        rating: find(&opts.rating_col, Role::Rating)?,
        timestamp: find(&opts.timestamp_col, Role::Timestamp)?,
    })
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

/// Read an interactions file into `Interactions`, extending the given vocabularies (pass
/// `Vocab::new()` for fresh ones; pass a training set's vocabularies to index a test set in
/// the same space).
pub fn read_interactions(
    path: &Path,
    opts: &ReadOptions,
    users: Vocab,
    items: Vocab,
) -> Result<Interactions> {
    #[cfg(feature = "polars")]
    if let Some(x) = fast_path_file(path, opts, &users, &items) {
        return Ok(x);
    }
    let table = TextTable::open(path, opts.delimiter.clone(), opts.has_header)?;
    interactions_from_table(&table, opts, users, items)
}

/// The fast path deciding from the first 64 KiB only (header, delimiter, roles), so a large
/// file is not decoded twice.
#[cfg(feature = "polars")]
fn fast_path_file(
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
    if std::fs::metadata(path).ok()?.len() < fast::MIN_BYTES {
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
fn fast_path(
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
    let names = fast::Names {
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
    fast::read(path, delimiter, &names, users.clone(), items.clone())
}

pub(crate) fn interactions_from_table(
    table: &TextTable,
    opts: &ReadOptions,
    users: Vocab,
    items: Vocab,
) -> Result<Interactions> {
    let pos = resolve_positions(table, opts)?;
    let need = [Some(pos.user), Some(pos.item), pos.rating, pos.timestamp]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(1)
        + 1;
    let mut out = Interactions {
        users,
        items,
        has_rating: pos.rating.is_some(),
        has_timestamp: pos.timestamp.is_some(),
        ..Default::default()
    };
    for rec in table.records() {
        let row = rec.and_then(|rec| {
            let f = &rec.fields;
            if f.len() < need {
                return Err(Error::parse(
                    &table.path,
                    rec.line,
                    format!("expected at least {need} fields, found {}", f.len()),
                ));
            }
            let user = f[pos.user].trim();
            let item = f[pos.item].trim();
            if user.is_empty() || item.is_empty() {
                return Err(Error::parse(
                    &table.path,
                    rec.line,
                    format!(
                        "field '{}': empty key",
                        if user.is_empty() { "user" } else { "item" }
                    ),
                ));
            }
            let rating = match pos.rating {
                Some(c) => parse_f32(&table.path, rec.line, "rating", &f[c])?,
                None => 1.0,
            };
            let ts = match pos.timestamp {
                Some(c) => parse_ts(&table.path, rec.line, &f[c])?,
                None => 0,
            };
            out.push(user, item, rating, ts);
            Ok(())
        });
        match row {
            Ok(()) => {}
            Err(e @ (Error::Parse { .. } | Error::Data { .. })) if opts.skip_bad_rows => {
                out.skipped_rows += 1;
                if out.first_skipped.is_none() {
                    out.first_skipped = Some(e.to_string());
                }
            }
            Err(e) => return Err(e),
        }
    }
    if out.is_empty() {
        return Err(Error::data(
            &table.path,
            "the file has a header but no data rows",
        ));
    }
    Ok(out)
}

/// A training data set: interactions, and the item catalog when one was found.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The events.
    pub interactions: Interactions,
    /// Titles and genres by item key, when an items file was given or found.
    pub catalog: Option<Catalog>,
    /// The interactions file read.
    pub interactions_path: PathBuf,
    /// The items file read, if any.
    pub items_path: Option<PathBuf>,
}

const INTERACTION_FILES: &[&str] = &[
    "ratings.csv",
    "ratings.dat",
    "u.data",
    "ratings.tsv",
    "interactions.csv",
    "ratings.csv.gz",
    "ratings.dat.gz",
    "u.data.gz",
];
const ITEM_FILES: &[&str] = &[
    "movies.csv",
    "movies.dat",
    "u.item",
    "items.csv",
    "movies.csv.gz",
];

fn beside(path: &Path, names: &[&str]) -> Option<PathBuf> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// True when a table is an items file (has a title column, or is header-less with a
/// non-numeric second and third field as in `u.item` and `movies.dat`).
fn is_items_table(table: &TextTable) -> Result<bool> {
    if let Some(h) = &table.header {
        let roles: Vec<_> = h.iter().map(|n| infer_role(n)).collect();
        return Ok(roles.contains(&Some(Role::Title)) && !roles.contains(&Some(Role::User)));
    }
    Ok(match table.first_record() {
        Some(r) => {
            let r = r?;
            r.fields.len() >= 3
                && !reader::is_number(&r.fields[1])
                && !reader::is_number(&r.fields[2])
        }
        None => false,
    })
}

/// Load a data set from `path`, which may be an interactions file (an items file beside it
/// is joined when present) or an items file such as `movies.csv` or `u.item` (the
/// interactions file beside it — `ratings.csv`, `ratings.dat`, `u.data` — is found and read).
pub fn load_dataset(path: &Path, opts: &ReadOptions) -> Result<Dataset> {
    if path.is_dir() {
        let items = beside(&path.join("x"), ITEM_FILES);
        let inter = beside(&path.join("x"), INTERACTION_FILES).ok_or_else(|| {
            Error::data(
                path,
                format!(
                    "no interactions file in this folder (looked for {})",
                    INTERACTION_FILES.join(", ")
                ),
            )
        })?;
        return load_pair(&inter, items.as_deref(), opts);
    }
    #[cfg(feature = "polars")]
    if let Some(x) = fast_path_file(path, opts, &Vocab::new(), &Vocab::new()) {
        let items_path = beside(path, ITEM_FILES);
        let catalog = match &items_path {
            Some(p) => Some(Catalog::read(p)?),
            None => None,
        };
        return Ok(Dataset {
            interactions: x,
            catalog,
            interactions_path: path.to_path_buf(),
            items_path,
        });
    }
    let table = TextTable::open(path, opts.delimiter.clone(), opts.has_header)?;
    if opts.columns.is_none() && is_items_table(&table)? {
        let inter = beside(path, INTERACTION_FILES).ok_or_else(|| {
            Error::data(
                path,
                format!(
                    "this is an items file (it has titles) but no interactions file is beside it (looked for {})",
                    INTERACTION_FILES.join(", ")
                ),
            )
        })?;
        let catalog = Catalog::from_table(&table)?;
        let inter_opts = ReadOptions {
            skip_bad_rows: opts.skip_bad_rows,
            ..ReadOptions::default()
        };
        let interactions = read_interactions(&inter, &inter_opts, Vocab::new(), Vocab::new())?;
        return Ok(Dataset {
            interactions,
            catalog: Some(catalog),
            interactions_path: inter,
            items_path: Some(path.to_path_buf()),
        });
    }
    let interactions = interactions_from_table(&table, opts, Vocab::new(), Vocab::new())?;
    let items_path = beside(path, ITEM_FILES);
    let catalog = match &items_path {
        Some(p) => Some(Catalog::read(p)?),
        None => None,
    };
    Ok(Dataset {
        interactions,
        catalog,
        interactions_path: path.to_path_buf(),
        items_path,
    })
}

fn load_pair(inter: &Path, items: Option<&Path>, opts: &ReadOptions) -> Result<Dataset> {
    let interactions = read_interactions(inter, opts, Vocab::new(), Vocab::new())?;
    let catalog = match items {
        Some(p) => Some(Catalog::read(p)?),
        None => None,
    };
    Ok(Dataset {
        interactions,
        catalog,
        interactions_path: inter.to_path_buf(),
        items_path: items.map(Path::to_path_buf),
    })
}

/// Load a data set as a schema describes it: the schema's `interactions` (and optional
/// `items`) sources are looked up in `path` (a folder, or the folder of a file), read with
/// the schema's delimiters and column names, and the roles say which columns are which.
pub fn load_with_schema(path: &Path, schema: &crate::features::Schema) -> Result<Dataset> {
    use crate::features::SourceKind;
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let src = schema.source(SourceKind::Interactions).ok_or_else(|| {
        Error::schema(
            &schema.path,
            "no [[sources]] entry with kind = \"interactions\"",
        )
    })?;
    let delimiter = |d: &Option<String>| -> Result<Option<Delimiter>> {
        match d {
            None => Ok(None),
            Some(s) => Delimiter::parse(s)
                .map(Some)
                .ok_or_else(|| Error::schema(&schema.path, format!("unknown delimiter '{s}'"))),
        }
    };
    let inter_path = dir.join(&src.file);
    let opts = ReadOptions {
        delimiter: delimiter(&src.delimiter)?,
        has_header: src.header,
        columns: src.columns.clone(),
        user_col: schema.roles.user.clone(),
        item_col: schema.roles.item.clone(),
        rating_col: schema.roles.rating.clone(),
        timestamp_col: schema.roles.timestamp.clone(),
        skip_bad_rows: false,
    };
    let table = TextTable::open(&inter_path, opts.delimiter.clone(), opts.has_header)?;
    let items_table = match schema.source(SourceKind::Items) {
        Some(items) => {
            let p = dir.join(&items.file);
            let mut t = TextTable::open(&p, delimiter(&items.delimiter)?, items.header)?;
            if let Some(names) = &items.columns {
                t = t.with_names(names.clone());
            }
            Some((items, t, p))
        }
        None => None,
    };
    if let Some(names) = opts.columns.clone().or_else(|| table.header.clone()) {
        let mut avail = names;
        if let Some((_, t, _)) = &items_table {
            avail.extend(t.header.iter().flatten().cloned());
        }
        if let Some(users) = schema.source(SourceKind::Users) {
            avail.extend(users.columns.iter().flatten().cloned());
        }
        schema.check_fields(&avail).map_err(|e| match e {
            Error::Schema { path, message } => Error::Schema {
                path,
                message: format!("{message} [data: {}]", inter_path.display()),
            },
            e => e,
        })?;
    }
    let interactions = interactions_from_table(&table, &opts, Vocab::new(), Vocab::new())?;
    let (catalog, items_path) = match items_table {
        Some((items, t, p)) => {
            let key = items.key.as_deref().or(schema.roles.item.as_deref());
            let c = Catalog::from_table_with(&t, key, schema.roles.title.as_deref())?;
            (Some(c), Some(p))
        }
        None => (None, None),
    };
    Ok(Dataset {
        interactions,
        catalog,
        interactions_path: inter_path,
        items_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> TextTable {
        TextTable::from_text(Path::new("t.csv"), text.into(), None, None).unwrap()
    }

    #[test]
    fn roles_from_headers() {
        assert_eq!(infer_role("userId"), Some(Role::User));
        assert_eq!(infer_role("user_id"), Some(Role::User));
        assert_eq!(infer_role("movieId"), Some(Role::Item));
        assert_eq!(infer_role("item_id"), Some(Role::Item));
        assert_eq!(infer_role("Rating"), Some(Role::Rating));
        assert_eq!(infer_role("zip"), None);
    }

    #[test]
    fn header_and_positional_files() {
        let t = table("userId,movieId,rating,timestamp\n1,10,4.5,100\n2,10,3,200\n");
        let x = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap();
        assert_eq!(x.len(), 2);
        assert_eq!(x.items.len(), 1);
        assert_eq!(x.rating, vec![4.5, 3.0]);
        assert_eq!(x.timestamp, vec![100, 200]);
        let t = table("1\t10\n2\t11\n");
        let x = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap();
        assert!(!x.has_rating);
        assert_eq!(x.rating, vec![1.0, 1.0]);
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let t = table("userId,movieId,rating\n1,10,4\n1,11,abc\n");
        let e = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.csv:3") && e.contains("rating") && e.contains("abc"),
            "{e}"
        );
        let t = table("1\t10\t4\n1\t11\n");
        let e = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":2:") && e.contains("expected at least 3 fields"),
            "{e}"
        );
        let t = table("userId,movieId,rating\n1,10,NaN\n");
        assert!(
            interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
                .is_err()
        );
        let t = table("name,rating\nx,1\n");
        let e = interactions_from_table(&t, &ReadOptions::default(), Vocab::new(), Vocab::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing column"), "{e}");
    }

    #[test]
    fn csr_sums_duplicates() {
        let mut x = Interactions::default();
        x.push("a", "i", 1.0, 0);
        x.push("a", "i", 2.0, 0);
        x.push("b", "j", 5.0, 0);
        let m = x.csr();
        assert_eq!(m.shape(), (2, 2));
        assert_eq!(m.get(0, 0), Some(&3.0));
        assert_eq!(x.binary_csr().get(0, 0), Some(&1.0));
        assert_eq!(x.item_counts(), vec![2, 1]);
    }

    proptest::proptest! {
        /// The counting-sort CSR equals a map from (user, item) to the summed rating, row by
        /// row in item order, for any events (repeats included).
        #[test]
        fn csr_equals_the_summed_pairs(
            events in proptest::collection::vec((0u8..12, 0u8..9, 1u8..6), 0..200)
        ) {
            let mut x = Interactions::default();
            let mut want = std::collections::BTreeMap::new();
            for &(u, i, r) in &events {
                x.push(&format!("u{u}"), &format!("i{i}"), f32::from(r), 0);
                let key = (x.user[x.len() - 1], x.item[x.len() - 1]);
                *want.entry(key).or_insert(0.0f32) += f32::from(r);
            }
            let m = x.csr();
            let got: Vec<((u32, u32), f32)> = m
                .iter()
                .map(|(v, (u, i))| ((u as u32, i as u32), *v))
                .collect();
            let want: Vec<((u32, u32), f32)> = want.into_iter().collect();
            proptest::prop_assert_eq!(got, want);
            // the seen-items index of a model: the same rows, without the ratings
            let seen = crate::model::Seen::from_interactions(&x);
            for u in 0..x.users.len() {
                let row: Vec<u32> = m
                    .outer_view(u)
                    .map(|r| r.indices().iter().map(|&i| i as u32).collect())
                    .unwrap_or_default();
                proptest::prop_assert_eq!(seen.row(u), &row[..]);
            }
        }
    }

    /// The polars fast path and the hand-written reader give identical interactions.
    #[cfg(feature = "polars")]
    #[test]
    fn polars_fast_path_matches_the_reference_reader() {
        let d = crate::synth::generate(&crate::synth::SynthConfig {
            n_users: 12_000,
            ..Default::default()
        });
        let dir = std::env::temp_dir().join(format!("recsys-fast-{}", std::process::id()));
        d.write(&dir).unwrap();
        let p = dir.join("ratings.csv");
        assert!(
            std::fs::metadata(&p).unwrap().len() >= fast::MIN_BYTES,
            "file must take the fast path"
        );
        let table = TextTable::open(&p, None, None).unwrap();
        let fast = fast_path(
            &p,
            &table,
            &ReadOptions::default(),
            &Vocab::new(),
            &Vocab::new(),
        )
        .expect("fast path taken");
        let slow =
            interactions_from_table(&table, &ReadOptions::default(), Vocab::new(), Vocab::new())
                .unwrap();
        assert_eq!(fast.users, slow.users);
        assert_eq!(fast.items, slow.items);
        assert_eq!(fast.user, slow.user);
        assert_eq!(fast.item, slow.item);
        assert_eq!(fast.rating, slow.rating);
        assert_eq!(fast.timestamp, slow.timestamp);
        // A bad value far down the file: the fast path declines, the reference names the line.
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("1,1,oops,5\n");
        std::fs::write(&p, &text).unwrap();
        let e =
            read_interactions(&p, &ReadOptions::default(), Vocab::new(), Vocab::new()).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!(":{}:", text.lines().count())),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

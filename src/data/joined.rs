//! Joined rows for supervised models: each interaction row, with the fields of its item (from
//! the schema's `items` source) and of its user (`users` source) looked up by key, read
//! through the [`Row`] trait that feature columns map.
//!
//! The interaction file is held as text and re-read per pass; side tables are indexed by key.
//! An interaction whose item or user has no row in its side table is an error naming the file,
//! the line and the key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::catalog::Catalog;
use super::reader::{Delimiter, Record, TextTable};
use crate::error::{Error, Result};
use crate::features::{Row, Schema, Source, SourceKind};

/// Where a field name is read from.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Inter(usize),
    Item(usize),
    User(usize),
}

/// A side table (items or users): rows by key.
#[derive(Debug)]
struct Side {
    path: PathBuf,
    /// Key field in the interactions.
    join_field: usize,
    rows: Vec<Vec<String>>,
    by_key: HashMap<String, usize>,
}

/// An interactions file joined with the schema's item and user tables.
#[derive(Debug)]
pub struct Joined {
    table: TextTable,
    slots: HashMap<String, Slot>,
    items: Option<Side>,
    users: Option<Side>,
    names: Vec<String>,
}

/// One joined row.
#[derive(Debug)]
pub struct JoinedRow<'a> {
    /// 1-based line in the interactions file.
    pub line: usize,
    fields: Vec<std::borrow::Cow<'a, str>>,
    item: Option<&'a [String]>,
    user: Option<&'a [String]>,
    slots: &'a HashMap<String, Slot>,
}

impl Row for JoinedRow<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        match *self.slots.get(name)? {
            Slot::Inter(i) => self.fields.get(i).map(|c| c.as_ref()),
            Slot::Item(i) => self.item?.get(i).map(String::as_str),
            Slot::User(i) => self.user?.get(i).map(String::as_str),
        }
    }
}

fn delimiter(schema: &Schema, d: &Option<String>) -> Result<Option<Delimiter>> {
    match d {
        None => Ok(None),
        Some(s) => Delimiter::parse(s)
            .map(Some)
            .ok_or_else(|| Error::schema(&schema.path, format!("unknown delimiter '{s}'"))),
    }
}

/// Where a schema's files are for DATA: a folder holds the schema's sources (the
/// interactions from its `interactions` source); a file is the interactions, with the side
/// tables in its folder. Returns the folder and the interactions file when one was given.
#[must_use]
pub fn locate(data: &Path) -> (PathBuf, Option<PathBuf>) {
    if data.is_dir() {
        (data.to_path_buf(), None)
    } else {
        let dir = data.parent().map(Path::to_path_buf).unwrap_or_default();
        (dir, Some(data.to_path_buf()))
    }
}

/// The titles of the schema's items source in `dir` (`None` when the schema has no items
/// source or no title role), for a saved item table.
pub fn schema_catalog(schema: &Schema, dir: &Path) -> Result<Option<Catalog>> {
    let Some(src) = schema.source(SourceKind::Items) else {
        return Ok(None);
    };
    let Some(title) = schema.roles.title.as_deref() else {
        return Ok(None);
    };
    let mut t = TextTable::open(
        &dir.join(&src.file),
        delimiter(schema, &src.delimiter)?,
        src.header,
    )?;
    if let Some(names) = &src.columns {
        t = t.with_names(names.clone());
    }
    let key = src.key.as_deref().or(schema.roles.item.as_deref());
    Ok(Some(Catalog::from_table_with(&t, key, Some(title))?))
}

fn open_source(schema: &Schema, src: &Source, path: &Path) -> Result<TextTable> {
    let mut t = TextTable::open(path, delimiter(schema, &src.delimiter)?, src.header)?;
    if let Some(names) = &src.columns {
        t = t.with_names(names.clone());
    }
    if t.header.is_none() {
        return Err(Error::schema(
            &schema.path,
            format!(
                "{}: header-less file; give its `columns` in the schema's [[sources]] entry",
                path.display()
            ),
        ));
    }
    Ok(t)
}

impl Joined {
    /// Open the schema's sources in `dir`. The interactions come from `interactions` when
    /// given (e.g. a `--train` split file: header-less files are read with the schema's
    /// interaction columns when the field count matches, else as `user item rating timestamp`
    /// by the schema's roles), else from the schema's `interactions` source in `dir`.
    pub fn open(schema: &Schema, dir: &Path, interactions: Option<&Path>) -> Result<Joined> {
        let src = schema.source(SourceKind::Interactions).ok_or_else(|| {
            Error::schema(
                &schema.path,
                "no [[sources]] entry with kind = \"interactions\"",
            )
        })?;
        let table = match interactions {
            None => open_source(schema, src, &dir.join(&src.file))?,
            Some(p) => {
                let t = TextTable::open(p, None, None)?;
                if t.header.is_some() {
                    t
                } else {
                    let n = match t.first_record() {
                        Some(r) => r?.fields.len(),
                        None => 0,
                    };
                    let declared = src.columns.clone().filter(|c| c.len() == n);
                    let names = match declared {
                        Some(c) => c,
                        None => {
                            let r = &schema.roles;
                            [&r.user, &r.item, &r.rating, &r.timestamp]
                                .into_iter()
                                .map(|x| x.clone().unwrap_or_default())
                                .take(n)
                                .collect()
                        }
                    };
                    t.with_names(names)
                }
            }
        };
        let names: Vec<String> = table.header.clone().unwrap_or_default();
        let mut slots: HashMap<String, Slot> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), Slot::Inter(i)))
            .collect();
        let mut side = |kind: SourceKind, role: &Option<String>| -> Result<Option<Side>> {
            let Some(s) = schema.source(kind) else {
                return Ok(None);
            };
            let path = dir.join(&s.file);
            let t = open_source(schema, s, &path)?;
            let header = t.header.clone().unwrap_or_default();
            let key = s.key.clone().or_else(|| role.clone()).ok_or_else(|| {
                Error::schema(
                    &schema.path,
                    format!("the {kind:?} source needs a `key` (or a role naming it)"),
                )
            })?;
            let key_col = header.iter().position(|h| *h == key).ok_or_else(|| {
                Error::schema(
                    &schema.path,
                    format!("{}: no column named '{key}'", path.display()),
                )
            })?;
            let join_field = names.iter().position(|h| *h == key).ok_or_else(|| {
                Error::schema(
                    &schema.path,
                    format!(
                        "the interactions have no column '{key}' to join {} on",
                        path.display()
                    ),
                )
            })?;
            let mut rows = Vec::new();
            let mut by_key = HashMap::new();
            for rec in t.records() {
                let rec = rec?;
                let fields: Vec<String> = rec.fields.iter().map(|f| f.trim().to_string()).collect();
                let Some(k) = fields.get(key_col) else {
                    return Err(Error::parse(
                        &path,
                        rec.line,
                        format!("expected at least {} fields", key_col + 1),
                    ));
                };
                by_key.entry(k.clone()).or_insert(rows.len());
                rows.push(fields);
            }
            for (i, h) in header.iter().enumerate() {
                if *h == key {
                    continue;
                }
                let slot = match kind {
                    SourceKind::Items => Slot::Item(i),
                    _ => Slot::User(i),
                };
                slots.entry(h.clone()).or_insert(slot);
            }
            Ok(Some(Side {
                path,
                join_field,
                rows,
                by_key,
            }))
        };
        let items = side(SourceKind::Items, &schema.roles.item)?;
        let users = side(SourceKind::Users, &schema.roles.user)?;
        let mut avail: Vec<String> = slots.keys().cloned().collect();
        avail.sort();
        schema.check_fields(&avail).map_err(|e| match e {
            Error::Schema { path, message } => Error::Schema {
                path,
                message: format!("{message} [data: {}]", table.path.display()),
            },
            e => e,
        })?;
        Ok(Joined {
            table,
            slots,
            items,
            users,
            names,
        })
    }

    /// The interactions file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.table.path
    }

    /// Column names of the interactions file.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn join<'a>(
        &'a self,
        side: &'a Option<Side>,
        rec: &Record<'_>,
    ) -> Result<Option<&'a [String]>> {
        let Some(s) = side else { return Ok(None) };
        let key = rec
            .fields
            .get(s.join_field)
            .map(|f| f.trim())
            .ok_or_else(|| {
                Error::parse(
                    &self.table.path,
                    rec.line,
                    format!("expected at least {} fields", s.join_field + 1),
                )
            })?;
        match s.by_key.get(key) {
            Some(&r) => Ok(Some(s.rows[r].as_slice())),
            None => Err(Error::parse(
                &self.table.path,
                rec.line,
                format!("key '{key}' has no row in {}", s.path.display()),
            )),
        }
    }

    /// Every joined row, in file order.
    pub fn rows(&self) -> Result<Vec<JoinedRow<'_>>> {
        let mut out = Vec::new();
        for rec in self.table.records() {
            let rec = rec?;
            let item = self.join(&self.items, &rec)?;
            let user = self.join(&self.users, &rec)?;
            if rec.fields.len() < self.names.len() {
                return Err(Error::parse(
                    &self.table.path,
                    rec.line,
                    format!(
                        "expected {} fields ({}), found {}",
                        self.names.len(),
                        self.names.join(", "),
                        rec.fields.len()
                    ),
                ));
            }
            out.push(JoinedRow {
                line: rec.line,
                fields: rec.fields,
                item,
                user,
                slots: &self.slots,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
name = "t"
[[sources]]
kind = "interactions"
file = "r.tsv"
delimiter = "\t"
header = false
columns = ["user_id", "item_id", "rating", "timestamp"]
[[sources]]
kind = "items"
file = "i.psv"
delimiter = "|"
header = false
key = "item_id"
columns = ["item_id", "title", "genre:A", "genre:B"]
[[sources]]
kind = "users"
file = "u.psv"
delimiter = "|"
header = false
key = "user_id"
columns = ["user_id", "age"]
[roles]
user = "user_id"
item = "item_id"
[[columns]]
type = "flags"
name = "genres"
flags = ["genre:A", "genre:B"]
"#;

    #[test]
    fn rows_see_item_and_user_fields() {
        let dir = std::env::temp_dir().join(format!("recsys-joined-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("r.tsv"), "1\t10\t4\t0\n2\t11\t2\t5\n").unwrap();
        std::fs::write(dir.join("i.psv"), "10|Ten|1|0\n11|Eleven|0|1\n").unwrap();
        std::fs::write(dir.join("u.psv"), "1|33\n2|18\n").unwrap();
        let s = Schema::parse(SCHEMA, &dir.join("s.toml")).unwrap();
        let j = Joined::open(&s, &dir, None).unwrap();
        let rows = j.rows().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].get("title"), Some("Eleven"));
        assert_eq!(rows[1].get("age"), Some("18"));
        assert_eq!(rows[0].get("genre:A"), Some("1"));
        assert_eq!(rows[0].get("rating"), Some("4"));
        assert_eq!(rows[0].get("nope"), None);
        // A split file with the roles' column order, and an item missing from the side table.
        std::fs::write(dir.join("split.tsv"), "1\t12\t4\t0\n").unwrap();
        let j = Joined::open(&s, &dir, Some(&dir.join("split.tsv"))).unwrap();
        let e = j.rows().unwrap_err().to_string();
        assert!(
            e.contains("split.tsv:1") && e.contains("'12'") && e.contains("i.psv"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

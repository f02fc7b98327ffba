//! Column roles (user, item, rating, timestamp, title, genres) inferred from header names,
//! and the options of reading an interactions file.

use std::path::Path;

use super::reader::Delimiter;
use crate::error::{Error, Result};

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
    /// Skip malformed rows (counted in [`crate::data::Interactions::skipped_rows`]) instead of failing on
    /// the first one (`--on-bad-row skip`).
    pub skip_bad_rows: bool,
}

/// Resolved column positions of an interactions table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Positions {
    pub(super) user: usize,
    pub(super) item: usize,
    pub(super) rating: Option<usize>,
    pub(super) timestamp: Option<usize>,
}

/// Column positions from column names: the names `opts` gives, else the roles inferred from
/// the names (CSV headers and Parquet columns alike).
pub(super) fn resolve_named(
    path: &Path,
    names: &[String],
    opts: &ReadOptions,
) -> Result<Positions> {
    let find = |explicit: &Option<String>, role: Role| -> Result<Option<usize>> {
        if let Some(name) = explicit {
            return names
                .iter()
                .position(|n| n == name)
                .map(Some)
                .ok_or_else(|| {
                    Error::data(
                        path,
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
            path,
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

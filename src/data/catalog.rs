//! Item catalogs: titles and genres by raw item key, from `movies.csv` (MovieLens "latest"),
//! `movies.dat` (1M/10M, `::`) or `u.item` (100K, `|`, latin-1, 19 genre flag columns).

use std::collections::HashMap;
use std::path::Path;

use super::reader::{is_number, TextTable};
use super::roles::{infer_role, Role};
use crate::error::{Error, Result};

/// The 19 genre flag columns of MovieLens 100K `u.item`, in file order (`u.genre`).
pub const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// What is known about one item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemInfo {
    /// Display title, e.g. `Toy Story (1995)`.
    pub title: String,
    /// Genre names.
    pub genres: Vec<String>,
}

/// Titles and genres by raw item key.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    items: HashMap<String, ItemInfo>,
}

impl Catalog {
    /// Read an items file, detecting its layout.
    pub fn read(path: &Path) -> Result<Self> {
        let table = TextTable::open(path, None, None)?;
        Self::from_table(&table)
    }

    /// Build from an already opened items table.
    pub fn from_table(table: &TextTable) -> Result<Self> {
        Self::from_table_with(table, None, None)
    }

    /// Build from a table, naming the key and title columns explicitly (else inferred).
    /// Header columns named `genre:NAME` are 0/1 genre flags.
    pub fn from_table_with(
        table: &TextTable,
        key: Option<&str>,
        title: Option<&str>,
    ) -> Result<Self> {
        let mut items = HashMap::new();
        let named = |n: Option<&str>| -> Result<Option<usize>> {
            match (n, &table.header) {
                (Some(n), Some(h)) => h.iter().position(|c| c == n).map(Some).ok_or_else(|| {
                    Error::data(&table.path, format!("items file: no column named '{n}'"))
                }),
                _ => Ok(None),
            }
        };
        let key_col = named(key)?;
        let title_named = named(title)?;
        let flag_cols: Vec<(usize, String)> = table
            .header
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, n)| n.strip_prefix("genre:").map(|g| (i, g.to_string())))
            .collect();
        let (id_col, title_col, genres_col) = match &table.header {
            Some(h) => {
                let pos = |role| h.iter().position(|n| infer_role(n) == Some(role));
                let id = key_col.or_else(|| pos(Role::Item)).unwrap_or(0);
                let title = title_named.or_else(|| pos(Role::Title)).ok_or_else(|| {
                    Error::data(&table.path, "items file: no title column in the header")
                })?;
                (id, title, pos(Role::Genres))
            }
            None => (0, 1, None),
        };
        for rec in table.records() {
            let rec = rec?;
            let f = &rec.fields;
            if f.len() <= title_col.max(id_col) {
                return Err(Error::parse(
                    &table.path,
                    rec.line,
                    format!(
                        "expected at least {} fields, found {}",
                        title_col.max(id_col) + 1,
                        f.len()
                    ),
                ));
            }
            let genres: Vec<String> = if let Some(g) = genres_col {
                split_genres(f.get(g).map(|s| s.as_ref()).unwrap_or(""))
            } else if !flag_cols.is_empty() {
                flag_cols
                    .iter()
                    .filter(|(i, _)| f.get(*i).is_some_and(|v| v.trim() == "1"))
                    .map(|(_, g)| g.clone())
                    .collect()
            } else if table.header.is_none()
                && f.len() >= 24
                && f[5..24].iter().all(|x| is_number(x))
            {
                // u.item: 19 genre flags from field 5
                f[5..24]
                    .iter()
                    .zip(ML100K_GENRES)
                    .filter(|(v, _)| v.trim() == "1")
                    .map(|(_, g)| g.to_string())
                    .collect()
            } else if table.header.is_none() && f.len() == 3 {
                // movies.dat: id::title::genres
                split_genres(&f[2])
            } else {
                Vec::new()
            };
            items.insert(
                f[id_col].trim().to_string(),
                ItemInfo {
                    title: f[title_col].trim().to_string(),
                    genres,
                },
            );
        }
        Ok(Catalog { items })
    }

    /// Info for `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&ItemInfo> {
        self.items.get(key)
    }

    /// Insert or replace an item.
    pub fn insert(&mut self, key: impl Into<String>, info: ItemInfo) {
        self.items.insert(key.into(), info);
    }

    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn split_genres(s: &str) -> Vec<String> {
    s.split('|')
        .map(str::trim)
        .filter(|g| !g.is_empty() && *g != "(no genres listed)")
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_csv_with_quoted_titles() {
        let t = TextTable::from_text(
            Path::new("movies.csv"),
            "movieId,title,genres\n1,Toy Story (1995),Animation|Children\n11,\"American President, The (1995)\",Comedy|Drama|Romance\n".into(),
            None,
            None,
        )
        .unwrap();
        let c = Catalog::from_table(&t).unwrap();
        assert_eq!(c.get("11").unwrap().title, "American President, The (1995)");
        assert_eq!(c.get("1").unwrap().genres, vec!["Animation", "Children"]);
    }

    #[test]
    fn u_item_flags_and_movies_dat() {
        let line = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n2|GoldenEye (1995)|01-Jan-1995||http://y|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n";
        let t = TextTable::from_text(Path::new("u.item"), line.into(), None, None).unwrap();
        let c = Catalog::from_table(&t).unwrap();
        assert_eq!(
            c.get("1").unwrap().genres,
            vec!["Animation", "Children's", "Comedy"]
        );
        assert_eq!(
            c.get("2").unwrap().genres,
            vec!["Action", "Adventure", "Thriller"]
        );
        let t = TextTable::from_text(
            Path::new("movies.dat"),
            "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure\n"
                .into(),
            None,
            None,
        )
        .unwrap();
        let c = Catalog::from_table(&t).unwrap();
        assert_eq!(c.get("2").unwrap().title, "Jumanji (1995)");
        assert_eq!(c.get("1").unwrap().genres.len(), 3);
    }
}

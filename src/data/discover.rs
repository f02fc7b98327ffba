//! What a path means: a file, a MovieLens folder, an items file with its ratings beside it,
//! or a schema's sources — read into a [`Dataset`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::vocab::Vocab;

use super::catalog::Catalog;
use super::interactions::Interactions;
#[cfg(feature = "polars")]
use super::parse::fast_path_file;
use super::parse::{interactions_from_stream, read_interactions};
use super::reader::{self, Delimiter, TableStream, TextTable};
use super::roles::{infer_role, ReadOptions, Role};

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

pub(super) const INTERACTION_FILES: &[&str] = &[
    "ratings.csv",
    "ratings.dat",
    "u.data",
    "ratings.tsv",
    "interactions.csv",
    "ratings.csv.gz",
    "ratings.parquet",
    "interactions.parquet",
    "ratings.dat.gz",
    "u.data.gz",
];
pub(super) const ITEM_FILES: &[&str] = &[
    "movies.csv",
    "movies.dat",
    "u.item",
    "items.csv",
    "movies.csv.gz",
    "movies.parquet",
    "items.parquet",
];

pub(super) fn beside(path: &Path, names: &[&str]) -> Option<PathBuf> {
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
pub(super) fn is_items_table(table: &TextTable) -> Result<bool> {
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
    if super::parquet::is_parquet(path) && opts.columns.is_none() {
        // an interactions file is read column by column, never as a whole table
        let roles: Vec<_> = super::parquet::column_names(path)?
            .iter()
            .map(|n| infer_role(n))
            .collect();
        let items_file = roles.contains(&Some(Role::Title)) && !roles.contains(&Some(Role::User));
        if !items_file {
            let interactions = read_interactions(path, opts, Vocab::new(), Vocab::new())?;
            return with_items_beside(path, interactions);
        }
    }
    // the head decides what the file is; interactions are then streamed, an items file read whole
    let stream = TableStream::open(path, opts.delimiter.clone(), opts.has_header)?;
    if opts.columns.is_none() && is_items_table(&stream.head)? {
        let table = TextTable::open(path, opts.delimiter.clone(), opts.has_header)?;
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
    let interactions = interactions_from_stream(&stream, opts, Vocab::new(), Vocab::new())?;
    with_items_beside(path, interactions)
}

/// A data set of `interactions` read from `path`, with the items file beside it when there is one.
fn with_items_beside(path: &Path, interactions: Interactions) -> Result<Dataset> {
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

pub(super) fn load_pair(inter: &Path, items: Option<&Path>, opts: &ReadOptions) -> Result<Dataset> {
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
    // a Parquet interactions file is read column by column; its names come from its footer
    let table = if super::parquet::is_parquet(&inter_path) {
        None
    } else {
        Some(TableStream::open(
            &inter_path,
            opts.delimiter.clone(),
            opts.has_header,
        )?)
    };
    let header = match &table {
        Some(t) => t.head.header.clone(),
        None => Some(super::parquet::column_names(&inter_path)?),
    };
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
    if let Some(names) = opts.columns.clone().or(header) {
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
    let interactions = match &table {
        Some(t) => interactions_from_stream(t, &opts, Vocab::new(), Vocab::new())?,
        None => read_interactions(&inter_path, &opts, Vocab::new(), Vocab::new())?,
    };
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

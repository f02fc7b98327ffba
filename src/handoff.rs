//! Hand-off to engines teams already run: `recsys prepare` writes what a cluster job reads
//! (the interactions as row indices in Parquet, and the model directory's vocabulary files),
//! and `recsys import` brings the factors a Spark job wrote back as an ordinary model
//! directory, so `similar`, `recommend`, `serve`, `export` and `--init-from` work on it
//! unchanged. The jobs themselves are in `scale/spark/` (see docs/SCALE.md).
//!
//! The prepared folder:
//! - `interactions.parquet`: `user: int32`, `item: int32` (row indices of the vocabularies),
//!   `rating: float`, `timestamp: int64`; one file, or a folder of `part-NNNNN.parquet` files of
//!   at most [`PART_ROWS`] rows each when there are more;
//!   With a schema, one more column per feature column it declares, `feature_<name>`, its
//!   ids exactly as [`crate::features::FeatureSet::transform`] maps the row (what the DNN
//!   trains on): `int32` when every row has one id, else `list<int32>`;
//! - `vocab/user.tsv`, `vocab/item.tsv`: the model directory's vocabulary format (the item
//!   file with counts, titles and genres); with a schema, `vocab/features/<column>.tsv`, the
//!   key of each id of each feature column.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::checkpoint::vocab_file::{self, VocabFile};
use crate::data::{self, Dataset, Interactions};
#[cfg(feature = "parquet")]
use crate::data::{Catalog, ItemInfo};
use crate::error::{Error, Result};
use crate::features::Schema;
use crate::model::{Model, ITEM_EMBEDDING, USER_EMBEDDING};
use crate::models::als::AlsParams;
use crate::models::item2vec::Item2VecParams;

/// Rows per part file of a prepared `interactions.parquet`.
pub const PART_ROWS: usize = 1 << 23;

/// Rows per Parquet row group.
#[cfg(feature = "parquet")]
const GROUP_ROWS: usize = 1 << 20;

/// What [`prepare`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Prepared {
    /// The interactions: a file, or a folder of part files.
    pub interactions_path: PathBuf,
    /// Part files written (1: a single file).
    pub parts: usize,
    /// Interaction rows.
    pub interactions: usize,
    /// Users (rows of `vocab/user.tsv`).
    pub users: usize,
    /// Items (rows of `vocab/item.tsv`).
    pub items: usize,
}

#[cfg(feature = "parquet")]
fn item_infos(x: &Interactions, catalog: Option<&Catalog>) -> Vec<ItemInfo> {
    x.items
        .keys()
        .iter()
        .map(|k| catalog.and_then(|c| c.get(k)).cloned().unwrap_or_default())
        .collect()
}

/// Without the `parquet` feature: an error saying so.
#[cfg(not(feature = "parquet"))]
pub fn prepare(_ds: &Dataset, _schema: Option<&Schema>, out: &Path) -> Result<Prepared> {
    Err(crate::data::parquet::unsupported(out))
}

/// Write `ds` into the folder `out` as a cluster job reads it: the interactions by row index
/// and the vocabularies (see the module documentation). The row indices are exactly those
/// recsys's own trainers see for the same data.
#[cfg(feature = "parquet")]
pub fn prepare(ds: &Dataset, schema: Option<&Schema>, out: &Path) -> Result<Prepared> {
    use crate::checkpoint::formats::atomic_file_stream;
    use crate::data::parquet::{ColumnData, ColumnKind, TableWriter};

    let x = &ds.interactions;
    std::fs::create_dir_all(out.join("vocab")).map_err(|e| Error::io(out, e))?;
    let features = match schema {
        Some(s) => encode_columns(s, &ds.interactions_path, x.len())?,
        None => Vec::new(),
    };
    let mut cols = vec![
        ("user", ColumnKind::Int32),
        ("item", ColumnKind::Int32),
        ("rating", ColumnKind::Float),
        ("timestamp", ColumnKind::Int64),
    ];
    let names: Vec<String> = features
        .iter()
        .map(|f| format!("feature_{}", f.name))
        .collect();
    for (f, name) in features.iter().zip(&names) {
        let kind = if f.single {
            ColumnKind::Int32
        } else {
            ColumnKind::Int32List
        };
        cols.push((name.as_str(), kind));
    }
    let as_i32 = |v: &[u32]| -> Vec<i32> {
        v.iter()
            .map(|&i| i32::try_from(i).unwrap_or(i32::MAX))
            .collect()
    };
    if x.users.len() > i32::MAX as usize || x.items.len() > i32::MAX as usize {
        return Err(Error::data(
            &ds.interactions_path,
            "more than 2^31 users or items: Spark's ids are int32",
        ));
    }
    let write_part = |path: &Path, lo: usize, hi: usize| -> Result<()> {
        atomic_file_stream(path, |w| {
            let mut t = TableWriter::new(w, &cols)?;
            for s in (lo..hi).step_by(GROUP_ROWS) {
                let e = (s + GROUP_ROWS).min(hi);
                let mut group = vec![
                    ColumnData::Int32(as_i32(&x.user[s..e])),
                    ColumnData::Int32(as_i32(&x.item[s..e])),
                    ColumnData::Float(x.rating[s..e].to_vec()),
                    ColumnData::Int64(x.timestamp[s..e].to_vec()),
                ];
                for f in &features {
                    let bag =
                        |r: usize| as_i32(&f.ids[f.offsets[r] as usize..f.offsets[r + 1] as usize]);
                    group.push(if f.single {
                        ColumnData::Int32((s..e).map(|r| bag(r)[0]).collect())
                    } else {
                        ColumnData::Int32List((s..e).map(bag).collect())
                    });
                }
                t.write_group(&group)?;
            }
            t.finish()
        })
    };
    let path = out.join("interactions.parquet");
    if path.is_dir() {
        std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    } else if path.is_file() {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    let parts = x.len().div_ceil(PART_ROWS).max(1);
    if parts == 1 {
        write_part(&path, 0, x.len())?;
    } else {
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        for p in 0..parts {
            let lo = p * PART_ROWS;
            let hi = (lo + PART_ROWS).min(x.len());
            write_part(&path.join(format!("part-{p:05}.parquet")), lo, hi)?;
        }
    }
    let infos = item_infos(x, ds.catalog.as_ref());
    let counts = x.item_counts();
    for (name, text) in [
        ("user.tsv", vocab_file::write(&x.users, None)),
        (
            "item.tsv",
            vocab_file::write(&x.items, Some((&counts, &infos))),
        ),
    ] {
        let p = out.join("vocab").join(name);
        atomic_file_stream(&p, |w| w.write_all(text.as_bytes()))?;
    }
    if !features.is_empty() {
        let dir = out.join("vocab").join("features");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        for f in &features {
            let text = vocab_file::write(&crate::vocab::Vocab::from_keys(f.keys.clone()), None);
            atomic_file_stream(&dir.join(format!("{}.tsv", f.name)), |w| {
                w.write_all(text.as_bytes())
            })?;
        }
    }
    Ok(Prepared {
        interactions_path: path,
        parts,
        interactions: x.len(),
        users: x.users.len(),
        items: x.items.len(),
    })
}

/// One feature column's ids over the interaction rows.
#[cfg(feature = "parquet")]
struct Encoded {
    name: String,
    /// Every row has exactly one id.
    single: bool,
    /// `rows + 1` offsets into `ids`.
    offsets: Vec<u32>,
    ids: Vec<u32>,
    /// The key of each id.
    keys: Vec<String>,
}

/// Every feature column of `schema` over the joined rows of the interactions at `data`, fitted
/// and mapped as the DNN's training does (vocabularies of `init_from` priors first).
#[cfg(feature = "parquet")]
fn encode_columns(schema: &Schema, data: &Path, rows: usize) -> Result<Vec<Encoded>> {
    use crate::data::joined::{locate, Joined};
    use crate::features::FeatureSet;
    let (dir, file) = locate(data);
    let joined = Joined::open(schema, &dir, file.as_deref())?;
    let joined_rows = joined.rows()?;
    if joined_rows.len() != rows {
        return Err(Error::data(
            joined.path(),
            format!(
                "{} joined rows for {rows} interactions: the schema's interactions source is not the file read",
                joined_rows.len()
            ),
        ));
    }
    let priors = crate::transfer::prior_vocabularies(schema)?;
    let fs = FeatureSet::fit_with_priors(schema, joined_rows.iter(), &priors)?;
    let mut out: Vec<Encoded> = fs
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| Encoded {
            name: col.spec.name().to_string(),
            single: true,
            offsets: vec![0],
            ids: Vec::new(),
            keys: crate::features::encode::row_keys(&fs, c),
        })
        .collect();
    for r in &joined_rows {
        let ids = fs
            .transform(r)
            .map_err(|e| Error::parse(joined.path(), r.line, e.to_string()))?;
        for (e, bag) in out.iter_mut().zip(ids) {
            e.single &= bag.len() == 1;
            e.ids.extend_from_slice(&bag);
            e.offsets.push(e.ids.len() as u32);
        }
    }
    Ok(out)
}

/// Which engine's factors [`import`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Spark MLlib ALS (`scale/spark/als.py`): `item_factors/` and `user_factors/`; an `als`
    /// model.
    SparkAls,
    /// Spark MLlib Word2Vec over users' histories (`scale/spark/item2vec.py`): `item_factors/`;
    /// an `item2vec` model.
    SparkWord2vec,
}

impl Engine {
    /// The name `recsys import` takes.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Engine::SparkAls => "spark-als",
            Engine::SparkWord2vec => "spark-word2vec",
        }
    }
}

/// Rows of one imported table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableImport {
    /// Rows of the vocabulary.
    pub rows: usize,
    /// Rows the engine wrote a vector for.
    pub found: usize,
    /// Rows it did not (left as zeros; a look-up of such a key finds nothing like it).
    pub missing: usize,
}

/// What [`import`] built.
#[derive(Debug)]
pub struct Imported {
    /// The model directory's content, not yet saved.
    pub model: Model,
    /// The item table.
    pub items: TableImport,
    /// The user table (ALS).
    pub users: Option<TableImport>,
    /// Interactions restored from the prepared folder (seen items, popularity); 0 when the
    /// folder holds none.
    pub interactions: usize,
}

fn read_vocab(path: &Path) -> Result<VocabFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    vocab_file::read(&text, path)
}

/// The Parquet files of a table written by Spark (a folder of part files) or by hand (one
/// file), in name order; Spark's `_SUCCESS` and checksum files are skipped.
fn parquet_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| e == "parquet")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(['.', '_']))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::data(path, "no .parquet files in this folder"));
    }
    Ok(files)
}

fn parquet_table(path: &Path) -> Result<data::TextTable> {
    #[cfg(feature = "parquet")]
    return data::parquet::read_table(path);
    #[cfg(not(feature = "parquet"))]
    return Err(data::parquet::unsupported(path));
}

fn column(table: &data::TextTable, name: &str) -> Result<usize> {
    table
        .header
        .as_ref()
        .and_then(|h| h.iter().position(|c| c == name))
        .ok_or_else(|| {
            Error::data(
                &table.path,
                format!(
                    "no '{name}' column (found: {})",
                    table.header.as_deref().unwrap_or_default().join(", ")
                ),
            )
        })
}

/// Read `id: int, features: list<float>` rows into a table of `rows` rows.
fn read_factors(path: &Path, rows: usize) -> Result<(Array2<f32>, TableImport)> {
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; rows];
    let mut dim = None;
    for file in parquet_files(path)? {
        let table = parquet_table(&file)?;
        let (ic, fc) = (column(&table, "id")?, column(&table, "features")?);
        for rec in table.records() {
            let rec = rec?;
            let bad = |what: String| Error::parse(&file, rec.line, what);
            let id_text = rec.fields.get(ic).map_or("", |f| f.as_ref());
            let id: usize = id_text
                .parse()
                .map_err(|_| bad(format!("id: expected a row index, found '{id_text}'")))?;
            if id >= rows {
                return Err(bad(format!(
                    "id {id} is past the vocabulary's {rows} rows: were these factors trained on this prepared folder?"
                )));
            }
            let text = rec.fields.get(fc).map_or("", |f| f.as_ref());
            let v = text
                .split('|')
                .map(str::parse::<f32>)
                .collect::<std::result::Result<Vec<f32>, _>>()
                .map_err(|_| bad(format!("features: expected floats, found '{text}'")))?;
            match dim {
                None => dim = Some(v.len()),
                Some(d) if d != v.len() => {
                    return Err(bad(format!(
                        "{} features where the others have {d}",
                        v.len()
                    )))
                }
                Some(_) => {}
            }
            if vectors[id].replace(v).is_some() {
                return Err(bad(format!("id {id} appears twice")));
            }
        }
    }
    let dim = dim.ok_or_else(|| Error::data(path, "no factor rows"))?;
    let mut t = Array2::zeros((rows, dim));
    let mut found = 0;
    for (r, v) in vectors.into_iter().enumerate() {
        if let Some(v) = v {
            t.row_mut(r).assign(&ndarray::ArrayView1::from(&v[..]));
            found += 1;
        }
    }
    Ok((
        t,
        TableImport {
            rows,
            found,
            missing: rows - found,
        },
    ))
}

/// The prepared interactions beside `vocab_dir` (its parent's `interactions.parquet`), read
/// back by row index; `None` when there are none.
fn prepared_interactions(
    vocab_dir: &Path,
    users: &VocabFile,
    items: &VocabFile,
) -> Result<Option<Interactions>> {
    let Some(path) = vocab_dir
        .parent()
        .map(|p| p.join("interactions.parquet"))
        .filter(|p| p.exists())
    else {
        return Ok(None);
    };
    let mut x = Interactions {
        users: users.vocab.clone(),
        items: items.vocab.clone(),
        has_rating: true,
        has_timestamp: true,
        ..Interactions::default()
    };
    for file in parquet_files(&path)? {
        let table = parquet_table(&file)?;
        let cols = ["user", "item", "rating", "timestamp"]
            .map(|c| column(&table, c))
            .into_iter()
            .collect::<Result<Vec<_>>>()?;
        for rec in table.records() {
            let rec = rec?;
            let f = |k: usize| rec.fields.get(cols[k]).map_or("", |f| f.as_ref());
            let bad = |what: &str| Error::parse(&file, rec.line, what.to_string());
            let (u, i): (u32, u32) = match (f(0).parse(), f(1).parse()) {
                (Ok(u), Ok(i)) if (u as usize) < x.users.len() && (i as usize) < x.items.len() => {
                    (u, i)
                }
                _ => return Err(bad("user and item must be row indices of the vocabularies")),
            };
            x.user.push(u);
            x.item.push(i);
            x.rating
                .push(f(2).parse().map_err(|_| bad("rating: expected a number"))?);
            x.timestamp.push(
                f(3).parse()
                    .map_err(|_| bad("timestamp: expected an integer"))?,
            );
        }
    }
    Ok(Some(x))
}

/// Build a model directory's content from an engine's factors in `factors` (the folder the
/// job wrote) and the prepared folder's vocabularies in `vocab_dir`: keys restored from the
/// vocabularies, titles and genres from the item file, seen items and popularity from the
/// prepared interactions beside it (when there). Rows the engine never saw stay zero and are
/// counted. Hyper-parameters the job recorded in `factors/params.json` are kept.
pub fn import(engine: Engine, factors: &Path, vocab_dir: &Path) -> Result<Imported> {
    let users = read_vocab(&vocab_dir.join("user.tsv"))?;
    let items = read_vocab(&vocab_dir.join("item.tsv"))?;
    let x = prepared_interactions(vocab_dir, &users, &items)?;
    let n_events = x.as_ref().map_or(0, Interactions::len);
    let x = x.unwrap_or_else(|| Interactions {
        users: users.vocab.clone(),
        items: items.vocab.clone(),
        ..Interactions::default()
    });
    let job: serde_json::Value = match std::fs::read_to_string(factors.join("params.json")) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| Error::data(factors.join("params.json"), format!("not JSON: {e}")))?,
        Err(_) => serde_json::Value::Null,
    };
    let num = |k: &str| job.get(k).and_then(serde_json::Value::as_f64);
    let algo = match engine {
        Engine::SparkAls => "als",
        Engine::SparkWord2vec => "item2vec",
    };
    let mut model = Model::for_interactions(algo, &x, None);
    if items.info.len() == items.vocab.len() {
        model.item_info.clone_from(&items.info);
    }
    if n_events == 0 && items.counts.len() == items.vocab.len() {
        model.item_counts.clone_from(&items.counts);
        model.seen = None;
    }
    let (item_table, item_rows) = read_factors(&factors.join("item_factors"), items.vocab.len())?;
    let dim = item_table.ncols();
    model.tables.insert(ITEM_EMBEDDING.into(), item_table);
    let mut user_rows = None;
    match engine {
        Engine::SparkAls => {
            let (t, r) = read_factors(&factors.join("user_factors"), users.vocab.len())?;
            if t.ncols() != dim {
                return Err(Error::data(
                    factors,
                    format!("user factors are {} wide, item factors {dim}", t.ncols()),
                ));
            }
            model.tables.insert(USER_EMBEDDING.into(), t);
            user_rows = Some(r);
            let d = AlsParams::default();
            let p = AlsParams {
                dim,
                epochs: num("epochs").map_or(d.epochs, |v| v as usize),
                reg: num("reg").map_or(d.reg, |v| v as f32),
                alpha: num("alpha").map_or(d.alpha, |v| v as f32),
                ..d
            };
            model.params = serde_json::to_value(p).unwrap_or_default();
        }
        Engine::SparkWord2vec => {
            let mut p = Item2VecParams::default();
            p.w2v.dim = dim;
            if let Some(v) = num("epochs") {
                p.w2v.epochs = v as usize;
            }
            if let Some(v) = num("window") {
                p.w2v.window = v as usize;
            }
            // the user's query vector, as `train --algo item2vec` makes it: the last items
            // of their history (the prepared interactions)
            if n_events > 0 {
                let items = model
                    .tables
                    .get(ITEM_EMBEDDING)
                    .cloned()
                    .unwrap_or_default();
                let hist = crate::models::item2vec::histories(&x);
                model.tables.insert(
                    USER_EMBEDDING.into(),
                    crate::models::item2vec::query_vectors(
                        &items,
                        &hist,
                        p.history,
                        p.history_decay,
                    ),
                );
            }
            model.params = serde_json::to_value(p).unwrap_or_default();
        }
    }
    let info = &mut model.info.other;
    info.insert("imported_from".into(), engine.name().into());
    info.insert("factors_dir".into(), factors.display().to_string().into());
    if !job.is_null() {
        info.insert("engine_params".into(), job);
    }
    info.insert("items_missing".into(), item_rows.missing.into());
    model.info.interactions = (n_events > 0).then_some(n_events);
    Ok(Imported {
        model,
        items: item_rows,
        users: user_rows,
        interactions: n_events,
    })
}

#[cfg(all(test, feature = "parquet"))]
mod tests {
    use super::*;

    /// Prepared ids are the trainers' row indices; factors written by index come back under
    /// their keys, with titles, seen items and the missing rows counted.
    #[test]
    fn prepare_then_import_restores_keys() {
        use crate::data::parquet::{ColumnData, ColumnKind, TableWriter};
        let dir = std::env::temp_dir().join(format!("recsys-handoff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ratings.csv"),
            "user,item,rating,timestamp\nann,m1,4,10\nann,m2,5,11\nbob,m2,3,12\nbob,m3,1,13\ncid,m1,2,14\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("movies.csv"),
            "movieId,title,genres\nm1,One (1990),Drama\nm2,Two (1991),Comedy|Drama\nm3,Three (1992),\n",
        )
        .unwrap();
        let ds = data::load_dataset(&dir.join("ratings.csv"), &Default::default()).unwrap();
        let out = dir.join("prepared");
        let p = prepare(&ds, None, &out).unwrap();
        assert_eq!((p.interactions, p.users, p.items, p.parts), (5, 3, 3, 1));
        // the factors a job would write: item 2 (m3) never seen
        let f = dir.join("factors");
        for (table, rows) in [
            ("item_factors", vec![0, 1]),
            ("user_factors", vec![0, 1, 2]),
        ] {
            std::fs::create_dir_all(f.join(table)).unwrap();
            let file = std::fs::File::create(f.join(table).join("part-00000.parquet")).unwrap();
            let mut w = TableWriter::new(
                file,
                &[
                    ("id", ColumnKind::Int32),
                    ("features", ColumnKind::FloatList),
                ],
            )
            .unwrap();
            w.write_group(&[
                ColumnData::Int32(rows.clone()),
                ColumnData::FloatList(rows.iter().map(|&r| vec![r as f32, 0.5]).collect()),
            ])
            .unwrap();
            w.finish().unwrap();
            std::fs::write(f.join(table).join("_SUCCESS"), "").unwrap();
        }
        let im = import(Engine::SparkAls, &f, &out.join("vocab")).unwrap();
        assert_eq!((im.items.found, im.items.missing), (2, 1));
        assert_eq!(im.interactions, 5);
        let m = &im.model;
        let items = m.vocab("item").unwrap();
        let m2 = items.get("m2").unwrap() as usize;
        assert_eq!(
            m.table(ITEM_EMBEDDING).unwrap().row(m2).to_vec(),
            vec![m2 as f32, 0.5]
        );
        assert_eq!(m.item_info[m2].title, "Two (1991)");
        assert_eq!(m.item_counts[m2], 2);
        let users = m.vocab("user").unwrap();
        assert_eq!(users.keys(), ds.interactions.users.keys());
        let seen = m.seen.as_ref().unwrap();
        let bob = users.get("bob").unwrap() as usize;
        assert_eq!(seen.row(bob).len(), 2);
        crate::train::Algorithm::from_saved(&m.algo, &m.params).unwrap();
        std::fs::remove_dir_all(&dir).ok();
    }
}

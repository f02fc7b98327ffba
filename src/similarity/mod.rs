//! Look-ups over embedding tables: exact top-k by cosine or dot product, neighbours of a
//! key (the key itself excluded), recommendations that exclude a user's seen items, and
//! title search. [`Lookup`] is `Send + Sync`: open it once, query it from many threads.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Model, ITEM_BIAS, ITEM_EMBEDDING, USER_EMBEDDING};
use crate::models::word2vec::WORD_EMBEDDING;
use crate::titles;

use crate::train::Algorithm;
mod build;
mod index;

pub use crate::embedding::normalize_rows;
pub use build::{build_item_index, IndexReport};
pub use index::{top_k, Index, Metric, PARALLEL_ROWS};

/// Where [`Lookup::similar_items_by`] takes item neighbours from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NeighbourSource {
    /// The item-item table when the model has one (the rest from the embedding when the
    /// table lists fewer than asked), else the embedding.
    #[default]
    Auto,
    /// Only the item-item table.
    Table,
    /// Only the cosine of the item embedding.
    Embedding,
}

/// One result of a look-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Raw key.
    pub key: String,
    /// Title, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Similarity or predicted score.
    pub score: f32,
}

/// A loaded model with indexes, ready for look-ups from many threads.
#[derive(Debug)]
pub struct Lookup {
    model: Model,
    items: Option<Index>,
    users: Option<Index>,
    words: Option<Index>,
    item_ann: Option<crate::ann::Hnsw>,
    /// Item → users of the training interactions, for models without user vectors.
    item_users: Option<crate::model::Seen>,
    /// The algorithm and typed parameters the model was trained with (`None` for a model
    /// made by hand or from vectors alone: then a user's scores are dot products).
    algorithm: Option<Algorithm>,
}

/// The file of the approximate index of a table's column beside a model (`DIR/item.hnsw`).
#[must_use]
pub fn ann_path(dir: &Path, column: &str) -> std::path::PathBuf {
    dir.join(format!("{column}.hnsw"))
}

impl Lookup {
    /// Load a model directory and build its indexes; an HNSW graph saved beside it
    /// (`item.hnsw`, by `recsys index`) is loaded too when it matches the item table.
    pub fn open(dir: &Path) -> Result<Lookup> {
        let mut l = Lookup::new(crate::checkpoint::load(dir)?);
        let p = ann_path(dir, "item");
        if p.is_file() {
            let g = crate::ann::Hnsw::read(&p)?;
            let fits = l
                .items
                .as_ref()
                .is_some_and(|i| i.len() == g.len() && i.table.ncols() == g.dim());
            if !fits {
                return Err(Error::checkpoint(
                    &p,
                    "the HNSW graph does not match the item table (rebuild it with recsys index)",
                ));
            }
            l.item_ann = Some(g);
        }
        Ok(l)
    }

    /// Wrap a model already in memory.
    #[must_use]
    pub fn new(model: Model) -> Lookup {
        let items = model
            .table(ITEM_EMBEDDING)
            .map(|t| Index::new(t, Metric::Cosine));
        let users = model
            .table(USER_EMBEDDING)
            .map(|t| Index::new(t, Metric::Cosine));
        let words = model
            .table(WORD_EMBEDDING)
            .map(|t| Index::new(t, Metric::Cosine));
        let item_users = match (&users, &model.seen) {
            (None, Some(seen)) => Some(transpose_seen(seen, model.item_info.len())),
            _ => None,
        };
        let algorithm = Algorithm::from_saved(&model.algo, &model.params).ok();
        Lookup {
            model,
            items,
            users,
            words,
            item_ann: None,
            item_users,
            algorithm,
        }
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    fn hit(&self, column: &str, i: usize, score: f32) -> Hit {
        Hit {
            key: self
                .model
                .vocab(column)
                .and_then(|v| v.key(i))
                .unwrap_or_default()
                .to_string(),
            title: if column == "item" {
                self.model.title(i).map(String::from)
            } else {
                None
            },
            score,
        }
    }

    fn index_of(&self, column: &str, key: &str) -> Result<usize> {
        let v = self
            .model
            .vocab(column)
            .ok_or_else(|| Error::NotFound(format!("the model has no {column} vocabulary")))?;
        v.get(key).map(|i| i as usize).ok_or_else(|| {
            Error::NotFound(format!(
                "unknown {column} '{key}' (the model has {} {column}s)",
                v.len()
            ))
        })
    }

    /// The embedding of `key` in column `column` (`item` or `user`).
    pub fn vector(&self, column: &str, key: &str) -> Result<Vec<f32>> {
        let i = self.index_of(column, key)?;
        let t = self
            .model
            .table(&format!("{column}/embedding"))
            .ok_or_else(|| Error::NotFound(format!("the model has no {column} table")))?;
        Ok(t.row(i).to_vec())
    }

    /// Items most similar to item `key`, itself excluded: from the model's item neighbour
    /// table when it has one (item-KNN similarities, best first; when the table lists fewer
    /// than `k`, the rest come from the item embedding by cosine, if there is one), otherwise
    /// by cosine over the item embedding.
    pub fn similar_items(&self, key: &str, k: usize) -> Result<Vec<Hit>> {
        self.similar_items_by(key, k, NeighbourSource::Auto)
    }

    /// Items most similar to item `key` from the chosen `source` (see [`NeighbourSource`]).
    pub fn similar_items_by(
        &self,
        key: &str,
        k: usize,
        source: NeighbourSource,
    ) -> Result<Vec<Hit>> {
        let i = self.index_of("item", key)?;
        let found = match source {
            NeighbourSource::Auto => self.neighbours_of("item", i, k, self.items.as_ref())?,
            NeighbourSource::Table => {
                if !self.model.neighbours.contains_key("item") {
                    return Err(Error::NotFound(
                        "the model has no item-item table (train --algo itemknn, or als without --no-neighbours)".into(),
                    ));
                }
                self.neighbours_of("item", i, k, None)?
            }
            NeighbourSource::Embedding => self
                .items
                .as_ref()
                .ok_or_else(|| Error::NotFound("the model has no item embedding".into()))?
                .neighbours(i, k)?,
        };
        Ok(found
            .into_iter()
            .map(|(j, s)| self.hit("item", j, s))
            .collect())
    }

    /// Row `i`'s `k` nearest rows of `column`: the sparse neighbour table first, then the
    /// embedding index for what the table does not list.
    fn neighbours_of(
        &self,
        column: &str,
        i: usize,
        k: usize,
        index: Option<&Index>,
    ) -> Result<Vec<(usize, f32)>> {
        let Some(nb) = self.model.neighbours.get(column) else {
            let idx =
                index.ok_or_else(|| Error::NotFound(format!("the model has no {column} table")))?;
            return idx.neighbours(i, k);
        };
        let (ix, sc) = nb.row(i);
        let mut out: Vec<(usize, f32)> = ix
            .iter()
            .zip(sc)
            .take(k)
            .map(|(&j, &s)| (j as usize, s))
            .collect();
        if let (true, Some(idx)) = (out.len() < k, index) {
            let more = idx.search(&idx.table.row(i).to_vec(), k - out.len(), |j| {
                j == i || ix.contains(&(j as u32))
            })?;
            out.extend(more);
        }
        Ok(out)
    }

    /// Items most similar to item `key` by the approximate (HNSW) index, searching with a
    /// candidate list of `ef`; the key itself excluded. Needs the graph (`recsys index`).
    pub fn similar_items_approx(&self, key: &str, k: usize, ef: usize) -> Result<Vec<Hit>> {
        let i = self.index_of("item", key)?;
        let (Some(g), Some(idx)) = (&self.item_ann, &self.items) else {
            return Err(Error::NotFound(
                "the model has no approximate index (build one with `recsys index --model DIR`)"
                    .into(),
            ));
        };
        let table = idx
            .table
            .as_slice()
            .ok_or_else(|| Error::Param("item table not contiguous".into()))?;
        let q = idx.table.row(i).to_vec();
        let mut vis = crate::ann::Visited::new(g.len());
        Ok(g.search(table, &q, k + 1, ef.max(k + 1), &mut vis)?
            .into_iter()
            .filter(|(j, _)| *j != i)
            .take(k)
            .map(|(j, s)| self.hit("item", j, s))
            .collect())
    }

    /// Attach an approximate index of the item table (see [`Lookup::similar_items_approx`]).
    pub fn set_item_ann(&mut self, g: crate::ann::Hnsw) -> Result<()> {
        match &self.items {
            Some(i) if i.len() == g.len() && i.table.ncols() == g.dim() => {
                self.item_ann = Some(g);
                Ok(())
            }
            _ => Err(Error::Param(
                "the graph does not match the item table".into(),
            )),
        }
    }

    /// The exact cosine index of the item table, if the model has one.
    #[must_use]
    pub fn items(&self) -> Option<&Index> {
        self.items.as_ref()
    }

    /// Users most similar (cosine) to user `key`, itself excluded.
    pub fn similar_users(&self, key: &str, k: usize) -> Result<Vec<Hit>> {
        let i = self.index_of("user", key)?;
        let found = match (&self.users, &self.item_users, &self.model.seen) {
            (None, Some(by_item), Some(seen)) => {
                // cosine of the users' sets of training items: |A ∩ B| / √(|A| |B|)
                let mut common = vec![0u32; seen.indptr.len().saturating_sub(1)];
                for &it in seen.row(i) {
                    for &v in by_item.row(it as usize) {
                        common[v as usize] += 1;
                    }
                }
                let ni = seen.row(i).len() as f32;
                let scores: Vec<f32> = common
                    .iter()
                    .enumerate()
                    .map(|(v, &c)| {
                        let nv = seen.row(v).len() as f32;
                        if c == 0 {
                            f32::NAN
                        } else {
                            c as f32 / (ni * nv).sqrt()
                        }
                    })
                    .collect();
                top_k(&scores, k, |v| v == i)
            }
            _ => self.neighbours_of("user", i, k, self.users.as_ref())?,
        };
        Ok(found
            .into_iter()
            .map(|(j, s)| self.hit("user", j, s))
            .collect())
    }

    /// Words most similar (cosine) to `word`, itself excluded.
    pub fn similar_words(&self, word: &str, k: usize) -> Result<Vec<Hit>> {
        let i = self.index_of("word", word)?;
        let idx = self.word_index()?;
        Ok(idx
            .neighbours(i, k)?
            .into_iter()
            .map(|(j, s)| self.hit("word", j, s))
            .collect())
    }

    fn word_index(&self) -> Result<&Index> {
        self.words.as_ref().ok_or_else(|| {
            Error::NotFound(format!(
                "the model has no word vectors (it was trained with --algo {})",
                self.model.algo
            ))
        })
    }

    /// Analogy by vector offset (3CosAdd, as gensim's `most_similar`): the words nearest to
    /// the normalised sum of the unit vectors of `positive` minus those of `negative`, the
    /// query words excluded. `restrict` limits candidates to the most frequent rows.
    pub fn analogy(
        &self,
        positive: &[&str],
        negative: &[&str],
        k: usize,
        restrict: Option<usize>,
    ) -> Result<Vec<Hit>> {
        let idx = self.word_index()?;
        let mut q = vec![0.0f32; idx.table.ncols()];
        let mut used = Vec::new();
        for (words, sign) in [(positive, 1.0f32), (negative, -1.0)] {
            for w in words {
                let i = self.index_of("word", w)?;
                used.push(i);
                for (x, y) in q.iter_mut().zip(idx.table.row(i)) {
                    *x += sign * y;
                }
            }
        }
        if used.is_empty() {
            return Err(Error::Param("an analogy needs at least one word".into()));
        }
        let limit = restrict.unwrap_or(usize::MAX);
        Ok(idx
            .search(&q, k, |j| j >= limit || used.contains(&j))?
            .into_iter()
            .map(|(j, s)| self.hit("word", j, s))
            .collect())
    }

    /// The cosine index of the word vectors, if the model has them.
    #[must_use]
    pub fn words(&self) -> Option<&Index> {
        self.words.as_ref()
    }

    /// Scores of every item for user index `u`: `x_u · y_i (+ b_i)`, or the cosine of the
    /// two for item2vec models (their users are unit query vectors).
    pub fn user_scores(&self, u: usize) -> Result<Vec<f32>> {
        if let (None, Some(nb)) = (
            self.model.table(USER_EMBEDDING),
            self.model.neighbours.get("item"),
        ) {
            let seen: &[u32] = self.model.seen.as_ref().map_or(&[], |s| s.row(u));
            return Ok(neighbour_scores(nb, seen, self.model.item_info.len()));
        }
        let (Some(users), Some(items)) = (
            self.model.table(USER_EMBEDDING),
            self.model.table(ITEM_EMBEDDING),
        ) else {
            return Err(Error::NotFound(
                "the model has no user and item tables".into(),
            ));
        };
        if let Some(Algorithm::Dnn(_)) = self.algorithm {
            return Err(Error::NotFound(
                "a dnn model scores a (user, item) pair through its network from all its columns; its user and item tables are not a factorisation to rank by (use `recsys eval --algo dnn`)".into(),
            ));
        }
        // item2vec's users are unit query vectors ranked by cosine
        let cosine = matches!(self.algorithm, Some(Algorithm::Item2vec(_)));
        if let (true, Some(idx)) = (cosine, &self.items) {
            return Ok(idx.scores(&users.row(u).to_vec()));
        }
        let mut s = items.dot(&users.row(u)).to_vec();
        if let Some(b) = self.model.vector(ITEM_BIAS) {
            s.iter_mut().zip(b.iter()).for_each(|(x, y)| *x += y);
        }
        Ok(s)
    }

    /// Top-k items for user `key`, excluding items seen in training and `exclude` (keys).
    pub fn recommend(&self, key: &str, k: usize, exclude: &[String]) -> Result<Vec<Hit>> {
        let u = self.index_of("user", key)?;
        let scores = self.user_scores(u)?;
        let seen: &[u32] = self.model.seen.as_ref().map_or(&[], |s| s.row(u));
        let items = self.model.vocab("item");
        let extra: Vec<usize> = exclude
            .iter()
            .filter_map(|k| items.and_then(|v| v.get(k)).map(|i| i as usize))
            .collect();
        let top = top_k(&scores, k, |i| {
            seen.binary_search(&(i as u32)).is_ok() || extra.contains(&i)
        });
        Ok(top
            .into_iter()
            .map(|(j, s)| self.hit("item", j, s))
            .collect())
    }

    /// Scores of every item for a user the model has not seen, who interacted with the item
    /// indices `liked` (fold-in, as implicit's `recalculate_user`): ALS solves the user's row
    /// against the fixed item factors (the training's solve); item2vec builds the query from
    /// the last items as it does for its users (the order of `liked` is the history's);
    /// item-KNN sums the items' neighbour similarities. Other models have no fold-in rule.
    pub fn fold_in_scores(&self, liked: &[u32]) -> Result<Vec<f32>> {
        let m = &self.model;
        let n = m.item_info.len();
        if let Some(items) = m.tables.get(ITEM_EMBEDDING) {
            if m.table(USER_EMBEDDING).is_some() {
                match &self.algorithm {
                    Some(Algorithm::Als(p)) => {
                        let x = crate::models::als::fold_in(p, items, liked, &m.item_counts);
                        return Ok(items.dot(&ndarray::ArrayView1::from(&x[..])).to_vec());
                    }
                    Some(Algorithm::Item2vec(p)) => {
                        let q = crate::models::item2vec::query_vectors(
                            items,
                            &[liked.to_vec()],
                            p.history,
                            p.history_decay,
                        );
                        let idx = self
                            .items
                            .as_ref()
                            .ok_or_else(|| Error::NotFound("the model has no item table".into()))?;
                        return Ok(idx.scores(&q.row(0).to_vec()));
                    }
                    _ => {}
                }
            }
        } else if let Some(nb) = m.neighbours.get("item") {
            return Ok(neighbour_scores(nb, liked, n));
        }
        Err(Error::NotFound(format!(
            "a {} model has no rule for users it has not seen (fold-in works for als, item2vec and itemknn)",
            m.algo
        )))
    }

    /// Top-k items for a user the model has not seen, from the item keys they interacted with
    /// (see [`Lookup::fold_in_scores`]); those items and `exclude` are left out. Keys the model
    /// does not know are skipped; none known is an error.
    pub fn recommend_for_items(
        &self,
        items: &[String],
        k: usize,
        exclude: &[String],
    ) -> Result<Vec<Hit>> {
        let vocab = self
            .model
            .vocab("item")
            .ok_or_else(|| Error::NotFound("the model has no item vocabulary".into()))?;
        let liked: Vec<u32> = items.iter().filter_map(|k| vocab.get(k)).collect();
        if liked.is_empty() {
            return Err(Error::NotFound(format!(
                "none of the {} items given is known to the model",
                items.len()
            )));
        }
        let scores = self.fold_in_scores(&liked)?;
        let extra: Vec<u32> = exclude.iter().filter_map(|k| vocab.get(k)).collect();
        Ok(top_k(&scores, k, |i| {
            liked.contains(&(i as u32)) || extra.contains(&(i as u32))
        })
        .into_iter()
        .map(|(j, s)| self.hit("item", j, s))
        .collect())
    }

    /// Scores of user `key` for the candidate items `items` (the re-ranking case): the same
    /// score as [`Lookup::recommend`] ranks by, computed for these items only; `None` for a
    /// key the model does not know. Seen items are scored like any other.
    pub fn score_items(&self, key: &str, items: &[String]) -> Result<Vec<Option<f32>>> {
        let u = self.index_of("user", key)?;
        if self.model.table(USER_EMBEDDING).is_none() && self.model.neighbours.contains_key("item")
        {
            let all = self.user_scores(u)?;
            let vocab = self.model.vocab("item");
            return Ok(items
                .iter()
                .map(|k| all.get(vocab.and_then(|v| v.get(k))? as usize).copied())
                .collect());
        }
        if let Some(Algorithm::Dnn(_)) = self.algorithm {
            return self.user_scores(u).map(|_| Vec::new());
        }
        let (Some(users), Some(table)) = (
            self.model.table(USER_EMBEDDING),
            self.model.table(ITEM_EMBEDDING),
        ) else {
            return Err(Error::NotFound(
                "the model has no user and item tables".into(),
            ));
        };
        let vocab = self.model.vocab("item");
        let urow = users.row(u);
        let bias = self.model.vector(ITEM_BIAS);
        let cosine = matches!(self.algorithm, Some(Algorithm::Item2vec(_)));
        let unorm = urow.dot(&urow).sqrt();
        Ok(items
            .iter()
            .map(|k| {
                let i = vocab.and_then(|v| v.get(k))? as usize;
                if cosine {
                    let idx = self.items.as_ref()?;
                    let d = idx.table.row(i).dot(&urow);
                    Some(if unorm > 0.0 { d / unorm } else { 0.0 })
                } else {
                    let d = table.row(i).dot(&urow);
                    Some(d + bias.and_then(|b| b.get(i).copied()).unwrap_or(0.0))
                }
            })
            .collect())
    }

    /// The `k` rows of table `column` (`item`, `user`, `word`) nearest (cosine) to `vector`.
    pub fn similar_to_vector(&self, column: &str, vector: &[f32], k: usize) -> Result<Vec<Hit>> {
        let idx = match column {
            "item" => self.items.as_ref(),
            "user" => self.users.as_ref(),
            "word" => self.words.as_ref(),
            _ => None,
        }
        .ok_or_else(|| Error::NotFound(format!("the model has no {column} table")))?;
        Ok(idx
            .search(vector, k, |_| false)?
            .into_iter()
            .map(|(j, s)| self.hit(column, j, s))
            .collect())
    }

    /// Find an item by title (see [`titles::find`]); returns its key and the match.
    pub fn find_title(&self, query: &str) -> Result<(String, titles::TitleMatch)> {
        let titles: Vec<&str> = self
            .model
            .item_info
            .iter()
            .map(|x| x.title.as_str())
            .collect();
        if titles.iter().all(|t| t.is_empty()) {
            return Err(Error::NotFound(
                "the model has no titles (train it on a folder with an items file such as movies.csv or u.item); use --item KEY".into(),
            ));
        }
        let m = titles::find(query, &titles, &self.model.item_counts)?;
        let key = self
            .model
            .vocab("item")
            .and_then(|v| v.key(m.index))
            .unwrap_or_default()
            .to_string();
        Ok((key, m))
    }

    /// Title of an item index.
    #[must_use]
    pub fn title(&self, i: usize) -> Option<&str> {
        self.model.title(i)
    }
}

/// The item → users lists of user → items lists over `n_items` items.
fn transpose_seen(seen: &crate::model::Seen, n_items: usize) -> crate::model::Seen {
    let mut counts = vec![0u64; n_items + 1];
    for &i in &seen.indices {
        if let Some(c) = counts.get_mut(i as usize + 1) {
            *c += 1;
        }
    }
    for k in 1..counts.len() {
        counts[k] += counts[k - 1];
    }
    let mut next = counts.clone();
    let mut users = vec![0u32; seen.indices.len()];
    for u in 0..seen.indptr.len().saturating_sub(1) {
        for &i in seen.row(u) {
            if let Some(slot) = next.get_mut(i as usize) {
                if let Some(dst) = users.get_mut(*slot as usize) {
                    *dst = u as u32;
                }
                *slot += 1;
            }
        }
    }
    crate::model::Seen {
        indptr: counts,
        indices: users,
    }
}

/// Item-KNN scores of every item for a user who interacted with `items`: the sum of each
/// item's similarities to them, `Σ_{i ∈ items} S[i, j]` (implicit's `ItemItemRecommender`).
#[must_use]
pub fn neighbour_scores(nb: &crate::model::Neighbours, items: &[u32], n_items: usize) -> Vec<f32> {
    let mut s = vec![0f32; n_items];
    for &i in items {
        let (ix, sc) = nb.row(i as usize);
        for (&j, &v) in ix.iter().zip(sc) {
            if let Some(x) = s.get_mut(j as usize) {
                *x += v;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_and_skips() {
        let s = [0.1, 0.9, f32::NAN, 0.5, 0.9, -1.0];
        assert_eq!(top_k(&s, 3, |_| false), vec![(1, 0.9), (4, 0.9), (3, 0.5)]);
        assert_eq!(top_k(&s, 2, |i| i == 1), vec![(4, 0.9), (3, 0.5)]);
        assert_eq!(top_k(&s, 0, |_| false), vec![]);
        assert_eq!(top_k(&s, 100, |_| false).len(), 5);
    }

    /// The parallel block scan and the batched matrix product agree with a plain scan.
    #[test]
    fn parallel_and_batched_search_match_the_plain_scan() {
        let t =
            crate::embedding::Initializer::Uniform { scale: 1.0 }.table(PARALLEL_ROWS + 5000, 8, 3);
        let idx = Index::new(t.view(), Metric::Cosine);
        let q: Vec<f32> = t.row(17).to_vec();
        let fast = idx.search(&q, 10, |i| i == 17).unwrap();
        let plain = top_k(&idx.scores(&q), 10, |i| i == 17);
        assert_eq!(
            fast.iter().map(|x| x.0).collect::<Vec<_>>(),
            plain.iter().map(|x| x.0).collect::<Vec<_>>()
        );
        let qs = t.slice(ndarray::s![0..300, ..]);
        let batch = idx.search_batch(qs, 5).unwrap();
        for (i, got) in batch.iter().enumerate() {
            let want = top_k(&idx.scores(&t.row(i).to_vec()), 5, |_| false);
            assert_eq!(
                got.iter().map(|x| x.0).collect::<Vec<_>>(),
                want.iter().map(|x| x.0).collect::<Vec<_>>(),
                "query {i}"
            );
            assert_eq!(got[0].0, i);
        }
    }

    #[test]
    fn cosine_neighbours_exclude_self() {
        let t = ndarray::array![[1.0f32, 0.0], [2.0, 0.1], [0.0, 1.0], [0.0, 0.0]];
        let idx = Index::new(t.view(), Metric::Cosine);
        let n = idx.neighbours(0, 2).unwrap();
        assert_eq!(n[0].0, 1);
        assert!(n.iter().all(|(i, _)| *i != 0));
        assert!(idx.search(&[1.0], 1, |_| false).is_err());
        let b = idx.search_batch(t.view(), 1).unwrap();
        assert_eq!(b[2][0].0, 2);
    }
}

//! Word–word co-occurrence counts over a streamed corpus, in bounded memory (the input of
//! [`super::glove`] and [`super::lsa`]).
//!
//! Each line is a window boundary; tokens outside the vocabulary are dropped before windowing
//! (as GloVe's `cooccur.c` and word2vec do). Two words `d ≤ window` positions apart add
//! `1/d` (harmonic weighting, GloVe's default) or `1` to their cell. Counts are symmetric:
//! `X[i][j] = X[j][i]`, and a word within the window of itself adds to `X[i][i]` from both
//! sides (the diagonal gets twice the weight, as in `cooccur.c` with `symmetric = 1`).
//!
//! Memory: `threads` workers count chunks of the corpus (chunk `k` to worker `k mod threads`,
//! so a run repeats bit for bit for a thread count) into hash maps keyed by the unordered
//! pair. A worker whose map outgrows its share of `memory_mb` sorts it and spills it to a
//! temporary file; at the end all runs (in memory and on disk) are merged in one k-way pass
//! into a sorted list of unordered pairs `(i ≤ j, X_ij)` — 12 bytes per distinct pair, which
//! is what training then holds.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;

use super::word2vec::{Corpus, WordVocab};
use crate::error::{Error, Result};

/// Bytes one distinct pair takes in a counting map (key, value, control byte, load factor).
const BYTES_PER_MAP_ENTRY: usize = 24;
/// Tokens per chunk handed to a counting worker.
const CHUNK_TOKENS: usize = 50_000;

/// How co-occurrences are counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoocParams {
    /// Maximum distance between two co-occurring words.
    pub window: usize,
    /// Weight a pair `d` apart by `1/d` (true) or by 1 (false).
    pub harmonic: bool,
    /// Memory budget of the counting maps in MiB (all workers together); beyond it, sorted
    /// runs are spilled to temporary files and merged.
    pub memory_mb: usize,
}

impl Default for CoocParams {
    fn default() -> Self {
        CoocParams {
            window: 10,
            harmonic: true,
            memory_mb: 2048,
        }
    }
}

/// One cell of the symmetric co-occurrence matrix, `i ≤ j`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Row (the smaller word index).
    pub i: u32,
    /// Column (`≥ i`).
    pub j: u32,
    /// `X_ij = X_ji`.
    pub x: f32,
}

/// The co-occurrence matrix of a vocabulary of `n` words: its upper triangle, sorted by `(i, j)`.
#[derive(Debug, Clone, Default)]
pub struct Cooc {
    /// Vocabulary size.
    pub n: usize,
    /// Nonzero cells with `i ≤ j`, sorted.
    pub pairs: Vec<Pair>,
    /// Sorted runs spilled to disk while counting.
    pub spilled_runs: usize,
}

impl Cooc {
    /// Row sums of the full symmetric matrix (`Σ_j X_ij`).
    #[must_use]
    pub fn row_sums(&self) -> Vec<f64> {
        let mut s = vec![0.0f64; self.n];
        for p in &self.pairs {
            s[p.i as usize] += f64::from(p.x);
            if p.i != p.j {
                s[p.j as usize] += f64::from(p.x);
            }
        }
        s
    }

    /// `X_ij` (0 when absent); a binary search, for tests and spot checks.
    #[must_use]
    pub fn get(&self, a: u32, b: u32) -> f32 {
        let (i, j) = if a <= b { (a, b) } else { (b, a) };
        self.pairs
            .binary_search_by(|p| (p.i, p.j).cmp(&(i, j)))
            .map_or(0.0, |k| self.pairs[k].x)
    }
}

fn key(i: u32, j: u32) -> u64 {
    (u64::from(i) << 32) | u64::from(j)
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!("recsys-cooc-{}-{nanos:x}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A sorted run of `(key, value)` cells: in memory or spilled to a file.
enum Run {
    Memory(std::vec::IntoIter<(u64, f32)>),
    File(BufReader<File>, PathBuf),
}

impl Run {
    fn next(&mut self) -> Result<Option<(u64, f32)>> {
        match self {
            Run::Memory(it) => Ok(it.next()),
            Run::File(r, path) => {
                let mut b = [0u8; 12];
                match r.read_exact(&mut b) {
                    Ok(()) => {
                        let mut k = [0u8; 8];
                        k.copy_from_slice(&b[..8]);
                        let mut v = [0u8; 4];
                        v.copy_from_slice(&b[8..]);
                        Ok(Some((u64::from_le_bytes(k), f32::from_le_bytes(v))))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                    Err(e) => Err(Error::io(path.as_path(), e)),
                }
            }
        }
    }
}

type Map = std::collections::HashMap<u64, f32, foldhash::fast::FixedState>;
/// A sorted run of cells.
type Cells = Vec<(u64, f32)>;

/// One counting worker's state.
struct Counter<'a> {
    map: Map,
    cap: usize,
    runs: Vec<PathBuf>,
    dir: &'a TempDir,
    tag: usize,
    p: CoocParams,
    weights: Vec<f32>,
}

impl Counter<'_> {
    fn count(&mut self, words: &[u32], ends: &[u32]) -> Result<()> {
        let mut start = 0usize;
        for &end in ends {
            let s = &words[start..end as usize];
            for (pos, &b) in s.iter().enumerate() {
                let lo = pos.saturating_sub(self.p.window);
                for (back, &a) in s[lo..pos].iter().rev().enumerate() {
                    let w = self.weights[back];
                    let k = if a <= b { key(a, b) } else { key(b, a) };
                    *self.map.entry(k).or_insert(0.0) += w;
                }
            }
            if self.map.len() > self.cap {
                self.spill()?;
            }
            start = end as usize;
        }
        Ok(())
    }

    fn sorted(&mut self) -> Vec<(u64, f32)> {
        let mut v: Vec<(u64, f32)> = self.map.drain().collect();
        v.sort_unstable_by_key(|e| e.0);
        self.map.shrink_to(self.cap.min(1 << 20));
        v
    }

    fn spill(&mut self) -> Result<()> {
        let v = self.sorted();
        let path = self
            .dir
            .0
            .join(format!("run-{}-{}.bin", self.tag, self.runs.len()));
        let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        for (k, x) in v {
            w.write_all(&k.to_le_bytes())
                .and_then(|()| w.write_all(&x.to_le_bytes()))
                .map_err(|e| Error::io(&path, e))?;
        }
        w.flush().map_err(|e| Error::io(&path, e))?;
        self.runs.push(path);
        Ok(())
    }
}

/// Count the co-occurrences of `vocab`'s words in `corpus` on `threads` workers.
pub fn count(
    corpus: &dyn Corpus,
    vocab: &WordVocab,
    p: &CoocParams,
    threads: usize,
) -> Result<Cooc> {
    if p.window == 0 {
        return Err(Error::Param("window must be at least 1".into()));
    }
    if p.memory_mb == 0 {
        return Err(Error::Param(
            "the counting memory budget must be at least 1 MiB".into(),
        ));
    }
    let threads = threads.max(1);
    let weights: Vec<f32> = (1..=p.window)
        .map(|d| if p.harmonic { 1.0 / d as f32 } else { 1.0 })
        .collect();
    let cap = (p.memory_mb << 20) / BYTES_PER_MAP_ENTRY / threads;
    let dir = TempDir::new()?;
    // chunk k goes to worker k mod threads: each worker's sums, spills and the merge order
    // are then fixed for a thread count, so counts repeat bit for bit
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..threads)
        .map(|_| sync_channel::<(Vec<u32>, Vec<u32>)>(2))
        .unzip();
    let (runs, mem_runs) = std::thread::scope(|scope| -> Result<(Vec<PathBuf>, Vec<Cells>)> {
        let workers: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(tag, rx)| {
                let (dir, weights) = (&dir, weights.clone());
                scope.spawn(move || -> Result<(Vec<PathBuf>, Cells)> {
                    let mut c = Counter {
                        map: Map::default(),
                        cap: cap.max(1024),
                        runs: Vec::new(),
                        dir,
                        tag,
                        p: *p,
                        weights,
                    };
                    while let Ok((words, ends)) = rx.recv() {
                        c.count(&words, &ends)?;
                    }
                    let last = c.sorted();
                    Ok((c.runs, last))
                })
            })
            .collect();
        let mut chunk_no = 0usize;
        let (mut words, mut ends) = (Vec::new(), Vec::new());
        let read = corpus.for_each_sentence(&mut |toks| {
            let before = words.len();
            words.extend(toks.iter().filter_map(|t| vocab.get(t)));
            if words.len() > before {
                ends.push(words.len() as u32);
            }
            if words.len() >= CHUNK_TOKENS {
                txs[chunk_no % threads]
                    .send((std::mem::take(&mut words), std::mem::take(&mut ends)))
                    .map_err(|_| Error::Param("a counting worker stopped unexpectedly".into()))?;
                chunk_no += 1;
            }
            Ok(())
        });
        if read.is_ok() && !words.is_empty() {
            let _ = txs[chunk_no % threads].send((words, ends));
        }
        drop(txs);
        let mut files = Vec::new();
        let mut mem = Vec::new();
        let mut first_err = None;
        for h in workers {
            match h.join() {
                Ok(Ok((f, m))) => {
                    files.extend(f);
                    mem.push(m);
                }
                Ok(Err(e)) => first_err = first_err.or(Some(e)),
                Err(_) => {
                    first_err =
                        first_err.or(Some(Error::Param("a counting worker panicked".into())))
                }
            }
        }
        read?;
        if let Some(e) = first_err {
            return Err(e);
        }
        Ok((files, mem))
    })?;
    let spilled_runs = runs.len();
    let mut sources: Vec<Run> = mem_runs
        .into_iter()
        .map(|v| Run::Memory(v.into_iter()))
        .collect();
    for path in runs {
        let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
        sources.push(Run::File(BufReader::with_capacity(1 << 20, f), path));
    }
    let pairs = merge(sources)?;
    drop(dir);
    Ok(Cooc {
        n: vocab.len(),
        pairs,
        spilled_runs,
    })
}

/// k-way merge of sorted runs, summing equal keys in run order; diagonal cells doubled.
fn merge(mut runs: Vec<Run>) -> Result<Vec<Pair>> {
    let mut heap = BinaryHeap::new();
    for (r, run) in runs.iter_mut().enumerate() {
        if let Some((k, x)) = run.next()? {
            heap.push(std::cmp::Reverse((k, r, x.to_bits())));
        }
    }
    let mut out: Vec<Pair> = Vec::new();
    let mut cur: Option<(u64, f32)> = None;
    let emit = |k: u64, x: f32, out: &mut Vec<Pair>| {
        let (i, j) = ((k >> 32) as u32, k as u32);
        out.push(Pair {
            i,
            j,
            x: if i == j { 2.0 * x } else { x },
        });
    };
    while let Some(std::cmp::Reverse((k, r, bits))) = heap.pop() {
        let x = f32::from_bits(bits);
        cur = match cur {
            Some((ck, cx)) if ck == k => Some((ck, cx + x)),
            Some((ck, cx)) => {
                emit(ck, cx, &mut out);
                Some((k, x))
            }
            None => Some((k, x)),
        };
        if let Some((k2, x2)) = runs[r].next()? {
            heap.push(std::cmp::Reverse((k2, r, x2.to_bits())));
        }
    }
    if let Some((ck, cx)) = cur {
        emit(ck, cx, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::word2vec::Sentences;

    fn vocab(corpus: &Sentences) -> WordVocab {
        WordVocab::build(corpus, 1, None).unwrap()
    }

    #[test]
    fn hand_counted_corpus() {
        // "a b c" and "a a": window 2, harmonic
        let corpus = Sentences::from_lines(&["a b c", "a a", "zz"]);
        let v = vocab(&corpus);
        let (a, b, c) = (
            v.get("a").unwrap(),
            v.get("b").unwrap(),
            v.get("c").unwrap(),
        );
        let p = CoocParams {
            window: 2,
            harmonic: true,
            memory_mb: 16,
        };
        let m = count(&corpus, &v, &p, 1).unwrap();
        assert_eq!(m.get(a, b), 1.0);
        assert_eq!(m.get(b, a), 1.0);
        assert_eq!(m.get(b, c), 1.0);
        assert_eq!(m.get(a, c), 0.5);
        // "a a": one pair at distance 1, counted from both sides
        assert_eq!(m.get(a, a), 2.0);
        assert_eq!(m.get(c, c), 0.0);
        // lines are window boundaries: "c" (line 1) and "a" (line 2) are not neighbours beyond
        // what line 1 gave
        assert_eq!(m.pairs.len(), 4);
        let s = m.row_sums();
        assert_eq!(s[a as usize], 1.0 + 0.5 + 2.0);
        // unweighted window
        let m = count(
            &corpus,
            &v,
            &CoocParams {
                harmonic: false,
                ..p
            },
            1,
        )
        .unwrap();
        assert_eq!(m.get(a, c), 1.0);
        // window 1 drops the distance-2 pair
        let m = count(&corpus, &v, &CoocParams { window: 1, ..p }, 1).unwrap();
        assert_eq!(m.get(a, c), 0.0);
    }

    #[test]
    fn out_of_vocabulary_tokens_are_dropped_before_windowing() {
        let corpus = Sentences::from_lines(&["a rare b", "a b"]);
        let full = vocab(&corpus);
        let v = WordVocab::from_counts(
            ["a", "b"]
                .iter()
                .map(|w| (w.to_string(), full.counts[full.get(w).unwrap() as usize])),
            5,
            2,
        );
        let m = count(
            &corpus,
            &v,
            &CoocParams {
                window: 1,
                ..Default::default()
            },
            1,
        )
        .unwrap();
        assert_eq!(m.get(0, 1), 2.0);
    }

    #[test]
    fn spilling_and_threads_give_the_same_counts() {
        let mut lines = Vec::new();
        for s in 0..400u32 {
            let l: Vec<String> = (0..30u32)
                .map(|t| format!("w{}", (s * 7 + t * t * 13 + t) % 97))
                .collect();
            lines.push(l.join(" "));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let corpus = Sentences::from_lines(&refs);
        let v = vocab(&corpus);
        let p = CoocParams {
            window: 5,
            harmonic: false,
            memory_mb: 64,
        };
        let plain = count(&corpus, &v, &p, 1).unwrap();
        assert_eq!(plain.spilled_runs, 0);
        // a budget far below the distinct pairs forces spills (the cap floor is 1024 cells)
        let tiny = CoocParams { memory_mb: 1, ..p };
        let mut c = Counter {
            map: Map::default(),
            cap: 1024,
            runs: Vec::new(),
            dir: &TempDir::new().unwrap(),
            tag: 0,
            p: tiny,
            weights: vec![1.0; 5],
        };
        let mut words = Vec::new();
        let mut ends = Vec::new();
        corpus
            .for_each_sentence(&mut |t| {
                words.extend(t.iter().filter_map(|w| v.get(w)));
                ends.push(words.len() as u32);
                Ok(())
            })
            .unwrap();
        c.count(&words, &ends).unwrap();
        assert!(c.runs.len() > 1, "expected spills, got {}", c.runs.len());
        let last = c.sorted();
        let mut sources = vec![Run::Memory(last.into_iter())];
        for path in &c.runs {
            let f = File::open(path).unwrap();
            sources.push(Run::File(BufReader::new(f), path.clone()));
        }
        let spilled = merge(sources).unwrap();
        assert_eq!(spilled, plain.pairs);
        // unweighted integer counts are exact, so threads agree bit for bit
        let two = count(&corpus, &v, &p, 2).unwrap();
        assert_eq!(two.pairs, plain.pairs);
        // total weight: every pair within the window, both directions
        let total: f64 = plain.row_sums().iter().sum();
        let expected: usize = (0..30).map(|pos: usize| pos.min(5)).sum::<usize>() * 400 * 2;
        assert_eq!(total, expected as f64);
    }
}

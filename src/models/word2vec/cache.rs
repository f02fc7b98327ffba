//! The encoded corpus: sentences of word rows packed into the chunks workers train on, and
//! the cache that keeps a whole epoch of them so later epochs replay it instead of reading,
//! decompressing and tokenising the files again.
//!
//! One [`Packer`] decides every chunk boundary, whether the chunks come from reading the
//! corpus in an epoch or from the vocabulary pass ([`super::WordVocab::build_encoded`]), so
//! both ways hand the workers the same chunks with the same seeds.

use std::fmt;
use std::sync::Arc;

use super::kernel::Chunk;
use super::CHUNK_TOKENS;
use crate::error::Result;

/// One chunk of the encoded corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packed {
    pub(crate) words: Vec<u32>,
    pub(crate) ends: Vec<u32>,
    /// Raw corpus tokens read before this chunk (drives the learning-rate schedule).
    pub(crate) raw_start: u64,
}

/// A whole epoch of chunks and its raw token count.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Encoded {
    pub(crate) chunks: Vec<Packed>,
    pub(crate) raw: u64,
}

impl fmt::Debug for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: usize = self.chunks.iter().map(|c| c.words.len()).sum();
        f.debug_struct("Encoded")
            .field("chunks", &self.chunks.len())
            .field("words", &words)
            .field("raw", &self.raw)
            .finish()
    }
}

impl Encoded {
    /// Bytes a chunk takes in the cache.
    fn bytes(c: &Chunk) -> usize {
        4 * (c.words.len() + c.ends.len()) + std::mem::size_of::<Packed>()
    }
}

/// Packs sentences into chunks of about [`CHUNK_TOKENS`] words: a sentence longer than that
/// is split rather than truncated, and a chunk is handed on once it holds `CHUNK_TOKENS`.
#[derive(Debug, Default)]
pub(crate) struct Packer {
    chunk: Chunk,
    raw: u64,
    raw_at_chunk_start: u64,
}

impl Packer {
    /// Add one sentence: its kept rows, and how many raw tokens it had. A full chunk goes to
    /// `emit` with the raw tokens read before it.
    pub(crate) fn push(
        &mut self,
        rows: impl IntoIterator<Item = u32>,
        raw_tokens: u64,
        emit: &mut impl FnMut(Chunk, u64) -> Result<()>,
    ) -> Result<()> {
        let c = &mut self.chunk;
        let mut len = 0usize;
        for i in rows {
            c.words.push(i);
            len += 1;
            if len == CHUNK_TOKENS {
                c.ends.push(c.words.len() as u32);
                len = 0;
            }
        }
        if len > 0 {
            c.ends.push(c.words.len() as u32);
        }
        self.raw += raw_tokens;
        if c.words.len() >= CHUNK_TOKENS {
            emit(std::mem::take(c), self.raw_at_chunk_start)?;
            self.raw_at_chunk_start = self.raw;
        }
        Ok(())
    }

    /// Hand on the last, partly filled chunk; the raw tokens of every sentence pushed.
    pub(crate) fn finish(mut self, emit: &mut impl FnMut(Chunk, u64) -> Result<()>) -> Result<u64> {
        if !self.chunk.words.is_empty() {
            emit(std::mem::take(&mut self.chunk), self.raw_at_chunk_start)?;
        }
        Ok(self.raw)
    }
}

/// The encoded corpus, kept from the first epoch (or from the vocabulary pass) while it fits
/// the budget.
#[derive(Debug)]
pub(crate) enum ChunkCache {
    /// Recording the epoch being read; `bytes` so far, `budget` in bytes.
    Filling {
        chunks: Vec<Packed>,
        bytes: usize,
        budget: usize,
    },
    /// A whole epoch: later epochs replay it.
    Full(Arc<Encoded>),
    /// Read the corpus every epoch.
    Off,
}

impl ChunkCache {
    /// A cache that may hold `budget` bytes (0: off).
    pub(crate) fn new(budget: usize) -> ChunkCache {
        if budget == 0 {
            ChunkCache::Off
        } else {
            ChunkCache::Filling {
                chunks: Vec::new(),
                bytes: 0,
                budget,
            }
        }
    }

    /// Remember `c` (read with `raw_start` raw tokens before it), unless that passes the
    /// budget, which turns the cache off and frees it.
    pub(crate) fn record(&mut self, c: &Chunk, raw_start: u64) {
        if let ChunkCache::Filling {
            chunks,
            bytes,
            budget,
        } = self
        {
            *bytes += Encoded::bytes(c);
            if *bytes > *budget {
                *self = ChunkCache::Off;
            } else {
                chunks.push(Packed {
                    words: c.words.clone(),
                    ends: c.ends.clone(),
                    raw_start,
                });
            }
        }
    }

    /// The epoch that was recorded ended with `raw` tokens read (`ok`: it was read whole).
    pub(crate) fn finish(&mut self, raw: u64, ok: bool) {
        if let ChunkCache::Filling { chunks, .. } = self {
            *self = if ok {
                ChunkCache::Full(Arc::new(Encoded {
                    chunks: std::mem::take(chunks),
                    raw,
                }))
            } else {
                ChunkCache::Off
            };
        }
    }
}

/// The corpus as the vocabulary pass saw it: every token as a provisional id (its
/// first-seen order) and every sentence's length, to be packed once the vocabulary is known.
#[derive(Debug)]
pub(crate) struct Stream {
    ids: Vec<u32>,
    lens: Vec<u32>,
    budget: usize,
    /// False once the stream passed its budget (or a sentence its `u32` length): dropped.
    pub(crate) kept: bool,
}

impl Stream {
    /// A stream that may hold `budget` bytes.
    pub(crate) fn new(budget: usize) -> Stream {
        Stream {
            ids: Vec::new(),
            lens: Vec::new(),
            budget,
            kept: budget > 0,
        }
    }

    /// Append one sentence of provisional ids.
    pub(crate) fn push(&mut self, ids: impl IntoIterator<Item = u32>) {
        if !self.kept {
            return;
        }
        let before = self.ids.len();
        self.ids.extend(ids);
        let len = u32::try_from(self.ids.len() - before);
        let bytes = 4usize.saturating_mul(self.ids.len() + self.lens.len() + 1);
        match len {
            Ok(len) if bytes <= self.budget => self.lens.push(len),
            _ => {
                self.kept = false;
                self.ids = Vec::new();
                self.lens = Vec::new();
            }
        }
    }

    /// Pack the stream in chunks, mapping provisional id `p` to row `rows[p]` (`u32::MAX`:
    /// not in the vocabulary, dropped). `None` if the stream was dropped, or if the packed
    /// chunks would pass the budget.
    pub(crate) fn pack(self, rows: &[u32]) -> Result<Option<Encoded>> {
        if !self.kept {
            return Ok(None);
        }
        let mut chunks = Vec::new();
        let mut bytes = 0usize;
        let mut emit = |c: Chunk, raw_start: u64| {
            bytes += Encoded::bytes(&c);
            chunks.push(Packed {
                words: c.words,
                ends: c.ends,
                raw_start,
            });
            Ok(())
        };
        let mut packer = Packer::default();
        let mut at = 0usize;
        for &len in &self.lens {
            let sentence = &self.ids[at..at + len as usize];
            at += len as usize;
            let kept = sentence
                .iter()
                .map(|&p| rows.get(p as usize).copied().unwrap_or(u32::MAX))
                .filter(|&r| r != u32::MAX);
            packer.push(kept, u64::from(len), &mut emit)?;
        }
        let raw = packer.finish(&mut emit)?;
        Ok((bytes <= self.budget).then_some(Encoded { chunks, raw }))
    }
}

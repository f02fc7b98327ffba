//! # recsys
//!
//! Embeddings for the sparse IDs of recommender data. Data flows one way:
//!
//! ```text
//! files ──data──▶ Interactions / Catalog ──features (schemas)──▶ ids
//!       ──models::<algo>──▶ Model (named tables + vocabularies)
//!       ──checkpoint::save──▶ manifest.json + tensors.safetensors + vocab/
//!       ──similarity::Lookup──▶ neighbours, recommendations (CLI, library, serve: HTTP)
//! ```
//!
//! ```no_run
//! use recsys::{data, models::{als::Als, Trainer, TrainContext}, checkpoint, similarity::Lookup};
//! # fn main() -> recsys::Result<()> {
//! let ds = data::load_dataset("datasets/synthetic/movies.csv".as_ref(), &Default::default())?;
//! let model = Als::default().fit(&ds.interactions, ds.catalog.as_ref(), &TrainContext::default())?;
//! checkpoint::save(&model, "recsys-model".as_ref())?;
//! let lookup = Lookup::open("recsys-model".as_ref())?;
//! let (key, _) = lookup.find_title("iron harbor")?;
//! for hit in lookup.similar_items(&key, 5)? {
//!     println!("{} {:?} {:.3}", hit.key, hit.title, hit.score);
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod ann;
pub mod checkpoint;
pub mod cluster;
pub mod data;
pub mod embedding;
pub mod error;
pub mod eval;
pub mod explore;
pub mod features;
pub mod fuzzing;
pub mod model;
pub mod models;
pub mod progress;
pub mod serve;
mod simd;
pub mod similarity;
pub mod synth;
pub mod text;
pub mod titles;
pub mod transfer;
pub mod tune;
pub mod vocab;

/// Hot-loop kernels reachable from `benches/kernels.rs`; not part of the stable API.
#[doc(hidden)]
pub mod kernels {
    /// `simd::grad_rows`: for each row `j` of `rows` (row length `x.len()`),
    /// `dx += g[j]·row_j`, then `row_j += g[j]·x` (the fastest path this CPU has).
    pub fn grad_rows(g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) {
        crate::simd::grad_rows(g, x, dx, rows);
    }
}

pub use error::{Error, Result};
pub use model::Model;
pub use vocab::Vocab;

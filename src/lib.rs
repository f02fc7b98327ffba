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
pub mod handoff;
pub mod kernels;
pub mod model;
pub mod models;
pub mod progress;
pub mod serve;
pub mod similarity;
pub mod synth;
pub mod text;
pub mod titles;
pub mod tokenize;
pub mod train;
pub mod transfer;
pub mod tune;
pub mod vocab;

pub use error::{Error, Result};
pub use model::Model;
pub use vocab::Vocab;

//! # inputgrad
//!
//! Executable theory and reproducible experiments on whether input gradients highlight
//! discriminative features, and why adversarially robust models' gradients do.
//!
//! * [`theory`] — exact f64 mathematics of the seed papers (no burn, no I/O).
//! * [`data`] — bytes on disk → arrays: MNIST/Fashion-MNIST, CIFAR, SVHN, ImageFolder, UCI tables,
//!   the BlockMNIST family; the data store (`check`, `fetch`).
//! * [`attribution`] — attribution methods (saliency, Integrated Gradients, SmoothGrad, SHAP,
//!   DeepLIFT, Guided Backprop, LRP, occlusion, controls) and the rankings metrics use.
//! * [`experiment`] — one spec per figure: `inputgrad run <id>` / `inputgrad plot <id>`.
//! * [`plot`] — figures (image grids, line plots, heat-map grids).
//! * [`verify`] — the registry of numerical checks behind `inputgrad verify` and `cargo test`.
//! * [`prec`] — named tolerances; [`rng`] — seeds; [`error`] — the error type; [`checksum`] —
//!   md5/sha256 fingerprints and official checksums; [`fsio`] — atomic writes.

pub mod attribution;
pub mod checksum;
pub mod cli;
pub mod data;
pub mod error;
pub mod experiment;
pub mod fsio;
pub mod metric;
pub mod model;
pub mod plot;
pub mod prec;
mod primitive;
pub mod rng;
pub mod theory;
pub mod train;
pub mod verify;

pub use data::{Dataset, ImageDataset, Normalization, Provenance, TableDataset};
pub use error::{Error, Result};
pub use rng::Seed;

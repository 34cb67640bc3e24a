//! # inputgrad
//!
//! Executable theory and reproducible experiments on whether input gradients highlight
//! discriminative features, and why adversarially robust models' gradients do.
//!
//! * [`theory`] — exact f64 mathematics of the seed papers (no burn, no I/O).
//! * [`verify`] — the registry of numerical checks behind `inputgrad verify` and `cargo test`.
//! * [`prec`] — named tolerances; [`rng`] — seeds; [`error`] — the error type.

pub mod cli;
pub mod error;
pub mod prec;
pub mod rng;
pub mod theory;
pub mod verify;

pub use error::{Error, Result};
pub use rng::Seed;

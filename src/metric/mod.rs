//! Metrics computed from trained models.
//!
//! * [`robustness`] — accuracy under an attack (e.g. PGD-20, seed 003's tables; 2× the training
//!   steps, seed 000 App. C.1).

pub mod robustness;

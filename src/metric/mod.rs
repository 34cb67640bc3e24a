//! Metrics computed from trained models.
//!
//! * [`robustness`] — accuracy under an attack (e.g. PGD-20, seed 003's tables; 2× the training
//!   steps, seed 000 App. C.1).
//! * [`diff_roar`] — unmasking, fills, PredPower by retraining, DiffROAR (seed 000 §3).

pub mod diff_roar;
pub mod robustness;

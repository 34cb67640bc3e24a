//! Metrics computed from trained models.
//!
//! * [`robustness`] — accuracy under an attack (e.g. PGD-20, seed 003's tables; 2× the training
//!   steps, seed 000 App. C.1).
//! * [`diff_roar`] — unmasking, fills, PredPower by retraining, DiffROAR (seed 000 §3).
//! * [`correlation`] — Pearson and Spearman correlation (seed 000 Fig 24).
//! * [`mask`] — metrics against a ground-truth mask: the null-block proxy (seed 000 App. D.1),
//!   relevance mass / rank accuracy, pointing game, and the eq (2) block shares.

pub mod correlation;
pub mod diff_roar;
pub mod mask;
pub mod robustness;

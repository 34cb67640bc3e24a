//! Metrics computed from trained models.
//!
//! * [`robustness`] — accuracy under an attack (e.g. PGD-20, seed 003's tables; 2× the training
//!   steps, seed 000 App. C.1).
//! * [`diff_roar`] — unmasking, fills, PredPower by retraining, DiffROAR (seed 000 §3).
//! * [`correlation`] — Pearson and Spearman correlation (seed 000 Fig 24).
//! * [`insertion`] — the insertion game of Petsiuk et al. 2018 (seed 003 A.7).
//! * [`manifold`] — on/off-manifold noise, softmax ℓ1 output change, ρ₁/ρ₂ (seed 004 Def 1–2),
//!   masked noise (seed 004 Fig 4).
//! * [`similarity`] — cosine, SSIM and max-|·| normalisation (seed 004's alignment measures).
//! * [`ood`] — AUROC of out-of-distribution detection by a score (seed 003 A.4).
//! * [`mask`] — metrics against a ground-truth mask: the null-block proxy (seed 000 App. D.1),
//!   relevance mass / rank accuracy, pointing game, seed 003's M_leakage, and the eq (2) block
//!   shares.
//! * [`lpips`] — the LPIPS perceptual distance (Zhang et al. 2018, v0.1, AlexNet trunk).

pub mod correlation;
pub mod diff_roar;
pub mod insertion;
pub mod lpips;
pub mod manifold;
pub mod mask;
pub mod ood;
pub mod robustness;
pub mod similarity;

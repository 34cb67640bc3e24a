//! Training: threat models, attacks, objectives, the training loop and its checkpoints.
//!
//! * [`threat`] — ℓ∞ / ℓ2 balls intersected with the pixel box: project, step, random start.
//! * [`attack`] — PGD (steps, step size, restarts, random start) and FGSM.
//! * [`objective`] — what a step minimises (standard, adversarial, noise, penalised).
//! * [`penalty`] — the regularisers of seeds 001–004 (weights, input gradients, marginal density,
//!   smoothness, curvature), exact on dense nets and by finite differences on any model.
//! * [`trainer`] — SGD / Adam, schedules, early stop, evaluation, exact resume.
//! * [`checkpoint`] — atomic, self-checking checkpoint files.
//! * [`regress`] — Adam on an unsupervised loss (seed 004's autoencoder and denoiser).
//! * [`job`] — one standalone training run into a folder (history.csv, robust evaluation,
//!   meta.json), as `inputgrad train` performs it.
//! * [`heap`] — executables' switch that keeps freed tensor buffers for reuse (glibc).

pub mod attack;
pub mod checkpoint;
pub mod heap;
pub mod job;
pub mod objective;
pub mod penalty;
pub mod regress;
mod sgd;
pub mod threat;
pub mod trainer;
pub mod wide;

pub use attack::{perturb, Attack, Pgd};
pub use checkpoint::{CheckpointStore, DirStore, MemoryStore};
pub use objective::Objective;
pub use penalty::{DensityForm, GradOf, PNorm, Penalty, Route};
pub use regress::{fit, FitConfig};
pub use threat::{Norm, ThreatModel};
pub use trainer::{evaluate, train, Augment, EpochRecord, Examples, OptimizerSpec, RunOptions, Schedule, StepStats, StopReason, TrainConfig, TrainOutcome, TrainStep};

/// The CPU backend: burn-ndarray, f32.
#[cfg(not(feature = "flex"))]
pub type Cpu = burn::backend::NdArray<f32>;
/// The CPU backend: burn-flex, f32 (`--features flex`).
#[cfg(feature = "flex")]
pub type Cpu = burn_flex::Flex;
/// The CPU backend, in words (recorded in meta.json). The `blas` build names OpenBLAS: its
/// matrix products sum in another order, so the same seed gives other last bits than the
/// default build.
pub const CPU_BACKEND: &str = if cfg!(feature = "flex") {
    "burn-flex cpu f32"
} else if cfg!(feature = "blas") {
    "burn-ndarray+openblas cpu f32"
} else {
    "burn-ndarray cpu f32"
};
/// The CPU backend with autodiff (training, attacks, gradients).
pub type CpuAutodiff = burn::backend::Autodiff<Cpu>;

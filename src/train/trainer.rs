//! The training loop: SGD with momentum / Adam, weight decay, step schedules, early stop on a
//! small training loss, evaluation each epoch, checkpoints and exact resume.
//!
//! Every random quantity of a step — the epoch's shuffle, augmentation, attack starts — is drawn
//! from a stream derived from `(seed, epoch, step)`, never from a generator carried across steps.
//! A run resumed from a checkpoint taken after any step therefore replays exactly the steps it
//! would have taken, and reaches bitwise the same weights on the CPU as an uninterrupted run.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use ndarray::ArrayView2;
use rand::seq::SliceRandom;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::checkpoint::{Checkpoint, CheckpointStore};
use super::objective::Objective;
use crate::error::{Error, Result};
use crate::attribution::target::cross_entropy;
use crate::model::Classifier;
use crate::rng::Seed;

/// Streams derived from the run's seed (fixed, so checkpoints stay valid across versions).
const STREAM_SHUFFLE: u64 = 1;
const STREAM_AUGMENT: u64 = 2;
const STREAM_OBJECTIVE: u64 = 3;

/// Set by the Ctrl-C / SIGTERM handler ([`install_interrupt_handler`]); the trainer checkpoints
/// and stops at the next step boundary.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs a Ctrl-C / SIGTERM handler that asks running trainers to checkpoint and stop.
/// Safe to call more than once.
pub fn install_interrupt_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // If another handler is installed already, interrupts simply end the process.
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    });
}

/// Whether an interrupt (Ctrl-C / SIGTERM) arrived since [`install_interrupt_handler`]: long
/// phases other than training (the cells of `run`, attribution) stop at their next boundary.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Asks every long loop of this process to stop as an interrupt would (for programs that embed
/// the library and have their own signal handling, and for tests). There is no way back: an
/// interrupted process finishes what it must save and ends.
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Optimiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerSpec {
    /// SGD with heavy-ball momentum as PyTorch defines it (v ← μv + g, θ ← θ − lr·v; no
    /// dampening) and L2 weight decay added to the gradient.
    Sgd {
        /// Initial learning rate.
        lr: f64,
        /// Momentum μ (0 = plain SGD).
        momentum: f64,
        /// Weight decay (L2 coefficient added to the gradient).
        weight_decay: f64,
        /// Nesterov momentum.
        #[serde(default)]
        nesterov: bool,
    },
    /// Adam (Kingma & Ba), PyTorch's defaults β = (0.9, 0.999), ε = 1e-8 unless given.
    Adam {
        /// Learning rate.
        lr: f64,
        /// β₁.
        #[serde(default = "beta1")]
        beta1: f64,
        /// β₂.
        #[serde(default = "beta2")]
        beta2: f64,
        /// ε.
        #[serde(default = "adam_eps")]
        eps: f64,
        /// L2 weight decay added to the gradient.
        #[serde(default)]
        weight_decay: f64,
    },
}

fn beta1() -> f64 {
    0.9
}
fn beta2() -> f64 {
    0.999
}
fn adam_eps() -> f64 {
    1e-8
}

impl OptimizerSpec {
    /// The initial learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr, .. } => *lr,
        }
    }

    fn validate(&self) -> Result<()> {
        let check = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(Error::InvalidParam { name: name.into(), reason: format!("must be {}, got {v}", crate::error::allowed_range(lo, hi)) })
            }
        };
        match self {
            OptimizerSpec::Sgd { lr, momentum, weight_decay, .. } => {
                check("optimizer.lr", *lr, 0.0, f64::MAX)?;
                check("optimizer.momentum", *momentum, 0.0, 1.0)?;
                check("optimizer.weight_decay", *weight_decay, 0.0, f64::MAX)
            }
            OptimizerSpec::Adam { lr, beta1, beta2, eps, weight_decay } => {
                check("optimizer.lr", *lr, 0.0, f64::MAX)?;
                check("optimizer.beta1", *beta1, 0.0, 1.0)?;
                check("optimizer.beta2", *beta2, 0.0, 1.0)?;
                check("optimizer.eps", *eps, 0.0, f64::MAX)?;
                check("optimizer.weight_decay", *weight_decay, 0.0, f64::MAX)
            }
        }
    }
}

/// Learning-rate schedule over epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Schedule {
    /// The initial rate throughout.
    Constant,
    /// Multiply by `factor` every `every` epochs (seed 000: ×0.75 every 20 epochs).
    Step {
        /// Period in epochs.
        every: usize,
        /// Factor.
        factor: f64,
    },
    /// Like [`Schedule::Step`], but never below `floor` (seed 002 §III.C: ×0.75 every 50 epochs
    /// "to a minimum of 0.001").
    StepFloor {
        /// Period in epochs.
        every: usize,
        /// Factor.
        factor: f64,
        /// Smallest rate.
        floor: f64,
    },
}

impl Schedule {
    /// The rate in `epoch` (0-based) from the initial rate `lr0`.
    pub fn lr(&self, lr0: f64, epoch: usize) -> f64 {
        match self {
            Schedule::Constant => lr0,
            Schedule::Step { every, factor } => lr0 * factor.powi((epoch / (*every).max(1)) as i32),
            Schedule::StepFloor { every, factor, floor } => (lr0 * factor.powi((epoch / (*every).max(1)) as i32)).max(*floor),
        }
    }
}

/// Data augmentation applied to each training batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Augment {
    /// None.
    #[default]
    None,
    /// "Standard augmentation" for CIFAR-style images: random crop after zero-padding by `pad`
    /// pixels (zero in the normalised input space), and a horizontal flip with probability ½.
    CropFlip {
        /// Padding in pixels (4 for 32×32 CIFAR).
        pad: usize,
    },
    /// Swaps the top and bottom halves of each image with probability ½ (images of even height):
    /// on BlockMNIST this re-draws the signal/null placement each time an example is drawn (seed
    /// 003 A.8.1, "each BlockMNIST sample is generated by randomly attaching the null block"), since
    /// a built image is its two 28×28 blocks stacked.
    SwapHalves,
}

/// Hyperparameters of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Mini-batch size (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Optimiser and its initial learning rate.
    pub optimizer: OptimizerSpec,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Stop after an epoch whose mean training loss is below this (seed 000: 0.001).
    pub stop_below_loss: Option<f64>,
    /// Augmentation.
    #[serde(default)]
    pub augment: Augment,
    /// The run's seed (shuffling, augmentation, attack starts).
    pub seed: Seed,
    /// A step whose loss exceeds this (or is not finite) stops the run with an error.
    pub divergence_loss: f64,
}

/// Training losses above this are treated as divergence: cross-entropy of a uniform guess over
/// 1000 classes is ln 1000 ≈ 6.9, so 1e4 is far beyond any sane training run.
pub const DEFAULT_DIVERGENCE_LOSS: f64 = 1e4;

impl TrainConfig {
    /// Seed 000 §4 / App. C.1: SGD lr 0.1, momentum 0.9, weight decay 5e-4, batch 256, lr ×0.75
    /// every 20 epochs, stop when the training cross-entropy is below 0.001 (at most `epochs`).
    pub fn seed000(epochs: usize, seed: Seed) -> Self {
        TrainConfig {
            epochs,
            batch_size: 256,
            optimizer: OptimizerSpec::Sgd { lr: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: false },
            schedule: Schedule::Step { every: 20, factor: 0.75 },
            stop_below_loss: Some(1e-3),
            augment: Augment::None,
            seed,
            divergence_loss: DEFAULT_DIVERGENCE_LOSS,
        }
    }

    /// Seed 001 App. J.1 (MNIST): Adam with learning rate 1e-4, batch 50.
    pub fn seed001_mnist(epochs: usize, seed: Seed) -> Self {
        TrainConfig {
            epochs,
            batch_size: 50,
            optimizer: OptimizerSpec::Adam { lr: 1e-4, beta1: beta1(), beta2: beta2(), eps: adam_eps(), weight_decay: 0.0 },
            schedule: Schedule::Constant,
            stop_below_loss: None,
            augment: Augment::None,
            seed,
            divergence_loss: DEFAULT_DIVERGENCE_LOSS,
        }
    }

    /// Validates the configuration.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::InvalidParam { name: "batch_size".into(), reason: "must be at least 1".into() });
        }
        if let Schedule::Step { every, factor } | Schedule::StepFloor { every, factor, .. } = &self.schedule {
            if *every == 0 || !(factor.is_finite() && *factor > 0.0) {
                return Err(Error::InvalidParam { name: "schedule".into(), reason: format!("step schedule needs every >= 1 and factor > 0, got every = {every}, factor = {factor}") });
            }
        }
        if let Schedule::StepFloor { floor, .. } = &self.schedule {
            if !(floor.is_finite() && *floor >= 0.0) {
                return Err(Error::InvalidParam { name: "schedule.floor".into(), reason: format!("must be finite and >= 0, got {floor}") });
            }
        }
        if let Some(t) = self.stop_below_loss {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::InvalidParam { name: "stop_below_loss".into(), reason: format!("must be >= 0, got {t}") });
            }
        }
        if !(self.divergence_loss > 0.0) {
            return Err(Error::InvalidParam { name: "divergence_loss".into(), reason: format!("must be > 0, got {}", self.divergence_loss) });
        }
        self.optimizer.validate()
    }
}

/// Examples as flattened rows and their labels.
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    /// `[N, D]` inputs.
    pub x: ArrayView2<'a, f32>,
    /// `[N]` labels in `0..classes`.
    pub y: &'a [usize],
    /// `[C, H, W]` of one example if the rows are images (needed by image augmentation).
    pub image: Option<[usize; 3]>,
}

impl<'a> Examples<'a> {
    /// md5 of the inputs (little-endian f32, row by row), the labels and the image shape: equal
    /// fingerprints mean the same examples in the same order.
    pub fn fingerprint(&self) -> String {
        use md5::{Digest, Md5};
        let mut h = Md5::new();
        h.update((self.x.nrows() as u64).to_le_bytes());
        h.update((self.x.ncols() as u64).to_le_bytes());
        let mut buf = Vec::with_capacity(4 * self.x.ncols());
        for row in self.x.rows() {
            buf.clear();
            for v in row {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            h.update(&buf);
        }
        for &l in self.y {
            h.update((l as u64).to_le_bytes());
        }
        h.update(format!("{:?}", self.image).as_bytes());
        crate::checksum::hex(&h.finalize())
    }

    /// Checks that `x` and `y` agree and `image` matches the row length.
    pub fn new(x: ArrayView2<'a, f32>, y: &'a [usize], image: Option<[usize; 3]>) -> Result<Self> {
        if x.nrows() != y.len() {
            return Err(Error::Shape(format!("{} input rows but {} labels", x.nrows(), y.len())));
        }
        if let Some([c, h, w]) = image {
            if c * h * w != x.ncols() {
                return Err(Error::Shape(format!("image shape {c}x{h}x{w} does not match rows of length {}", x.ncols())));
            }
        }
        Ok(Examples { x, y, image })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Copies the rows `idx` into a batch (optionally augmented from `aug`).
    fn gather<B: Backend>(&self, idx: &[usize], augment: Augment, aug: Option<Seed>, device: &B::Device) -> Result<(Tensor<B, 2>, Tensor<B, 1, Int>)> {
        let d = self.x.ncols();
        let xs = self.rows(idx, augment, aug)?;
        let ys: Vec<i64> = idx.iter().map(|&i| self.y[i] as i64).collect();
        let x = Tensor::from_data(TensorData::new(xs, [idx.len(), d]), device);
        let y = Tensor::from_data(TensorData::new(ys, [idx.len()]), device);
        Ok((x, y))
    }

    /// The rows `idx` as one row-major buffer `[len(idx) · D]`, augmented with draws from `aug`
    /// (no augmentation without a seed): what a training batch holds.
    pub fn rows(&self, idx: &[usize], augment: Augment, aug: Option<Seed>) -> Result<Vec<f32>> {
        let d = self.x.ncols();
        if let Some(&bad) = idx.iter().find(|&&i| i >= self.len()) {
            return Err(Error::Shape(format!("row {bad} of {} examples", self.len())));
        }
        let mut xs = vec![0f32; idx.len() * d];
        match (augment, aug) {
            (Augment::CropFlip { pad }, Some(seed)) => {
                let [c, h, w] = self.image.ok_or_else(|| Error::InvalidParam {
                    name: "augment".into(),
                    reason: "crop-and-flip augmentation needs image inputs".into(),
                })?;
                let mut rng = seed.rng();
                for (k, &i) in idx.iter().enumerate() {
                    let dy = rng.random_range(0..=2 * pad) as isize - pad as isize;
                    let dx = rng.random_range(0..=2 * pad) as isize - pad as isize;
                    let flip = rng.random::<bool>();
                    let src = self.x.row(i);
                    let dst = &mut xs[k * d..(k + 1) * d];
                    for ch in 0..c {
                        for r in 0..h {
                            let sr = r as isize + dy;
                            if sr < 0 || sr >= h as isize {
                                continue;
                            }
                            for col in 0..w {
                                let cc = if flip { w - 1 - col } else { col } as isize + dx;
                                if cc < 0 || cc >= w as isize {
                                    continue;
                                }
                                dst[(ch * h + r) * w + col] = src[(ch * h + sr as usize) * w + cc as usize];
                            }
                        }
                    }
                }
            }
            (Augment::SwapHalves, Some(seed)) => {
                let [c, h, w] = self.image.filter(|[_, h, _]| h % 2 == 0).ok_or_else(|| Error::InvalidParam {
                    name: "augment".into(),
                    reason: format!("swapping halves needs image inputs of even height, got {:?}", self.image),
                })?;
                let mut rng = seed.rng();
                let half = h / 2 * w;
                for (k, &i) in idx.iter().enumerate() {
                    let swap = rng.random::<bool>();
                    let src = self.x.row(i);
                    let dst = &mut xs[k * d..(k + 1) * d];
                    for ch in 0..c {
                        let base = ch * h * w;
                        for j in 0..h * w {
                            let from = if swap { (j + half) % (h * w) } else { j };
                            dst[base + j] = src[base + from];
                        }
                    }
                }
            }
            _ => {
                for (k, &i) in idx.iter().enumerate() {
                    let row = self.x.row(i);
                    match row.as_slice() {
                        Some(s) => xs[k * d..(k + 1) * d].copy_from_slice(s),
                        None => xs[k * d..(k + 1) * d].iter_mut().zip(row.iter()).for_each(|(o, v)| *o = *v),
                    }
                }
            }
        }
        Ok(xs)
    }
}

/// One epoch's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 0-based epoch.
    pub epoch: usize,
    /// Learning rate used.
    pub lr: f64,
    /// Mean training loss of the objective over the epoch's steps (weighted by batch size).
    pub train_loss: f64,
    /// Training accuracy on the inputs the objective trained on (adversarial ones for AT).
    pub train_acc: f64,
    /// Clean test loss and accuracy, if test data were given.
    pub test_loss: Option<f64>,
    /// Clean test accuracy.
    pub test_acc: Option<f64>,
    /// Accuracy on the second held-out set of [`RunOptions::also_evaluate`], if given (e.g. the
    /// test set when `test` is a validation split used to select the epoch).
    #[serde(default)]
    pub also_acc: Option<f64>,
    /// Optimiser steps in the epoch.
    pub steps: usize,
    /// Wall-clock seconds of the epoch (training and evaluation).
    pub seconds: f64,
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StopReason {
    /// All epochs done.
    MaxEpochs,
    /// The epoch's mean training loss fell below `stop_below_loss`.
    LossBelow {
        /// The epoch after which it stopped.
        epoch: usize,
    },
    /// Interrupted (signal or `stop_after_steps`) after `global_step` steps.
    Interrupted {
        /// Optimiser steps completed.
        global_step: usize,
    },
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::MaxEpochs => write!(f, "all epochs done"),
            StopReason::LossBelow { epoch } => write!(f, "stopped after epoch {}: training loss below the threshold", epoch + 1),
            StopReason::Interrupted { global_step } => write!(f, "interrupted after {global_step} optimiser steps"),
        }
    }
}

/// The persisted state of a run between steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TrainState {
    /// What defines the run; a checkpoint of another run is refused, naming what differs.
    identity: RunIdentity,
    /// Epoch in progress (or the next to start).
    epoch: usize,
    /// Next step within the epoch.
    step: usize,
    /// Optimiser steps done in total.
    global_step: usize,
    /// Running sums of the epoch in progress.
    loss_sum: f64,
    correct: usize,
    seen: usize,
    seconds: f64,
    /// Finished epochs.
    history: Vec<EpochRecord>,
    /// Set once the run has ended normally.
    stop: Option<StopReason>,
}

/// Everything that defines a run, hashed part by part so that a refused resume can say which part
/// differs. The epoch budget is left out on purpose: a finished run may be extended with more
/// epochs (the learning-rate schedules depend on the epoch index only, never on the total, so the
/// extended run is the run that would have been trained with the larger budget from the start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RunIdentity {
    /// Training configuration without `epochs`.
    config: String,
    /// The objective.
    objective: String,
    /// Input shape, classes and parameter count.
    architecture: String,
    /// Inputs and labels of the training set, byte for byte (data set, class subset and limits).
    train_data: String,
    /// The same for the evaluation set, if any.
    test_data: Option<String>,
}

impl RunIdentity {
    fn of(cfg: &TrainConfig, objective: &Objective, arch: &str, train: &Examples<'_>, test: Option<&Examples<'_>>) -> Result<Self> {
        let mut c = cfg.clone();
        c.epochs = 0;
        let json = |v: serde_json::Value| crate::checksum::md5_hex(v.to_string().as_bytes());
        Ok(RunIdentity {
            config: json(serde_json::to_value(&c).map_err(|e| Error::Shape(format!("training configuration: {e}")))?),
            objective: json(serde_json::to_value(objective).map_err(|e| Error::Shape(format!("objective: {e}")))?),
            architecture: arch.to_string(),
            train_data: train.fingerprint(),
            test_data: test.map(Examples::fingerprint),
        })
    }

    /// The parts that differ from `other`, in words.
    fn differences(&self, other: &RunIdentity) -> Vec<&'static str> {
        let mut d = Vec::new();
        if self.config != other.config {
            d.push("training configuration (optimiser, learning rate, schedule, batch size, seed, …)");
        }
        if self.objective != other.objective {
            d.push("objective");
        }
        if self.architecture != other.architecture {
            d.push("model architecture");
        }
        if self.train_data != other.train_data {
            d.push("training data (data set, classes or limits)");
        }
        if self.test_data != other.test_data {
            d.push("test data (data set, classes or limits)");
        }
        d
    }
}

/// How a run is driven beyond its configuration.
pub struct RunOptions<'s> {
    /// Checkpoint store: saved after every epoch and on interrupt; loaded at start (resume).
    pub checkpoint: Option<&'s mut dyn CheckpointStore>,
    /// Stop after this many optimiser steps in total (simulates an interruption in tests).
    pub stop_after_steps: Option<usize>,
    /// Whether a stop by `stop_after_steps` writes a checkpoint first (true = a clean interrupt;
    /// false = a kill, which loses everything since the last epoch's checkpoint).
    pub save_on_stop: bool,
    /// Report progress on stderr: a progress bar within the epoch (only if stderr is a terminal and
    /// `CI` is unset), one line per finished epoch as it finishes and a line on resume (always, so
    /// that logs of Slurm, nohup or CI runs fill as the run goes).
    pub progress: bool,
    /// Evaluation batch size.
    pub eval_batch: usize,
    /// A second held-out set evaluated after every epoch (accuracy in [`EpochRecord::also_acc`]).
    pub also_evaluate: Option<&'s Examples<'s>>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions { checkpoint: None, stop_after_steps: None, save_on_stop: true, progress: false, eval_batch: 1000, also_evaluate: None }
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct TrainOutcome<M> {
    /// The trained model.
    pub model: M,
    /// One record per finished epoch (including epochs before a resume).
    pub history: Vec<EpochRecord>,
    /// Why it ended.
    pub stop: StopReason,
    /// Whether it started from a checkpoint.
    pub resumed: bool,
}

/// One optimiser step at a time: the update rule of [`train`] (same objective, same optimiser,
/// same arithmetic) for callers that drive their own loop, such as benchmarks.
///
/// [`train`] itself is built on it, so a sequence of [`TrainStep::step`] calls on the batches
/// `train` would draw, with the learning rates of its schedule and the per-step seeds it derives,
/// reaches the same weights.
pub struct TrainStep<B: AutodiffBackend, M: AutodiffModule<B>> {
    optim: Optim<B, M>,
}

/// What one [`TrainStep::step`] measured on its batch (before the update).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// The objective's value (mean over the batch).
    pub loss: f64,
    /// Examples whose training-mode logits put the label first (adversarial inputs for AT).
    pub correct: usize,
}

impl<B, M> TrainStep<B, M>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
    M::InnerModule: Classifier<B::InnerBackend>,
{
    /// A fresh optimiser (no momentum or moment estimates yet).
    pub fn new(optimizer: &OptimizerSpec) -> Result<Self> {
        optimizer.validate()?;
        Ok(TrainStep { optim: Optim::new(optimizer) })
    }

    /// Evaluates `objective` on the batch (`x` `[N, D]`, labels `y` `[N]`), backpropagates, and
    /// updates the parameters with learning rate `lr`. `seed` drives the objective's randomness.
    /// Returns the updated model and the loss and accuracy seen before the update.
    ///
    /// A non-finite loss is not an error here (the caller decides; [`train`] stops with
    /// [`Error::Diverged`]).
    ///
    /// # Shapes
    /// - `x`: `[N, D]`, `y`: `[N]`
    pub fn step(&mut self, model: M, objective: &Objective, x: Tensor<B, 2>, y: Tensor<B, 1, Int>, lr: f64, seed: Seed) -> Result<(M, StepStats)> {
        let _graph = crate::model::graph_lock::graph_lock();
        let (loss, logits) = objective.loss(&model, x, y.clone(), seed)?;
        let lv = f64::from(loss.clone().into_scalar().to_f32_lossy());
        let correct = count_correct(&logits.inner(), &y.inner());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let model = self.optim.step(lr, model, grads);
        Ok((model, StepStats { loss: lv, correct }))
    }
}

enum Optim<B: AutodiffBackend, M: AutodiffModule<B>> {
    /// The in-place update of [`super::sgd`] (burn's `Sgd` arithmetic and record layout).
    Sgd(OptimizerAdaptor<super::sgd::FusedSgd, M, B>),
    Adam(OptimizerAdaptor<Adam, M, B>),
}

type Rec = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// SGD with momentum as PyTorch defines it (no dampening), weight decay and Nesterov: the in-place
/// update of [`super::sgd`] — burn's `Sgd` arithmetic bit for bit and its record layout, in one pass
/// over parameter and velocity instead of five to seven tensor operations (on burn-ndarray and
/// burn-flex; burn's tensor operations on any other backend).
fn sgd_rule<B: AutodiffBackend, M: AutodiffModule<B>>(momentum: f64, weight_decay: f64, nesterov: bool) -> OptimizerAdaptor<super::sgd::FusedSgd, M, B> {
    OptimizerAdaptor::from(super::sgd::FusedSgd::new(momentum, 0.0, nesterov, weight_decay))
}

impl<B: AutodiffBackend, M: AutodiffModule<B>> Optim<B, M> {
    fn new(spec: &OptimizerSpec) -> Self {
        match spec {
            OptimizerSpec::Sgd { momentum, weight_decay, nesterov, .. } => Optim::Sgd(sgd_rule(*momentum, *weight_decay, *nesterov)),
            OptimizerSpec::Adam { beta1, beta2, eps, weight_decay, .. } => {
                let mut cfg = AdamConfig::new().with_beta_1(*beta1 as f32).with_beta_2(*beta2 as f32).with_epsilon(*eps as f32);
                if *weight_decay > 0.0 {
                    cfg = cfg.with_weight_decay(Some(WeightDecayConfig { penalty: *weight_decay as f32 }));
                }
                Optim::Adam(cfg.init())
            }
        }
    }

    fn step(&mut self, lr: f64, model: M, grads: GradientsParams) -> M {
        match self {
            Optim::Sgd(o) => o.step(lr, model, grads),
            Optim::Adam(o) => o.step(lr, model, grads),
        }
    }

    fn save(&self) -> Result<Vec<u8>> {
        let r = match self {
            Optim::Sgd(o) => Recorder::<B>::record(&Rec::new(), o.to_record(), ()),
            Optim::Adam(o) => Recorder::<B>::record(&Rec::new(), o.to_record(), ()),
        };
        r.map_err(|e| Error::Shape(format!("cannot serialise the optimiser state: {e}")))
    }

    fn load(self, bytes: Vec<u8>, device: &B::Device, what: &str) -> Result<Self> {
        let err = |e: burn::record::RecorderError| Error::Format { path: what.into(), reason: format!("optimiser state: {e}") };
        Ok(match self {
            Optim::Sgd(o) => Optim::Sgd(o.load_record(Recorder::<B>::load(&Rec::new(), bytes, device).map_err(err)?)),
            Optim::Adam(o) => Optim::Adam(o.load_record(Recorder::<B>::load(&Rec::new(), bytes, device).map_err(err)?)),
        })
    }
}

/// Serialises a model's parameters (full precision).
pub fn model_bytes<B: Backend, M: burn::module::Module<B>>(model: &M) -> Result<Vec<u8>> {
    Recorder::<B>::record(&Rec::new(), model.clone().into_record(), ())
        .map_err(|e| Error::Shape(format!("cannot serialise the model: {e}")))
}

/// Loads parameters serialised by [`model_bytes`] into a model of the same architecture.
pub fn load_model_bytes<B: Backend, M: burn::module::Module<B>>(model: M, bytes: Vec<u8>, device: &B::Device, what: &str) -> Result<M> {
    let rec = Recorder::<B>::load(&Rec::new(), bytes, device)
        .map_err(|e| Error::Format { path: what.into(), reason: format!("model record does not fit this architecture: {e}") })?;
    Ok(model.load_record(rec))
}

impl EpochRecord {
    /// One line for a log: epoch (1-based) of `epochs`, rate, training loss and accuracy, test
    /// accuracy, seconds.
    pub fn line(&self, epochs: usize) -> String {
        format!(
            "epoch {:>3}/{epochs}  lr {:.4}  train loss {:.5}  train acc {:.4}  test acc {}  {:.1}s",
            self.epoch + 1,
            self.lr,
            self.train_loss,
            self.train_acc,
            self.test_acc.map(|a| format!("{a:.4}")).unwrap_or_else(|| "-".into()),
            self.seconds
        )
    }
}

/// Mean cross-entropy and accuracy of `model` (evaluation mode) on `data`.
pub fn evaluate<B: Backend, M: Classifier<B>>(model: &M, data: &Examples<'_>, batch: usize, device: &B::Device) -> Result<(f64, f64)> {
    if data.is_empty() {
        return Err(Error::InvalidParam { name: "test data".into(), reason: "no examples".into() });
    }
    let mut loss = 0.0;
    let mut correct = 0usize;
    let idx: Vec<usize> = (0..data.len()).collect();
    for chunk in idx.chunks(batch.max(1)) {
        let (x, y) = data.gather::<B>(chunk, Augment::None, None, device)?;
        crate::model::check_input(model, &x)?;
        let logits = model.logits(x);
        correct += count_correct(&logits, &y);
        loss += f64::from(cross_entropy(logits, y).sum().into_scalar().to_f32_lossy());
    }
    Ok((loss / data.len() as f64, correct as f64 / data.len() as f64))
}

trait ToF32 {
    fn to_f32_lossy(self) -> f32;
}
impl<E: burn::tensor::Element> ToF32 for E {
    fn to_f32_lossy(self) -> f32 {
        burn::tensor::ElementConversion::elem::<f32>(self)
    }
}

fn count_correct<B: Backend>(logits: &Tensor<B, 2>, y: &Tensor<B, 1, Int>) -> usize {
    let n = y.dims()[0];
    let pred = logits.clone().argmax(1).reshape([n]);
    pred.equal(y.clone()).int().sum().into_scalar().to_f32_lossy() as usize
}

/// Trains `model` on `train` with `objective`, evaluating on `test` after each epoch.
///
/// With a checkpoint store that holds a checkpoint of the same run (same configuration, objective
/// and architecture), training resumes from it; a checkpoint of a finished run returns at once.
pub fn train<B, M>(
    model: M,
    train: &Examples<'_>,
    test: Option<&Examples<'_>>,
    cfg: &TrainConfig,
    objective: &Objective,
    mut opts: RunOptions<'_>,
    device: &B::Device,
) -> Result<TrainOutcome<M>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
    M::InnerModule: Classifier<B::InnerBackend>,
{
    cfg.validate()?;
    objective.validate()?;
    if train.is_empty() {
        return Err(Error::InvalidParam { name: "train data".into(), reason: "no examples".into() });
    }
    if let Some(&bad) = train.y.iter().find(|&&l| l >= model.num_classes()) {
        return Err(Error::InvalidParam { name: "labels".into(), reason: format!("label {bad} out of range for {} classes", model.num_classes()) });
    }
    if train.x.ncols() != model.input_shape().dim() {
        return Err(Error::Shape(format!("training rows have length {} but the model expects {:?}", train.x.ncols(), model.input_shape())));
    }
    let arch = format!("{:?}/{}/{}", model.input_shape(), model.num_classes(), model.num_params());
    let identity = RunIdentity::of(cfg, objective, &arch, train, test)?;
    let mut model = model;
    let mut stepper = TrainStep::<B, M>::new(&cfg.optimizer)?;
    let mut state = TrainState {
        identity: identity.clone(),
        epoch: 0,
        step: 0,
        global_step: 0,
        loss_sum: 0.0,
        correct: 0,
        seen: 0,
        seconds: 0.0,
        history: Vec::new(),
        stop: None,
    };
    let mut resumed = false;
    if let Some(store) = opts.checkpoint.as_deref() {
        if let Some(ck) = store.load()? {
            let what = store.describe();
            let raw: serde_json::Value = serde_json::from_slice(&ck.state)
                .map_err(|e| Error::Format { path: what.clone().into(), reason: format!("trainer state: {e}") })?;
            if raw.get("identity").is_none() && raw.get("run_hash").is_some() {
                return Err(Error::param(
                    "checkpoint",
                    format!("{what} was written by an older inputgrad that did not record the data a run was trained on, so it cannot be resumed safely; use a fresh output folder"),
                ));
            }
            let st: TrainState = serde_json::from_value(raw).map_err(|e| Error::Format { path: what.clone().into(), reason: format!("trainer state: {e}") })?;
            let differ = identity.differences(&st.identity);
            if !differ.is_empty() {
                return Err(Error::param(
                    "checkpoint",
                    format!("{what} holds another run: its {} differ from this one's; use a fresh output folder or the original arguments", differ.join(", ")),
                ));
            }
            if st.history.len() > cfg.epochs {
                return Err(Error::param(
                    "epochs",
                    format!("{what} holds a run with {} finished epochs, more than the {} asked for; a run cannot be shortened (use a fresh output folder)", st.history.len(), cfg.epochs),
                ));
            }
            model = load_model_bytes(model, ck.model, device, &what)?;
            stepper.optim = stepper.optim.load(ck.optim, device, &what)?;
            state = st;
            resumed = true;
            // A run that ended at its epoch budget continues when the budget grows.
            if state.stop == Some(StopReason::MaxEpochs) && state.epoch < cfg.epochs {
                state.stop = None;
                if opts.progress {
                    eprintln!("extending the finished run in {what} from {} to {} epochs", state.epoch, cfg.epochs);
                }
            }
            if let Some(stop) = state.stop.clone() {
                return Ok(TrainOutcome { model, history: state.history, stop, resumed });
            }
            if opts.progress {
                eprintln!(
                    "resumed from {what}: epoch {} of {}, step {} of the epoch ({} optimiser steps done)",
                    state.epoch + 1,
                    cfg.epochs,
                    state.step,
                    state.global_step
                );
            }
        }
    }

    let n = train.len();
    let bs = cfg.batch_size;
    let steps_per_epoch = n.div_ceil(bs);
    let show = opts.progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("CI").is_none();

    while state.epoch < cfg.epochs {
        let epoch = state.epoch;
        let lr = cfg.schedule.lr(cfg.optimizer.lr(), epoch);
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut cfg.seed.derive(STREAM_SHUFFLE).derive(epoch as u64).rng());
        let bar = if show {
            let b = indicatif::ProgressBar::new(steps_per_epoch as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template("epoch {msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message(format!("{}/{}", epoch + 1, cfg.epochs));
            b.set_position(state.step as u64);
            Some(b)
        } else {
            None
        };
        let t0 = std::time::Instant::now();
        while state.step < steps_per_epoch {
            let step = state.step;
            let idx = &perm[step * bs..((step + 1) * bs).min(n)];
            let step_seed = cfg.seed.derive(epoch as u64).derive(step as u64);
            let (x, y) = train.gather::<B>(idx, cfg.augment, Some(step_seed.derive(STREAM_AUGMENT)), device)?;
            let (next, StepStats { loss: lv, correct }) = stepper.step(model, objective, x, y, lr, step_seed.derive(STREAM_OBJECTIVE))?;
            if !lv.is_finite() || lv > cfg.divergence_loss {
                return Err(Error::Diverged {
                    step: state.global_step,
                    reason: format!("training loss {lv} at epoch {epoch}, step {step} (limit {})", cfg.divergence_loss),
                });
            }
            model = next;
            state.loss_sum += lv * idx.len() as f64;
            state.correct += correct;
            state.seen += idx.len();
            state.step += 1;
            state.global_step += 1;
            if let Some(b) = &bar {
                b.inc(1);
            }
            let stop_now = opts.stop_after_steps == Some(state.global_step) || INTERRUPTED.load(Ordering::SeqCst);
            if stop_now {
                state.seconds += t0.elapsed().as_secs_f64();
                let stop = StopReason::Interrupted { global_step: state.global_step };
                if opts.save_on_stop || INTERRUPTED.load(Ordering::SeqCst) {
                    if let Some(store) = opts.checkpoint.as_deref_mut() {
                        save(store, &state, &model, &stepper.optim)?;
                    }
                }
                if let Some(b) = bar {
                    b.abandon();
                }
                return Ok(TrainOutcome { model, history: state.history, stop, resumed });
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let (test_loss, test_acc) = match test {
            Some(t) => {
                let (l, a) = evaluate(&model.valid(), t, opts.eval_batch, device)?;
                (Some(l), Some(a))
            }
            None => (None, None),
        };
        let also_acc = match opts.also_evaluate {
            Some(t) => Some(evaluate(&model.valid(), t, opts.eval_batch, device)?.1),
            None => None,
        };
        let rec = EpochRecord {
            epoch,
            lr,
            train_loss: state.loss_sum / state.seen.max(1) as f64,
            train_acc: state.correct as f64 / state.seen.max(1) as f64,
            test_loss,
            test_acc,
            also_acc,
            steps: steps_per_epoch,
            seconds: state.seconds + t0.elapsed().as_secs_f64(),
        };
        let done_by_loss = cfg.stop_below_loss.is_some_and(|t| rec.train_loss < t);
        if opts.progress {
            eprintln!("{}", rec.line(cfg.epochs));
        }
        state.history.push(rec);
        state.epoch += 1;
        state.step = 0;
        state.loss_sum = 0.0;
        state.correct = 0;
        state.seen = 0;
        state.seconds = 0.0;
        if done_by_loss {
            state.stop = Some(StopReason::LossBelow { epoch });
        } else if state.epoch == cfg.epochs {
            state.stop = Some(StopReason::MaxEpochs);
        }
        if let Some(store) = opts.checkpoint.as_deref_mut() {
            save(store, &state, &model, &stepper.optim)?;
        }
        if let Some(stop) = state.stop.clone() {
            return Ok(TrainOutcome { model, history: state.history, stop, resumed });
        }
    }
    Ok(TrainOutcome { model, history: state.history, stop: StopReason::MaxEpochs, resumed })
}

fn save<B: AutodiffBackend, M: AutodiffModule<B>>(store: &mut dyn CheckpointStore, state: &TrainState, model: &M, optim: &Optim<B, M>) -> Result<()> {
    let ck = Checkpoint {
        state: serde_json::to_vec(state).map_err(|e| Error::Shape(format!("trainer state: {e}")))?,
        model: model_bytes::<B, M>(model)?,
        optim: optim.save()?,
    };
    store.save(&ck)
}

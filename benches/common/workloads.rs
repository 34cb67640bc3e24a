//! The four training-engine workloads of the side-by-side benchmark, shared by
//! examples/bench_train.rs (JSON lines next to benches/train_step.py) and benches/train_step.rs
//! (criterion). benches/train_step.py is the PyTorch reference doing the same work.
//!
//! * `train_step` — one SGD step (lr 0.1, momentum 0.9 without dampening, weight decay 5e-4) of
//!   the BlockMNIST MLP 1568 → 3136 → 3136 → 2 on a batch of 256 ([`TrainStep::step`]);
//! * `input_grad` — [`input_gradient`] of the per-example cross-entropy of the same model, batch 256;
//! * `pgd_at_step` — one PGD-8 adversarial training step (seed 000: ℓ∞, ε = 0.3, step ε/4, 8 steps,
//!   no random start, pixel box [0, 1]) of the same model, batch 256;
//! * `wide_gd` — one full-batch plain GD step (lr 0.1) of the mean-field MLP 10 → 50,000 → 2 on
//!   n = 1000 points (seed 000 Fig 31's setting).
//!
//! Sizes come from environment variables so CI can smoke-test quickly: `BENCH_BATCH`, `BENCH_IN`,
//! `BENCH_HIDDEN`, `BENCH_WIDE_N`, `BENCH_WIDE_D`, `BENCH_WIDE_WIDTH`, `BENCH_PGD_STEPS`.

#![allow(dead_code)]

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::{input_gradient, GradTarget};
use inputgrad::model::{build, Activation, InputShape, ModelSpec, Net};
use inputgrad::train::{Attack, Cpu, CpuAutodiff, Objective, OptimizerSpec, ThreatModel, TrainStep};
use inputgrad::Seed;
use rand::Rng as _;

pub type B = CpuAutodiff;

/// Seed 000 App. C.1's BlockMNIST ℓ∞ budget.
pub const EPS: f64 = 0.3;

/// The workload names, in the order the benchmarks run them.
pub const WORKLOADS: [&str; 4] = ["train_step", "input_grad", "pgd_at_step", "wide_gd"];

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

/// Workload sizes.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub batch: usize,
    pub d_in: usize,
    pub hidden: usize,
    pub wide_n: usize,
    pub wide_d: usize,
    pub wide_m: usize,
    pub pgd_steps: usize,
}

impl Sizes {
    /// The paper's sizes, each overridable by its environment variable.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Sizes {
            batch: env_usize("BENCH_BATCH", 256)?,
            d_in: env_usize("BENCH_IN", 1568)?,
            hidden: env_usize("BENCH_HIDDEN", 3136)?,
            wide_n: env_usize("BENCH_WIDE_N", 1000)?,
            wide_d: env_usize("BENCH_WIDE_D", 10)?,
            wide_m: env_usize("BENCH_WIDE_WIDTH", 50_000)?,
            pgd_steps: env_usize("BENCH_PGD_STEPS", 8)?,
        })
    }

    /// Matrix-product FLOPs of one training step of the MLP: forward, weight gradients, and input
    /// gradients of every layer but the first.
    pub fn train_flops(&self) -> f64 {
        let dims = [self.d_in, self.hidden, self.hidden, 2];
        let mats: Vec<f64> = (0..3).map(|i| (dims[i] * dims[i + 1]) as f64).collect();
        2.0 * self.batch as f64 * (2.0 * mats.iter().sum::<f64>() + mats[1..].iter().sum::<f64>())
    }
}

/// Uniform inputs in [0, 1) and labels in {0, 1}, from a fixed seed.
fn data(n: usize, d: usize, seed: u64) -> (Tensor<B, 2>, Tensor<B, 1, Int>) {
    let mut rng = Seed(seed).rng();
    let x: Vec<f32> = (0..n * d).map(|_| rng.random::<f32>()).collect();
    let y: Vec<i64> = (0..n).map(|_| rng.random_range(0..2)).collect();
    let dev = Default::default();
    (Tensor::from_data(TensorData::new(x, [n, d]), &dev), Tensor::from_data(TensorData::new(y, [n]), &dev))
}

fn mlp(s: &Sizes) -> anyhow::Result<Net<B>> {
    let spec = ModelSpec::Mlp { hidden: vec![s.hidden, s.hidden], activation: Activation::Relu, mean_field: false };
    Ok(build::<B>(&spec, InputShape::Flat(s.d_in), 2, Seed(0), &Default::default())?)
}

/// Seed 000's optimiser: SGD, momentum 0.9 (no dampening), weight decay 5e-4.
fn seed000_sgd() -> OptimizerSpec {
    OptimizerSpec::Sgd { lr: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: false }
}

/// One workload, ready to run repeatedly.
pub struct Workload {
    /// Examples processed per run.
    pub samples: usize,
    run: Box<dyn FnMut() -> anyhow::Result<()>>,
}

impl Workload {
    /// Runs it once.
    pub fn run(&mut self) -> anyhow::Result<()> {
        (self.run)()
    }

    /// Builds the workload `name` (one of [`WORKLOADS`]).
    pub fn new(name: &str, s: &Sizes) -> anyhow::Result<Self> {
        match name {
            "train_step" => training(mlp(s)?, seed000_sgd(), Objective::Standard, data(s.batch, s.d_in, 1)),
            "input_grad" => {
                let model = mlp(s)?;
                let (x, y) = data(s.batch, s.d_in, 1);
                let (x, target) = (x.inner(), GradTarget::Loss(y.inner()));
                Ok(Workload {
                    samples: s.batch,
                    run: Box::new(move || {
                        let (g, _) = input_gradient::<B, _>(&model, x.clone(), &target)?;
                        std::hint::black_box(g);
                        Ok(())
                    }),
                })
            }
            "pgd_at_step" => {
                let attack = match Attack::seed000_training(EPS) {
                    Attack::Pgd(mut p) => {
                        p.steps = s.pgd_steps;
                        Attack::Pgd(p)
                    }
                    other => other,
                };
                let objective = Objective::Adversarial { threat: ThreatModel::linf(EPS, Some((0.0, 1.0)))?, attack };
                training(mlp(s)?, seed000_sgd(), objective, data(s.batch, s.d_in, 1))
            }
            "wide_gd" => {
                let spec = ModelSpec::Mlp { hidden: vec![s.wide_m], activation: Activation::Relu, mean_field: true };
                let model = build::<B>(&spec, InputShape::Flat(s.wide_d), 2, Seed(0), &Default::default())?;
                let gd = OptimizerSpec::Sgd { lr: 0.1, momentum: 0.0, weight_decay: 0.0, nesterov: false };
                training(model, gd, Objective::Standard, data(s.wide_n, s.wide_d, 1))
            }
            other => anyhow::bail!("unknown workload {other:?} ({})", WORKLOADS.join(", ")),
        }
    }
}

/// One optimiser step of `objective` on the batch per run, carrying the model and optimiser
/// state from run to run.
fn training(model: Net<B>, optimizer: OptimizerSpec, objective: Objective, (x, y): (Tensor<B, 2>, Tensor<B, 1, Int>)) -> anyhow::Result<Workload> {
    let samples = y.dims()[0];
    let mut model = Some(model);
    let mut stepper = TrainStep::<B, Net<B>>::new(&optimizer)?;
    Ok(Workload {
        samples,
        run: Box::new(move || {
            let m = model.take().ok_or_else(|| anyhow::anyhow!("model lost by an earlier failed step"))?;
            let (m, _) = stepper.step(m, &objective, x.clone(), y.clone(), 0.1, Seed(0))?;
            model = Some(m);
            Ok(())
        }),
    })
}

/// Products `[m, k]·[k, n]` the way the MLP workloads compute them: a fully connected layer's
/// forward pass (bias zero) on the CPU backend. Returns the shapes' list of
/// closures with their FLOPs.
pub fn sgemm_cases(s: &Sizes) -> Vec<(f64, Box<dyn FnMut()>)> {
    let dev = Default::default();
    [(2048, 2048, 2048), (s.batch, s.hidden, s.hidden), (s.hidden, s.batch, s.hidden), (s.hidden, s.hidden, s.batch)]
        .into_iter()
        .map(|(m, k, n)| {
            let layer = Linear::<Cpu> {
                weight: Param::from_tensor(Tensor::random([k, n], burn::tensor::Distribution::Default, &dev)),
                bias: Some(Param::from_tensor(Tensor::zeros([n], &dev))),
            };
            let x = Tensor::<Cpu, 2>::random([m, k], burn::tensor::Distribution::Default, &dev);
            let f: Box<dyn FnMut()> = Box::new(move || {
                std::hint::black_box(layer.forward(x.clone()));
            });
            (2.0 * (m * k * n) as f64, f)
        })
        .collect()
}

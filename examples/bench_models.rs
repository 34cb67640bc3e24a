//! Rust side of the image-model benchmark: benches/models_side_by_side.sh runs it next to
//! benches/model_step.py (PyTorch, the same models, shapes and optimiser) and prints the ratios.
//!
//! For each model of `BENCH_MODELS` (comma list of `resnet18-imagenet`, `resnet18-cifar`,
//! `resnet50-imagenet`, `resnet50-cifar`; default the two ResNet18 stems) on BlockMNIST-shaped
//! inputs (1 × 56 × 28, 2 classes, uniform pixels in [0, 1), labels from a fixed seed) it times
//!
//! * `train_step` — one SGD step (momentum 0.9 without dampening, weight decay 5e-4, lr 0.02 as in
//!   the README's quick-scale ResNet runs) of the mean cross-entropy, batch norm in training mode;
//! * `input_grad` — the per-example input gradients of the cross-entropy in evaluation mode (what
//!   PGD and the attributions need), no parameter gradients.
//!
//! Prints one JSON line per (model, workload): samples/s of the best of `BENCH_REPEATS` (default 5)
//! timed runs after `BENCH_WARMUP` (default 2) untimed ones, each run ending with the device
//! synchronised. `BENCH_DEVICE` is `cpu` (default) or `cuda:N` (builds with `--features cuda`);
//! `BENCH_BATCH` (default 64), `BENCH_H` / `BENCH_W` (default 56 / 28) set the shapes,
//! `BENCH_WORKLOADS` (comma list) picks workloads.
//!
//! usage: cargo run --release --example bench_models

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::{input_gradient, GradTarget};
use inputgrad::model::{build, Activation, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem};
use inputgrad::train::{Objective, OptimizerSpec, TrainStep};
use inputgrad::Seed;
use rand::Rng as _;

/// The README's quick-scale ResNet learning rate (BlockMNIST, batch 64).
const LR: f64 = 0.02;
/// BlockMNIST's image: one channel, two 28 × 28 blocks stacked.
const CHANNELS: usize = 1;
const CLASSES: usize = 2;
/// The workloads, in the order they run by default.
const WORKLOADS: [&str; 2] = ["train_step", "input_grad"];

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

fn model_spec(name: &str) -> anyhow::Result<ModelSpec> {
    let (depth, stem) = match name {
        "resnet18-imagenet" => (ResNetDepth::R18, Stem::Imagenet),
        "resnet18-cifar" => (ResNetDepth::R18, Stem::Cifar),
        "resnet50-imagenet" => (ResNetDepth::R50, Stem::Imagenet),
        "resnet50-cifar" => (ResNetDepth::R50, Stem::Cifar),
        other => anyhow::bail!("BENCH_MODELS: unknown model {other:?} (resnet18-imagenet, resnet18-cifar, resnet50-imagenet, resnet50-cifar)"),
    };
    Ok(ModelSpec::ResNet { depth, stem, activation: Activation::Relu })
}

struct Settings {
    batch: usize,
    h: usize,
    w: usize,
    repeats: usize,
    warmup: usize,
    models: Vec<String>,
    workloads: Vec<String>,
}

/// Best wall time of `repeats` runs after `warmup` untimed ones; each run ends with the device
/// synchronised, so queued GPU work is inside the time that queued it.
fn best_time<B: Backend>(s: &Settings, device: &B::Device, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut run = || -> anyhow::Result<f64> {
        let t0 = Instant::now();
        f()?;
        B::sync(device).map_err(|e| anyhow::anyhow!("synchronising the device: {e:?}"))?;
        Ok(t0.elapsed().as_secs_f64())
    };
    for _ in 0..s.warmup {
        run()?;
    }
    let mut best = f64::INFINITY;
    for _ in 0..s.repeats.max(1) {
        best = best.min(run()?);
    }
    Ok(best)
}

fn bench<B: AutodiffBackend>(s: &Settings, device: &B::Device, device_name: &str) -> anyhow::Result<()>
where
    Net<B>: AutodiffModule<B>,
    <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let d = CHANNELS * s.h * s.w;
    let mut rng = Seed(1).rng();
    let x: Vec<f32> = (0..s.batch * d).map(|_| rng.random::<f32>()).collect();
    let y: Vec<i64> = (0..s.batch).map(|_| rng.random_range(0..CLASSES as i64)).collect();
    let x = Tensor::<B, 2>::from_data(TensorData::new(x, [s.batch, d]), device);
    let y = Tensor::<B, 1, Int>::from_data(TensorData::new(y, [s.batch]), device);
    let shape = InputShape::Image { c: CHANNELS, h: s.h, w: s.w };
    for name in &s.models {
        let spec = model_spec(name)?;
        for workload in &s.workloads {
            let model = build::<B>(&spec, shape, CLASSES, Seed(0), device)?;
            let t = match workload.as_str() {
                "train_step" => {
                    let sgd = OptimizerSpec::Sgd { lr: LR, momentum: 0.9, weight_decay: 5e-4, nesterov: false };
                    let mut stepper = TrainStep::<B, Net<B>>::new(&sgd)?;
                    let mut model = Some(model);
                    best_time::<B>(s, device, || {
                        let m = model.take().ok_or_else(|| anyhow::anyhow!("model lost by an earlier failed step"))?;
                        let (m, _) = stepper.step(m, &Objective::Standard, x.clone(), y.clone(), LR, Seed(0))?;
                        model = Some(m);
                        Ok(())
                    })?
                }
                "input_grad" => {
                    let (xi, target) = (x.clone().inner(), GradTarget::Loss(y.clone().inner()));
                    best_time::<B>(s, device, || {
                        let (g, _) = input_gradient::<B, _>(&model, xi.clone(), &target)?;
                        std::hint::black_box(g);
                        Ok(())
                    })?
                }
                other => anyhow::bail!("BENCH_WORKLOADS: unknown workload {other:?} ({})", WORKLOADS.join(", ")),
            };
            let row = serde_json::json!({
                "side": "rust",
                "device": device_name,
                "model": name,
                "workload": workload,
                "samples_per_s": s.batch as f64 / t,
                "seconds": t,
                "samples": s.batch,
            });
            println!("{row}");
        }
    }
    Ok(())
}

#[cfg(feature = "cuda")]
fn cuda(s: &Settings, name: &str) -> anyhow::Result<()> {
    let index: usize = name.strip_prefix("cuda:").unwrap_or("0").parse().map_err(|e| anyhow::anyhow!("BENCH_DEVICE={name}: expected cuda:N ({e})"))?;
    let device = burn::backend::cuda::CudaDevice::new(index);
    bench::<burn::backend::Autodiff<burn::backend::Cuda<f32>>>(s, &device, &format!("cuda:{index}"))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_s: &Settings, name: &str) -> anyhow::Result<()> {
    anyhow::bail!("BENCH_DEVICE={name}: this build has no GPU backend; build with `--features cuda`")
}

fn main() -> anyhow::Result<()> {
    inputgrad::train::heap::keep_freed_memory();
    let list = |var: &str, default: &str| -> Vec<String> {
        std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string()).split(',').filter(|w| !w.is_empty()).map(str::to_string).collect()
    };
    let s = Settings {
        batch: env_usize("BENCH_BATCH", 64)?,
        h: env_usize("BENCH_H", 56)?,
        w: env_usize("BENCH_W", 28)?,
        repeats: env_usize("BENCH_REPEATS", 5)?,
        warmup: env_usize("BENCH_WARMUP", 2)?,
        models: list("BENCH_MODELS", "resnet18-imagenet,resnet18-cifar"),
        workloads: list("BENCH_WORKLOADS", &WORKLOADS.join(",")),
    };
    for m in &s.models {
        model_spec(m)?;
    }
    if let Some(w) = s.workloads.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
        anyhow::bail!("BENCH_WORKLOADS: unknown workload {w:?} ({})", WORKLOADS.join(", "));
    }
    match std::env::var("BENCH_DEVICE").ok().filter(|v| !v.is_empty()).as_deref() {
        None | Some("cpu") => bench::<inputgrad::train::CpuAutodiff>(&s, &Default::default(), "cpu"),
        Some(d) if d.starts_with("cuda") => cuda(&s, d),
        Some(other) => anyhow::bail!("BENCH_DEVICE={other}: expected `cpu` or `cuda:N`"),
    }
}

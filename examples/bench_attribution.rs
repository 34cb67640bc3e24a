//! Rust side of the attribution benchmark: benches/attribution_side_by_side.sh runs it next to
//! benches/attribution_captum.py (Captum, the same models, shapes and method parameters) and
//! prints the ratios.
//!
//! Workloads, on a batch of `BENCH_BATCH` (default 256) BlockMNIST-shaped inputs (1 × 56 × 28,
//! uniform in [0, 1), 2 classes, target: the logit of the predicted class):
//! * `ig` — Integrated Gradients, Gauss–Legendre with 64 steps, zero baseline;
//! * `smoothgrad` — SmoothGrad of the saliency map, 50 samples, σ = 0.15 (input units).
//!
//! Models (`BENCH_MODELS`, comma list): `mlp` (seed 000's 1568 → 3136 → 3136 → 2) and `cnn` (the
//! Madry CNN). Weights are drawn from a fixed seed (the throughput does not depend on them).
//!
//! Prints one JSON line per (model, workload): examples/s of the best of `BENCH_REPEATS` (default
//! 1) timed runs after one untimed run, and the process's peak resident memory so far (the
//! script runs one process per line). `BENCH_MEMORY_MIB` sets the memory budget (default 1024).
//!
//! usage: cargo run --release --example bench_attribution

use std::time::Instant;

use burn::tensor::{Tensor, TensorData};
use inputgrad::attribution::{gradient, Attribution, Budget, IgRule, IntegratedGradients, NoiseKind, NoiseTunnel, Saliency, Sigma, Target};
use inputgrad::model::{build, Activation, InputShape, ModelSpec, Net};
use inputgrad::train::{CpuAutodiff, Cpu};
use inputgrad::Seed;
use rand::Rng as _;

/// Integrated Gradients steps and SmoothGrad samples and σ of the workloads (the attribution
/// issue's benchmark).
const IG_STEPS: usize = 64;
const SG_SAMPLES: usize = 50;
const SG_SIGMA: f64 = 0.15;
/// BlockMNIST's shape and classes.
const SHAPE: InputShape = InputShape::Image { c: 1, h: 56, w: 28 };
const CLASSES: usize = 2;

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

/// Peak resident set size of this process, bytes (Linux: `ru_maxrss` in KiB).
fn peak_rss() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: getrusage writes into the zeroed struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            return u.ru_maxrss as u64 * 1024;
        }
    }
    0
}

fn main() -> anyhow::Result<()> {
    // As the `inputgrad` binary: keep freed tensor buffers for reuse (train/heap.rs).
    inputgrad::train::heap::keep_freed_memory();
    let batch = env_usize("BENCH_BATCH", 256)?;
    let repeats = env_usize("BENCH_REPEATS", 1)?.max(1);
    let memory = env_usize("BENCH_MEMORY_MIB", 1024)? as u64;
    let models = std::env::var("BENCH_MODELS").unwrap_or_else(|_| "mlp,cnn".into());
    let workloads = std::env::var("BENCH_WORKLOADS").unwrap_or_else(|_| "ig,smoothgrad".into());
    let budget = Budget::mib(memory)?;
    let device = Default::default();
    let d = SHAPE.dim();
    let mut rng = Seed(1).rng();
    let xs: Vec<f32> = (0..batch * d).map(|_| rng.random::<f32>()).collect();
    let x: Tensor<Cpu, 2> = Tensor::from_data(TensorData::new(xs, [batch, d]), &device);
    for m in models.split(',') {
        let spec = match m {
            "mlp" => ModelSpec::two_hidden_2x(d),
            "cnn" => ModelSpec::MadryCnn { activation: Activation::Relu },
            other => anyhow::bail!("BENCH_MODELS: unknown model {other:?} (mlp, cnn)"),
        };
        let net: Net<CpuAutodiff> = build(&spec, SHAPE, CLASSES, Seed(2), &device)?;
        let logits = gradient::logits::<CpuAutodiff, _>(&net, x.clone())?;
        let target = Target::Logit(inputgrad::attribution::Class::Predicted).resolve(&logits, None)?;
        for w in workloads.split(',') {
            let method: Box<dyn Attribution<CpuAutodiff, Net<CpuAutodiff>>> = match w {
                "ig" => Box::new(IntegratedGradients { budget, ..IntegratedGradients::new(IgRule::GaussLegendre, IG_STEPS) }),
                "smoothgrad" => Box::new(NoiseTunnel { inner: Saliency { budget }, kind: NoiseKind::SmoothGrad, samples: SG_SAMPLES, sigma: Sigma::Absolute(SG_SIGMA), seed: Seed(3), budget }),
                other => anyhow::bail!("BENCH_WORKLOADS: unknown workload {other:?} (ig, smoothgrad)"),
            };
            let _ = method.attribute(&net, x.clone(), &target)?;
            let mut best = f64::INFINITY;
            for _ in 0..repeats {
                let t0 = Instant::now();
                let a = method.attribute(&net, x.clone(), &target)?;
                let _ = a.values.into_data();
                best = best.min(t0.elapsed().as_secs_f64());
            }
            println!(
                "{}",
                serde_json::json!({ "side": "rust", "model": m, "workload": w, "batch": batch, "examples_per_s": batch as f64 / best, "seconds": best,
                    "peak_rss_mib": peak_rss() as f64 / (1u64 << 20) as f64, "memory_budget_mib": memory, "threads": rayon::current_num_threads() })
            );
        }
    }
    Ok(())
}

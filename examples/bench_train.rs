//! Rust side of the training-engine benchmark: benches/train_side_by_side.sh runs it next to
//! benches/train_step.py (PyTorch, the same workloads and shapes) and prints the ratios.
//!
//! The workloads are in benches/common/workloads.rs (shared with the criterion bench
//! benches/train_step.rs): `train_step`, `input_grad`, `pgd_at_step`, `wide_gd`; plus `sgemm`,
//! the rate of the engine's own matrix products (a fully connected layer's forward pass), GFLOP/s.
//!
//! Prints one JSON line per workload: samples/s of the best of `BENCH_REPEATS` (default 5) timed
//! runs after `BENCH_WARMUP` (default 2) untimed ones. `BENCH_WORKLOADS` (comma list) picks
//! workloads; sizes come from the variables listed in benches/common/workloads.rs. Like the
//! `inputgrad` binary, it first makes glibc keep freed buffers (`train::heap`); `BENCH_HEAP=system`
//! leaves the allocator as it is. Each row records which (`heap`).
//!
//! usage: cargo run --release --example bench_train

#[path = "../benches/common/workloads.rs"]
mod workloads;

use std::time::Instant;

use workloads::{Sizes, Workload, WORKLOADS};

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

/// Best wall time of `repeats` runs after `warmup` untimed ones.
fn best_time(warmup: usize, repeats: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    for _ in 0..warmup {
        f()?;
    }
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        f()?;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn main() -> anyhow::Result<()> {
    // What the `inputgrad` binary does at start (train/heap.rs), unless BENCH_HEAP=system.
    let heap = match std::env::var("BENCH_HEAP").as_deref() {
        Ok("system") => "system".to_string(),
        Ok("" | "keep") | Err(_) => format!("{:?}", inputgrad::train::heap::keep_freed_memory()),
        Ok(other) => anyhow::bail!("BENCH_HEAP={other:?}: expected `keep` (the default) or `system`"),
    };
    let s = Sizes::from_env()?;
    let repeats = env_usize("BENCH_REPEATS", 5)?;
    let warmup = env_usize("BENCH_WARMUP", 2)?;
    let default = format!("sgemm,{}", WORKLOADS.join(","));
    let names = std::env::var("BENCH_WORKLOADS").unwrap_or(default);
    for name in names.split(',').filter(|w| !w.is_empty()) {
        if name == "sgemm" {
            let mut best = 0f64;
            for (flops, mut f) in workloads::sgemm_cases(&s) {
                let t = best_time(warmup, repeats, || {
                    f();
                    Ok(())
                })?;
                best = best.max(flops / t / 1e9);
            }
            println!("{}", serde_json::json!({ "side": "rust", "workload": "sgemm", "gflops": best }));
            continue;
        }
        let mut w = Workload::new(name, &s)?;
        let t = best_time(warmup, repeats, || w.run())?;
        let mut row = serde_json::json!({
            "side": "rust",
            "workload": name,
            "samples_per_s": w.samples as f64 / t,
            "seconds": t,
            "samples": w.samples,
            "heap": heap,
        });
        if name == "train_step" {
            row["gflops"] = (s.train_flops() / t / 1e9).into();
        }
        println!("{row}");
    }
    Ok(())
}

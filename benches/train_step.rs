//! Criterion benchmark of the training engine's four workloads (benches/common/workloads.rs):
//! one SGD step of the seed-000 MLP, its input gradients, one PGD-8 adversarial training step, and
//! one full-batch GD step of the wide mean-field MLP; throughput in examples (samples) per second.
//!
//! Absolute times mean little on their own (DESIGN.md habit 10): benches/train_side_by_side.sh
//! measures the same workloads next to PyTorch and reports ratios. This bench tracks changes of
//! the Rust side. Sizes shrink through environment variables for a quick smoke run, e.g.
//! `BENCH_BATCH=8 BENCH_IN=16 BENCH_HIDDEN=32 BENCH_WIDE_N=10 BENCH_WIDE_WIDTH=64 cargo bench --bench train_step`.

#[path = "common/workloads.rs"]
mod workloads;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use workloads::{Sizes, Workload, WORKLOADS};

fn train_step(c: &mut Criterion) {
    // As the `inputgrad` binary and examples/bench_train do (src/train/heap.rs).
    inputgrad::train::heap::keep_freed_memory();
    let s = Sizes::from_env().expect("valid BENCH_* sizes");
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    for name in WORKLOADS {
        let mut w = Workload::new(name, &s).expect("workload builds");
        group.throughput(Throughput::Elements(w.samples as u64));
        group.bench_function(name, |b| b.iter(|| w.run().expect("workload runs")));
    }
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);

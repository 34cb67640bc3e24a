//! Rust side of the BlockMNIST load-and-build benchmark (benches/blockmnist_side_by_side.sh runs it
//! next to benches/blockmnist_load.py and prints the ratio).
//!
//! Reads the 60k MNIST training IDX files (gzip, md5 for provenance included) and builds 10-class
//! BlockMNIST with masks; prints the best wall time of REPEATS runs and a placement-independent
//! checksum (sum of all pixels) that must agree with the numpy side.
//!
//! usage: cargo run --release --example bench_blockmnist -- [DATA_DIR] [REPEATS]

use std::path::PathBuf;
use std::time::Instant;

use inputgrad::data::block_mnist::{self, classes, BlockMnistSpec, NullKind, Placement};
use inputgrad::data::{idx, store, Normalization, Split};
use inputgrad::Seed;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = store::resolve_data_dir(args.next().map(PathBuf::from).as_deref());
    let repeats: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let spec = BlockMnistSpec { digits: classes::ALL.to_vec(), placement: Placement::Random, null: NullKind::Patch, seed: Seed(0) };
    let norm = Normalization::default();
    let (mut best, mut best_load, mut best_build) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let raw = idx::read_raw(&dir.join("mnist"), Split::Train)?;
        let t1 = Instant::now();
        let b = block_mnist::build(&raw, &spec, &norm)?;
        let t2 = Instant::now();
        best = best.min((t2 - t0).as_secs_f64());
        best_load = best_load.min((t1 - t0).as_secs_f64());
        best_build = best_build.min((t2 - t1).as_secs_f64());
        last = Some(b);
    }
    let b = last.ok_or_else(|| anyhow::anyhow!("no run"))?;
    let checksum: f64 = b.data.x.iter().map(|&v| v as f64).sum();
    let signal = b.data.signal_mask.as_ref().map(|m| m.iter().filter(|&&v| v).count()).unwrap_or(0);
    println!("rust_seconds {best:.6}   (read + gunzip + md5 + parse {best_load:.3} s, build {best_build:.3} s)");
    println!("n {} checksum {checksum:.3} signal_pixels {signal}", b.data.len());
    Ok(())
}

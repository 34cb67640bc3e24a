//! Rust side of the DiffROAR retraining-cell benchmark: benches/diffroar_side_by_side.sh runs it
//! next to benches/diffroar_cell_torch.py (PyTorch, the same cell) and prints the ratios.
//!
//! One cell of seed000_diffroar_fmnist retrains a fresh MLP on the top-k and on the bottom-k
//! unmasked Fashion-MNIST training set, evaluating the validation and the test split after every
//! epoch (metric::diff_roar::pred_power). This program builds such a pair of masked data sets
//! (k = 20 %, random-attribution masks, zero fill) from the first `BENCH_TRAIN` training images
//! (10 % held out for validation) and `BENCH_TEST` test images, writes them as .npy into
//! `BENCH_DIR` for the PyTorch side, then times the two retrainings: MLP 784 → W → W → 10 for each
//! W in `BENCH_WIDTHS` (default "256 1568": the quick and the paper width), SGD (lr 0.1, momentum
//! 0.9, weight decay 5e-4), batch 256, `BENCH_EPOCHS` epochs (default 8), no early stop.
//!
//! Prints one JSON line per width: seconds of the best of `BENCH_REPEATS` timed cells (one cell =
//! both retrainings) after one untimed.
//!
//! usage: INPUTGRAD_DATA=… BENCH_DIR=… cargo run --release --example bench_diffroar_cell

use std::path::PathBuf;
use std::time::Instant;

use inputgrad::attribution::rank::{Grouping, Keep, KeepFraction};
use inputgrad::data::{catalog, store, Normalization};
use inputgrad::metric::diff_roar::{pred_power, unmask_all, Fill, FillValues};
use inputgrad::model::{Activation, InputShape, ModelSpec};
use inputgrad::train::{Augment, CpuAutodiff, Examples, OptimizerSpec, Schedule, TrainConfig};
use inputgrad::Seed;
use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;
use rand::Rng as _;

/// The kept fraction of the benchmark's masks.
const K: f64 = 0.2;
/// Validation share of the training images.
const VALIDATION: f64 = 0.1;

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

fn save(dir: &std::path::Path, name: &str, x: &Array2<f32>, y: &[usize]) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(dir.join(format!("{name}_x.npy")))?;
    x.write_npy(&mut f)?;
    let mut f = std::fs::File::create(dir.join(format!("{name}_y.npy")))?;
    Array1::from_iter(y.iter().map(|&v| v as i64)).write_npy(&mut f)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    inputgrad::train::heap::keep_freed_memory();
    let n_train = env_usize("BENCH_TRAIN", 15000)?;
    let n_test = env_usize("BENCH_TEST", 5000)?;
    let epochs = env_usize("BENCH_EPOCHS", 8)?;
    let repeats = env_usize("BENCH_REPEATS", 1)?.max(1);
    let widths: Vec<usize> = std::env::var("BENCH_WIDTHS").unwrap_or_else(|_| "256 1568".into()).split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
    let dir = PathBuf::from(std::env::var("BENCH_DIR").map_err(|_| anyhow::anyhow!("set BENCH_DIR, the folder for the masked .npy files"))?);
    std::fs::create_dir_all(&dir)?;

    let data = catalog::load("fashion-mnist", &store::resolve_data_dir(None), None, Seed(0), &Normalization::default())?;
    let (tr_all, te) = (data.train.head(n_train), data.test.head(n_test));
    let shape = InputShape::Image { c: 1, h: 28, w: 28 };
    let x = tr_all.flattened();
    let n_val = (VALIDATION * x.nrows() as f64).round() as usize;
    let (xva, yva) = (x.slice(ndarray::s![..n_val, ..]).to_owned(), tr_all.labels[..n_val].to_vec());
    let (xtr, ytr) = (x.slice(ndarray::s![n_val.., ..]).to_owned(), tr_all.labels[n_val..].to_vec());
    let (xte, yte) = (te.flattened(), te.labels.clone());
    let fill = FillValues::from_data(Fill::Zero, xtr.view(), shape)?;
    let k = KeepFraction::new(K)?;
    let mut sets = Vec::new();
    for (name, keep) in [("top", Keep::Top(k)), ("bottom", Keep::Bottom(k))] {
        let mask = |x: &Array2<f32>, split: u64| -> anyhow::Result<Array2<f32>> {
            let mut rng = Seed(5).derive(split).rng();
            let scores: Vec<Vec<f32>> = (0..x.nrows()).map(|_| (0..x.ncols()).map(|_| rng.random::<f32>()).collect()).collect();
            Ok(unmask_all(x.view(), &scores, shape, Grouping::Coordinate, keep, &fill, |i| Seed(6).derive(split).derive(i as u64))?)
        };
        let (a, b, c) = (mask(&xtr, 0)?, mask(&xva, 1)?, mask(&xte, 2)?);
        save(&dir, &format!("{name}_train"), &a, &ytr)?;
        save(&dir, &format!("{name}_val"), &b, &yva)?;
        save(&dir, &format!("{name}_test"), &c, &yte)?;
        sets.push((a, b, c));
    }
    let device = Default::default();
    for w in widths {
        let arch = ModelSpec::Mlp { hidden: vec![w, w], activation: Activation::Relu, mean_field: false };
        let cfg = TrainConfig {
            epochs,
            batch_size: 256,
            optimizer: OptimizerSpec::Sgd { lr: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: false },
            schedule: Schedule::Step { every: 20, factor: 0.75 },
            stop_below_loss: None,
            augment: Augment::None,
            seed: Seed(7),
            divergence_loss: inputgrad::train::trainer::DEFAULT_DIVERGENCE_LOSS,
        };
        let cell = || -> anyhow::Result<(f64, f64)> {
            let mut acc = [0.0; 2];
            for (i, (a, b, c)) in sets.iter().enumerate() {
                let p = pred_power::<CpuAutodiff>(&arch, shape, 10, &Examples::new(a.view(), &ytr, Some([1, 28, 28]))?, &Examples::new(b.view(), &yva, Some([1, 28, 28]))?, &Examples::new(c.view(), &yte, Some([1, 28, 28]))?, &cfg, Seed(8), &device)?;
                acc[i] = p.test_accuracy;
            }
            Ok((acc[0], acc[1]))
        };
        cell()?;
        let mut best = f64::INFINITY;
        let mut accs = (0.0, 0.0);
        for _ in 0..repeats {
            let t0 = Instant::now();
            accs = cell()?;
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "{}",
            serde_json::json!({ "side": "rust", "width": w, "epochs": epochs, "train": ytr.len(), "val": yva.len(), "test": yte.len(), "seconds": best,
                "top_accuracy": accs.0, "bottom_accuracy": accs.1, "threads": rayon::current_num_threads() })
        );
    }
    Ok(())
}

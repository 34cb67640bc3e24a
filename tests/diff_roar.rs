//! DiffROAR's metric (src/metric/diff_roar.rs) against known answers: the fills, ROAD's
//! imputation on a linear image, the Student-t interval, and on data whose label lives in one
//! block of coordinates, the oracle attribution's DiffROAR at k = the block's fraction and the
//! random attribution's DiffROAR (seed 000 §3: E[DiffROAR(A_r)] = 0).

use inputgrad::attribution::rank::{Grouping, Keep, KeepFraction};
use inputgrad::metric::diff_roar::{mean_ci95, pred_power, road_impute, unmask, unmask_all, Fill, FillValues};
use inputgrad::model::{Activation, InputShape, ModelSpec};
use inputgrad::prec;
use inputgrad::rng::Seed;
use inputgrad::train::{Augment, CpuAutodiff, Examples, OptimizerSpec, Schedule, TrainConfig};
use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

#[test]
fn fills_put_the_named_value_in_removed_coordinates() {
    // Two channels of 2×2: channel means 1 and 3, overall mean 2.
    let x = Array2::from_shape_vec((2, 8), vec![0., 1., 1., 2., 3., 3., 3., 3., 2., 1., 1., 0., 3., 3., 3., 3.]).unwrap();
    let shape = InputShape::Image { c: 2, h: 2, w: 2 };
    let keep = [true, false, true, false, false, true, true, true];
    let row: Vec<f32> = x.row(0).to_vec();
    let zero = unmask(&row, &keep, &FillValues::from_data(Fill::Zero, x.view(), shape).unwrap(), shape, Seed(0)).unwrap();
    assert_eq!(zero, vec![0., 0., 1., 0., 0., 3., 3., 3.]);
    let mean = unmask(&row, &keep, &FillValues::from_data(Fill::Mean, x.view(), shape).unwrap(), shape, Seed(0)).unwrap();
    assert_eq!(mean, vec![0., 2., 1., 2., 2., 3., 3., 3.]);
    let cm = unmask(&row, &keep, &FillValues::from_data(Fill::ChannelMean, x.view(), shape).unwrap(), shape, Seed(0)).unwrap();
    assert_eq!(cm, vec![0., 1., 1., 1., 3., 3., 3., 3.]);
    // ROAD needs an image shape.
    let flat = InputShape::Flat(8);
    assert!(unmask(&row, &keep, &FillValues::from_data(Fill::Road, x.view(), flat).unwrap(), flat, Seed(0)).is_err());
}

#[test]
fn road_imputation_reproduces_a_linear_image_inside() {
    // The 8-neighbour stencil is symmetric, so a plane a + b·r + c·q is its own weighted mean at
    // every interior pixel: removing interior pixels of a plane must give the plane back.
    let (h, w) = (9, 11);
    let plane = |r: usize, q: usize| 0.3 + 0.05 * r as f32 - 0.02 * q as f32;
    let x: Vec<f32> = (0..h * w).map(|p| plane(p / w, p % w)).collect();
    let keep: Vec<bool> = (0..h * w).map(|p| {
        let (r, q) = (p / w, p % w);
        !(2..7).contains(&r) || !(3..8).contains(&q) || (r + q) % 3 == 0
    }).collect();
    let out = road_impute(&x, &keep, [1, h, w]);
    let worst = out.iter().zip(&x).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst < prec::F32_EXACT as f32, "ROAD imputation off a plane by {worst}");
    // With noise: the kept pixels stay exact and the removed ones scatter by about σ.
    let xm = Array2::from_shape_vec((1, h * w), x.clone()).unwrap();
    let fv = FillValues::from_data(Fill::Road, xm.view(), InputShape::Image { c: 1, h, w }).unwrap();
    let noisy = unmask(&x, &keep, &fv, InputShape::Image { c: 1, h, w }, Seed(3)).unwrap();
    for (i, k) in keep.iter().enumerate() {
        if *k {
            assert_eq!(noisy[i], x[i]);
        } else {
            assert!((noisy[i] - x[i]).abs() < (prec::DRAW_SIGMAS * fv.road_noise) as f32);
        }
    }
}

#[test]
fn the_interval_is_student_t() {
    // mean 2, s = 1, t(0.975, 2) = 4.302652729911275: half-width t·s/√3.
    let (m, h) = mean_ci95(&[1.0, 2.0, 3.0]);
    assert!((m - 2.0).abs() < prec::F64_FEW_OPS);
    assert!((h - 4.302652729911275 / 3f64.sqrt()).abs() < prec::T_QUANTILE, "{h}");
    assert!(mean_ci95(&[0.5]).1.is_nan());
}

/// d coordinates, the first `signal` of which carry the label (± μ plus noise); the rest are
/// pure noise.
fn block_data(n: usize, d: usize, signal: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = Seed(seed).rng();
    let mut x = Array2::<f32>::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let label = rng.random_range(0..2usize);
        for j in 0..d {
            let z: f64 = StandardNormal.sample(&mut rng);
            let mu = if j < signal { if label == 1 { 0.35 } else { -0.35 } } else { 0.0 };
            x[(i, j)] = (mu + z) as f32;
        }
        y.push(label);
    }
    (x, y)
}

const D: usize = 64;
const SIGNAL: usize = 16;

fn config(seed: u64) -> TrainConfig {
    TrainConfig {
        epochs: 8,
        batch_size: 64,
        optimizer: OptimizerSpec::Sgd { lr: 0.05, momentum: 0.9, weight_decay: 0.0, nesterov: false },
        schedule: Schedule::Constant,
        stop_below_loss: None,
        augment: Augment::None,
        seed: Seed(seed),
        divergence_loss: inputgrad::train::trainer::DEFAULT_DIVERGENCE_LOSS,
    }
}

/// PredPower of the top-k and the bottom-k of `scores` at k = SIGNAL / D, and the clean accuracy.
fn top_bottom(scores: &dyn Fn(usize) -> Vec<f32>, run: u64) -> (f64, f64) {
    let (xtr, ytr) = block_data(3000, D, SIGNAL, 1);
    let (xva, yva) = block_data(500, D, SIGNAL, 2);
    let (xte, yte) = block_data(1000, D, SIGNAL, 3);
    let shape = InputShape::Flat(D);
    let arch = ModelSpec::Mlp { hidden: vec![32], activation: Activation::Relu, mean_field: false };
    let fill = FillValues::from_data(Fill::Zero, xtr.view(), shape).unwrap();
    let k = KeepFraction::new(SIGNAL as f64 / D as f64).unwrap();
    let mut out = [0.0; 2];
    for (slot, keep) in [Keep::Top(k), Keep::Bottom(k)].into_iter().enumerate() {
        let un = |x: &Array2<f32>, base: u64| {
            let s: Vec<Vec<f32>> = (0..x.nrows()).map(|i| scores(i + base as usize)).collect();
            unmask_all(x.view(), &s, shape, Grouping::Coordinate, keep, &fill, |i| Seed(run).derive(base).derive(i as u64)).unwrap()
        };
        let (tr, va, te) = (un(&xtr, 0), un(&xva, 100_000), un(&xte, 200_000));
        let p = pred_power::<CpuAutodiff>(
            &arch,
            shape,
            2,
            &Examples::new(tr.view(), &ytr, None).unwrap(),
            &Examples::new(va.view(), &yva, None).unwrap(),
            &Examples::new(te.view(), &yte, None).unwrap(),
            &config(run),
            Seed(run),
            &Default::default(),
        )
        .unwrap();
        out[slot] = p.test_accuracy;
    }
    (out[0], out[1])
}

/// Accuracy of the Bayes classifier sgn(Σ_{j<SIGNAL} x_j) on the signal block: Φ(μ·√SIGNAL).
fn bayes_accuracy() -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).unwrap().cdf(0.35 * (SIGNAL as f64).sqrt())
}

#[test]
fn oracle_attribution_keeps_all_the_signal_and_random_keeps_none_on_average() {
    // Oracle: the ground-truth mask. Top-k at k = SIGNAL/D is exactly the signal block, so its
    // retrained accuracy is the (near-Bayes) clean accuracy Φ(0.35·4) = 0.919; the bottom-k is
    // pure noise, so chance.
    let oracle = |_: usize| (0..D).map(|j| if j < SIGNAL { 1.0 } else { 0.0 }).collect::<Vec<f32>>();
    let (top, bottom) = top_bottom(&oracle, 0);
    let bayes = bayes_accuracy();
    // 1000 test examples: a binomial standard error ≤ 0.016; 3 of them, plus the gap of a small
    // trained MLP to the Bayes rule (≤ 0.03 with 3000 examples in 64 dimensions).
    assert!(top > bayes - 0.08 && top < bayes + 0.05, "top-k PredPower {top:.3}, Bayes {bayes:.3}");
    assert!((bottom - 0.5).abs() < 0.05, "bottom-k PredPower {bottom:.3}, chance 0.5");
    assert!(top - bottom > bayes - 0.5 - 0.1, "DiffROAR {:.3}, expected ≈ {:.3}", top - bottom, bayes - 0.5);

    // Random attributions: top-k and bottom-k are exchangeable random subsets, E[DiffROAR] = 0.
    let mut diffs = Vec::new();
    for run in 1..=5u64 {
        let random = move |i: usize| {
            let mut rng = Seed(run).derive(7).derive(i as u64).rng();
            (0..D).map(|_| rng.random::<f32>()).collect::<Vec<f32>>()
        };
        let (t, b) = top_bottom(&random, run);
        diffs.push(t - b);
    }
    let (m, h) = mean_ci95(&diffs);
    assert!(m - h <= 0.0 && 0.0 <= m + h, "random DiffROAR {m:.3} ± {h:.3} over 5 runs excludes 0: {diffs:?}");
    // And it is far below the oracle's.
    assert!(m + h < top - bottom, "random {m:.3} ± {h:.3} vs oracle {:.3}", top - bottom);
}

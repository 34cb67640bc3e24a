//! DiffROAR (seed 000 §3, eq 1): the predictive power of the top-k minus that of the bottom-k
//! coordinates of an attribution, each measured by retraining a fresh model on the unmasked data.
//!
//! * [`unmask`] — x^S: the kept coordinates of x, the others filled ([`Fill`]: zero in pixel
//!   space as the paper, the scalar mean, the per-channel mean, or ROAD's noisy linear imputation).
//! * [`pred_power`] — PredPower_M(A): a fresh model of architecture M trained on the unmasked
//!   training set, the epoch selected on a validation split carved from the training set (never
//!   on the test set: the reference code selects on its test loader), its accuracy on the
//!   unmasked test set at that epoch.
//! * [`mean_ci95`] — mean and 95 % confidence half-width over runs (Student t).
//!
//! k is always the fraction of coordinates **kept** (`attribution::rank::Keep`).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use ndarray::{Array2, ArrayView2};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::attribution::rank::{keep_mask, Grouping, Keep};
use crate::error::{Error, Result};
use crate::model::{self, Classifier, InputShape, ModelSpec, Net};
use crate::rng::Seed;
use crate::train::{self, Examples, Objective, RunOptions, TrainConfig};

/// ROAD's imputation weights (Rong et al. 2022, "noisy linear imputation"): a removed pixel is the
/// weighted mean of its 8 neighbours, edge neighbours weighted 1/6 and diagonal ones 1/12.
const ROAD_EDGE: f64 = 1.0 / 6.0;
const ROAD_DIAGONAL: f64 = 1.0 / 12.0;
/// ROAD's default noise (`NoisyLinearImputer(noise=0.01)`), in units of the pixel range.
pub const ROAD_NOISE: f64 = 0.01;
/// Successive over-relaxation factor and stopping rule of the imputation's linear solve.
const SOR_OMEGA: f64 = 1.8;
const SOR_TOL: f64 = 1e-7;
const SOR_MAX_SWEEPS: usize = 5000;

/// What replaces the removed coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// Zero in the model's input units (pixel value 0: seed 000 §3, "zeroes out").
    #[default]
    Zero,
    /// The training data's mean value.
    Mean,
    /// The training data's mean value of each channel.
    ChannelMean,
    /// ROAD's noisy linear imputation from the kept neighbours (images only).
    Road,
}

/// A fill with the statistics it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FillValues {
    /// The kind.
    pub kind: Fill,
    /// Per-channel values (one value for `Mean` repeated over channels; zeros for `Zero`).
    pub channel: Vec<f32>,
    /// Noise of `Road` in input units.
    pub road_noise: f64,
}

impl FillValues {
    /// The fill of `kind` for data `x` `[N, C·H·W]` of `shape`; ROAD's noise is [`ROAD_NOISE`] of the
    /// data's range.
    ///
    /// # Shapes
    /// - `x`: `[N, shape.dim()]`, N ≥ 1
    pub fn from_data(kind: Fill, x: ArrayView2<'_, f32>, shape: InputShape) -> Result<Self> {
        let (c, hw) = match shape {
            InputShape::Image { c, h, w } => (c, h * w),
            InputShape::Flat(d) => (1, d),
        };
        if x.ncols() != c * hw || x.nrows() == 0 {
            return Err(Error::Shape(format!("fill statistics need [N, {}] data, got {:?}", c * hw, x.dim())));
        }
        let n = x.nrows() as f64;
        let channel_mean: Vec<f32> = (0..c).map(|k| (x.slice(ndarray::s![.., k * hw..(k + 1) * hw]).iter().map(|&v| f64::from(v)).sum::<f64>() / (n * hw as f64)) as f32).collect();
        let (lo, hi) = x.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let channel = match kind {
            Fill::Zero | Fill::Road => vec![0.0; c],
            Fill::Mean => vec![(channel_mean.iter().map(|&v| f64::from(v)).sum::<f64>() / c as f64) as f32; c],
            Fill::ChannelMean => channel_mean,
        };
        Ok(FillValues { kind, channel, road_noise: ROAD_NOISE * f64::from(hi - lo) })
    }
}

/// x^S: the coordinates of `x` where `keep` is true, the others filled; `seed` drives ROAD's
/// noise.
///
/// # Shapes
/// - `x`, `keep`: one example, `shape.dim()` entries
pub fn unmask(x: &[f32], keep: &[bool], fill: &FillValues, shape: InputShape, seed: Seed) -> Result<Vec<f32>> {
    if x.len() != keep.len() || x.len() != shape.dim() {
        return Err(Error::Shape(format!("unmask: {} values, {} mask entries, shape {:?}", x.len(), keep.len(), shape)));
    }
    let hw = match shape {
        InputShape::Image { h, w, .. } => h * w,
        InputShape::Flat(d) => d,
    };
    match fill.kind {
        Fill::Road => {
            let InputShape::Image { c, h, w } = shape else {
                return Err(Error::param("fill", "ROAD's imputation needs images"));
            };
            let mut out = road_impute(x, keep, [c, h, w]);
            let mut rng = seed.rng();
            for (v, k) in out.iter_mut().zip(keep) {
                if !k {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    *v += (z * fill.road_noise) as f32;
                }
            }
            Ok(out)
        }
        _ => Ok(x.iter().zip(keep).enumerate().map(|(i, (&v, &k))| if k { v } else { fill.channel[i / hw] }).collect()),
    }
}

/// ROAD's linear imputation without noise: every removed pixel equals the weighted mean of its
/// in-image neighbours (edge 1/6, diagonal 1/12, renormalised at the border), kept pixels fixed;
/// solved per channel by successive over-relaxation. A removed region with no kept pixel in its
/// channel is filled with 0.
///
/// # Shapes
/// - `x`, `keep`: one image `[C, H, W]` flattened (C·H·W entries); returns the same layout
pub fn road_impute(x: &[f32], keep: &[bool], [c, h, w]: [usize; 3]) -> Vec<f32> {
    let mut out: Vec<f64> = x.iter().zip(keep).map(|(&v, &k)| if k { f64::from(v) } else { 0.0 }).collect();
    let nbrs: [(isize, isize, f64); 8] =
        [(-1, 0, ROAD_EDGE), (1, 0, ROAD_EDGE), (0, -1, ROAD_EDGE), (0, 1, ROAD_EDGE), (-1, -1, ROAD_DIAGONAL), (-1, 1, ROAD_DIAGONAL), (1, -1, ROAD_DIAGONAL), (1, 1, ROAD_DIAGONAL)];
    for ch in 0..c {
        let base = ch * h * w;
        if !(0..h * w).any(|p| keep[base + p]) {
            continue;
        }
        let removed: Vec<usize> = (0..h * w).filter(|&p| !keep[base + p]).collect();
        for _ in 0..SOR_MAX_SWEEPS {
            let mut change = 0f64;
            for &p in &removed {
                let (r, q) = ((p / w) as isize, (p % w) as isize);
                let (mut num, mut den) = (0.0, 0.0);
                for &(dr, dq, wt) in &nbrs {
                    let (rr, qq) = (r + dr, q + dq);
                    if rr >= 0 && qq >= 0 && (rr as usize) < h && (qq as usize) < w {
                        num += wt * out[base + rr as usize * w + qq as usize];
                        den += wt;
                    }
                }
                let target = num / den;
                let cur = out[base + p];
                let new = cur + SOR_OMEGA * (target - cur);
                change = change.max((new - cur).abs());
                out[base + p] = new;
            }
            if change < SOR_TOL {
                break;
            }
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}

/// The unmasked copy of `x` `[N, D]`: row i keeps the coordinates its `keep` set (top-k or
/// bottom-k of `scores[i]`, ranked by `grouping`, ties from `tie(i)`) selects, the rest filled.
///
/// # Shapes
/// - `x`: `[N, D]`; `scores`: N rows of D; returns `[N, D]`
pub fn unmask_all(x: ArrayView2<'_, f32>, scores: &[Vec<f32>], shape: InputShape, grouping: Grouping, keep: Keep, fill: &FillValues, tie: impl Fn(usize) -> Seed) -> Result<Array2<f32>> {
    let (n, d) = x.dim();
    if scores.len() != n {
        return Err(Error::Shape(format!("{} attribution rows for {n} examples", scores.len())));
    }
    let mut out = Array2::<f32>::zeros((n, d));
    for i in 0..n {
        let row: Vec<f32> = x.row(i).iter().copied().collect();
        let mask = keep_mask(&scores[i], shape, grouping, keep, tie(i))?;
        let u = unmask(&row, &mask, fill, shape, tie(i).derive(1))?;
        out.row_mut(i).iter_mut().zip(u).for_each(|(o, v)| *o = v);
    }
    Ok(out)
}

/// What one retraining measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PredPower {
    /// Test accuracy at the selected epoch.
    pub test_accuracy: f64,
    /// Validation accuracy at the selected epoch (the best).
    pub val_accuracy: f64,
    /// The selected epoch (1-based).
    pub epoch: usize,
    /// Epochs trained.
    pub epochs: usize,
}

/// PredPower_M: trains a fresh `arch` (weights from `seed`) with `cfg` on `train`, evaluates
/// `val` and `test` after every epoch, and returns the test accuracy of the epoch with the best
/// validation accuracy (the earliest on ties).
///
/// # Shapes
/// - `train_set`, `val`, `test`: `[N, shape.dim()]` rows each (each its own N), N labels
#[allow(clippy::too_many_arguments)]
pub fn pred_power<'a, B>(arch: &ModelSpec, shape: InputShape, classes: usize, train_set: &Examples<'_>, val: &Examples<'_>, test: &'a Examples<'a>, cfg: &TrainConfig, seed: Seed, device: &B::Device) -> Result<PredPower>
where
    B: AutodiffBackend,
    Net<B>: AutodiffModule<B>,
    <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let net = model::build::<B>(arch, shape, classes, seed, device)?;
    let opts = RunOptions { also_evaluate: Some(test), ..RunOptions::default() };
    let out = train::train::<B, _>(net, train_set, Some(val), cfg, &Objective::Standard, opts, device)?;
    let mut best: Option<(f64, f64, usize)> = None;
    for r in &out.history {
        let (Some(v), Some(t)) = (r.test_acc, r.also_acc) else { continue };
        if best.is_none_or(|b| v > b.0) {
            best = Some((v, t, r.epoch + 1));
        }
    }
    let (val_accuracy, test_accuracy, epoch) = best.ok_or_else(|| Error::Shape("retraining finished no epoch".into()))?;
    Ok(PredPower { test_accuracy, val_accuracy, epoch, epochs: out.history.len() })
}

/// Mean and 95 % confidence half-width (Student t with n − 1 degrees of freedom) of `v`; the
/// half-width is NaN for fewer than two values.
pub fn mean_ci95(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = statrs::distribution::ContinuousCDF::inverse_cdf(&statrs::distribution::StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("n ≥ 2 degrees of freedom"), 0.975);
    (mean, t * (var / n as f64).sqrt())
}

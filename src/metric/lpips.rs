//! LPIPS, the learned perceptual image patch similarity of Zhang et al. 2018 ("The Unreasonable
//! Effectiveness of Deep Features as a Perceptual Metric", CVPR), version 0.1 with the AlexNet
//! trunk: the `lpips` package's `LPIPS(net='alex')` in eval mode, ported op for op.
//!
//! For two images x, y (values in [−1, 1]):
//!
//! 1. ScalingLayer: z = (v − shift) / scale per channel, shift = [−.030, −.088, −.188],
//!    scale = [.458, .448, .450] (`lpips/lpips.py`, class `ScalingLayer`).
//! 2. torchvision's AlexNet `features` — conv 11×11/4 pad 2 (3→64), ReLU, max-pool 3/2, conv 5×5
//!    pad 2 (64→192), ReLU, max-pool 3/2, conv 3×3 pad 1 (192→384), ReLU, conv 3×3 pad 1
//!    (384→256), ReLU, conv 3×3 pad 1 (256→256), ReLU — tapped after each of the five ReLUs
//!    (`lpips/pretrained_networks.py`, class `alexnet`: slices 0–1, 2–4, 5–7, 8–9, 10–11).
//! 3. Per tap l and position: unit-normalise over channels, f / (√(Σ_c f_c²) + 1e-10)
//!    (`lpips.normalize_tensor`), and take the squared difference of the two images' features.
//! 4. Weight the channels by the non-negative 1×1 head `lin{l}` (a bias-free `Conv2d(C_l, 1, 1)`;
//!    its dropout is inactive in eval mode), average over positions, and sum over the five taps.
//!
//! Images are passed flattened `[N, C·H·W]` (the crate's input layout) with their `[C, H, W]`
//! shape and the values of black and white in them (`range`; lpips's own range is
//! [`LPIPS_RANGE`] = [−1, 1], its `normalize=True` is the range (0, 1)). AlexNet needs
//! H, W ≥ [`MIN_SIZE`] = 31 (the second max-pool needs a 3×3 map). A one-channel (grayscale)
//! image is repeated to three channels, the usual way of feeding gray images to an RGB network
//! (torchvision's `Grayscale(num_output_channels=3)`) and also what lpips itself computes when
//! given one channel: its ScalingLayer broadcasts the channel against the three shifts
//! (tests/support/lpips_fixture.py asserts the two agree).
//!
//! Weights come from the two official files ([`Lpips::from_files`]): torchvision's
//! `alexnet-owt-7be5be79.pth` (keys `features.{0,3,6,8,10}.{weight,bias}`; a full AlexNet state
//! dict's `classifier.*` tensors are ignored) and lpips's `weights/v0.1/alex.pth` (keys
//! `lin{0..4}.model.1.weight`, shape `[1, C_l, 1, 1]`). Loading is strict otherwise (every key
//! present with its shape, no unknown key), and errors name the file and the key.
//!
//! One deviation, invisible in values: √ is taken of Σ_c f_c² clamped below at the smallest normal
//! f32 (1.2e-38). Where the sum is smaller, √ of it is below 1.1e-19, which vanishes when added to
//! the 1e-10 (f32's half ulp at 1e-10 is 3e-18), so the distance is the same number; but a
//! position where a ReLU layer is dead (all channels 0) gets a zero gradient instead of lpips's
//! 0·∞ = NaN, so input gradients of LPIPS stay finite.

use std::path::Path;

use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;
use burn::tensor::{s, Tensor, TensorData};

use crate::error::{Error, Result};
use crate::model::conv::{conv2d, max_pool2d};
use crate::model::init::Init;
pub use crate::model::pytorch::StateDict;
use crate::model::kernels::relu::relu;
use crate::rng::Seed;

/// Per-channel shift of lpips's ScalingLayer (`lpips/lpips.py`: `torch.Tensor([-.030,-.088,-.188])`).
pub const SHIFT: [f32; 3] = [-0.030, -0.088, -0.188];
/// Per-channel scale of lpips's ScalingLayer (`lpips/lpips.py`: `torch.Tensor([.458,.448,.450])`).
pub const SCALE: [f32; 3] = [0.458, 0.448, 0.450];
/// ε of the channel-wise unit normalisation (`lpips.normalize_tensor(in_feat, eps=1e-10)`).
pub const NORM_EPS: f32 = 1e-10;
/// Channels of the five taps (`lpips/lpips.py`: `self.chns = [64,192,384,256,256]` for 'alex').
pub const CHANNELS: [usize; 5] = [64, 192, 384, 256, 256];
/// The pixel range lpips expects: black −1, white 1 (its `forward` doc: "input is [-1, +1]").
pub const LPIPS_RANGE: (f32, f32) = (-1.0, 1.0);
/// Smallest H and W AlexNet's trunk accepts: conv1 maps 31 to 7, the first pool 7 to 3, and the
/// second pool needs 3 (lpips fails at 30, as tests/support/lpips_fixture.py checks).
pub const MIN_SIZE: usize = 31;

/// The convolutions of torchvision's AlexNet `features`: (index in `features`, in, out, kernel,
/// stride, padding) (torchvision/models/alexnet.py).
const CONVS: [(usize, usize, usize, usize, usize, usize); 5] =
    [(0, 3, 64, 11, 4, 2), (3, 64, 192, 5, 1, 2), (6, 192, 384, 3, 1, 1), (8, 384, 256, 3, 1, 1), (10, 256, 256, 3, 1, 1)];
/// Max-pooling (kernel 3, stride 2) precedes these convolutions (`features.2` and `features.5`).
const POOL_BEFORE: [bool; 5] = [false, true, true, false, false];
/// Prefix of the classifier tensors of a full AlexNet state dict, which LPIPS does not use.
const CLASSIFIER_PREFIX: &str = "classifier.";

/// The LPIPS network (AlexNet trunk, v0.1 heads).
#[derive(Module, Debug)]
pub struct Lpips<B: Backend> {
    /// `features.{0,3,6,8,10}` of torchvision's AlexNet, in order (with bias).
    pub convs: Vec<Conv2d<B>>,
    /// Head weights of `lin0..lin4`, `[C_l]` each (the file's `[1, C_l, 1, 1]`).
    pub heads: Vec<Param<Tensor<B, 1>>>,
}

impl<B: Backend> Lpips<B> {
    /// Seeded random weights: convolutions with PyTorch's default initialisation (torchvision's
    /// AlexNet keeps it, so this is lpips's `pnet_rand=True` trunk), heads drawn from PyTorch's
    /// default U(−1/√C, 1/√C) and folded to non-negative values, as the trained heads are (lpips's
    /// trainer clamps them at 0). For tests and untrained baselines, not a perceptual metric.
    pub fn random(seed: Seed, device: &B::Device) -> Self {
        let mut init = Init::<B>::new(seed, device);
        let convs = CONVS.iter().map(|&(_, c_in, c_out, k, stride, pad)| init.conv2d(c_in, c_out, k, stride, pad, true, false)).collect();
        let heads = CHANNELS.iter().map(|&c| Param::from_tensor(init.uniform([c], 1.0 / (c as f64).sqrt()).abs())).collect();
        Lpips { convs, heads }
    }

    /// Loads torchvision's AlexNet weights (`alexnet-owt-7be5be79.pth`, or any AlexNet state dict
    /// with the `features.*` keys) and lpips's heads (`weights/v0.1/alex.pth`).
    ///
    /// Errors (never panics) when a file cannot be read or parsed, or a key is missing, has the
    /// wrong shape or a non-float dtype, or is unknown; each error names the file and the key.
    pub fn from_files(alexnet: &Path, heads: &Path, device: &B::Device) -> Result<Self> {
        Self::from_weights(StateDict::open(alexnet)?, StateDict::open(heads)?, device)
    }

    /// [`Lpips::from_files`] from state dicts already read or built (see [`StateDict`]).
    pub fn from_weights(mut alexnet: StateDict, mut heads: StateDict, device: &B::Device) -> Result<Self> {
        let mut convs = Vec::with_capacity(CONVS.len());
        for &(i, c_in, c_out, k, stride, pad) in &CONVS {
            convs.push(Conv2d {
                weight: Param::from_tensor(alexnet.take(&format!("features.{i}.weight"), [c_out, c_in, k, k], device)?),
                bias: Some(Param::from_tensor(alexnet.take(&format!("features.{i}.bias"), [c_out], device)?)),
                stride: [stride, stride],
                kernel_size: [k, k],
                dilation: [1, 1],
                groups: 1,
                padding: PaddingConfig2d::Explicit(pad, pad, pad, pad),
            });
        }
        alexnet.finish_ignoring(|k| k.starts_with(CLASSIFIER_PREFIX), "LPIPS", "the trunk file has `features.*` keys, the heads file `lin{0..4}.model.1.weight`")?;
        let mut ws = Vec::with_capacity(CHANNELS.len());
        for (l, &c) in CHANNELS.iter().enumerate() {
            let w: Tensor<B, 4> = heads.take(&format!("lin{l}.model.1.weight"), [1, c, 1, 1], device)?;
            ws.push(Param::from_tensor(w.reshape([c])));
        }
        heads.finish_ignoring(|_| false, "LPIPS", "the trunk file has `features.*` keys, the heads file `lin{0..4}.model.1.weight`")?;
        Ok(Lpips { convs, heads: ws })
    }

    /// The five ReLU outputs of AlexNet's trunk for images already through the ScalingLayer.
    ///
    /// # Shapes
    /// - `z`: `[N, 3, H, W]`, H, W ≥ [`MIN_SIZE`] (smaller maps panic in the max-pooling;
    ///   [`Lpips::distance`] checks sizes first)
    /// - output `l`: `[N, CHANNELS[l], H_l, W_l]`; for 64×64 inputs 15², 7², 3², 3², 3²
    pub fn features(&self, z: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
        let mut taps = Vec::with_capacity(self.convs.len());
        let mut z = z;
        for (conv, &pool) in self.convs.iter().zip(&POOL_BEFORE) {
            if pool {
                z = max_pool2d(z, [3, 3], [2, 2], [0, 0]);
            }
            z = relu(conv2d(conv, z));
            taps.push(z.clone());
        }
        taps
    }

    /// LPIPS distance of each pair (x_i, y_i): the sum of [`Lpips::layer_distances`].
    ///
    /// # Shapes
    /// - `x`, `y`: `[N, C·H·W]` with `image` = `[C, H, W]`, C ∈ {1, 3}, H, W ≥ [`MIN_SIZE`]
    /// - output: `[N]`
    pub fn distance(&self, x: Tensor<B, 2>, y: Tensor<B, 2>, image: [usize; 3], range: (f32, f32)) -> Result<Tensor<B, 1>> {
        let n = x.dims()[0];
        let device = x.device();
        let terms = self.layer_distances(x, y, image, range)?;
        // Summed in lpips's order (`val += res[l]` for l = 0..4); there are five terms.
        Ok(terms.into_iter().reduce(|a, b| a + b).unwrap_or_else(|| Tensor::zeros([n], &device)))
    }

    /// The five per-tap terms of LPIPS (lpips's `retPerLayer=True` values): for tap l, the
    /// head-weighted squared difference of unit-normalised features, averaged over positions.
    /// `range` gives the values of black and white in `x` and `y` ([`LPIPS_RANGE`] for lpips's
    /// own convention); they are mapped affinely onto [−1, 1] first.
    ///
    /// Errors on a shape mismatch, C ∉ {1, 3}, H or W below [`MIN_SIZE`], or a range that is
    /// not finite with lo ≠ hi.
    ///
    /// # Shapes
    /// - `x`, `y`: `[N, C·H·W]` with `image` = `[C, H, W]`
    /// - output: five tensors `[N]`
    pub fn layer_distances(&self, x: Tensor<B, 2>, y: Tensor<B, 2>, image: [usize; 3], range: (f32, f32)) -> Result<Vec<Tensor<B, 1>>> {
        if self.convs.len() != CONVS.len() || self.heads.len() != CHANNELS.len() {
            return Err(Error::Shape(format!("LPIPS needs 5 convolutions and 5 heads, has {} and {}", self.convs.len(), self.heads.len())));
        }
        let [c, h, w] = image;
        let [n, d] = x.dims();
        if y.dims() != [n, d] {
            return Err(Error::Shape(format!("LPIPS: x is {:?} and y is {:?}; both must be [N, C·H·W]", x.dims(), y.dims())));
        }
        if c * h * w != d {
            return Err(Error::Shape(format!("LPIPS: rows of length {d} are not images of shape {image:?}")));
        }
        if c != 1 && c != 3 {
            return Err(Error::param("image", format!("LPIPS takes RGB (3-channel) or grayscale (1-channel) images, got {c} channels")));
        }
        if h < MIN_SIZE || w < MIN_SIZE {
            return Err(Error::param("image", format!("LPIPS (AlexNet) needs images of at least {MIN_SIZE}×{MIN_SIZE}, got {h}×{w}")));
        }
        let (lo, hi) = range;
        if !(lo.is_finite() && hi.is_finite()) || lo == hi {
            return Err(Error::param("range", format!("need finite black != white, got ({lo}, {hi})")));
        }
        let device = x.device();
        let mut z = Tensor::cat(vec![x, y], 0).reshape([2 * n, c, h, w]);
        if range != LPIPS_RANGE {
            // lpips's `normalize=True` computes 2v − 1 for the range (0, 1): the same operations.
            z = (z - lo).mul_scalar(2.0 / (hi - lo)) - 1.0;
        }
        if c == 1 {
            z = z.repeat_dim(1, 3);
        }
        let shift = Tensor::<B, 4>::from_data(TensorData::new(SHIFT.to_vec(), [1, 3, 1, 1]), &device);
        let scale = Tensor::<B, 4>::from_data(TensorData::new(SCALE.to_vec(), [1, 3, 1, 1]), &device);
        let z = (z - shift) / scale;
        let terms = self
            .features(z)
            .into_iter()
            .zip(&self.heads)
            .map(|(f, head)| {
                let [_, ch, fh, fw] = f.dims();
                let sq = f.clone() * f.clone();
                let norm = sq.sum_dim(1).clamp_min(f32::MIN_POSITIVE).sqrt() + NORM_EPS;
                let f = f / norm;
                let diff = f.clone().slice(s![0..n]) - f.slice(s![n..2 * n]);
                let weighted = (diff.clone() * diff) * head.val().reshape([1, ch, 1, 1]);
                weighted.sum_dim(1).reshape([n, fh * fw]).mean_dim(1).reshape([n])
            })
            .collect();
        Ok(terms)
    }
}

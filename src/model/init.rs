//! Seeded weight initialisers.
//!
//! Weights are drawn on the CPU from a ChaCha8 stream ([`Seed`]) and uploaded, so the same seed gives
//! the same initial weights on every backend, and tests running concurrently cannot interleave their
//! draws (burn's backend RNG is one global per device).

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, PaddingConfig2d};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::rng::{Rng, Seed};

/// A seeded source of initial weights on one device.
pub struct Init<'a, B: Backend> {
    rng: Rng,
    device: &'a B::Device,
}

impl<'a, B: Backend> Init<'a, B> {
    /// Starts the stream of `seed` on `device`.
    pub fn new(seed: Seed, device: &'a B::Device) -> Self {
        Init { rng: seed.rng(), device }
    }

    /// The device weights are created on.
    pub fn device(&self) -> &'a B::Device {
        self.device
    }

    /// A tensor of i.i.d. U(−bound, bound) entries.
    pub fn uniform<const D: usize>(&mut self, shape: [usize; D], bound: f64) -> Tensor<B, D> {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| ((self.rng.random::<f64>() * 2.0 - 1.0) * bound) as f32).collect();
        Tensor::from_data(TensorData::new(v, shape), self.device)
    }

    /// A tensor of i.i.d. N(0, std²) entries.
    pub fn normal<const D: usize>(&mut self, shape: [usize; D], std: f64) -> Tensor<B, D> {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut self.rng);
                (z * std) as f32
            })
            .collect();
        Tensor::from_data(TensorData::new(v, shape), self.device)
    }

    /// A tensor of constants.
    pub fn constant<const D: usize>(&mut self, shape: [usize; D], value: f64) -> Tensor<B, D> {
        Tensor::full(shape, value as f32, self.device)
    }

    /// A fully connected layer `d_in → d_out` with PyTorch's default initialisation
    /// (weights and bias U(−1/√d_in, 1/√d_in)), so results compare with PyTorch references.
    pub fn linear(&mut self, d_in: usize, d_out: usize, bias: bool) -> Linear<B> {
        let bound = 1.0 / (d_in as f64).sqrt();
        let weight = Param::from_tensor(self.uniform([d_in, d_out], bound));
        let bias = bias.then(|| Param::from_tensor(self.uniform([d_out], bound)));
        Linear { weight, bias }
    }

    /// A 2-d convolution with square kernel `k`, PyTorch's default initialisation
    /// (U(−1/√fan_in, 1/√fan_in), fan_in = c_in·k²) unless `kaiming_fan_out` is set, which draws
    /// N(0, 2/(c_out·k²)) as torchvision's ResNets do.
    pub fn conv2d(&mut self, c_in: usize, c_out: usize, k: usize, stride: usize, pad: usize, bias: bool, kaiming_fan_out: bool) -> Conv2d<B> {
        let fan_in = (c_in * k * k) as f64;
        let weight = if kaiming_fan_out {
            let std = (2.0 / (c_out * k * k) as f64).sqrt();
            self.normal([c_out, c_in, k, k], std)
        } else {
            self.uniform([c_out, c_in, k, k], 1.0 / fan_in.sqrt())
        };
        let bias = bias.then(|| Param::from_tensor(self.uniform([c_out], 1.0 / fan_in.sqrt())));
        Conv2d {
            weight: Param::from_tensor(weight),
            bias,
            stride: [stride, stride],
            kernel_size: [k, k],
            dilation: [1, 1],
            groups: 1,
            padding: PaddingConfig2d::Explicit(pad, pad, pad, pad),
        }
    }
}

//! VGG11 with batch normalisation (Simonyan & Zisserman 2015, configuration "A"), the CIFAR-style
//! variant seed 003 trains on BlockMNIST (A.8.2, "VGG11 models … on the BlockMNIST dataset").
//!
//! Features: conv 3×3 (padding 1) → BN → act for each number of the configuration
//! `64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M`, where M is a 2×2 max-pool with stride 2.
//! Classifier: global average pooling to 1×1, then one linear layer 512 → K. This is the common
//! CIFAR form of VGG (e.g. kuangliu/pytorch-cifar's `VGG('VGG11')`): on 32×32 inputs the five
//! pools leave 1×1 maps, so the 4096-wide ImageNet classifier is replaced by a single layer.
//!
//! **Small and non-square inputs.** Five 2×2 pools need H, W ≥ 32. A pool on a dimension whose
//! size is already 1 is skipped in that dimension (kernel and stride 1 there), so the network runs
//! on any H, W ≥ 1: BlockMNIST's 28×56 goes 28→14→7→3→1→1 rows and 56→28→14→7→3→1 columns, and
//! 32×32 inputs are pooled exactly as in the reference. The average pool then absorbs whatever
//! spatial size is left.
//!
//! Initialisation: PyTorch defaults (convolutions with bias, U(±1/√fan_in)), BN γ = 1, β = 0, as
//! in the CIFAR reference implementations.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use super::conv::{conv2d, max_pool2d};
use burn::tensor::Tensor;

use super::init::Init;
use super::norm::BatchNorm2d;
use super::resnet::global_avg_pool;
use super::{Activation, Classifier, InputShape, Mode};
use crate::error::{Error, Result};

/// One entry of a VGG configuration: a 3×3 convolution with this many output channels, or a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VggLayer {
    /// conv 3×3 (padding 1) → BN → act with the given output channels.
    Conv(usize),
    /// 2×2 max-pool with stride 2 (per dimension of size ≥ 2).
    Pool,
}

/// VGG11 = configuration "A" of Simonyan & Zisserman 2015, Table 1.
pub const VGG11: [VggLayer; 13] = {
    use VggLayer::{Conv, Pool};
    [Conv(64), Pool, Conv(128), Pool, Conv(256), Conv(256), Pool, Conv(512), Conv(512), Pool, Conv(512), Conv(512), Pool]
};

/// A 3×3 convolution followed by batch normalisation.
#[derive(Module, Debug)]
pub struct VggConv<B: Backend> {
    /// conv 3×3, padding 1, with bias.
    pub conv: Conv2d<B>,
    /// BN after `conv`.
    pub bn: BatchNorm2d<B>,
}

/// VGG11 with batch norm on flattened `[N, C·H·W]` images.
#[derive(Module, Debug)]
pub struct Vgg<B: Backend> {
    /// The convolutions of [`VGG11`] in order.
    pub convs: Vec<VggConv<B>>,
    /// Linear classifier 512 → K.
    pub classifier: Linear<B>,
    /// `pool_after[i]`: a max-pool follows `convs[i]`.
    #[module(skip)]
    pool_after: Vec<bool>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    input: InputShape,
    #[module(skip)]
    image: [usize; 3],
    classes: usize,
}

impl<B: Backend> Vgg<B> {
    /// Builds VGG11-BN for image inputs of shape `input` (any H, W ≥ 1); an error for flat inputs.
    pub fn new(init: &mut Init<'_, B>, input: InputShape, classes: usize, activation: Activation) -> Result<Self> {
        let [c, h, w] = input.image("vgg11")?;
        if c == 0 || h == 0 || w == 0 {
            return Err(Error::InvalidParam { name: "input".into(), reason: format!("vgg11 needs a non-empty image, got {c}×{h}×{w}") });
        }
        let mut convs = Vec::new();
        let mut pool_after = Vec::new();
        let mut c_in = c;
        for layer in VGG11 {
            match layer {
                VggLayer::Conv(c_out) => {
                    let conv = init.conv2d(c_in, c_out, 3, 1, 1, true, false);
                    convs.push(VggConv { conv, bn: BatchNorm2d::new(c_out, init.device()) });
                    pool_after.push(false);
                    c_in = c_out;
                }
                VggLayer::Pool => {
                    if let Some(last) = pool_after.last_mut() {
                        *last = true;
                    }
                }
            }
        }
        let classifier = init.linear(c_in, classes, true);
        Ok(Vgg { convs, classifier, pool_after, activation, input, image: [c, h, w], classes })
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Feature maps before global pooling.
    ///
    /// # Shapes
    /// - `x`: `[N, C·H·W]`
    /// - output: `[N, 512, H', W']`, H' = H halved (rounding down) five times but never below 1
    pub fn features(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 4> {
        let n = x.dims()[0];
        let [c, h, w] = self.image;
        let mut z = x.reshape([n, c, h, w]);
        for (layer, &pool) in self.convs.iter().zip(&self.pool_after) {
            z = self.activation.apply(layer.bn.forward(conv2d(&layer.conv, z), mode));
            if pool {
                z = pool_unless_unit(z);
            }
        }
        z
    }
}

/// 2×2 max-pool with stride 2 in each dimension of size ≥ 2; a dimension of size 1 is left as is.
fn pool_unless_unit<B: Backend>(z: Tensor<B, 4>) -> Tensor<B, 4> {
    let [_, _, h, w] = z.dims();
    let kh = if h >= 2 { 2 } else { 1 };
    let kw = if w >= 2 { 2 } else { 1 };
    if kh == 1 && kw == 1 {
        return z;
    }
    max_pool2d(z, [kh, kw], [kh, kw], [0, 0])
}

impl<B: Backend> Classifier<B> for Vgg<B> {
    /// # Shapes
    /// - `x`: `[N, C·H·W]`
    /// - output: `[N, K]`
    fn forward_mode(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 2> {
        super::kernels::fc::forward(&self.classifier, global_avg_pool(self.features(x, mode)))
    }
    fn input_shape(&self) -> InputShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.classes
    }
    fn program(&self) -> Option<Vec<super::program::Op<'_, B>>> {
        use super::program::Op;
        let [_, mut h, mut w] = self.image;
        let mut ops = vec![Op::Image(self.image)];
        for (i, (layer, &pool)) in self.convs.iter().zip(&self.pool_after).enumerate() {
            ops.push(Op::Conv { name: format!("convs[{i}].conv"), layer: &layer.conv });
            ops.push(Op::BatchNorm { name: format!("convs[{i}].bn"), layer: &layer.bn });
            ops.push(Op::Act { name: format!("convs[{i}] activation"), act: self.activation });
            if pool {
                // The kernel of `pool_unless_unit` at this layer's (padded 3×3, size-keeping) output.
                let kh = if h >= 2 { 2 } else { 1 };
                let kw = if w >= 2 { 2 } else { 1 };
                if kh > 1 || kw > 1 {
                    ops.push(Op::MaxPool { name: format!("convs[{i}] max-pool"), kernel: [kh, kw], stride: [kh, kw], padding: [0, 0] });
                }
                h /= kh;
                w /= kw;
            }
        }
        ops.push(Op::GlobalAvgPool);
        ops.push(Op::Flatten);
        ops.push(Op::Dense { name: "classifier".into(), layer: &self.classifier, scale: 1.0 });
        Some(ops)
    }
}

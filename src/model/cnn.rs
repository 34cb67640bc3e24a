//! Madry et al.'s MNIST CNN, the image model of seed 001 (App. J.1: "two convolutional layers with
//! 32 and 64 filters respectively, each followed by 2x2 max-pooling, and a fully connected layer of
//! size 1024"; the same network as Madry et al. 2017's MNIST challenge model, whose convolutions
//! are 5×5 with "same" padding).
//!
//! Layout: conv 5×5, 32 channels, padding 2 → act → max-pool 2×2 → conv 5×5, 64 channels,
//! padding 2 → act → max-pool 2×2 → fc 1024 → act → fc K. The padded convolutions keep H×W, each
//! pool halves it (rounding down), so the first fc layer has 64·⌊H/4⌋·⌊W/4⌋ inputs: 3136 for MNIST
//! (28×28), 6272 for BlockMNIST (28×56). Weights use PyTorch's default initialisation.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use super::conv::{conv2d, max_pool2d};
use burn::tensor::Tensor;

use super::init::Init;
use super::{Activation, Classifier, InputShape, Mode};
use crate::error::{Error, Result};

/// Channels of the two convolutions (seed 001 App. J.1).
const CHANNELS: [usize; 2] = [32, 64];
/// Kernel size of both convolutions, with padding 2 to keep H×W ("same" padding, Madry et al.).
const KERNEL: usize = 5;
/// Width of the hidden fully connected layer (seed 001 App. J.1).
const HIDDEN: usize = 1024;
/// Total down-sampling of the two 2×2 max-pools.
const DOWNSAMPLE: usize = 4;

/// The Madry MNIST CNN on flattened `[N, C·H·W]` images.
#[derive(Module, Debug)]
pub struct MadryCnn<B: Backend> {
    /// conv 5×5, C → 32.
    pub conv1: Conv2d<B>,
    /// conv 5×5, 32 → 64.
    pub conv2: Conv2d<B>,
    /// fc 64·⌊H/4⌋·⌊W/4⌋ → 1024.
    pub fc1: Linear<B>,
    /// fc 1024 → K.
    pub fc2: Linear<B>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    input: InputShape,
    /// `[C, H, W]` of `input`.
    #[module(skip)]
    image: [usize; 3],
    classes: usize,
}

impl<B: Backend> MadryCnn<B> {
    /// Builds the network for image inputs of shape `input`; an error for flat inputs or images
    /// smaller than 4×4 (two 2×2 poolings would leave nothing).
    pub fn new(init: &mut Init<'_, B>, input: InputShape, classes: usize, activation: Activation) -> Result<Self> {
        let [c, h, w] = input.image("madry_cnn")?;
        if h < DOWNSAMPLE || w < DOWNSAMPLE {
            return Err(Error::InvalidParam {
                name: "input".into(),
                reason: format!("madry_cnn needs images of at least 4×4 (two 2×2 max-pools); got {h}×{w}"),
            });
        }
        if c == 0 {
            return Err(Error::InvalidParam { name: "input".into(), reason: "madry_cnn needs at least one channel".into() });
        }
        let pad = KERNEL / 2;
        let conv1 = init.conv2d(c, CHANNELS[0], KERNEL, 1, pad, true, false);
        let conv2 = init.conv2d(CHANNELS[0], CHANNELS[1], KERNEL, 1, pad, true, false);
        let flat = CHANNELS[1] * (h / DOWNSAMPLE) * (w / DOWNSAMPLE);
        let fc1 = init.linear(flat, HIDDEN, true);
        let fc2 = init.linear(HIDDEN, classes, true);
        Ok(MadryCnn { conv1, conv2, fc1, fc2, activation, input, image: [c, h, w], classes })
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

/// 2×2 max-pool with stride 2 (floor), as `nn.MaxPool2d(2)`.
fn pool2<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    max_pool2d(x, [2, 2], [2, 2], [0, 0])
}

impl<B: Backend> Classifier<B> for MadryCnn<B> {
    /// # Shapes
    /// - `x`: `[N, C·H·W]`
    /// - output: `[N, K]`
    fn forward_mode(&self, x: Tensor<B, 2>, _mode: Mode) -> Tensor<B, 2> {
        let n = x.dims()[0];
        let [c, h, w] = self.image;
        let z = x.reshape([n, c, h, w]);
        let z = pool2(self.activation.apply(conv2d(&self.conv1, z)));
        let z = pool2(self.activation.apply(conv2d(&self.conv2, z)));
        let z = z.reshape([n, CHANNELS[1] * (h / DOWNSAMPLE) * (w / DOWNSAMPLE)]);
        let z = self.activation.apply(super::kernels::fc::forward(&self.fc1, z));
        super::kernels::fc::forward(&self.fc2, z)
    }
    fn input_shape(&self) -> InputShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.classes
    }
    fn program(&self) -> Option<Vec<super::program::Op<'_, B>>> {
        use super::program::Op;
        let act = self.activation;
        let pool = |name: &str| Op::MaxPool { name: name.into(), kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
        Some(vec![
            Op::Image(self.image),
            Op::Conv { name: "conv1".into(), layer: &self.conv1 },
            Op::Act { name: "conv1 activation".into(), act },
            pool("pool1"),
            Op::Conv { name: "conv2".into(), layer: &self.conv2 },
            Op::Act { name: "conv2 activation".into(), act },
            pool("pool2"),
            Op::Flatten,
            Op::Dense { name: "fc1".into(), layer: &self.fc1, scale: 1.0 },
            Op::Act { name: "fc1 activation".into(), act },
            Op::Dense { name: "fc2".into(), layer: &self.fc2, scale: 1.0 },
        ])
    }
}

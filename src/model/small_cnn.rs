//! A small convolutional network with or without batch normalisation: the quick-scale stand-in for
//! the VGG11 and ResNet18 rows of seed 003's Table 3 (whose point is how batch-norm layers interact
//! with the marginal-density penalty, A.2).
//!
//! Layout: for each entry c of `channels`, conv 3×3 (padding 1, with bias) to c channels →
//! [batch norm] → act → max-pool 2×2 (stride 2, floor); then flatten → fc K. The padded
//! convolutions keep H×W and each pool halves it, so the fc layer has c_last·⌊H/2^L⌋·⌊W/2^L⌋
//! inputs for L entries. Weights use PyTorch's default initialisation, BN γ = 1, β = 0.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::conv::{conv2d, max_pool2d};
use super::init::Init;
use super::norm::BatchNorm2d;
use super::{Activation, Classifier, InputShape, Mode};
use crate::error::{Error, Result};

/// Kernel size of every convolution (padding 1 keeps H×W).
const KERNEL: usize = 3;
/// Down-sampling of each 2×2 max-pool.
const POOL: usize = 2;

/// The small CNN on flattened `[N, C·H·W]` images.
#[derive(Module, Debug)]
pub struct SmallCnn<B: Backend> {
    /// The convolutions, input side first.
    pub convs: Vec<Conv2d<B>>,
    /// One batch norm after each convolution, or none.
    pub norms: Vec<BatchNorm2d<B>>,
    /// fc to the K logits.
    pub fc: Linear<B>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    input: InputShape,
    #[module(skip)]
    image: [usize; 3],
    classes: usize,
}

impl<B: Backend> SmallCnn<B> {
    /// Builds the network; an error for flat inputs, an empty channel list or images too small
    /// for the pools.
    pub fn new(init: &mut Init<'_, B>, input: InputShape, classes: usize, channels: &[usize], batch_norm: bool, activation: Activation) -> Result<Self> {
        let [c, h, w] = input.image("small_cnn")?;
        if channels.is_empty() || channels.contains(&0) || c == 0 {
            return Err(Error::InvalidParam { name: "channels".into(), reason: format!("small_cnn needs at least one convolution and non-zero channels, got {channels:?} on {c} input channels") });
        }
        let down = POOL.pow(channels.len() as u32);
        if h < down || w < down {
            return Err(Error::InvalidParam { name: "channels".into(), reason: format!("{} 2×2 pools need images of at least {down}×{down}; got {h}×{w}", channels.len()) });
        }
        let mut c_in = c;
        let (mut convs, mut norms) = (Vec::new(), Vec::new());
        for &c_out in channels {
            convs.push(init.conv2d(c_in, c_out, KERNEL, 1, KERNEL / 2, true, false));
            if batch_norm {
                norms.push(BatchNorm2d::new(c_out, init.device()));
            }
            c_in = c_out;
        }
        let fc = init.linear(c_in * (h / down) * (w / down), classes, true);
        Ok(SmallCnn { convs, norms, fc, activation, input, image: [c, h, w], classes })
    }

    fn flat(&self) -> usize {
        let down = POOL.pow(self.convs.len() as u32);
        let c = self.convs.last().map_or(0, |l| l.weight.dims()[0]);
        c * (self.image[1] / down) * (self.image[2] / down)
    }
}

fn pool2<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    max_pool2d(x, [POOL, POOL], [POOL, POOL], [0, 0])
}

impl<B: Backend> Classifier<B> for SmallCnn<B> {
    /// # Shapes
    /// - `x`: `[N, C·H·W]`
    /// - output: `[N, K]`
    fn forward_mode(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 2> {
        let n = x.dims()[0];
        let [c, h, w] = self.image;
        let mut z = x.reshape([n, c, h, w]);
        for (i, conv) in self.convs.iter().enumerate() {
            z = conv2d(conv, z);
            if let Some(bn) = self.norms.get(i) {
                z = bn.forward(z, mode);
            }
            z = pool2(self.activation.apply(z));
        }
        super::kernels::fc::forward(&self.fc, z.reshape([n, self.flat()]))
    }
    fn input_shape(&self) -> InputShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.classes
    }
    fn program(&self) -> Option<Vec<super::program::Op<'_, B>>> {
        use super::program::Op;
        let mut ops = vec![Op::Image(self.image)];
        for (i, conv) in self.convs.iter().enumerate() {
            ops.push(Op::Conv { name: format!("convs[{i}]"), layer: conv });
            if let Some(bn) = self.norms.get(i) {
                ops.push(Op::BatchNorm { name: format!("norms[{i}]"), layer: bn });
            }
            ops.push(Op::Act { name: format!("convs[{i}] activation"), act: self.activation });
            ops.push(Op::MaxPool { name: format!("convs[{i}] max-pool"), kernel: [POOL, POOL], stride: [POOL, POOL], padding: [0, 0] });
        }
        ops.push(Op::Flatten);
        ops.push(Op::Dense { name: "fc".into(), layer: &self.fc, scale: 1.0 });
        Some(ops)
    }
}

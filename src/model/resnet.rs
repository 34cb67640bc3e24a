//! ResNet18 and ResNet50 (He et al. 2016) with batch normalisation, as torchvision builds them,
//! and with the CIFAR stem of the ResNets trained on CIFAR and BlockMNIST (seed 003 A.8.2 trains
//! ResNet-18 on CIFAR-10/100; seed 000 trains ResNet18 in its DiffROAR experiments).
//!
//! * Stem: [`Stem::Cifar`] = conv 3×3, stride 1, padding 1, BN, act (no pooling);
//!   [`Stem::Imagenet`] = conv 7×7, stride 2, padding 3, BN, act, max-pool 3×3, stride 2, padding 1.
//! * Four stages of 64, 128, 256, 512 channels (×4 at the output of bottleneck blocks), the first
//!   with stride 1 and the others with stride 2 in their first block. ResNet18: basic blocks
//!   (two 3×3 convs) × [2, 2, 2, 2]; ResNet50: bottleneck blocks (1×1, 3×3 with the stride, 1×1
//!   with expansion 4, torchvision's "v1.5") × [3, 4, 6, 3].
//! * Every convolution is followed by batch normalisation ([`BatchNorm2d`]); a block whose input
//!   and output shapes differ adds a projection shortcut (1×1 conv with the stride, then BN).
//! * Global average pooling to 1×1, then a fully connected layer to K logits.
//!
//! Initialisation as torchvision: convolutions without bias, N(0, 2/(c_out·k²)) ("kaiming_normal_,
//! mode=fan_out"), BN γ = 1, β = 0, the final layer PyTorch's default `nn.Linear` initialisation.
//! Field names follow torchvision's state-dict keys, which [`super::pytorch::load_pytorch_resnet`]
//! reads.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use super::conv::{conv2d, max_pool2d};
use burn::tensor::Tensor;

use super::init::Init;
use super::norm::BatchNorm2d;
use super::{Activation, Classifier, InputShape, Mode, ResNetDepth, Stem};
use crate::error::{Error, Result};

/// Channels of the four stages (He et al. 2016, Table 1).
pub const STAGE_CHANNELS: [usize; 4] = [64, 128, 256, 512];
/// Output channels of a bottleneck block per stage channel (He et al. 2016, Table 1).
pub const BOTTLENECK_EXPANSION: usize = 4;

impl ResNetDepth {
    /// Blocks per stage (He et al. 2016, Table 1).
    pub fn blocks(self) -> [usize; 4] {
        match self {
            ResNetDepth::R18 => [2, 2, 2, 2],
            ResNetDepth::R50 => [3, 4, 6, 3],
        }
    }

    /// Output channels per stage channel: 1 for basic blocks, 4 for bottlenecks.
    pub fn expansion(self) -> usize {
        match self {
            ResNetDepth::R18 => 1,
            ResNetDepth::R50 => BOTTLENECK_EXPANSION,
        }
    }
}

/// A convolution without bias followed by batch normalisation: torchvision's `downsample`
/// (`downsample.0` is the conv, `downsample.1` the BN).
#[derive(Module, Debug)]
pub struct ConvBn<B: Backend> {
    /// The convolution.
    pub conv: Conv2d<B>,
    /// Its batch normalisation.
    pub bn: BatchNorm2d<B>,
}

impl<B: Backend> ConvBn<B> {
    fn new(init: &mut Init<'_, B>, c_in: usize, c_out: usize, k: usize, stride: usize, pad: usize) -> Self {
        let conv = init.conv2d(c_in, c_out, k, stride, pad, false, true);
        ConvBn { conv, bn: BatchNorm2d::new(c_out, init.device()) }
    }

    /// # Shapes
    /// - `x`: `[N, c_in, H, W]`
    /// - output: `[N, c_out, H', W']`
    pub fn forward(&self, x: Tensor<B, 4>, mode: Mode) -> Tensor<B, 4> {
        self.bn.forward(conv2d(&self.conv, x), mode)
    }
}

/// Two 3×3 convolutions with a residual connection (ResNet18/34).
#[derive(Module, Debug)]
pub struct BasicBlock<B: Backend> {
    /// 3×3, carries the stride.
    pub conv1: Conv2d<B>,
    /// BN after `conv1`.
    pub bn1: BatchNorm2d<B>,
    /// 3×3, stride 1.
    pub conv2: Conv2d<B>,
    /// BN after `conv2`.
    pub bn2: BatchNorm2d<B>,
    /// Projection shortcut when the shape changes.
    pub downsample: Option<ConvBn<B>>,
}

/// 1×1 → 3×3 → 1×1 convolutions with a residual connection (ResNet50/101/152).
#[derive(Module, Debug)]
pub struct Bottleneck<B: Backend> {
    /// 1×1, c_in → width.
    pub conv1: Conv2d<B>,
    /// BN after `conv1`.
    pub bn1: BatchNorm2d<B>,
    /// 3×3, width → width, carries the stride (torchvision's placement).
    pub conv2: Conv2d<B>,
    /// BN after `conv2`.
    pub bn2: BatchNorm2d<B>,
    /// 1×1, width → 4·width.
    pub conv3: Conv2d<B>,
    /// BN after `conv3`.
    pub bn3: BatchNorm2d<B>,
    /// Projection shortcut when the shape changes.
    pub downsample: Option<ConvBn<B>>,
}

/// One residual block of either kind.
// The variants differ in size by one conv and one BN; blocks are built once, so boxing buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Block<B: Backend> {
    /// ResNet18 block.
    Basic(BasicBlock<B>),
    /// ResNet50 block.
    Bottleneck(Bottleneck<B>),
}

impl<B: Backend> Block<B> {
    fn new(init: &mut Init<'_, B>, depth: ResNetDepth, c_in: usize, width: usize, stride: usize) -> Self {
        let c_out = width * depth.expansion();
        let device = init.device();
        match depth {
            ResNetDepth::R18 => {
                let conv1 = init.conv2d(c_in, width, 3, stride, 1, false, true);
                let bn1 = BatchNorm2d::new(width, device);
                let conv2 = init.conv2d(width, width, 3, 1, 1, false, true);
                let bn2 = BatchNorm2d::new(width, device);
                let downsample = (stride != 1 || c_in != c_out).then(|| ConvBn::new(init, c_in, c_out, 1, stride, 0));
                Block::Basic(BasicBlock { conv1, bn1, conv2, bn2, downsample })
            }
            ResNetDepth::R50 => {
                let conv1 = init.conv2d(c_in, width, 1, 1, 0, false, true);
                let bn1 = BatchNorm2d::new(width, device);
                let conv2 = init.conv2d(width, width, 3, stride, 1, false, true);
                let bn2 = BatchNorm2d::new(width, device);
                let conv3 = init.conv2d(width, c_out, 1, 1, 0, false, true);
                let bn3 = BatchNorm2d::new(c_out, device);
                let downsample = (stride != 1 || c_in != c_out).then(|| ConvBn::new(init, c_in, c_out, 1, stride, 0));
                Block::Bottleneck(Bottleneck { conv1, bn1, conv2, bn2, conv3, bn3, downsample })
            }
        }
    }

    /// # Shapes
    /// - `x`: `[N, c_in, H, W]`
    /// - output: `[N, c_out, ⌈H/s⌉, ⌈W/s⌉]` for the block's stride s
    pub fn forward(&self, x: Tensor<B, 4>, mode: Mode, act: Activation) -> Tensor<B, 4> {
        let (out, downsample) = match self {
            Block::Basic(b) => {
                let z = act.apply(b.bn1.forward(conv2d(&b.conv1, x.clone()), mode));
                (b.bn2.forward(conv2d(&b.conv2, z), mode), &b.downsample)
            }
            Block::Bottleneck(b) => {
                let z = act.apply(b.bn1.forward(conv2d(&b.conv1, x.clone()), mode));
                let z = act.apply(b.bn2.forward(conv2d(&b.conv2, z), mode));
                (b.bn3.forward(conv2d(&b.conv3, z), mode), &b.downsample)
            }
        };
        let shortcut = match downsample {
            Some(d) => d.forward(x, mode),
            None => x,
        };
        act.apply(out + shortcut)
    }
}

/// A ResNet on flattened `[N, C·H·W]` images.
#[derive(Module, Debug)]
pub struct ResNet<B: Backend> {
    /// Stem convolution (3×3 or 7×7).
    pub conv1: Conv2d<B>,
    /// Stem BN.
    pub bn1: BatchNorm2d<B>,
    /// Stage 1, 64 channels, stride 1.
    pub layer1: Vec<Block<B>>,
    /// Stage 2, 128 channels, stride 2.
    pub layer2: Vec<Block<B>>,
    /// Stage 3, 256 channels, stride 2.
    pub layer3: Vec<Block<B>>,
    /// Stage 4, 512 channels, stride 2.
    pub layer4: Vec<Block<B>>,
    /// Classifier 512·expansion → K.
    pub fc: Linear<B>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    input: InputShape,
    #[module(skip)]
    image: [usize; 3],
    #[module(skip)]
    depth: ResNetDepth,
    #[module(skip)]
    stem: Stem,
    classes: usize,
}

impl<B: Backend> ResNet<B> {
    /// Builds a ResNet for image inputs of shape `input` (any H, W ≥ 1: every stride-2 layer maps
    /// a size s to ⌈s/2⌉ ≥ 1); an error for flat inputs.
    pub fn new(
        init: &mut Init<'_, B>,
        input: InputShape,
        classes: usize,
        depth: ResNetDepth,
        stem: Stem,
        activation: Activation,
    ) -> Result<Self> {
        let [c, h, w] = input.image("resnet")?;
        if c == 0 || h == 0 || w == 0 {
            return Err(Error::InvalidParam { name: "input".into(), reason: format!("resnet needs a non-empty image, got {c}×{h}×{w}") });
        }
        let conv1 = match stem {
            // CIFAR ResNets (He et al. 2016 §4.2; the common ResNet18-on-CIFAR variant).
            Stem::Cifar => init.conv2d(c, STAGE_CHANNELS[0], 3, 1, 1, false, true),
            // torchvision / He et al. 2016 Table 1 "conv1".
            Stem::Imagenet => init.conv2d(c, STAGE_CHANNELS[0], 7, 2, 3, false, true),
        };
        let bn1 = BatchNorm2d::new(STAGE_CHANNELS[0], init.device());
        let mut c_in = STAGE_CHANNELS[0];
        let mut stages: Vec<Vec<Block<B>>> = Vec::with_capacity(4);
        for (i, (&width, &blocks)) in STAGE_CHANNELS.iter().zip(depth.blocks().iter()).enumerate() {
            let mut stage = Vec::with_capacity(blocks);
            for b in 0..blocks {
                let stride = if i > 0 && b == 0 { 2 } else { 1 };
                stage.push(Block::new(init, depth, c_in, width, stride));
                c_in = width * depth.expansion();
            }
            stages.push(stage);
        }
        let fc = init.linear(c_in, classes, true);
        let mut it = stages.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let (layer1, layer2, layer3, layer4) = (next(), next(), next(), next());
        Ok(ResNet { conv1, bn1, layer1, layer2, layer3, layer4, fc, activation, input, image: [c, h, w], depth, stem, classes })
    }

    /// Depth (18 or 50).
    pub fn depth(&self) -> ResNetDepth {
        self.depth
    }

    /// Input stem.
    pub fn stem(&self) -> Stem {
        self.stem
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The four stages in order.
    pub fn stages(&self) -> [&Vec<Block<B>>; 4] {
        [&self.layer1, &self.layer2, &self.layer3, &self.layer4]
    }

    /// Feature maps before global pooling.
    ///
    /// # Shapes
    /// - `x`: `[N, C·H·W]`
    /// - output: `[N, 512·expansion, H', W']` with H' = H/8 (CIFAR stem) or H/32 (ImageNet stem),
    ///   each halving rounded up
    pub fn features(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 4> {
        let n = x.dims()[0];
        let [c, h, w] = self.image;
        let mut z = x.reshape([n, c, h, w]);
        z = self.activation.apply(self.bn1.forward(conv2d(&self.conv1, z), mode));
        if self.stem == Stem::Imagenet {
            // torchvision: nn.MaxPool2d(kernel_size=3, stride=2, padding=1).
            z = max_pool2d(z, [3, 3], [2, 2], [1, 1]);
        }
        for stage in self.stages() {
            for block in stage {
                z = block.forward(z, mode, self.activation);
            }
        }
        z
    }
}

/// Global average pooling `[N, C, H, W] → [N, C]` (`nn.AdaptiveAvgPool2d(1)` then flatten).
pub(crate) fn global_avg_pool<B: Backend>(z: Tensor<B, 4>) -> Tensor<B, 2> {
    let [n, c, h, w] = z.dims();
    z.reshape([n, c, h * w]).mean_dim(2).reshape([n, c])
}

impl<B: Backend> Classifier<B> for ResNet<B> {
    /// # Shapes
    /// - `x`: `[N, C·H·W]`
    /// - output: `[N, K]`
    fn forward_mode(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 2> {
        super::kernels::fc::forward(&self.fc, global_avg_pool(self.features(x, mode)))
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
        let mut ops = vec![
            Op::Image(self.image),
            Op::Conv { name: "conv1".into(), layer: &self.conv1 },
            Op::BatchNorm { name: "bn1".into(), layer: &self.bn1 },
            Op::Act { name: "stem activation".into(), act },
        ];
        if self.stem == Stem::Imagenet {
            ops.push(Op::MaxPool { name: "stem max-pool".into(), kernel: [3, 3], stride: [2, 2], padding: [1, 1] });
        }
        for (s, stage) in self.stages().into_iter().enumerate() {
            for (i, block) in stage.iter().enumerate() {
                let name = format!("layer{}.{i}", s + 1);
                let conv = |c: &'static str, layer| Op::Conv { name: format!("{name}.{c}"), layer };
                let bn = |b: &'static str, layer| Op::BatchNorm { name: format!("{name}.{b}"), layer };
                let relu = |a: &'static str| Op::Act { name: format!("{name}.{a}"), act };
                let (body, downsample) = match block {
                    Block::Basic(b) => (vec![conv("conv1", &b.conv1), bn("bn1", &b.bn1), relu("relu1"), conv("conv2", &b.conv2), bn("bn2", &b.bn2)], &b.downsample),
                    Block::Bottleneck(b) => (
                        vec![
                            conv("conv1", &b.conv1),
                            bn("bn1", &b.bn1),
                            relu("relu1"),
                            conv("conv2", &b.conv2),
                            bn("bn2", &b.bn2),
                            relu("relu2"),
                            conv("conv3", &b.conv3),
                            bn("bn3", &b.bn3),
                        ],
                        &b.downsample,
                    ),
                };
                let shortcut = match downsample {
                    Some(d) => vec![conv("downsample.0", &d.conv), bn("downsample.1", &d.bn)],
                    None => Vec::new(),
                };
                ops.push(Op::Residual { name: name.clone(), body, shortcut });
                ops.push(relu("relu out"));
            }
        }
        ops.push(Op::GlobalAvgPool);
        ops.push(Op::Flatten);
        ops.push(Op::Dense { name: "fc".into(), layer: &self.fc, scale: 1.0 });
        Some(ops)
    }
}

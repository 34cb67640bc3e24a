//! Classifiers on burn: the [`Classifier`] trait and every model of the seed papers.
//!
//! All models take **flattened** inputs `[N, C·H·W]` (or `[N, d]` for tables) and return logits
//! `[N, K]`; image models reshape internally to `[N, C, H, W]` from their [`InputShape`]. One input
//! layout for every model keeps threat models, attacks and attributions per-sample row operations.
//!
//! Models are built from a serialisable [`ModelSpec`] by [`build`], with weights drawn from a
//! [`Seed`] on the CPU (never from burn's global backend RNG), so the same seed gives the
//! same initial weights on every backend and in concurrently running tests.
//!
//! * [`linear`] — linear / logistic regression.
//! * [`autoencoder`] — an MLP autoencoder and its decoder's tangent spaces (seed 004 App. B.5).
//! * [`denoiser`] — an EDM-preconditioned denoiser and its score (seed 004 App. B.3).
//! * [`mlp`] — ReLU or SoftPlus MLPs of any depth and width, standard or mean-field output scaling.
//! * [`cnn`] — the Madry MNIST CNN (seed 001 App. J.1).
//! * [`conv`] — convolution and max-pooling as matrix products and strided slices.
//! * [`resnet`] — ResNet18 / ResNet50 with a CIFAR or an ImageNet stem.
//! * [`vgg`] — VGG11 (seed 003 A.8.2).
//! * [`small_cnn`] — a small CNN with or without batch norm (seed 003 Table 3 at the quick scale).
//! * [`norm`] — batch normalisation whose train/eval mode is an argument, not a property of the
//!   backend (burn's own `BatchNorm` trains whenever autodiff is on, which would let an attack
//!   update the running statistics).
//! * [`pytorch`] — loading torchvision ResNet state dicts.
//! * [`init`] — seeded initialisers.
//! * [`dense`] — input gradients of dense nets as forward ops in the parameters (exact gradient
//!   penalties without double backward).
//! * [`kernels`] — burn-ndarray fast paths (products on strided views, single-pass patch matrix,
//!   pooling, batch norm and ReLU backward), each falling back to burn's operations elsewhere.

pub mod autoencoder;
pub mod cnn;
pub mod conv;
pub mod dense;
pub mod denoiser;
pub mod graph_lock;
pub mod init;
pub mod kernels;
pub mod linear;
pub mod mlp;
pub mod norm;
pub mod program;
pub mod pytorch;
pub mod resnet;
pub mod small_cnn;
pub mod vgg;

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::Seed;


/// Whether a forward pass trains (batch statistics, running averages updated) or evaluates
/// (running statistics, nothing updated). Only batch normalisation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Training: batch norm uses and updates batch statistics.
    Train,
    /// Evaluation, attacks and attributions: batch norm uses its running statistics.
    Eval,
}

/// Hidden-unit nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, z).
    #[default]
    Relu,
    /// log(1 + e^{βz})/β with β = 1 (seed 003's smooth baseline).
    Softplus,
}

impl Activation {
    /// Applies the nonlinearity elementwise.
    pub fn apply<B: Backend, const D: usize>(self, z: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Activation::Relu => kernels::relu::relu(z),
            // max(z, 0) + log1p(e^{−|z|}): exact to f32 rounding everywhere, where burn's
            // log(1 + e^z) loses all relative accuracy for z ≪ 0 (1.3e-3 measured at z = −10).
            Activation::Softplus => z.clone().clamp_min(0.0) + z.abs().neg().exp().log1p(),
        }
    }
}

/// The shape of one input example before flattening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputShape {
    /// A feature vector of length d.
    Flat(usize),
    /// An image with C channels, H rows and W columns.
    Image {
        /// Channels.
        c: usize,
        /// Rows.
        h: usize,
        /// Columns.
        w: usize,
    },
}

impl InputShape {
    /// Number of scalars in one flattened example.
    pub fn dim(self) -> usize {
        match self {
            InputShape::Flat(d) => d,
            InputShape::Image { c, h, w } => c * h * w,
        }
    }

    /// `[C, H, W]` for images; an error naming `model` for flat inputs.
    pub fn image(self, model: &str) -> Result<[usize; 3]> {
        match self {
            InputShape::Image { c, h, w } => Ok([c, h, w]),
            InputShape::Flat(d) => Err(Error::InvalidParam {
                name: "model".into(),
                reason: format!("{model} needs image inputs [C, H, W]; got flat vectors of length {d}"),
            }),
        }
    }
}

/// A trained or trainable classifier.
///
/// # Shapes
/// - `x`: `[N, input_shape().dim()]`, flattened examples
/// - output: `[N, num_classes()]` logits
pub trait Classifier<B: Backend>: Module<B> + Clone + core::fmt::Debug + Send {
    /// Logits in the given mode.
    fn forward_mode(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 2>;

    /// Logits in evaluation mode (what attacks and attributions differentiate).
    fn logits(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.forward_mode(x, Mode::Eval)
    }

    /// Shape of one example.
    fn input_shape(&self) -> InputShape;

    /// Number of classes K.
    fn num_classes(&self) -> usize;

    /// The model as a stack of dense layers, if it is one (the linear model, MLPs): then its
    /// input gradients can be written as forward operations in the parameters
    /// ([`dense::DenseStack::pullback`]), the exact route of gradient penalties. `None` for
    /// every other model.
    fn dense_stack(&self) -> Option<dense::DenseStack<'_, B>> {
        None
    }

    /// The evaluation-mode forward pass as a list of operations ([`program::Op`]), for
    /// attribution methods with propagation rules of their own (DeepLIFT, Guided Backprop, LRP).
    /// Running it ([`program::run`]) gives the logits bit for bit. `None` for a model that does
    /// not describe itself this way.
    fn program(&self) -> Option<Vec<program::Op<'_, B>>> {
        None
    }
}

/// Checks that a batch fits a model and returns `[N, D]`.
pub fn check_input<B: Backend, M: Classifier<B>>(model: &M, x: &Tensor<B, 2>) -> Result<[usize; 2]> {
    let dims = x.dims();
    let want = model.input_shape().dim();
    if dims[1] != want {
        return Err(Error::Shape(format!(
            "model expects flattened inputs of length {want} ({:?}); batch has shape {dims:?}",
            model.input_shape()
        )));
    }
    Ok(dims)
}

/// ResNet depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResNetDepth {
    /// BasicBlock × [2, 2, 2, 2].
    R18,
    /// Bottleneck × [3, 4, 6, 3].
    R50,
}

/// ResNet stem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stem {
    /// 3×3 convolution, stride 1, no pooling (CIFAR-sized inputs, and BlockMNIST).
    Cifar,
    /// 7×7 convolution, stride 2, then 3×3 max-pool with stride 2 (ImageNet-sized inputs).
    Imagenet,
}

/// Every model of the seed papers, as data. [`build`] turns a spec into burn modules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelSpec {
    /// Linear / logistic regression: logits = W x + b.
    Linear,
    /// Fully connected net with the given hidden widths (empty = linear).
    ///
    /// `mean_field = true` divides the output layer by the last width m (the 1/m scaling of the
    /// infinite-width analysis, seed 000 §3) and draws the output weights from N(0, 1).
    Mlp {
        /// Hidden widths, input side first.
        hidden: Vec<usize>,
        /// Hidden nonlinearity.
        #[serde(default)]
        activation: Activation,
        /// Mean-field output scaling.
        #[serde(default)]
        mean_field: bool,
    },
    /// Madry et al.'s MNIST CNN (seed 001 App. J.1): conv 5×5×32, pool, conv 5×5×64, pool, fc 1024.
    MadryCnn {
        /// Nonlinearity after each conv and the hidden fc layer.
        #[serde(default)]
        activation: Activation,
    },
    /// ResNet with batch norm.
    ResNet {
        /// 18 or 50 layers.
        depth: ResNetDepth,
        /// Input stem.
        stem: Stem,
        /// Nonlinearity.
        #[serde(default)]
        activation: Activation,
    },
    /// A small CNN (3×3 convolutions of `channels`, each followed by optional batch norm, the
    /// nonlinearity and a 2×2 max-pool; then one fc layer): seed 003 Table 3's quick-scale stand-in
    /// for VGG11 / ResNet18, with and without batch norm.
    SmallCnn {
        /// Output channels of each convolution, input side first.
        channels: Vec<usize>,
        /// Batch norm after each convolution.
        batch_norm: bool,
        /// Nonlinearity.
        #[serde(default)]
        activation: Activation,
    },
    /// VGG11 with batch norm (seed 003 A.8.2).
    Vgg11 {
        /// Nonlinearity.
        #[serde(default)]
        activation: Activation,
    },
}

impl ModelSpec {
    /// The one-hidden-layer MLP of seed 000 §6 / seed 002 with width `m`.
    pub fn one_hidden(m: usize) -> Self {
        ModelSpec::Mlp { hidden: vec![m], activation: Activation::Relu, mean_field: false }
    }

    /// Seed 000 App. C.1's two-hidden-layer MLP: both widths twice the input dimension.
    pub fn two_hidden_2x(input_dim: usize) -> Self {
        ModelSpec::Mlp { hidden: vec![2 * input_dim, 2 * input_dim], activation: Activation::Relu, mean_field: false }
    }

    /// A short name for tables and file names.
    pub fn name(&self) -> String {
        match self {
            ModelSpec::Linear => "linear".into(),
            ModelSpec::Mlp { hidden, activation, mean_field } => {
                let w: Vec<String> = hidden.iter().map(|h| h.to_string()).collect();
                format!(
                    "mlp[{}]{}{}",
                    w.join("x"),
                    if *activation == Activation::Softplus { "-softplus" } else { "" },
                    if *mean_field { "-mf" } else { "" }
                )
            }
            ModelSpec::MadryCnn { .. } => "madry_cnn".into(),
            ModelSpec::ResNet { depth, stem, .. } => format!(
                "resnet{}-{}",
                if *depth == ResNetDepth::R18 { 18 } else { 50 },
                if *stem == Stem::Cifar { "cifar" } else { "imagenet" }
            ),
            ModelSpec::Vgg11 { .. } => "vgg11".into(),
            ModelSpec::SmallCnn { channels, batch_norm, .. } => {
                let c: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
                format!("small_cnn[{}]{}", c.join("x"), if *batch_norm { "-bn" } else { "" })
            }
        }
    }
}

/// Any model built from a [`ModelSpec`].
#[derive(Module, Debug)]
pub enum Net<B: Backend> {
    /// [`linear::LinearModel`].
    Linear(linear::LinearModel<B>),
    /// [`mlp::Mlp`].
    Mlp(mlp::Mlp<B>),
    /// [`cnn::MadryCnn`].
    Cnn(cnn::MadryCnn<B>),
    /// [`resnet::ResNet`].
    ResNet(resnet::ResNet<B>),
    /// [`vgg::Vgg`].
    Vgg(vgg::Vgg<B>),
    /// [`small_cnn::SmallCnn`].
    SmallCnn(small_cnn::SmallCnn<B>),
}

impl<B: Backend> Classifier<B> for Net<B> {
    fn forward_mode(&self, x: Tensor<B, 2>, mode: Mode) -> Tensor<B, 2> {
        match self {
            Net::Linear(m) => m.forward_mode(x, mode),
            Net::Mlp(m) => m.forward_mode(x, mode),
            Net::Cnn(m) => m.forward_mode(x, mode),
            Net::ResNet(m) => m.forward_mode(x, mode),
            Net::Vgg(m) => m.forward_mode(x, mode),
            Net::SmallCnn(m) => m.forward_mode(x, mode),
        }
    }

    fn input_shape(&self) -> InputShape {
        match self {
            Net::Linear(m) => m.input_shape(),
            Net::Mlp(m) => m.input_shape(),
            Net::Cnn(m) => m.input_shape(),
            Net::ResNet(m) => m.input_shape(),
            Net::Vgg(m) => m.input_shape(),
            Net::SmallCnn(m) => m.input_shape(),
        }
    }

    fn dense_stack(&self) -> Option<dense::DenseStack<'_, B>> {
        match self {
            Net::Linear(m) => m.dense_stack(),
            Net::Mlp(m) => m.dense_stack(),
            Net::Cnn(_) | Net::ResNet(_) | Net::Vgg(_) | Net::SmallCnn(_) => None,
        }
    }

    fn program(&self) -> Option<Vec<program::Op<'_, B>>> {
        match self {
            Net::Linear(m) => m.program(),
            Net::Mlp(m) => m.program(),
            Net::Cnn(m) => m.program(),
            Net::ResNet(m) => m.program(),
            Net::Vgg(m) => m.program(),
            Net::SmallCnn(m) => m.program(),
        }
    }

    fn num_classes(&self) -> usize {
        match self {
            Net::Linear(m) => m.num_classes(),
            Net::Mlp(m) => m.num_classes(),
            Net::Cnn(m) => m.num_classes(),
            Net::ResNet(m) => m.num_classes(),
            Net::Vgg(m) => m.num_classes(),
            Net::SmallCnn(m) => m.num_classes(),
        }
    }
}

/// Builds a model for inputs of shape `input` and `classes` classes, weights drawn from `seed`.
pub fn build<B: Backend>(
    spec: &ModelSpec,
    input: InputShape,
    classes: usize,
    seed: Seed,
    device: &B::Device,
) -> Result<Net<B>> {
    if classes < 2 {
        return Err(Error::InvalidParam { name: "classes".into(), reason: format!("need at least 2 classes, got {classes}") });
    }
    if input.dim() == 0 {
        return Err(Error::InvalidParam { name: "input".into(), reason: "input dimension is 0".into() });
    }
    if let ModelSpec::Mlp { hidden, .. } = spec {
        check_dense_size(input.dim(), hidden, classes)?;
    }
    let mut init = init::Init::new(seed, device);
    Ok(match spec {
        ModelSpec::Linear => Net::Linear(linear::LinearModel::new(&mut init, input, classes)),
        ModelSpec::Mlp { hidden, activation, mean_field } => {
            Net::Mlp(mlp::Mlp::new(&mut init, input, hidden, classes, *activation, *mean_field)?)
        }
        ModelSpec::MadryCnn { activation } => Net::Cnn(cnn::MadryCnn::new(&mut init, input, classes, *activation)?),
        ModelSpec::ResNet { depth, stem, activation } => {
            Net::ResNet(resnet::ResNet::new(&mut init, input, classes, *depth, *stem, *activation)?)
        }
        ModelSpec::Vgg11 { activation } => Net::Vgg(vgg::Vgg::new(&mut init, input, classes, *activation)?),
        ModelSpec::SmallCnn { channels, batch_norm, activation } => Net::SmallCnn(small_cnn::SmallCnn::new(&mut init, input, classes, channels, *batch_norm, *activation)?),
    })
}

/// Copies of the parameters training keeps at once: the weights, their gradients and Adam's two
/// moment estimates.
const TRAINING_COPIES: usize = 4;

/// Refuses a fully connected net whose training state cannot be allocated, before any weight is:
/// counts its parameters (checked arithmetic) and asks the allocator for [`TRAINING_COPIES`] f32
/// copies without touching them, so a width typed with a few zeros too many is an error naming the
/// width and the size instead of an abort.
fn check_dense_size(input: usize, hidden: &[usize], classes: usize) -> Result<()> {
    let too_big = |what: String| Error::InvalidParam {
        name: "width".into(),
        reason: format!("an MLP with hidden widths {hidden:?} on {input} inputs and {classes} classes {what}; choose a smaller width"),
    };
    let mut params: usize = 0;
    let mut fan_in = input;
    for &w in hidden.iter().chain(std::iter::once(&classes)) {
        let layer = fan_in.checked_add(1).and_then(|f| f.checked_mul(w));
        params = layer.and_then(|l| params.checked_add(l)).ok_or_else(|| too_big("has more parameters than this machine can count".into()))?;
        fan_in = w;
    }
    let bytes = params.checked_mul(TRAINING_COPIES * std::mem::size_of::<f32>()).ok_or_else(|| too_big(format!("has {params} parameters, beyond any memory")))?;
    let mut probe: Vec<u8> = Vec::new();
    if probe.try_reserve_exact(bytes).is_err() {
        return Err(too_big(format!(
            "has {params} parameters; training needs {:.1} GiB ({TRAINING_COPIES} f32 copies: weights, gradients, optimiser moments), which cannot be allocated here",
            bytes as f64 / f64::from(1u32 << 30)
        )));
    }
    Ok(())
}

struct Flatten {
    out: Vec<f32>,
}

impl<B: Backend> burn::module::ModuleVisitor<B> for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
        let data = param.val().into_data().convert::<f32>();
        self.out.extend(data.iter::<f32>());
    }
}

/// Every float tensor of a module (parameters and running statistics), in visiting order,
/// concatenated: what "the same weights" means, independent of parameter ids.
pub fn flat_parameters<B: Backend, M: Module<B>>(m: &M) -> Vec<f32> {
    let mut v = Flatten { out: Vec::new() };
    m.visit(&mut v);
    v.out
}

/// The md5 of [`flat_parameters`]' bytes: a short fingerprint of a model's weights.
pub fn weights_fingerprint<B: Backend, M: Module<B>>(m: &M) -> String {
    let bytes: Vec<u8> = flat_parameters::<B, M>(m).iter().flat_map(|v| v.to_le_bytes()).collect();
    crate::checksum::md5_hex(&bytes)
}

//! A model's evaluation-mode forward pass as a list of operations.
//!
//! Attribution methods that replace the chain rule with rules of their own — DeepLIFT's rescale
//! rule, Guided Backprop, LRP — need to see the nonlinearities and the layers between them.
//! [`Classifier::program`](super::Classifier::program) lists them: dense and convolution layers,
//! batch normalisation (evaluation mode: an affine map), activations, max-pooling, global average
//! pooling, reshapes, and residual blocks whose body and shortcut are programs themselves.
//!
//! [`run`] evaluates a program with the very functions the model's own forward pass calls, so its
//! output is the model's logits bit for bit (tests/attribution_program.rs checks every model).
//!
//! Every value is carried as a rank-4 tensor: flat activations `[N, D]` as `[N, D, 1, 1]`, images
//! as `[N, C, H, W]`, so that elementwise rules need one shape only.

use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::conv::{conv2d, max_pool2d};
use super::norm::BatchNorm2d;
use super::resnet::global_avg_pool;
use super::{Activation, Mode};

/// One operation of a forward pass, borrowing the model's layers.
#[derive(Debug, Clone)]
pub enum Op<'a, B: Backend> {
    /// `[N, C·H·W, 1, 1]` → `[N, C, H, W]`.
    Image([usize; 3]),
    /// `[N, C, H, W]` → `[N, C·H·W, 1, 1]`.
    Flatten,
    /// `scale · (x W + b)` on flat values.
    Dense {
        /// Layer name (for error messages).
        name: String,
        /// The layer.
        layer: &'a Linear<B>,
        /// Output factor (1, or 1/m in the mean-field scaling).
        scale: f64,
    },
    /// A 2-d convolution.
    Conv {
        /// Layer name.
        name: String,
        /// The layer.
        layer: &'a Conv2d<B>,
    },
    /// Batch normalisation in evaluation mode.
    BatchNorm {
        /// Layer name.
        name: String,
        /// The layer.
        layer: &'a BatchNorm2d<B>,
    },
    /// An elementwise nonlinearity.
    Act {
        /// Layer name.
        name: String,
        /// Which one.
        act: Activation,
    },
    /// Max-pooling (floor mode, padded cells never win).
    MaxPool {
        /// Layer name.
        name: String,
        /// Window.
        kernel: [usize; 2],
        /// Stride.
        stride: [usize; 2],
        /// Padding.
        padding: [usize; 2],
    },
    /// `[N, C, H, W]` → `[N, C, 1, 1]` by the mean over H·W.
    GlobalAvgPool,
    /// `body(x) + shortcut(x)`; an empty shortcut is the identity.
    Residual {
        /// Block name.
        name: String,
        /// The main branch.
        body: Vec<Op<'a, B>>,
        /// The shortcut branch.
        shortcut: Vec<Op<'a, B>>,
    },
}

impl<B: Backend> Op<'_, B> {
    /// The operation's name as error messages show it.
    pub fn name(&self) -> String {
        match self {
            Op::Image(s) => format!("reshape to {}×{}×{}", s[0], s[1], s[2]),
            Op::Flatten => "flatten".into(),
            Op::GlobalAvgPool => "global average pool".into(),
            Op::Dense { name, .. } | Op::Conv { name, .. } | Op::BatchNorm { name, .. } | Op::Act { name, .. } | Op::MaxPool { name, .. } | Op::Residual { name, .. } => name.clone(),
        }
    }

    /// Applies the operation (evaluation mode).
    ///
    /// # Shapes
    /// - `x`: the rank-4 value the operation expects (see the module docs); returns rank 4
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        match self {
            Op::Image([c, h, w]) => {
                let n = x.dims()[0];
                x.reshape([n, *c, *h, *w])
            }
            Op::Flatten => flat_to_4(flatten(x)),
            Op::Dense { layer, scale, .. } => {
                let out = super::kernels::fc::forward(layer, flatten(x));
                flat_to_4(if *scale == 1.0 { out } else { out.mul_scalar(*scale) })
            }
            Op::Conv { layer, .. } => conv2d(layer, x),
            Op::BatchNorm { layer, .. } => layer.forward(x, Mode::Eval),
            Op::Act { act, .. } => act.apply(x),
            Op::MaxPool { kernel, stride, padding, .. } => max_pool2d(x, *kernel, *stride, *padding),
            Op::GlobalAvgPool => flat_to_4(global_avg_pool(x)),
            Op::Residual { body, shortcut, .. } => {
                let s = if shortcut.is_empty() { x.clone() } else { run_ops(shortcut, x.clone()) };
                run_ops(body, x) + s
            }
        }
    }
}

/// `[N, …]` → `[N, ∏…]`.
pub fn flatten<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 2> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c * h * w])
}

/// `[N, D]` → `[N, D, 1, 1]`.
pub fn flat_to_4<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 4> {
    let [n, d] = x.dims();
    x.reshape([n, d, 1, 1])
}

fn run_ops<B: Backend>(ops: &[Op<'_, B>], x: Tensor<B, 4>) -> Tensor<B, 4> {
    ops.iter().fold(x, |z, op| op.forward(z))
}

/// Evaluates a program on flattened inputs: the model's logits.
///
/// # Shapes
/// - `x`: `[N, D]`; returns `[N, K]`
pub fn run<B: Backend>(ops: &[Op<'_, B>], x: Tensor<B, 2>) -> Tensor<B, 2> {
    flatten(run_ops(ops, flat_to_4(x)))
}

/// The operations of a dense stack: `Dense → act` per hidden layer, then the output layer.
pub(crate) fn dense_ops<'a, B: Backend>(hidden: &'a [Linear<B>], out: &'a Linear<B>, act: Activation, out_scale: f64) -> Vec<Op<'a, B>> {
    let mut ops = Vec::with_capacity(2 * hidden.len() + 1);
    for (i, layer) in hidden.iter().enumerate() {
        ops.push(Op::Dense { name: format!("hidden[{i}]"), layer, scale: 1.0 });
        ops.push(Op::Act { name: format!("hidden[{i}] activation"), act });
    }
    ops.push(Op::Dense { name: "output layer".into(), layer: out, scale: out_scale });
    ops
}

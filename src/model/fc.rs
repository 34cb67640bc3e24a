//! Fully connected layers `y = x W + b` (`W` `[in, out]`, burn's `Linear` layout) whose backward
//! pass on burn-ndarray does not copy the weight.
//!
//! burn's backward of a linear layer computes the input's gradient as `g Wᵀ`. burn-ndarray 0.21
//! multiplies only standard-layout (row-major) operands and copies any other into a fresh array
//! first, so `Wᵀ`, a transposed view, is copied element by element into a new `[out, in]` array at
//! every backward pass: for the 3136 × 3136 hidden layer of the seed-000 MLP a 39 MB transposed
//! copy per layer per step, in every training step, input gradient and PGD iteration.
//!
//! Here, on `Autodiff<NdArray>` (the default CPU training backend, f32 or f64), the same
//! gradient is computed as `(W gᵀ)ᵀ` when that moves fewer elements ([`transposes_gradient`]):
//! what gets copied is `gᵀ` `[out, N]` and the `[N, in]` result, back to row-major. Every element
//! is the same dot product over the same `out` terms, accumulated by the same matrix-product
//! kernel in the same order (burn-ndarray's `matrixmultiply` blocks only the summed dimension,
//! and `a·b = b·a` in floating point), so the gradient is bitwise `g Wᵀ`; tests/fc.rs checks it
//! for every parameter and the input, and the trained weights of the end-to-end command are
//! unchanged. Forward pass, weight gradient and bias gradient are burn's own operations. Any
//! other backend, and a layer without bias, runs burn's `Linear::forward` unchanged.
//!
//! The unrolled convolution (`model::conv`) multiplies its patch rows `x` `[N·H'·W', k·k·C]` by
//! a weight stored `[O, k·k·C]`: `x Wᵀ`. burn's backward computes that weight's gradient as
//! `(xᵀ g)ᵀ` and so copies `xᵀ`, the whole patch matrix — 231 MB for a 3 × 3, 64-channel layer
//! of ResNet18 on a batch of 64 BlockMNIST images. [`matmul_wt`] computes it as `gᵀ x`, which
//! copies `gᵀ` `[O, N·H'·W']`, k·k·C/O times less (9× for that layer), and is again the same
//! sums in the same order.

use std::any::{Any, TypeId};

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::{Autodiff, NdArray};
use burn::nn::Linear;
use burn::tensor::backend::{Backend, BackendTypes};
use burn::tensor::{Shape, Tensor, TensorMetadata, TensorPrimitive};

/// A float tensor of `Autodiff<I>` (burn-autodiff's tracked tensor).
type Tracked<I> = <Autodiff<I> as BackendTypes>::FloatTensorPrimitive;

/// `layer` applied to `x` `[N, in]`, giving `[N, out]`.
pub fn forward<B: Backend>(layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    // Every layer of this crate's models has a bias; one without runs burn's operation.
    if layer.bias.is_none() {
        return layer.forward(x);
    }
    if is_backend::<B, Autodiff<NdArray<f32>>>() {
        return tracked_forward::<B, NdArray<f32>>(layer, x);
    }
    if is_backend::<B, Autodiff<NdArray<f64>>>() {
        return tracked_forward::<B, NdArray<f64>>(layer, x);
    }
    layer.forward(x)
}

/// Whether the input gradient of a layer `[d_in, out]` at a batch of `n` is computed as
/// `(W gᵀ)ᵀ`: when copying `gᵀ` and then the `[N, d_in]` result back to row-major moves fewer
/// elements than copying `Wᵀ` (`n·out + n·d_in < d_in·out`). For the seed-000 MLP's 3136 × 3136
/// layer at batch 256 that is 1.6 M elements against 9.8 M; for the 50 000 → 2 output layer of
/// the mean-field MLP at n = 1000 it is 50 M against 0.1 M, and burn's route stays.
pub fn transposes_gradient(n: usize, d_in: usize, out: usize) -> bool {
    n * out + n * d_in < d_in * out
}

/// `x wᵀ` for `x` `[N, d_in]` and `w` `[out, d_in]`, giving `[N, out]`: burn's
/// `x.matmul(w.transpose())` with, on `Autodiff<NdArray>` and when `out < d_in`
/// ([`transposes_weight_gradient`]), the weight's gradient computed as `gᵀ x` (see the module
/// documentation).
pub fn matmul_wt<B: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    let [_, d_in] = x.dims();
    let [out, _] = w.dims();
    if transposes_weight_gradient(d_in, out) {
        if is_backend::<B, Autodiff<NdArray<f32>>>() {
            return tracked_matmul_wt::<B, NdArray<f32>>(x, w);
        }
        if is_backend::<B, Autodiff<NdArray<f64>>>() {
            return tracked_matmul_wt::<B, NdArray<f64>>(x, w);
        }
    }
    x.matmul(w.transpose())
}

/// Whether [`matmul_wt`]'s weight gradient is computed as `gᵀ x`: copying `gᵀ` (`N·out`
/// elements) instead of `xᵀ` (`N·d_in`) when `out < d_in`.
pub fn transposes_weight_gradient(d_in: usize, out: usize) -> bool {
    out < d_in
}

/// [`matmul_wt`] on `B` = `Autodiff<I>`.
fn tracked_matmul_wt<B: Backend, I: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    let prim = |t: Tensor<B, 2>| cast::<B::FloatTensorPrimitive, Tracked<I>>(t.into_primitive().tensor());
    let (x, w) = (prim(x), prim(w));
    let (x_tracked, w_tracked) = (x.is_tracked(), w.is_tracked());
    let forward = |x: I::FloatTensorPrimitive, w: I::FloatTensorPrimitive| I::float_matmul(x, I::float_transpose(w));
    let y = match MatmulWtBackward.prepare::<NoCheckpointing>([x.node.clone(), w.node.clone()]).compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let x_state = w_tracked.then(|| prep.checkpoint(&x));
            let w_state = x_tracked.then(|| prep.checkpoint(&w));
            prep.finish((x_state, w_state), forward(x.primitive, w.primitive))
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(x.primitive, w.primitive)),
    };
    Tensor::from_primitive(TensorPrimitive::Float(cast::<Tracked<I>, B::FloatTensorPrimitive>(y)))
}

/// Backward step of [`matmul_wt`]: `∂x = g w`, `∂w = gᵀ x`.
#[derive(Debug)]
struct MatmulWtBackward;

impl<I: Backend> Backward<I, 2> for MatmulWtBackward {
    type State = (Option<NodeId>, Option<NodeId>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let (x_state, w_state) = ops.state;
        if let Some(node) = node_x {
            let w = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(w_state.expect("weight kept for the input gradient"));
            grads.register::<I>(node.id, I::float_matmul(grad.clone(), w));
        }
        if let Some(node) = node_w {
            let x = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(x_state.expect("input kept for the weight gradient"));
            grads.register::<I>(node.id, I::float_matmul(I::float_transpose(grad), x));
        }
    }
}

/// Whether `B` is `T`.
fn is_backend<B: Backend, T: Backend>() -> bool {
    TypeId::of::<B>() == TypeId::of::<T>()
}

/// `t` as a `T`; only called once `t` is known to be one.
fn cast<S: 'static, T: 'static>(t: S) -> T {
    let mut slot = Some(t);
    (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>().and_then(Option::take).expect("backend checked by is_backend")
}

/// [`forward`] on `B` = `Autodiff<I>`.
fn tracked_forward<B: Backend, I: Backend>(layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    let prim = |t: Tensor<B, 2>| cast::<B::FloatTensorPrimitive, Tracked<I>>(t.into_primitive().tensor());
    let x = prim(x);
    let w = prim(layer.weight.val());
    let b = layer.bias.as_ref().map(|b| cast::<B::FloatTensorPrimitive, Tracked<I>>(b.val().into_primitive().tensor())).expect("bias checked by forward");
    let y = linear::<I>(x, w, b);
    Tensor::from_primitive(TensorPrimitive::Float(cast::<Tracked<I>, B::FloatTensorPrimitive>(y)))
}

/// Backward step of [`linear`]: which inputs it kept for the gradients (`x` for the weight's,
/// `W` for the input's).
#[derive(Debug)]
struct LinearBackward;

impl<I: Backend> Backward<I, 3> for LinearBackward {
    type State = (Option<NodeId>, Option<NodeId>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let (x_state, w_state) = ops.state;
        if let Some(node) = node_x {
            let w = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(w_state.expect("weight kept for the input gradient"));
            let [n, out] = grad.shape().dims();
            let [d_in, _] = w.shape().dims();
            let gx = if transposes_gradient(n, d_in, out) {
                // (W gᵀ)ᵀ, made row-major again (burn-ndarray's reshape copies a non-standard
                // array) so that everything downstream sees the layout burn's route gives.
                let wgt = I::float_matmul(w, I::float_transpose(grad.clone()));
                I::float_reshape(I::float_transpose(wgt), Shape::new([n, d_in]))
            } else {
                I::linear_x_backward(w, grad.clone())
            };
            grads.register::<I>(node.id, gx);
        }
        if let Some(node) = node_w {
            let x = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(x_state.expect("input kept for the weight gradient"));
            grads.register::<I>(node.id, I::linear_weight_backward(x, grad.clone()));
        }
        if let Some(node) = node_b {
            grads.register::<I>(node.id, I::linear_bias_backward(grad));
        }
    }
}

/// `x W + b` on `Autodiff<I>` with [`LinearBackward`]; as burn-autodiff's own linear operation
/// but for the input gradient's product.
fn linear<I: Backend>(x: Tracked<I>, w: Tracked<I>, b: Tracked<I>) -> Tracked<I> {
    let (x_tracked, w_tracked) = (x.is_tracked(), w.is_tracked());
    match LinearBackward.prepare::<NoCheckpointing>([x.node.clone(), w.node.clone(), b.node.clone()]).compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            // x is needed only for the weight's gradient, W only for the input's.
            let x_state = w_tracked.then(|| prep.checkpoint(&x));
            let w_state = x_tracked.then(|| prep.checkpoint(&w));
            prep.finish((x_state, w_state), I::linear(x.primitive, w.primitive, Some(b.primitive)))
        }
        OpsKind::UnTracked(prep) => prep.finish(I::linear(x.primitive, w.primitive, Some(b.primitive))),
    }
}

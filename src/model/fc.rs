//! Fully connected layers `y = x W + b` (`W` `[in, out]`, burn's `Linear` layout) whose backward
//! pass on burn-ndarray does not copy the weight, nor a wide input.
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
//! unchanged. The weight's gradient `xᵀ g` likewise copies `xᵀ`, the layer's whole input — 200 MB
//! for the 50 000-wide hidden activation of the mean-field MLP at n = 1000 — and is computed as
//! `(gᵀ x)ᵀ` when that moves fewer elements ([`transposes_linear_weight_gradient`]), again the
//! same sums in the same order. The forward pass and the bias gradient are burn's own operations. Any
//! other backend, a layer without bias and the `blas` build run burn's `Linear::forward`
//! unchanged.
//!
//! The unrolled convolution (`model::conv`) multiplies its patch rows `x` `[N·H'·W', k·k·C]` by
//! a weight stored `[O, k·k·C]`: `x Wᵀ`. burn's backward computes that weight's gradient as
//! `(xᵀ g)ᵀ` and so copies `xᵀ`, the whole patch matrix — 231 MB for a 3 × 3, 64-channel layer
//! of ResNet18 on a batch of 64 BlockMNIST images. [`matmul_wt`] computes it as `gᵀ x`, which
//! copies `gᵀ` `[O, N·H'·W']`, k·k·C/O times less (9× for that layer), and is again the same
//! sums in the same order.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::{Autodiff, NdArray};
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::{Shape, Tensor, TensorMetadata};

use crate::primitive::{from_primitive, into_primitive, is_backend, Tracked};

/// Whether this build takes the reordered products. With burn-ndarray's own `matrixmultiply`
/// they are bitwise burn's; with OpenBLAS (`--features blas`) the two orientations of a product
/// are tiled differently and differ in the last bit (415 of the 4 212 values of a 78 × 54 weight
/// gradient at a batch of 166), so that build keeps burn's routes and burn's numbers.
const REORDERED_PRODUCTS_ARE_EXACT: bool = !cfg!(feature = "blas");

/// `layer` applied to `x` `[N, in]`, giving `[N, out]`.
pub fn forward<B: Backend>(layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    // Every layer of this crate's models has a bias; one without runs burn's operation, as does
    // the blas build.
    let Some(bias) = layer.bias.as_ref().filter(|_| REORDERED_PRODUCTS_ARE_EXACT) else {
        return layer.forward(x);
    };
    if is_backend::<B, Autodiff<NdArray<f32>>>() {
        return tracked_linear::<B, NdArray<f32>>(x, layer.weight.val(), bias.val());
    }
    if is_backend::<B, Autodiff<NdArray<f64>>>() {
        return tracked_linear::<B, NdArray<f64>>(x, layer.weight.val(), bias.val());
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

/// Whether the weight gradient of a layer `[d_in, out]` at a batch of `n` is computed as
/// `(gᵀ x)ᵀ` instead of burn's `xᵀ g`: when copying `gᵀ` and then the `[d_in, out]` result back
/// to row-major moves fewer elements than copying `xᵀ` (`n·out + d_in·out < n·d_in`). For the
/// 50 000 → 2 output layer of the mean-field MLP at n = 1000 that is 0.1 M elements against 50 M
/// (its 200 MB hidden activation); for the seed-000 MLP's 3136 → 2 output layer at batch 256,
/// 6.8 k against 0.8 M; its hidden layers keep burn's route.
pub fn transposes_linear_weight_gradient(n: usize, d_in: usize, out: usize) -> bool {
    n * out + d_in * out < n * d_in
}

/// `x wᵀ` for `x` `[N, d_in]` and `w` `[out, d_in]`, giving `[N, out]`: burn's
/// `x.matmul(w.transpose())` with, on `Autodiff<NdArray>` and when `out < d_in`
/// ([`transposes_weight_gradient`]), the weight's gradient computed as `gᵀ x` (see the module
/// documentation).
pub fn matmul_wt<B: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    let [_, d_in] = x.dims();
    let [out, _] = w.dims();
    if REORDERED_PRODUCTS_ARE_EXACT && transposes_weight_gradient(d_in, out) {
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

/// Puts `op` on the autodiff graph with parents `x`, `w` (and the rest of `parents`) and the
/// output `forward` computes from them. As in burn's own products, `x` is kept for the backward
/// pass only if `w` is tracked (it is needed only for `w`'s gradient), and `w` only if `x` is.
fn record<I, O, const N: usize>(op: O, parents: [Tracked<I>; N], forward: impl FnOnce([I::FloatTensorPrimitive; N]) -> I::FloatTensorPrimitive) -> Tracked<I>
where
    I: Backend,
    O: Backward<I, N, State = (Option<NodeId>, Option<NodeId>)>,
{
    let (x_tracked, w_tracked) = (parents[0].is_tracked(), parents[1].is_tracked());
    match op.prepare::<NoCheckpointing>(parents.each_ref().map(|t| t.node.clone())).compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let x_state = w_tracked.then(|| prep.checkpoint(&parents[0]));
            let w_state = x_tracked.then(|| prep.checkpoint(&parents[1]));
            prep.finish((x_state, w_state), forward(parents.map(|t| t.primitive)))
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(parents.map(|t| t.primitive))),
    }
}

/// `x W + b` on `B` = `Autodiff<I>` with [`LinearBackward`]: burn-autodiff's own linear
/// operation but for the orientation of the gradients' products.
fn tracked_linear<B: Backend, I: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>, b: Tensor<B, 1>) -> Tensor<B, 2> {
    let parents = [into_primitive::<Tracked<I>, B, 2>(x), into_primitive::<Tracked<I>, B, 2>(w), into_primitive::<Tracked<I>, B, 1>(b)];
    from_primitive::<Tracked<I>, B, 2>(record(LinearBackward, parents, |[x, w, b]| I::linear(x, w, Some(b))))
}

/// Backward step of [`tracked_linear`]; its state names the kept `x` and `W`.
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
            let [n, out] = grad.shape().dims();
            let [_, d_in] = x.shape().dims();
            let gw = if transposes_linear_weight_gradient(n, d_in, out) {
                // (gᵀ x)ᵀ, made row-major again as above.
                let gtx = I::float_matmul(I::float_transpose(grad.clone()), x);
                I::float_reshape(I::float_transpose(gtx), Shape::new([d_in, out]))
            } else {
                I::linear_weight_backward(x, grad.clone())
            };
            grads.register::<I>(node.id, gw);
        }
        if let Some(node) = node_b {
            grads.register::<I>(node.id, I::linear_bias_backward(grad));
        }
    }
}

/// `x wᵀ` on `B` = `Autodiff<I>` with [`MatmulWtBackward`].
fn tracked_matmul_wt<B: Backend, I: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    let parents = [into_primitive::<Tracked<I>, B, 2>(x), into_primitive::<Tracked<I>, B, 2>(w)];
    from_primitive::<Tracked<I>, B, 2>(record(MatmulWtBackward, parents, |[x, w]| I::float_matmul(x, I::float_transpose(w))))
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

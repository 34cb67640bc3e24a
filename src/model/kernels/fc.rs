//! Fully connected layers `y = x W + b` (`W` `[in, out]`, burn's `Linear` layout) and the
//! unrolled convolution's product `x Wᵀ`, whose products on burn-ndarray copy no operand and run
//! the gemm crate's kernels.
//!
//! burn-ndarray 0.21 multiplies only standard-layout (row-major) operands: its `float_matmul`
//! reshapes both operands and the result, and its `reshape` copies — a transposed view element
//! by element, and even a row-major array (`to_shape` gives a view, which `into_shared` copies).
//! So every product copies both operands and its result: the backward pass of a linear layer
//! copies `Wᵀ` for the input's gradient `g Wᵀ` (39 MB for each 3136 × 3136 hidden layer of the
//! seed-000 MLP) and `xᵀ` for the weight's gradient `xᵀ g` (the 200 MB hidden activation of the
//! mean-field MLP at n = 1000), and the unrolled convolution's weight gradient copies its whole
//! patch matrix (231 MB for a 3 × 3, 64-channel ResNet18 layer at a batch of 64).
//!
//! Here, on `Autodiff<NdArray>` (the default CPU training backend, f32 or f64), the forward and
//! backward products of these operations read the operands as they are, through their strides
//! (transposed views included), into a fresh row-major result, with the gemm crate's kernels
//! (AVX-512 where the CPU has it, AVX2/FMA otherwise, chosen at run time) rather than
//! burn-ndarray's `matrixmultiply`, which is slower on these shapes (benches/README.md has the
//! measurements). Its sums are in another order than
//! burn's, so values differ from burn's in the last bits; each one is within the rounding bound
//! of its dot product, and the order depends only on the shapes and the CPU (its blocking follows
//! the caches' sizes), not on the thread count — tests/fc.rs and tests/fc_f64.rs check both,
//! for outputs and every gradient. Bias addition and bias gradient are burn's own operations.
//! Any other backend, a layer without bias and the `blas` build (OpenBLAS's products) run
//! burn's operations unchanged.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::{Autodiff, NdArray};
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::{Shape, Tensor, TensorMetadata};
use burn_ndarray::NdArrayTensor;
use ndarray::{ArcArray, Array2, ArrayView2, Ix2, IxDyn, LinalgScalar};

use crate::primitive::{downcast, from_primitive, into_primitive, is_backend, Tracked};

/// Whether this build multiplies with [`product`]; the `blas` build keeps burn's OpenBLAS
/// products.
const OWN_PRODUCTS: bool = !cfg!(feature = "blas");

/// `layer` applied to `x` `[N, in]`, giving `[N, out]`.
pub fn forward<B: Backend>(layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    // Every layer of this crate's models has a bias; one without runs burn's operation, as does
    // the blas build.
    let Some(bias) = layer.bias.as_ref().filter(|_| OWN_PRODUCTS) else {
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

/// `x wᵀ` for `x` `[N, d_in]` and `w` `[out, d_in]`, giving `[N, out]`: burn's
/// `x.matmul(w.transpose())`, on `Autodiff<NdArray>` with the products of the module
/// documentation (the weight's gradient is `gᵀ x`, burn's `(xᵀ g)ᵀ`).
pub fn matmul_wt<B: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    if OWN_PRODUCTS {
        if is_backend::<B, Autodiff<NdArray<f32>>>() {
            return tracked_matmul_wt::<B, NdArray<f32>>(x, w);
        }
        if is_backend::<B, Autodiff<NdArray<f64>>>() {
            return tracked_matmul_wt::<B, NdArray<f64>>(x, w);
        }
    }
    x.matmul(w.transpose())
}

/// Whether a product operand is read as it is or as its transpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `a`.
    N,
    /// `aᵀ`.
    T,
}

/// `op(a) op(b)` for 2-D float tensors of `I` = `NdArray<f32 | f64>`, copying neither operand
/// (see the module documentation). Tensors of another element type than the backend's (burn
/// fixes one per device) go through burn's `float_matmul`.
fn matmul<I: Backend>(a: I::FloatTensorPrimitive, op_a: Op, b: I::FloatTensorPrimitive, op_b: Op) -> I::FloatTensorPrimitive {
    match (downcast::<_, NdArrayTensor>(a), downcast::<_, NdArrayTensor>(b)) {
        (NdArrayTensor::F32(a), NdArrayTensor::F32(b)) => downcast(NdArrayTensor::from(product(a.into_shared(), op_a, b.into_shared(), op_b))),
        (NdArrayTensor::F64(a), NdArrayTensor::F64(b)) => downcast(NdArrayTensor::from(product(a.into_shared(), op_a, b.into_shared(), op_b))),
        (a, b) => {
            let t = |x: NdArrayTensor, op| if op == Op::T { I::float_transpose(downcast(x)) } else { downcast(x) };
            I::float_matmul(t(a, op_a), t(b, op_b))
        }
    }
}

/// `op(a) op(b)` into a fresh row-major array with `gemm::gemm` (`E` is f32 or f64), on all of
/// rayon's threads in the current pool. Operands are read through their strides; one with a
/// negative stride (a flipped view) is first copied to standard layout, so the kernel reads
/// forward strides only.
fn product<E: LinalgScalar>(a: ArcArray<E, IxDyn>, op_a: Op, b: ArcArray<E, IxDyn>, op_b: Op) -> ArcArray<E, IxDyn> {
    let (a, b) = (oriented(&a, op_a), oriented(&b, op_b));
    let (a, b) = (forward_strided(a), forward_strided(b));
    let ((m, k), n) = (a.dim(), b.ncols());
    if m == 0 || n == 0 || k == 0 {
        return Array2::<E>::zeros((m, n)).into_shared().into_dyn();
    }
    let mut c = Array2::<E>::uninit((m, n));
    let (a_s, b_s, c_s) = (a.strides(), b.strides(), c.strides());
    let (c_rs, c_cs) = (c_s[0], c_s[1]);
    // SAFETY: `c` is an m × n array with the strides passed, `a` (m × k) and `b` (k × n) are
    // views with the strides passed, non-negative as made by `forward_strided`; with `read_dst`
    // false gemm writes every element of `c` (α is then ignored) and reads nothing from it, and
    // `k > 0` so every element is a written sum. `E` is f32 or f64 (`matmul` dispatches on
    // them), which gemm supports.
    unsafe {
        gemm::gemm::<E>(
            m,
            n,
            k,
            c.as_mut_ptr().cast::<E>(),
            c_cs,
            c_rs,
            false,
            a.as_ptr(),
            a_s[1],
            a_s[0],
            b.as_ptr(),
            b_s[1],
            b_s[0],
            E::zero(),
            E::one(),
            false,
            false,
            false,
            gemm::Parallelism::Rayon(rayon::current_num_threads()),
        );
        c.assume_init().into_shared().into_dyn()
    }
}

/// `x` itself when no stride is negative, else a standard-layout copy.
fn forward_strided<E: Clone>(x: ArrayView2<'_, E>) -> ndarray::CowArray<'_, E, Ix2> {
    if x.strides().iter().all(|s| *s >= 0) {
        x.into()
    } else {
        x.as_standard_layout().into_owned().into()
    }
}

/// `x` as a 2-D view, transposed for [`Op::T`].
fn oriented<E>(x: &ArcArray<E, IxDyn>, op: Op) -> ArrayView2<'_, E> {
    let x = x.view().into_dimensionality::<Ix2>().expect("fc products take 2-D operands");
    if op == Op::T {
        x.reversed_axes()
    } else {
        x
    }
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

/// `x W + b` on `B` = `Autodiff<I>` with [`LinearBackward`]: burn's linear operation (product,
/// then the bias broadcast over rows and added) with the products above.
fn tracked_linear<B: Backend, I: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>, b: Tensor<B, 1>) -> Tensor<B, 2> {
    let parents = [into_primitive::<Tracked<I>, B, 2>(x), into_primitive::<Tracked<I>, B, 2>(w), into_primitive::<Tracked<I>, B, 1>(b)];
    from_primitive::<Tracked<I>, B, 2>(record(LinearBackward, parents, |[x, w, b]| {
        let out = b.shape().dims::<1>()[0];
        I::float_add(matmul::<I>(x, Op::N, w, Op::N), I::float_reshape(b, Shape::new([1, out])))
    }))
}

/// Backward step of [`tracked_linear`]: `∂x = g Wᵀ`, `∂W = xᵀ g`, `∂b = Σ_rows g`; its state
/// names the kept `x` and `W`.
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
            grads.register::<I>(node.id, matmul::<I>(grad.clone(), Op::N, w, Op::T));
        }
        if let Some(node) = node_w {
            let x = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(x_state.expect("input kept for the weight gradient"));
            grads.register::<I>(node.id, matmul::<I>(x, Op::T, grad.clone(), Op::N));
        }
        if let Some(node) = node_b {
            grads.register::<I>(node.id, I::linear_bias_backward(grad));
        }
    }
}

/// `x wᵀ` on `B` = `Autodiff<I>` with [`MatmulWtBackward`].
fn tracked_matmul_wt<B: Backend, I: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    let parents = [into_primitive::<Tracked<I>, B, 2>(x), into_primitive::<Tracked<I>, B, 2>(w)];
    from_primitive::<Tracked<I>, B, 2>(record(MatmulWtBackward, parents, |[x, w]| matmul::<I>(x, Op::N, w, Op::T)))
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
            grads.register::<I>(node.id, matmul::<I>(grad.clone(), Op::N, w, Op::N));
        }
        if let Some(node) = node_w {
            let x = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(x_state.expect("input kept for the weight gradient"));
            grads.register::<I>(node.id, matmul::<I>(grad, Op::T, x, Op::N));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, s};

    /// Flipped (negative-stride) and transposed operands give the product of their values:
    /// small integers, so every sum is exact and the expected values are exact too.
    #[test]
    fn flipped_and_transposed_operands() {
        let a = array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn().into_shared();
        let b = array![[1.0f64, -1.0], [0.0, 2.0], [3.0, 1.0]].into_dyn().into_shared();
        // a b = [[10, 6], [22, 12]].
        assert_eq!(product(a.clone(), Op::N, b.clone(), Op::N), array![[10.0, 6.0], [22.0, 12.0]].into_dyn().into_shared());
        // Rows of `a` flipped: [[4, 5, 6], [1, 2, 3]].
        let a_flipped = a.clone().slice_move(s![..;-1, ..]).into_dyn();
        assert!(a_flipped.strides()[0] < 0, "the operand must have a negative stride");
        assert_eq!(product(a_flipped, Op::N, b.clone(), Op::N), array![[22.0, 12.0], [10.0, 6.0]].into_dyn().into_shared());
        // bᵀ aᵀ = (a b)ᵀ, through transposed views.
        assert_eq!(product(b, Op::T, a, Op::T), array![[10.0, 22.0], [6.0, 12.0]].into_dyn().into_shared());
    }
}

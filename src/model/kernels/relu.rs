//! ReLU whose backward pass on burn-ndarray is one parallel pass over contiguous memory.
//!
//! burn's backward of `relu` builds a boolean mask `x ≤ 0` (one pass, a new array) and then
//! fills the gradient where it is set with burn-ndarray's `mask_fill`, a sequential loop over
//! dynamic-rank iterators with a branch per element: two passes, one of them sequential, over
//! every hidden activation, which dominates a full-batch step of the wide mean-field MLPs
//! (profiles in benches/README.md). Here, on `Autodiff<NdArray>` (f32 or
//! f64), the same operation registers its own backward step, which zeroes the gradient where
//! `x ≤ 0` in place, in one pass split over rayon's threads. It selects exactly what burn's does
//! (the same comparison, the same `+0` written, NaN inputs passing the gradient through), so
//! the gradient is bitwise burn's; tests/relu.rs checks it, signed zeros and NaN included. The
//! forward pass is burn's own `relu`. Any other backend runs burn's `relu` unchanged.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use burn_ndarray::NdArrayTensor;
use ndarray::{ArcArray, IxDyn, Zip};

use crate::primitive::{downcast, from_primitive, into_primitive, is_backend, Tracked};

/// `max(x, 0)` elementwise; burn's `relu`, with the backward pass above on `Autodiff<NdArray>`.
pub fn relu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    if is_backend::<B, Autodiff<NdArray<f32>>>() {
        return tracked_relu::<B, NdArray<f32>, D>(x);
    }
    if is_backend::<B, Autodiff<NdArray<f64>>>() {
        return tracked_relu::<B, NdArray<f64>, D>(x);
    }
    burn::tensor::activation::relu(x)
}

/// [`relu`] on `B` = `Autodiff<I>` with [`ReluBackward`], which keeps the input as burn's does.
fn tracked_relu<B: Backend, I: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let x = into_primitive::<Tracked<I>, B, D>(x);
    let out = match ReluBackward.prepare::<NoCheckpointing>([x.node.clone()]).compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let state = prep.checkpoint(&x);
            prep.finish(state, I::relu(x.primitive))
        }
        OpsKind::UnTracked(prep) => prep.finish(I::relu(x.primitive)),
    };
    from_primitive::<Tracked<I>, B, D>(out)
}

/// Backward step of [`relu`]; its state names the kept input.
#[derive(Debug)]
struct ReluBackward;

impl<I: Backend> Backward<I, 1> for ReluBackward {
    type State = NodeId;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let Some(node) = node else { return };
        let x = checkpointer.retrieve_node_output::<I::FloatTensorPrimitive>(ops.state);
        let gx = match (downcast::<_, NdArrayTensor>(x), downcast::<_, NdArrayTensor>(grad)) {
            (NdArrayTensor::F32(x), NdArrayTensor::F32(g)) => downcast(NdArrayTensor::from(zero_where_not_positive(x.into_shared(), g.into_shared()))),
            (NdArrayTensor::F64(x), NdArrayTensor::F64(g)) => downcast(NdArrayTensor::from(zero_where_not_positive(x.into_shared(), g.into_shared()))),
            // Another element type than the backend's (burn fixes one per device): burn's step.
            (x, g) => I::relu_backward(downcast(x), downcast(g)),
        };
        grads.register::<I>(node.id, gx);
    }
}

/// `g` with every element where `x ≤ 0` set to `+0` — burn's `mask_fill(g, x ≤ 0, 0)` — in
/// place when `g` is not shared, in one pass over rayon's threads.
fn zero_where_not_positive<E>(x: ArcArray<E, IxDyn>, mut g: ArcArray<E, IxDyn>) -> ArcArray<E, IxDyn>
where
    E: Copy + PartialOrd + Default + Send + Sync,
{
    let zero = E::default();
    Zip::from(&mut g).and(&x).par_for_each(|g, &x| {
        if x <= zero {
            *g = zero;
        }
    });
    g
}

//! Reaching a backend's own tensor type from generic code: the CPU fast paths (the in-place SGD
//! update, train/sgd.rs; the strided products, model/kernels/fc.rs; ReLU's backward, model/kernels/relu.rs)
//! check which concrete type a generic backend's float tensors are, take the tensor out as that
//! type, and put the result back.

use std::any::{Any, TypeId};

use burn::backend::Autodiff;
use burn::tensor::backend::{Backend, BackendTypes};
use burn::tensor::{Tensor, TensorPrimitive};

/// Whether `B`'s float tensors are `T`.
pub(crate) fn is_primitive<T: 'static, B: Backend>() -> bool {
    TypeId::of::<B::FloatTensorPrimitive>() == TypeId::of::<T>()
}

/// A float tensor of `Autodiff<I>` (burn-autodiff's tracked tensor).
pub(crate) type Tracked<I> = <Autodiff<I> as BackendTypes>::FloatTensorPrimitive;

/// Whether `B` is `T`.
pub(crate) fn is_backend<B: Backend, T: Backend>() -> bool {
    TypeId::of::<B>() == TypeId::of::<T>()
}

/// Moves `t` out as a `U`; only called once the types are known to be equal.
pub(crate) fn downcast<S: 'static, U: 'static>(t: S) -> U {
    let mut slot = Some(t);
    (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>().and_then(Option::take).expect("tensor type checked by the caller")
}

/// The backend tensor behind `t`; only called once [`is_primitive`] said it is a `T`.
pub(crate) fn into_primitive<T: 'static, B: Backend, const D: usize>(t: Tensor<B, D>) -> T {
    downcast(t.into_primitive().tensor())
}

/// Undoes [`into_primitive`].
pub(crate) fn from_primitive<T: 'static, B: Backend, const D: usize>(t: T) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(downcast::<T, B::FloatTensorPrimitive>(t)))
}

//! Exact per-sample input gradients: the building block of every gradient-based attribution.
//!
//! Examples in a batch do not interact in evaluation mode, so the gradient of the *sum* over the
//! batch of a per-example scalar is, row by row, each example's own input gradient. Parameters are
//! detached first (`no_grad`), so the backward pass computes no parameter gradients: only the chain
//! to the input.
//!
//! This module depends on the model layer only; the training layer's attacks and gradient
//! penalties call [`input_gradient`] too.

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

use super::target::{target_value, GradTarget, Scalar};
use crate::error::{Error, Result};
use crate::model::{check_input, graph_lock::graph_lock, Classifier};

/// Input gradients `[N, D]` of each example's `target` scalar, in evaluation mode, together with
/// the scalars `[N]`.
///
/// # Shapes
/// - `x`: `[N, D]` on the inner (non-autodiff) backend
/// - returns `([N, D], [N])`
pub fn input_gradient<B, M>(
    model: &M,
    x: Tensor<B::InnerBackend, 2>,
    target: &GradTarget<B::InnerBackend>,
) -> Result<(Tensor<B::InnerBackend, 2>, Tensor<B::InnerBackend, 1>)>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let _graph = graph_lock();
    let frozen = model.clone().no_grad();
    let xa: Tensor<B, 2> = Tensor::from_inner(x).require_grad();
    check_input(&frozen, &xa)?;
    let target_ad = target.map(Tensor::from_inner);
    let values = target_value(frozen.logits(xa.clone()), &target_ad);
    let grads = values.clone().sum().backward();
    let g = xa.grad(&grads).ok_or_else(|| Error::Shape("input gradient missing: the model does not depend on its input".into()))?;
    Ok((g, values.inner()))
}

/// Rows per model evaluation for `model`: fixed per model (a power of two, at most
/// [`MAX_BLOCK_ROWS`], with about [`BLOCK_BYTES`] of activations), whatever the batch and the
/// memory budget.
///
/// A matrix product sums in an order that depends on its shapes (the gemm kernels block by the
/// caches' sizes; cuBLAS picks kernels by shape), so an example's gradient computed in a batch of
/// 40 rows can differ in the last bits from the same gradient in a batch of 1. Attribution
/// methods therefore evaluate the model on blocks of exactly this many rows, padding the last
/// block with copies of its last row: every example's result is then the same bits in any batch,
/// at any chunk size and on any thread count (tests/attribution.rs).
pub fn row_block<B: Backend, M: Classifier<B>>(model: &M) -> usize {
    let per_row = super::budget::bytes_per_row(model).max(1);
    let r = ((BLOCK_BYTES / per_row) as usize).clamp(1, MAX_BLOCK_ROWS);
    1 << (usize::BITS - 1 - r.leading_zeros())
}

/// Most rows of one model evaluation: enough for the products to run at full speed (on the
/// seed-000 MLP, 64-row products run at ≥ 90 % of the throughput of 256-row ones; benches/README.md).
pub const MAX_BLOCK_ROWS: usize = 512;
/// Activation bytes one evaluation block aims at (256 MiB: a quarter of the default budget).
pub const BLOCK_BYTES: u64 = 1 << 28;

/// Rows `start..end` of `x`, padded to `r` rows with copies of row `end − 1`; and the row indices
/// (for the target).
pub(crate) fn padded<I: Backend>(x: &Tensor<I, 2>, start: usize, end: usize, r: usize) -> (Tensor<I, 2>, Vec<usize>) {
    let idx: Vec<usize> = (start..end).chain(std::iter::repeat_n(end - 1, r.saturating_sub(end - start))).collect();
    let block = x.clone().slice([start..end]);
    let block = if end - start < r {
        let last = x.clone().slice([end - 1..end]);
        let pad = last.repeat_dim(0, r - (end - start));
        Tensor::cat(vec![block, pad], 0)
    } else {
        block
    };
    (block, idx)
}

/// The blocks `start..end` of `n` rows in blocks of `r`.
pub(crate) fn blocks(n: usize, r: usize) -> impl Iterator<Item = (usize, usize)> {
    let r = r.max(1);
    (0..n).step_by(r).map(move |s| (s, (s + r).min(n)))
}

/// Runs `f` on each padded block of [`row_block`] rows of `x` with the block's target, and keeps
/// each result's first rows (the block's real examples).
fn per_block<I: Backend, T>(x: &Tensor<I, 2>, target: &Scalar, r: usize, mut f: impl FnMut(Tensor<I, 2>, Scalar) -> Result<T>, mut keep: impl FnMut(T, usize)) -> Result<()> {
    let n = x.dims()[0];
    if target.len() != n {
        return Err(Error::Shape(format!("the target covers {} examples, the batch has {n}", target.len())));
    }
    for (start, end) in blocks(n, r) {
        let (xb, idx) = padded(x, start, end, r);
        keep(f(xb, target.rows(idx))?, end - start);
    }
    Ok(())
}

/// [`input_gradient`] of a resolved [`Scalar`], evaluated in blocks of [`row_block`] rows.
///
/// # Shapes
/// - `x`: `[N, D]`; returns `([N, D], [N])`
pub fn scalar_gradients<B, M>(model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<(Tensor<B::InnerBackend, 2>, Tensor<B::InnerBackend, 1>)>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let device = x.device();
    let (mut gs, mut vs) = (Vec::new(), Vec::new());
    per_block(&x, target, row_block(model), |xb, t| input_gradient::<B, M>(model, xb, &t.grad_target(&device)), |(g, v), len| {
        gs.push(g.slice([0..len]));
        vs.push(v.slice([0..len]));
    })?;
    Ok((Tensor::cat(gs, 0), Tensor::cat(vs, 0)))
}

/// The scalars `[N]` of `target` at `x`, without gradients, in blocks of [`row_block`] rows.
///
/// # Shapes
/// - `x`: `[N, D]`; returns `[N]`
pub fn scalar_values<B, M>(model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Tensor<B::InnerBackend, 1>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let device = x.device();
    let mut vs = Vec::new();
    // Detached parameters: a forward pass with tracked ones would record (and keep) an autodiff
    // graph that no backward pass ever frees.
    let frozen = model.clone().no_grad();
    let value = |xb: Tensor<B::InnerBackend, 2>, t: Scalar| -> Result<Tensor<B::InnerBackend, 1>> {
        let xa: Tensor<B, 2> = Tensor::from_inner(xb);
        check_input(&frozen, &xa)?;
        Ok(target_value(frozen.logits(xa), &t.grad_target::<B::InnerBackend>(&device).map(Tensor::from_inner)).inner())
    };
    per_block(&x, target, row_block(model), value, |v, len| vs.push(v.slice([0..len])))?;
    Ok(Tensor::cat(vs, 0))
}

/// Logits `[N, K]` at `x` without gradients, in blocks of [`row_block`] rows.
///
/// # Shapes
/// - `x`: `[N, D]`; returns `[N, K]`
pub fn logits<B, M>(model: &M, x: Tensor<B::InnerBackend, 2>) -> Result<Tensor<B::InnerBackend, 2>>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let n = x.dims()[0];
    if n == 0 {
        return Err(Error::param("inputs", "no examples to attribute"));
    }
    let r = row_block(model);
    let frozen = model.clone().no_grad();
    let mut out = Vec::with_capacity(n.div_ceil(r));
    for (start, end) in blocks(n, r) {
        let (xb, _) = padded(&x, start, end, r);
        let xa: Tensor<B, 2> = Tensor::from_inner(xb);
        check_input(&frozen, &xa)?;
        out.push(frozen.logits(xa).inner().slice([0..end - start]));
    }
    Ok(Tensor::cat(out, 0))
}

//! Unrolling a convolution's input into patch rows (im2col) and, for the backward pass, summing
//! patch-row gradients back onto the input (col2im).
//!
//! [`crate::model::conv::conv2d_unrolled`] multiplies the patch matrix by the weights. Built from
//! tensor operations, the patch matrix is k² strided slices of the padded input stacked side by
//! side, and its backward pass is k² slice backwards, each of which burn-autodiff performs by
//! allocating a zero tensor of the whole padded input, assigning the slice's gradient into it and
//! adding it to the running sum: for a 3×3 layer nine input-sized zero fills, assignments and
//! additions, plus the pad and permute copies, all single-threaded on burn-ndarray: on a ResNet
//! that route spends much of an input-gradient pass copying and filling (profiles in
//! benches/README.md). Here, on burn-ndarray (f32 or f64, with or without autodiff), the patch
//! matrix is written in one pass over rayon's threads, padding included, and its backward pass
//! sums each patch entry onto the input position it came from, in one pass per (example,
//! channel) plane. Any other backend builds it from slices as before.
//!
//! Layout: input `[N, C, H, W]`; patch matrix `[N·H'·W', kh·kw·C]` with rows in (example, output
//! row, output column) order and columns in (kernel row, kernel column, channel) order, so that
//! on a channels-last copy of the input each kernel row of a patch is one contiguous run of
//! kw·C values (the weight `[O, C, kh, kw]` is permuted to the same column order). Entries that
//! fall on the padding are 0.
//!
//! Determinism: the forward pass only copies. The backward pass adds the contributions to one
//! input element in a fixed order (output row, output column, kernel row, kernel column), inside
//! one thread, whatever the thread count; tests/conv_ops.rs compares both against the
//! slice-built route and across thread counts.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::ops::PadMode;
use burn::tensor::{s, Tensor};
use burn_ndarray::NdArrayTensor;
use ndarray::{ArcArray, Array, IxDyn};
use rayon::prelude::*;

use super::layout::standard_layout;
use crate::primitive::{downcast, from_primitive, into_primitive, is_backend, Tracked};

/// The geometry of an unfolding: input `[n, c, h, w]`, kernel `kh × kw`, strides, the padding
/// on the top and left (the bottom and right padding only set the output size), output `oh × ow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patches {
    /// Examples.
    pub n: usize,
    /// Channels.
    pub c: usize,
    /// Input rows.
    pub h: usize,
    /// Input columns.
    pub w: usize,
    /// Kernel rows.
    pub kh: usize,
    /// Kernel columns.
    pub kw: usize,
    /// Row stride.
    pub sh: usize,
    /// Column stride.
    pub sw: usize,
    /// Zero rows above the input.
    pub top: usize,
    /// Zero columns left of the input.
    pub left: usize,
    /// Output rows.
    pub oh: usize,
    /// Output columns.
    pub ow: usize,
}

impl Patches {
    /// The geometry of a `kernel` convolution with `stride` and padding `(top, left, bottom,
    /// right)` over an `[n, c, h, w]` input; `None` if the padded input is smaller than the kernel
    /// or a kernel or stride is 0.
    pub fn new(dims: [usize; 4], kernel: [usize; 2], stride: [usize; 2], padding: [usize; 4]) -> Option<Self> {
        let [n, c, h, w] = dims;
        let ([kh, kw], [sh, sw], [top, left, bottom, right]) = (kernel, stride, padding);
        let (hp, wp) = (h + top + bottom, w + left + right);
        if kh == 0 || kw == 0 || sh == 0 || sw == 0 || hp < kh || wp < kw {
            return None;
        }
        Some(Patches { n, c, h, w, kh, kw, sh, sw, top, left, oh: (hp - kh) / sh + 1, ow: (wp - kw) / sw + 1 })
    }

    /// Patch rows: `n·oh·ow`.
    pub fn rows(&self) -> usize {
        self.n * self.oh * self.ow
    }

    /// Patch columns: `kh·kw·c`.
    pub fn cols(&self) -> usize {
        self.c * self.kh * self.kw
    }

    /// The input row of output row `oy` and kernel row `i`, if it is not padding.
    pub(crate) fn in_row(&self, oy: usize, i: usize) -> Option<usize> {
        (oy * self.sh + i).checked_sub(self.top).filter(|&y| y < self.h)
    }

    /// The input column of output column `ox` and kernel column `j`, if it is not padding.
    pub(crate) fn in_col(&self, ox: usize, j: usize) -> Option<usize> {
        (ox * self.sw + j).checked_sub(self.left).filter(|&x| x < self.w)
    }

    /// The kernel columns `j0..j1` of output column `ox` that fall on the input (not padding):
    /// `left ≤ ox·sw + j < left + w`; empty (`j0 ≥ j1`) if none does.
    fn valid_cols(&self, ox: usize) -> (usize, usize) {
        let start = ox * self.sw;
        let j0 = self.left.saturating_sub(start).min(self.kw);
        let j1 = (self.left + self.w).saturating_sub(start).min(self.kw);
        (j0, j1)
    }
}

/// The patch matrix `[n·oh·ow, kh·kw·c]` of `x` `[n, c, h, w]` (module documentation).
pub fn unfold<B: Backend>(x: Tensor<B, 4>, p: &Patches) -> Tensor<B, 2> {
    debug_assert_eq!(x.dims(), [p.n, p.c, p.h, p.w], "unfold: input does not match its geometry");
    if is_backend::<B, NdArray<f32>>() || is_backend::<B, NdArray<f64>>() {
        let x = into_primitive::<NdArrayTensor, B, 4>(x);
        return match unfold_ndarray(x, p) {
            Ok(cols) => from_primitive::<NdArrayTensor, B, 2>(cols),
            Err(x) => unfold_by_slices(from_primitive::<NdArrayTensor, B, 4>(x), p),
        };
    }
    if is_backend::<B, Autodiff<NdArray<f32>>>() {
        return tracked_unfold::<B, NdArray<f32>>(x, p);
    }
    if is_backend::<B, Autodiff<NdArray<f64>>>() {
        return tracked_unfold::<B, NdArray<f64>>(x, p);
    }
    unfold_by_slices(x, p)
}

/// [`unfold`] from tensor operations (any backend): the k² strided windows of the zero-padded
/// channels-last input, stacked and laid out as patch rows.
pub fn unfold_by_slices<B: Backend>(x: Tensor<B, 4>, p: &Patches) -> Tensor<B, 2> {
    let Patches { n, c, h, w, kh, kw, sh, sw, top, left, oh, ow } = *p;
    // Padding at the bottom and right beyond what the last window reads is never used.
    let (bottom, right) = (((oh - 1) * sh + kh).saturating_sub(top + h), ((ow - 1) * sw + kw).saturating_sub(left + w));
    let xt = x.permute([0, 2, 3, 1]);
    let xp = if top + bottom + left + right > 0 { xt.pad([(top, bottom), (left, right), (0, 0)], PadMode::Constant(0.0)) } else { xt };
    let window = |i: usize, j: usize| xp.clone().slice(s![.., i..i + sh * (oh - 1) + 1; sh as isize, j..j + sw * (ow - 1) + 1; sw as isize, ..]);
    if kh == 1 && kw == 1 {
        return window(0, 0).reshape([n * oh * ow, c]);
    }
    let windows: Vec<Tensor<B, 4>> = (0..kh).flat_map(|i| (0..kw).map(move |j| (i, j))).map(|(i, j)| window(i, j)).collect();
    // [n, oh, ow, kh·kw, c] → patch rows.
    Tensor::stack::<5>(windows, 3).reshape([n * oh * ow, kh * kw * c])
}

/// [`unfold`] on a burn-ndarray tensor; gives the tensor back if it is not f32 or f64.
fn unfold_ndarray(x: NdArrayTensor, p: &Patches) -> Result<NdArrayTensor, NdArrayTensor> {
    match x {
        NdArrayTensor::F32(x) => Ok(NdArrayTensor::from(unfold_array(&x.into_shared(), p))),
        NdArrayTensor::F64(x) => Ok(NdArrayTensor::from(unfold_array(&x.into_shared(), p))),
        other => Err(other),
    }
}

/// The patch matrix of `x` (any layout), written row block by row block on rayon's threads
/// from a channels-last copy of `x`.
pub fn unfold_array<E: Copy + Default + Send + Sync>(x: &ArcArray<E, IxDyn>, p: &Patches) -> ArcArray<E, IxDyn> {
    let x = standard_layout(&x);
    let xt = channels_last(x.as_slice().expect("standard layout is contiguous"), p.n, p.c, p.h * p.w);
    let (c, cols) = (p.c, p.cols());
    let mut out = vec![E::default(); p.rows() * cols];
    if !out.is_empty() {
        // One block per (example, output row): ow patch rows.
        out.par_chunks_mut(p.ow * cols).enumerate().for_each(|(block, rows)| {
            let (b, oy) = (block / p.oh, block % p.oh);
            let image = &xt[b * p.h * p.w * c..(b + 1) * p.h * p.w * c];
            for (ox, row) in rows.chunks_exact_mut(cols).enumerate() {
                let (j0, j1) = p.valid_cols(ox);
                for i in 0..p.kh {
                    let Some(y) = p.in_row(oy, i) else { continue };
                    if j0 < j1 {
                        // Kernel columns j0..j1 read input columns x0..x0 + (j1 − j0): one run.
                        let x0 = ox * p.sw + j0 - p.left;
                        let src = &image[(y * p.w + x0) * c..(y * p.w + x0 + j1 - j0) * c];
                        row[(i * p.kw + j0) * c..(i * p.kw + j1) * c].copy_from_slice(src);
                    }
                }
            }
        });
    }
    Array::from_shape_vec(IxDyn(&[p.rows(), cols]), out).expect("length matches the shape").into_shared()
}

/// The gradient of [`unfold`]: each entry of `g` `[n·oh·ow, kh·kw·c]` added onto the input
/// position it was copied from, giving `[n, c, h, w]`. One example per task, accumulated
/// channels-last in (output row, output column, kernel row, kernel column) order.
pub fn fold_array<E>(g: &ArcArray<E, IxDyn>, p: &Patches) -> ArcArray<E, IxDyn>
where
    E: Copy + Default + std::ops::AddAssign + Send + Sync,
{
    let g = standard_layout(&g);
    let g = g.as_slice().expect("standard layout is contiguous");
    let (c, cols, image) = (p.c, p.cols(), p.h * p.w * p.c);
    let mut acc = vec![E::default(); p.n * image];
    if !acc.is_empty() {
        acc.par_chunks_mut(image).enumerate().for_each(|(b, dst)| {
            let rows = &g[b * p.oh * p.ow * cols..(b + 1) * p.oh * p.ow * cols];
            for oy in 0..p.oh {
                for ox in 0..p.ow {
                    let row = &rows[(oy * p.ow + ox) * cols..(oy * p.ow + ox + 1) * cols];
                    let (j0, j1) = p.valid_cols(ox);
                    if j0 >= j1 {
                        continue;
                    }
                    let x0 = ox * p.sw + j0 - p.left;
                    for i in 0..p.kh {
                        let Some(y) = p.in_row(oy, i) else { continue };
                        let d = &mut dst[(y * p.w + x0) * c..(y * p.w + x0 + j1 - j0) * c];
                        for (d, v) in d.iter_mut().zip(&row[(i * p.kw + j0) * c..(i * p.kw + j1) * c]) {
                            *d += *v;
                        }
                    }
                }
            }
        });
    }
    let out = channels_first(&acc, p.n, p.c, p.h * p.w);
    Array::from_shape_vec(IxDyn(&[p.n, p.c, p.h, p.w]), out).expect("length matches the shape").into_shared()
}

/// `[n, c, hw]` → `[n, hw, c]`, one example per task.
fn channels_last<E: Copy + Default + Send + Sync>(x: &[E], n: usize, c: usize, hw: usize) -> Vec<E> {
    let mut out = vec![E::default(); n * c * hw];
    if !out.is_empty() {
        out.par_chunks_mut(c * hw).zip(x.par_chunks(c * hw)).for_each(|(dst, src)| {
            for (pix, d) in dst.chunks_exact_mut(c).enumerate() {
                for (ch, d) in d.iter_mut().enumerate() {
                    *d = src[ch * hw + pix];
                }
            }
        });
    }
    out
}

/// `[n, hw, c]` → `[n, c, hw]`, one example per task.
fn channels_first<E: Copy + Default + Send + Sync>(x: &[E], n: usize, c: usize, hw: usize) -> Vec<E> {
    let mut out = vec![E::default(); n * c * hw];
    if !out.is_empty() {
        out.par_chunks_mut(c * hw).zip(x.par_chunks(c * hw)).for_each(|(dst, src)| {
            for (ch, d) in dst.chunks_exact_mut(hw).enumerate() {
                for (pix, d) in d.iter_mut().enumerate() {
                    *d = src[pix * c + ch];
                }
            }
        });
    }
    out
}

/// [`unfold`] on `B` = `Autodiff<I>`, `I` burn-ndarray, with [`UnfoldBackward`].
fn tracked_unfold<B: Backend, I: Backend>(x: Tensor<B, 4>, p: &Patches) -> Tensor<B, 2> {
    let x = into_primitive::<Tracked<I>, B, 4>(x);
    let cols: I::FloatTensorPrimitive = match unfold_ndarray(downcast(x.primitive.clone()), p) {
        Ok(cols) => downcast(cols),
        Err(_) => return unfold_by_slices(from_primitive::<Tracked<I>, B, 4>(x), p),
    };
    let out = match UnfoldBackward.prepare::<NoCheckpointing>([x.node.clone()]).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(*p, cols),
        OpsKind::UnTracked(prep) => prep.finish(cols),
    };
    from_primitive::<Tracked<I>, B, 2>(out)
}

/// Backward step of [`unfold`]: [`fold_array`] of the patch matrix's gradient. Its state is the
/// geometry; no tensor is kept.
#[derive(Debug)]
struct UnfoldBackward;

impl<I: Backend> Backward<I, 1> for UnfoldBackward {
    type State = Patches;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node] = ops.parents;
        let grad = grads.consume::<I>(&ops.node);
        let Some(node) = node else { return };
        let gx = match downcast::<_, NdArrayTensor>(grad) {
            NdArrayTensor::F32(g) => NdArrayTensor::from(fold_array(&g.into_shared(), &ops.state)),
            NdArrayTensor::F64(g) => NdArrayTensor::from(fold_array(&g.into_shared(), &ops.state)),
            // The forward pass ran only on f32 or f64 inputs, and a gradient has its output's type.
            _ => unreachable!("the gradient of an f32 or f64 patch matrix is f32 or f64"),
        };
        grads.register::<I>(node.id, downcast(gx));
    }
}

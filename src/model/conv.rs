//! Convolution and max-pooling as matrix products and strided slices.
//!
//! burn-ndarray without its `simd` feature (off in this crate: see Cargo.toml) convolves by a
//! direct loop that slices an `ndarray` view per (example, output channel, input channel): on
//! the small feature maps of a ResNet (4×4 … 1×1) the slicing dominates the arithmetic
//! (benches/README.md has the measurements). Here a convolution is unrolled into patches (im2col,
//! [`super::kernels::im2col`]) and computed as one matrix product, whose backward pass is two more matrix
//! products; [`conv2d`] takes that route where it is the faster one ([`prefers_unrolled`]) and
//! burn's own kernel elsewhere; max-pooling is a maximum over the windows ([`super::kernels::pool`]). On
//! burn-ndarray the patch matrix and the pooling are single passes with backward passes of
//! their own; on any other backend they are built from tensor operations (strided slices), so
//! autodiff and the CUDA backend come for free. The results equal burn's own `conv2d` /
//! `max_pool2d` (tests/conv_ops.rs checks values and gradients against them; tests/im2col.rs
//! the two routes against each other).
//!
//! Memory: the patch matrix of a k×k convolution holds k² copies of its (padded) input.

use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;
use burn::tensor::ops::PadMode;
use burn::tensor::{s, Tensor};

use super::kernels::im2col::{unfold, Patches};
use super::kernels::pool::max_pool_fast;

/// `conv(x)` for an input `[N, C, H, W]`: an `[N, O, H', W']` map with PyTorch's output size
/// ⌊(H + pads − k)/stride⌋ + 1, by the faster of the two routes on the tensor's backend
/// ([`prefers_unrolled`]): [`conv2d_unrolled`] or burn's own `Conv2d::forward`. Both give the
/// same values and gradients (tests/conv_ops.rs).
pub fn conv2d<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [kh, kw] = conv.kernel_size;
    if prefers_unrolled::<B>(&x.device(), kh, kw) {
        conv2d_unrolled(conv, x)
    } else {
        conv.forward(x)
    }
}

/// Whether [`conv2d_unrolled`] beats the backend's own convolution for a `kh`×`kw` kernel.
/// burn-ndarray (without `simd`) convolves by a direct loop: the unrolled route wins on every
/// layer. burn-flex and the GPU backends have their own tiled im2col / implicit-GEMM kernels,
/// which beat the unrolled route they would take, built from tensor operations (2–3× on the 3×3
/// layers of ResNet18 with burn-flex), except for 1×1 kernels, where the unrolled route is a plain matrix
/// product and wins (1.5× on ResNet50's 1×1 layer). `cargo run --release [--features flex]
/// --example bench_conv` measures both routes on the image models' layers.
pub fn prefers_unrolled<B: Backend>(device: &B::Device, kh: usize, kw: usize) -> bool {
    (kh == 1 && kw == 1) || B::name(device).contains("ndarray")
}

/// [`conv2d`] by unrolled patches and one matrix product, on any backend. Dilated or grouped
/// convolutions and `Same` padding are passed to burn's own implementation (no model of this
/// crate uses them).
pub fn conv2d_unrolled<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let (top, left, bottom, right) = match conv.padding {
        PaddingConfig2d::Explicit(t, l, b, r) => (t, l, b, r),
        PaddingConfig2d::Valid => (0, 0, 0, 0),
        PaddingConfig2d::Same => return conv.forward(x),
    };
    if conv.dilation != [1, 1] || conv.groups != 1 {
        return conv.forward(x);
    }
    let [n, c, h, w] = x.dims();
    let weight = conv.weight.val();
    let [o, _, kh, kw] = weight.dims();
    let Some(p) = Patches::new([n, c, h, w], [kh, kw], conv.stride, [top, left, bottom, right]) else {
        // Let burn report the size error.
        return conv.forward(x);
    };
    // Patch rows [N·H'·W', kh·kw·C], columns in (kernel row, kernel column, channel) order; the
    // weight [O, C, kh, kw] is permuted to the same order.
    let cols = unfold(x, &p);
    let mut out = super::kernels::fc::matmul_wt(cols, weight.permute([0, 2, 3, 1]).reshape([o, kh * kw * c]));
    if let Some(bias) = &conv.bias {
        out = out + bias.val().reshape([1, o]);
    }
    out.reshape([n, p.oh, p.ow, o]).permute([0, 3, 1, 2])
}

/// Max-pooling of `[N, C, H, W]` with a `kernel`, `stride` and `padding` per (row, column)
/// dimension (padded cells never win), floor mode: `[N, C, ⌊(H + 2p − k)/s⌋ + 1, …]`, as
/// `nn.MaxPool2d(kernel, stride, padding)`.
///
/// # Panics
/// If the padded input is smaller than the kernel (models check sizes when they are built).
pub fn max_pool2d<B: Backend>(x: Tensor<B, 4>, kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let ([kh, kw], [sh, sw], [ph, pw]) = (kernel, stride, padding);
    let (hp, wp) = (h + 2 * ph, w + 2 * pw);
    assert!(hp >= kh && wp >= kw, "max_pool2d: {h}×{w} input (padding {padding:?}) smaller than the {kh}×{kw} kernel");
    let (oh, ow) = ((hp - kh) / sh + 1, (wp - kw) / sw + 1);
    // The size check above holds, so the geometry exists.
    let x = match Patches::new([n, c, h, w], kernel, stride, [ph, pw, ph, pw]) {
        Some(p) => match max_pool_fast(x, &p) {
            Ok(out) => return out,
            Err(x) => x,
        },
        None => x,
    };
    if kernel == stride && padding == [0, 0] {
        // Non-overlapping windows: crop to whole windows and take the maximum over two axes.
        return x
            .slice(s![.., .., 0..oh * kh, 0..ow * kw])
            .reshape([n, c, oh, kh, ow, kw])
            .max_dim(5)
            .max_dim(3)
            .reshape([n, c, oh, ow]);
    }
    let xp = if ph + pw > 0 { x.pad([(ph, ph), (pw, pw)], PadMode::Constant(f32::NEG_INFINITY)) } else { x };
    let windows: Vec<Tensor<B, 4>> = (0..kh)
        .flat_map(|i| (0..kw).map(move |j| (i, j)))
        .map(|(i, j)| xp.clone().slice(s![.., .., i..i + sh * (oh - 1) + 1; sh as isize, j..j + sw * (ow - 1) + 1; sw as isize]))
        .collect();
    Tensor::stack::<5>(windows, 4).max_dim(4).reshape([n, c, oh, ow])
}

//! CPU fast paths for burn-ndarray that the models and the trainer call instead of burn's own
//! operations where those copy, allocate or run single-threaded.
//!
//! Each module states why its path exists and what it must equal; on any other backend (CUDA,
//! burn-flex) or outside the cases it covers, it runs burn's operations unchanged, so models
//! never depend on it for correctness. The tests compare every path with burn's route, bitwise
//! where the sums are the same and within a rounding bound where the order differs, and across
//! thread counts. The measurements behind them are in benches/README.md.
//!
//! * [`fc`] — dense layers and the unrolled convolution's product on strided operands (gemm).
//! * [`im2col`] — the convolution's patch matrix and its backward pass, one pass each.
//! * [`pool`] — max-pooling that records each window's winner and routes the gradient there.
//! * [`norm_fused`] — batch normalisation as two passes forward and two backward.
//! * [`relu`] — ReLU whose backward pass zeroes the gradient in place, in parallel.
//! * [`layout`] — parallel copies into standard (row-major) layout.

pub mod fc;
pub mod im2col;
pub mod layout;
pub mod norm_fused;
pub mod pool;
pub mod relu;

//! The trainer's SGD on the f64 backend, where it takes burn's tensor operations (the in-place
//! update is f32 only): bitwise burn's `Sgd`, μ kept in f64 as burn keeps it. A separate binary:
//! burn 0.21 fixes a device's float dtype process-wide at its first use, so next to f32 tests the
//! f64 backend would compute in f32 (tests/support/sgd.rs asserts the dtype).

#[path = "support/sgd.rs"]
mod sgd;

#[test]
fn train_step_sgd_matches_burn_sgd_f64() {
    sgd::sgd_matches_burn_sgd::<burn::backend::Autodiff<burn::backend::NdArray<f64>>>();
}

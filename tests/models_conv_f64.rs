//! Input gradients of the convolutional models against central finite differences, in f64.
//!
//! A separate test binary because burn 0.21 fixes a device's float dtype process-wide at the first
//! tensor created on it (`burn::tensor::backend::get_device_settings`): `NdArray<f32>` and
//! `NdArray<f64>` share `NdArrayDevice::Cpu`, so next to the f32 tests of tests/models_conv.rs an
//! f64 backend would silently compute in f32. Every test here uses f64 only (and `fd_check`
//! asserts the dtype).
//!
//! In f64 the step can be small ([`prec::FD_STEP`]), so that for these inputs no ReLU or max-pool
//! kink lies within it and the default ReLU models can be checked, to [`prec::FD_TOL_NET`].

#[path = "support/fd.rs"]
mod fd;

use burn::backend::{Autodiff, NdArray};
use inputgrad::model::{Activation, InputShape, ModelSpec, ResNetDepth, Stem};
use inputgrad::prec;

type A = Autodiff<NdArray<f64>>;

fn img(c: usize, h: usize, w: usize) -> InputShape {
    InputShape::Image { c, h, w }
}

fn fd_f64(spec: ModelSpec, shape: InputShape) {
    let device = Default::default();
    let net = fd::warmed::<A>(&spec, shape, &device);
    let worst = fd::fd_check(&spec.name(), &net, prec::FD_STEP, prec::FD_TOL_NET, &device);
    eprintln!("{}: worst |fd − g| / max|g| = {worst:.1e} (f64, h = {:e})", spec.name(), prec::FD_STEP);
}

#[test]
fn input_gradients_match_finite_differences_f64_madry_cnn() {
    fd_f64(ModelSpec::MadryCnn { activation: Activation::Relu }, img(1, 8, 12));
}

#[test]
fn input_gradients_match_finite_differences_f64_resnet18_both_stems() {
    fd_f64(ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu }, img(3, 8, 8));
    fd_f64(ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Imagenet, activation: Activation::Softplus }, img(3, 16, 16));
}

/// SoftPlus here: with ReLU, one unit of this ResNet50 has its pre-activation within ~1e-6 of its
/// kink on these inputs (measured error 4e-3 at h = 1e-6, where the ReLU ResNet18, VGG11 and Madry
/// CNN agree to 1e-8). With SoftPlus and the CIFAR stem (no max-pool) the net has no kink at all,
/// so the check is exact up to rounding.
#[test]
fn input_gradients_match_finite_differences_f64_resnet50() {
    fd_f64(ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Cifar, activation: Activation::Softplus }, img(3, 8, 8));
}

#[test]
fn input_gradients_match_finite_differences_f64_vgg11() {
    fd_f64(ModelSpec::Vgg11 { activation: Activation::Relu }, img(1, 8, 16));
}

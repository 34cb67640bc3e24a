//! Prints the f32 directional finite-difference error of each convolutional model's input
//! gradient against the step h — the measurement behind `prec::FD_STEP_F32` and
//! `prec::FD_TOL_F32_CONV` (tests/models_conv.rs checks at that step and tolerance):
//!
//!   cargo run --release --example fd_step_sweep

#[allow(dead_code)]
#[path = "../tests/support/fd.rs"]
mod fd;

use burn::backend::{Autodiff, NdArray};
use inputgrad::model::{Activation, InputShape, ModelSpec, ResNetDepth, Stem};

type B = Autodiff<NdArray<f32>>;

/// Steps swept, from coarse to fine.
const STEPS: [f64; 5] = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3];

fn main() {
    let device = Default::default();
    let img = |c, h, w| InputShape::Image { c, h, w };
    for act in [Activation::Relu, Activation::Softplus] {
        let specs = [
            (ModelSpec::MadryCnn { activation: act }, img(1, 8, 12)),
            (ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: act }, img(3, 8, 8)),
            (ModelSpec::ResNet { depth: ResNetDepth::R50, stem: Stem::Cifar, activation: act }, img(3, 8, 8)),
            (ModelSpec::Vgg11 { activation: act }, img(1, 8, 16)),
            (ModelSpec::SmallCnn { channels: vec![4, 6], batch_norm: true, activation: act }, img(2, 8, 8)),
        ];
        for (spec, shape) in specs {
            let net = fd::warmed::<B>(&spec, shape, &device);
            // An infinite tolerance: the sweep reports the error, it does not judge it.
            let line: Vec<String> = STEPS.iter().map(|&h| format!("h={h:e}: {:.1e}", fd::fd_directional(&spec.name(), &net, h, f64::INFINITY, &device))).collect();
            println!("{} {act:?}: {}", spec.name(), line.join("  "));
        }
    }
}

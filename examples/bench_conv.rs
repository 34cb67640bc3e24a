//! Convolution layers of the image models, forward + backward (input and weight gradients), with
//! `model::conv::conv2d_unrolled` (one matrix product over unrolled patches) and with burn's own
//! `Conv2d::forward`, timed in the same process; prints the ratio of the two.
//!
//! usage: cargo run --release --example bench_conv [-- REPEATS]

use std::time::Instant;

use burn::backend::Autodiff;
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::{Distribution, Tensor};
use inputgrad::model::conv::conv2d_unrolled;
use inputgrad::train::Cpu;

type A = Autodiff<Cpu>;

/// (name, batch, in channels, out channels, H, W, kernel, stride, padding)
const LAYERS: [(&str, usize, usize, usize, usize, usize, usize, usize, usize); 8] = [
    ("madry-cnn conv1 (BlockMNIST)", 64, 1, 32, 56, 28, 5, 1, 2),
    ("madry-cnn conv2 (BlockMNIST)", 64, 32, 64, 28, 14, 5, 1, 2),
    ("resnet18 layer1 3x3 (BlockMNIST)", 32, 64, 64, 56, 28, 3, 1, 1),
    ("resnet18 layer2 3x3 s2", 32, 64, 128, 56, 28, 3, 2, 1),
    ("resnet18 layer3 3x3", 32, 256, 256, 14, 7, 3, 1, 1),
    ("resnet18 layer4 3x3", 32, 512, 512, 7, 4, 3, 1, 1),
    ("resnet50 layer4 1x1", 32, 2048, 512, 7, 4, 1, 1, 0),
    ("vgg11 conv 3x3 (8x4 map)", 32, 512, 512, 8, 4, 3, 1, 1),
];

fn main() {
    let repeats: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let device = Default::default();
    println!("{:<36} {:>12} {:>12} {:>8}", "layer (fwd+bwd)", "im2col ms", "burn ms", "ratio");
    for (name, n, c, o, h, w, k, s, p) in LAYERS {
        let conv = Conv2d::<A> {
            weight: Param::from_tensor(Tensor::random([o, c, k, k], Distribution::Normal(0.0, 0.1), &device)),
            bias: Some(Param::from_tensor(Tensor::zeros([o], &device))),
            stride: [s, s],
            kernel_size: [k, k],
            dilation: [1, 1],
            groups: 1,
            padding: PaddingConfig2d::Explicit(p, p, p, p),
        };
        let x = Tensor::<A, 4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), &device);
        let time = |ours: bool| {
            let mut best = f64::INFINITY;
            for _ in 0..repeats + 1 {
                let xa = x.clone().require_grad();
                let t = Instant::now();
                let out = if ours { conv2d_unrolled(&conv, xa.clone()) } else { conv.forward(xa.clone()) };
                let grads = out.sum().backward();
                let _ = xa.grad(&grads).expect("grad").into_data();
                best = best.min(t.elapsed().as_secs_f64());
            }
            best * 1e3
        };
        let (a, b) = (time(true), time(false));
        println!("{name:<36} {a:>12.1} {b:>12.1} {:>8.2}", b / a);
    }
}

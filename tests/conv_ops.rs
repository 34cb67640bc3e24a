//! `model::conv` (convolution as a matrix product, max-pooling over strided slices) against burn's
//! own `conv2d` / `max_pool2d`: the same outputs and the same gradients with respect to the input,
//! the weights and the bias, over random shapes, kernels, strides and paddings.

use burn::backend::{Autodiff, NdArray};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::{Distribution, Tensor, TensorData};
use inputgrad::model::conv::{conv2d_unrolled, max_pool2d};
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::prec;
use proptest::prelude::*;

type A = Autodiff<NdArray<f32>>;

fn values<const D: usize>(t: Tensor<A, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 tensor")
}

/// max |a − b| / max(1, max |b|): entries are O(1) sums, compared against [`prec::F32_EXACT`].
fn rel_err(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    let scale = b.iter().fold(1.0f64, |m, v| m.max(f64::from(v.abs())));
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max(f64::from((x - y).abs()))) / scale
}

fn tensor<const D: usize>(data: Vec<f32>, shape: [usize; D]) -> Tensor<A, D> {
    Tensor::from_data(TensorData::new(data, shape), &Default::default())
}

/// A random tensor drawn from burn's seeded generator.
fn random<const D: usize>(shape: [usize; D]) -> Vec<f32> {
    Tensor::<A, D>::random(shape, Distribution::Normal(0.0, 1.0), &Default::default()).into_data().to_vec::<f32>().expect("f32")
}

#[derive(Debug, Clone)]
struct ConvCase {
    n: usize,
    c: usize,
    o: usize,
    h: usize,
    w: usize,
    k: [usize; 2],
    stride: [usize; 2],
    pad: [usize; 4],
    bias: bool,
}

fn conv_case() -> impl Strategy<Value = ConvCase> {
    (1usize..3, 1usize..4, 1usize..5, 1usize..9, 1usize..9, 1usize..6, 1usize..6, 1usize..4, 1usize..4, 0usize..3, 0usize..3, any::<bool>())
        .prop_map(|(n, c, o, h, w, kh, kw, sh, sw, ph, pw, bias)| ConvCase {
            n,
            c,
            o,
            h: h.max(kh),
            w: w.max(kw),
            k: [kh, kw],
            stride: [sh, sw],
            // Asymmetric padding as well: (top, left, bottom, right).
            pad: [ph, pw, (ph + 1) % 3, pw],
            bias,
        })
}

/// Output, input gradient, weight gradient and bias gradient of `sum(conv(x) ⊙ r)`.
fn conv_run(case: &ConvCase, ours: bool, x: &[f32], wt: &[f32], b: &[f32], r: &[f32]) -> [Vec<f32>; 4] {
    let ConvCase { n, c, o, h, w, k, stride, pad, bias } = case.clone();
    let _graph = graph_lock();
    let conv = Conv2d::<A> {
        weight: Param::from_tensor(tensor(wt.to_vec(), [o, c, k[0], k[1]]).require_grad()),
        bias: bias.then(|| Param::from_tensor(tensor(b.to_vec(), [o]).require_grad())),
        stride,
        kernel_size: k,
        dilation: [1, 1],
        groups: 1,
        padding: PaddingConfig2d::Explicit(pad[0], pad[1], pad[2], pad[3]),
    };
    let xa = tensor(x.to_vec(), [n, c, h, w]).require_grad();
    let out = if ours { conv2d_unrolled(&conv, xa.clone()) } else { conv.forward(xa.clone()) };
    let dims = out.dims();
    let grads = (out.clone() * tensor(r[..dims.iter().product::<usize>()].to_vec(), dims)).sum().backward();
    let gb = conv.bias.as_ref().map(|p| values(p.val().grad(&grads).map(Tensor::from_inner).expect("bias grad"))).unwrap_or_default();
    [
        values(out),
        values(Tensor::from_inner(xa.grad(&grads).expect("input grad"))),
        values(Tensor::from_inner(conv.weight.val().grad(&grads).expect("weight grad"))),
        gb,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn conv2d_equals_burn_conv2d_in_value_and_gradients(case in conv_case()) {
        let ConvCase { n, c, o, h, w, k, .. } = case;
        let x = random([n, c, h, w]);
        let wt = random([o, c, k[0], k[1]]);
        let b = random([o]);
        // Upper bound on the output size: stride 1, the largest padding.
        let r = random([n, o, h + 4, w + 4]);
        let ours = conv_run(&case, true, &x, &wt, &b, &r);
        let reference = conv_run(&case, false, &x, &wt, &b, &r);
        for (what, (a, bb)) in ["output", "input gradient", "weight gradient", "bias gradient"].iter().zip(ours.iter().zip(&reference)) {
            let err = rel_err(a, bb);
            prop_assert!(err <= prec::F32_EXACT, "{case:?}: {what} differs by {err:.2e}");
        }
    }

    #[test]
    fn max_pool2d_equals_burn_max_pool2d_in_value_and_gradient(
        n in 1usize..3, c in 1usize..4, h in 1usize..10, w in 1usize..10,
        kh in 1usize..4, kw in 1usize..4, sh in 1usize..4, sw in 1usize..4, pad in any::<bool>(),
    ) {
        let (h, w) = (h.max(kh), w.max(kw));
        // PyTorch allows padding up to half the kernel.
        let padding = if pad { [kh / 2, kw / 2] } else { [0, 0] };
        let x = random([n, c, h, w]);
        let r = random([n, c, h + 2, w + 2]);
        let run = |ours: bool| {
            let _graph = graph_lock();
            let xa = tensor(x.clone(), [n, c, h, w]).require_grad();
            let out = if ours {
                max_pool2d(xa.clone(), [kh, kw], [sh, sw], padding)
            } else {
                burn::tensor::module::max_pool2d(xa.clone(), [kh, kw], [sh, sw], padding, [1, 1], false)
            };
            let dims = out.dims();
            let grads = (out.clone() * tensor(r[..dims.iter().product::<usize>()].to_vec(), dims)).sum().backward();
            (dims, values(out), values(Tensor::from_inner(xa.grad(&grads).expect("input grad"))))
        };
        let (d1, v1, g1) = run(true);
        let (d2, v2, g2) = run(false);
        prop_assert_eq!(d1, d2);
        // A maximum is one of its inputs, and its gradient is routed to that input: exact.
        prop_assert_eq!(v1, v2);
        prop_assert_eq!(g1, g2);
    }
}

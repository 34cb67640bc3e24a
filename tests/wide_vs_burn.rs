//! The two engines of the eq (2) studies agree: the fused f64 mean-field net of `train::wide`
//! (seed 000 Fig 5, Fig 31) and the burn MLP with mean-field output scaling (`ModelSpec::Mlp {
//! mean_field: true }`, used by the trainer) compute the same function, the same loss and the same
//! parameter gradients for the same weights, and the same trajectory under the mean-field
//! gradient-descent step.
//!
//! The mapping: wide's f(x) = (1/m) Σ_k a_k ReLU(⟨r_k, x⟩ + b_k) with the logistic loss
//! log(1 + e^{−y f}); the burn net has two logits z = (1/m) h W_out with W_out[k] = (−a_k/2, a_k/2)
//! and zero output bias, so z₁ − z₀ = f and the 2-class cross-entropy of class 1 ⇔ y = +1 is the
//! same loss; ∂L/∂a_k = ∂L/∂W_out[k, 1] because ∂L/∂z₀ = −∂L/∂z₁.

use burn::backend::{Autodiff, NdArray};
use burn::module::Param;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::attribution::target::cross_entropy;
use inputgrad::model::{build, Activation, Classifier, InputShape, Mode, ModelSpec, Net};
use inputgrad::train::wide::{Batch, WideNet};
use inputgrad::{prec, Seed};
use rand::Rng as _;

type A = Autodiff<NdArray<f64>>;

const D: usize = 6;
const M: usize = 40;
const N: usize = 12;
/// Mean-field learning rate of the trajectory (the wide studies' order of magnitude).
const LR: f64 = 0.5;
/// Steps of the trajectory.
const STEPS: usize = 25;

fn data() -> (Vec<f64>, Vec<f64>) {
    let mut rng = Seed(7).rng();
    let x = (0..N * D).map(|_| rng.random_range(-1.0..1.0)).collect();
    let y = (0..N).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect();
    (x, y)
}

/// The burn net holding wide's parameters (a, r row-major m × d, b).
fn burn_net(a: &[f64], r_rows: &[f64], b: &[f64]) -> Net<A> {
    let device = Default::default();
    let mut net: Net<A> = build(&ModelSpec::Mlp { hidden: vec![M], activation: Activation::Relu, mean_field: true }, InputShape::Flat(D), 2, Seed(0), &device).unwrap();
    let Net::Mlp(m) = &mut net else { unreachable!() };
    assert_eq!(m.out_scale(), 1.0 / M as f64, "mean-field output scaling");
    // burn's Linear weight is [d_in, d_out].
    let w_in: Vec<f64> = (0..D).flat_map(|j| (0..M).map(move |k| r_rows[k * D + j])).collect();
    m.hidden[0].weight = Param::from_tensor(Tensor::from_data(TensorData::new(w_in, [D, M]), &device));
    m.hidden[0].bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(b.to_vec(), [M]), &device)));
    let w_out: Vec<f64> = a.iter().flat_map(|&ak| [-ak / 2.0, ak / 2.0]).collect();
    m.out.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w_out, [M, 2]), &device));
    m.out.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![0.0f64; 2], [2]), &device)));
    net
}

/// Logit differences z₁ − z₀, the mean cross-entropy, and ∂L/∂(a, r row-major, b) on the burn net.
fn burn_eval(net: &Net<A>, x: &[f64], y: &[f64]) -> (Vec<f64>, f64, Vec<f64>, Vec<f64>, Vec<f64>) {
    let device = Default::default();
    let xt: Tensor<A, 2> = Tensor::from_data(TensorData::new(x.to_vec(), [N, D]), &device);
    let labels: Tensor<A, 1, Int> = Tensor::from_data(TensorData::new(y.iter().map(|&v| i64::from(v > 0.0)).collect::<Vec<_>>(), [N]), &device);
    let z = net.forward_mode(xt, Mode::Train);
    let zv: Vec<f64> = z.clone().into_data().convert::<f64>().to_vec().unwrap();
    let f = (0..N).map(|i| zv[2 * i + 1] - zv[2 * i]).collect();
    let loss = cross_entropy(z, labels).mean();
    let lv: f64 = loss.clone().into_data().convert::<f64>().to_vec::<f64>().unwrap()[0];
    let grads = loss.backward();
    let Net::Mlp(m) = net else { unreachable!() };
    let v = |t: Tensor<NdArray<f64>, 2>| t.into_data().convert::<f64>().to_vec::<f64>().unwrap();
    let gw_in = v(m.hidden[0].weight.grad(&grads).unwrap());
    let g_r = (0..M).flat_map(|k| (0..D).map(move |j| (k, j))).map(|(k, j)| gw_in[j * M + k]).collect();
    let g_b = m.hidden[0].bias.as_ref().unwrap().grad(&grads).unwrap().into_data().convert::<f64>().to_vec::<f64>().unwrap();
    let gw_out = v(m.out.weight.grad(&grads).unwrap());
    let g_a = (0..M).map(|k| gw_out[2 * k + 1]).collect();
    (f, lv, g_a, g_r, g_b)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn wide_engine_and_burn_mean_field_mlp_agree_on_function_gradient_and_trajectory() {
    let (x, y) = data();
    let batch = Batch::new(&x, &y, D).unwrap();
    let mut wide = WideNet::init(D, M, 1.0, Seed(4)).unwrap();
    let rows = |w: &WideNet| -> Vec<f64> { (0..M).flat_map(|k| w.r_of(k)).collect() };
    // Same weights: same function, loss and gradient.
    let net = burn_net(wide.a(), &rows(&wide), wide.b());
    let (f, loss, g_a, g_r, g_b) = burn_eval(&net, &x, &y);
    let (wl, wg) = wide.loss_and_grad(&batch).unwrap();
    assert!(max_rel(&f, &wide.logits(&x).unwrap()) <= prec::EXACT, "f differs");
    assert!((loss - wl).abs() <= prec::EXACT * wl, "loss {loss} vs {wl}");
    let wg_r: Vec<f64> = (0..M).flat_map(|k| (0..D).map(move |j| (k, j))).map(|(k, j)| wg.r[wide.r_index(k, j)]).collect();
    for (name, ours, theirs) in [("a", &g_a, &wg.a), ("r", &g_r, &wg_r), ("b", &g_b, &wg.b)] {
        let e = max_rel(ours, theirs);
        assert!(e <= prec::EXACT, "∂L/∂{name}: relative difference {e:.2e}");
    }
    // The same trajectory: wide's fused step θ ← θ − lr·m·∂L/∂θ against the same update applied to
    // the burn net's autodiff gradients.
    let (mut a, mut r, mut b) = (wide.a().to_vec(), rows(&wide), wide.b().to_vec());
    let first = wl;
    for _ in 0..STEPS {
        wide.gd_step(&batch, LR).unwrap();
        let (_, _, g_a, g_r, g_b) = burn_eval(&burn_net(&a, &r, &b), &x, &y);
        let step = LR * M as f64;
        for (p, g) in a.iter_mut().zip(&g_a).chain(r.iter_mut().zip(&g_r)).chain(b.iter_mut().zip(&g_b)) {
            *p -= step * g;
        }
    }
    let (f_end, loss_end, ..) = burn_eval(&burn_net(&a, &r, &b), &x, &y);
    assert!(loss_end < first, "the trajectory trains: loss {first} → {loss_end}");
    let e = max_rel(&f_end, &wide.logits(&x).unwrap());
    assert!(e <= prec::EXACT, "after {STEPS} steps the engines' outputs differ by {e:.2e}");
    let e = max_rel(&a, wide.a()).max(max_rel(&b, wide.b())).max(max_rel(&r, &rows(&wide)));
    assert!(e <= prec::EXACT, "after {STEPS} steps the engines' parameters differ by {e:.2e}");
}

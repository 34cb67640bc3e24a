//! The exact route's parameter gradients against central finite differences of the penalty value
//! in the parameters, in f64.
//!
//! A separate test binary because burn 0.21 fixes a device's float dtype process-wide at the
//! first tensor created on it (see tests/models_conv_f64.rs): next to the f32 tests of
//! tests/objective.rs an f64 backend would silently compute in f32.

#[path = "support/objective.rs"]
mod support;

use burn::backend::{Autodiff, NdArray};
use burn::module::Param;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::model::{Activation, Net};
use inputgrad::prec;
use inputgrad::train::{DensityForm, GradOf, PNorm, Penalty, Route};
use inputgrad::Seed;
use support::{batch, mlp, param_grads, scalar};

type A = Autodiff<NdArray<f64>>;

fn dev() -> burn::tensor::Device<A> {
    Default::default()
}

/// Which parameter tensor of a one- or two-hidden-layer MLP, in [`param_grads`]' visiting order
/// (hidden[0].weight, hidden[0].bias, …, out.weight, out.bias).
#[derive(Clone, Copy, Debug)]
enum Which {
    HiddenW(usize),
    HiddenB(usize),
    OutW,
}

fn get(net: &Net<A>, w: Which) -> Vec<f64> {
    let Net::Mlp(m) = net else { unreachable!() };
    let t = match w {
        Which::HiddenW(i) => m.hidden[i].weight.val().into_data(),
        Which::HiddenB(i) => m.hidden[i].bias.as_ref().unwrap().val().into_data(),
        Which::OutW => m.out.weight.val().into_data(),
    };
    t.to_vec::<f64>().unwrap()
}

fn with(net: &Net<A>, w: Which, j: usize, delta: f64) -> Net<A> {
    let mut net = net.clone();
    let Net::Mlp(m) = &mut net else { unreachable!() };
    let set2 = |p: &mut Param<Tensor<A, 2>>| {
        let dims = p.val().dims();
        let mut v = p.val().into_data().to_vec::<f64>().unwrap();
        v[j] += delta;
        *p = Param::from_tensor(Tensor::from_data(TensorData::new(v, dims), &dev()));
    };
    match w {
        Which::HiddenW(i) => set2(&mut m.hidden[i].weight),
        Which::OutW => set2(&mut m.out.weight),
        Which::HiddenB(i) => {
            let b = m.hidden[i].bias.as_mut().unwrap();
            let dims = b.val().dims();
            let mut v = b.val().into_data().to_vec::<f64>().unwrap();
            v[j] += delta;
            *b = Param::from_tensor(Tensor::from_data(TensorData::new(v, dims), &dev()));
        }
    }
    net
}

/// Offset of `w` in the flattened parameter gradient of a `[d] → hidden → k` MLP.
fn offset(w: Which, d: usize, hidden: &[usize]) -> usize {
    let mut off = 0;
    let mut fan_in = d;
    for (i, &h) in hidden.iter().enumerate() {
        if let Which::HiddenW(j) = w {
            if j == i {
                return off;
            }
        }
        off += fan_in * h;
        if let Which::HiddenB(j) = w {
            if j == i {
                return off;
            }
        }
        off += h;
        fan_in = h;
    }
    off
}

/// Requirement 2: the parameter gradient of each exact-route penalty (ℓ1, ℓ2², ℓ∞, ℓ1.5 of the
/// loss, logit and logsumexp gradients; the marginal density in its three forms; the curvature
/// penalty; an ℓ1.5 weight penalty) equals the central finite difference of the penalty value in
/// a few parameters of every layer (the largest-gradient entry and spread ones), to
/// [`prec::PENALTY_GRAD_FD`] relative to the gradient's largest entry, on ReLU and SoftPlus MLPs.
/// For SoftPlus this includes the second-order terms through sigmoid(z); for ReLU it shows the
/// masks may be held constant.
#[test]
fn exact_route_parameter_gradients_match_finite_differences_f64() {
    let (d, k, n, hidden) = (5, 3, 6, [7usize, 6]);
    let cases = |act: Activation| {
        let mut v = Vec::new();
        for of in [GradOf::Loss, GradOf::Logit, GradOf::LogSumExp] {
            for (p, squared) in [(PNorm::L1, false), (PNorm::L2, true), (PNorm::LINF, false), (PNorm::new(1.5).unwrap(), false)] {
                v.push(Penalty::InputGrad { of, p, squared, lambda: 1.0, route: Route::Exact, fd_step: prec::PENALTY_FD_STEP });
            }
        }
        for form in [DensityForm::Plain, DensityForm::Stable, DensityForm::Efficient] {
            v.push(Penalty::MarginalDensity { p: PNorm::new(2.5).unwrap(), lambda: 1.0, form, route: Route::Exact, fd_step: prec::PENALTY_FD_STEP });
        }
        if act == Activation::Softplus {
            v.push(Penalty::Hessian { of: GradOf::Loss, h: 0.1, lambda: 1.0, route: Route::Exact, fd_step: prec::PENALTY_FD_STEP });
        }
        v.push(Penalty::Weight { p: PNorm::new(1.5).unwrap(), squared: true, lambda: 1.0 });
        v
    };
    let mut worst = 0.0f64;
    for act in [Activation::Relu, Activation::Softplus] {
        let net = mlp::<A>(d, &hidden, k, act, 11, &dev());
        let (x, y): (Tensor<A, 2>, Tensor<A, 1, Int>) = batch::<A>(n, d, k, 12, &dev());
        for pen in cases(act) {
            let value = |m: &Net<A>| scalar(pen.measure(m, x.clone(), y.clone(), Seed(3)).unwrap().inner());
            let g = param_grads(&net, || pen.measure(&net, x.clone(), y.clone(), Seed(3)).unwrap());
            let gmax = g.iter().fold(0f64, |a, v| a.max(v.abs()));
            for w in [Which::HiddenW(0), Which::HiddenB(0), Which::HiddenW(1), Which::OutW] {
                let len = get(&net, w).len();
                let off = offset(w, d, &hidden);
                let block = &g[off..off + len];
                let argmax = (0..len).max_by(|&a, &b| block[a].abs().total_cmp(&block[b].abs())).unwrap();
                for j in [argmax, 0, len / 2, len - 1] {
                    let h = prec::FD_STEP;
                    let fd = (value(&with(&net, w, j, h)) - value(&with(&net, w, j, -h))) / (2.0 * h);
                    let err = (fd - block[j]).abs() / gmax;
                    worst = worst.max(err);
                    assert!(err <= prec::PENALTY_GRAD_FD, "{act:?} {}: {w:?}[{j}]: autodiff {} vs finite difference {fd} (max |g| {gmax})", pen.name(), block[j]);
                }
            }
        }
    }
    eprintln!("worst |fd − autodiff| / max|g| = {worst:.1e}");
}


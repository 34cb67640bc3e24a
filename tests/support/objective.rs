//! Shared by tests/objective.rs (f32) and tests/objective_f64.rs: building MLPs, reading and
//! perturbing their parameters and parameter gradients.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::{build, Activation, InputShape, ModelSpec, Net};
use inputgrad::Seed;
use rand::Rng as _;

/// An MLP with the given hidden widths.
pub fn mlp<A: AutodiffBackend>(d: usize, hidden: &[usize], k: usize, activation: Activation, seed: u64, device: &A::Device) -> Net<A> {
    let spec = ModelSpec::Mlp { hidden: hidden.to_vec(), activation, mean_field: false };
    build::<A>(&spec, InputShape::Flat(d), k, Seed(seed), device).expect("model builds")
}

/// Standard normal inputs `[n, d]` and uniform labels in `0..k`.
pub fn batch<A: AutodiffBackend>(n: usize, d: usize, k: usize, seed: u64, device: &A::Device) -> (Tensor<A, 2>, Tensor<A, 1, Int>) {
    let mut rng = Seed(seed).rng();
    let x: Vec<f64> = (0..n * d).map(|_| rng.random_range(-1.5..1.5f64)).collect();
    let y: Vec<i64> = (0..n).map(|_| rng.random_range(0..k) as i64).collect();
    (Tensor::from_data(TensorData::new(x, [n, d]), device), Tensor::from_data(TensorData::new(y, [n]), device))
}

struct Grads<'a, A: AutodiffBackend> {
    grads: &'a A::Gradients,
    out: Vec<f64>,
}

impl<A: AutodiffBackend> ModuleVisitor<A> for Grads<'_, A> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<A, D>>) {
        if let Some(g) = param.val().grad(self.grads) {
            self.out.extend(g.into_data().convert::<f64>().to_vec::<f64>().expect("float"));
        } else {
            let n: usize = param.val().dims().iter().product();
            self.out.extend(std::iter::repeat_n(0.0, n));
        }
    }
}

/// The value built by `value` and its gradient in every parameter of `net`, flattened in visiting
/// order. The graph is built and backpropagated under `model::graph_lock`, as other tests of the
/// binary train in parallel threads.
pub fn value_and_param_grads<A: AutodiffBackend>(net: &Net<A>, value: impl FnOnce() -> Tensor<A, 1>) -> (f64, Vec<f64>) {
    let _graph = graph_lock();
    let value = value();
    let v0 = scalar(value.clone().inner());
    let grads = value.backward();
    let mut v = Grads::<A> { grads: &grads, out: Vec::new() };
    net.visit(&mut v);
    (v0, v.out)
}

/// The gradient in every parameter of `net` of the value built by `value` (see
/// [`value_and_param_grads`]).
#[allow(dead_code)]
pub fn param_grads<A: AutodiffBackend>(net: &Net<A>, value: impl FnOnce() -> Tensor<A, 1>) -> Vec<f64> {
    value_and_param_grads(net, value).1
}

#[allow(dead_code)]
/// ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂, tiny).
pub fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    let n = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(b.iter().map(|x| x * x).sum::<f64>().sqrt());
    d / n.max(1e-300)
}

/// The scalar of a `[1]` tensor.
pub fn scalar<A: burn::tensor::backend::Backend>(t: Tensor<A, 1>) -> f64 {
    t.into_data().convert::<f64>().to_vec::<f64>().expect("float")[0]
}

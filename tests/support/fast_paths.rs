//! The CPU fast paths on `Autodiff<NdArray<E>>`: `model::kernels::fc::forward` and `model::kernels::fc::matmul_wt`
//! against the exact products (computed in f64 from the same values) within the rounding bound
//! of each dot product, and bitwise the same under any thread count; `model::kernels::relu::relu` bitwise
//! against burn's `relu` (shared by tests/fc.rs and tests/relu.rs, f32, and tests/fc_f64.rs, f64
//! — separate binaries because burn 0.21 fixes a device's float dtype process-wide at its first
//! use).

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{DType, Element, Tensor, TensorData};
use inputgrad::model::kernels::{fc, relu};
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::Seed;
use ndarray::{Array1, Array2, ArrayView2};
use rand::Rng as _;

/// Which of the layer's operands are tracked: the input (input gradients, a hidden layer in
/// training), the parameters (training), or both.
#[derive(Debug, Clone, Copy)]
pub struct Tracked {
    /// Input tracked.
    pub x: bool,
    /// Weight and bias tracked.
    pub params: bool,
}

/// Panics unless `a` and `b` hold bitwise the same values, naming the first that differs
/// (f32 → f64 is exact, so comparing the f64 bits compares the original bits).
fn assert_bitwise<B: burn::tensor::backend::Backend, const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes differ");
    assert_same_bits(&values(a), &values(b), what);
}

/// Panics unless `a` and `b` are bitwise equal, naming the first difference.
fn assert_same_bits(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let differing = a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
    if let Some(i) = a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits()) {
        panic!("{what}: {differing} of {} values differ; first at {i}: {:e} against {:e}", a.len(), a[i], b[i]);
    }
}

/// A tensor's values in f64 (exact for f32).
fn values<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec().expect("f64 values")
}

/// Uniform(−1, 1) values of the given shapes in `A`'s element type, from `seed`.
fn draws<A: AutodiffBackend, const K: usize>(seed: u64, shapes: [&[usize]; K]) -> [TensorData; K] {
    let mut rng = Seed(seed).rng();
    shapes.map(|shape| {
        let v: Vec<f64> = (0..shape.iter().product()).map(|_| rng.random_range(-1.0..1.0)).collect();
        TensorData::new(v, shape.to_vec()).convert::<A::FloatElem>()
    })
}

/// Unit roundoff of `A`'s float element.
fn unit_roundoff<A: AutodiffBackend>() -> f64 {
    match <A::FloatElem as Element>::dtype() {
        DType::F32 => f64::from(f32::EPSILON) / 2.0,
        DType::F64 => f64::EPSILON / 2.0,
        other => panic!("no unit roundoff for {other:?}"),
    }
}

/// γ_k = k u / (1 − k u): a sum of `k` products computed in any order with rounding `u` is within
/// γ_k Σ |aᵢ bᵢ| of the exact sum (Higham, Accuracy and Stability of Numerical Algorithms, §3.1).
fn gamma(k: usize, u: f64) -> f64 {
    let ku = k as f64 * u;
    assert!(ku < 1.0, "γ_{k} undefined at u = {u:e}");
    ku / (1.0 - ku)
}

/// Panics unless `got` (`[m, n]` row-major, computed in `A`'s element type) is within the rounding
/// bound of `a b (+ bias)`: per element `|got − ref| ≤ (γ_{k+1}(u) + γ_{k+1}(2⁻⁵³)) (Σ_k |a||b| +
/// |bias|)`, the second term covering the f64 reference's own rounding (`k + 1` terms with the
/// bias).
fn assert_within_rounding<A: AutodiffBackend>(got: &[f64], a: ArrayView2<f64>, b: ArrayView2<f64>, bias: Option<&[f64]>, what: &str) {
    assert_eq!(a.ncols(), b.nrows(), "{what}: inner dimensions");
    let (m, n) = (a.nrows(), b.ncols());
    assert_eq!(got.len(), m * n, "{what}: result size");
    let terms = a.ncols() + usize::from(bias.is_some());
    let slack = gamma(terms, unit_roundoff::<A>()) + gamma(terms, f64::EPSILON / 2.0);
    let bias = Array1::from(bias.map_or_else(|| vec![0.0; n], <[f64]>::to_vec));
    let exact = a.dot(&b) + &bias;
    let magnitude = a.abs().dot(&b.abs()) + bias.abs();
    let got = ArrayView2::from_shape((m, n), got).expect("row-major result");
    for ((i, j), &g) in got.indexed_iter() {
        let (exact, bound) = (exact[[i, j]], slack * magnitude[[i, j]]);
        let err = (g - exact).abs();
        assert!(err <= bound, "{what}: element ({i}, {j}) is {g:e}, the exact product {exact:e}: error {err:e} above the rounding bound {bound:e}");
    }
}

/// `v` as a row-major `[rows, cols]` matrix.
fn matrix(rows: usize, cols: usize, v: Vec<f64>) -> Array2<f64> {
    Array2::from_shape_vec((rows, cols), v).expect("operand size")
}

/// Outputs and tracked gradients of one pass through a fast path, in f64, named.
#[derive(Debug, Clone)]
pub struct Pass(Vec<(String, Vec<f64>)>);

impl Pass {
    fn get(&self, name: &str) -> Option<&[f64]> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }
}

/// The operands of a dense-layer check: `w` `[d_in, out]`, `b` `[out]`, `x` `[n, d_in]` and the
/// upstream gradient `r` `[n, out]`, as `A`'s elements.
fn fc_operands<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64) -> [TensorData; 4] {
    draws::<A, 4>(seed, [&[d_in, out], &[out], &[n, d_in], &[n, out]])
}

/// Differentiates `Σ R ⊙ fc::forward(layer, x)` for a layer `[d_in, out]` and a batch of `n` on
/// `A` (`Autodiff<NdArray<f32 or f64>>`): output and tracked gradients.
pub fn fc_pass<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64, tracked: Tracked) -> Pass {
    let dev = Default::default();
    let [wd, bd, xd, rd] = fc_operands::<A>(n, d_in, out, seed);
    let (w, b) = (Tensor::<A, 2>::from_data(wd, &dev), Tensor::<A, 1>::from_data(bd, &dev));
    let (w, b) = if tracked.params { (w.require_grad(), b.require_grad()) } else { (w, b) };
    let layer = Linear { weight: Param::from_tensor(w), bias: Some(Param::from_tensor(b)) };
    let x = Tensor::<A, 2>::from_data(xd, &dev);
    let x = if tracked.x { x.require_grad() } else { x };
    let r = Tensor::<A, 2>::from_data(rd, &dev);
    assert_eq!(r.dtype(), <A::FloatElem as Element>::dtype(), "the backend computes in another dtype than its element type");
    let _graph = graph_lock();
    let y = fc::forward(&layer, x.clone());
    let mut pass = vec![("output".to_string(), values(y.clone()))];
    let g = (y * r).sum().backward();
    if tracked.x {
        pass.push(("input gradient".into(), values(x.grad(&g).expect("input gradient"))));
    }
    if tracked.params {
        pass.push(("weight gradient".into(), values(layer.weight.val().grad(&g).expect("weight gradient"))));
        pass.push(("bias gradient".into(), values(layer.bias.as_ref().expect("bias").val().grad(&g).expect("bias gradient"))));
    }
    Pass(pass)
}

/// Panics unless [`fc_pass`]'s output `x W + b`, input gradient `R Wᵀ`, weight gradient `xᵀ R`
/// and bias gradient `Σ_rows R` are each within the rounding bound of the exact values.
pub fn fc_within_rounding<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64, tracked: Tracked) {
    let pass = fc_pass::<A>(n, d_in, out, seed, tracked);
    let [wd, bd, xd, rd] = fc_operands::<A>(n, d_in, out, seed).map(|d| d.convert::<f64>().to_vec::<f64>().expect("f64 values"));
    let (w, x, r) = (matrix(d_in, out, wd), matrix(n, d_in, xd), matrix(n, out, rd));
    let ctx = format!("dense layer, n={n}, d_in={d_in}, out={out}, seed {seed}, {tracked:?}");
    assert_within_rounding::<A>(pass.get("output").expect("output"), x.view(), w.view(), Some(&bd), &format!("output, {ctx}"));
    if tracked.x {
        assert_within_rounding::<A>(pass.get("input gradient").expect("input gradient"), r.view(), w.t(), None, &format!("input gradient, {ctx}"));
    }
    if tracked.params {
        assert_within_rounding::<A>(pass.get("weight gradient").expect("weight gradient"), x.t(), r.view(), None, &format!("weight gradient, {ctx}"));
        let ones = Array2::ones((1, n));
        assert_within_rounding::<A>(pass.get("bias gradient").expect("bias gradient"), ones.view(), r.view(), None, &format!("bias gradient, {ctx}"));
    }
}

/// The operands of an `x Wᵀ` check: `w` `[out, d_in]`, `x` `[n, d_in]`, `r` `[n, out]`.
fn matmul_wt_operands<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64) -> [TensorData; 3] {
    draws::<A, 3>(seed, [&[out, d_in], &[n, d_in], &[n, out]])
}

/// Differentiates `Σ R ⊙ fc::matmul_wt(x, w)` — `x` `[n, d_in]` times the transpose of `w`
/// `[out, d_in]`, the unrolled convolution's product (`tracked.params` tracks `w`).
pub fn matmul_wt_pass<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64, tracked: Tracked) -> Pass {
    let dev = Default::default();
    let [wd, xd, rd] = matmul_wt_operands::<A>(n, d_in, out, seed);
    let make = |d: TensorData, track: bool| {
        let t = Tensor::<A, 2>::from_data(d, &dev);
        if track { t.require_grad() } else { t }
    };
    let (x, w, r) = (make(xd, tracked.x), make(wd, tracked.params), Tensor::<A, 2>::from_data(rd, &dev));
    assert_eq!(r.dtype(), <A::FloatElem as Element>::dtype(), "the backend computes in another dtype than its element type");
    let _graph = graph_lock();
    let y = fc::matmul_wt(x.clone(), w.clone());
    let mut pass = vec![("output".to_string(), values(y.clone()))];
    let g = (y * r).sum().backward();
    if tracked.x {
        pass.push(("input gradient".into(), values(x.grad(&g).expect("input gradient"))));
    }
    if tracked.params {
        pass.push(("weight gradient".into(), values(w.grad(&g).expect("weight gradient"))));
    }
    Pass(pass)
}

/// Panics unless [`matmul_wt_pass`]'s output `x Wᵀ`, input gradient `R W` and weight gradient
/// `Rᵀ x` are each within the rounding bound of the exact values.
pub fn matmul_wt_within_rounding<A: AutodiffBackend>(n: usize, d_in: usize, out: usize, seed: u64, tracked: Tracked) {
    let pass = matmul_wt_pass::<A>(n, d_in, out, seed, tracked);
    let [wd, xd, rd] = matmul_wt_operands::<A>(n, d_in, out, seed).map(|d| d.convert::<f64>().to_vec::<f64>().expect("f64 values"));
    let (w, x, r) = (matrix(out, d_in, wd), matrix(n, d_in, xd), matrix(n, out, rd));
    let ctx = format!("x Wᵀ, n={n}, d_in={d_in}, out={out}, seed {seed}, {tracked:?}");
    assert_within_rounding::<A>(pass.get("output").expect("output"), x.view(), w.t(), None, &format!("output, {ctx}"));
    if tracked.x {
        assert_within_rounding::<A>(pass.get("input gradient").expect("input gradient"), r.view(), w.view(), None, &format!("input gradient, {ctx}"));
    }
    if tracked.params {
        assert_within_rounding::<A>(pass.get("weight gradient").expect("weight gradient"), r.t(), x.view(), None, &format!("weight gradient, {ctx}"));
    }
}

/// Runs `pass` on rayon pools of 1, 2 and 3 threads and panics unless every output and gradient
/// is bitwise the same: the products' summation order must not follow the thread count (same
/// seed ⇒ same numbers on any machine size).
pub fn independent_of_thread_count(what: &str, pass: impl Fn() -> Pass + Sync) {
    let runs: Vec<Pass> = [1, 2, 3]
        .iter()
        .map(|&threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("rayon pool").install(&pass))
        .collect();
    for (threads, run) in [2, 3].iter().zip(&runs[1..]) {
        assert_eq!(run.0.len(), runs[0].0.len());
        for ((name, v), (_, v1)) in run.0.iter().zip(&runs[0].0) {
            assert_same_bits(v, v1, &format!("{what}: {name} with {threads} threads against 1 thread"));
        }
    }
}

/// Differentiates `Σ R ⊙ relu(x)` (random `R`) through `model::kernels::relu::relu` and burn's `relu` for
/// an input of `shape` drawn from `seed`, every `special_every`-th element replaced in turn by
/// `0`, `−0`, NaN, the smallest positive and negative subnormals and ±∞ (none when 0); panics
/// unless outputs and input gradients agree bit for bit. Returns how many input elements were
/// `≤ 0` (where the gradient is zeroed).
pub fn relu_matches_burn<A: AutodiffBackend, const D: usize>(shape: [usize; D], seed: u64, special_every: usize) -> usize {
    let dev = Default::default();
    let n: usize = shape.iter().product();
    let mut rng = Seed(seed).rng();
    let specials = [0.0, -0.0, f64::NAN, f64::from(f32::from_bits(1)), -f64::from(f32::from_bits(1)), f64::INFINITY, f64::NEG_INFINITY];
    let values: Vec<f64> = (0..n)
        .map(|i| match special_every {
            k if k > 0 && i % k == 0 => specials[(i / k) % specials.len()],
            _ => rng.random_range(-1.0..1.0),
        })
        .collect();
    let upstream: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let xd = TensorData::new(values, shape.to_vec()).convert::<A::FloatElem>();
    let rd = TensorData::new(upstream, shape.to_vec()).convert::<A::FloatElem>();
    let r = Tensor::<A, D>::from_data(rd, &dev);
    assert_eq!(r.dtype(), <A::FloatElem as Element>::dtype(), "the backend computes in another dtype than its element type");
    let _graph = graph_lock();
    let (ours_x, theirs_x) = (Tensor::<A, D>::from_data(xd.clone(), &dev).require_grad(), Tensor::<A, D>::from_data(xd.clone(), &dev).require_grad());
    let ours = relu::relu(ours_x.clone());
    let theirs = burn::tensor::activation::relu(theirs_x.clone());
    let ctx = format!("relu, shape {shape:?}, seed {seed}, specials every {special_every}");
    assert_bitwise(ours.clone(), theirs.clone(), &format!("forward pass, {ctx}"));
    let g_ours = (ours * r.clone()).sum().backward();
    let g_theirs = (theirs * r).sum().backward();
    assert_bitwise(ours_x.grad(&g_ours).expect("input gradient"), theirs_x.grad(&g_theirs).expect("input gradient"), &format!("input gradient, {ctx}"));
    let x: Vec<f64> = xd.convert::<f64>().to_vec().expect("f64 values");
    x.iter().filter(|v| **v <= 0.0).count()
}

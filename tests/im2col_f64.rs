//! tests/im2col.rs's first check in f64 (its own binary: burn 0.21 fixes a device's float dtype
//! process-wide at its first use): on `Autodiff<NdArray<f64>>` the fast patch matrix of
//! `model::kernels::im2col` and its input gradient equal the route built from slices bit for bit
//! (integer-valued inputs, so every sum is exact whatever its order), and so does max-pooling's
//! output and gradient against burn's.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Tensor, TensorData};
use inputgrad::model::conv::max_pool2d;
use inputgrad::model::graph_lock::graph_lock;
use inputgrad::model::kernels::im2col::{unfold, unfold_by_slices, Patches};
use inputgrad::Seed;
use rand::Rng as _;

type A = Autodiff<NdArray<f64>>;

fn bits<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<u64> {
    t.into_data().to_vec::<f64>().expect("f64 tensor").into_iter().map(f64::to_bits).collect()
}

fn integers(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = Seed(seed).rng();
    (0..len).map(|_| f64::from(rng.random_range(-4i32..=4))).collect()
}

#[test]
fn f64_patch_matrix_and_pooling_equal_the_reference_routes() {
    let dev = Default::default();
    let cases = [([2, 3, 9, 5], [3, 3], [1, 1], [1, 1, 1, 1]), ([1, 2, 8, 7], [7, 7], [2, 2], [3, 3, 3, 3]), ([2, 2, 6, 6], [2, 3], [3, 2], [0, 2, 1, 0])];
    for (k, (dims, kernel, stride, pad)) in cases.into_iter().enumerate() {
        let p = Patches::new(dims, kernel, stride, pad).expect("valid geometry");
        let x = integers(dims.iter().product(), k as u64);
        let r = integers(p.rows() * p.cols(), 100 + k as u64);
        let run = |fast: bool| {
            let _graph = graph_lock();
            let xa = Tensor::<A, 4>::from_data(TensorData::new(x.clone(), dims), &dev).require_grad();
            let cols = if fast { unfold(xa.clone(), &p) } else { unfold_by_slices(xa.clone(), &p) };
            let rt = Tensor::<A, 2>::from_data(TensorData::new(r.clone(), [p.rows(), p.cols()]), &dev);
            let grads = (cols.clone() * rt).sum().backward();
            (bits(cols), bits(xa.grad(&grads).expect("input gradient")))
        };
        assert!(run(true) == run(false), "{p:?}: patch matrix or its gradient differs from the slice route");

        let pool_pad = [kernel[0] / 2, kernel[1] / 2];
        let mut rng = Seed(200 + k as u64).rng();
        let xr: Vec<f64> = (0..x.len()).map(|_| rng.random::<f64>()).collect();
        let pool = |ours: bool| {
            let _graph = graph_lock();
            let xa = Tensor::<A, 4>::from_data(TensorData::new(xr.clone(), dims), &dev).require_grad();
            let out = if ours {
                max_pool2d(xa.clone(), kernel, stride, pool_pad)
            } else {
                burn::tensor::module::max_pool2d(xa.clone(), kernel, stride, pool_pad, [1, 1], false)
            };
            let rp = Tensor::<A, 4>::from_data(TensorData::new(integers(out.dims().iter().product(), 300 + k as u64), out.dims()), &dev);
            let grads = (out.clone() * rp).sum().backward();
            (bits(out), bits(xa.grad(&grads).expect("input gradient")))
        };
        assert!(pool(true) == pool(false), "{dims:?} {kernel:?}: max-pooling differs from burn's");
    }
}

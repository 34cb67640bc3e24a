//! `model::kernels::layout`: the parallel copy into standard layout gives exactly ndarray's
//! `as_standard_layout` on permuted, reversed and sliced arrays of ranks 1 to 7 (7 takes the
//! dynamic-rank fallback), and hands a standard array back without copying it.

use inputgrad::model::kernels::layout::{into_standard_layout, standard_layout};
use ndarray::{ArcArray, Array, IxDyn, Slice};
use proptest::prelude::*;

/// An array of shape `dims` holding 0, 1, 2, … in standard order, then permuted by `perm`, with
/// the axes in `reversed` flipped and every `step`-th element kept along the first axis.
fn strided(dims: &[usize], perm: &[usize], reversed: &[bool], step: usize) -> ArcArray<f32, IxDyn> {
    let len = dims.iter().product::<usize>();
    let a = Array::from_shape_vec(IxDyn(dims), (0..len).map(|v| v as f32).collect()).expect("shape").into_shared();
    let mut a = a.permuted_axes(IxDyn(perm));
    for (axis, &flip) in reversed.iter().enumerate() {
        if flip {
            a.invert_axis(ndarray::Axis(axis));
        }
    }
    a.slice_axis_inplace(ndarray::Axis(0), Slice::new(0, None, step as isize));
    a
}

fn case() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<bool>, usize)> {
    (1usize..8).prop_flat_map(|rank| {
        let dims = proptest::collection::vec(1usize..5, rank);
        let perm = Just((0..rank).collect::<Vec<_>>()).prop_shuffle();
        let reversed = proptest::collection::vec(any::<bool>(), rank);
        (dims, perm, reversed, 1usize..3)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parallel_copy_equals_ndarrays_standard_layout((dims, perm, reversed, step) in case()) {
        let a = strided(&dims, &perm, &reversed, step);
        let want = a.as_standard_layout().into_owned();
        let got = standard_layout(&a);
        prop_assert!(got.is_standard_layout());
        prop_assert_eq!(got.shape(), want.shape());
        prop_assert_eq!(got.as_slice().expect("standard"), want.as_slice().expect("standard"));
        let owned = into_standard_layout(a);
        prop_assert!(owned.is_standard_layout());
        prop_assert_eq!(owned.as_slice().expect("standard"), want.as_slice().expect("standard"));
    }
}

#[test]
fn a_standard_array_is_not_copied() {
    let a = Array::from_shape_vec(IxDyn(&[2, 3, 4]), (0..24).map(|v| v as f32).collect()).expect("shape").into_shared();
    let view = standard_layout(&a);
    assert!(view.is_view(), "a standard array came back as a copy");
    assert_eq!(view.as_ptr(), a.as_ptr());
    let same = into_standard_layout(a.clone());
    assert_eq!(same.as_ptr(), a.as_ptr());
}

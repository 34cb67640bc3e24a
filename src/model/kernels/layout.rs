//! Copying an array into standard (row-major) layout on rayon's threads.
//!
//! ndarray's `as_standard_layout` copies a non-standard array element by element through a
//! dynamic-rank iterator on one thread. The arrays that reach the CPU fast paths in that state are
//! permuted views: a convolution weight's gradient, which comes back through the permutation that
//! laid the weight out as a matrix, and the convolution outputs, which are channels-last in memory;
//! on a ResNet training step these single-threaded copies are a large share of the time (profiles
//! in benches/README.md). Here the copy runs with a fixed rank (1 to 6) split over rayon's threads; a copy makes
//! no arithmetic, so the result is the same whatever the order.

use ndarray::{ArcArray, Array, ArrayView, ArrayViewMut, CowArray, Dimension, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, IxDyn, Zip};

/// `a` in standard layout: a view of it when it already is, else a parallel copy.
pub fn standard_layout<E: Copy + Default + Send + Sync>(a: &ArcArray<E, IxDyn>) -> CowArray<'_, E, IxDyn> {
    if a.is_standard_layout() {
        return CowArray::from(a.view());
    }
    let mut out = Array::from_elem(a.raw_dim(), E::default());
    let copied = copy_fixed::<E, Ix1>(a.view(), out.view_mut())
        || copy_fixed::<E, Ix2>(a.view(), out.view_mut())
        || copy_fixed::<E, Ix3>(a.view(), out.view_mut())
        || copy_fixed::<E, Ix4>(a.view(), out.view_mut())
        || copy_fixed::<E, Ix5>(a.view(), out.view_mut())
        || copy_fixed::<E, Ix6>(a.view(), out.view_mut());
    if !copied {
        out.assign(a);
    }
    CowArray::from(out)
}

/// [`standard_layout`] as an owned shared array (no copy when `a` is already standard).
pub fn into_standard_layout<E: Copy + Default + Send + Sync>(a: ArcArray<E, IxDyn>) -> ArcArray<E, IxDyn> {
    if a.is_standard_layout() {
        return a;
    }
    standard_layout(&a).into_owned().into_shared()
}

/// Copies `src` into `dst` viewed with the fixed rank `D`; `false` if the rank is not `D`.
fn copy_fixed<E: Copy + Send + Sync, D: Dimension>(src: ArrayView<'_, E, IxDyn>, dst: ArrayViewMut<'_, E, IxDyn>) -> bool {
    match (src.into_dimensionality::<D>(), dst.into_dimensionality::<D>()) {
        (Ok(s), Ok(mut d)) => {
            Zip::from(&mut d).and(&s).par_for_each(|o, &v| *o = v);
            true
        }
        _ => false,
    }
}

//! Occlusion (Zeiler & Fergus 2014), as Captum's `Occlusion` computes it: a window slides over
//! the image with a stride (windows at the far edge are cut at the border), each window is
//! replaced by a fill value, and every coordinate gets the mean, over the windows that cover it,
//! of t(x) − t(x with the window filled). Seed 000 App. D.4 uses square patches of 5 and 10
//! pixels.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;

use super::gradient::scalar_values;
use super::{check_batch, from_vec64, rows_of, to_vec64, Attribution, Attributions, Budget, Scalar};
use crate::error::{Error, Result};
use crate::model::{Classifier, InputShape};

/// Occlusion with a window of `[channels, rows, columns]` and strides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Occlusion {
    /// Window `[C, H, W]` (flat inputs: `[1, 1, W]` over the D coordinates). A channel size of 0
    /// means all channels.
    pub window: [usize; 3],
    /// Strides `[C, H, W]` (0 for the channel: the window's channel size).
    pub stride: [usize; 3],
    /// The value filled into the window (input units).
    pub fill: f64,
    /// Memory budget of one batch of forward passes.
    pub budget: Budget,
}

impl Occlusion {
    /// A square `size`×`size` patch over all channels with the given stride, filled with `fill`.
    pub fn square(size: usize, stride: usize, fill: f64) -> Self {
        Occlusion { window: [0, size, size], stride: [0, stride, stride], fill, budget: Budget::default() }
    }

    /// The window positions: per dimension, starts k·s for k = 0..=⌈(L − w)/s⌉, each window cut at
    /// the border; returned as `[start, end)` ranges per dimension.
    fn positions(&self, dims: [usize; 3]) -> Result<Vec<[(usize, usize); 3]>> {
        let mut per_dim: Vec<Vec<(usize, usize)>> = Vec::with_capacity(3);
        for a in 0..3 {
            let len = dims[a];
            let w = if a == 0 && self.window[0] == 0 { len } else { self.window[a] };
            let s = if a == 0 && self.stride[0] == 0 { w } else { self.stride[a] };
            if w == 0 || s == 0 {
                return Err(Error::param("occlusion", format!("window {:?} and stride {:?} must be at least 1 (channel 0 = all)", self.window, self.stride)));
            }
            if w > len {
                return Err(Error::param("occlusion", format!("the window {:?} exceeds the input {dims:?}", self.window)));
            }
            if s > w && w < len {
                return Err(Error::param("occlusion", format!("stride {:?} larger than the window {:?} would skip coordinates", self.stride, self.window)));
            }
            let count = (len - w).div_ceil(s) + 1;
            per_dim.push((0..count).map(|k| (k * s, (k * s + w).min(len))).collect());
        }
        let mut out = Vec::new();
        for &c in &per_dim[0] {
            for &h in &per_dim[1] {
                for &w in &per_dim[2] {
                    out.push([c, h, w]);
                }
            }
        }
        Ok(out)
    }
}

impl<B, M> Attribution<B, M> for Occlusion
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "occlusion".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "window": self.window, "stride": self.stride, "fill": self.fill, "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [n, d] = check_batch(&x, target)?;
        if !self.fill.is_finite() {
            return Err(Error::param("fill", format!("must be finite, got {}", self.fill)));
        }
        let dims = match model.input_shape() {
            InputShape::Image { c, h, w } => [c, h, w],
            InputShape::Flat(d) => [1, 1, d],
        };
        let windows = self.positions(dims)?;
        let [_, hh, ww] = dims;
        let device = x.device();
        let rows = super::staging_rows(&self.budget, model, d);
        let base = to_vec64(&scalar_values::<B, M>(model, x.clone(), target)?)?;
        let xs = rows_of(&x)?;
        let mut total = vec![0f64; n * d];
        let mut count = vec![0f64; d];
        for win in &windows {
            for c in win[0].0..win[0].1 {
                for h in win[1].0..win[1].1 {
                    for w in win[2].0..win[2].1 {
                        count[(c * hh + h) * ww + w] += 1.0;
                    }
                }
            }
        }
        // Rows q = example i × window p (example-major), evaluated in chunks.
        let nw = windows.len();
        let all = n * nw;
        let mut r = 0;
        while r < all {
            let end = (r + rows).min(all);
            let mut vals = Vec::with_capacity((end - r) * d);
            for q in r..end {
                let (i, p) = (q / nw, q % nw);
                let start = vals.len();
                vals.extend_from_slice(&xs[i]);
                let win = &windows[p];
                for c in win[0].0..win[0].1 {
                    for h in win[1].0..win[1].1 {
                        for w in win[2].0..win[2].1 {
                            vals[start + (c * hh + h) * ww + w] = self.fill;
                        }
                    }
                }
            }
            let occluded = from_vec64::<B::InnerBackend>(vals, [end - r, d], &device);
            let f = to_vec64(&scalar_values::<B, M>(model, occluded, &target.rows((r..end).map(|q| q / nw)))?)?;
            for q in r..end {
                let (i, p) = (q / nw, q % nw);
                let diff = base[i] - f[q - r];
                let win = &windows[p];
                for c in win[0].0..win[0].1 {
                    for h in win[1].0..win[1].1 {
                        for w in win[2].0..win[2].1 {
                            total[i * d + (c * hh + h) * ww + w] += diff;
                        }
                    }
                }
            }
            r = end;
        }
        let values: Vec<f64> = total.iter().enumerate().map(|(k, t)| t / count[k % d]).collect();
        Ok(Attributions { values: from_vec64::<B::InnerBackend>(values, [n, d], &device), gap: None })
    }
}

//! Baselines (reference inputs) of path and difference methods: Integrated Gradients, DeepLIFT.
//!
//! * zero, or a constant (in the model's input units);
//! * a given tensor, one row per example or one row for all;
//! * the input blurred by a Gaussian of σ pixels per channel (Fong & Vedaldi 2017; Sturmfels et
//!   al. 2020's "blurred" baseline), with reflected borders as `scipy.ndimage.gaussian_filter`;
//! * uniform noise in `[lo, hi]`, drawn per example from [`super::example_seed`].

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use ndarray::Array2;
use rand_distr::{Distribution, Uniform};

use super::{example_seed, from_vec, from_vec64, rows_of};
use crate::error::{Error, Result};
use crate::model::InputShape;
use crate::rng::Seed;

/// Radius of the truncated Gaussian kernel in units of σ (scipy's default `truncate = 4.0`).
const BLUR_TRUNCATE: f64 = 4.0;

/// A baseline choice.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    /// All zeros.
    Zero,
    /// Every coordinate equal to this value.
    Constant(f64),
    /// Given values: `[N, D]` (one row per example) or `[1, D]` (the same for all).
    Given(Array2<f32>),
    /// The input blurred by a Gaussian of standard deviation `sigma` pixels (images only).
    Blur {
        /// σ in pixels.
        sigma: f64,
    },
    /// Uniform noise in `[lo, hi]` per coordinate.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// Seed of the draws.
        seed: Seed,
    },
}

impl Baseline {
    /// A description for records (`meta.json`).
    pub fn record(&self) -> serde_json::Value {
        match self {
            Baseline::Zero => serde_json::json!({ "kind": "zero" }),
            Baseline::Constant(c) => serde_json::json!({ "kind": "constant", "value": c }),
            Baseline::Given(a) => {
                let bytes: Vec<u8> = a.iter().flat_map(|v| v.to_le_bytes()).collect();
                serde_json::json!({ "kind": "given", "shape": a.shape(), "md5": crate::checksum::md5_hex(&bytes) })
            }
            Baseline::Blur { sigma } => serde_json::json!({ "kind": "blur", "sigma_pixels": sigma }),
            Baseline::Uniform { lo, hi, seed } => serde_json::json!({ "kind": "uniform", "lo": lo, "hi": hi, "seed": seed.0 }),
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            Baseline::Constant(c) if !c.is_finite() => Err(Error::param("baseline", format!("constant must be finite, got {c}"))),
            Baseline::Blur { sigma } if !(sigma.is_finite() && *sigma > 0.0) => Err(Error::param("baseline", format!("blur sigma must be finite and > 0, got {sigma}"))),
            Baseline::Uniform { lo, hi, .. } if !(lo.is_finite() && hi.is_finite() && lo < hi) => {
                Err(Error::param("baseline", format!("uniform noise needs finite lo < hi, got [{lo}, {hi}]")))
            }
            Baseline::Given(a) if a.iter().any(|v| !v.is_finite()) => Err(Error::param("baseline", "the given baseline has non-finite values")),
            _ => Ok(()),
        }
    }

    /// The baseline of each example of `x`.
    ///
    /// # Shapes
    /// - `x`: `[N, D]` with `shape.dim() == D`; returns `[N, D]`
    pub fn make<I: Backend>(&self, x: &Tensor<I, 2>, shape: InputShape) -> Result<Tensor<I, 2>> {
        self.validate()?;
        let [n, d] = x.dims();
        let device = x.device();
        Ok(match self {
            Baseline::Zero => Tensor::zeros([n, d], &device),
            Baseline::Constant(c) => Tensor::full([n, d], *c as f32, &device),
            Baseline::Given(a) => {
                let (rows, cols) = a.dim();
                if cols != d || (rows != n && rows != 1) {
                    return Err(Error::Shape(format!("the given baseline is {rows}×{cols}; the inputs are {n}×{d} (give {n} rows or 1)")));
                }
                let v: Vec<f32> = a.iter().copied().collect();
                let t = from_vec::<I>(v, [rows, cols], &device);
                if rows == n {
                    t
                } else {
                    t.expand([n, d])
                }
            }
            Baseline::Blur { sigma } => {
                let [c, h, w] = shape.image("blur baseline")?;
                let mut out = Vec::with_capacity(n * d);
                for row in rows_of(x)? {
                    out.extend(blur(&row, [c, h, w], *sigma));
                }
                from_vec64::<I>(out, [n, d], &device)
            }
            Baseline::Uniform { lo, hi, seed } => {
                let dist = Uniform::new(*lo, *hi).map_err(|e| Error::param("baseline", format!("uniform noise: {e}")))?;
                let mut out = Vec::with_capacity(n * d);
                for row in rows_of(x)? {
                    let mut rng = example_seed(*seed, &row).rng();
                    out.extend((0..d).map(|_| dist.sample(&mut rng)));
                }
                from_vec64::<I>(out, [n, d], &device)
            }
        })
    }
}

/// A normalised Gaussian kernel of standard deviation `sigma`, radius ⌊4σ + ½⌋ (scipy's).
pub fn gaussian_kernel(sigma: f64) -> Vec<f64> {
    let radius = (BLUR_TRUNCATE * sigma + 0.5).floor() as i64;
    let k: Vec<f64> = (-radius..=radius).map(|i| (-0.5 * (i as f64 / sigma).powi(2)).exp()).collect();
    let s: f64 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// scipy's `reflect` border (d c b a | a b c d | d c b a) for index `i` of a line of length `len`.
fn reflect(mut i: i64, len: i64) -> usize {
    let period = 2 * len;
    i = i.rem_euclid(period);
    if i >= len {
        i = period - 1 - i;
    }
    i as usize
}

/// One image `[C·H·W]` blurred per channel by a separable Gaussian of `sigma` pixels.
///
/// # Shapes
/// - `image`: `[C, H, W]` flattened (C·H·W values, row-major); returns the same layout
pub fn blur(image: &[f64], [c, h, w]: [usize; 3], sigma: f64) -> Vec<f64> {
    let k = gaussian_kernel(sigma);
    let r = (k.len() / 2) as i64;
    let mut out = vec![0f64; image.len()];
    let mut tmp = vec![0f64; h * w];
    for ch in 0..c {
        let img = &image[ch * h * w..(ch + 1) * h * w];
        for y in 0..h {
            for x in 0..w {
                tmp[y * w + x] = k.iter().enumerate().map(|(j, kv)| kv * img[y * w + reflect(x as i64 + j as i64 - r, w as i64)]).sum();
            }
        }
        for y in 0..h {
            for x in 0..w {
                let v: f64 = k.iter().enumerate().map(|(j, kv)| kv * tmp[reflect(y as i64 + j as i64 - r, h as i64) * w + x]).sum();
                out[ch * h * w + y * w + x] = v;
            }
        }
    }
    out
}

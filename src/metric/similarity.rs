//! Similarity of two maps (seed 004's perceptual alignment of input gradients with the score).
//!
//! * [`max_abs_normalise`] — divide a map by its largest |value| (into [−1, 1]), as seed 004's code
//!   does to gradients and scores before comparing them.
//! * [`cosine`] — ⟨a, b⟩ / (‖a‖‖b‖).
//! * [`ssim`] — the structural similarity index of Wang et al. (2004) with an 11 × 11 Gaussian
//!   window (σ = 1.5, truncated at radius 5), K₁ = 0.01, K₂ = 0.03, population covariances and
//!   the mean over the pixels whose window lies inside the image — scikit-image's
//!   `structural_similarity(gaussian_weights=True, use_sample_covariance=False)`, which the
//!   fixture tests compare against; channels are averaged.
//!
//! LPIPS, the paper's measure, is [`super::lpips`]; it needs AlexNet weights a user provides.

use crate::error::{Error, Result};

/// SSIM's Gaussian window σ (Wang et al. 2004).
pub const SSIM_SIGMA: f64 = 1.5;
/// Window radius: scikit-image's truncate 3.5 × σ, rounded (11 × 11 window).
pub const SSIM_RADIUS: usize = 5;
/// K₁ of SSIM's luminance term.
pub const SSIM_K1: f64 = 0.01;
/// K₂ of SSIM's contrast–structure term.
pub const SSIM_K2: f64 = 0.03;

/// The map divided by its largest absolute value; an all-zero map is returned unchanged.
pub fn max_abs_normalise(a: &[f64]) -> Vec<f64> {
    let m = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if m > 0.0 {
        a.iter().map(|v| v / m).collect()
    } else {
        a.to_vec()
    }
}

/// Cosine similarity ⟨a, b⟩/(‖a‖‖b‖); an error when either is zero or lengths differ.
pub fn cosine(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::Shape(format!("cosine of vectors of length {} and {}", a.len(), b.len())));
    }
    let (ab, aa, bb) = a.iter().zip(b).fold((0.0, 0.0, 0.0), |(ab, aa, bb), (x, y)| (ab + x * y, aa + x * x, bb + y * y));
    if aa == 0.0 || bb == 0.0 {
        return Err(Error::Shape("cosine similarity of a zero vector".into()));
    }
    Ok(ab / (aa * bb).sqrt())
}

fn kernel() -> Vec<f64> {
    let r = SSIM_RADIUS as i64;
    let w: Vec<f64> = (-r..=r).map(|i| (-((i * i) as f64) / (2.0 * SSIM_SIGMA * SSIM_SIGMA)).exp()).collect();
    let s: f64 = w.iter().sum();
    w.into_iter().map(|v| v / s).collect()
}

/// Gaussian-weighted local mean of `img` (h × w) at the interior pixels, row-major
/// (h − 2r) × (w − 2r).
fn local_mean(img: &[f64], h: usize, w: usize, k: &[f64]) -> Vec<f64> {
    let r = SSIM_RADIUS;
    let (ih, iw) = (h - 2 * r, w - 2 * r);
    // Rows first (all rows, interior columns), then columns.
    let mut tmp = vec![0.0; h * iw];
    for y in 0..h {
        for x in 0..iw {
            tmp[y * iw + x] = (0..k.len()).map(|t| k[t] * img[y * w + x + t]).sum();
        }
    }
    let mut out = vec![0.0; ih * iw];
    for y in 0..ih {
        for x in 0..iw {
            out[y * iw + x] = (0..k.len()).map(|t| k[t] * tmp[(y + t) * iw + x]).sum();
        }
    }
    out
}

/// SSIM of two images `[C, H, W]` (row-major, same shape) whose values span `data_range`
/// (2 for maps normalised into [−1, 1]). Needs H, W ≥ 11.
///
/// # Shapes
/// - `a`, `b`: `shape` = `[C, H, W]`, flattened row-major
pub fn ssim(a: &[f64], b: &[f64], shape: [usize; 3], data_range: f64) -> Result<f64> {
    let [c, h, w] = shape;
    if a.len() != c * h * w || b.len() != a.len() {
        return Err(Error::Shape(format!("SSIM of images of {} and {} values with shape {shape:?}", a.len(), b.len())));
    }
    let win = 2 * SSIM_RADIUS + 1;
    if h < win || w < win {
        return Err(Error::Shape(format!("SSIM's {win} × {win} window needs images of at least {win} × {win}, got {h} × {w}")));
    }
    if !(data_range.is_finite() && data_range > 0.0) {
        return Err(Error::param("data_range", format!("must be positive, got {data_range}")));
    }
    let k = kernel();
    let (c1, c2) = ((SSIM_K1 * data_range).powi(2), (SSIM_K2 * data_range).powi(2));
    let mut total = 0.0;
    for ch in 0..c {
        let (x, y) = (&a[ch * h * w..(ch + 1) * h * w], &b[ch * h * w..(ch + 1) * h * w]);
        let prod = |p: &[f64], q: &[f64]| -> Vec<f64> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
        let (ux, uy) = (local_mean(x, h, w, &k), local_mean(y, h, w, &k));
        let (uxx, uyy, uxy) = (local_mean(&prod(x, x), h, w, &k), local_mean(&prod(y, y), h, w, &k), local_mean(&prod(x, y), h, w, &k));
        let n = ux.len();
        let mut s = 0.0;
        for i in 0..n {
            let (vx, vy, vxy) = (uxx[i] - ux[i] * ux[i], uyy[i] - uy[i] * uy[i], uxy[i] - ux[i] * uy[i]);
            s += (2.0 * ux[i] * uy[i] + c1) * (2.0 * vxy + c2) / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
        }
        total += s / n as f64;
    }
    Ok(total / c as f64)
}

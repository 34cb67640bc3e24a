//! The insertion game (Petsiuk et al. 2018), as seed 003 A.7 plays it with Integrated Gradients:
//! "the pixels will be interactively inserted in a zero input by their attributions … The AUC of
//! the fractional output change with increasing inserted pixels is calculated."
//!
//! Definition used here (the paper leaves the details open):
//! * order: coordinates by decreasing signed attribution (positive evidence first), ties broken
//!   uniformly from a seed ([`crate::attribution::rank::order`]);
//! * path: `steps + 1` inputs x_0 = 0, …, x_steps = x, where x_k holds the ⌊k·D/steps + ½⌋
//!   first coordinates of the order at their values in x and zero elsewhere ([`insertion_path`]);
//! * curve: the model's true-class probability p_y(x_k) against the inserted fraction k / steps
//!   (Petsiuk et al.'s curve; the probability is the "fractional output");
//! * score: the area under that curve by the trapezoid rule ([`insertion_auc`] with `full` = 1),
//!   in [0, 1]. Dividing by `full` = p_y(x) instead gives the curve as a fraction of the full
//!   image's output — the other reading of "fractional output change", unbounded for images the
//!   model is unsure of, so reported beside the first, not instead of it.

use crate::attribution::rank::order;
use crate::error::{Error, Result};
use crate::rng::Seed;

/// The inputs of the insertion path of `x` under attribution `a`: `steps + 1` rows of D values,
/// row-major.
///
/// # Shapes
/// - `x`, `a`: one example, D values each; returns `[steps + 1, D]` row-major
pub fn insertion_path(x: &[f32], a: &[f32], steps: usize, tie: Seed) -> Result<Vec<f32>> {
    if x.len() != a.len() {
        return Err(Error::Shape(format!("an input of {} values with an attribution of {}", x.len(), a.len())));
    }
    if steps == 0 {
        return Err(Error::param("steps", "the insertion game needs at least 1 step"));
    }
    if let Some(bad) = a.iter().find(|v| !v.is_finite()) {
        return Err(Error::param("attribution", format!("the insertion game needs finite values, got {bad}")));
    }
    let d = x.len();
    let ord = order(a, tie);
    let mut out = vec![0f32; (steps + 1) * d];
    let mut row = vec![0f32; d];
    let mut inserted = 0;
    for k in 0..=steps {
        let upto = ((k as f64 * d as f64 / steps as f64) + 0.5).floor() as usize;
        for &i in &ord[inserted..upto.min(d)] {
            row[i] = x[i];
        }
        inserted = upto.min(d);
        out[k * d..(k + 1) * d].copy_from_slice(&row);
    }
    Ok(out)
}

/// The area under the curve `outputs[k] / full` over the fractions k / (len − 1) by the trapezoid
/// rule (`full` = 1: the raw curve); an error for fewer than two points or a non-positive `full`.
pub fn insertion_auc(outputs: &[f64], full: f64) -> Result<f64> {
    if outputs.len() < 2 {
        return Err(Error::param("steps", "an insertion curve needs at least 2 points"));
    }
    if !(full.is_finite() && full > 0.0) {
        return Err(Error::param("output", format!("the full image's output must be finite and > 0, got {full}")));
    }
    let h = 1.0 / (outputs.len() - 1) as f64;
    Ok(outputs.windows(2).map(|w| 0.5 * h * (w[0] + w[1]) / full).sum())
}

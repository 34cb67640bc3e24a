//! One-dimensional maximisation by a uniform scan followed by golden-section refinement.
//!
//! Used where a check needs the maximum of a piecewise-smooth function of one variable (an angle
//! on a circle of parameters) to f64 precision: the scan brackets the global maximum, the golden
//! section then converges on it even when the maximum sits on a kink.

/// Golden-section iterations: each shrinks the bracket by 0.618; 80 take any bracket below
/// 1e-16 of its width.
const GOLDEN_ITERS: usize = 80;

/// Maximises `f` on [lo, hi]: `grid` + 1 evenly spaced evaluations, then golden-section search in
/// the two cells around the best one. Returns (max value, argmax). Exact for functions that are
/// unimodal within one grid cell of their maximum.
pub fn maximise_1d<E>(mut f: impl FnMut(f64) -> Result<f64, E>, lo: f64, hi: f64, grid: usize) -> Result<(f64, f64), E> {
    let grid = grid.max(1);
    let h = (hi - lo) / grid as f64;
    let mut best = (f64::NEG_INFINITY, lo);
    for k in 0..=grid {
        let t = lo + k as f64 * h;
        let v = f(t)?;
        if v > best.0 {
            best = (v, t);
        }
    }
    let (mut a, mut b) = ((best.1 - h).max(lo), (best.1 + h).min(hi));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..GOLDEN_ITERS {
        let m1 = b - g * (b - a);
        let m2 = a + g * (b - a);
        if f(m1)? < f(m2)? {
            a = m1;
        } else {
            b = m2;
        }
    }
    let t = 0.5 * (a + b);
    let v = f(t)?;
    Ok(if v >= best.0 { (v, t) } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kink_maximum_to_machine_precision() {
        let f = |t: f64| -> Result<f64, ()> { Ok(1.0 - (t - 0.123_456_789).abs()) };
        let (v, t) = maximise_1d(f, 0.0, 1.0, 10).unwrap();
        assert!((t - 0.123_456_789).abs() < 1e-12, "{t}");
        assert!((v - 1.0).abs() < 1e-12);
    }

    #[test]
    fn finds_global_not_local_maximum() {
        let f = |t: f64| -> Result<f64, ()> { Ok((5.0 * t).sin() + 0.5 * t) };
        let (v, _) = maximise_1d(f, 0.0, 6.0, 600).unwrap();
        let brute = (0..=600_000).map(|k| f(k as f64 * 1e-5).unwrap()).fold(f64::NEG_INFINITY, f64::max);
        assert!(v >= brute - 1e-9 && v <= brute + 1e-6, "{v} vs {brute}");
    }
}

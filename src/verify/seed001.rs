//! Checks of seed 001 (Chalasani et al. 2020): losses, Lemmas 2–3, FEAT-TRANS, Theorem 3.1,
//! Integrated Gradients (Lemma 4.1, completeness, quadrature), Theorem 5.1, the Gini index.

use nalgebra::{DMatrix, DVector};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal};

use super::seed000::fd_gradient;
use super::{Check, Expect, Measured};
use crate::prec;
use crate::rng::{Rng, Seed};
use crate::theory::gini::{gini, lorenz_area};
use crate::theory::ig::{self, Rule};
use crate::theory::linear_adv::{self as la, MarginLoss, SplitDistribution, StdLoss};
use crate::theory::multiclass_adv::{self as mc, MultiClassDist};

/// Root seed of the seed-001 checks.
pub const SEED: Seed = Seed(0x001D_5EED);

const LA: &str = "proofs/linear_adv.md";
const IG: &str = "proofs/ig.md";
const GINI: &str = "proofs/gini.md";
const MC: &str = "proofs/multiclass_adv.md";

/// The registered checks of seed 001.
pub fn checks() -> Vec<Check> {
    vec![
        Check { id: "001.loss.assumptions", claim: "App. B.1: logistic, hinge, squared hinge, exponential and softplus hinge satisfy LOSS-CVX (g non-decreasing, convex) and g' is their derivative", method: "g' >= 0 and non-decreasing on a grid of [-20, 20]; g' vs central differences of g away from kinks", proof: LA, expect: Expect::Holds, run: run_losses },
        Check { id: "001.lemma2.adv_loss", claim: "Lemma 2, eq (7)-(8): max over the l_inf ball of L(x+delta) = g(eps ||w||_1 - y<w,x>), attained at delta* = -y sgn(w) eps", method: "exhaustive enumeration of the 2^d box vertices (d <= 10), projected gradient ascent from random starts (d = 200); all five losses", proof: LA, expect: Expect::Holds, run: run_lemma2 },
        Check { id: "001.lemma3.gradient", claim: "Lemma 3, eq (9): d/dw_i of the adversarial loss is -g'(eps||w||_1 - y<w,x>)(y x_i - sgn(w_i) eps)", method: "central finite differences in w of the enumerated adversarial loss (w_i away from 0), smooth losses", proof: LA, expect: Expect::Holds, run: run_lemma3 },
        Check { id: "001.feat_trans.identities", claim: "App. B.2: after FEAT-TRANS, E(x|y) = a y and E(y x) = a with a = [E(x'|1) - E(x'|-1)]/2 (eq 3-5, B.23-B.25)", method: "exact enumeration over random finite-support distributions with P(y=1) != 1/2", proof: LA, expect: Expect::Holds, run: run_feat_trans },
        Check { id: "001.thm31.eq11", claim: "Thm 3.1 (11): if w_S = 0 then the expected update of each w_i, i in S, is g'bar a_i", method: "exact enumeration; the update by central differences of the expected loss with delta* frozen (not eq 9)", proof: LA, expect: Expect::Holds, run: run_thm31_eq11 },
        Check { id: "001.thm31.eq12", claim: "Thm 3.1 (12): Delta_S^w <= g'bar (a_S^w - eps), with equality as w_S -> 0", method: "exact enumeration; Delta by central differences of the enumerated adversarial risk; scaling w_S by t = 1e-2, 1e-3, 1e-4", proof: LA, expect: Expect::Holds, run: run_thm31_eq12 },
        Check { id: "001.thm31.monte_carlo", claim: "Thm 3.1 (12) on a continuous (Gaussian class-conditional) distribution", method: "Monte Carlo, 2e5 draws; 99.9% normal confidence interval of Delta_S^w - g'bar(a_S^w - eps) must not lie above 0", proof: LA, expect: Expect::Holds, run: run_thm31_mc },
        Check { id: "001.thmE1.feat_exp", claim: "FINDING: FEAT-EXP for all k >= 3 one-vs-all classifiers at once forces every feature's class means to 0 (so a_ij = 0) for generic priors", method: "smallest singular value of the k x k linear system E(x|y_i=1) + E(x|y_i=-1) = 0 in the class means, 2e3 random priors, k = 3..6", proof: MC, expect: Expect::Holds, run: run_e1_feat_exp },
        Check { id: "001.thmE1.part1", claim: "ERRATUM: Thm E.1 part 1 (w_ij = 0 => mean update a_ij g'_i) fails when another classifier weights feature j; it holds when no classifier does", method: "exact enumeration (k = 3, worst delta of the summed loss by vertex enumeration), update by central differences with delta* frozen; hinge and logistic", proof: MC, expect: Expect::Erratum, run: run_e1_part1 },
        Check { id: "001.ig.quadrature", claim: "quadrature rules: Gauss-Legendre with m nodes exact to degree 2m-1; convergence orders left/right 1, midpoint/trapezoid 2", method: "monomials integrated exactly; log-log slope of the error on exp(2a) + sin(5a) over m = 16..512", proof: IG, expect: Expect::Holds, run: run_quadrature },
        Check { id: "001.lemma41.closed_form", claim: "Lemma 4.1, eq (15): IG of F = A(<w,x>) is [F(x) - F(u)] (x-u).w / <x-u,w>", method: "IG by 64-node Gauss-Legendre quadrature of the analytic gradient, A in {sigmoid, exp, tanh, softplus}", proof: IG, expect: Expect::Holds, run: run_lemma41 },
        Check { id: "001.ig.completeness", claim: "completeness: sum_i IG_i(x, u) = F(x) - F(u) for a non-linear model", method: "random tanh MLPs (d = 6, 16 hidden), 64-node Gauss-Legendre", proof: IG, expect: Expect::Holds, run: run_completeness },
        Check { id: "001.thm51.equivalence", claim: "Thm 5.1, eq (18): L(x) + max_{||x'-x||_inf <= eps} ||IG^{L_y}(x, x')||_1 = max_{||delta||_inf <= eps} L(x + delta)", method: "left side: IG by quadrature, maximised over all box vertices + 1e3 random points of the box; right side: vertex enumeration of L; logistic, exponential, softplus hinge", proof: IG, expect: Expect::Holds, run: run_thm51 },
        Check { id: "001.gini.lorenz", claim: "ERRATUM: App. I says G is '0.5 minus the area' under the Lorenz curve; eq (I.67) equals 1 - 2 x area (twice that)", method: "Lorenz area by the trapezoid rule vs eq (I.67) on random vectors", proof: GINI, expect: Expect::Erratum, run: run_gini_lorenz },
        Check { id: "001.gini.extremes", claim: "ERRATUM: App. I says a one-hot vector has G = 1; eq (I.67) gives 1 - 1/d, its maximum; a constant vector gives 0", method: "eq (I.67) at one-hot and constant vectors, and random search for the maximum over the simplex", proof: GINI, expect: Expect::Erratum, run: run_gini_extremes },
        Check { id: "001.gini.hurley_rickard", claim: "eq (I.67) satisfies Hurley-Rickard D1 Robin Hood, D2 scaling, D3 rising tide, D4 cloning, P1 Bill Gates, P2 babies", method: "each property on 2e3 random vectors", proof: GINI, expect: Expect::Holds, run: run_gini_hr },
    ]
}

fn rand_in(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn rand_vec(rng: &mut Rng, d: usize, lo: f64, hi: f64) -> DVector<f64> {
    DVector::from_fn(d, |_, _| rand_in(rng, lo, hi))
}

fn rand_label(rng: &mut Rng) -> f64 {
    if rng.random::<bool>() {
        1.0
    } else {
        -1.0
    }
}

/// Half-width of the loss grid: exp(20) is large but finite, enough to see every regime.
const LOSS_GRID: f64 = 20.0;

fn run_losses() -> Measured {
    let mut worst: f64 = 0.0;
    let mut fd_err: f64 = 0.0;
    for g in StdLoss::ALL {
        let n = 4000;
        let mut prev = f64::NEG_INFINITY;
        for k in 0..=n {
            let z = -LOSS_GRID + 2.0 * LOSS_GRID * k as f64 / n as f64;
            let d = g.dg(z);
            worst = worst.max(-d).max((prev - d) / (1.0 + d.abs()));
            prev = d;
            // Hinge and squared hinge have kinks (of g or g') at z = −1; differences straddling them
            // carry an O(h) error, so the grid point there and its neighbours are skipped.
            if (1.0 + z).abs() > 1e-3 {
                let fd = (g.g(z + prec::FD_STEP) - g.g(z - prec::FD_STEP)) / (2.0 * prec::FD_STEP);
                fd_err = fd_err.max((fd - d).abs() / (1.0 + d.abs()));
            }
        }
    }
    Measured::at_most(worst.max(0.0), prec::EXACT, format!("monotonicity/convexity violation {worst:.1e}; g' vs FD relative error {fd_err:.1e}"))
        .and(Measured::at_most(fd_err, prec::FD_TOL, "g' is the derivative of g"))
}

/// Projected-ascent settings for d too large to enumerate: step 0.05 with 400 steps moves δ across
/// the box many times; 8 random starts.
const ASCENT_STEPS: usize = 400;
const ASCENT_STEP: f64 = 0.05;
const ASCENT_STARTS: usize = 8;

fn run_lemma2() -> Measured {
    let mut rng = SEED.derive(1).rng();
    let mut worst: f64 = 0.0;
    let mut exceed = f64::NEG_INFINITY;
    for g in StdLoss::ALL {
        for _ in 0..40 {
            let d = 1 + rng.random_range(0..10);
            let w = rand_vec(&mut rng, d, -1.0, 1.0);
            let x = rand_vec(&mut rng, d, -1.0, 1.0);
            let y = rand_label(&mut rng);
            let eps = rand_in(&mut rng, 0.0, 0.5);
            let closed = la::adv_loss(&g, &w, &x, y, eps);
            let (brute, _) = la::adv_loss_enumerate(&g, &w, &x, y, eps).expect("d <= 10");
            let at_star = la::loss(&g, &w, &(&x + la::delta_star(&w, y, eps)), y);
            worst = worst.max((closed - brute).abs() / (1.0 + brute.abs())).max((at_star - brute).abs() / (1.0 + brute.abs()));
        }
        for _ in 0..4 {
            let d = 200;
            let w = rand_vec(&mut rng, d, -0.1, 0.1);
            let x = rand_vec(&mut rng, d, -1.0, 1.0);
            let y = rand_label(&mut rng);
            let eps = rand_in(&mut rng, 0.0, 0.5);
            let closed = la::adv_loss(&g, &w, &x, y, eps);
            let mut best = f64::NEG_INFINITY;
            for _ in 0..ASCENT_STARTS {
                let start = rand_vec(&mut rng, d, -eps, eps);
                best = best.max(la::adv_loss_ascent(&g, &w, &x, y, eps, &start, ASCENT_STEPS, ASCENT_STEP));
            }
            exceed = exceed.max((best - closed) / (1.0 + closed.abs()));
        }
    }
    Measured::at_most(worst, prec::EXACT, format!("enumeration vs eq (8): {worst:.1e}; ascent never above eq (8): largest relative excess {exceed:.1e}"))
        .and(Measured::at_most(exceed.max(0.0), prec::EXACT, "projected ascent does not beat eq (8)"))
}

/// |w_i| below which a coordinate counts as "at the kink of ‖w‖₁" for finite differences.
const W_KINK: f64 = 1e-3;

fn run_lemma3() -> Measured {
    let mut rng = SEED.derive(2).rng();
    let mut worst: f64 = 0.0;
    for g in StdLoss::ALL.into_iter().filter(|g| g.smooth()) {
        for _ in 0..50 {
            let d = 1 + rng.random_range(0..8);
            let w = rand_vec(&mut rng, d, -1.0, 1.0);
            if w.iter().any(|v| v.abs() < W_KINK) {
                continue;
            }
            let x = rand_vec(&mut rng, d, -1.0, 1.0);
            let y = rand_label(&mut rng);
            let eps = rand_in(&mut rng, 0.0, 0.5);
            let fd = fd_gradient(|wv| la::adv_loss_enumerate(&g, wv, &x, y, eps).expect("small d").0, &w);
            let an = la::adv_loss_grad(&g, &w, &x, y, eps);
            worst = worst.max((fd - &an).amax() / (1.0 + an.amax()));
        }
    }
    Measured::at_most(worst, prec::FD_TOL, "200 random (w, x, y, eps), d <= 8")
}

/// A random finite-support distribution with |S| = `s`, `r` other features, `k` support values per
/// part and label, P(y = 1) in [0.2, 0.8].
pub fn random_split(rng: &mut Rng, s: usize, r: usize, k: usize) -> SplitDistribution {
    let mut part = |dim: usize| -> Vec<(f64, Vec<f64>)> {
        let ps: Vec<f64> = (0..k).map(|_| rand_in(rng, 0.1, 1.0)).collect();
        let tot: f64 = ps.iter().sum();
        ps.iter().map(|p| (p / tot, (0..dim).map(|_| rand_in(rng, -1.0, 1.5)).collect())).collect()
    };
    let s_part = [part(s), part(s)];
    let rest_part = [part(r), part(r)];
    SplitDistribution { p_pos: rand_in(rng, 0.2, 0.8), s_dim: s, s_part, rest_part }
}

fn run_feat_trans() -> Measured {
    let mut rng = SEED.derive(3).rng();
    let mut worst: f64 = 0.0;
    for _ in 0..200 {
        let raw = random_split(&mut rng, 2, 2, 3);
        let a = (raw.conditional_mean(1.0) - raw.conditional_mean(-1.0)) * 0.5;
        let t = raw.feat_trans();
        for y in [1.0, -1.0] {
            worst = worst.max((t.conditional_mean(y) - &a * y).amax());
        }
        worst = worst.max((t.strengths() - &a).amax());
    }
    Measured::at_most(worst, prec::EXACT, "200 random distributions, d = 4")
}

fn run_thm31_eq11() -> Measured {
    let mut rng = SEED.derive(4).rng();
    let mut worst: f64 = 0.0;
    for g in StdLoss::ALL.into_iter().filter(|g| g.smooth()) {
        for _ in 0..40 {
            let dist = random_split(&mut rng, 2, 3, 3).feat_trans();
            let mut w = rand_vec(&mut rng, 5, -1.0, 1.0);
            w[0] = 0.0;
            w[1] = 0.0;
            let eps = rand_in(&mut rng, 0.0, 0.5);
            let a = dist.strengths();
            let gbar = la::g_bar_prime(&g, &dist, &w, eps);
            // Expected loss with δ* frozen at the base w (δ*_S = 0 since w_S = 0), as a function of w.
            let frozen = |wv: &DVector<f64>| -> f64 { dist.expect(|x, y| la::loss(&g, wv, &(x + la::delta_star(&w, y, eps)), y)) };
            let update = -fd_gradient(frozen, &w);
            for i in 0..2 {
                worst = worst.max((update[i] - gbar * a[i]).abs());
            }
        }
    }
    Measured::at_most(worst, prec::FD_TOL, "160 random distributions and weights, |S| = 2, d = 5")
}

/// Δ̄_S^w − ḡ'(a_S^w − ε) with Δ̄ from central differences of the exact adversarial risk
/// E[max_δ L(x + δ)] (max by vertex enumeration).
pub fn thm31_gap(g: &dyn MarginLoss, dist: &SplitDistribution, w: &DVector<f64>, eps: f64) -> f64 {
    let risk = |wv: &DVector<f64>| -> f64 { dist.expect(|x, y| la::adv_loss_enumerate(g, wv, x, y, eps).expect("small d").0) };
    let update = -fd_gradient(risk, w);
    let a = dist.strengths();
    let d_s = la::weighted_average(&update, w, dist.s_dim).expect("w_S != 0");
    let a_s = la::weighted_average(&a, w, dist.s_dim).expect("w_S != 0");
    d_s - la::g_bar_prime(g, dist, w, eps) * (a_s - eps)
}

fn run_thm31_eq12() -> Measured {
    let mut rng = SEED.derive(5).rng();
    let mut violation = f64::NEG_INFINITY;
    let mut limit_ratio: f64 = 0.0;
    let mut strict = 0;
    let mut total = 0;
    for g in StdLoss::ALL.into_iter().filter(|g| g.smooth()) {
        for _ in 0..25 {
            let dist = random_split(&mut rng, 2, 2, 2).feat_trans();
            let mut w = rand_vec(&mut rng, 4, -1.0, 1.0);
            if w.iter().any(|v| v.abs() < 0.05) {
                continue;
            }
            let eps = rand_in(&mut rng, 0.0, 0.5);
            let gap = thm31_gap(&g, &dist, &w, eps);
            violation = violation.max(gap);
            total += 1;
            if gap < -1e3 * prec::FD_TOL {
                strict += 1;
            }
            // The limit w_S → 0 along the direction of w_S: the gap must vanish linearly in t.
            let base = w.clone();
            for t in [1e-2, 1e-3] {
                w[0] = base[0] * t;
                w[1] = base[1] * t;
                let gt = thm31_gap(&g, &dist, &w, eps).abs();
                limit_ratio = limit_ratio.max(gt / t);
            }
        }
    }
    Measured::at_most(violation.max(0.0), prec::FD_TOL, format!("largest gap {violation:.2e} (strict in {strict}/{total}); |gap(t)|/t <= {limit_ratio:.3} as w_S = t w_S -> 0"))
        .and(Measured::at_most(limit_ratio, THM31_LIMIT_SLOPE, "gap vanishes linearly in t"))
}

/// Bound on |gap(t)|/t in the w_S → 0 limit: the gap is Lipschitz in w_S with constant
/// ≤ sup|g''|·E|x|² ≲ 10 for these losses on features in [−1.5, 1.5] and weights in [−1, 1].
const THM31_LIMIT_SLOPE: f64 = 10.0;

/// Monte Carlo draws for the continuous check.
const MC_DRAWS: usize = 200_000;

fn run_thm31_mc() -> Measured {
    let mut rng = SEED.derive(6).rng();
    let g = StdLoss::Logistic;
    // x_S | y ~ N(y μ_S, I), x_rest | y ~ N(y μ_R, I): FEAT-TRANS holds with a = μ.
    let mu: DVector<f64> = DVector::from_vec(vec![0.1, -0.05, 0.8, 0.5]);
    let w: DVector<f64> = DVector::from_vec(vec![0.4, 0.3, 1.0, 0.7]);
    let eps = 0.2;
    let s_dim = 2;
    let den: f64 = (0..s_dim).map(|i| w[i].abs()).sum();
    let a_s = (0..s_dim).map(|i| w[i] * mu[i]).sum::<f64>() / den;
    let l1 = w.lp_norm(1);
    let mut vals = Vec::with_capacity(MC_DRAWS);
    for _ in 0..MC_DRAWS {
        let y = rand_label(&mut rng);
        let x = DVector::from_fn(4, |i, _| y * mu[i] + { let n: f64 = StandardNormal.sample(&mut rng); n });
        let z = eps * l1 - y * w.dot(&x);
        // Per-sample −∂/∂w_i of g(ε‖w‖₁ − y⟨w, x⟩), by central differences in w_i.
        let h = prec::FD_STEP;
        let mut ds = 0.0;
        for i in 0..s_dim {
            let mut wp = w.clone();
            wp[i] += h;
            let up = la::adv_loss(&g, &wp, &x, y, eps);
            wp[i] -= 2.0 * h;
            let dn = la::adv_loss(&g, &wp, &x, y, eps);
            ds += w[i] * (-(up - dn) / (2.0 * h));
        }
        vals.push(ds / den - g.dg(z) * (a_s - eps));
    }
    let n = vals.len() as f64;
    let mean = vals.iter().sum::<f64>() / n;
    let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let z = Normal::new(0.0, 1.0).map(|nd| nd.inverse_cdf(1.0 - prec::STAT_ALPHA / 2.0)).unwrap_or(f64::NAN);
    let half = z * (var / n).sqrt();
    Measured::at_most(mean - half, 0.0, format!("mean gap {mean:.4e} +- {half:.1e} (99.9% CI); upper end {:.3e} < 0 shows the inequality is strict here", mean + half))
}

fn run_quadrature() -> Measured {
    let mut worst_exact: f64 = 0.0;
    for m in 1..=12 {
        for deg in 0..2 * m {
            let v = Rule::GaussLegendre.integrate(m, |a| a.powi(deg as i32)).expect("m >= 1");
            worst_exact = worst_exact.max((v - 1.0 / (deg as f64 + 1.0)).abs());
        }
    }
    for rule in [Rule::Middle, Rule::Trapezoid] {
        worst_exact = worst_exact.max((rule.integrate(7, |a| 3.0 * a - 1.0).expect("m >= 1") - 0.5).abs());
    }
    // Convergence order on a smooth non-polynomial integrand.
    // f(1) − f(0) ≈ 5.4 makes the O(1/m) term of the one-sided rules dominate from small m on.
    let f = |a: f64| (2.0 * a).exp() + (5.0 * a).sin();
    let reference = Rule::GaussLegendre.integrate(200, f).expect("m >= 1");
    let mut slope_err: f64 = 0.0;
    let mut slopes = Vec::new();
    for (rule, order) in [(Rule::Left, 1.0), (Rule::Right, 1.0), (Rule::Middle, 2.0), (Rule::Trapezoid, 2.0)] {
        let ms = [16usize, 32, 64, 128, 256, 512];
        let pts: Vec<(f64, f64)> = ms.iter().map(|&m| ((m as f64).ln(), (rule.integrate(m, f).expect("m >= 1") - reference).abs().ln())).collect();
        let slope = fit_slope(&pts);
        slopes.push(format!("{rule:?} {slope:.3}"));
        slope_err = slope_err.max((slope + order).abs());
    }
    Measured::at_most(worst_exact, prec::EXACT, format!("GL exactness error {worst_exact:.1e}; slopes {}", slopes.join(", ")))
        .and(Measured::at_most(slope_err, prec::ORDER_TOL, "convergence orders"))
}


/// Least-squares slope of y on x.
pub fn fit_slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Gauss–Legendre nodes for the IG checks: the integrands are analytic on [0, 1] with
/// derivatives of modest size, so 64 nodes reach rounding level.
const IG_NODES: usize = 64;

type Scalar = fn(f64) -> f64;

fn activations() -> Vec<(&'static str, Scalar, Scalar)> {
    fn sig(t: f64) -> f64 {
        crate::theory::mean_field::sigmoid(t)
    }
    fn dsig(t: f64) -> f64 {
        sig(t) * (1.0 - sig(t))
    }
    fn sp(t: f64) -> f64 {
        crate::theory::mean_field::softplus(t)
    }
    fn dtanh(t: f64) -> f64 {
        1.0 - t.tanh().powi(2)
    }
    vec![("sigmoid", sig, dsig), ("exp", f64::exp, f64::exp), ("tanh", f64::tanh, dtanh), ("softplus", sp, sig)]
}

fn run_lemma41() -> Measured {
    let mut rng = SEED.derive(7).rng();
    let mut worst: f64 = 0.0;
    for (_, a, da) in activations() {
        for _ in 0..100 {
            let d = 1 + rng.random_range(0..10);
            let w = rand_vec(&mut rng, d, -1.0, 1.0);
            let x = rand_vec(&mut rng, d, -1.0, 1.0);
            let u = rand_vec(&mut rng, d, -1.0, 1.0);
            let quad = ig::integrated_gradients(|z| &w * da(w.dot(z)), &x, &u, Rule::GaussLegendre, IG_NODES).expect("same shapes");
            let closed = ig::ig_linear_closed_form(a, da, &w, &x, &u);
            worst = worst.max((quad - closed).amax());
        }
    }
    Measured::at_most(worst, prec::EXACT, "400 random (A, w, x, u), d <= 10")
}

fn run_completeness() -> Measured {
    let mut rng = SEED.derive(8).rng();
    let mut worst: f64 = 0.0;
    for _ in 0..50 {
        let (d, h) = (6, 16);
        let w1 = nalgebra::DMatrix::from_fn(h, d, |_, _| rand_in(&mut rng, -1.0, 1.0));
        let w2 = rand_vec(&mut rng, h, -1.0, 1.0);
        let f = |z: &DVector<f64>| w2.dot(&(&w1 * z).map(f64::tanh));
        let grad = |z: &DVector<f64>| w1.transpose() * (&w1 * z).map(|t| 1.0 - t.tanh().powi(2)).component_mul(&w2);
        let x = rand_vec(&mut rng, d, -1.0, 1.0);
        let u = rand_vec(&mut rng, d, -1.0, 1.0);
        let ig = ig::integrated_gradients(grad, &x, &u, Rule::GaussLegendre, IG_NODES).expect("same shapes");
        worst = worst.max((ig.sum() - (f(&x) - f(&u))).abs());
    }
    Measured::at_most(worst, prec::EXACT, "50 random tanh MLPs")
}

/// Random interior points of the box per Theorem 5.1 instance.
const THM51_INTERIOR: usize = 1_000;

fn run_thm51() -> Measured {
    let mut rng = SEED.derive(9).rng();
    let mut gap: f64 = 0.0;
    let mut exceed = f64::NEG_INFINITY;
    // Analytic losses only: the IG integrand g'(·) of squared hinge has a kink on the path, where
    // Gauss–Legendre loses its accuracy (see proofs/ig.md).
    for g in [StdLoss::Logistic, StdLoss::Exponential, StdLoss::SoftplusHinge] {
        for _ in 0..4 {
            let d = 1 + rng.random_range(0..6);
            let w = rand_vec(&mut rng, d, -1.0, 1.0);
            let x = rand_vec(&mut rng, d, -1.0, 1.0);
            let y = rand_label(&mut rng);
            let eps = rand_in(&mut rng, 0.01, 0.5);
            let rhs = la::adv_loss_enumerate(&g, &w, &x, y, eps).expect("small d").0;
            let mut lhs = f64::NEG_INFINITY;
            let mut probe = |xp: DVector<f64>| {
                let v = ig::stable_ig_objective(&g, &w, &x, y, &xp, Rule::GaussLegendre, IG_NODES).expect("same shapes");
                lhs = lhs.max(v);
            };
            for mask in 0u32..(1u32 << d) {
                probe(DVector::from_fn(d, |i, _| x[i] + if mask >> i & 1 == 1 { eps } else { -eps }));
            }
            for _ in 0..THM51_INTERIOR {
                probe(&x + rand_vec(&mut rng, d, -eps, eps));
            }
            gap = gap.max((lhs - rhs).abs() / (1.0 + rhs.abs()));
            exceed = exceed.max((lhs - rhs) / (1.0 + rhs.abs()));
        }
    }
    Measured::at_most(gap, prec::EXACT, format!("largest relative |LHS - RHS| {gap:.1e}; largest excess of LHS {exceed:.1e}"))
}

fn random_nonneg(rng: &mut Rng, d: usize) -> Vec<f64> {
    (0..d).map(|_| if rng.random::<f64>() < 0.3 { 0.0 } else { rand_in(rng, 0.0, 1.0) }).collect()
}

fn run_gini_lorenz() -> Measured {
    let mut rng = SEED.derive(10).rng();
    let mut err: f64 = 0.0;
    let mut printed_dev = f64::INFINITY;
    for _ in 0..2000 {
        let d = 1 + rng.random_range(0..30);
        let mut v = random_nonneg(&mut rng, d);
        v[0] += 0.1;
        let g = gini(&v).expect("positive mass");
        let a = lorenz_area(&v).expect("positive mass");
        err = err.max((g - (1.0 - 2.0 * a)).abs());
        if g > 0.1 {
            printed_dev = printed_dev.min((g - (0.5 - a)).abs());
        }
    }
    Measured::at_least(printed_dev, prec::ERRATUM_MIN, format!("G = 1 - 2 area to {err:.1e}; '0.5 - area' is off by >= {printed_dev:.3} whenever G > 0.1"))
        .and(Measured::at_most(err, prec::EXACT, "G = 1 - 2 x Lorenz area"))
}

fn run_gini_extremes() -> Measured {
    let mut rng = SEED.derive(11).rng();
    let mut err: f64 = 0.0;
    let mut above = f64::NEG_INFINITY;
    for d in 1..=50 {
        let mut one_hot = vec![0.0; d];
        one_hot[d / 2] = 3.0;
        err = err.max((gini(&one_hot).expect("mass") - (1.0 - 1.0 / d as f64)).abs());
        err = err.max(gini(&vec![0.7; d]).expect("mass").abs());
        for _ in 0..50 {
            let mut v = random_nonneg(&mut rng, d);
            v[0] += 1e-3;
            above = above.max(gini(&v).expect("mass") - (1.0 - 1.0 / d as f64));
        }
    }
    // The printed claim G(one-hot) = 1 fails by 1/d; at d = 10, by 0.1.
    let mut oh = vec![0.0; 10];
    oh[0] = 1.0;
    let deviation = 1.0 - gini(&oh).expect("mass");
    Measured::at_least(deviation, prec::ERRATUM_MIN, format!("one-hot at d = 10 gives {:.2}, not 1; formula 1 - 1/d holds to {err:.1e}; no random vector exceeds 1 - 1/d (largest excess {above:.1e})", 1.0 - deviation))
        .and(Measured::at_most(err, prec::EXACT, "one-hot 1 - 1/d, constant 0"))
        .and(Measured::at_most(above.max(0.0), prec::EXACT, "1 - 1/d is the maximum"))
}

fn run_gini_hr() -> Measured {
    let mut rng = SEED.derive(12).rng();
    let mut worst: f64 = 0.0;
    let mut fails = Vec::new();
    for _ in 0..2000 {
        let d = 2 + rng.random_range(0..20);
        let mut v: Vec<f64> = (0..d).map(|_| rand_in(&mut rng, 0.01, 1.0)).collect();
        v[0] += 0.5; // a strict maximum so Robin Hood and Bill Gates have a donor
        let g = gini(&v).expect("mass");
        // D2 scaling
        let s = rand_in(&mut rng, 0.1, 10.0);
        worst = worst.max((gini(&v.iter().map(|x| x * s).collect::<Vec<_>>()).expect("mass") - g).abs());
        // D4 cloning
        let cloned: Vec<f64> = v.iter().chain(v.iter()).cloned().collect();
        worst = worst.max((gini(&cloned).expect("mass") - g).abs());
        let (imax, imin) = (0, (1..d).min_by(|a, b| v[*a].total_cmp(&v[*b])).unwrap_or(1));
        // D1 Robin Hood: move a little from the richest to the poorest without reversing them.
        let t = 0.25 * (v[imax] - v[imin]);
        let mut rh = v.clone();
        rh[imax] -= t;
        rh[imin] += t;
        if gini(&rh).expect("mass") >= g {
            fails.push("Robin Hood");
        }
        // D3 rising tide
        let tide: Vec<f64> = v.iter().map(|x| x + 0.3).collect();
        if gini(&tide).expect("mass") >= g {
            fails.push("rising tide");
        }
        // P1 Bill Gates
        let mut bg = v.clone();
        bg[imax] += 5.0;
        if gini(&bg).expect("mass") <= g {
            fails.push("Bill Gates");
        }
        // P2 babies
        let mut babies = v.clone();
        babies.push(0.0);
        if gini(&babies).expect("mass") <= g {
            fails.push("babies");
        }
    }
    fails.sort_unstable();
    fails.dedup();
    Measured::at_most(worst + fails.len() as f64, prec::EXACT, format!("scaling/cloning error {worst:.1e}; strict-inequality properties failing: {fails:?}"))
}

/// Singular values below this count as "singular" for the FEAT-EXP system (entries are O(1)).
const SINGULAR: f64 = 1e-6;

fn run_e1_feat_exp() -> Measured {
    let mut rng = SEED.derive(13).rng();
    let mut smallest = f64::INFINITY;
    for _ in 0..2000 {
        let k = 3 + rng.random_range(0..4);
        let raw: Vec<f64> = (0..k).map(|_| rand_in(&mut rng, 0.05, 1.0)).collect();
        let tot: f64 = raw.iter().sum();
        let priors: Vec<f64> = raw.iter().map(|p| p / tot).collect();
        let m = mc::feat_exp_matrix(&priors);
        let sv = m.singular_values();
        smallest = smallest.min(sv.min());
    }
    Measured::at_least(smallest, SINGULAR, format!("smallest singular value over 2000 random priors: {smallest:.3e} (full rank: only zero class means satisfy FEAT-EXP)"))
}

/// The counterexample of proofs/multiclass_adv.md: k = 3 uniform classes, d = 1, x = ±0.3 with
/// probability ½ in every class (FEAT-EXP holds with a = 0, FEAT-INDEP trivially), classifier 0
/// with w_00 = 0, the others with weights `others`.
pub fn e1_counterexample(others: [f64; 2]) -> (MultiClassDist, DMatrix<f64>) {
    let law = vec![(0.5, DVector::from_element(1, -0.3)), (0.5, DVector::from_element(1, 0.3))];
    let dist = MultiClassDist { priors: vec![1.0 / 3.0; 3], cond: vec![law.clone(), law.clone(), law] };
    let w = DMatrix::from_column_slice(3, 1, &[0.0, others[0], others[1]]);
    (dist, w)
}

/// ε of the Theorem E.1 counterexample: small enough that every hinge stays active.
const E1_EPS: f64 = 0.1;

fn run_e1_part1() -> Measured {
    let mut smallest_dev = f64::INFINITY;
    let mut control: f64 = 0.0;
    let mut detail = String::new();
    for g in [StdLoss::Hinge, StdLoss::Logistic] {
        let (dist, w) = e1_counterexample([0.5, -0.25]);
        let viol = dist.feat_exp_violation();
        let a = dist.strengths();
        let upd = mc::expected_update(&g, &dist, &w, E1_EPS, 0, 0, prec::FD_STEP).expect("d = 1");
        let gbar = mc::g_bar_prime(&g, &dist, &w, E1_EPS, 0).expect("d = 1");
        let dev = (upd - a[(0, 0)] * gbar).abs();
        if dev < smallest_dev {
            smallest_dev = dev;
            detail = format!("{}: update {upd:.6} vs a g' = {:.6} (FEAT-EXP violation {viol:.1e})", g.name(), a[(0, 0)] * gbar);
        }
        // Control: no classifier reads the feature, so delta*_j = 0 and part 1 holds.
        let (dist0, w0) = e1_counterexample([0.0, 0.0]);
        let upd0 = mc::expected_update(&g, &dist0, &w0, E1_EPS, 0, 0, prec::FD_STEP).expect("d = 1");
        let gbar0 = mc::g_bar_prime(&g, &dist0, &w0, E1_EPS, 0).expect("d = 1");
        control = control.max((upd0 - dist0.strengths()[(0, 0)] * gbar0).abs());
    }
    Measured::at_least(smallest_dev, 1e3 * prec::FD_TOL, format!("{detail}; with a zero column of W part 1 holds to {control:.1e}"))
        .and(Measured::at_most(control, prec::FD_TOL, "part 1 holds when no classifier reads feature j"))
}

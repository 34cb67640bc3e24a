//! Named tolerances and step sizes, each with the reason for its value.
//!
//! Tests and checks take their tolerances from here (DESIGN habit 3), so a loosened tolerance is a
//! visible, reviewed change.

/// Agreement of two exact f64 evaluations of the same quantity by different formulas (a closed
/// form against a direct sum or enumeration). Both involve O(10²) operations on O(1) numbers, so
/// rounding stays below ~10² ulp ≈ 2e-14; 1e-12 leaves a margin of 50×.
pub const EXACT: f64 = 1e-12;

/// Agreement of an f64 result of O(1) size with its exact value (or a second evaluation) when only
/// a handful (≲ 5) of roundings separate them: each rounding is at most ε_f64/2 ≈ 1.1e-16 of the
/// value, so ≲ 6e-16. For checks that a weighted mean of a constant, a mean of a few numbers, a
/// projection onto a box or a re-evaluation of the same expression is exact up to rounding;
/// anything but rounding (blur weights that do not sum to 1, a biased mean) shows above it.
pub const F64_FEW_OPS: f64 = 1e-15;

/// [`EXACT`] for sums over O(10³) terms (a wide net's m ≤ 700 neurons summed in fused chunks
/// against the direct sum over the atoms of its measure): rounding grows tenfold to ~10³ ulp
/// ≈ 2e-13 relative, so the tolerance does too; 1e-11 leaves 50× and still catches a dropped
/// neuron or a wrong 1/m scale.
pub const EXACT_WIDE: f64 = EXACT * 10.0;

/// Central finite-difference step. The truncation error is O(h²·f''') and the rounding error
/// O(ε_mach/h); their sum is smallest near h ≈ ε_mach^{1/3} ≈ 6e-6.
pub const FD_STEP: f64 = 1e-6;

/// Agreement between an analytic derivative and a central finite difference with [`FD_STEP`]
/// on piecewise-linear or smooth functions of O(1) scale: rounding contributes ~ε_mach/h ≈ 2e-10
/// per evaluation, summed over O(10) terms; 1e-7 leaves ample room while still catching any
/// wrong factor or sign.
pub const FD_TOL: f64 = 1e-7;

/// [`FD_TOL`] for functions of scale up to 10² rather than O(1) (the σ-smoothed Bayes log-odds of
/// theory/block_bayes.rs, whose values and slopes grow like 1/σ² ≤ 100 for σ ≥ 0.1), applied
/// relative to 1 + |finite difference|: the rounding term ε_f64·|f|/h and the truncation term
/// h²·f'''/6 both grow with the function's scale, so the tolerance grows by the same 10². A wrong
/// factor or sign still misses by O(1) relative.
pub const FD_TOL_STEEP: f64 = FD_TOL * 1e2;

/// Relative slack allowed to a numerical optimiser that claims nothing beats a closed-form maximum:
/// the optimiser's best value may exceed the closed form by at most this relative amount (the
/// objective is evaluated in f64, so rounding alone gives ~1e-15). Also the slack of a solver's
/// certified bracket [lower, upper] around such a closed form (seed 000's max-margin solver against
/// Theorem 1's γ*, tests/experiment_seed000.rs), applied absolutely there since the margins are
/// below ½.
pub const OPT_EXCEED: f64 = 1e-9;

/// How close the best of many optimiser starts must come to a known maximum, relative to it. The
/// projected subgradient ascent of `theory::max_margin::best_neuron` (geometric step decay to
/// 1e-7) measured a worst shortfall of 1e-7 on the Theorem 1 problems; 1e-5 leaves 100×. The bound
/// shows the optimiser can reach the maximum, which is what makes "nothing beats it" meaningful.
pub const OPT_REACH: f64 = 1e-5;

/// Agreement of a value computed by the simplex or branch and bound of `microlp` (the exact ℓ∞
/// adversary's MILP of theory/mm_solver.rs) with its closed form, on O(1) margins: the solver
/// verifies its solutions to ~1e-9 in the constraint residuals, not to f64 rounding. A wrong big-M
/// bound or a missed activation pattern moves the margin by an amount of the order of ε.
pub const LP_AGREE: f64 = 1e-9;

/// Slack of the KKT conditions (gradient ≥ 0, complementary slackness) checked on the
/// Lawson–Hanson NNLS of theory/max_margin.rs for small random problems (4 × ≤ 5, entries in
/// [−1, 1]): it stops once the largest gradient entry is within 1e-12·(1 + ‖A‖max·‖b‖max) of zero
/// and solves each passive set by an SVD whose rounding the conditioning of the random columns
/// amplifies. 1e-9 admits both; a wrong active set leaves a gradient entry of the order of the
/// data.
pub const NNLS_KKT: f64 = 1e-9;

/// Significance level of the statistical tests on samplers (chi-square, Kolmogorov–Smirnov,
/// binomial). A correct sampler fails such a test with this probability per fixed seed; the seeds
/// are fixed, so the outcome is deterministic.
pub const STAT_ALPHA: f64 = 1e-3;

/// How many standard errors a sample statistic (a mean, a sample variance or standard deviation, a
/// delta-method ratio estimate) may stray from the value it estimates: for a correct estimator
/// with a (near-)normal error, P(|Z| > 4) = 6.3e-5 per check, below [`STAT_ALPHA`]; a bias larger
/// than 4 standard errors fails. Used the other way round too: a difference beyond 4 standard
/// errors is a real effect.
pub const SE_BAND: f64 = 4.0;

/// Bound, in standard deviations, on every single one of up to O(10²) Gaussian draws (not on their
/// mean): P(|Z| > 6) ≈ 2e-9 per draw, so a correct sampler never reaches it at a fixed seed,
/// while noise of a larger scale than stated does.
pub const DRAW_SIGMAS: f64 = 6.0;

/// Agreement of a Student-t quantile from `statrs` with its 16-digit tabulated value (absolute,
/// quantiles of size ~4): statrs inverts the regularised incomplete beta function by Newton steps
/// (AS 109) that stop on a squared-step criterion (~1e-19 here: steps ≲ 3e-10 in the beta
/// variable p, which t = √(ν(1 − p)/p) magnifies ≈ 25×; the last Newton step leaves far less), so
/// the accuracy is the stopping rule's, not f64 rounding's. A wrong degree of freedom or a normal
/// quantile in place of t moves the half-width by ≥ 0.1.
pub const T_QUANTILE: f64 = 1e-9;

/// Smallest deviation reported as a genuine disagreement with a paper's formula: well above
/// [`EXACT`] so that rounding never makes an erratum, far below any effect of a wrong constant.
pub const ERRATUM_MIN: f64 = 1e-9;

/// Allowed deviation of a fitted log-log convergence slope from the order a theorem predicts (on
/// top of any Monte Carlo standard error). The next term of an expansion bends the log-log line:
/// for ρ₁(σ) (seed 004) the slope is 2 + 2(c'/c)σ² locally, which on the σ-grid of
/// `verify::seed004` moves the fit by ≲ 1e-2; for the IG quadrature rules (seed 001) the O(1/m)
/// correction moves it by ≲ 1e-2 on m = 16…512. 0.05 leaves 5× while still telling order 1, 2 and
/// 3 apart.
pub const ORDER_TOL: f64 = 0.05;

/// Relative agreement, to 1 + |value|, of a closed form with composite Simpson quadrature on 4000
/// panels of a Gaussian density averaged over [−η, η] (tests/leakage.rs: σ ≥ 0.1, η ≤ 0.3, so
/// h = 2η/4000 ≤ 1.5e-4). Simpson's relative error on an integrand of log-slope κ is ≈ (hκ)⁴/180:
/// ~1e-12 where the log-odds is O(1) (κ ≲ 30), up to ~5e-9 in the far tails (κ ≈ 200), where the
/// log-odds itself is O(10²), so ≲ 1e-10 relative to 1 + |value|. 1e-8 leaves 100× and catches a
/// wrong CDF argument or a dropped 1/(2η) (relative errors of order 1).
pub const SIMPSON_REL: f64 = 1e-8;

/// Central finite-difference step for f32 models (burn tensors). f32 rounding of an O(1) output
/// is ~6e-8; with h = 1e-2 the rounding error of the quotient is ~1e-5 and the truncation error of
/// a smooth (SoftPlus) net O(h²) ≈ 1e-4 of its third derivative.
pub const FD_STEP_F32: f64 = 1e-2;

/// Relative agreement of an f32 autodiff input gradient with a central difference at
/// [`FD_STEP_F32`], relative to the gradient's largest entry: the truncation and rounding errors
/// above (≲ 2e-4 together) with 10× room; a wrong factor or sign misses by O(1).
pub const FD_TOL_F32: f64 = 2e-3;

/// Slack of geometric checks on f32 tensors (a perturbation's norm against ε, a value against
/// its box): a few ulp of numbers of size ≤ 10.
pub const F32_SLACK: f64 = 1e-5;

/// A few ulp of an f32 number of size ≤ 1 (ulp ≤ 1.2e-7), the counterpart of [`F32_SLACK`] for
/// such numbers: the same value reached by two short f32 computations that round differently (a
/// byte mapped to [0, 1] by a loader and by the test, standardised and mapped back; a per-example
/// loss the attack compared and the test recomputes). Up to 8 roundings of ε_f32/2 ≈ 6e-8 stay
/// below 1e-6, while an off-by-one byte (1/255 ≈ 4e-3), a wrong channel, mean or std, or a point
/// whose loss is lower by more than rounding is caught.
pub const F32_ULPS: f64 = 1e-6;

/// Agreement of two f32 evaluations of the same O(1) quantity by different formulas (a burn
/// forward pass against a hand computation in f64, a sample alone against the same sample in a
/// batch): ε_f32 ≈ 6e-8 per operation over O(10²) operations gives ~6e-6; 1e-5 still catches any
/// wrong constant (a missing eps or a biased/unbiased mix-up moves results by ≥ 1e-3).
pub const F32_EXACT: f64 = 1e-5;

/// Absolute agreement of f32 means of O(10) values of size ≤ 10 (class means of a small table,
/// summed in f32) with the value they must have: each addition rounds by half an ulp of the running
/// sum (≤ 1.5e-5 for sums below 512), so a mean is off by ≲ 1.5e-5 in the worst case and a sum of
/// two means by ≲ 3e-5. 1e-4 still catches a translation other than the midpoint of the class means
/// (then m₁ + m₀ = ±(μ₁ − μ₀), of the order of the features' spread).
pub const F32_MEANS: f64 = 1e-4;

/// Agreement, on the [0, 1] scale, of a flat colour saved as JPEG (the `image` crate's encoder at
/// its default quality) and decoded, resized and cropped, with the colour saved: a flat block has
/// only DC coefficients, whose quantisation (step ≤ 9 at quality 75, i.e. ≤ 0.6 levels per YCbCr
/// channel) becomes ≲ 1.5 levels of 255 in the blue channel after the colour transform (Cb enters
/// with weight 1.77); integer rounding in the colour transforms, the decoder and the resampler
/// adds a few levels more: ≲ 4 levels ≈ 0.016. 0.05 ≈ 13 levels leaves 3× and still tells a wrong
/// channel (0 instead of 0.78) or a missing 1/255 apart.
pub const JPEG_FLAT: f64 = 0.05;

/// Agreement of an input gradient g with a central finite difference at [`FD_STEP_F32`] along a
/// unit direction u (g/‖g‖ or random) on an f32 *conv* net, as |quotient − ⟨g, u⟩| / ‖g‖. The
/// quotient is limited by f32 rounding of the deep forward pass and by ReLU / max-pool kinks inside
/// the step: measured worst 1.4e-2 (ReLU ResNet18; the same gradients agree to 1e-8 in f64). 5e-2
/// leaves 3.5× and catches a lost path or a wrong factor (errors of order 1), not subtle errors:
/// those are the job of the f64 check with [`FD_TOL_NET`].
pub const FD_TOL_F32_CONV: f64 = 5e-2;

/// Agreement of an input gradient with a central finite difference at [`FD_STEP`] on an f64
/// conv net (ReLU included), relative to the largest gradient entry of the same example. Measured
/// worst: 4e-7 (SoftPlus ResNet50, whose larger logits make the rounding term ε_f64·|f|/h the
/// biggest), ≤ 1e-7 for the others (no kink within 1e-6 on the test inputs). 1e-5 leaves 25×;
/// a lost path or a wrong factor gives errors ≥ 1e-2.
pub const FD_TOL_NET: f64 = 1e-5;

/// Agreement of our logits with PyTorch's logits for the same weights and inputs (both f32, O(1)
/// logits). Convolutions summed in a different order differ by ~ε_f32·√fan_in per layer: measured
/// worst 2.3e-7 (ResNet50, ImageNet stem, 3×16×16). 1e-4 is the agreement asked of a port; a
/// mis-mapped key, a transposed fc weight or a wrong BN constant moves the logits by ≥ 1e-2.
pub const TORCH_F32_TOL: f64 = 1e-4;

/// Step h of the finite-difference route of gradient penalties (Finlay & Oberman 2019): the
/// quotient `(t(x + h u) − t(x − h u)) / 2h` along a unit direction u, in f32. Its rounding error
/// is ~ε_f32·|t|/h ≈ 6e-6 for O(1) scalars t; the truncation error is zero on a ReLU net unless a
/// kink lies within h of x along u (then O(1) for that example), O(h²) ≈ 1e-4 of the third
/// derivative on a SoftPlus net. The same value as [`FD_STEP_F32`], for the same reasons; a field
/// of each penalty overrides it.
pub const PENALTY_FD_STEP: f64 = 1e-2;

/// A gradient (or difference of gradients) whose largest entry is at most this is treated as
/// zero by the penalties: its norm-attaining direction is set to 0 instead of dividing by a
/// vanishing norm. Far below any f32 gradient that matters (f32's smallest normal is 1.2e-38, the
/// gradients of O(1) logits are ≥ 1e-8 wherever they carry information).
pub const NORM_FLOOR: f64 = 1e-30;

/// Relative agreement of the exact and the finite-difference route of a gradient penalty on an
/// f32 MLP (batch value, and parameter gradient as ‖Δ‖₂/‖·‖₂). The FD quotient at
/// [`PENALTY_FD_STEP`] carries rounding ~6e-6/‖g‖ per example, O(h²) truncation on SoftPlus nets
/// and, on ReLU nets, an O(1) error on the few examples whose ReLU pattern changes within h along
/// the direction (5 of 64 in the test batch). Measured worst (tests/objective.rs, batch 64): values
/// 1.7e-2 (ReLU, logit ℓ2², kink examples included), parameter gradients 1.6e-2 (SoftPlus
/// curvature penalty: a difference of two quotients divided by its h = 0.1) and ≤ 2e-4 for every
/// other case (ReLU: kink-free examples). 5e-2 leaves 3×; a wrong direction (a non-dual one loses
/// up to a factor √D or D), a missing factor ‖d‖₂ or a wrong sign misses by ≥ 30 %.
pub const ROUTE_AGREE: f64 = 5e-2;

/// Agreement of the three implementations of seed 003's marginal-density penalty (eq 4, 5, 6),
/// relative to the penalty: each evaluates the same vector ∇ₓ log Σᵢ e^{fᵢ} in f32 by a different
/// sequence of O(10²) operations on O(1) numbers, so they differ by rounding (~ε_f32·10² ≈ 6e-6)
/// unless eq 4's unshifted exponentials overflow. 1e-4 still catches a missing softmax weight or
/// a dropped term (errors of order 1).
pub const DENSITY_FORMS_AGREE: f64 = 1e-4;

/// Relative agreement, in f64, of the exact route's parameter gradient with a central
/// finite difference of the penalty value at [`FD_STEP`]: rounding ε_f64·|P|/h ≈ 2e-10 and
/// truncation O(h²) on a SoftPlus net (on a ReLU net the penalty is smooth in the parameters
/// away from kinks, which no test input lies within 1e-6 of). Measured worst 1e-7
/// (tests/objective_f64.rs); 1e-6 leaves 10× and catches a missing second-order term (the
/// SoftPlus curvature) or a factor of 2, and also f32 rounding hidden in an f64 computation
/// (burn's own `sigmoid` gave 1e-2 here).
pub const PENALTY_GRAD_FD: f64 = 1e-6;

/// Range of the fitted log-log slope of Integrated Gradients' completeness gap against the step
/// count on models with kinks (ReLU networks, max-pooling): the integrand jumps along the path, so
/// every quadrature rule is first order, with a constant that oscillates with where the jumps fall
/// between the nodes. Measured on n = 4…128 (tests/attribution.rs): −1.41 … −0.79 over five
/// rules and three models. The band excludes second order (−2) and no convergence (0).
pub const KINKED_SLOPE: (f64, f64) = (-1.5, -0.7);

/// Agreement of an attribution with Captum's for the same f32 model, weights, inputs and random
/// draws, per example as max |ours − Captum| / max |Captum|: both sum the same f32 products in
/// different orders (gemm vs PyTorch's kernels, f64 vs f32 accumulation over steps and samples),
/// ~ε_f32·√(terms) ≈ 1e-6 at these sizes. The agreement the attribution issue asks of a port.
pub const CAPTUM_F32: f64 = 1e-5;

/// Completeness of Integrated Gradients with 32 Gauss–Legendre nodes on a smooth (SoftPlus) f32
/// network of O(1) logits: the quadrature error of an analytic integrand is far below f32
/// rounding at 32 nodes, and each of the 32 gradients carries ~ε_f32·10² ≈ 6e-6 relative rounding,
/// accumulated in f64. 1e-4 of max(|Δf|, 1) catches a missing node weight or a wrong baseline
/// (errors of order 1). The same holds for such IG against seed 001 Lemma 4.1's closed form on a
/// two-class softmax (logistic) model, relative to the largest entry (tests/attribution.rs).
pub const IG_COMPLETE_F32: f64 = 1e-4;

/// Largest completeness gap accepted of Integrated Gradients with 64 Gauss–Legendre nodes on seed
/// 001's tabular models (a probability as target, from the all-zero baseline). On the steepest
/// sigmoid path (standardised Spambase, margins in the tens) 16 nodes leave gaps of 0.04 and 128
/// nodes 3e-7 (tests/experiment_seed001_tabular.rs); Gauss–Legendre errors fall geometrically in
/// the node count, which puts 64 nodes near 3e-4 by interpolation. 1e-3 of a probability lies
/// between 64 and 16 nodes: too few nodes or a lower-order rule fails.
pub const IG_GAP_TABULAR: f64 = 1e-3;

/// Relative error (max entry over max |gradient|) accepted of SmoothGrad with 16 samples at
/// σ = 1e-4 against the plain gradient of a smooth (SoftPlus) f64 MLP: the mean of the noisy
/// gradients differs by the Hessian times the mean noise, O(σ)·‖H‖/‖g‖/√16, plus O(σ²)
/// curvature, i.e. ~1e-4 for Hessian-to-gradient ratios of a few. 1e-3 = 10σ catches a bias that
/// does not vanish as σ → 0 (noise not scaled by σ, a wrong average such as dividing by n − 1:
/// 6 % at n = 16).
pub const SMOOTHGRAD_LIMIT: f64 = 1e-3;

/// Relative error (max entry over max |IG|) accepted of GradientSHAP with one baseline, no noise
/// and 4000 draws of α ~ U(0, 1) against Integrated Gradients on a smooth f64 MLP: a Monte Carlo
/// mean whose standard error is the integrand's spread along the path over √4000 ≈ 63, i.e.
/// ≤ 1.6 % of max |IG| when that spread is at most max |IG| (the IG reference, 16 midpoint nodes,
/// is itself off by O(1/16²) of the integrand's curvature); 0.05 is 3 such standard errors. A
/// wrong α range, noise left on or a missing (x − baseline) factor gives errors of order 1.
pub const GRADSHAP_MC: f64 = 0.05;

/// Summation-to-delta gap of DeepLIFT / DeepSHAP in f64 on nets up to ResNet18 (absolute, O(1)
/// logits). Rounding alone gives ~ε_f64 per unit over O(10⁴) units ≈ 1e-12; in addition, where
/// |Δx| < 1e-10 (Captum's eps) the rescale rule falls back to the gradient, which on a ReLU that
/// switches between x and the baseline misstates that unit's Δy by up to |Δx| < 1e-10. 1e-9 admits
/// a few such units; a lost path (a skip connection, the max-pool rule) misses by a fraction of
/// t(x) − t(u).
pub const DEEPLIFT_GAP_F64: f64 = 1e-9;

/// Agreement of one computation on the GPU and on the CPU (both f32, same weights and inputs):
/// the kernels sum in other orders (cuBLAS/cubecl tiling, fused activations), ~ε_f32·√(terms) per
/// layer as for [`TORCH_F32_TOL`], which is the agreement asked of a port; a missing term or a
/// wrong layout moves results by ≥ 1e-2. A PGD step's sign may flip where a gradient entry is
/// within rounding of zero, moving that coordinate by 2·step: inputs are random, so such ties are
/// absent at these sizes.
pub const DEVICE_F32: f64 = 1e-4;

/// Agreement of LPIPS (metric/lpips.rs) with the `lpips` package (v0.1, AlexNet; fixture of
/// tests/support/lpips_fixture.py) for the same f32 weights and images, per distance and per
/// layer term, relative to the reference value. Measured (tests/lpips.rs): distances within 1.3e-5
/// of lpips's f32 values and 8.8e-7 of its f64 ones; layer terms within 6.6e-5 (f32) and 4.9e-5
/// (f64), worst on the closest pair (y = x + (noise − x)/64), whose deep terms (1e-7 … 1e-6) are
/// squared differences of nearly equal unit features, so f32 rounding of each is amplified; lpips
/// in f32 is itself 7.8e-5 from lpips in f64 there. 3e-4 leaves 4.5×; a ScalingLayer constant
/// wrong in its third decimal moves a layer term by ≥ 7.8e-3 and a distance by ≥ 5e-4.
pub const LPIPS_TORCH_F32: f64 = 3e-4;

/// Relative mean squared error E‖ŝ − s‖²/E‖s‖² accepted between a trained denoiser's score
/// (D(x; σ) − x)/σ² and the analytic noised score of a 2-D Gaussian mixture (tests/seed004_parts.rs),
/// over points drawn from p_σ. 0.05 is a score right to about 22 % RMS — enough to point along
/// the right direction (cosine ≳ 0.97), which is what a perceptual comparison of maps uses; an
/// untrained denoiser is at ~1 and a denoiser that ignored σ or the skip term would be off by
/// tens of percent. Measured: 0.028 at σ = 0.5 and 0.006 at σ = 1.2 (MLP 128, 128; 80 epochs of
/// 20 000 samples).
pub const SCORE_REL_MSE: f64 = 0.05;

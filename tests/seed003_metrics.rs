//! The measurements of seed 003's experiments against known answers: M_leakage (eq 9) in both
//! path readings on a linear model (where IG is x ⊙ w exactly) and on an MLP (completeness of the
//! null-block path), the insertion game's path and area (A.7), and the augmentation that re-places
//! BlockMNIST's null block each time an example is drawn (A.8.1).

use burn::backend::{Autodiff, NdArray};
use inputgrad::attribution::{attribute, Baseline, Budget, Class, IgRule, IntegratedGradients, Target};
use inputgrad::metric::insertion::{insertion_auc, insertion_path};
use inputgrad::metric::mask::{leakage_baseline, m_leakage, null_norm, Aggregation, LeakagePath};
use inputgrad::model::{Classifier, InputShape, ModelSpec, Net};
use inputgrad::train::{Augment, Examples};
use inputgrad::{prec, Seed};
use ndarray::Array2;

#[path = "support/attr.rs"]
mod attr;
use attr::*;

type B = Autodiff<NdArray<f32>>;
type I = NdArray<f32>;

/// A 2×4 "image" whose bottom row is the null block.
const NULL: [bool; 8] = [false, false, false, false, true, true, true, true];

fn ig_values(net: &Net<B>, x: &[f32], baseline: Vec<f32>, class: usize) -> (Vec<f64>, f64) {
    let d = x.len();
    let ig = IntegratedGradients { rule: IgRule::GaussLegendre, steps: 32, baseline: Baseline::Given(Array2::from_shape_vec((1, d), baseline).unwrap()), budget: Budget::default() };
    let xt = inputgrad::attribution::from_vec::<I>(x.to_vec(), [1, d], &dev());
    let (a, _) = attribute::<B, Net<B>>(&ig, net, xt, Target::Logit(Class::True), Some(&[class])).unwrap();
    (vec_of(&a.values), a.gap.unwrap()[0])
}

fn logits(net: &Net<B>, x: &[f32]) -> Vec<f64> {
    use burn::module::AutodiffModule;
    vec_of(&net.valid().logits(inputgrad::attribution::from_vec::<I>(x.to_vec(), [1, x.len()], &dev())))
}

#[test]
fn leakage_of_a_linear_model_is_the_null_blocks_x_times_w_in_both_readings() {
    let net = model::<B>(&ModelSpec::Linear, InputShape::Flat(8), 3);
    let Net::Linear(m) = &net else { unreachable!() };
    let w = vec_of(&m.fc.weight.val()); // [D, K]
    let x: Vec<f32> = vec![0.3, -1.2, 0.8, 2.0, 1.5, -0.7, 0.25, 1.1];
    let class = 2;
    // IG of a linear logit from baseline u is (x − u) ⊙ w_c exactly; on the null block both
    // baselines are 0, so both readings give ‖x_null ⊙ w_null‖.
    let want = (0..8).filter(|&i| NULL[i]).map(|i| (f64::from(x[i]) * w[i * 3 + class]).powi(2)).sum::<f64>().sqrt();
    for path in LeakagePath::ALL {
        let base = leakage_baseline(&x, &NULL, path).unwrap();
        let (a, _) = ig_values(&net, &x, base, class);
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let got = null_norm(&a32, &NULL).unwrap();
        assert!((got - want).abs() <= prec::F32_EXACT * want.max(1.0), "{path:?}: {got} vs {want}");
        if path == LeakagePath::NullBlock {
            // Only the null block moves along this path: the signal block gets exactly nothing.
            assert!(a[..4].iter().all(|&v| v == 0.0), "{a:?}");
        }
    }
}

#[test]
fn the_null_block_path_is_complete_on_an_mlp() {
    // Along the literal path of eq 9 the signal block stays fixed, so the attributions sum to
    // f(x) − f(x with its null block zeroed) — a different number from the zero-baseline path's
    // f(x) − f(0), which is why the two readings are reported side by side.
    let net = model::<B>(&mlp(&[16, 8], inputgrad::model::Activation::Softplus), InputShape::Flat(8), 3);
    let x: Vec<f32> = vec![0.3, -1.2, 0.8, 2.0, 1.5, -0.7, 0.25, 1.1];
    let base = leakage_baseline(&x, &NULL, LeakagePath::NullBlock).unwrap();
    assert_eq!(base, vec![0.3, -1.2, 0.8, 2.0, 0.0, 0.0, 0.0, 0.0]);
    let (a, gap) = ig_values(&net, &x, base.clone(), 1);
    let want = logits(&net, &x)[1] - logits(&net, &base)[1];
    let sum: f64 = a.iter().sum();
    assert!((sum - want).abs() <= prec::IG_COMPLETE_F32 * want.abs().max(1.0), "Σ IG {sum} vs f(x) − f(x̃) {want}");
    assert!(gap.abs() <= prec::IG_COMPLETE_F32 * want.abs().max(1.0), "recorded gap {gap}");
    let (full, _) = ig_values(&net, &x, leakage_baseline(&x, &NULL, LeakagePath::Image).unwrap(), 1);
    let whole = logits(&net, &x)[1] - logits(&net, &[0.0; 8])[1];
    assert!((full.iter().sum::<f64>() - whole).abs() <= prec::IG_COMPLETE_F32 * whole.abs().max(1.0));
}

#[test]
fn m_leakage_aggregates_by_mean_or_sum_and_refuses_nothing_to_aggregate() {
    let norms = [1.0, 2.0, 4.5];
    assert_eq!(m_leakage(&norms, Aggregation::Mean).unwrap(), 2.5);
    assert_eq!(m_leakage(&norms, Aggregation::Sum).unwrap(), 7.5);
    assert!(m_leakage(&[], Aggregation::Mean).unwrap_err().to_string().contains("at least one"));
    // ‖(3, 4)‖ on the null block; the signal block's values do not count.
    assert_eq!(null_norm(&[9.0, 9.0, 9.0, 9.0, 3.0, 0.0, -4.0, 0.0], &NULL).unwrap(), 5.0);
    assert!(null_norm(&[1.0; 7], &NULL).is_err(), "length mismatch");
    assert!(null_norm(&[f32::NAN; 8], &NULL).is_err(), "non-finite attribution");
}

#[test]
fn the_insertion_path_inserts_the_top_attributed_coordinates_first() {
    let x = [5.0f32, 6.0, 7.0, 8.0, 9.0, 10.0];
    let a = [0.1f32, 3.0, -2.0, 2.0, 0.0, 1.0];
    // Order by signed attribution: 1 (3), 3 (2), 5 (1), 0 (0.1), 4 (0), 2 (−2).
    let p = insertion_path(&x, &a, 3, Seed(0)).unwrap();
    assert_eq!(p.len(), 4 * 6);
    assert_eq!(&p[0..6], &[0.0; 6], "starts at the zero image");
    assert_eq!(&p[6..12], &[0.0, 6.0, 0.0, 8.0, 0.0, 0.0], "⌊1·6/3 + ½⌋ = 2 coordinates: 1 and 3");
    assert_eq!(&p[12..18], &[5.0, 6.0, 0.0, 8.0, 0.0, 10.0], "then 5 and 0");
    assert_eq!(&p[18..24], &x, "ends at the image");
    assert!(insertion_path(&x, &a, 0, Seed(0)).is_err());
    assert!(insertion_path(&x, &a[..5], 3, Seed(0)).is_err());
}

#[test]
fn the_insertion_auc_is_the_trapezoid_area_of_the_fractional_output() {
    // Constant at the full output: area 1. A straight ramp from 0 to the full output: ½. A step
    // reaching the full output after the first of 4 intervals: (½ + 3)/4.
    assert!((insertion_auc(&[0.8; 5], 0.8).unwrap() - 1.0).abs() < prec::EXACT);
    assert!((insertion_auc(&[0.0, 0.25, 0.5, 0.75, 1.0], 1.0).unwrap() - 0.5).abs() < prec::EXACT);
    assert!((insertion_auc(&[0.0, 0.6, 0.6, 0.6, 0.6], 0.6).unwrap() - 3.5 / 4.0).abs() < prec::EXACT);
    assert!(insertion_auc(&[1.0], 1.0).is_err(), "one point has no area");
    assert!(insertion_auc(&[1.0, 1.0], 0.0).is_err(), "no full output to divide by");
}

#[test]
fn swapping_halves_redraws_the_placement_of_each_drawn_image() {
    // 400 images of 1×4×2: the top half holds the image's index, the bottom half minus it.
    let n = 400;
    let x = Array2::from_shape_fn((n, 8), |(i, j)| if j < 4 { i as f32 } else { -(i as f32) });
    let y = vec![0usize; n];
    let ex = Examples::new(x.view(), &y, Some([1, 4, 2])).unwrap();
    let idx: Vec<usize> = (0..n).collect();
    let rows = ex.rows(&idx, Augment::SwapHalves, Some(Seed(3))).unwrap();
    let mut swapped = 0;
    for (i, r) in rows.chunks(8).enumerate() {
        let v = i as f32;
        if r[..4].iter().all(|&t| t == v) && r[4..].iter().all(|&t| t == -v) {
            continue;
        }
        assert!(r[..4].iter().all(|&t| t == -v) && r[4..].iter().all(|&t| t == v), "row {i} is neither placement: {r:?}");
        swapped += 1;
    }
    // Binomial(400, ½): mean 200, sd 10; ±5 sd.
    assert!((150..=250).contains(&swapped), "{swapped} of {n} swapped");
    assert_eq!(ex.rows(&idx, Augment::SwapHalves, Some(Seed(3))).unwrap(), rows, "same seed, same draws");
    assert_ne!(ex.rows(&idx, Augment::SwapHalves, Some(Seed(4))).unwrap(), rows, "another seed, other draws");
    assert_eq!(ex.rows(&idx, Augment::SwapHalves, None).unwrap(), x.iter().copied().collect::<Vec<_>>(), "no seed: no augmentation");
    let odd = Array2::<f32>::zeros((2, 6));
    let e = Examples::new(odd.view(), &y[..2], Some([1, 3, 2])).unwrap();
    assert!(e.rows(&[0, 1], Augment::SwapHalves, Some(Seed(0))).unwrap_err().to_string().contains("even height"));
}

/// AUROC by enumerating all pairs: the independent reference of the rank-sum formula.
fn auroc_pairs(inside: &[f64], outside: &[f64]) -> f64 {
    let mut s = 0.0;
    for a in inside {
        for b in outside {
            s += if a > b { 1.0 } else if a == b { 0.5 } else { 0.0 };
        }
    }
    s / (inside.len() * outside.len()) as f64
}

#[test]
fn auroc_equals_the_pairwise_count_with_ties_as_halves() {
    use inputgrad::metric::ood::auroc;
    assert_eq!(auroc(&[3.0, 4.0], &[1.0, 2.0]).unwrap(), 1.0, "perfect separation");
    assert_eq!(auroc(&[1.0, 2.0], &[3.0, 4.0]).unwrap(), 0.0, "reversed: the flipped orientation scores 1");
    assert_eq!(auroc(&[1.0; 3], &[1.0; 5]).unwrap(), 0.5, "all tied");
    // Seeded draws with many ties (values rounded to a coarse grid).
    let mut rng = Seed(9).rng();
    use rand::Rng as _;
    for (m, n) in [(7, 5), (40, 33), (1, 9)] {
        let a: Vec<f64> = (0..m).map(|_| (rng.random::<f64>() * 6.0).round() / 2.0).collect();
        let b: Vec<f64> = (0..n).map(|_| (rng.random::<f64>() * 5.0).round() / 2.0).collect();
        let (got, want) = (auroc(&a, &b).unwrap(), auroc_pairs(&a, &b));
        assert!((got - want).abs() < prec::EXACT, "{m}×{n}: {got} vs {want}");
    }
    assert!(auroc(&[], &[1.0]).is_err());
    assert!(auroc(&[f64::NAN], &[1.0]).is_err());
}

//! Seed 004's map similarities: SSIM against scikit-image's `structural_similarity` through the
//! committed fixture of tests/support/similarity_fixture.py, cosine and max-|·| normalisation
//! against known answers.

use inputgrad::metric::similarity::{cosine, max_abs_normalise, ssim};
use inputgrad::prec;

#[derive(serde::Deserialize)]
struct Case {
    shape: [usize; 3],
    kind: String,
    data_range: f64,
    a: Vec<f64>,
    b: Vec<f64>,
    ssim: f64,
}

#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/similarity/ssim.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

/// Both sides are f64 sums of ~11² products of O(1) numbers in different orders (scipy's
/// separable filter vs ours), so they agree to rounding: prec::EXACT.
#[test]
fn ssim_matches_scikit_image() {
    let f = fixture();
    assert_eq!(f.cases.len(), 4);
    for c in &f.cases {
        let ours = ssim(&c.a, &c.b, c.shape, c.data_range).expect("ssim");
        assert!((ours - c.ssim).abs() < prec::EXACT, "{} {:?}: ours {ours} vs scikit-image {}", c.kind, c.shape, c.ssim);
        let back = ssim(&c.b, &c.a, c.shape, c.data_range).expect("ssim");
        assert!((back - ours).abs() < prec::EXACT, "SSIM is symmetric");
        let same = ssim(&c.a, &c.a, c.shape, c.data_range).expect("ssim");
        assert!((same - 1.0).abs() < prec::EXACT, "SSIM(x, x) = 1, got {same}");
    }
}

#[test]
fn ssim_refuses_bad_input() {
    assert!(ssim(&[0.0; 100], &[0.0; 100], [1, 10, 10], 2.0).is_err(), "smaller than the window");
    assert!(ssim(&[0.0; 121], &[0.0; 120], [1, 11, 11], 2.0).is_err(), "length mismatch");
    assert!(ssim(&[0.0; 121], &[0.0; 121], [1, 11, 11], 0.0).is_err(), "data range 0");
}

#[test]
fn cosine_and_normalisation_known_answers() {
    assert!((cosine(&[1.0, 0.0], &[1.0, 1.0]).unwrap() - std::f64::consts::FRAC_1_SQRT_2).abs() < prec::EXACT);
    assert!((cosine(&[1.0, 2.0, 3.0], &[-2.0, -4.0, -6.0]).unwrap() + 1.0).abs() < prec::EXACT);
    assert!(cosine(&[0.0, 0.0], &[1.0, 1.0]).is_err());
    assert!(cosine(&[1.0], &[1.0, 1.0]).is_err());
    assert_eq!(max_abs_normalise(&[2.0, -4.0, 1.0]), vec![0.5, -1.0, 0.25]);
    assert_eq!(max_abs_normalise(&[0.0, 0.0]), vec![0.0, 0.0]);
}

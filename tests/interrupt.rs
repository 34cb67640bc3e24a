//! Long phases stop cleanly on an interrupt (issue: Ctrl-C during the final robust evaluation used
//! to be swallowed). The interrupt flag is process-wide, so this file is its own test binary and
//! holds one test.

use burn::backend::{Autodiff, NdArray};
use inputgrad::metric::robustness::robust_accuracy;
use inputgrad::model::{self, InputShape, ModelSpec};
use inputgrad::train::{trainer, Attack, Norm, ThreatModel};
use inputgrad::{Error, Seed};
use ndarray::Array2;

type B = Autodiff<NdArray<f32>>;

/// Before the interrupt the evaluation returns accuracies; after it, the same call returns
/// `Error::Interrupted` saying how far it got, never a partial accuracy.
#[test]
fn robust_evaluation_stops_on_an_interrupt() {
    let dev = Default::default();
    let net = model::build::<B>(&ModelSpec::Linear, InputShape::Flat(6), 3, Seed(1), &dev).unwrap();
    let x = Array2::from_shape_fn((20, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0);
    let y: Vec<usize> = (0..20).map(|i| i % 3).collect();
    let threat = ThreatModel::new(Norm::Linf, 0.1, Some((0.0, 1.0))).unwrap();
    let attack = Attack::pgd20(0.1);
    let (clean, robust) = robust_accuracy::<B, _>(&net, x.view(), &y, &threat, &attack, 8, Seed(2), &dev).unwrap();
    assert!((0.0..=1.0).contains(&clean) && robust <= clean, "{clean} {robust}");
    trainer::request_interrupt();
    assert!(trainer::interrupted());
    let err = robust_accuracy::<B, _>(&net, x.view(), &y, &threat, &attack, 8, Seed(2), &dev).unwrap_err();
    assert!(matches!(&err, Error::Interrupted { what } if what.contains("robust evaluation") && what.contains("0 of 20")), "{err}");
}

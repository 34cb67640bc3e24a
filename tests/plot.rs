//! Line plots render with the bundled font on any machine, and bad input is an error.

use inputgrad::plot::curves::{line_plot_png, LinePlot, Mark, Series};

#[test]
fn line_plot_renders_png_with_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.png");
    let plot = LinePlot { bands: Vec::new(),
        title: "ℓ∞ margin".into(),
        x_label: "ε".into(),
        y_label: "margin".into(),
        series: vec![
            Series { name: "a".into(), points: (0..20).map(|k| (k as f64, (k as f64).sqrt())).collect(), mark: Mark::Line },
            Series { name: "b".into(), points: vec![(3.0, 1.0), (7.0, 2.0)], mark: Mark::Points },
        ],
    };
    line_plot_png(&path, &plot, (400, 300)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    assert!(bytes.len() > 2000, "suspiciously small PNG: {} bytes", bytes.len());
}

#[test]
fn empty_plot_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let plot = LinePlot { bands: Vec::new(), title: String::new(), x_label: String::new(), y_label: String::new(), series: vec![Series { name: "nan".into(), points: vec![(f64::NAN, 1.0)], mark: Mark::Line }] };
    let err = line_plot_png(&dir.path().join("e.png"), &plot, (100, 100)).unwrap_err().to_string();
    assert!(err.contains("series"), "{err}");
}

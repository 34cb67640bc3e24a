//! Line plots render with the bundled font on any machine, and bad input is an error.

use inputgrad::plot::curves::{line_plot_bytes, line_plot_png, Legend, LinePlot, Mark, Series};

fn sample_plot(title: &str) -> LinePlot {
    LinePlot {
        bands: Vec::new(),
        title: title.into(),
        x_label: "ε".into(),
        y_label: "margin".into(),
        series: vec![
            Series { name: "alpha".into(), points: (0..20).map(|k| (k as f64, (k as f64).sqrt())).collect(), mark: Mark::Line },
            Series { name: "beta".into(), points: vec![(3.0, 1.0), (7.0, 2.0)], mark: Mark::Points },
        ],
    }
}

#[test]
fn line_plot_renders_png_with_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.png");
    line_plot_png(&path, &sample_plot("ℓ∞ margin"), (400, 300)).unwrap();
    let png = image::open(&path).unwrap();
    assert_eq!((png.width(), png.height()), (400, 300));
    // The title, axis labels and legend entries are drawn as text (the SVG rendering names them),
    // and the title reaches the bitmap: another title gives other pixels.
    let (bytes, svg) = line_plot_bytes(&sample_plot("ℓ∞ margin"), (400, 300), Legend::UpperRight).unwrap();
    // plotters writes each text element's content on its own line.
    for text in ["ℓ∞ margin", "ε", "margin", "alpha", "beta"] {
        assert!(svg.lines().any(|l| l.trim() == text), "the SVG has no text element `{text}`");
    }
    let (other, _) = line_plot_bytes(&sample_plot("another title"), (400, 300), Legend::UpperRight).unwrap();
    let pixels = |b: &[u8]| image::load_from_memory(b).unwrap().to_rgb8().into_raw();
    assert_ne!(pixels(&bytes), pixels(&other), "the title is not in the bitmap");
}

#[test]
fn empty_plot_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut plot = sample_plot("empty");
    plot.series.clear();
    let err = line_plot_png(&dir.path().join("e.png"), &plot, (100, 100)).unwrap_err().to_string();
    assert!(err.contains("nothing to plot"), "{err}");
    plot.series.push(Series { name: "no points".into(), points: Vec::new(), mark: Mark::Line });
    assert!(line_plot_bytes(&plot, (100, 100), Legend::UpperRight).unwrap_err().to_string().contains("nothing to plot"));
}

#[test]
fn a_plot_of_only_non_finite_points_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let plot = LinePlot { bands: Vec::new(), title: String::new(), x_label: String::new(), y_label: String::new(), series: vec![Series { name: "nan".into(), points: vec![(f64::NAN, 1.0)], mark: Mark::Line }] };
    let err = line_plot_png(&dir.path().join("e.png"), &plot, (100, 100)).unwrap_err().to_string();
    assert!(err.contains("series"), "{err}");
}

//! SVHN cropped digits, format 2 (Netzer et al. 2011, <http://ufldl.stanford.edu/housenumbers/>):
//! `train_32x32.mat`, `test_32x32.mat` (and `extra_32x32.mat`), MATLAB v5 files with `X`, a uint8
//! array 32×32×3×N (MATLAB column-major: row fastest, then column, channel, image) and `y`, N×1
//! labels 1..=10 where **10 means the digit 0** (the data set page: "'0' has label 10").

use std::path::Path;

use crate::data::mat::{parse_mat, MatArray, MatData};
use crate::data::{format_err, read_file, ImageDataset, Normalization, Provenance};
use crate::error::{Error, Result};

/// Side of an SVHN image (format 2 is 32×32 RGB).
pub const SIDE: usize = 32;
/// The label SVHN uses for the digit 0 (data set page, "Format 2").
const LABEL_OF_ZERO: f64 = 10.0;

/// Raw SVHN: labels 0..=9 (10 already mapped to 0) and N×3×32×32 bytes in C order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSvhn {
    /// Digit labels.
    pub labels: Vec<u8>,
    /// N·3·32·32 bytes, image, channel, row, column.
    pub pixels: Vec<u8>,
}

fn find<'a>(arrays: &'a [MatArray], name: &str, path: &Path) -> Result<&'a MatArray> {
    arrays
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| format_err(path, format!("no numeric variable `{name}` (found: {:?})", arrays.iter().map(|a| a.name.as_str()).collect::<Vec<_>>())))
}

/// Parses an SVHN `*_32x32.mat` file.
pub fn parse(bytes: &[u8], path: &Path) -> Result<RawSvhn> {
    let arrays = parse_mat(bytes, path)?;
    let x = find(&arrays, "X", path)?;
    let y = find(&arrays, "y", path)?;
    if x.dims.len() != 4 || x.dims[0] != SIDE || x.dims[1] != SIDE || x.dims[2] != 3 {
        return Err(format_err(path, format!("`X` must be 32×32×3×N, is {:?}", x.dims)));
    }
    let n = x.dims[3];
    let MatData::U8(xb) = &x.data else {
        return Err(format_err(path, "`X` must be stored as uint8"));
    };
    if y.data.len() != n || y.dims.iter().filter(|&&d| d != 1).count() > 1 {
        return Err(format_err(path, format!("`y` must hold {n} labels (N×1), has dimensions {:?}", y.dims)));
    }
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let v = y.data.get(i).unwrap_or(f64::NAN);
        if !(v.fract() == 0.0 && (1.0..=LABEL_OF_ZERO).contains(&v)) {
            return Err(format_err(path, format!("label {v} at index {i} is not in 1..=10")));
        }
        labels.push(if v == LABEL_OF_ZERO { 0 } else { v as u8 });
    }
    // Column-major X[r, c, ch, i] at r + 32c + 1024ch + 3072i → C order [i, ch, r, c].
    let plane = SIDE * SIDE;
    let mut pixels = vec![0u8; xb.len()];
    for (src, dst) in xb.chunks_exact(3 * plane).zip(pixels.chunks_exact_mut(3 * plane)) {
        for ch in 0..3 {
            let s = &src[ch * plane..(ch + 1) * plane];
            let d = &mut dst[ch * plane..(ch + 1) * plane];
            for c in 0..SIDE {
                for r in 0..SIDE {
                    d[r * SIDE + c] = s[c * SIDE + r];
                }
            }
        }
    }
    Ok(RawSvhn { labels, pixels })
}

/// Loads `<dir>/<split>_32x32.mat` (`split` is `train`, `test` or `extra`).
pub fn load(dir: &Path, split: &str, norm: &Normalization) -> Result<ImageDataset> {
    let p = dir.join(format!("{split}_32x32.mat"));
    if !p.is_file() {
        return Err(Error::MissingData {
            name: "svhn".into(),
            hint: format!("{} is missing; `inputgrad data fetch svhn` downloads it", p.display()),
        });
    }
    let bytes = read_file(&p)?;
    let raw = parse(&bytes, &p)?;
    let n = raw.labels.len();
    let ds = ImageDataset {
        name: format!("svhn-{split}"),
        x: norm.apply(&raw.pixels, (n, 3, SIDE, SIDE))?,
        labels: raw.labels.iter().map(|&l| l as usize).collect(),
        num_classes: 10,
        signal_mask: None,
        normalization: Some(norm.clone()),
        provenance: vec![Provenance::of(&p, &bytes)],
        recipe: "svhn mat v5; label 10 -> 0".into(),
    };
    ds.validate()?;
    Ok(ds)
}

//! Bytes on disk → arrays. No training here.
//!
//! Every loader returns a [`Dataset`]: the inputs as an `ndarray` array (N×C×H×W images or N×d
//! tables), labels, an optional ground-truth signal mask, and the [`Provenance`] (path and md5) of
//! every file it was read from. Pixel range and normalisation are a [`Normalization`] parameter,
//! never literals.
//!
//! The parsers are pure functions of `&[u8]` plus a path (for error messages), so they can be fuzzed
//! (tests/data_fuzz.rs); the few functions that touch the file system read a whole file and hand its
//! bytes to a parser. A parser never allocates more than its input justifies: every size read from a
//! header is checked against the number of bytes actually present before anything is allocated.
//!
//! * [`idx`] — MNIST / Fashion-MNIST IDX files, gzipped or raw.
//! * [`cifar`] — CIFAR-10 / CIFAR-100 binary batches.
//! * [`svhn`] and [`mat`] — SVHN `*_32x32.mat` through a minimal MATLAB v5 reader.
//! * [`image_folder`] — ImageNet-10 style class folders of JPEG/PNG files.
//! * [`tabular`] — UCI Mushroom (one-hot) and Spambase, FEAT-TRANS, seeded 70/30 split.
//! * [`block_mnist`] — the BlockMNIST family and MNIST with a letter distractor, with signal masks.
//! * [`store`] — where data live, what is known about them (md5), `check` and `fetch`.

pub mod block_mnist;
pub mod catalog;
pub mod cifar;
pub mod idx;
pub mod image_folder;
pub mod mat;
pub mod store;
pub mod svhn;
pub mod tabular;
pub mod tar;

use std::path::{Path, PathBuf};

use ndarray::{Array, Array2, Array4, Axis, Dimension, RemoveAxis};

use crate::error::{Error, Result};

/// Where a data set's bytes came from: one file and the md5 of its bytes as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The file as given to the loader.
    pub path: PathBuf,
    /// Lower-case hex md5 of the file's bytes (before decompression).
    pub md5: String,
}

impl Provenance {
    /// The provenance of `bytes` read from `path`.
    pub fn of(path: &Path, bytes: &[u8]) -> Self {
        Provenance { path: path.to_path_buf(), md5: crate::checksum::md5_hex(bytes) }
    }
}

/// How raw 8-bit pixels become floats: first linearly onto `range` (0 ↦ lo, 255 ↦ hi), then, if
/// `mean_std` is set, per channel `(v − mean[c]) / std[c]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normalization {
    /// Values of the pixel bytes 0 and 255.
    pub range: (f32, f32),
    /// Optional per-channel standardisation applied after the range map: (means, stds), one entry
    /// per channel (or one entry for all channels).
    pub mean_std: Option<(Vec<f32>, Vec<f32>)>,
}

impl Default for Normalization {
    /// Pixels in [0, 1], no standardisation: the convention of all five seed papers' ε budgets
    /// (e.g. seed 001 J.1 ε ∈ [0, 0.3] on MNIST in [0, 1]).
    fn default() -> Self {
        Normalization { range: (0.0, 1.0), mean_std: None }
    }
}

impl Normalization {
    /// A range map without standardisation.
    pub fn range(lo: f32, hi: f32) -> Self {
        Normalization { range: (lo, hi), mean_std: None }
    }

    /// Checks a finite range with lo ≠ hi and positive finite stds whose count is 1 or `channels`.
    pub fn validate(&self, channels: usize) -> Result<()> {
        let (lo, hi) = self.range;
        if !(lo.is_finite() && hi.is_finite()) || lo == hi {
            return Err(Error::param("normalization.range", format!("need finite lo != hi, got ({lo}, {hi})")));
        }
        if let Some((m, s)) = &self.mean_std {
            if m.len() != s.len() || !(m.len() == 1 || m.len() == channels) {
                return Err(Error::param(
                    "normalization.mean_std",
                    format!("need 1 or {channels} means and as many stds, got {} and {}", m.len(), s.len()),
                ));
            }
            if m.iter().any(|v| !v.is_finite()) || s.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(Error::param("normalization.mean_std", "means must be finite and stds finite and > 0"));
            }
        }
        Ok(())
    }

    /// The byte → float map of channel `c`.
    pub fn pixel_map(&self, c: usize) -> PixelMap {
        let (lo, hi) = self.range;
        let (m, s) = match &self.mean_std {
            Some((m, s)) if !m.is_empty() && !s.is_empty() => (m[c.min(m.len() - 1)], s[c.min(s.len() - 1)]),
            _ => (0.0, 1.0),
        };
        PixelMap { lo, span: hi - lo, mean: m, std: s }
    }

    /// The 256-entry lookup table byte → float for channel `c`.
    pub fn table(&self, c: usize) -> [f32; 256] {
        let map = self.pixel_map(c);
        let mut t = [0f32; 256];
        for (b, v) in t.iter_mut().enumerate() {
            *v = map.map(b as u8);
        }
        t
    }

    /// Maps a float back to the [0, 1] display range (inverse of the range map and
    /// standardisation for channel `c`).
    pub fn to_unit(&self, c: usize, v: f32) -> f32 {
        let (lo, hi) = self.range;
        let x = match &self.mean_std {
            Some((m, s)) => v * s[c.min(s.len() - 1)] + m[c.min(m.len() - 1)],
            None => v,
        };
        (x - lo) / (hi - lo)
    }

    /// Converts N×C×H×W bytes to floats (C from the shape), validating first.
    pub fn apply(&self, bytes: &[u8], shape: (usize, usize, usize, usize)) -> Result<Array4<f32>> {
        let (n, c, h, w) = shape;
        self.validate(c)?;
        if bytes.len() != n * c * h * w {
            return Err(Error::Shape(format!("{} bytes for an image array of shape {:?}", bytes.len(), shape)));
        }
        let maps: Vec<PixelMap> = (0..c).map(|k| self.pixel_map(k)).collect();
        let plane = h * w;
        let mut out = vec![0f32; bytes.len()];
        for (i, (src, dst)) in bytes.chunks_exact(plane.max(1)).zip(out.chunks_exact_mut(plane.max(1))).enumerate() {
            maps[i % c.max(1)].map_slice(src, dst);
        }
        Array4::from_shape_vec(shape, out).map_err(|e| Error::Shape(e.to_string()))
    }
}

/// The affine byte → float map of one channel: ((lo + (hi − lo)·b/255) − mean) / std, written so
/// that the default (range (0, 1), no standardisation) gives exactly `b as f32 / 255`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelMap {
    lo: f32,
    span: f32,
    mean: f32,
    std: f32,
}

impl PixelMap {
    /// The float of byte `b`.
    #[inline]
    pub fn map(&self, b: u8) -> f32 {
        ((self.lo + self.span * (b as f32 / 255.0)) - self.mean) / self.std
    }

    /// Maps `src` into `dst` (same length; a loop the compiler vectorises).
    #[inline]
    pub fn map_slice(&self, src: &[u8], dst: &mut [f32]) {
        for (o, &b) in dst.iter_mut().zip(src) {
            *o = self.map(b);
        }
    }
}

/// An in-memory data set: inputs `x` with the sample index first, labels in `0..num_classes`,
/// an optional ground-truth signal mask of the same shape as `x` (true = signal coordinate,
/// false = null block / distractor), and where it came from.
///
/// # Shapes
/// `x`: N×C×H×W for images ([`ImageDataset`]), N×d for tables ([`TableDataset`]); `labels.len() == N`;
/// `signal_mask`, when present, has exactly the shape of `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<D: Dimension> {
    /// Short name, e.g. `mnist-train` or `blockmnist-top[0,1]-test`.
    pub name: String,
    /// Inputs, sample index first.
    pub x: Array<f32, D>,
    /// Class index of each sample.
    pub labels: Vec<usize>,
    /// Number of classes (labels are `< num_classes`).
    pub num_classes: usize,
    /// Ground-truth signal coordinates, where the data set defines them.
    pub signal_mask: Option<Array<bool, D>>,
    /// How pixel bytes were mapped to floats; `None` for tables, whose values are the file's (see
    /// [`tabular`] for their translation).
    pub normalization: Option<Normalization>,
    /// The files it was read from, with their md5.
    pub provenance: Vec<Provenance>,
    /// How it was made beyond reading the files (builder, seed, split), for meta.json.
    pub recipe: String,
}

/// Images, N×C×H×W.
pub type ImageDataset = Dataset<ndarray::Ix4>;
/// Tables, N×d.
pub type TableDataset = Dataset<ndarray::Ix2>;

impl<D: Dimension + RemoveAxis> Dataset<D> {
    /// Checks the invariants: label count, label range, mask shape.
    pub fn validate(&self) -> Result<()> {
        let n = self.x.shape().first().copied().unwrap_or(0);
        if self.labels.len() != n {
            return Err(Error::Shape(format!("{}: {} labels for {n} samples", self.name, self.labels.len())));
        }
        if let Some(bad) = self.labels.iter().find(|&&l| l >= self.num_classes) {
            return Err(Error::Shape(format!("{}: label {bad} >= num_classes {}", self.name, self.num_classes)));
        }
        if let Some(m) = &self.signal_mask {
            if m.shape() != self.x.shape() {
                return Err(Error::Shape(format!("{}: mask {:?} vs inputs {:?}", self.name, m.shape(), self.x.shape())));
            }
        }
        Ok(())
    }

    /// Number of samples N.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The samples at `idx` (in that order), with their labels and masks.
    pub fn select(&self, idx: &[usize], name: impl Into<String>) -> Result<Self> {
        if let Some(&bad) = idx.iter().find(|&&i| i >= self.len()) {
            return Err(Error::param("idx", format!("index {bad} out of range for {} samples", self.len())));
        }
        Ok(Dataset {
            name: name.into(),
            x: self.x.select(Axis(0), idx),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            num_classes: self.num_classes,
            signal_mask: self.signal_mask.as_ref().map(|m| m.select(Axis(0), idx)),
            normalization: self.normalization.clone(),
            provenance: self.provenance.clone(),
            recipe: self.recipe.clone(),
        })
    }

    /// The first `n` samples (all if fewer).
    pub fn head(&self, n: usize) -> Self {
        let idx: Vec<usize> = (0..n.min(self.len())).collect();
        // Indices are in range by construction.
        self.select(&idx, self.name.clone()).unwrap_or_else(|_| self.clone())
    }

    /// Number of samples of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.num_classes];
        for &l in &self.labels {
            if l < c.len() {
                c[l] += 1;
            }
        }
        c
    }
}

impl TableDataset {
    /// Number of features d.
    pub fn dim(&self) -> usize {
        self.x.ncols()
    }
}

impl ImageDataset {
    /// (C, H, W) of one image.
    pub fn image_shape(&self) -> (usize, usize, usize) {
        let s = self.x.shape();
        (s[1], s[2], s[3])
    }

    /// Flattens each image to a row: N×(C·H·W), for MLPs and tabular tools.
    pub fn flattened(&self) -> Array2<f32> {
        let n = self.len();
        let d = self.x.len() / n.max(1);
        let flat: Vec<f32> = self.x.iter().copied().collect();
        Array2::from_shape_vec((n, d), flat).unwrap_or_else(|_| Array2::zeros((n, d)))
    }
}

/// Reads a whole file, mapping failure to [`Error::Io`] with the path.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

/// Shorthand for a [`Error::Format`] on `path`.
pub(crate) fn format_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format { path: path.to_path_buf(), reason: reason.into() }
}

/// Deflate cannot compress by more than 1032:1 (zlib technical details, "Maximum compression
/// factor"), so a compressed stream of `n` bytes legitimately inflates to at most 1032·n bytes;
/// anything beyond is a corrupt or malicious stream and is refused instead of allocated.
const MAX_DEFLATE_RATIO: usize = 1032;

fn inflate_cap(compressed_len: usize) -> usize {
    compressed_len.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(1024)
}

fn read_capped(mut r: impl std::io::Read, cap: usize, path: &Path, what: &str) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    (&mut r)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| format_err(path, format!("corrupt {what} stream: {e}")))?;
    if out.len() > cap {
        return Err(format_err(path, format!("{what} stream inflates beyond {cap} bytes, more than deflate allows")));
    }
    Ok(out)
}

/// True when `bytes` start with the gzip magic 1f 8b (RFC 1952 §2.3.1).
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Decompresses a gzip member (all members, as `gzip -d` does).
pub(crate) fn gunzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    read_capped(flate2::read::MultiGzDecoder::new(bytes), inflate_cap(bytes.len()), path, "gzip")
}

/// Decompresses a zlib stream (RFC 1950), as in MAT v5 miCOMPRESSED elements.
pub(crate) fn inflate_zlib(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    read_capped(flate2::read::ZlibDecoder::new(bytes), inflate_cap(bytes.len()), path, "zlib")
}

/// Gunzips `bytes` if they are gzip, else borrows them.
pub(crate) fn maybe_gunzip<'a>(bytes: &'a [u8], path: &Path) -> Result<std::borrow::Cow<'a, [u8]>> {
    if is_gzip(bytes) {
        Ok(std::borrow::Cow::Owned(gunzip(bytes, path)?))
    } else {
        Ok(std::borrow::Cow::Borrowed(bytes))
    }
}

/// Train or test part of a data set with an official split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Split {
    /// The official training set.
    Train,
    /// The official test set.
    Test,
}

impl Split {
    /// `train` or `test`.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

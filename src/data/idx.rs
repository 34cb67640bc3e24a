//! MNIST and Fashion-MNIST in the IDX format (LeCun et al., <http://yann.lecun.com/exdb/mnist/>),
//! gzipped or raw.
//!
//! An IDX file is: two zero bytes, a type byte (0x08 = unsigned byte, the only type MNIST uses), the
//! number of dimensions, then one big-endian u32 per dimension, then the data in row-major order.
//! Images are `idx3` (N × 28 × 28, magic 0x00000803) and labels `idx1` (N, magic 0x00000801).

use std::path::{Path, PathBuf};

use crate::data::{format_err, maybe_gunzip, read_file, ImageDataset, Normalization, Provenance, Split};
use crate::error::{Error, Result};

/// IDX type byte for unsigned bytes (the IDX spec's 0x08).
const UBYTE: u8 = 0x08;
/// MNIST and Fashion-MNIST have 10 classes (labels 0..=9).
pub const NUM_CLASSES: usize = 10;

/// A parsed unsigned-byte IDX array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions as in the header.
    pub dims: Vec<usize>,
    /// The data, row-major, exactly the product of `dims` bytes.
    pub data: Vec<u8>,
}

/// Parses an unsigned-byte IDX array from raw or gzipped bytes. Checks the magic, the type, and
/// that the data are exactly as long as the header says (no allocation before that check).
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray> {
    parse_idx_of(bytes, path, None)
}

/// [`parse_idx`] that first checks the header declares `want` = (dimensions, what the file is)
/// — so a file of the wrong kind is named as such, not as a size mismatch of its misread header.
fn parse_idx_of(bytes: &[u8], path: &Path, want: Option<(usize, &str)>) -> Result<IdxArray> {
    let owned = maybe_gunzip(bytes, path)?;
    let raw: &[u8] = &owned;
    if raw.len() < 4 {
        return Err(format_err(path, format!("truncated: {} bytes, an IDX header needs at least 4", raw.len())));
    }
    if raw[0] != 0 || raw[1] != 0 {
        return Err(format_err(path, format!("wrong magic {:02x}{:02x}{:02x}{:02x}: IDX files start with two zero bytes", raw[0], raw[1], raw[2], raw[3])));
    }
    if raw[2] != UBYTE {
        return Err(format_err(path, format!("IDX data type 0x{:02x} is not unsigned byte (0x08)", raw[2])));
    }
    let nd = raw[3] as usize;
    if let Some((w, what)) = want.filter(|(w, _)| *w != nd) {
        return Err(format_err(path, format!("{what} has {w} dimension{} (magic 0x000008{w:02x}), this one declares {nd} (magic 0x000008{nd:02x})", if w == 1 { "" } else { "s" })));
    }
    if nd == 0 {
        return Err(format_err(path, "IDX header declares 0 dimensions"));
    }
    let header = 4 + 4 * nd;
    if raw.len() < header {
        return Err(format_err(path, format!("truncated header: {} dimensions need {header} bytes, file has {}", nd, raw.len())));
    }
    let dims: Vec<usize> = raw[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let body = raw.len() - header;
    match expected {
        Some(e) if e == body => {}
        Some(e) if e > body => {
            return Err(format_err(path, format!("truncated: header {dims:?} needs {e} data bytes, file has {body}")));
        }
        Some(e) => {
            return Err(format_err(path, format!("{} trailing bytes after the {e} data bytes of header {dims:?}", body - e)));
        }
        None => return Err(format_err(path, format!("header dimensions {dims:?} overflow"))),
    }
    let data = match owned {
        // Decompressed: reuse the buffer (drop the header in place) instead of copying the data.
        std::borrow::Cow::Owned(mut v) => {
            v.drain(..header);
            v
        }
        std::borrow::Cow::Borrowed(b) => b[header..].to_vec(),
    };
    Ok(IdxArray { dims, data })
}

/// Raw MNIST-style images: N × rows × cols bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawImages {
    /// Number of images.
    pub n: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// N·rows·cols bytes, image-major, row-major.
    pub pixels: Vec<u8>,
}

/// Parses an `idx3-ubyte` image file (magic 0x00000803).
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<RawImages> {
    let a = parse_idx_of(bytes, path, Some((3, "an image file")))?;
    if a.dims[1] == 0 || a.dims[2] == 0 {
        return Err(format_err(path, format!("empty image size {}×{}", a.dims[1], a.dims[2])));
    }
    Ok(RawImages { n: a.dims[0], rows: a.dims[1], cols: a.dims[2], pixels: a.data })
}

/// Parses an `idx1-ubyte` label file (magic 0x00000801) and checks every label is `< num_classes`.
pub fn parse_labels(bytes: &[u8], path: &Path, num_classes: usize) -> Result<Vec<u8>> {
    let a = parse_idx_of(bytes, path, Some((1, "a label file")))?;
    if let Some((i, &l)) = a.data.iter().enumerate().find(|(_, &l)| l as usize >= num_classes) {
        return Err(format_err(path, format!("label {l} at index {i} is out of range 0..{num_classes}")));
    }
    Ok(a.data)
}

/// Images and labels of one split, still as bytes, with provenance (used by BlockMNIST, which
/// builds its own arrays).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSplit {
    /// The images.
    pub images: RawImages,
    /// One label per image, `< 10`.
    pub labels: Vec<u8>,
    /// Image file and label file.
    pub provenance: Vec<Provenance>,
}

/// File stem of a split's images or labels: `train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, ….
pub fn file_stem(split: Split, images: bool) -> &'static str {
    match (split, images) {
        (Split::Train, true) => "train-images-idx3-ubyte",
        (Split::Train, false) => "train-labels-idx1-ubyte",
        (Split::Test, true) => "t10k-images-idx3-ubyte",
        (Split::Test, false) => "t10k-labels-idx1-ubyte",
    }
}

/// The file for `stem` in `dir`: `stem.gz` if present, else the raw `stem`.
pub fn locate(dir: &Path, stem: &str) -> Result<PathBuf> {
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let raw = dir.join(stem);
    if raw.is_file() {
        return Ok(raw);
    }
    if let Some(folder) = [&gz, &raw].into_iter().find(|p| p.is_dir()) {
        return Err(format_err(folder, "is a folder; the IDX file of this name (gzipped or raw) is expected here"));
    }
    Err(Error::MissingData {
        name: dir.display().to_string(),
        hint: format!("neither {} nor {} exists; `inputgrad data fetch mnist` (or fashion-mnist) downloads it", gz.display(), raw.display()),
    })
}

/// Parses an image file and a label file as one split and checks that the counts agree.
pub fn parse_split(images: &[u8], images_path: &Path, labels: &[u8], labels_path: &Path) -> Result<RawSplit> {
    let img = parse_images(images, images_path)?;
    let lab = parse_labels(labels, labels_path, NUM_CLASSES)?;
    if img.n != lab.len() {
        return Err(format_err(labels_path, format!("{} labels but {} has {} images", lab.len(), images_path.display(), img.n)));
    }
    let provenance = vec![Provenance::of(images_path, images), Provenance::of(labels_path, labels)];
    Ok(RawSplit { images: img, labels: lab, provenance })
}

/// Reads one split of MNIST or Fashion-MNIST from `dir` (e.g. `<data>/mnist`), as bytes.
pub fn read_raw(dir: &Path, split: Split) -> Result<RawSplit> {
    let ip = locate(dir, file_stem(split, true))?;
    let lp = locate(dir, file_stem(split, false))?;
    let ib = read_file(&ip)?;
    let lb = read_file(&lp)?;
    parse_split(&ib, &ip, &lb, &lp)
}

impl RawSplit {
    /// Converts to an N×1×rows×cols float data set under `norm`.
    pub fn to_dataset(&self, name: impl Into<String>, norm: &Normalization) -> Result<ImageDataset> {
        let im = &self.images;
        let x = norm.apply(&im.pixels, (im.n, 1, im.rows, im.cols))?;
        let ds = ImageDataset {
            name: name.into(),
            x,
            labels: self.labels.iter().map(|&l| l as usize).collect(),
            num_classes: NUM_CLASSES,
            signal_mask: None,
            normalization: Some(norm.clone()),
            provenance: self.provenance.clone(),
            recipe: "idx".into(),
        };
        ds.validate()?;
        Ok(ds)
    }
}

/// Loads one split of MNIST or Fashion-MNIST from `dir` as N×1×28×28 floats.
pub fn load(dir: &Path, split: Split, norm: &Normalization) -> Result<ImageDataset> {
    let raw = read_raw(dir, split)?;
    let stem = dir.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "idx".into());
    raw.to_dataset(format!("{stem}-{}", split.as_str()), norm)
}

/// Encodes bytes as an IDX file (for tests and tools): header for `dims`, then `data`.
pub fn encode_idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, UBYTE, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

//! CIFAR-10 and CIFAR-100 "binary version" batches (Krizhevsky 2009,
//! <https://www.cs.toronto.edu/~kriz/cifar.html>).
//!
//! A batch is a plain concatenation of records. CIFAR-10: 1 label byte (0..=9) then 3072 pixel
//! bytes (1024 red, 1024 green, 1024 blue, each 32×32 row-major). CIFAR-100: 1 coarse label
//! (0..=19), 1 fine label (0..=99), then the same 3072 bytes. Files: `cifar-10-batches-bin/
//! data_batch_{1..5}.bin` + `test_batch.bin`; `cifar-100-binary/train.bin` + `test.bin`.

use std::path::{Path, PathBuf};

use crate::data::{format_err, read_file, ImageDataset, Normalization, Provenance, Split};
use crate::error::{Error, Result};

/// Side of a CIFAR image (the CIFAR page: 32×32 colour images).
pub const SIDE: usize = 32;
/// Pixel bytes per record: 3 channels × 32 × 32.
pub const PIXELS: usize = 3 * SIDE * SIDE;

/// Which CIFAR and, for CIFAR-100, which label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// CIFAR-10: 10 classes, 1 label byte.
    Cifar10,
    /// CIFAR-100 with the 100 fine labels.
    Cifar100Fine,
    /// CIFAR-100 with the 20 coarse (superclass) labels.
    Cifar100Coarse,
}

impl Variant {
    /// Label bytes before the pixels of each record.
    pub fn label_bytes(self) -> usize {
        match self {
            Variant::Cifar10 => 1,
            _ => 2,
        }
    }
    /// Bytes per record.
    pub fn record(self) -> usize {
        self.label_bytes() + PIXELS
    }
    /// Number of classes of the chosen label.
    pub fn num_classes(self) -> usize {
        match self {
            Variant::Cifar10 => 10,
            Variant::Cifar100Fine => 100,
            Variant::Cifar100Coarse => 20,
        }
    }
    /// The batch files of a split, relative to the data set's folder (`<data>/cifar10` or
    /// `<data>/cifar100`).
    pub fn files(self, split: Split) -> Vec<PathBuf> {
        match (self, split) {
            (Variant::Cifar10, Split::Train) => {
                (1..=5).map(|i| PathBuf::from(format!("cifar-10-batches-bin/data_batch_{i}.bin"))).collect()
            }
            (Variant::Cifar10, Split::Test) => vec![PathBuf::from("cifar-10-batches-bin/test_batch.bin")],
            (_, Split::Train) => vec![PathBuf::from("cifar-100-binary/train.bin")],
            (_, Split::Test) => vec![PathBuf::from("cifar-100-binary/test.bin")],
        }
    }
}

/// One parsed batch: labels and N×3×32×32 pixel bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBatch {
    /// Labels of the chosen kind.
    pub labels: Vec<u8>,
    /// N·3072 bytes, record order, channel-major within a record.
    pub pixels: Vec<u8>,
}

/// Parses one binary batch. The length must be a whole number of records, and every label in
/// range.
pub fn parse_batch(bytes: &[u8], path: &Path, variant: Variant) -> Result<RawBatch> {
    let rec = variant.record();
    if bytes.is_empty() {
        return Err(format_err(path, "empty file"));
    }
    if !bytes.len().is_multiple_of(rec) {
        return Err(format_err(
            path,
            format!("{} bytes is not a whole number of {rec}-byte records ({} full records and {} bytes left: truncated or not a {variant:?} batch)", bytes.len(), bytes.len() / rec, bytes.len() % rec),
        ));
    }
    let n = bytes.len() / rec;
    let mut labels = Vec::with_capacity(n);
    let mut pixels = Vec::with_capacity(n * PIXELS);
    for (i, r) in bytes.chunks_exact(rec).enumerate() {
        if variant == Variant::Cifar10 {
            if r[0] >= 10 {
                return Err(format_err(path, format!("record {i}: label {} out of range 0..10", r[0])));
            }
        } else {
            if r[0] >= 20 {
                return Err(format_err(path, format!("record {i}: coarse label {} out of range 0..20", r[0])));
            }
            if r[1] >= 100 {
                return Err(format_err(path, format!("record {i}: fine label {} out of range 0..100", r[1])));
            }
        }
        let l = match variant {
            Variant::Cifar10 | Variant::Cifar100Coarse => r[0],
            Variant::Cifar100Fine => r[1],
        };
        labels.push(l);
        pixels.extend_from_slice(&r[variant.label_bytes()..]);
    }
    Ok(RawBatch { labels, pixels })
}

/// Loads a split from the data set's folder: `<data>/cifar10` or `<data>/cifar100`.
pub fn load(dir: &Path, variant: Variant, split: Split, norm: &Normalization) -> Result<ImageDataset> {
    let mut labels = Vec::new();
    let mut pixels = Vec::new();
    let mut provenance = Vec::new();
    for rel in variant.files(split) {
        let p = dir.join(&rel);
        if !p.is_file() {
            return Err(Error::MissingData {
                name: format!("{variant:?}"),
                hint: format!("{} is missing; `inputgrad data fetch {}` downloads and unpacks the binary version", p.display(), if variant == Variant::Cifar10 { "cifar10" } else { "cifar100" }),
            });
        }
        let bytes = read_file(&p)?;
        let b = parse_batch(&bytes, &p, variant)?;
        provenance.push(Provenance::of(&p, &bytes));
        labels.extend(b.labels);
        pixels.extend(b.pixels);
    }
    from_raw(&labels, &pixels, variant, split, norm, provenance)
}

/// Builds the data set from parsed records.
pub fn from_raw(labels: &[u8], pixels: &[u8], variant: Variant, split: Split, norm: &Normalization, provenance: Vec<Provenance>) -> Result<ImageDataset> {
    let n = labels.len();
    let x = norm.apply(pixels, (n, 3, SIDE, SIDE))?;
    let ds = ImageDataset {
        name: format!("{}-{}", match variant {
            Variant::Cifar10 => "cifar10",
            Variant::Cifar100Fine => "cifar100-fine",
            Variant::Cifar100Coarse => "cifar100-coarse",
        }, split.as_str()),
        x,
        labels: labels.iter().map(|&l| l as usize).collect(),
        num_classes: variant.num_classes(),
        signal_mask: None,
        normalization: Some(norm.clone()),
        provenance,
        recipe: "cifar binary".into(),
    };
    ds.validate()?;
    Ok(ds)
}

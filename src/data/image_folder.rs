//! ImageFolder trees as used for ImageNet-10 (seed 000 §4: 10 super-classes of ImageNet from
//! MadryLab's `robustness` library): `<root>/<class>/<image>.{jpg,jpeg,png}`, classes numbered in
//! sorted folder-name order (the torchvision `ImageFolder` convention).
//!
//! Each image is decoded to RGB, resized so that its shorter side is `resize_shorter` (bilinear,
//! aspect ratio kept), then centre-cropped to `crop`×`crop` — the usual ImageNet evaluation
//! transform (resize 256, centre crop 224), with both sizes as parameters.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::imageops::FilterType;

use crate::data::{format_err, read_file, ImageDataset, Normalization, Provenance};
use crate::error::{Error, Result};

/// Resize and crop sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderOptions {
    /// The shorter side after resizing.
    pub resize_shorter: u32,
    /// Side of the centre crop (≤ `resize_shorter`).
    pub crop: u32,
}

impl FolderOptions {
    /// ImageNet's evaluation transform: resize to 256, centre crop 224 (He et al. 2016 §3.4).
    pub const IMAGENET: FolderOptions = FolderOptions { resize_shorter: 256, crop: 224 };

    /// ImageNet's transform scaled to a `side`-pixel crop: resize the shorter side to
    /// side · 256/224, then centre-crop `side`.
    pub fn scaled(side: usize) -> Self {
        FolderOptions { resize_shorter: (side * 256 / 224) as u32, crop: side as u32 }
    }

    fn validate(&self) -> Result<()> {
        if self.crop == 0 || self.crop > self.resize_shorter {
            return Err(Error::param("crop", format!("need 0 < crop <= resize_shorter, got crop {} and resize {}", self.crop, self.resize_shorter)));
        }
        Ok(())
    }
}

/// Decoder limits: a header may not make the decoder allocate more than this, whatever the file
/// length (a progressive JPEG's end-of-band runs compress a flat image by more than any fixed
/// ratio, so a bound proportional to the file length would refuse valid files). 256 MiB holds a
/// 64-Mpx RGBA image; ImageNet photos are far smaller (typically about 500×375).
const MAX_DECODE_ALLOC: u64 = 256 << 20;
/// Largest accepted width or height in pixels (same reasoning as [`MAX_DECODE_ALLOC`]).
const MAX_SIDE: u32 = 16_384;

/// Longest accepted long/short side ratio: bounds the resized buffer (resize_shorter² × 64 × 3
/// bytes) whatever the header says; photographs are far below it.
const MAX_ASPECT: u32 = 64;

/// Decodes one JPEG/PNG file to 3×crop×crop bytes (channel, row, column).
pub fn decode(bytes: &[u8], path: &Path, opts: FolderOptions) -> Result<Vec<u8>> {
    opts.validate()?;
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format_err(path, format!("cannot read image: {e}")))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| format_err(path, format!("unreadable image: {e}")))?;
    let rgb = img.to_rgb8();
    let (w, h) = rgb.dimensions();
    if w == 0 || h == 0 {
        return Err(format_err(path, "image has no pixels"));
    }
    let (short, long) = (w.min(h), w.max(h));
    if long / short > MAX_ASPECT {
        return Err(format_err(path, format!("aspect ratio {w}×{h} beyond 1:{MAX_ASPECT}: not a photograph")));
    }
    let s = opts.resize_shorter as f64 / short as f64;
    let scaled_long = ((long as f64 * s).round() as u32).max(opts.resize_shorter);
    let (nw, nh) = if w <= h { (opts.resize_shorter, scaled_long) } else { (scaled_long, opts.resize_shorter) };
    let resized = image::imageops::resize(&rgb, nw, nh, FilterType::Triangle);
    let (x0, y0) = ((nw - opts.crop) / 2, (nh - opts.crop) / 2);
    let c = opts.crop as usize;
    let mut out = vec![0u8; 3 * c * c];
    for yy in 0..c {
        for xx in 0..c {
            let p = resized.get_pixel(x0 + xx as u32, y0 + yy as u32);
            for ch in 0..3 {
                out[ch * c * c + yy * c + xx] = p[ch];
            }
        }
    }
    Ok(out)
}

fn is_image(p: &Path) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        v.push(e.path());
    }
    v.sort();
    Ok(v)
}

/// Loads every image under `root` (one sub-folder per class). Returns the data set and the class
/// names in label order. Files without a .jpg/.jpeg/.png extension are ignored; a file with one that
/// does not decode is an error naming it.
pub fn load(root: &Path, opts: FolderOptions, norm: &Normalization) -> Result<(ImageDataset, Vec<String>)> {
    opts.validate()?;
    if !root.is_dir() {
        return Err(Error::MissingData {
            name: "imagenet10".into(),
            hint: format!("{} is not a folder; ImageNet-10 is built from ILSVRC-2012 with MadryLab's `robustness` library (restricted ImageNet); put it as <data>/imagenet10/{{train,val}}/<class>/*.JPEG", root.display()),
        });
    }
    let classes: Vec<PathBuf> = sorted_entries(root)?.into_iter().filter(|p| p.is_dir()).collect();
    if classes.is_empty() {
        return Err(format_err(root, "no class sub-folders"));
    }
    let c = opts.crop as usize;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    let mut provenance = Vec::new();
    for (k, cdir) in classes.iter().enumerate() {
        for f in sorted_entries(cdir)?.into_iter().filter(|p| p.is_file() && is_image(p)) {
            let bytes = read_file(&f)?;
            pixels.extend(decode(&bytes, &f, opts)?);
            labels.push(k);
            provenance.push(Provenance::of(&f, &bytes));
        }
    }
    if labels.is_empty() {
        return Err(format_err(root, "no .jpg/.jpeg/.png images in the class folders"));
    }
    let names: Vec<String> = classes.iter().map(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()).collect();
    let ds = ImageDataset {
        name: root.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image-folder".into()),
        x: norm.apply(&pixels, (labels.len(), 3, c, c))?,
        num_classes: classes.len(),
        labels,
        signal_mask: None,
        normalization: Some(norm.clone()),
        provenance,
        recipe: format!("image folder: resize shorter side {}, centre crop {}; classes {:?}", opts.resize_shorter, opts.crop, names),
    };
    ds.validate()?;
    Ok((ds, names))
}

//! A minimal reader (and writer, for tests) of MATLAB Level 5 MAT-files, enough for SVHN
//! (`train_32x32.mat`: `X` uint8 32×32×3×N, `y` double N×1).
//!
//! Format (MathWorks, "MAT-File Format", Level 5, ch. 1): a 128-byte header (116 bytes of text, 8
//! bytes subsystem offset, u16 version 0x0100, 2-byte endian indicator `IM` for little-endian), then
//! data elements. Each element has an 8-byte tag (u32 type, u32 byte count; or the "small data
//! element" form with the count in the upper 16 bits and ≤ 4 data bytes in the tag's second word)
//! and its data, padded to a multiple of 8 bytes. A `miCOMPRESSED` (15) element holds one
//! zlib-compressed element. A `miMATRIX` (14) element holds sub-elements: array flags (class in the
//! low byte), dimensions (int32), name (int8), real part (any numeric storage type), optional
//! imaginary part. Only little-endian numeric arrays are read; cells, structs, sparse, char and
//! object arrays are skipped. MAT v7.3 files are HDF5 and are refused with a clear message.

use std::path::Path;

use crate::data::{format_err, inflate_zlib};
use crate::error::Result;

/// Size of the MAT v5 file header in bytes (MAT-File Format, "Level 5 MAT-File Header").
const HEADER: usize = 128;

// Data types (MAT-File Format, Table 1-1 "MAT-File Data Types").
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

// Array classes (MAT-File Format, Table 1-3 "MATLAB Array Types (Classes)").
/// mxDOUBLE_CLASS.
pub const MX_DOUBLE: u8 = 6;
/// mxUINT8_CLASS.
pub const MX_UINT8: u8 = 9;
const MX_NUMERIC: std::ops::RangeInclusive<u8> = 6..=15;
/// Array-flags bit marking a complex array (MAT-File Format, Figure 1-8).
const FLAG_COMPLEX: u32 = 0x0800;

/// The values of a numeric array, as stored: bytes stay bytes (SVHN's images), anything else is
/// widened to f64 (MATLAB may store a double array in a smaller integer type).
#[derive(Debug, Clone, PartialEq)]
pub enum MatData {
    /// Stored as miUINT8.
    U8(Vec<u8>),
    /// Any other numeric storage, converted exactly (64-bit integers beyond 2^53 round).
    F64(Vec<f64>),
}

impl MatData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            MatData::U8(v) => v.len(),
            MatData::F64(v) => v.len(),
        }
    }
    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Value `i` as f64.
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            MatData::U8(v) => v.get(i).map(|&b| b as f64),
            MatData::F64(v) => v.get(i).copied(),
        }
    }
}

/// A numeric array from a MAT file. Values are in MATLAB's column-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct MatArray {
    /// Variable name.
    pub name: String,
    /// mx class (6 = double, 9 = uint8, …).
    pub class: u8,
    /// Dimensions (at least 2, as MATLAB writes them).
    pub dims: Vec<usize>,
    /// The real part.
    pub data: MatData,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn pad8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// One element: (type, data slice, total bytes consumed including tag and padding).
fn element<'a>(buf: &'a [u8], pos: usize, path: &Path, pad: bool) -> Result<(u32, &'a [u8], usize)> {
    let left = buf.len() - pos;
    if left < 8 {
        return Err(format_err(path, format!("truncated element tag at byte {pos}: {left} bytes left, a tag needs 8")));
    }
    let w0 = u32_at(buf, pos);
    if w0 >> 16 != 0 {
        // Small data element: count in the upper 16 bits, type in the lower, data in bytes 4..8.
        let n = (w0 >> 16) as usize;
        if n > 4 {
            return Err(format_err(path, format!("small data element at byte {pos} claims {n} bytes, at most 4 fit")));
        }
        return Ok((w0 & 0xffff, &buf[pos + 4..pos + 4 + n], 8));
    }
    let n = u32_at(buf, pos + 4) as usize;
    if n > left - 8 {
        return Err(format_err(path, format!("truncated: element at byte {pos} declares {n} bytes, {} remain", left - 8)));
    }
    let used = if pad { (8 + pad8(n)).min(left) } else { 8 + n };
    Ok((w0, &buf[pos + 8..pos + 8 + n], used))
}

fn elem_size(ty: u32) -> Option<usize> {
    match ty {
        MI_INT8 | MI_UINT8 => Some(1),
        MI_INT16 | MI_UINT16 => Some(2),
        MI_INT32 | MI_UINT32 | MI_SINGLE => Some(4),
        MI_DOUBLE | MI_INT64 | MI_UINT64 => Some(8),
        _ => None,
    }
}

fn decode_numeric(ty: u32, d: &[u8]) -> MatData {
    fn conv<const N: usize>(d: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
        d.chunks_exact(N).map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            f(a)
        }).collect()
    }
    match ty {
        MI_UINT8 => MatData::U8(d.to_vec()),
        MI_INT8 => MatData::F64(d.iter().map(|&b| b as i8 as f64).collect()),
        MI_INT16 => MatData::F64(conv::<2>(d, |a| i16::from_le_bytes(a) as f64)),
        MI_UINT16 => MatData::F64(conv::<2>(d, |a| u16::from_le_bytes(a) as f64)),
        MI_INT32 => MatData::F64(conv::<4>(d, |a| i32::from_le_bytes(a) as f64)),
        MI_UINT32 => MatData::F64(conv::<4>(d, |a| u32::from_le_bytes(a) as f64)),
        MI_SINGLE => MatData::F64(conv::<4>(d, |a| f32::from_le_bytes(a) as f64)),
        MI_DOUBLE => MatData::F64(conv::<8>(d, f64::from_le_bytes)),
        MI_INT64 => MatData::F64(conv::<8>(d, |a| i64::from_le_bytes(a) as f64)),
        _ => MatData::F64(conv::<8>(d, |a| u64::from_le_bytes(a) as f64)),
    }
}

/// Parses the contents of a miMATRIX element. `Ok(None)` for arrays that are not numeric.
fn parse_matrix(d: &[u8], path: &Path, at: usize) -> Result<Option<MatArray>> {
    let mut pos = 0;
    fn take<'a>(d: &'a [u8], pos: &mut usize, path: &Path, at: usize, what: &str) -> Result<(u32, &'a [u8])> {
        if *pos >= d.len() {
            return Err(format_err(path, format!("matrix at byte {at}: missing {what} sub-element")));
        }
        let (ty, data, used) = element(d, *pos, path, true)?;
        *pos += used;
        Ok((ty, data))
    }
    let mut next = |what: &str| take(d, &mut pos, path, at, what);
    let (fty, flags) = next("array flags")?;
    if fty != MI_UINT32 || flags.len() != 8 {
        return Err(format_err(path, format!("matrix at byte {at}: array flags must be 8 bytes of uint32, got type {fty} with {} bytes", flags.len())));
    }
    let f0 = u32_at(flags, 0);
    let class = (f0 & 0xff) as u8;
    if !MX_NUMERIC.contains(&class) {
        return Ok(None);
    }
    let (dty, dims_b) = next("dimensions")?;
    if dty != MI_INT32 || dims_b.len() % 4 != 0 || dims_b.len() < 8 {
        return Err(format_err(path, format!("matrix at byte {at}: dimensions must be >= 2 int32, got type {dty} with {} bytes", dims_b.len())));
    }
    let mut dims = Vec::with_capacity(dims_b.len() / 4);
    for c in dims_b.chunks_exact(4) {
        let v = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if v < 0 {
            return Err(format_err(path, format!("matrix at byte {at}: negative dimension {v}")));
        }
        dims.push(v as usize);
    }
    let (nty, name_b) = next("array name")?;
    if nty != MI_INT8 {
        return Err(format_err(path, format!("matrix at byte {at}: array name must be int8, got type {nty}")));
    }
    let name = String::from_utf8_lossy(name_b).into_owned();
    let (rty, real) = next("real part")?;
    let size = elem_size(rty).ok_or_else(|| format_err(path, format!("array `{name}`: unsupported storage type {rty} for the real part")))?;
    let count = dims.iter().try_fold(1usize, |a, &v| a.checked_mul(v));
    match count {
        Some(c) if c.checked_mul(size) == Some(real.len()) => {}
        _ => {
            return Err(format_err(path, format!("array `{name}`: dimensions {dims:?} do not match {} bytes of type {rty} ({size} bytes each)", real.len())));
        }
    }
    if f0 & FLAG_COMPLEX != 0 {
        // The imaginary part must be there, but it is not returned.
        next("imaginary part")?;
    }
    Ok(Some(MatArray { name, class, dims, data: decode_numeric(rty, real) }))
}

fn parse_elements(buf: &[u8], path: &Path, base: usize, depth: usize, out: &mut Vec<MatArray>) -> Result<()> {
    let mut pos = 0;
    while pos < buf.len() {
        let (ty, data, used) = element(buf, pos, path, true)?;
        match ty {
            MI_MATRIX => {
                if let Some(a) = parse_matrix(data, path, base + pos)? {
                    out.push(a);
                }
                pos += used;
            }
            MI_COMPRESSED => {
                if depth > 0 {
                    return Err(format_err(path, format!("compressed element nested in a compressed element at byte {}", base + pos)));
                }
                let inner = inflate_zlib(data, path)?;
                parse_elements(&inner, path, base + pos, depth + 1, out)?;
                // Compressed elements are not padded (their byte count is exact).
                let (_, _, exact) = element(buf, pos, path, false)?;
                pos += exact;
            }
            _ => pos += used,
        }
    }
    Ok(())
}

/// Parses a MAT v5 file and returns its numeric arrays.
pub fn parse_mat(bytes: &[u8], path: &Path) -> Result<Vec<MatArray>> {
    if bytes.len() < HEADER {
        return Err(format_err(path, format!("truncated: {} bytes, a MAT-file header has {HEADER}", bytes.len())));
    }
    if bytes.starts_with(b"MATLAB 7.3") || bytes.get(512..520) == Some(b"\x89HDF\r\n\x1a\n") {
        return Err(format_err(path, "MAT v7.3 (HDF5) files are not supported; save with `-v7` or `-v6`"));
    }
    match &bytes[126..128] {
        b"IM" => {}
        b"MI" => return Err(format_err(path, "big-endian MAT files are not supported")),
        other => {
            return Err(format_err(path, format!("not a MAT v5 file: endian indicator {:02x}{:02x}, expected `IM`", other[0], other[1])));
        }
    }
    let mut out = Vec::new();
    parse_elements(&bytes[HEADER..], path, HEADER, 0, &mut out)?;
    Ok(out)
}

/// Values for [`encode_mat`].
#[derive(Debug, Clone, PartialEq)]
pub enum EncodeData<'a> {
    /// A uint8 array stored as miUINT8.
    U8(&'a [u8]),
    /// A double array stored as miDOUBLE.
    F64(&'a [f64]),
    /// A double array stored as miUINT8, as MATLAB does for small integers (SVHN's `y`).
    F64AsU8(&'a [u8]),
}

fn push_elem(out: &mut Vec<u8>, ty: u32, data: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out.resize(pad8(out.len()), 0);
}

/// Writes a little-endian MAT v5 file with the given arrays (column-major data), each wrapped in a
/// miCOMPRESSED element when `compress` (as MATLAB's default `-v7`). For tests and tools.
pub fn encode_mat(arrays: &[(&str, &[usize], EncodeData<'_>)], compress: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER);
    let text = b"MATLAB 5.0 MAT-file, written by inputgrad";
    out.extend_from_slice(text);
    out.resize(116, b' ');
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    for (name, dims, data) in arrays {
        let mut m = Vec::new();
        let class = match data {
            EncodeData::U8(_) => MX_UINT8,
            _ => MX_DOUBLE,
        } as u32;
        let mut flags = class.to_le_bytes().to_vec();
        flags.extend_from_slice(&[0u8; 4]);
        push_elem(&mut m, MI_UINT32, &flags);
        let d: Vec<u8> = dims.iter().flat_map(|&v| (v as i32).to_le_bytes()).collect();
        push_elem(&mut m, MI_INT32, &d);
        push_elem(&mut m, MI_INT8, name.as_bytes());
        match data {
            EncodeData::U8(v) | EncodeData::F64AsU8(v) => push_elem(&mut m, MI_UINT8, v),
            EncodeData::F64(v) => {
                let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                push_elem(&mut m, MI_DOUBLE, &b);
            }
        }
        let mut el = Vec::new();
        push_elem(&mut el, MI_MATRIX, &m);
        if compress {
            use std::io::Write as _;
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            // Writing into a Vec cannot fail.
            let _ = z.write_all(&el);
            let zb = z.finish().unwrap_or_default();
            out.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
            out.extend_from_slice(&(zb.len() as u32).to_le_bytes());
            out.extend_from_slice(&zb);
        } else {
            out.extend_from_slice(&el);
        }
    }
    out
}

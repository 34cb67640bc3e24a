//! A minimal reader of (gzipped) POSIX tar archives, enough to unpack the CIFAR binary tarballs.
//!
//! Format (POSIX.1-1988 ustar, as GNU tar writes it): 512-byte header blocks — name at 0..100,
//! size as octal ASCII at 124..136, type flag at 156, ustar prefix at 345..500 — each followed by the
//! file's data padded to 512 bytes; the archive ends with zero blocks. Only regular files ('0' or
//! NUL) are returned; directories, links and pax/GNU extension headers are skipped.

use std::ops::Range;
use std::path::Path;

use crate::data::format_err;
use crate::error::Result;

/// Tar block size (POSIX ustar).
const BLOCK: usize = 512;

/// A regular file inside an archive: its path and the byte range of its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the archive (`/`-separated, no leading `/`, no `..`).
    pub name: String,
    /// Range of `bytes` holding the data.
    pub data: Range<usize>,
}

fn field_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn octal(b: &[u8], path: &Path, at: usize) -> Result<usize> {
    let s = field_str(b);
    let t = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if t.is_empty() {
        return Ok(0);
    }
    usize::from_str_radix(t, 8).map_err(|_| format_err(path, format!("tar header at byte {at}: size field `{s}` is not octal")))
}

/// Lists the regular files of an uncompressed tar archive. Sizes are checked against the bytes
/// present; names that would escape the destination (absolute, `..`) are refused.
pub fn parse_tar(bytes: &[u8], path: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + BLOCK <= bytes.len() {
        let h = &bytes[pos..pos + BLOCK];
        if h.iter().all(|&b| b == 0) {
            return Ok(out);
        }
        let stored: usize = octal(&h[148..156], path, pos)?;
        let sum: usize = h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { b' ' as usize } else { b as usize }).sum();
        if stored != sum {
            return Err(format_err(path, format!("tar header at byte {pos}: checksum {stored} does not match {sum}")));
        }
        let size = octal(&h[124..136], path, pos)?;
        let data_start = pos + BLOCK;
        if size > bytes.len() - data_start {
            return Err(format_err(path, format!("truncated: tar entry at byte {pos} declares {size} bytes, {} remain", bytes.len() - data_start)));
        }
        let flag = h[156];
        let mut name = field_str(&h[0..100]);
        if &h[257..262] == b"ustar" {
            let prefix = field_str(&h[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        if flag == b'0' || flag == 0 {
            if name.starts_with('/') || name.split('/').any(|c| c == "..") {
                return Err(format_err(path, format!("tar entry `{name}` would be written outside the destination")));
            }
            out.push(Entry { name, data: data_start..data_start + size });
        }
        pos = data_start + size.div_ceil(BLOCK) * BLOCK;
    }
    if out.is_empty() {
        return Err(format_err(path, "not a tar archive: no complete entry"));
    }
    if pos < bytes.len() {
        return Err(format_err(path, format!("truncated tar archive: {} bytes after the last complete block", bytes.len() - pos)));
    }
    Ok(out)
}

/// Writes a ustar archive of regular files (for tests and tools).
pub fn encode_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; BLOCK];
        h[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: usize = h.iter().map(|&b| b as usize).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    out
}

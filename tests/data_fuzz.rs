//! Fuzzing every parser with proptest over random and mutated bytes: each must return Ok or an
//! error, never panic, and never allocate from a header beyond what the input holds (a header
//! claiming gigabytes on a few hundred bytes of input must be refused, not allocated — these runs
//! would abort on such an allocation long before a timeout).

mod data_support;

use std::path::Path;

use proptest::prelude::*;

use inputgrad::data::cifar::{self, Variant};
use inputgrad::data::idx::{self, encode_idx};
use inputgrad::data::image_folder::{self, FolderOptions};
use inputgrad::data::mat::{self, encode_mat, EncodeData};
use inputgrad::data::tabular;
use inputgrad::data::tar::{encode_tar, parse_tar};
use inputgrad::data::svhn;

use data_support::gzip;

/// ≥ 256 cases per parser (issue 4).
const CASES: u32 = 256;

fn cfg() -> ProptestConfig {
    ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() }
}

/// A mutation of a valid file: flip bytes, truncate, or splice in random bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Vec<(usize, u8)>),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::collection::vec((any::<usize>(), 1u8..=255), 1..8).prop_map(Mutation::Flip),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(a, b)| Mutation::Insert(a, b)),
    ]
}

fn mutate(base: &[u8], m: &Mutation) -> Vec<u8> {
    let mut v = base.to_vec();
    if v.is_empty() {
        return v;
    }
    match m {
        Mutation::Flip(fl) => {
            for &(at, x) in fl {
                let i = at % v.len();
                v[i] ^= x;
            }
        }
        Mutation::Truncate(at) => v.truncate(at % v.len()),
        Mutation::Insert(at, bytes) => {
            let i = at % (v.len() + 1);
            v.splice(i..i, bytes.iter().copied());
        }
    }
    v
}

fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..600)
}

/// Random bytes behind a valid-looking header prefix, so the fuzzer gets past the magic.
fn with_prefix(prefix: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..400).prop_map(move |t| {
        let mut v = prefix.to_vec();
        v.extend(t);
        v
    })
}

fn idx_valid() -> Vec<u8> {
    let (im, _) = data_support::synthetic_mnist(2);
    im
}

fn cifar_valid() -> Vec<u8> {
    let mut v = vec![3u8];
    v.extend((0..3072).map(|k| (k % 251) as u8));
    v
}

fn mat_valid(compress: bool) -> Vec<u8> {
    let x: Vec<u8> = (0..3072).map(|k| (k % 256) as u8).collect();
    encode_mat(&[("X", &[32, 32, 3, 1], EncodeData::U8(&x)), ("y", &[1, 1], EncodeData::F64AsU8(&[10]))], compress)
}

fn png_valid() -> Vec<u8> {
    let img = image::RgbImage::from_fn(6, 5, |x, y| image::Rgb([x as u8 * 40, y as u8 * 50, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg_valid() -> Vec<u8> {
    let img = image::RgbImage::from_fn(9, 9, |x, y| image::Rgb([x as u8 * 20, y as u8 * 20, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

const MUSHROOM: &[u8] = b"p,x,s,n,t,p,f,c,n,k,e,e,s,s,w,w,p,w,o,p,k,s,u\r\ne,x,s,y,t,a,f,c,b,k,e,?,s,s,w,w,p,w,o,p,n,n,g\n";

fn spam_valid() -> Vec<u8> {
    let mut s = String::new();
    for l in 0..2 {
        let v: Vec<String> = (0..57).map(|j| format!("{}.{}", j, l)).chain([l.to_string()]).collect();
        s.push_str(&v.join(","));
        s.push_str("\r\n");
    }
    s.into_bytes()
}

const FOLDER: FolderOptions = FolderOptions { resize_shorter: 4, crop: 4 };

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn idx_random(b in random_bytes()) {
        let _ = idx::parse_images(&b, Path::new("f"));
        let _ = idx::parse_labels(&b, Path::new("f"), 10);
    }

    #[test]
    fn idx_header_prefixed(b in with_prefix(&[0, 0, 8, 3])) {
        let _ = idx::parse_images(&b, Path::new("f"));
    }

    #[test]
    fn idx_lying_header(n in any::<u32>(), r in any::<u32>(), c in any::<u32>(), tail in prop::collection::vec(any::<u8>(), 0..64)) {
        let b = encode_idx(&[n, r, c], &tail);
        let res = idx::parse_images(&b, Path::new("f"));
        let claimed = (n as u128) * (r as u128) * (c as u128);
        prop_assert_eq!(res.is_ok(), claimed == tail.len() as u128 && r > 0 && c > 0);
    }

    #[test]
    fn idx_mutated(m in mutation(), gz in any::<bool>()) {
        let base = if gz { gzip(&idx_valid()) } else { idx_valid() };
        let _ = idx::parse_images(&mutate(&base, &m), Path::new("f"));
    }

    #[test]
    fn gzip_random_after_magic(b in with_prefix(&[0x1f, 0x8b, 8, 0])) {
        let _ = idx::parse_labels(&b, Path::new("f.gz"), 10);
    }

    #[test]
    fn cifar_random_and_mutated(b in random_bytes(), m in mutation()) {
        for v in [Variant::Cifar10, Variant::Cifar100Fine, Variant::Cifar100Coarse] {
            let _ = cifar::parse_batch(&b, Path::new("f"), v);
            let _ = cifar::parse_batch(&mutate(&cifar_valid(), &m), Path::new("f"), v);
        }
    }

    #[test]
    fn mat_random(b in random_bytes()) {
        let mut v = vec![b' '; 124];
        v.extend_from_slice(&[0, 1, b'I', b'M']);
        v.extend(&b);
        let _ = mat::parse_mat(&v, Path::new("f"));
        let _ = mat::parse_mat(&b, Path::new("f"));
    }

    #[test]
    fn mat_and_svhn_mutated(m in mutation(), compress in any::<bool>()) {
        let v = mutate(&mat_valid(compress), &m);
        let _ = mat::parse_mat(&v, Path::new("f"));
        let _ = svhn::parse(&v, Path::new("f"));
    }

    #[test]
    fn mat_lying_dimensions(d in prop::collection::vec(any::<u32>(), 2..5)) {
        let dims: Vec<usize> = d.iter().map(|&x| (x & 0x7fff_ffff) as usize).collect();
        let v = encode_mat(&[("X", &dims, EncodeData::U8(&[1, 2, 3, 4]))], false);
        let _ = mat::parse_mat(&v, Path::new("f"));
    }

    #[test]
    fn image_random(b in random_bytes()) {
        let _ = image_folder::decode(&b, Path::new("f"), FOLDER);
    }

    #[test]
    fn image_mutated(m in mutation(), jpeg in any::<bool>()) {
        let base = if jpeg { jpeg_valid() } else { png_valid() };
        let _ = image_folder::decode(&mutate(&base, &m), Path::new("f"), FOLDER);
    }

    #[test]
    fn tabular_random(b in random_bytes()) {
        let _ = tabular::parse_mushroom(&b, Path::new("f"));
        let _ = tabular::parse_spambase(&b, Path::new("f"));
    }

    #[test]
    fn tabular_mutated(m in mutation()) {
        let _ = tabular::parse_mushroom(&mutate(MUSHROOM, &m), Path::new("f"));
        let _ = tabular::parse_spambase(&mutate(&spam_valid(), &m), Path::new("f"));
    }

    #[test]
    fn tar_random_and_mutated(b in random_bytes(), m in mutation()) {
        let _ = parse_tar(&b, Path::new("f"));
        let valid = encode_tar(&[("a/b.bin", &[1, 2, 3]), ("c.txt", b"hello")]);
        let _ = parse_tar(&mutate(&valid, &m), Path::new("f"));
    }
}

#[test]
fn valid_seeds_of_the_fuzzers_parse() {
    assert!(idx::parse_images(&idx_valid(), Path::new("f")).is_ok());
    assert!(cifar::parse_batch(&cifar_valid(), Path::new("f"), Variant::Cifar10).is_ok());
    assert!(svhn::parse(&mat_valid(true), Path::new("f")).is_ok());
    assert!(image_folder::decode(&png_valid(), Path::new("f"), FOLDER).is_ok());
    assert!(image_folder::decode(&jpeg_valid(), Path::new("f"), FOLDER).is_ok());
    assert!(tabular::parse_mushroom(MUSHROOM, Path::new("f")).is_ok());
    assert!(tabular::parse_spambase(&spam_valid(), Path::new("f")).is_ok());
    let t = encode_tar(&[("a/b.bin", &[1, 2, 3]), ("c.txt", b"hello")]);
    let e = parse_tar(&t, Path::new("f")).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(&t[e[1].data.clone()], b"hello");
}

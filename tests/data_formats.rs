//! Every loader on small files written in its exact format, and every kind of bad input giving one
//! error that names the file and what is wrong.

mod data_support;

use std::path::{Path, PathBuf};

use inputgrad::data::block_mnist::{self, classes, BlockMnistSpec, NullKind, Placement};
use inputgrad::data::cifar::{self, Variant};
use inputgrad::data::idx::{self, encode_idx};
use inputgrad::data::image_folder::{self, FolderOptions};
use inputgrad::data::mat::{self, encode_mat, EncodeData, MatData};
use inputgrad::data::tabular::{self, SplitOptions};
use inputgrad::checksum::md5_hex;
use inputgrad::data::{svhn, Normalization, Split};
use inputgrad::theory::block_data::BlockSpec;
use inputgrad::{prec, Error, Seed};

use data_support::{gzip, synthetic_mnist, write_synthetic_mnist};

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

/// The error is a Format error naming `file` whose reason contains `what`.
fn assert_format(r: Result<impl std::fmt::Debug, Error>, file: &str, what: &str) {
    match r {
        Err(Error::Format { path, reason }) => {
            assert_eq!(path, Path::new(file), "wrong path in error: {reason}");
            assert!(reason.contains(what), "reason `{reason}` lacks `{what}`");
            let shown = Error::Format { path, reason }.to_string();
            assert!(shown.contains(file), "{shown}");
        }
        other => panic!("expected a format error about `{what}` in {file}, got {other:?}"),
    }
}

// ---------- IDX ----------

#[test]
fn idx_raw_and_gzip_parse_to_the_same_split() {
    let (im, lb) = synthetic_mnist(25);
    let a = idx::parse_split(&im, &p("i"), &lb, &p("l")).unwrap();
    let b = idx::parse_split(&gzip(&im), &p("i.gz"), &gzip(&lb), &p("l.gz")).unwrap();
    assert_eq!(a.images, b.images);
    assert_eq!(a.labels, b.labels);
    assert_eq!((a.images.n, a.images.rows, a.images.cols), (25, 28, 28));
    assert_eq!(a.labels[13], 3);
    assert_eq!(a.images.pixels[784 * 2 + 5], 2 * 7 + 5, "image 2, pixel 5 holds (2·7 + 5) mod 256");
    assert_eq!(b.provenance[0].md5, md5_hex(&gzip(&im)));
    assert_eq!(b.provenance[0].path, p("i.gz"));
}

#[test]
fn idx_load_applies_the_normalization_parameter() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 12, 5);
    let d01 = idx::load(dir.path(), Split::Train, &Normalization::default()).unwrap();
    assert_eq!(d01.x.shape(), &[12, 1, 28, 28]);
    assert_eq!(d01.labels.len(), 12);
    // image 1, pixel 0 holds byte 7; the default map is exactly b as f32 / 255 (data::PixelMap)
    assert_eq!(d01.x[[1, 0, 0, 0]], 7.0 / 255.0);
    let sym = Normalization::range(-1.0, 1.0);
    let dsym = idx::load(dir.path(), Split::Test, &sym).unwrap();
    assert_eq!(dsym.len(), 5);
    assert!(dsym.x.iter().all(|v| (-1.0..=1.0).contains(v)));
    let std = Normalization { range: (0.0, 1.0), mean_std: Some((vec![0.1307], vec![0.3081])) };
    let dstd = idx::load(dir.path(), Split::Train, &std).unwrap();
    let expect = (7.0 / 255.0 - 0.1307) / 0.3081;
    assert!((dstd.x[[1, 0, 0, 0]] - expect).abs() < prec::F32_ULPS as f32);
    assert!((std.to_unit(0, dstd.x[[1, 0, 0, 0]]) - 7.0 / 255.0).abs() < prec::F32_ULPS as f32);
    assert_eq!(dstd.provenance.len(), 2);
    assert!(dstd.provenance[0].path.ends_with("train-images-idx3-ubyte.gz"));
}

#[test]
fn idx_raw_files_are_found_without_gz() {
    let dir = tempfile::tempdir().unwrap();
    let (im, lb) = synthetic_mnist(3);
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), &im).unwrap();
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), &lb).unwrap();
    let d = idx::load(dir.path(), Split::Test, &Normalization::default()).unwrap();
    assert_eq!(d.len(), 3);
    match idx::load(dir.path(), Split::Train, &Normalization::default()) {
        Err(Error::MissingData { hint, .. }) => assert!(hint.contains("train-images-idx3-ubyte"), "{hint}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn idx_bad_inputs_each_give_one_named_error() {
    let (im, lb) = synthetic_mnist(4);
    let f = "bad.idx";
    assert_format(idx::parse_images(&im[..im.len() - 10], &p(f)), f, "truncated");
    assert_format(idx::parse_images(&im[..10], &p(f)), f, "truncated header");
    let mut wrong = im.clone();
    wrong[0] = 0x12;
    assert_format(idx::parse_images(&wrong, &p(f)), f, "wrong magic");
    let mut ty = im.clone();
    ty[2] = 0x0d;
    assert_format(idx::parse_images(&ty, &p(f)), f, "not unsigned byte");
    assert_format(idx::parse_images(&lb, &p(f)), f, "3 dimensions");
    assert_format(idx::parse_labels(&im, &p(f), 10), f, "1 dimension");
    let mut big = lb.clone();
    big[8] = 10;
    assert_format(idx::parse_labels(&big, &p(f), 10), f, "label 10 at index 0");
    let mut extra = im.clone();
    extra.push(0);
    assert_format(idx::parse_images(&extra, &p(f)), f, "trailing");
    // A header claiming 2^32-1 images of 2^32-1 × 2^32-1 pixels: no allocation, an overflow error.
    let huge = encode_idx(&[u32::MAX, u32::MAX, u32::MAX], &[1, 2, 3]);
    assert_format(idx::parse_images(&huge, &p(f)), f, "overflow");
    let claims = encode_idx(&[60_000, 28, 28], &[0; 100]);
    assert_format(idx::parse_images(&claims, &p(f)), f, "needs 47040000 data bytes");
    // Count mismatch between the two files names the label file.
    let (_, lb5) = synthetic_mnist(5);
    assert_format(idx::parse_split(&im, &p("img"), &lb5, &p("lab")), "lab", "5 labels but img has 4 images");
    // Corrupt gzip.
    let mut gz = gzip(&im);
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 8] {
        *b ^= 0xa5;
    }
    assert_format(idx::parse_images(&gz, &p("x.gz")), "x.gz", "corrupt gzip");
    let gz = gzip(&im);
    assert_format(idx::parse_images(&gz[..gz.len() / 2], &p("x.gz")), "x.gz", "corrupt gzip");
}

// ---------- CIFAR ----------

fn cifar_records(n: usize, variant: Variant) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        match variant {
            Variant::Cifar10 => out.push((i % 10) as u8),
            _ => {
                out.push((i % 20) as u8);
                out.push((i * 3 % 100) as u8);
            }
        }
        for ch in 0..3 {
            for k in 0..1024 {
                out.push(((i + ch * 50 + k) % 256) as u8);
            }
        }
    }
    out
}

#[test]
fn cifar10_and_100_batches_load_from_their_folders() {
    let dir = tempfile::tempdir().unwrap();
    let c10 = dir.path().join("cifar10/cifar-10-batches-bin");
    std::fs::create_dir_all(&c10).unwrap();
    for i in 1..=5 {
        std::fs::write(c10.join(format!("data_batch_{i}.bin")), cifar_records(3, Variant::Cifar10)).unwrap();
    }
    std::fs::write(c10.join("test_batch.bin"), cifar_records(4, Variant::Cifar10)).unwrap();
    let norm = Normalization::default();
    let tr = cifar::load(&dir.path().join("cifar10"), Variant::Cifar10, Split::Train, &norm).unwrap();
    assert_eq!(tr.x.shape(), &[15, 3, 32, 32]);
    assert_eq!(tr.provenance.len(), 5);
    assert_eq!(tr.labels[..4], [0, 1, 2, 0]);
    // record 1, channel 2 (blue), row 1, col 3 → byte (1 + 100 + 35) % 256
    assert!((tr.x[[1, 2, 1, 3]] - 136.0 / 255.0).abs() < prec::F32_ULPS as f32);
    let te = cifar::load(&dir.path().join("cifar10"), Variant::Cifar10, Split::Test, &norm).unwrap();
    assert_eq!(te.len(), 4);

    let c100 = dir.path().join("cifar100/cifar-100-binary");
    std::fs::create_dir_all(&c100).unwrap();
    std::fs::write(c100.join("train.bin"), cifar_records(7, Variant::Cifar100Fine)).unwrap();
    let fine = cifar::load(&dir.path().join("cifar100"), Variant::Cifar100Fine, Split::Train, &norm).unwrap();
    let coarse = cifar::load(&dir.path().join("cifar100"), Variant::Cifar100Coarse, Split::Train, &norm).unwrap();
    assert_eq!(fine.num_classes, 100);
    assert_eq!(coarse.num_classes, 20);
    assert_eq!(fine.labels[5], 15);
    assert_eq!(coarse.labels[5], 5);
    assert_eq!(fine.x, coarse.x);
    match cifar::load(&dir.path().join("cifar100"), Variant::Cifar100Fine, Split::Test, &norm) {
        Err(Error::MissingData { hint, .. }) => assert!(hint.contains("test.bin") && hint.contains("fetch cifar100"), "{hint}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cifar_bad_inputs() {
    let f = "data_batch_1.bin";
    let good = cifar_records(2, Variant::Cifar10);
    assert_format(cifar::parse_batch(&good[..good.len() - 1], &p(f), Variant::Cifar10), f, "not a whole number");
    let mut bad = good.clone();
    bad[3073] = 10;
    assert_format(cifar::parse_batch(&bad, &p(f), Variant::Cifar10), f, "record 1: label 10");
    assert_format(cifar::parse_batch(&[], &p(f), Variant::Cifar10), f, "empty");
    let mut c100 = cifar_records(1, Variant::Cifar100Fine);
    c100[1] = 100;
    assert_format(cifar::parse_batch(&c100, &p(f), Variant::Cifar100Fine), f, "fine label 100");
}

// ---------- MAT v5 / SVHN ----------

/// SVHN-like arrays: X 32×32×3×n column-major with X[r, c, ch, i] = (r + 2c + 5ch + 11i) mod 256,
/// y = 1..=10 cycling (10 = digit 0).
fn svhn_arrays(n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut x = vec![0u8; 32 * 32 * 3 * n];
    for i in 0..n {
        for ch in 0..3 {
            for c in 0..32 {
                for r in 0..32 {
                    x[r + 32 * c + 1024 * ch + 3072 * i] = ((r + 2 * c + 5 * ch + 11 * i) % 256) as u8;
                }
            }
        }
    }
    let y: Vec<u8> = (0..n).map(|i| (i % 10 + 1) as u8).collect();
    (x, y)
}

fn svhn_file(n: usize, compress: bool, y_as_double: bool) -> Vec<u8> {
    let (x, y) = svhn_arrays(n);
    let yd: Vec<f64> = y.iter().map(|&v| v as f64).collect();
    let ydata = if y_as_double { EncodeData::F64(&yd) } else { EncodeData::F64AsU8(&y) };
    encode_mat(&[("X", &[32, 32, 3, n], EncodeData::U8(&x)), ("y", &[n, 1], ydata)], compress)
}

#[test]
fn mat_reader_reads_compressed_and_plain_elements() {
    for compress in [false, true] {
        let bytes = svhn_file(3, compress, true);
        let arrays = mat::parse_mat(&bytes, &p("t.mat")).unwrap();
        assert_eq!(arrays.len(), 2);
        assert_eq!(arrays[0].name, "X");
        assert_eq!(arrays[0].class, mat::MX_UINT8);
        assert_eq!(arrays[0].dims, vec![32, 32, 3, 3]);
        assert_eq!(arrays[1].class, mat::MX_DOUBLE);
        assert_eq!(arrays[1].data, MatData::F64(vec![1.0, 2.0, 3.0]));
    }
}

#[test]
fn svhn_loads_with_label_10_as_digit_0_and_c_order_pixels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train_32x32.mat"), svhn_file(12, true, false)).unwrap();
    std::fs::write(dir.path().join("test_32x32.mat"), svhn_file(2, false, true)).unwrap();
    let d = svhn::load(dir.path(), "train", &Normalization::default()).unwrap();
    assert_eq!(d.x.shape(), &[12, 3, 32, 32]);
    assert_eq!(d.labels[..10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    // image 4, channel 1, row 3, col 7 ↔ X[3, 7, 1, 4] = 3 + 14 + 5 + 44
    assert!((d.x[[4, 1, 3, 7]] - 66.0 / 255.0).abs() < prec::F32_ULPS as f32);
    let t = svhn::load(dir.path(), "test", &Normalization::default()).unwrap();
    assert_eq!(t.len(), 2);
    assert!(matches!(svhn::load(dir.path(), "extra", &Normalization::default()), Err(Error::MissingData { .. })));
}

#[test]
fn svhn_and_mat_bad_inputs() {
    let f = "train_32x32.mat";
    let good = svhn_file(2, true, false);
    assert_format(svhn::parse(&good[..100], &p(f)), f, "truncated");
    assert_format(svhn::parse(&good[..good.len() - 7], &p(f)), f, "");
    let mut endian = good.clone();
    endian[126] = b'X';
    assert_format(svhn::parse(&endian, &p(f)), f, "endian");
    let mut v73 = good.clone();
    v73[..10].copy_from_slice(b"MATLAB 7.3");
    assert_format(svhn::parse(&v73, &p(f)), f, "v7.3");
    let (x, _) = svhn_arrays(2);
    let bad_label = encode_mat(&[("X", &[32, 32, 3, 2], EncodeData::U8(&x)), ("y", &[2, 1], EncodeData::F64(&[1.0, 11.0]))], false);
    assert_format(svhn::parse(&bad_label, &p(f)), f, "label 11 at index 1");
    let no_y = encode_mat(&[("X", &[32, 32, 3, 2], EncodeData::U8(&x))], true);
    assert_format(svhn::parse(&no_y, &p(f)), f, "no numeric variable `y`");
    let count = encode_mat(&[("X", &[32, 32, 3, 2], EncodeData::U8(&x)), ("y", &[3, 1], EncodeData::F64(&[1.0, 2.0, 3.0]))], false);
    assert_format(svhn::parse(&count, &p(f)), f, "must hold 2 labels");
    let dims = encode_mat(&[("X", &[32, 32, 3, 3], EncodeData::U8(&x))], false);
    assert_format(mat::parse_mat(&dims, &p(f)), f, "do not match");
    let mut z = svhn_file(2, true, false);
    let at = 128 + 8 + 20;
    for b in &mut z[at..at + 16] {
        *b ^= 0x5a;
    }
    assert_format(svhn::parse(&z, &p(f)), f, "");
}

// ---------- ImageFolder ----------

fn write_png(path: &Path, w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb(f(x, y)));
    img.save(path).unwrap();
}

#[test]
fn image_folder_resizes_and_centre_crops_in_sorted_class_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("train");
    for c in ["b_cls", "a_cls"] {
        std::fs::create_dir_all(root.join(c)).unwrap();
    }
    // 40×20 image: left half red, right half green → after resize (shorter 10 → 20×10) and crop 8
    // the crop is cols 6..14 of 20: left 4 red-ish, right 4 green-ish.
    write_png(&root.join("a_cls/one.png"), 40, 20, |x, _| if x < 20 { [255, 0, 0] } else { [0, 255, 0] });
    let jpg = image::RgbImage::from_fn(16, 16, |_, _| image::Rgb([0, 0, 200]));
    jpg.save(root.join("b_cls/two.JPG")).unwrap();
    std::fs::write(root.join("b_cls/notes.txt"), b"ignored").unwrap();
    let opts = FolderOptions { resize_shorter: 10, crop: 8 };
    let (d, names) = image_folder::load(&root, opts, &Normalization::default()).unwrap();
    assert_eq!(names, vec!["a_cls", "b_cls"]);
    assert_eq!(d.x.shape(), &[2, 3, 8, 8]);
    assert_eq!(d.labels, vec![0, 1]);
    assert!(d.x[[0, 0, 4, 0]] > 0.9 && d.x[[0, 1, 4, 0]] < 0.1, "left of crop is red");
    assert!(d.x[[0, 1, 4, 7]] > 0.9 && d.x[[0, 0, 4, 7]] < 0.1, "right of crop is green");
    assert!((d.x[[1, 2, 3, 3]] - 200.0 / 255.0).abs() < prec::JPEG_FLAT as f32, "JPEG blue ≈ 200");
    assert_eq!(d.provenance.len(), 2);
}

#[test]
fn image_folder_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("val");
    std::fs::create_dir_all(root.join("cls")).unwrap();
    let bad = root.join("cls/broken.jpg");
    std::fs::write(&bad, b"\xff\xd8\xff\xe0 this is not really a jpeg").unwrap();
    let opts = FolderOptions { resize_shorter: 8, crop: 8 };
    let e = image_folder::load(&root, opts, &Normalization::default()).unwrap_err();
    assert_format(Err::<(), _>(e), bad.to_str().unwrap(), "unreadable image");
    assert!(matches!(image_folder::load(&dir.path().join("nope"), opts, &Normalization::default()), Err(Error::MissingData { .. })));
    assert!(matches!(image_folder::decode(&[], &p("x.png"), FolderOptions { resize_shorter: 4, crop: 8 }), Err(Error::InvalidParam { .. })));
    assert_format(image_folder::decode(b"\x89PNG\r\n\x1a\n", &p("x.png"), opts), "x.png", "unreadable image");
}

// ---------- UCI tables ----------

const MUSHROOM_ROWS: &str = "p,x,s,n,t,p,f,c,n,k,e,e,s,s,w,w,p,w,o,p,k,s,u\n\
e,x,s,y,t,a,f,c,b,k,e,c,s,s,w,w,p,w,o,p,n,n,g\n\
e,b,s,w,t,l,f,c,b,n,e,c,s,s,w,w,p,w,o,p,n,n,m\n\
p,x,y,w,t,p,f,c,n,n,e,?,s,s,w,w,p,w,o,p,k,s,u\n";

#[test]
fn mushroom_one_hot_with_question_mark_category_and_edible_is_one() {
    let t = tabular::parse_mushroom(MUSHROOM_ROWS.as_bytes(), &p("m.data")).unwrap();
    assert_eq!(t.data.labels, vec![0, 1, 1, 0]);
    assert_eq!(t.data.x.nrows(), 4);
    // every row has exactly 22 ones
    for row in t.data.x.rows() {
        assert_eq!(row.iter().filter(|&&v| v == 1.0).count(), 22);
        assert_eq!(row.iter().filter(|&&v| v == 0.0).count(), row.len() - 22);
    }
    let q = t.feature_names.iter().position(|n| n == "stalk-root=?").expect("? is a category");
    assert_eq!(t.data.x.column(q).to_vec(), vec![0.0, 0.0, 0.0, 1.0]);
    assert!(t.feature_names.contains(&"cap-shape=b".to_string()));
    assert_eq!(t.feature_names.len(), t.data.dim());
}

#[test]
fn spambase_accepts_lf_and_crlf_alike() {
    let row = |l: u8| {
        let mut v: Vec<String> = (0..57).map(|j| format!("{}", j as f32 * 0.5)).collect();
        v.push(l.to_string());
        v.join(",")
    };
    let lf = format!("{}\n{}\n{}\n", row(1), row(0), row(1));
    let crlf = lf.replace('\n', "\r\n");
    let a = tabular::parse_spambase(lf.as_bytes(), &p("s.data")).unwrap();
    let b = tabular::parse_spambase(crlf.as_bytes(), &p("s.data")).unwrap();
    assert_eq!(a.data.x, b.data.x);
    assert_eq!(a.data.labels, vec![1, 0, 1]);
    assert_eq!(a.data.x.shape(), &[3, 57]);
    assert_eq!(a.data.x[[2, 4]], 2.0);
    assert_eq!(a.feature_names[56], "capital_run_length_total");
}

#[test]
fn tabular_bad_inputs_name_file_and_line() {
    let f = "m.data";
    let short = "e,x,s\n";
    assert_format(tabular::parse_mushroom(short.as_bytes(), &p(f)), f, "line 1: 3 fields, expected 23");
    let bad_class = MUSHROOM_ROWS.replacen("p,x", "q,x", 1);
    assert_format(tabular::parse_mushroom(bad_class.as_bytes(), &p(f)), f, "class `q`");
    let long_val = MUSHROOM_ROWS.replacen("e,x,s,y", "e,xx,s,y", 1);
    assert_format(tabular::parse_mushroom(long_val.as_bytes(), &p(f)), f, "line 2: attribute 1 (`cap-shape`)");
    assert_format(tabular::parse_mushroom(b"", &p(f)), f, "no data rows");
    let s = "s.data";
    let mut fields: Vec<String> = (0..58).map(|_| "0".to_string()).collect();
    fields[10] = "abc".into();
    assert_format(tabular::parse_spambase(fields.join(",").as_bytes(), &p(s)), s, "line 1, field 11: `abc`");
    fields[10] = "0".into();
    fields[57] = "2".into();
    assert_format(tabular::parse_spambase(fields.join(",").as_bytes(), &p(s)), s, "label 2");
    assert_format(tabular::parse_spambase(b"1,2,3\r\n", &p(s)), s, "3 fields, expected 58");
}

#[test]
fn split_is_seeded_and_feat_trans_centres_the_class_means() {
    let mut rows = String::new();
    for i in 0..40 {
        let mut v: Vec<String> = (0..57).map(|j| format!("{}", ((i * 13 + j * 7) % 11) as f32)).collect();
        v.push(((i % 3 == 0) as u8).to_string());
        rows.push_str(&v.join(","));
        rows.push('\n');
    }
    let t = tabular::parse_spambase(rows.as_bytes(), &p("s")).unwrap();
    let s1 = tabular::split(&t, SplitOptions::paper(Seed(5))).unwrap();
    let s2 = tabular::split(&t, SplitOptions::paper(Seed(5))).unwrap();
    let s3 = tabular::split(&t, SplitOptions::paper(Seed(6))).unwrap();
    assert_eq!(s1, s2);
    assert_ne!(s1.train.labels, s3.train.labels);
    assert_eq!((s1.train.len(), s1.test.len()), (28, 12));
    // 001 eq B.23: after FEAT-TRANS, E(x | y=1) = −E(x | y=−1) on the training split.
    let mean = |ds: &inputgrad::TableDataset, l: usize, j: usize| {
        let v: Vec<f32> = ds.x.rows().into_iter().zip(&ds.labels).filter(|(_, &y)| y == l).map(|(r, _)| r[j]).collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    for j in 0..57 {
        let (m1, m0) = (mean(&s1.train, 1, j), mean(&s1.train, 0, j));
        assert!((m1 + m0).abs() < prec::F32_MEANS as f32, "feature {j}: {m1} vs {m0}");
    }
    let off = tabular::split(&t, SplitOptions { feat_trans: false, ..SplitOptions::paper(Seed(5)) }).unwrap();
    assert!(off.translation.is_none());
    let c = s1.translation.as_ref().unwrap();
    let diff = &off.test.x - &s1.test.x;
    for row in diff.rows() {
        for (a, b) in row.iter().zip(c) {
            assert!((a - b).abs() < prec::F32_EXACT as f32);
        }
    }
    assert!(tabular::split(&t, SplitOptions { train_fraction: 1.0, ..SplitOptions::paper(Seed(1)) }).is_err());

    // Standardisation with the training rows' statistics: each training column has mean 0 and
    // population standard deviation 1 (computed here in f64, independently), the test rows get
    // the same affine map, and a constant column is only centred.
    let mut z = off.clone();
    let stats = tabular::standardize(&mut z);
    for j in 0..57 {
        let col: Vec<f64> = z.train.x.column(j).iter().map(|&v| f64::from(v)).collect();
        let m = col.iter().sum::<f64>() / col.len() as f64;
        let sd = (col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / col.len() as f64).sqrt();
        assert!(m.abs() < prec::F32_EXACT && (sd - 1.0).abs() < prec::F32_EXACT, "column {j}: mean {m}, sd {sd}");
        let (mu, s) = stats[j];
        for (a, b) in off.test.x.column(j).iter().zip(z.test.x.column(j)) {
            assert!(((a - mu) / s - b).abs() < prec::F32_EXACT as f32);
        }
    }
    let mut flat = off.clone();
    flat.train.x.column_mut(0).fill(3.0);
    let stats = tabular::standardize(&mut flat);
    assert_eq!(stats[0], (3.0, 0.0));
    assert!(flat.train.x.column(0).iter().all(|&v| v == 0.0));
}

// ---------- BlockMNIST ----------

fn raw_split(n: usize) -> idx::RawSplit {
    let (im, lb) = synthetic_mnist(n);
    idx::parse_split(&im, &p("i"), &lb, &p("l")).unwrap()
}

#[test]
fn null_patch_and_letter_a_have_the_documented_strokes() {
    let patch = block_mnist::null_patch();
    let at = |b: &[u8; 784], r: usize, c: usize| b[r * 28 + c] == 255;
    // outline rows/cols 4..=5 and 22..=23 inside the 20×20 box, diagonals, empty border
    for k in 4..24 {
        assert!(at(&patch, 4, k) && at(&patch, 23, k) && at(&patch, k, 4) && at(&patch, k, 23));
        assert!(at(&patch, k, k) && at(&patch, k, 27 - k));
    }
    for k in 0..28 {
        assert!(!at(&patch, 0, k) && !at(&patch, 27, k) && !at(&patch, k, 1) && !at(&patch, k, 26));
    }
    assert!(!at(&patch, 10, 14), "between the diagonals and the edges the patch is empty");
    let a = block_mnist::letter_a();
    assert!(at(&a, 5, 13) || at(&a, 5, 14), "apex");
    assert!(at(&a, 22, 6) && at(&a, 22, 20), "feet");
    assert!(at(&a, 15, 13) && at(&a, 16, 14), "crossbar");
    assert!(!at(&a, 20, 13), "open below the crossbar");
    assert!(!at(&a, 2, 14), "nothing above the apex");
    assert_ne!(patch, a);
}

#[test]
fn blockmnist_places_signal_and_null_blocks_with_exact_masks() {
    let raw = raw_split(100);
    let norm = Normalization::default();
    let spec = BlockMnistSpec::paper(Seed(3));
    let b = block_mnist::build(&raw, &spec, &norm).unwrap();
    assert_eq!(b.data.x.shape(), &[20, 1, 56, 28]);
    assert_eq!(b.data.labels.len(), 20);
    assert_eq!(b.data.num_classes, 2);
    let patch = block_mnist::null_patch();
    let mask = b.data.signal_mask.as_ref().unwrap();
    for j in 0..20 {
        let src = b.source_index[j];
        assert_eq!(b.data.labels[j], raw.labels[src] as usize);
        let (sig_row, null_row) = if b.signal_on_top[j] { (0, 28) } else { (28, 0) };
        for r in 0..28 {
            for c in 0..28 {
                let want_sig = raw.images.pixels[src * 784 + r * 28 + c] as f32 / 255.0;
                assert!((b.data.x[[j, 0, sig_row + r, c]] - want_sig).abs() < prec::F32_ULPS as f32);
                assert_eq!(b.data.x[[j, 0, null_row + r, c]], patch[r * 28 + c] as f32 / 255.0);
                assert!(mask[[j, 0, sig_row + r, c]] && !mask[[j, 0, null_row + r, c]]);
            }
        }
    }
    let tops = b.signal_on_top.iter().filter(|&&t| t).count();
    assert!(tops > 0 && tops < 20, "random placement uses both positions ({tops}/20)");
    // same seed → same placements (fixed test set); another seed → different
    let again = block_mnist::build(&raw, &spec, &norm).unwrap();
    assert_eq!(again, b);
    let other = block_mnist::build(&raw, &BlockMnistSpec::paper(Seed(4)), &norm).unwrap();
    assert_ne!(other.signal_on_top, b.signal_on_top);
    assert_eq!(b.data.provenance, raw.provenance);
}

#[test]
fn blockmnist_top_class_sets_and_distractor() {
    let raw = raw_split(200);
    let norm = Normalization::default();
    for (digits, n) in [(&classes::TWO_FOUR[..], 40), (&classes::THREE_SEVEN[..], 40), (&classes::ALL[..], 200)] {
        let spec = BlockMnistSpec { digits: digits.to_vec(), placement: Placement::SignalTop, null: NullKind::Patch, seed: Seed(0) };
        let b = block_mnist::build(&raw, &spec, &norm).unwrap();
        assert_eq!(b.data.len(), n);
        assert!(b.signal_on_top.iter().all(|&t| t));
        assert_eq!(b.data.num_classes, digits.len());
        for (j, &src) in b.source_index.iter().enumerate() {
            assert_eq!(digits[b.data.labels[j]], raw.labels[src]);
        }
        assert!(spec.name().starts_with("blockmnist-top["));
    }
    let d = block_mnist::build(&raw, &BlockMnistSpec::distractor(Seed(1)), &Normalization::range(-1.0, 1.0)).unwrap();
    let a = block_mnist::letter_a();
    let j = d.signal_on_top.iter().position(|&t| t).unwrap();
    for r in 0..28 {
        for c in 0..28 {
            let want = if a[r * 28 + c] == 255 { 1.0 } else { -1.0 };
            assert_eq!(d.data.x[[j, 0, 28 + r, c]], want);
        }
    }
    assert!(matches!(block_mnist::build(&raw, &BlockMnistSpec { digits: vec![3], ..BlockMnistSpec::paper(Seed(0)) }, &norm), Err(Error::InvalidParam { .. })));
    assert!(matches!(block_mnist::build(&raw, &BlockMnistSpec { digits: vec![3, 11], ..BlockMnistSpec::paper(Seed(0)) }, &norm), Err(Error::InvalidParam { .. })));
}

#[test]
fn theory_block_data_becomes_a_table_dataset_with_its_signal_block_masked() {
    let spec = BlockSpec::scalar(6, 0.2).unwrap();
    let d = block_mnist::from_theory(&spec, 50, Seed(9)).unwrap();
    assert_eq!(d.x.shape(), &[50, 6]);
    let m = d.signal_mask.as_ref().unwrap();
    for i in 0..50 {
        let js: Vec<usize> = (0..6).filter(|&k| m[[i, k]]).collect();
        assert_eq!(js.len(), 1);
        assert!(js[0] < 3, "signal in the first d/2 blocks");
        let y = if d.labels[i] == 1 { 1.0 } else { -1.0 };
        assert!(d.x[[i, js[0]]] * y > 0.0, "signal block carries y·u*");
    }
    assert_eq!(d, block_mnist::from_theory(&spec, 50, Seed(9)).unwrap());
}

#[test]
fn normalization_is_validated() {
    assert!(Normalization::range(1.0, 1.0).validate(1).is_err());
    assert!(Normalization { range: (0.0, 1.0), mean_std: Some((vec![0.5; 2], vec![0.2; 2])) }.validate(3).is_err());
    assert!(Normalization { range: (0.0, 1.0), mean_std: Some((vec![0.5], vec![0.0])) }.validate(1).is_err());
    assert!(Normalization { range: (0.0, 1.0), mean_std: Some((vec![0.5; 3], vec![0.2; 3])) }.validate(3).is_ok());
}

/// The seed-002 toy set: one ±1 entry per row on the signal coordinate, label = sign, coordinates
/// within the chosen span, both spans used, balanced labels, seeded.
#[test]
fn toy_set_002() {
    use inputgrad::data::block_mnist::{toy_set, ToySignal};
    use inputgrad::rng::Seed;
    for (signal, span) in [(ToySignal::FirstHalf, 5), (ToySignal::All, 10)] {
        let t = toy_set(10, 2000, signal, Seed(3)).unwrap();
        let mask = t.signal_mask.as_ref().unwrap();
        let mut used = [false; 10];
        for i in 0..2000 {
            let nz: Vec<usize> = (0..10).filter(|j| t.x[[i, *j]] != 0.0).collect();
            assert_eq!(nz.len(), 1);
            let j = nz[0];
            assert!(j < span && mask[[i, j]]);
            used[j] = true;
            assert_eq!(t.x[[i, j]] > 0.0, t.labels[i] == 1);
        }
        assert!(used[..span].iter().all(|u| *u));
        let pos = t.labels.iter().filter(|l| **l == 1).count();
        assert!((900..1100).contains(&pos), "{pos}");
        assert_eq!(toy_set(10, 2000, signal, Seed(3)).unwrap().x, t.x);
    }
    assert!(toy_set(3, 10, ToySignal::All, Seed(0)).unwrap_err().to_string().contains("`d`"));
}

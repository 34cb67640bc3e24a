//! UCI Mushroom and Spambase (seed 001 §6, App. J.1), the FEAT-TRANS translation (seed 001 §2,
//! App. B.2) and the seeded 70/30 train/test split (seed 001 J.1).
//!
//! * Mushroom (`agaricus-lepiota.data`): 8124 rows of 23 one-letter fields, the class first (`e`
//!   edible, `p` poisonous), then 22 categorical attributes. Label 1 = edible (001 J.1). Each
//!   attribute is one-hot encoded over the values that occur in the file, in sorted order; the
//!   missing-value marker `?` (2480 times in attribute 11, stalk-root) is a category of its own.
//!   This gives 117 columns. (001 §6 says "120-dimensional" and J.1 "8142 instances"; the file has
//!   8124 rows, its `.names` lists 126 values of which 117 occur — the paper's 120 matches
//!   neither, so we keep the file's own categories.)
//! * Spambase (`spambase.data`): 4601 rows of 57 numeric attributes and the label (1 = spam),
//!   comma-separated, LF or CRLF line ends.
//!
//! FEAT-TRANS (001 Assumption FEAT-TRANS): x_i = x'_i − [E(x'_i | y = 1) + E(x'_i | y = −1)]/2, with
//! the conditional means estimated on the training split and the same shift applied to the test
//! split; then E(x_i | y) = a_i·y on the training split (001 Lemma 1, eq B.23). Label 1 plays y = +1
//! and label 0 plays y = −1.

use std::path::Path;

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;

use crate::data::{format_err, read_file, Provenance, TableDataset};
use crate::error::{Error, Result};
use crate::rng::Seed;

/// The 22 Mushroom attribute names, in file order (agaricus-lepiota.names, section 7).
pub const MUSHROOM_ATTRIBUTES: [&str; 22] = [
    "cap-shape", "cap-surface", "cap-color", "bruises", "odor", "gill-attachment", "gill-spacing",
    "gill-size", "gill-color", "stalk-shape", "stalk-root", "stalk-surface-above-ring",
    "stalk-surface-below-ring", "stalk-color-above-ring", "stalk-color-below-ring", "veil-type",
    "veil-color", "ring-number", "ring-type", "spore-print-color", "population", "habitat",
];

/// The 57 Spambase attribute names, in file order (spambase.names).
pub const SPAMBASE_ATTRIBUTES: [&str; 57] = [
    "word_freq_make", "word_freq_address", "word_freq_all", "word_freq_3d", "word_freq_our",
    "word_freq_over", "word_freq_remove", "word_freq_internet", "word_freq_order", "word_freq_mail",
    "word_freq_receive", "word_freq_will", "word_freq_people", "word_freq_report",
    "word_freq_addresses", "word_freq_free", "word_freq_business", "word_freq_email", "word_freq_you",
    "word_freq_credit", "word_freq_your", "word_freq_font", "word_freq_000", "word_freq_money",
    "word_freq_hp", "word_freq_hpl", "word_freq_george", "word_freq_650", "word_freq_lab",
    "word_freq_labs", "word_freq_telnet", "word_freq_857", "word_freq_data", "word_freq_415",
    "word_freq_85", "word_freq_technology", "word_freq_1999", "word_freq_parts", "word_freq_pm",
    "word_freq_direct", "word_freq_cs", "word_freq_meeting", "word_freq_original",
    "word_freq_project", "word_freq_re", "word_freq_edu", "word_freq_table", "word_freq_conference",
    "char_freq_;", "char_freq_(", "char_freq_[", "char_freq_!", "char_freq_$", "char_freq_#",
    "capital_run_length_average", "capital_run_length_longest", "capital_run_length_total",
];

/// A table with named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The rows (labels 0/1), no normalisation.
    pub data: TableDataset,
    /// One name per column, e.g. `odor=n` or `word_freq_free`.
    pub feature_names: Vec<String>,
}

fn records(bytes: &[u8], path: &Path, arity: usize) -> Result<Vec<(usize, csv::ByteRecord)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut out = Vec::new();
    for r in rdr.byte_records() {
        let r = r.map_err(|e| format_err(path, format!("unreadable CSV: {e}")))?;
        let line = r.position().map(|p| p.line() as usize).unwrap_or(0);
        if r.len() == 1 && r[0].is_empty() {
            continue;
        }
        if r.len() != arity {
            return Err(format_err(path, format!("line {line}: {} fields, expected {arity}", r.len())));
        }
        out.push((line, r));
    }
    if out.is_empty() {
        return Err(format_err(path, "no data rows"));
    }
    Ok(out)
}

/// Parses `agaricus-lepiota.data` into one-hot rows (labels: 1 = edible).
pub fn parse_mushroom(bytes: &[u8], path: &Path) -> Result<Table> {
    let rows = records(bytes, path, 1 + MUSHROOM_ATTRIBUTES.len())?;
    let mut cats: Vec<Vec<u8>> = vec![Vec::new(); MUSHROOM_ATTRIBUTES.len()];
    let mut labels = Vec::with_capacity(rows.len());
    for (line, r) in &rows {
        labels.push(match &r[0] {
            b"e" => 1,
            b"p" => 0,
            other => return Err(format_err(path, format!("line {line}: class `{}` is neither `e` nor `p`", String::from_utf8_lossy(other)))),
        });
        for (j, field) in r.iter().skip(1).enumerate() {
            if field.len() != 1 || !field[0].is_ascii_graphic() {
                return Err(format_err(path, format!("line {line}: attribute {} (`{}`) must be one letter or `?`, got `{}`", j + 1, MUSHROOM_ATTRIBUTES[j], String::from_utf8_lossy(field))));
            }
            if !cats[j].contains(&field[0]) {
                cats[j].push(field[0]);
            }
        }
    }
    for c in &mut cats {
        c.sort_unstable();
    }
    let offsets: Vec<usize> = cats.iter().scan(0, |acc, c| {
        let o = *acc;
        *acc += c.len();
        Some(o)
    }).collect();
    let d: usize = cats.iter().map(Vec::len).sum();
    let mut x = Array2::<f32>::zeros((rows.len(), d));
    for (i, (_, r)) in rows.iter().enumerate() {
        for (j, field) in r.iter().skip(1).enumerate() {
            // The value was added to cats[j] above.
            let k = cats[j].iter().position(|&c| c == field[0]).unwrap_or(0);
            x[[i, offsets[j] + k]] = 1.0;
        }
    }
    let feature_names = cats
        .iter()
        .enumerate()
        .flat_map(|(j, c)| c.iter().map(move |&v| format!("{}={}", MUSHROOM_ATTRIBUTES[j], v as char)))
        .collect();
    let data = TableDataset {
        name: "mushroom".into(),
        x,
        labels,
        num_classes: 2,
        signal_mask: None,
        normalization: None,
        provenance: vec![Provenance::of(path, bytes)],
        recipe: "UCI mushroom, one-hot over observed values ('?' a category), edible = 1".into(),
    };
    data.validate()?;
    Ok(Table { data, feature_names })
}

/// Parses `spambase.data` (labels: 1 = spam).
pub fn parse_spambase(bytes: &[u8], path: &Path) -> Result<Table> {
    let n_attr = SPAMBASE_ATTRIBUTES.len();
    let rows = records(bytes, path, n_attr + 1)?;
    let mut flat = Vec::with_capacity(rows.len() * n_attr);
    let mut labels = Vec::with_capacity(rows.len());
    for (line, r) in &rows {
        for (j, field) in r.iter().enumerate() {
            let s = std::str::from_utf8(field).ok();
            let v: Option<f64> = s.and_then(|s| s.parse().ok()).filter(|v: &f64| v.is_finite());
            let Some(v) = v else {
                return Err(format_err(path, format!("line {line}, field {}: `{}` is not a finite number", j + 1, String::from_utf8_lossy(field))));
            };
            if j < n_attr {
                flat.push(v as f32);
            } else if v == 0.0 || v == 1.0 {
                labels.push(v as usize);
            } else {
                return Err(format_err(path, format!("line {line}: label {v} is neither 0 nor 1")));
            }
        }
    }
    let x = Array2::from_shape_vec((rows.len(), n_attr), flat).map_err(|e| Error::Shape(e.to_string()))?;
    let data = TableDataset {
        name: "spambase".into(),
        x,
        labels,
        num_classes: 2,
        signal_mask: None,
        normalization: None,
        provenance: vec![Provenance::of(path, bytes)],
        recipe: "UCI spambase, 57 numeric attributes, spam = 1".into(),
    };
    data.validate()?;
    Ok(Table { data, feature_names: SPAMBASE_ATTRIBUTES.iter().map(|s| s.to_string()).collect() })
}

/// Reads `<dir>/agaricus-lepiota.data` (the data-dir's `uci` folder).
pub fn load_mushroom(dir: &Path) -> Result<Table> {
    let p = dir.join("agaricus-lepiota.data");
    missing(&p, "mushroom")?;
    parse_mushroom(&read_file(&p)?, &p)
}

/// Reads `<dir>/spambase.data` (the data-dir's `uci` folder).
pub fn load_spambase(dir: &Path) -> Result<Table> {
    let p = dir.join("spambase.data");
    missing(&p, "spambase")?;
    parse_spambase(&read_file(&p)?, &p)
}

fn missing(p: &Path, name: &str) -> Result<()> {
    if p.is_file() {
        Ok(())
    } else {
        Err(Error::MissingData { name: name.into(), hint: format!("{} is missing; `inputgrad data fetch {name}` downloads it", p.display()) })
    }
}

/// How to split a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitOptions {
    /// Fraction of rows for training: 0.7 in seed 001 J.1 ("a 70/30 train/test split").
    pub train_fraction: f64,
    /// Seed of the shuffle.
    pub seed: Seed,
    /// Apply the FEAT-TRANS translation (fitted on the training rows).
    pub feat_trans: bool,
}

impl SplitOptions {
    /// Seed 001 J.1: 70/30, FEAT-TRANS on.
    pub fn paper(seed: Seed) -> Self {
        SplitOptions { train_fraction: 0.7, seed, feat_trans: true }
    }
}

/// A train/test split of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSplit {
    /// Training rows.
    pub train: TableDataset,
    /// Test rows.
    pub test: TableDataset,
    /// Column names.
    pub feature_names: Vec<String>,
    /// The FEAT-TRANS shift c_i subtracted from every column (None when off).
    pub translation: Option<Vec<f32>>,
}

/// The FEAT-TRANS shift c_i = [mean(x_i | label 1) + mean(x_i | label 0)] / 2 (001 B.2, Lemma 1).
pub fn feat_trans_shift(ds: &TableDataset) -> Result<Vec<f32>> {
    let d = ds.dim();
    let (mut s1, mut s0) = (vec![0f64; d], vec![0f64; d]);
    let (mut n1, mut n0) = (0usize, 0usize);
    for (row, &l) in ds.x.axis_iter(Axis(0)).zip(&ds.labels) {
        let (s, n) = match l {
            1 => (&mut s1, &mut n1),
            0 => (&mut s0, &mut n0),
            other => return Err(Error::param("labels", format!("FEAT-TRANS needs binary labels, found {other}"))),
        };
        *n += 1;
        for (a, &v) in s.iter_mut().zip(row.iter()) {
            *a += v as f64;
        }
    }
    if n1 == 0 || n0 == 0 {
        return Err(Error::param("labels", format!("FEAT-TRANS needs both classes, have {n1} of label 1 and {n0} of label 0")));
    }
    Ok(s1.iter().zip(&s0).map(|(a, b)| ((a / n1 as f64 + b / n0 as f64) / 2.0) as f32).collect())
}

/// Shuffles the rows with `opts.seed`, takes round(fraction · N) for training, the rest for test,
/// and applies FEAT-TRANS fitted on the training rows.
pub fn split(table: &Table, opts: SplitOptions) -> Result<TableSplit> {
    let f = opts.train_fraction;
    if !(f > 0.0 && f < 1.0) {
        return Err(Error::param("train_fraction", format!("must be in (0, 1), got {f}")));
    }
    let n = table.data.len();
    let n_train = (f * n as f64).round() as usize;
    if n_train == 0 || n_train == n {
        return Err(Error::param("train_fraction", format!("{f} of {n} rows leaves one side empty")));
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut opts.seed.rng());
    let base = &table.data.name;
    let mut train = table.data.select(&idx[..n_train], format!("{base}-train"))?;
    let mut test = table.data.select(&idx[n_train..], format!("{base}-test"))?;
    let recipe = format!("{}; split {:.2}/{:.2} seed {}; feat_trans {}", table.data.recipe, f, 1.0 - f, opts.seed.0, opts.feat_trans);
    train.recipe.clone_from(&recipe);
    test.recipe = recipe;
    let translation = if opts.feat_trans {
        let c = feat_trans_shift(&train)?;
        let shift = ndarray::Array1::from(c.clone());
        train.x -= &shift;
        test.x -= &shift;
        Some(c)
    } else {
        None
    };
    Ok(TableSplit { train, test, feature_names: table.feature_names.clone(), translation })
}

/// Standardises every column to mean 0 and standard deviation 1 (population form, ddof 0) with
/// the statistics of the training rows, applied to both splits — seed 001's code does this for
/// Spambase (sklearn's `StandardScaler` fitted on the training split). A constant training column
/// is only centred. Returns the (mean, std) of each column.
pub fn standardize(split: &mut TableSplit) -> Vec<(f32, f32)> {
    let n = split.train.len().max(1) as f64;
    let stats: Vec<(f32, f32)> = split
        .train
        .x
        .axis_iter(Axis(1))
        .map(|col| {
            let mean = col.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = col.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
            (mean as f32, var.sqrt() as f32)
        })
        .collect();
    for x in [&mut split.train.x, &mut split.test.x] {
        for mut row in x.axis_iter_mut(Axis(0)) {
            for (v, &(m, s)) in row.iter_mut().zip(&stats) {
                *v = if s > 0.0 { (*v - m) / s } else { *v - m };
            }
        }
    }
    let note = "; standardised with the training rows' mean and std";
    split.train.recipe.push_str(note);
    split.test.recipe.push_str(note);
    stats
}

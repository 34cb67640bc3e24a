//! # inputgrad
//!
//! Executable theory and reproducible experiments on whether input gradients highlight
//! discriminative features, and why adversarially robust models' gradients do.
//!
//! * [`theory`] — exact f64 mathematics of the seed papers (no burn, no I/O).
//! * [`data`] — bytes on disk → arrays: MNIST/Fashion-MNIST, CIFAR, SVHN, ImageFolder, UCI tables,
//!   the BlockMNIST family; the data store (`check`, `fetch`).
//! * [`model`] — the classifiers of the papers on burn (flattened inputs `[N, D]`, logits
//!   `[N, K]`), seed 004's autoencoder and denoiser; `model::kernels`, the CPU fast paths.
//! * [`train`] — threat models, PGD, objectives and penalties, the trainer with exact resume,
//!   `train::job` (a standalone run into a folder, as `inputgrad train`).
//! * [`attribution`] — attribution methods (saliency, Integrated Gradients, SmoothGrad, SHAP,
//!   DeepLIFT, Guided Backprop, LRP, occlusion, controls) and the rankings metrics use.
//! * [`metric`] — what the experiments measure: DiffROAR, leakage, sparseness, robustness,
//!   on/off-manifold change, similarity (cosine, SSIM, LPIPS).
//! * [`experiment`] — one spec per figure: `inputgrad run <id>` / `inputgrad plot <id>`; the
//!   [`experiment::Experiment`] trait lets a user's binary register more
//!   (`examples/extend_conjecture.rs`).
//! * [`plot`] — figures (image grids, line plots, heat-map grids).
//! * [`verify`] — the registry of numerical checks behind `inputgrad verify` and `cargo test`.
//! * [`prec`] — named tolerances; [`rng`] — seeds; [`error`] — the error type; [`checksum`] —
//!   md5/sha256 fingerprints and official checksums; [`fsio`] — atomic writes.
//!
//! A model, a batch and an attribution (the gradient of each example's predicted logit):
//!
//! ```
//! use burn::backend::{Autodiff, NdArray};
//! use burn::tensor::Tensor;
//! use inputgrad::attribution::{attribute, Class, Saliency, Target};
//! use inputgrad::model::{self, Activation, InputShape, ModelSpec};
//! use inputgrad::Seed;
//!
//! type B = Autodiff<NdArray<f32>>;
//! let device = Default::default();
//! // A ReLU MLP for 12 features and 3 classes, its weights drawn from seed 0.
//! let spec = ModelSpec::Mlp { hidden: vec![16], activation: Activation::Relu, mean_field: false };
//! let net = model::build::<B>(&spec, InputShape::Flat(12), 3, Seed(0), &device)?;
//! // Four examples, flattened: `[N, D]` = `[4, 12]`.
//! let x = Tensor::<NdArray<f32>, 2>::from_floats([[0.5f32; 12]; 4], &device);
//! let (a, _target) = attribute::<B, _>(&Saliency::default(), &net, x, Target::Logit(Class::Predicted), None)?;
//! assert_eq!(a.values.dims(), [4, 12]);
//! // Equal inputs, equal explanations.
//! let rows = inputgrad::attribution::rows_of(&a.values)?;
//! assert!(rows.iter().all(|r| r == &rows[0]));
//! # Ok::<(), inputgrad::Error>(())
//! ```

pub mod attribution;
pub mod checksum;
pub mod cli;
pub mod data;
pub mod error;
pub mod experiment;
pub mod fsio;
pub mod metric;
pub mod model;
pub mod plot;
pub mod prec;
mod primitive;
pub mod rng;
pub mod theory;
pub mod train;
pub mod verify;

pub use data::{Dataset, ImageDataset, Normalization, Provenance, TableDataset};
pub use error::{Error, Result};
pub use rng::Seed;

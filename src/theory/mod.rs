//! Exact f64 mathematics of the seed papers. Nothing here imports burn or touches files.
//!
//! One paper result per file; each file names its equation and its proofs/ document.

pub mod adversarial_margin;
pub mod block_bayes;
pub mod block_data;
pub mod density;
pub mod gini;
pub mod ig;
pub mod linear_adv;
pub mod manifold;
pub mod max_margin;
pub mod mean_field;
pub mod mm_solver;
pub mod multiclass_adv;
pub mod psi;
pub mod scan;

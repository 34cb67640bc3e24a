//! Wide one-hidden-layer ReLU networks in the mean-field scaling, trained by full-batch gradient
//! descent, standard or ℓ∞-adversarial — seed 000 §6 (Fig 5) and App. F (Fig 31).
//!
//! f(θ, x) = (1/m) Σ_k a_k φ(⟨r_k, x⟩ + b_k), φ = ReLU, loss L = (1/n) Σ_i log(1 + exp(−y_i f(x_i))).
//! Both layers are trained. In the mean-field time scale each neuron moves at O(1) speed:
//! θ_k ← θ_k − lr · m · ∂L/∂θ_k (the m cancels the 1/m of the output), which is gradient descent on
//! the Wasserstein space of seed 000 eq (3) as m → ∞.
//!
//! Why not burn: the data of eq (2) are a handful of points in ℝ^d (d = 10), the width is 10⁴–5·10⁴,
//! and an adversarial step needs a dozen passes over all neurons. As tensor ops each pass
//! allocates and writes n×m intermediates; here one pass streams over the neurons once, fused, in
//! f64 (the margins are compared with the solver's certified values), in parallel over fixed
//! chunks of neurons whose partial sums are added in chunk order — the same numbers for any
//! number of threads. Gradients are checked against central finite differences
//! (tests/wide.rs) and the network converts to the theory's [`Measure`].

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::Seed;
use crate::theory::mean_field::{Measure, Neuron};

/// Neurons per parallel work item. Fixed, so that the order of floating-point additions — and
/// therefore every result bit — does not depend on the number of threads.
const CHUNK: usize = 256;

/// A one-hidden-layer ReLU net with 1/m output scaling; neuron k is θ_k = (a_k, r_k, b_k).
///
/// Storage: the neurons are cut into chunks of `CHUNK`; the input weights of a chunk of length L
/// are stored coordinate by coordinate (d rows of L values, [`WideNet::r_index`]), so that every
/// inner loop runs over neurons along contiguous memory and vectorises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WideNet {
    d: usize,
    a: Vec<f64>,
    r: Vec<f64>,
    b: Vec<f64>,
}

/// A batch of labelled points: `x` row-major n × d, `y` in {−1, +1}.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Inputs, row-major n × d.
    pub x: &'a [f64],
    /// Labels ±1.
    pub y: &'a [f64],
    /// Input dimension.
    pub d: usize,
}

impl<'a> Batch<'a> {
    /// Validates shapes and labels.
    pub fn new(x: &'a [f64], y: &'a [f64], d: usize) -> Result<Self> {
        if d == 0 || x.len() != y.len() * d {
            return Err(Error::Shape(format!("batch: {} inputs for {} labels of dimension {d}", x.len(), y.len())));
        }
        if let Some(i) = y.iter().position(|&v| v != 1.0 && v != -1.0) {
            return Err(Error::param(format!("y[{i}]"), format!("labels must be ±1, got {}", y[i])));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::param("x", "inputs must be finite"));
        }
        Ok(Self { x, y, d })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    fn row(&self, i: usize) -> &'a [f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// ∂L/∂θ for every parameter, in the storage layout of [`WideNet`] (r indexed by
/// [`WideNet::r_index`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WideGrad {
    /// ∂L/∂a_k.
    pub a: Vec<f64>,
    /// ∂L/∂(r_k)_j at [`WideNet::r_index`]`(k, j)`.
    pub r: Vec<f64>,
    /// ∂L/∂b_k.
    pub b: Vec<f64>,
}

/// Σ_k u_k v_k with four interleaved accumulators: a fixed order (deterministic) and independent
/// lanes (vectorises).
fn dot(u: &[f64], v: &[f64]) -> f64 {
    let n4 = u.len().min(v.len()) / 4 * 4;
    let mut acc = [0.0f64; 4];
    for (cu, cv) in u[..n4].chunks_exact(4).zip(v[..n4].chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += cu[l] * cv[l];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (a, b) in u[n4..].iter().zip(&v[n4..]) {
        s += a * b;
    }
    s
}

/// log(1 + e^{−t}) without overflow.
fn logistic_loss(t: f64) -> f64 {
    if t > 0.0 {
        (-t).exp().ln_1p()
    } else {
        -t + t.exp().ln_1p()
    }
}

/// σ(−t) = 1 / (1 + e^{t}) without overflow: minus the derivative of [`logistic_loss`].
fn sigmoid_neg(t: f64) -> f64 {
    if t > 0.0 {
        let e = (-t).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + t.exp())
    }
}

/// Adds per-chunk partial vectors in chunk order.
fn sum_in_order(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for p in parts {
        for (o, v) in out.iter_mut().zip(p) {
            *o += v;
        }
    }
    out
}

/// One chunk of neurons: a and b of length L, r as d rows of L.
struct Chunk<'n> {
    a: &'n [f64],
    r: &'n [f64],
    b: &'n [f64],
}

impl Chunk<'_> {
    fn len(&self) -> usize {
        self.a.len()
    }

    /// z_k = ⟨r_k, x⟩ + b_k for the chunk's neurons (zero coordinates of x skipped).
    fn pre(&self, x: &[f64], z: &mut [f64]) {
        let l = self.len();
        z.copy_from_slice(self.b);
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                for (zk, rk) in z.iter_mut().zip(&self.r[j * l..(j + 1) * l]) {
                    *zk += xj * rk;
                }
            }
        }
    }

    /// m·∂L/∂θ_k = Σ_i c_i (φ(z_ik), a_k φ'(z_ik) x_i, a_k φ'(z_ik)) for the chunk's neurons, into
    /// (da, dr as d rows of L, db).
    fn direction(&self, batch: &Batch<'_>, c: &[f64], da: &mut [f64], dr: &mut [f64], db: &mut [f64]) {
        let l = self.len();
        let (mut z, mut t) = (vec![0.0; l], vec![0.0; l]);
        da.fill(0.0);
        dr.fill(0.0);
        db.fill(0.0);
        for (i, &ci) in c.iter().enumerate() {
            let xi = batch.row(i);
            self.pre(xi, &mut z);
            for k in 0..l {
                let on = z[k] > 0.0;
                t[k] = if on { ci } else { 0.0 };
                da[k] += if on { ci * z[k] } else { 0.0 };
                db[k] += t[k];
            }
            for (j, &xj) in xi.iter().enumerate() {
                if xj != 0.0 {
                    for (v, tk) in dr[j * l..(j + 1) * l].iter_mut().zip(&t) {
                        *v += tk * xj;
                    }
                }
            }
        }
        for (v, ak) in db.iter_mut().zip(self.a) {
            *v *= ak;
        }
        for row in dr.chunks_mut(l) {
            for (v, ak) in row.iter_mut().zip(self.a) {
                *v *= ak;
            }
        }
    }
}

impl WideNet {
    /// Width m neurons on inputs of dimension d, every parameter i.i.d. N(0, s²/(d + 2)) so that
    /// E‖θ_k‖² = s² (`init_scale` = s). Draw order: all a_k, then r neuron by neuron, then all b_k.
    pub fn init(d: usize, m: usize, init_scale: f64, seed: Seed) -> Result<Self> {
        if d == 0 || m == 0 {
            return Err(Error::param("width", format!("need d >= 1 and m >= 1, got d = {d}, m = {m}")));
        }
        if !(init_scale.is_finite() && init_scale > 0.0) {
            return Err(Error::param("init_scale", format!("must be finite and > 0, got {init_scale}")));
        }
        use rand_distr::{Distribution, Normal};
        let std = init_scale / ((d + 2) as f64).sqrt();
        let normal = Normal::new(0.0, std).map_err(|e| Error::param("init_scale", e.to_string()))?;
        let mut rng = seed.rng();
        let mut draw = |n: usize| -> Vec<f64> { (0..n).map(|_| normal.sample(&mut rng)).collect() };
        let a = draw(m);
        let rows = draw(m * d);
        let b = draw(m);
        Self::from_parts(d, a, rows, b)
    }

    /// A net from its parameters, `r_rows` row-major m × d (row k = r_k); checked shapes, finite values.
    pub fn from_parts(d: usize, a: Vec<f64>, r_rows: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        let m = a.len();
        if d == 0 || m == 0 || r_rows.len() != m * d || b.len() != m {
            return Err(Error::Shape(format!("wide net: d = {d}, |a| = {m}, |r| = {}, |b| = {}", r_rows.len(), b.len())));
        }
        if a.iter().chain(&r_rows).chain(&b).any(|v| !v.is_finite()) {
            return Err(Error::param("theta", "parameters must be finite"));
        }
        let mut net = Self { d, a, r: vec![0.0; m * d], b };
        for k in 0..m {
            for j in 0..d {
                let i = net.r_index(k, j);
                net.r[i] = r_rows[k * d + j];
            }
        }
        Ok(net)
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Width m.
    pub fn width(&self) -> usize {
        self.a.len()
    }

    /// Output weights a_k.
    pub fn a(&self) -> &[f64] {
        &self.a
    }

    /// Biases b_k.
    pub fn b(&self) -> &[f64] {
        &self.b
    }

    /// Where (r_k)_j is stored in the input-weight vector (of the net and of [`WideGrad`]).
    pub fn r_index(&self, k: usize, j: usize) -> usize {
        let s = k / CHUNK * CHUNK;
        let l = CHUNK.min(self.width() - s);
        s * self.d + j * l + (k - s)
    }

    /// The input weights r_k of neuron k.
    pub fn r_of(&self, k: usize) -> Vec<f64> {
        (0..self.d).map(|j| self.r[self.r_index(k, j)]).collect()
    }

    /// Mutable (a, r, b), r in the storage layout ([`Self::r_index`]).
    pub fn params_mut(&mut self) -> (&mut [f64], &mut [f64], &mut [f64]) {
        (&mut self.a, &mut self.r, &mut self.b)
    }

    fn check(&self, batch: &Batch<'_>) -> Result<()> {
        if batch.d != self.d {
            return Err(Error::Shape(format!("inputs of dimension {} for a net on dimension {}", batch.d, self.d)));
        }
        Ok(())
    }

    fn chunks(&self) -> Vec<Chunk<'_>> {
        let d = self.d;
        self.a.chunks(CHUNK).zip(self.r.chunks(CHUNK * d)).zip(self.b.chunks(CHUNK)).map(|((a, r), b)| Chunk { a, r, b }).collect()
    }

    fn rows_of(&self, x: &[f64]) -> Result<usize> {
        if !x.len().is_multiple_of(self.d) {
            return Err(Error::Shape(format!("{} input values are not rows of dimension {}", x.len(), self.d)));
        }
        Ok(x.len() / self.d)
    }

    /// Σ over neurons, divided by m, of a per-chunk partial vector of length `len`: `per_chunk`
    /// fills one chunk's partial sums; chunks run in parallel and their vectors are added in chunk
    /// order, so the result does not depend on the thread count.
    fn mean_over_chunks(&self, len: usize, per_chunk: impl Fn(&Chunk<'_>, &mut [f64]) + Sync) -> Vec<f64> {
        let parts: Vec<Vec<f64>> = self
            .chunks()
            .into_par_iter()
            .map(|ch| {
                let mut out = vec![0.0; len];
                per_chunk(&ch, &mut out);
                out
            })
            .collect();
        let m = self.width() as f64;
        let mut all = sum_in_order(parts, len);
        all.iter_mut().for_each(|v| *v /= m);
        all
    }

    /// f(x_i) for every row of `x` (row-major n × d).
    pub fn logits(&self, x: &[f64]) -> Result<Vec<f64>> {
        let d = self.d;
        let n = self.rows_of(x)?;
        Ok(self.mean_over_chunks(n, |ch, out| {
            let mut z = vec![0.0; ch.len()];
            for (i, o) in out.iter_mut().enumerate() {
                ch.pre(&x[i * d..(i + 1) * d], &mut z);
                z.iter_mut().for_each(|v| *v = v.max(0.0));
                *o = dot(ch.a, &z);
            }
        }))
    }

    /// f(x_i) and ∇ₓ f(x_i) (row-major n × d) for every row of `x`; φ'(0) = 0.
    pub fn logits_and_input_grads(&self, x: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let d = self.d;
        let n = self.rows_of(x)?;
        // One partial vector per chunk: n logits, then n·d gradient entries.
        let mut all = self.mean_over_chunks(n * (d + 1), |ch, out| {
            let l = ch.len();
            let (mut z, mut w) = (vec![0.0; l], vec![0.0; l]);
            let (f, g) = out.split_at_mut(n);
            for i in 0..n {
                ch.pre(&x[i * d..(i + 1) * d], &mut z);
                // w_k = a_k φ'(z_k); then f = Σ w_k z_k and ∂f/∂x_j = Σ w_k (r_k)_j.
                for k in 0..l {
                    w[k] = if z[k] > 0.0 { ch.a[k] } else { 0.0 };
                }
                f[i] = dot(&w, &z);
                for (j, gj) in g[i * d..(i + 1) * d].iter_mut().enumerate() {
                    *gj = dot(&w, &ch.r[j * l..(j + 1) * l]);
                }
            }
        });
        let g = all.split_off(n);
        Ok((all, g))
    }

    /// The mean logistic loss on `batch`.
    pub fn loss(&self, batch: &Batch<'_>) -> Result<f64> {
        self.check(batch)?;
        let f = self.logits(batch.x)?;
        Ok(f.iter().zip(batch.y).map(|(f, y)| logistic_loss(y * f)).sum::<f64>() / batch.len().max(1) as f64)
    }

    /// The loss and its gradient with respect to every parameter (the true gradient, with the 1/m).
    pub fn loss_and_grad(&self, batch: &Batch<'_>) -> Result<(f64, WideGrad)> {
        self.check(batch)?;
        let (loss, c) = self.loss_weights(batch)?;
        let d = self.d;
        let m = self.width();
        let mut g = WideGrad { a: vec![0.0; m], r: vec![0.0; m * d], b: vec![0.0; m] };
        let inv_m = 1.0 / m as f64;
        let chunks = self.chunks();
        g.a.par_chunks_mut(CHUNK).zip(g.r.par_chunks_mut(CHUNK * d)).zip(g.b.par_chunks_mut(CHUNK)).zip(chunks).for_each(|(((ga, gr), gb), ch)| {
            ch.direction(batch, &c, ga, gr, gb);
            ga.iter_mut().chain(gr.iter_mut()).chain(gb.iter_mut()).for_each(|v| *v *= inv_m);
        });
        Ok((loss, g))
    }

    /// The loss and c_i = ∂L/∂f(x_i) = −y_i σ(−y_i f(x_i)) / n.
    fn loss_weights(&self, batch: &Batch<'_>) -> Result<(f64, Vec<f64>)> {
        let f = self.logits(batch.x)?;
        let n = batch.len().max(1) as f64;
        let loss = f.iter().zip(batch.y).map(|(f, y)| logistic_loss(y * f)).sum::<f64>() / n;
        let c = f.iter().zip(batch.y).map(|(f, y)| -y * sigmoid_neg(y * f) / n).collect();
        Ok((loss, c))
    }

    /// One full-batch gradient-descent step in mean-field time: θ_k ← θ_k − lr · m · ∂L/∂θ_k.
    /// Returns the loss before the step.
    pub fn gd_step(&mut self, batch: &Batch<'_>, lr: f64) -> Result<f64> {
        self.check(batch)?;
        let (loss, c) = self.loss_weights(batch)?;
        if !loss.is_finite() {
            return Err(Error::Diverged { step: 0, reason: format!("loss is {loss}") });
        }
        let d = self.d;
        // A chunk's directions depend on its own parameters and on c only: compute, then apply.
        self.a.par_chunks_mut(CHUNK).zip(self.r.par_chunks_mut(CHUNK * d)).zip(self.b.par_chunks_mut(CHUNK)).for_each(|((a, r), b)| {
            let l = a.len();
            let (mut da, mut dr, mut db) = (vec![0.0; l], vec![0.0; l * d], vec![0.0; l]);
            Chunk { a, r, b }.direction(batch, &c, &mut da, &mut dr, &mut db);
            for (p, v) in a.iter_mut().zip(&da).chain(r.iter_mut().zip(&dr)).chain(b.iter_mut().zip(&db)) {
                *p -= lr * v;
            }
        });
        Ok(loss)
    }

    /// (1/m) Σ_k ‖θ_k‖², the squared-norm budget by which f is divided in the normalised margin.
    pub fn mean_sq_norm(&self) -> f64 {
        (dot(&self.a, &self.a) + dot(&self.r, &self.r) + dot(&self.b, &self.b)) / self.width() as f64
    }

    /// min_i y_i f(x_i) / ((1/m) Σ_k ‖θ_k‖²): the margin of the probability measure on the unit
    /// sphere that this net represents ([`Self::to_measure`]); f is 2-homogeneous in each θ_k.
    pub fn normalized_margin(&self, batch: &Batch<'_>) -> Result<f64> {
        self.check(batch)?;
        let f = self.logits(batch.x)?;
        let min = f.iter().zip(batch.y).map(|(f, y)| y * f).fold(f64::INFINITY, f64::min);
        Ok(min / self.mean_sq_norm())
    }

    /// The probability measure ν = Σ_k (‖θ_k‖² / Σ_l ‖θ_l‖²) δ_{θ_k/‖θ_k‖} on the unit sphere, for
    /// which f(ν, x) = f(θ, x) / ((1/m) Σ_k ‖θ_k‖²). Neurons with θ_k = 0 carry no mass and are dropped.
    pub fn to_measure(&self) -> Result<Measure> {
        let mut atoms = Vec::with_capacity(self.width());
        let mut total = 0.0;
        for k in 0..self.width() {
            let th = Neuron::new(self.a[k], nalgebra::DVector::from_vec(self.r_of(k)), self.b[k]);
            let n = th.norm();
            if n > 0.0 {
                total += n * n;
                atoms.push((n * n, Neuron::new(th.w / n, th.r / n, th.b / n)));
            }
        }
        if total == 0.0 {
            return Err(Error::param("theta", "every neuron is zero"));
        }
        Measure::new(atoms.into_iter().map(|(m, th)| (m / total, th)).collect())
    }

    /// ℓ∞ PGD against the margin y·f: from x₀ (no random start, seed 000 App. C.1), `steps` signed
    /// steps of size `step` on y·f, each projected onto ‖x − x₀‖∞ ≤ ε. Returns, per point, the
    /// iterate with the smallest y·f seen (x₀ included, so it is never worse than its start), row-major.
    pub fn pgd_linf(&self, batch: &Batch<'_>, eps: f64, steps: usize, step: f64) -> Result<Vec<f64>> {
        self.check(batch)?;
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::param("eps", format!("must be finite and >= 0, got {eps}")));
        }
        if !(step.is_finite() && step >= 0.0) {
            return Err(Error::param("step", format!("must be finite and >= 0, got {step}")));
        }
        let d = self.d;
        let n = batch.len();
        let mut x = batch.x.to_vec();
        let mut best = x.clone();
        let mut best_m = vec![f64::INFINITY; n];
        for it in 0..=steps {
            let (f, g) = self.logits_and_input_grads(&x)?;
            for i in 0..n {
                let yi = batch.y[i];
                if yi * f[i] < best_m[i] {
                    best_m[i] = yi * f[i];
                    best[i * d..(i + 1) * d].copy_from_slice(&x[i * d..(i + 1) * d]);
                }
            }
            if it == steps {
                break;
            }
            for i in 0..n {
                let yi = batch.y[i];
                for j in 0..d {
                    let gj = yi * g[i * d + j];
                    let s = if gj > 0.0 { -step } else if gj < 0.0 { step } else { 0.0 };
                    let x0 = batch.x[i * d + j];
                    x[i * d + j] = (x[i * d + j] + s).clamp(x0 - eps, x0 + eps);
                }
            }
        }
        Ok(best)
    }
}

/// The ℓ∞ adversary used during training: PGD from the clean point (seed 000 App. C.1: step ε/4,
/// 8 steps, no random initialisation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinfAdversary {
    /// Radius ε.
    pub eps: f64,
    /// PGD steps.
    pub steps: usize,
    /// Step size as a fraction of ε.
    pub step_fraction: f64,
}

impl LinfAdversary {
    /// Seed 000 App. C.1's training attack: 8 steps of ε/4.
    pub fn seed000(eps: f64) -> Self {
        Self { eps, steps: 8, step_fraction: 0.25 }
    }

    /// The same attack with twice the steps (seed 000 App. C.1's evaluation attack).
    pub fn evaluation(self) -> Self {
        Self { steps: 2 * self.steps, ..self }
    }

    /// Perturbed copies of the batch's inputs.
    pub fn perturb(&self, net: &WideNet, batch: &Batch<'_>) -> Result<Vec<f64>> {
        net.pgd_linf(batch, self.eps, self.steps, self.step_fraction * self.eps)
    }
}

/// Full-batch training of a [`WideNet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WideTrainConfig {
    /// Gradient steps.
    pub steps: usize,
    /// Learning rate in mean-field time (θ_k moves by lr · m · ∂L/∂θ_k).
    pub lr: f64,
    /// ℓ∞ adversarial training when set.
    pub adversary: Option<LinfAdversary>,
    /// Record the history every this many steps (and at the last step).
    pub record_every: usize,
}

/// One recorded point of a training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WideRecord {
    /// Steps taken.
    pub step: usize,
    /// Training loss (on the adversarial points when training adversarially).
    pub loss: f64,
    /// Normalised margin on the clean training points.
    pub margin: f64,
    /// Normalised margin on the training points perturbed by the evaluation attack (equal to
    /// `margin` for standard training).
    pub adv_margin: f64,
}

/// Trains `net` for `cfg.steps` full-batch steps on `batch`; `progress` is called after every step
/// with the number of steps done. Returns the history.
pub fn train_wide(net: &mut WideNet, batch: &Batch<'_>, cfg: &WideTrainConfig, progress: &mut dyn FnMut(usize)) -> Result<Vec<WideRecord>> {
    if cfg.record_every == 0 {
        return Err(Error::param("record_every", "must be >= 1"));
    }
    if !(cfg.lr.is_finite() && cfg.lr > 0.0) {
        return Err(Error::param("lr", format!("must be finite and > 0, got {}", cfg.lr)));
    }
    let mut history = Vec::new();
    let record = |net: &WideNet, step: usize, loss: f64| -> Result<WideRecord> {
        let margin = net.normalized_margin(batch)?;
        let adv_margin = match cfg.adversary {
            Some(adv) => {
                let xa = adv.evaluation().perturb(net, batch)?;
                net.normalized_margin(&Batch::new(&xa, batch.y, batch.d)?)?
            }
            None => margin,
        };
        Ok(WideRecord { step, loss, margin, adv_margin })
    };
    for step in 0..cfg.steps {
        let loss = match cfg.adversary {
            Some(adv) => {
                let xa = adv.perturb(net, batch)?;
                net.gd_step(&Batch::new(&xa, batch.y, batch.d)?, cfg.lr)
            }
            None => net.gd_step(batch, cfg.lr),
        }
        .map_err(|e| match e {
            Error::Diverged { reason, .. } => Error::Diverged { step, reason },
            e => e,
        })?;
        if step % cfg.record_every == 0 {
            history.push(record(net, step, loss)?);
        }
        progress(step + 1);
    }
    let loss = match cfg.adversary {
        Some(adv) => net.loss(&Batch::new(&adv.perturb(net, batch)?, batch.y, batch.d)?)?,
        None => net.loss(batch)?,
    };
    history.push(record(net, cfg.steps, loss)?);
    Ok(history)
}

/// Logistic regression f(x) = ⟨w, x⟩ + b trained by full-batch gradient descent — the linear model
/// of seed 000 Fig 5(b). Returns (w, b).
pub fn train_linear(batch: &Batch<'_>, steps: usize, lr: f64) -> Result<(Vec<f64>, f64)> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(Error::param("lr", format!("must be finite and > 0, got {lr}")));
    }
    let (d, n) = (batch.d, batch.len().max(1) as f64);
    let (mut w, mut b) = (vec![0.0; d], 0.0);
    for _ in 0..steps {
        let mut gw = vec![0.0; d];
        let mut gb = 0.0;
        for i in 0..batch.len() {
            let xi = batch.row(i);
            let yi = batch.y[i];
            let c = -yi * sigmoid_neg(yi * (xi.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b)) / n;
            gb += c;
            for (g, x) in gw.iter_mut().zip(xi) {
                *g += c * x;
            }
        }
        b -= lr * gb;
        for (wj, g) in w.iter_mut().zip(&gw) {
            *wj -= lr * g;
        }
    }
    Ok((w, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_pieces_are_stable() {
        assert!((logistic_loss(0.0) - std::f64::consts::LN_2).abs() < 1e-15);
        assert!(logistic_loss(1000.0) >= 0.0 && logistic_loss(1000.0) < 1e-300);
        assert!((logistic_loss(-1000.0) - 1000.0).abs() < 1e-9);
        assert!((sigmoid_neg(0.0) - 0.5).abs() < 1e-15);
        assert!(sigmoid_neg(1000.0) >= 0.0 && sigmoid_neg(-1000.0) == 1.0);
    }
}

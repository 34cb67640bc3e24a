//! Fully connected ReLU / SoftPlus networks of any depth and width.
//!
//! * Seed 000 §6: one hidden layer of width 10,000 on BlockMNIST; App. C.1: two hidden layers of
//!   width twice the input (1568 → 3136 → 3136 → 2).
//! * Seed 000 Fig 31: width 50,000, d = 10, in the mean-field scaling f(x) = (1/m) Σ_k a_k φ(⟨w_k, x⟩ + b_k).
//! * Seed 002: width 25,000 on the toy set.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::init::Init;
use super::{Activation, Classifier, InputShape, Mode};
use crate::error::{Error, Result};

/// An MLP: hidden layers with a nonlinearity, then a linear output layer.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    /// Hidden layers, input side first.
    pub hidden: Vec<Linear<B>>,
    /// Output layer.
    pub out: Linear<B>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    input: InputShape,
    classes: usize,
    /// Factor applied to the output layer (1, or 1/m in the mean-field scaling).
    out_scale: f64,
}

impl<B: Backend> Mlp<B> {
    /// Builds an MLP with the given hidden widths. With `mean_field`, the output is divided by the
    /// last width m and its weights are N(0, 1) (so the 1/m average has O(1/√m) fluctuations),
    /// hidden layers as PyTorch's default.
    pub fn new(
        init: &mut Init<'_, B>,
        input: InputShape,
        widths: &[usize],
        classes: usize,
        activation: Activation,
        mean_field: bool,
    ) -> Result<Self> {
        if let Some(i) = widths.iter().position(|&w| w == 0) {
            return Err(Error::InvalidParam { name: format!("hidden[{i}]"), reason: "width must be at least 1".into() });
        }
        let mut hidden = Vec::with_capacity(widths.len());
        let mut d = input.dim();
        for &w in widths {
            hidden.push(init.linear(d, w, true));
            d = w;
        }
        let (out, out_scale) = if mean_field && !widths.is_empty() {
            let weight = burn::module::Param::from_tensor(init.normal([d, classes], 1.0));
            let bias = Some(burn::module::Param::from_tensor(init.constant([classes], 0.0)));
            (Linear { weight, bias }, 1.0 / d as f64)
        } else {
            (init.linear(d, classes, true), 1.0)
        };
        Ok(Mlp { hidden, out, activation, input, classes, out_scale })
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Factor applied to the output layer.
    pub fn out_scale(&self) -> f64 {
        self.out_scale
    }
}

impl<B: Backend> Classifier<B> for Mlp<B> {
    fn forward_mode(&self, x: Tensor<B, 2>, _mode: Mode) -> Tensor<B, 2> {
        let mut h = x;
        for layer in &self.hidden {
            h = self.activation.apply(super::kernels::fc::forward(layer, h));
        }
        let out = super::kernels::fc::forward(&self.out, h);
        if self.out_scale == 1.0 {
            out
        } else {
            out.mul_scalar(self.out_scale)
        }
    }
    fn input_shape(&self) -> InputShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.classes
    }
    fn dense_stack(&self) -> Option<super::dense::DenseStack<'_, B>> {
        Some(super::dense::DenseStack { hidden: &self.hidden, out: &self.out, activation: self.activation, out_scale: self.out_scale })
    }
    fn program(&self) -> Option<Vec<super::program::Op<'_, B>>> {
        Some(super::program::dense_ops(&self.hidden, &self.out, self.activation, self.out_scale))
    }
}

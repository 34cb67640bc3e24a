//! Linear / logistic regression: logits = W x + b.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::init::Init;
use super::{Classifier, InputShape, Mode};

/// A linear classifier on flattened inputs. With two classes its logit difference is the linear
/// model `w·x + b` of seed 001 (w = W₁ − W₀).
#[derive(Module, Debug)]
pub struct LinearModel<B: Backend> {
    /// `[D, K]` weights and `[K]` bias.
    pub fc: Linear<B>,
    #[module(skip)]
    input: InputShape,
    classes: usize,
}

impl<B: Backend> LinearModel<B> {
    /// PyTorch-default initialised linear model.
    pub fn new(init: &mut Init<'_, B>, input: InputShape, classes: usize) -> Self {
        LinearModel { fc: init.linear(input.dim(), classes, true), input, classes }
    }
}

impl<B: Backend> Classifier<B> for LinearModel<B> {
    fn forward_mode(&self, x: Tensor<B, 2>, _mode: Mode) -> Tensor<B, 2> {
        super::kernels::fc::forward(&self.fc, x)
    }
    fn input_shape(&self) -> InputShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.classes
    }
    fn dense_stack(&self) -> Option<super::dense::DenseStack<'_, B>> {
        Some(super::dense::DenseStack { hidden: &[], out: &self.fc, activation: super::Activation::Relu, out_scale: 1.0 })
    }
    fn program(&self) -> Option<Vec<super::program::Op<'_, B>>> {
        Some(super::program::dense_ops(&[], &self.fc, super::Activation::Relu, 1.0))
    }
}

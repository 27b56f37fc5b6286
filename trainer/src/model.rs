//! The symbol CNN (digits and operators), in burn.
//!
//! Five 3x3 convolutions (each followed by BatchNorm and ReLU, two max-pools), global average
//! pooling and one linear layer: about 53 k parameters. Global average pooling instead of a
//! large dense head keeps the parameter count (and the shipped file) small and makes the
//! network tolerant of where the digit sits in the field. The export folds every BatchNorm
//! into its convolution, so the shipped graph is just Conv/Relu/MaxPool/GlobalAveragePool/
//! Gemm/Softmax.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// Channel widths of the five convolutions, input first.
pub const CHANNELS: [usize; 6] = [1, 16, 24, 32, 48, 64];
/// After which convolutions (0-based) a 2x2 max-pool halves the field: 28 -> 14 -> 7.
/// Pooling right after the first convolution leaves only its 16 channels on the full 28x28
/// field: the browser runs this network for every symbol of a sum, and a 3x3
/// convolution's cost is proportional to the pixels it covers (4.2 M multiply-adds per image
/// instead of 7.6 M when the pools came after convolutions 2 and 4).
pub const POOL_AFTER: [bool; 5] = [true, false, true, false, false];
pub use mathsketch::symbol::CLASSES;

/// A convolution without bias (the BatchNorm after it has one), BatchNorm and ReLU.
#[derive(Module, Debug)]
pub struct ConvBlock {
    pub conv: Conv2d,
    pub norm: BatchNorm,
}

impl ConvBlock {
    fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        ConvBlock {
            conv: Conv2dConfig::new([channels_in, channels_out], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device),
            norm: BatchNormConfig::new(channels_out).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(self.norm.forward(self.conv.forward(x)))
    }
}

#[derive(Module, Debug)]
pub struct DigitNet {
    pub blocks: Vec<ConvBlock>,
    pub pool: MaxPool2d,
    pub head: Linear,
}

impl DigitNet {
    pub fn new(device: &Device) -> Self {
        let blocks = CHANNELS
            .windows(2)
            .map(|w| ConvBlock::new(w[0], w[1], device))
            .collect();
        DigitNet {
            blocks,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            head: LinearConfig::new(CHANNELS[CHANNELS.len() - 1], CLASSES).init(device),
        }
    }

    /// Logits for a batch `[N, 1, 28, 28]` of images with values in [0, 1].
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for (block, pool) in self.blocks.iter().zip(POOL_AFTER) {
            x = block.forward(x);
            if pool {
                x = self.pool.forward(x);
            }
        }
        let [n, c, _, _] = x.dims();
        // Global average pooling.
        let x = x.mean_dim(3).mean_dim(2).reshape([n, c]);
        self.head.forward(x)
    }
}

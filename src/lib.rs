//! MathSketch: draw a digit, see the prediction, all on the device.
//!
//! The core is pure Rust with no web types, so it is tested natively:
//! strokes ([`sketch`]) -> a 28x28 MNIST-style image ([`mnist`], drawn by [`raster`]) ->
//! probabilities ([`classifier`], tract running `models/mnist.onnx`). The wasm front
//! (`web`, compiled for wasm32 only) just moves pointer events in and pixels out.

pub mod classifier;
pub mod idx;

pub use classifier::{Classifier, ClassifierError, Probabilities};

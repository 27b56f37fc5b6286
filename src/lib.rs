//! MathSketch: write digits and sums, see them read, all on the device.
//!
//! The core is pure Rust with no web types, so it is tested natively:
//! strokes ([`sketch`]) -> a 28x28 MNIST-style image ([`mnist`], drawn by [`raster`]) ->
//! probabilities over the [`symbol`]s ([`classifier`], tract running `models/symbols.onnx`).
//! [`saved`] is the sketch as text for the device's storage. [`skeleton`] turns bitmaps back into pen strokes (training data, replay tests). The wasm front
//! (`web`, compiled for wasm32 only) just moves pointer events in and pixels out.

pub mod answer_ink;
pub mod classifier;
pub mod expression;
pub mod idx;
pub mod mnist;
pub mod raster;
pub mod saved;
pub mod scratch;
pub mod skeleton;
pub mod sketch;
pub mod symbol;
pub mod view;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use classifier::{Classifier, ClassifierError, Probabilities};
pub use mnist::{ImageError, MnistImage, Normaliser};
pub use sketch::{Point, Sketch, SketchError, Stroke};
pub use symbol::Symbol;

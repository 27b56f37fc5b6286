//! The symbol classifier: the ONNX model from `models/`, run by tract.
//!
//! The model is parsed and optimised once, for a fixed batch size, when the `Classifier` is
//! built; each prediction then only runs the optimised plan. The same type serves the web
//! page (batch 1, once per animation frame), the server and the accuracy tests (larger
//! batches), so all of them run the very same graph.

use std::sync::Arc;

use tract_onnx::Onnx;

use tract_onnx::prelude::*;

use crate::mnist::{MnistImage, PIXELS, SIDE};
use crate::symbol::Symbol;
pub use crate::symbol::CLASSES;

pub mod conv;
mod lanes;
pub mod ops;
pub mod pool;
mod winograd;

/// The model shipped with the app (see `models/symbols.json` for its card).
#[cfg(feature = "embedded-model")]
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../../models/symbols.onnx");

#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error("the model could not be loaded: {0}")]
    Load(String),
    #[error("the model did not run: {0}")]
    Run(String),
    #[error("the model gave output of shape {shape:?}, expected [{batch}, {CLASSES}]")]
    OutputShape { shape: Vec<usize>, batch: usize },
    #[error("batch size must be at least 1")]
    EmptyBatch,
}

/// Per-class probabilities for one image, summing to ~1 (Softmax is inside the graph).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probabilities([f32; CLASSES]);

impl Probabilities {
    pub fn new(p: [f32; CLASSES]) -> Self {
        Probabilities(p)
    }

    pub fn as_array(&self) -> &[f32; CLASSES] {
        &self.0
    }

    /// The most likely class and its probability. Ties go to the smaller index; NaN never
    /// wins.
    pub fn top(&self) -> (usize, f32) {
        let mut best = (0, f32::NEG_INFINITY);
        for (class, &p) in self.0.iter().enumerate() {
            if p > best.1 {
                best = (class, p);
            }
        }
        if best.1 == f32::NEG_INFINITY {
            (0, 0.0)
        } else {
            best
        }
    }

    /// The most likely symbol and its probability.
    pub fn top_symbol(&self) -> (Symbol, f32) {
        let (class, p) = self.top();
        (Symbol::from_index(class).unwrap_or(Symbol::Digit(0)), p)
    }

    /// The probability of `symbol`.
    pub fn of(&self, symbol: Symbol) -> f32 {
        self.0[symbol.index()]
    }

    /// Every symbol with its probability, most likely first (ties in class order).
    pub fn ranked(&self) -> Vec<(Symbol, f32)> {
        let mut all: Vec<(Symbol, f32)> = crate::symbol::SYMBOLS
            .iter()
            .map(|&s| (s, if self.of(s).is_nan() { 0.0 } else { self.of(s) }))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all
    }
}

type Plan = Arc<TypedSimplePlan>;

/// The ONNX model read with our op register (`ops`) for `float32 [batch, 1, 28, 28]` input:
/// the typed graph before any optimisation.
pub fn typed_model(onnx: &[u8], batch: usize) -> TractResult<TypedModel> {
    let framework = Onnx {
        op_register: ops::register(),
        ..Onnx::default()
    };
    framework
        .model_for_read(&mut &onnx[..])?
        .with_input_fact(0, f32::fact([batch, 1, SIDE, SIDE]).into())?
        .into_typed()
}

/// Puts our own ops in place of tract's where they compute the same thing faster: the 2x2
/// max-pools (exactly) and the 3x3 convolutions (up to float rounding), each taking in the
/// ReLU next to it.
pub fn use_fast_ops(model: &mut TypedModel) -> TractResult<()> {
    pool::use_fast_pooling(model)?;
    conv::use_fast_conv(model)
}

/// A loaded, optimised model.
#[derive(Debug, Clone)]
pub struct Classifier {
    plan: Plan,
    batch: usize,
}

impl Classifier {
    /// The model embedded in the binary, for one image at a time.
    #[cfg(feature = "embedded-model")]
    pub fn embedded() -> Result<Self, ClassifierError> {
        Self::from_onnx_bytes(EMBEDDED_MODEL)
    }

    /// Loads an ONNX model for one image at a time.
    pub fn from_onnx_bytes(onnx: &[u8]) -> Result<Self, ClassifierError> {
        Self::with_batch(onnx, 1)
    }

    /// Loads an ONNX model optimised for `batch` images per run. The model must take
    /// `float32 [N,1,28,28]` and give `float32 [N,17]` probabilities (see [`Symbol`]).
    pub fn with_batch(onnx: &[u8], batch: usize) -> Result<Self, ClassifierError> {
        if batch == 0 {
            return Err(ClassifierError::EmptyBatch);
        }
        if onnx.is_empty() {
            return Err(ClassifierError::Load("the model file is empty".into()));
        }
        let load = |e: TractError| ClassifierError::Load(format!("{e:#}"));
        let mut model = typed_model(onnx, batch).map_err(load)?;
        use_fast_ops(&mut model).map_err(load)?;
        let plan = model
            .into_optimized()
            .map_err(load)?
            .into_runnable()
            .map_err(load)?;
        Ok(Classifier { plan, batch })
    }

    /// The batch size the plan was optimised for.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Probabilities for one image.
    pub fn predict(&self, image: &MnistImage) -> Result<Probabilities, ClassifierError> {
        let out = self.predict_batch(std::slice::from_ref(image))?;
        out.into_iter().next().ok_or(ClassifierError::OutputShape {
            shape: vec![0],
            batch: 1,
        })
    }

    /// Probabilities for any number of images, run in chunks of the plan's batch size (the
    /// last chunk is padded with blank images, whose results are dropped).
    pub fn predict_batch(
        &self,
        images: &[MnistImage],
    ) -> Result<Vec<Probabilities>, ClassifierError> {
        let mut result = Vec::with_capacity(images.len());
        let mut input = vec![0f32; self.batch * PIXELS];
        for chunk in images.chunks(self.batch) {
            input.fill(0.0);
            for (dst, img) in input.chunks_exact_mut(PIXELS).zip(chunk) {
                dst.copy_from_slice(img.pixels());
            }
            let tensor =
                Tensor::from_shape(&[self.batch, 1, SIDE, SIDE], &input).map_err(run_error)?;
            let outputs = self.plan.run(tvec!(tensor.into())).map_err(run_error)?;
            let values = probability_rows(&outputs, self.batch)?;
            for row in values.chunks_exact(CLASSES).take(chunk.len()) {
                let mut p = [0f32; CLASSES];
                p.copy_from_slice(row);
                result.push(Probabilities(p));
            }
        }
        Ok(result)
    }
}

/// A classifier with its own run state and input tensor, for a hot loop such as the page's
/// one prediction per animation frame. `Classifier::predict` builds both afresh on every
/// call; a session keeps them, so a prediction writes the pixels into the tensor it already
/// has and reuses tract's per-run state. (tract still allocates the intermediate tensors of
/// each run; that is inside the plan, not ours to reuse.)
#[derive(Debug)]
pub struct Session {
    classifier: Classifier,
    state: TypedSimpleState,
    /// Shared with tract for the duration of a run only, so it is ours again afterwards.
    input: Arc<Tensor>,
}

impl Classifier {
    /// A [`Session`] on this classifier.
    pub fn session(&self) -> Result<Session, ClassifierError> {
        let state = self.plan.spawn().map_err(run_error)?;
        Ok(Session {
            classifier: self.clone(),
            state,
            input: Arc::new(blank_input(self.batch)?),
        })
    }
}

fn run_error(e: TractError) -> ClassifierError {
    ClassifierError::Run(format!("{e:#}"))
}

/// A zeroed `[batch, 1, 28, 28]` input tensor.
fn blank_input(batch: usize) -> Result<Tensor, ClassifierError> {
    Tensor::zero::<f32>(&[batch, 1, SIDE, SIDE]).map_err(run_error)
}

/// The plan's output as `batch` rows of probabilities, checked to be `[batch, 17]` f32.
fn probability_rows(outputs: &[TValue], batch: usize) -> Result<&[f32], ClassifierError> {
    let output = outputs
        .first()
        .ok_or_else(|| ClassifierError::Run("the model has no output".into()))?;
    if output.shape() != [batch, CLASSES] {
        return Err(ClassifierError::OutputShape {
            shape: output.shape().to_vec(),
            batch,
        });
    }
    output
        .try_as_plain_ram()
        .and_then(|view| view.as_slice::<f32>())
        .map_err(run_error)
}

impl Session {
    /// The classifier this session runs.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Probabilities for one image (the first slot of the batch; any others stay blank).
    pub fn predict(&mut self, image: &MnistImage) -> Result<Probabilities, ClassifierError> {
        // Exclusive again unless a run failed half-way and tract still holds it; then a
        // fresh tensor is the safe choice.
        if Arc::get_mut(&mut self.input).is_none() {
            self.input = Arc::new(blank_input(self.classifier.batch)?);
        }
        let tensor = Arc::get_mut(&mut self.input)
            .ok_or_else(|| ClassifierError::Run("the input tensor is still in use".into()))?;
        let mut view = tensor.try_as_plain_ram_mut().map_err(run_error)?;
        view.as_slice_mut::<f32>()
            .map_err(run_error)?
            .get_mut(..PIXELS)
            .ok_or_else(|| ClassifierError::Run("the input tensor is too small".into()))?
            .copy_from_slice(image.pixels());
        let outputs = self
            .state
            .run(tvec!(TValue::from_const(self.input.clone())))
            .map_err(run_error)?;
        let mut p = [0f32; CLASSES];
        p.copy_from_slice(&probability_rows(&outputs, self.classifier.batch)?[..CLASSES]);
        Ok(Probabilities(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_picks_the_largest_and_survives_nan() {
        let mut p = [0.0f32; CLASSES];
        p[7] = 0.9;
        p[2] = 0.1;
        assert_eq!(Probabilities::new(p).top(), (7, 0.9));
        assert_eq!(Probabilities::new(p).top_symbol(), (Symbol::Digit(7), 0.9));
        let ranked = Probabilities::new(p).ranked();
        assert_eq!(ranked[0], (Symbol::Digit(7), 0.9));
        assert_eq!(ranked[1], (Symbol::Digit(2), 0.1));
        assert_eq!(ranked.len(), CLASSES);
        assert_eq!(Probabilities::new([f32::NAN; CLASSES]).top(), (0, 0.0));
    }

    #[test]
    fn garbage_is_a_load_error_not_a_panic() {
        assert!(matches!(
            Classifier::from_onnx_bytes(b""),
            Err(ClassifierError::Load(_))
        ));
        assert!(matches!(
            Classifier::from_onnx_bytes(b"definitely not protobuf \xff\xff\xff"),
            Err(ClassifierError::Load(_))
        ));
        assert!(matches!(
            Classifier::with_batch(b"x", 0),
            Err(ClassifierError::EmptyBatch)
        ));
    }
}

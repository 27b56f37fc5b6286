//! The model card written next to the ONNX file (`models/symbols.json`).
//!
//! The runtime workspace checks the shipped file's sha256 and its classes against it, and the
//! accuracy test requires the accuracy it states, so the card is the contract between the two
//! worlds.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use mathsketch::symbol::{CLASSES, SYMBOLS};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::augment::Augment;
use crate::eval::{Report, TEST_PER_OPERATOR, TEST_SEED};
use crate::export::{INPUT_NAME, OPSET, OUTPUT_NAME};
use crate::fit::Fitted;
use crate::model::{CHANNELS, POOL_AFTER};
use crate::sources::operators::OPERATORS;
use crate::sources::Mix;
use crate::train::{TrainOptions, PARITY_IMAGES};

/// What each epoch drew from each source.
#[derive(Debug, Serialize, Deserialize)]
pub struct SourcesCard {
    pub mnist_bitmaps_per_epoch: usize,
    pub mnist_strokes_per_epoch: usize,
    pub operators_per_class_per_epoch: usize,
    pub description: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ModelCard {
    pub file: String,
    /// Output order of the model.
    pub classes: Vec<String>,
    pub architecture: String,
    pub input: String,
    pub output: String,
    pub opset: i64,
    pub parameters: usize,
    pub size_bytes: usize,
    pub sha256: String,
    pub seed: u64,
    pub epochs: usize,
    pub batch_size: usize,
    pub peak_learning_rate: f64,
    pub train_digits: usize,
    pub validation_digits: usize,
    pub sources: SourcesCard,
    pub augmentation: String,
    pub operator_augmentation: String,
    pub epoch_wall_seconds: Vec<f64>,
    pub training_wall_seconds: f64,
    pub machine: String,
    /// Validation accuracy per source after the last epoch (the split hyper-parameters were
    /// picked on).
    pub validation_accuracy: BTreeMap<String, f64>,
    pub test_accuracy_framework: f64,
    /// The figure that counts for MNIST: the exported file run through tract on the 10,000
    /// test bitmaps, all 17 outputs competing.
    pub test_accuracy_tract: f64,
    /// The MNIST test digits as pen strokes rendered by the app's Normaliser, through tract.
    pub test_strokes_accuracy_tract: f64,
    /// Generated operators from the held-out test stream, per class, through tract.
    pub test_operator_accuracy_tract: BTreeMap<String, f64>,
    pub test_seed: u64,
    pub test_images_per_operator: usize,
    pub parity_images: usize,
    pub parity_max_abs_diff: f32,
    pub command: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn round(s: f64) -> f64 {
    (s * 10.0).round() / 10.0
}

/// The network in one line, from the model's constants.
fn architecture() -> String {
    let widths: Vec<String> = CHANNELS[1..].iter().map(|c| c.to_string()).collect();
    let pooled: Vec<String> = (1..)
        .zip(POOL_AFTER)
        .filter(|&(_, pool)| pool)
        .map(|(conv, _)| conv.to_string())
        .collect();
    format!(
        "CNN: {} x [Conv3x3 (BatchNorm folded) + ReLU], channels {}, MaxPool2x2 after \
         convs {}, GlobalAveragePool, Gemm {}->{CLASSES}, Softmax",
        widths.len(),
        widths.join("-"),
        pooled.join(" and "),
        CHANNELS[CHANNELS.len() - 1]
    )
}

fn machine() -> String {
    format!(
        "{} cores, AdamW on burn's Flex CPU backend",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    )
}

impl SourcesCard {
    fn new(mix: &Mix) -> Self {
        SourcesCard {
            mnist_bitmaps_per_epoch: mix.bitmaps,
            mnist_strokes_per_epoch: mix.strokes,
            operators_per_class_per_epoch: mix.per_operator,
            description: "MNIST training bitmaps; the same digits thinned, traced into \
                          pen strokes with pointer-like sampling and rendered by \
                          mathsketch::Normaliser, drawn afresh every epoch; operators \
                          from the trainer's stroke generator rendered the same way, \
                          fresh every epoch"
                .into(),
        }
    }
}

/// Everything the card states, gathered by the training run's stages.
pub struct Facts<'a> {
    pub opts: &'a TrainOptions,
    pub onnx: &'a [u8],
    pub parameters: usize,
    pub train_digits: usize,
    pub fitted: &'a Fitted,
    pub training_seconds: f64,
    pub test_accuracy_framework: f64,
    pub report: &'a Report,
    pub parity: f32,
}

impl ModelCard {
    pub fn new(facts: &Facts) -> Self {
        let opts = facts.opts;
        ModelCard {
            file: opts
                .out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            classes: SYMBOLS.iter().map(|s| s.class_name().to_string()).collect(),
            architecture: architecture(),
            input: format!("{INPUT_NAME}: float32 [N,1,28,28], 0..1, white ink on black"),
            output: format!("{OUTPUT_NAME}: float32 [N,{CLASSES}], softmax, in `classes` order"),
            opset: OPSET,
            parameters: facts.parameters,
            size_bytes: facts.onnx.len(),
            sha256: sha256_hex(facts.onnx),
            seed: opts.seed,
            epochs: opts.epochs,
            batch_size: opts.batch_size,
            peak_learning_rate: opts.learning_rate,
            train_digits: facts.train_digits,
            validation_digits: opts.validation,
            sources: SourcesCard::new(&opts.mix()),
            augmentation: format!("{:?}", Augment::default()),
            operator_augmentation: format!("{:?}", Augment::operators()),
            epoch_wall_seconds: facts
                .fitted
                .epoch_seconds
                .iter()
                .map(|&s| round(s))
                .collect(),
            training_wall_seconds: round(facts.training_seconds),
            machine: machine(),
            validation_accuracy: facts
                .fitted
                .validation
                .iter()
                .map(|(name, a)| (name.to_string(), *a))
                .collect(),
            test_accuracy_framework: facts.test_accuracy_framework,
            test_accuracy_tract: facts.report.bitmaps.accuracy(),
            test_strokes_accuracy_tract: facts.report.strokes.accuracy(),
            test_operator_accuracy_tract: OPERATORS
                .iter()
                .map(|s| {
                    (
                        s.class_name().to_string(),
                        facts.report.operators.class_accuracy(s.index()),
                    )
                })
                .collect(),
            test_seed: TEST_SEED,
            test_images_per_operator: TEST_PER_OPERATOR,
            parity_images: PARITY_IMAGES,
            parity_max_abs_diff: facts.parity,
            command: opts.command(),
        }
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self).context("serialising the model card")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

//! The model card written next to the ONNX file (`models/mnist.json`).
//!
//! The runtime workspace checks the shipped file's sha256 against it, and the accuracy test
//! requires the accuracy it states, so the card is the contract between the two worlds.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::augment::Augment;
use crate::export::{INPUT_NAME, OPSET, OUTPUT_NAME};
use crate::model::CHANNELS;
use crate::train::{TrainOptions, PARITY_IMAGES};

#[derive(Debug, Serialize, Deserialize)]
pub struct ModelCard {
    pub file: String,
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
    pub train_images: usize,
    pub validation_images: usize,
    pub augmentation: String,
    pub epoch_wall_seconds: Vec<f64>,
    pub training_wall_seconds: f64,
    pub machine: String,
    pub validation_accuracy: f64,
    pub test_accuracy_framework: f64,
    /// The figure that counts: the exported file run through tract on the 10,000 test images.
    pub test_accuracy_tract: f64,
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

impl ModelCard {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        out: &Path,
        onnx: &[u8],
        parameters: usize,
        opts: &TrainOptions,
        train_images: usize,
        epoch_wall_seconds: Vec<f64>,
        training_wall_seconds: f64,
        validation_accuracy: f64,
        test_accuracy_framework: f64,
        test_accuracy_tract: f64,
        parity_max_abs_diff: f32,
    ) -> Self {
        let widths: Vec<String> = CHANNELS[1..].iter().map(|c| c.to_string()).collect();
        ModelCard {
            file: out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            architecture: format!(
                "CNN: 5 x [Conv3x3 (BatchNorm folded) + ReLU], channels {}, MaxPool2x2 after \
                 convs 2 and 4, GlobalAveragePool, Gemm {}->10, Softmax",
                widths.join("-"),
                CHANNELS[CHANNELS.len() - 1]
            ),
            input: format!("{INPUT_NAME}: float32 [N,1,28,28], 0..1, white ink on black"),
            output: format!("{OUTPUT_NAME}: float32 [N,10], softmax"),
            opset: OPSET,
            parameters,
            size_bytes: onnx.len(),
            sha256: sha256_hex(onnx),
            seed: opts.seed,
            epochs: opts.epochs,
            batch_size: opts.batch_size,
            peak_learning_rate: opts.learning_rate,
            train_images,
            validation_images: opts.validation,
            augmentation: format!("{:?}", Augment::default()),
            epoch_wall_seconds: epoch_wall_seconds
                .iter()
                .map(|s| (s * 10.0).round() / 10.0)
                .collect(),
            training_wall_seconds: (training_wall_seconds * 10.0).round() / 10.0,
            machine: format!(
                "{} cores, AdamW on burn's Flex CPU backend",
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            ),
            validation_accuracy,
            test_accuracy_framework,
            test_accuracy_tract,
            parity_images: PARITY_IMAGES,
            parity_max_abs_diff,
            command: opts.command(),
        }
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self).context("serialising the model card")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

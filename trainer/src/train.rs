//! The training run as a pipeline whose stages read top to bottom in [`run`]:
//! sources → (augmentation → batches → training loop, in `fit`) → export → checks → card.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use burn::prelude::*;
use mathsketch::idx::MnistSet;
use mathsketch::mnist::PIXELS;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::card::{Facts, ModelCard};
use crate::eval::{self, TestSets};
use crate::export;
use crate::fit::{self, Fitted, LabelledSet, Schedule};
use crate::model::DigitNet;
use crate::sources::{self, mnist::to_f32, Mix, Sources, Stream};

/// Options of `trainer train` (also its command-line arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct TrainOptions {
    /// Directory holding the four MNIST IDX files (train-images-idx3-ubyte.gz, ...).
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the ONNX file; the model card goes beside it as .json.
    #[arg(long, default_value = "models/symbols.onnx")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 22)]
    pub epochs: usize,
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 4e-3)]
    pub learning_rate: f64,
    /// Training digits held out for validation.
    #[arg(long, default_value_t = 5000)]
    pub validation: usize,
    /// Train on at most this many digits (quick smoke runs).
    #[arg(long)]
    pub limit: Option<usize>,
    /// MNIST bitmaps per epoch (at most the number of training digits).
    #[arg(long, default_value_t = 30_000)]
    pub bitmaps_per_epoch: usize,
    /// Stroke renderings of training digits per epoch (at most the number of digits).
    #[arg(long, default_value_t = 45_000)]
    pub strokes_per_epoch: usize,
    /// Generated images of each operator per epoch.
    #[arg(long, default_value_t = 2_500)]
    pub operators_per_class: usize,
    /// Also write the parity inputs and the framework's outputs to this directory.
    #[arg(long)]
    pub parity_dump: Option<PathBuf>,
}

impl TrainOptions {
    /// The command that reproduces this run, recorded in the model card.
    pub fn command(&self) -> String {
        let mut command = format!(
            "cargo run --release --locked --manifest-path trainer/Cargo.toml -- train \
             --data {} --out {} --seed {} --epochs {} --batch-size {} \
             --learning-rate {} --validation {} --bitmaps-per-epoch {} \
             --strokes-per-epoch {} --operators-per-class {}",
            self.data.display(),
            self.out.display(),
            self.seed,
            self.epochs,
            self.batch_size,
            self.learning_rate,
            self.validation,
            self.bitmaps_per_epoch,
            self.strokes_per_epoch,
            self.operators_per_class
        );
        if let Some(limit) = self.limit {
            command.push_str(&format!(" --limit {limit}"));
        }
        command
    }

    /// What each epoch draws (per-epoch digit counts capped at the digits there are).
    pub fn mix(&self) -> Mix {
        let digits = self.limit.unwrap_or(usize::MAX);
        Mix {
            bitmaps: self.bitmaps_per_epoch.min(digits),
            strokes: self.strokes_per_epoch.min(digits),
            per_operator: self.operators_per_class,
        }
    }
}

/// Images used to check that the exported file reproduces the framework's forward pass.
pub const PARITY_IMAGES: usize = 1000;
/// Largest difference allowed between the framework's and tract's probabilities.
pub const PARITY_TOLERANCE: f32 = 1e-4;
/// Generated validation images per operator.
const VALIDATION_PER_OPERATOR: usize = 300;

/// The run's split of MNIST's `digits` training digits: (validation, training) indices, a
/// seeded shuffle cut after `validation`. `trainer eval --split validation` uses it too.
pub fn split(digits: usize, seed: u64, validation: usize) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut order: Vec<usize> = (0..digits).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    if validation >= order.len() {
        bail!(
            "--validation {validation} leaves no training digits (the set has {})",
            order.len()
        );
    }
    let train = order.split_off(validation);
    Ok((order, train))
}

/// Stage 1: the sources and the validation sets, from a fixed seeded split of MNIST's
/// training digits (validation digits never take part in training).
fn sources(opts: &TrainOptions, train_set: &MnistSet) -> Result<(Sources, Vec<LabelledSet>)> {
    let (val_idx, mut train_idx) = split(train_set.len(), opts.seed, opts.validation)?;
    let val_idx = &val_idx[..];
    if let Some(limit) = opts.limit {
        train_idx.truncate(limit);
    }
    let started = Instant::now();
    let sources = Sources::new(train_set, &train_idx, opts.seed);
    let labels: Vec<u8> = val_idx.iter().map(|&i| train_set.labels[i]).collect();
    let operators =
        sources::operator_samples(opts.seed, Stream::Validation, 0, VALIDATION_PER_OPERATOR);
    let validation = vec![
        LabelledSet {
            name: "mnist_bitmaps",
            images: val_idx
                .iter()
                .map(|&i| to_f32(&train_set.images[i]))
                .collect(),
            labels: labels.clone(),
        },
        LabelledSet {
            name: "mnist_strokes",
            images: sources::stroke_renderings(train_set, val_idx, opts.seed, Stream::Validation),
            labels,
        },
        LabelledSet {
            name: "operators",
            images: operators.iter().map(|s| s.pixels).collect(),
            labels: operators.iter().map(|s| s.class).collect(),
        },
    ];
    eprintln!(
        "sources: {} training digits as bitmaps and as strokes, {} validation digits, \
         operators generated per epoch ({:.1} s to prepare)",
        train_idx.len(),
        val_idx.len(),
        started.elapsed().as_secs_f64()
    );
    Ok((sources, validation))
}

/// Stage 3: the ONNX file, written to `out`.
fn export(model: &DigitNet, out: &Path) -> Result<Vec<u8>> {
    let onnx = export::to_onnx(&export::fold(model)?)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(out, &onnx).with_context(|| format!("writing {}", out.display()))?;
    Ok(onnx)
}

fn write_f32(path: &Path, values: &[f32]) -> Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Stage 4a: the exported file must reproduce the framework's forward pass (every export).
fn check_parity(
    model: &DigitNet,
    onnx: &[u8],
    test_images: &[[f32; PIXELS]],
    dump: Option<&Path>,
) -> Result<f32> {
    let device = Device::flex();
    let inputs = &test_images[..PARITY_IMAGES.min(test_images.len())];
    let framework = fit::probabilities(model, inputs, &device)?;
    let tract = eval::probabilities(onnx, inputs)?;
    let parity = framework
        .iter()
        .zip(&tract)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    ensure!(
        parity <= PARITY_TOLERANCE,
        "the exported model disagrees with the trained one: max |diff| {parity} > {PARITY_TOLERANCE}"
    );
    if let Some(dir) = dump {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_f32(&dir.join("inputs.f32"), inputs.as_flattened())?;
        write_f32(&dir.join("framework.f32"), &framework)?;
    }
    Ok(parity)
}

pub fn run(opts: &TrainOptions) -> Result<ModelCard> {
    ensure!(opts.epochs >= 1, "--epochs must be at least 1");
    ensure!(opts.batch_size >= 1, "--batch-size must be at least 1");
    let started = Instant::now();
    let train_set = mathsketch::idx::load_train(&opts.data)?;
    let test_set = mathsketch::idx::load_test(&opts.data)?;

    // 1. Sources.
    let (sources, validation) = sources(opts, &train_set)?;
    // 2. Augmentation → batches → training loop.
    let schedule = Schedule {
        seed: opts.seed,
        epochs: opts.epochs,
        batch_size: opts.batch_size,
        peak_learning_rate: opts.learning_rate,
        mix: opts.mix(),
    };
    let fitted: Fitted = fit::fit(&sources, &validation, &schedule)?;
    let training_seconds = started.elapsed().as_secs_f64();
    // 3. Export.
    let onnx = export(&fitted.model, &opts.out)?;
    // 4. Checks: parity with the framework, then the test sets through tract.
    let test_images: Vec<[f32; PIXELS]> = test_set.images.iter().map(to_f32).collect();
    let parity = check_parity(
        &fitted.model,
        &onnx,
        &test_images,
        opts.parity_dump.as_deref(),
    )?;
    let test_accuracy_framework = fit::accuracy(
        &fit::probabilities(&fitted.model, &test_images, &Device::flex())?,
        &test_set.labels,
    );
    let report = eval::evaluate(&onnx, &TestSets::new(&test_set))?;
    // 5. Card.
    let card = ModelCard::new(&Facts {
        opts,
        onnx: &onnx,
        parameters: fitted.model.num_params(),
        train_digits: sources.labels.len(),
        fitted: &fitted,
        training_seconds,
        test_accuracy_framework,
        report: &report,
        parity,
    });
    card.write(&opts.out.with_extension("json"))?;
    eprintln!("{report}");
    Ok(card)
}

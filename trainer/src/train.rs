//! The training run: data, augmentation, optimisation, export, verification, model card.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::augment::{image_rng, Augment, PIXELS};
use crate::card::ModelCard;
use crate::eval;
use crate::export;
use crate::model::DigitNet;

/// Options of `trainer train` (also its command-line arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct TrainOptions {
    /// Directory holding the four MNIST IDX files (train-images-idx3-ubyte.gz, ...).
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the ONNX file; the model card goes beside it as .json.
    #[arg(long, default_value = "models/mnist.onnx")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 12)]
    pub epochs: usize,
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 4e-3)]
    pub learning_rate: f64,
    /// Training images held out for validation.
    #[arg(long, default_value_t = 5000)]
    pub validation: usize,
    /// Train on at most this many images (quick smoke runs).
    #[arg(long)]
    pub limit: Option<usize>,
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
             --learning-rate {} --validation {}",
            self.data.display(),
            self.out.display(),
            self.seed,
            self.epochs,
            self.batch_size,
            self.learning_rate,
            self.validation
        );
        if let Some(limit) = self.limit {
            command.push_str(&format!(" --limit {limit}"));
        }
        command
    }
}

/// Images used to check that the exported file reproduces the framework's forward pass.
pub const PARITY_IMAGES: usize = 1000;
/// Largest difference allowed between the framework's and tract's probabilities.
pub const PARITY_TOLERANCE: f32 = 1e-4;
const WEIGHT_DECAY: f32 = 1e-4;
const WARMUP_FRACTION: f64 = 0.05;

fn to_f32(img: &[u8; PIXELS]) -> [f32; PIXELS] {
    let mut out = [0f32; PIXELS];
    for (o, &v) in out.iter_mut().zip(img) {
        *o = f32::from(v) / 255.0;
    }
    out
}

fn batch_tensor(images: &[[f32; PIXELS]], device: &Device) -> Tensor<4> {
    let flat: Vec<f32> = images.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [images.len(), 1, 28, 28]), device)
}

/// Warm-up then cosine decay to 1 % of the peak: fast early progress, a calm finish.
fn learning_rate(peak: f64, step: usize, total: usize) -> f64 {
    let warmup = ((total as f64 * WARMUP_FRACTION) as usize).max(1);
    if step < warmup {
        return peak * (step + 1) as f64 / warmup as f64;
    }
    let progress = (step - warmup) as f64 / (total - warmup).max(1) as f64;
    let floor = peak * 0.01;
    floor + (peak - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Softmax probabilities of the framework's own forward pass (validation mode).
fn probabilities(model: &DigitNet, images: &[[f32; PIXELS]], device: &Device) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(images.len() * 10);
    for chunk in images.chunks(500) {
        let logits = model.forward(batch_tensor(chunk, device));
        let p = burn::tensor::activation::softmax(logits, 1);
        out.extend(
            p.into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("reading probabilities: {e:?}"))?,
        );
    }
    Ok(out)
}

fn accuracy(probs: &[f32], labels: &[u8]) -> f64 {
    let correct = probs
        .chunks_exact(10)
        .zip(labels)
        .filter(|(p, &l)| argmax(p) == l as usize)
        .count();
    correct as f64 / labels.len().max(1) as f64
}

fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best
}

fn write_f32(path: &Path, values: &[f32]) -> Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

pub fn run(opts: &TrainOptions) -> Result<ModelCard> {
    ensure!(opts.epochs >= 1, "--epochs must be at least 1");
    ensure!(opts.batch_size >= 1, "--batch-size must be at least 1");
    let started = Instant::now();
    let train_set = mathsketch::idx::load_train(&opts.data)?;
    let test_set = mathsketch::idx::load_test(&opts.data)?;

    // A fixed, seeded split: the validation images never take part in training.
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(opts.seed));
    if opts.validation >= order.len() {
        bail!(
            "--validation {} leaves no training images (the set has {})",
            opts.validation,
            order.len()
        );
    }
    let (val_idx, train_idx) = order.split_at(opts.validation);
    let mut train_idx = train_idx.to_vec();
    if let Some(limit) = opts.limit {
        train_idx.truncate(limit);
    }
    let images: Vec<[f32; PIXELS]> = train_set.images.iter().map(to_f32).collect();
    let val_images: Vec<[f32; PIXELS]> = val_idx.iter().map(|&i| images[i]).collect();
    let val_labels: Vec<u8> = val_idx.iter().map(|&i| train_set.labels[i]).collect();

    let device = Device::flex().autodiff();
    device.seed(opts.seed);
    let mut model = DigitNet::new(&device);
    let mut optim = AdamWConfig::new().with_weight_decay(WEIGHT_DECAY).init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let augment = Augment::default();

    let batches_per_epoch = train_idx.len().div_ceil(opts.batch_size);
    let total_steps = batches_per_epoch * opts.epochs;
    let mut step = 0;
    let mut epoch_seconds = Vec::new();
    let mut val_accuracy = 0.0;
    let mut batch = vec![[0f32; PIXELS]; opts.batch_size];
    eprintln!(
        "training on {} images ({} held out for validation), {} epochs of {} batches",
        train_idx.len(),
        val_idx.len(),
        opts.epochs,
        batches_per_epoch
    );
    for epoch in 0..opts.epochs {
        let epoch_start = Instant::now();
        let mut epoch_order = train_idx.clone();
        epoch_order.shuffle(&mut image_rng(opts.seed, epoch, usize::MAX));
        let bar = ProgressBar::new(batches_per_epoch as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
            )
            .context("progress bar template")?
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}/{}", epoch + 1, opts.epochs));
        let (mut loss_sum, mut correct, mut seen) = (0f64, 0usize, 0usize);
        for chunk in epoch_order.chunks(opts.batch_size) {
            let batch = &mut batch[..chunk.len()];
            batch.par_iter_mut().zip(chunk).for_each(|(dst, &i)| {
                augment.apply(&images[i], dst, &mut image_rng(opts.seed, epoch, i));
            });
            let labels: Vec<i64> = chunk
                .iter()
                .map(|&i| i64::from(train_set.labels[i]))
                .collect();
            let targets = Tensor::<1, Int>::from_data(
                TensorData::new(labels.clone(), [chunk.len()]),
                &device,
            );
            let logits = model.forward(batch_tensor(batch, &device));
            let loss = loss_fn.forward(logits.clone(), targets);
            let loss_value: f32 = loss.clone().into_scalar();
            if !loss_value.is_finite() {
                bail!(
                    "training diverged: loss is {loss_value} at epoch {} step {step}",
                    epoch + 1
                );
            }
            let logits = logits
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("reading logits: {e:?}"))?;
            correct += logits
                .chunks_exact(10)
                .zip(&labels)
                .filter(|(p, &l)| argmax(p) == l as usize)
                .count();
            seen += chunk.len();
            loss_sum += f64::from(loss_value) * chunk.len() as f64;

            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = learning_rate(opts.learning_rate, step, total_steps);
            model = optim.step(lr, model, grads);
            step += 1;
            bar.inc(1);
            bar.set_message(format!(
                "loss {:.4} acc {:.2}% lr {:.1e}",
                loss_sum / seen as f64,
                100.0 * correct as f64 / seen as f64,
                lr
            ));
        }
        bar.finish_and_clear();
        let seconds = epoch_start.elapsed().as_secs_f64();
        epoch_seconds.push(seconds);
        let valid = model.valid();
        val_accuracy = accuracy(&probabilities(&valid, &val_images, &device)?, &val_labels);
        eprintln!(
            "epoch {}/{}: train loss {:.4}, train acc {:.2}% (augmented), validation acc {:.2}%, {:.0} s",
            epoch + 1,
            opts.epochs,
            loss_sum / seen.max(1) as f64,
            100.0 * correct as f64 / seen.max(1) as f64,
            100.0 * val_accuracy,
            seconds
        );
    }
    let training_seconds = started.elapsed().as_secs_f64();

    let model = model.valid();
    let num_params = model.num_params();
    let onnx = export::to_onnx(&export::fold(&model)?)?;
    if let Some(parent) = opts.out.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&opts.out, &onnx).with_context(|| format!("writing {}", opts.out.display()))?;

    // The exported file must reproduce the framework's forward pass: checked on every export.
    let test_images: Vec<[f32; PIXELS]> = test_set.images.iter().map(to_f32).collect();
    let parity_inputs = &test_images[..PARITY_IMAGES.min(test_images.len())];
    let burn_probs = probabilities(&model, parity_inputs, &device)?;
    let tract_probs = eval::probabilities(&onnx, parity_inputs)?;
    let parity = burn_probs
        .iter()
        .zip(&tract_probs)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    ensure!(
        parity <= PARITY_TOLERANCE,
        "the exported model disagrees with the trained one: max |diff| {parity} > {PARITY_TOLERANCE}"
    );
    if let Some(dir) = &opts.parity_dump {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_f32(&dir.join("inputs.f32"), parity_inputs.as_flattened())?;
        write_f32(&dir.join("framework.f32"), &burn_probs)?;
    }

    let burn_test_accuracy = accuracy(
        &probabilities(&model, &test_images, &device)?,
        &test_set.labels,
    );
    let report = eval::evaluate(&onnx, &test_set)?;
    let card = ModelCard::new(
        &opts.out,
        &onnx,
        num_params,
        opts,
        train_idx.len(),
        epoch_seconds,
        training_seconds,
        val_accuracy,
        burn_test_accuracy,
        report.accuracy(),
        parity,
    );
    card.write(&opts.out.with_extension("json"))?;
    eprintln!("{report}");
    Ok(card)
}

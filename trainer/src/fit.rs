//! The training loop: epochs of mixed sources → augmentation → batches → AdamW steps, with a
//! validation pass per epoch on every source.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use mathsketch::mnist::PIXELS;
use mathsketch::symbol::CLASSES;
use mathsketch::Normaliser;
use rayon::prelude::*;

use crate::augment::Augment;
use crate::model::DigitNet;
use crate::sources::{self, Item, Mix, Sample, Sources, Stream};

const WEIGHT_DECAY: f32 = 1e-4;
const WARMUP_FRACTION: f64 = 0.05;

/// How the loop runs.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub seed: u64,
    pub epochs: usize,
    pub batch_size: usize,
    pub peak_learning_rate: f64,
    pub mix: Mix,
}

/// A labelled set evaluated after every epoch.
pub struct LabelledSet {
    pub name: &'static str,
    pub images: Vec<[f32; PIXELS]>,
    pub labels: Vec<u8>,
}

/// The trained network (validation mode) and what the loop measured.
pub struct Fitted {
    pub model: DigitNet,
    pub epoch_seconds: Vec<f64>,
    /// Accuracy on each validation set after the last epoch, by name.
    pub validation: Vec<(&'static str, f64)>,
}

pub fn batch_tensor(images: &[[f32; PIXELS]], device: &Device) -> Tensor<4> {
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

/// Softmax probabilities of the framework's own forward pass, flattened `[n * CLASSES]`.
pub fn probabilities(
    model: &DigitNet,
    images: &[[f32; PIXELS]],
    device: &Device,
) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(images.len() * CLASSES);
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

pub fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best
}

pub fn accuracy(probs: &[f32], labels: &[u8]) -> f64 {
    let correct = probs
        .chunks_exact(CLASSES)
        .zip(labels)
        .filter(|(p, &l)| argmax(p) == usize::from(l))
        .count();
    correct as f64 / labels.len().max(1) as f64
}

/// Builds one augmented batch of `items` (in parallel; each image has its own stream).
fn augmented_batch(
    sources: &Sources,
    schedule: &Schedule,
    epoch: usize,
    first: usize,
    items: &[Item],
) -> Vec<Sample> {
    let (digits, operators) = (Augment::default(), Augment::operators());
    items
        .par_iter()
        .enumerate()
        .map_init(Normaliser::new, |normaliser, (k, &item)| {
            let sample = sources.sample(normaliser, epoch, item);
            let augment = match item {
                Item::Operator { .. } => &operators,
                _ => &digits,
            };
            let mut out = [0f32; PIXELS];
            let mut rng = sources::rng(schedule.seed, Stream::Augment, epoch, first + k);
            augment.apply(&sample.pixels, &mut out, &mut rng);
            Sample {
                pixels: out,
                class: sample.class,
            }
        })
        .collect()
}

fn progress_bar(epoch: usize, epochs: usize, batches: usize) -> Result<ProgressBar> {
    let bar = ProgressBar::new(batches as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("{}/{}", epoch + 1, epochs));
    Ok(bar)
}

/// The loss of `batch` (to take the gradient of), its value, and how many images the model
/// read right.
fn batch_loss(
    model: &DigitNet,
    loss_fn: &CrossEntropyLoss,
    batch: &[Sample],
    device: &Device,
) -> Result<(Tensor<1>, f32, usize)> {
    let images: Vec<[f32; PIXELS]> = batch.iter().map(|s| s.pixels).collect();
    let labels: Vec<i64> = batch.iter().map(|s| i64::from(s.class)).collect();
    let targets =
        Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [labels.len()]), device);
    let logits = model.forward(batch_tensor(&images, device));
    let loss = loss_fn.forward(logits.clone(), targets);
    let loss_value: f32 = loss.clone().into_scalar();
    if !loss_value.is_finite() {
        bail!("training diverged: the loss is {loss_value}");
    }
    let logits = logits
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading logits: {e:?}"))?;
    let correct = logits
        .chunks_exact(CLASSES)
        .zip(&labels)
        .filter(|(p, &l)| argmax(p) as i64 == l)
        .count();
    Ok((loss, loss_value, correct))
}

/// Accuracy of `model` (validation mode) on each set, by name.
fn validate(
    model: &DigitNet,
    sets: &[LabelledSet],
    device: &Device,
) -> Result<Vec<(&'static str, f64)>> {
    sets.iter()
        .map(|set| {
            Ok((
                set.name,
                accuracy(&probabilities(model, &set.images, device)?, &set.labels),
            ))
        })
        .collect()
}

/// Trains a fresh network on `sources` and reports `validation` after every epoch.
pub fn fit(sources: &Sources, validation: &[LabelledSet], schedule: &Schedule) -> Result<Fitted> {
    let device = Device::flex().autodiff();
    device.seed(schedule.seed);
    let mut model = DigitNet::new(&device);
    let mut optim = AdamWConfig::new().with_weight_decay(WEIGHT_DECAY).init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);

    let per_epoch = schedule.mix.total();
    let batches_per_epoch = per_epoch.div_ceil(schedule.batch_size);
    let total_steps = batches_per_epoch * schedule.epochs;
    let mut step = 0;
    let mut epoch_seconds = Vec::new();
    let mut scores = Vec::new();
    eprintln!(
        "training {} epochs of {per_epoch} images ({:?}), {batches_per_epoch} batches each",
        schedule.epochs, schedule.mix
    );
    for epoch in 0..schedule.epochs {
        let epoch_start = Instant::now();
        let items = sources.epoch(epoch, &schedule.mix);
        let bar = progress_bar(epoch, schedule.epochs, batches_per_epoch)?;
        let (mut loss_sum, mut correct, mut seen) = (0f64, 0usize, 0usize);
        for (b, chunk) in items.chunks(schedule.batch_size).enumerate() {
            let batch = augmented_batch(sources, schedule, epoch, b * schedule.batch_size, chunk);
            let (loss, loss_value, right) = batch_loss(&model, &loss_fn, &batch, &device)
                .with_context(|| format!("epoch {} step {step}", epoch + 1))?;
            correct += right;
            seen += batch.len();
            loss_sum += f64::from(loss_value) * batch.len() as f64;

            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = learning_rate(schedule.peak_learning_rate, step, total_steps);
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
        scores = validate(&model.valid(), validation, &device)?;
        let shown: Vec<String> = scores
            .iter()
            .map(|(name, a)| format!("{name} {:.2}%", 100.0 * a))
            .collect();
        eprintln!(
            "epoch {}/{}: train loss {:.4}, train acc {:.2}% (augmented); validation: {}; {:.0} s",
            epoch + 1,
            schedule.epochs,
            loss_sum / seen.max(1) as f64,
            100.0 * correct as f64 / seen.max(1) as f64,
            shown.join(", "),
            seconds
        );
    }
    Ok(Fitted {
        model: model.valid(),
        epoch_seconds,
        validation: scores,
    })
}

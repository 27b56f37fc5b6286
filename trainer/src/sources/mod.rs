//! Where training images come from, and how each epoch mixes them.
//!
//! Three sources, each labelled with its class (see `mathsketch::Symbol`):
//! - `mnist`: MNIST training digits as scanned bitmaps;
//! - the same digits as pen strokes rendered by the app's `Normaliser`, drawn afresh every
//!   epoch (a new size, smoothing and pointer sampling each time: about 0.1 ms an image, so
//!   caching them would only take variety away);
//! - `operators`: generated operators, drawn afresh for every epoch from their own stream.
//!
//! An epoch samples a fixed number from each (`Mix`), so a run's length does not grow with
//! the number of sources, and every draw is seeded by (run seed, stream, epoch, index).

pub mod mnist;
pub mod operators;

use mathsketch::idx::MnistSet;
use mathsketch::mnist::PIXELS;
use mathsketch::Normaliser;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::augment::image_rng;
use crate::pen;

/// Separate random streams, so training, validation and test draws never coincide whatever
/// the run's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Stroke renderings of the training digits (fresh every epoch).
    TrainStrokes = 1,
    /// Training operators (fresh every epoch).
    TrainOperators = 2,
    /// Validation: stroke renderings and operators.
    Validation = 3,
    /// The held-out test draws of `trainer eval`.
    Test = 4,
    /// The order in which each epoch visits its items.
    Order = 5,
    /// Augmentation of each item of an epoch, by its position.
    Augment = 6,
}

/// The RNG of item `index` in `epoch` of `stream`.
pub fn rng(seed: u64, stream: Stream, epoch: usize, index: usize) -> rand_chacha::ChaCha8Rng {
    image_rng(
        seed ^ (stream as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93),
        epoch,
        index,
    )
}

/// One labelled 28×28 image in `[0, 1]`.
#[derive(Clone, Copy)]
pub struct Sample {
    pub pixels: [f32; PIXELS],
    /// Model output index (`Symbol::index`).
    pub class: u8,
}

/// What one epoch draws from each source.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    /// MNIST bitmaps (sampled without replacement from the training digits).
    pub bitmaps: usize,
    /// Stroke renderings of training digits (likewise).
    pub strokes: usize,
    /// Generated images of each operator.
    pub per_operator: usize,
}

impl Mix {
    pub fn total(&self) -> usize {
        self.bitmaps + self.strokes + self.per_operator * operators::OPERATORS.len()
    }
}

/// One item of an epoch, resolved to pixels only when its batch is built.
#[derive(Clone, Copy, Debug)]
pub enum Item {
    Bitmap(usize),
    Strokes(usize),
    /// The `n`-th generated image of operator `op` (index into `OPERATORS`) this epoch.
    Operator {
        op: usize,
        n: usize,
    },
}

/// The training digits (bitmaps; their stroke renderings are drawn per epoch) and the seed.
pub struct Sources {
    pub seed: u64,
    pub images: Vec<[u8; PIXELS]>,
    pub bitmaps: Vec<[f32; PIXELS]>,
    pub labels: Vec<u8>,
}

/// Each digit of `set` at `indices`, drawn as strokes with its own stream.
pub fn stroke_renderings(
    set: &MnistSet,
    indices: &[usize],
    seed: u64,
    stream: Stream,
) -> Vec<[f32; PIXELS]> {
    indices
        .par_iter()
        .map_init(Normaliser::new, |normaliser, &i| {
            mnist::rendered(normaliser, &set.images[i], &mut rng(seed, stream, 0, i))
        })
        .collect()
}

/// `count` images of each operator from `stream` in `epoch`, in class order.
pub fn operator_samples(seed: u64, stream: Stream, epoch: usize, count: usize) -> Vec<Sample> {
    (0..operators::OPERATORS.len() * count)
        .into_par_iter()
        .map_init(Normaliser::new, |normaliser, k| {
            operator_sample(normaliser, seed, stream, epoch, k / count, k % count)
        })
        .collect()
}

fn operator_sample(
    normaliser: &mut Normaliser,
    seed: u64,
    stream: Stream,
    epoch: usize,
    op: usize,
    n: usize,
) -> Sample {
    let symbol = operators::OPERATORS[op];
    let mut r = rng(seed, stream, epoch, op * 1_000_000 + n);
    // A generated symbol always has ink; the retry only guards against a degenerate draw.
    let pixels = (0..8)
        .find_map(|_| operators::generate(symbol, &mut r).and_then(|s| pen::render(normaliser, &s)))
        .unwrap_or([0.0; PIXELS]);
    Sample {
        pixels,
        class: symbol.index() as u8,
    }
}

impl Sources {
    /// The digits of `set` at `indices`.
    pub fn new(set: &MnistSet, indices: &[usize], seed: u64) -> Self {
        Sources {
            seed,
            images: indices.iter().map(|&i| set.images[i]).collect(),
            bitmaps: indices
                .iter()
                .map(|&i| mnist::to_f32(&set.images[i]))
                .collect(),
            labels: indices.iter().map(|&i| set.labels[i]).collect(),
        }
    }

    /// The items of `epoch`, shuffled.
    pub fn epoch(&self, epoch: usize, mix: &Mix) -> Vec<Item> {
        let mut order_rng = rng(self.seed, Stream::Order, epoch, 0);
        let pick = |n: usize, rng: &mut rand_chacha::ChaCha8Rng| {
            let mut all: Vec<usize> = (0..self.labels.len()).collect();
            all.shuffle(rng);
            // More than there are: wrap around (sample with repeats).
            (0..n)
                .map(|k| all[k % all.len().max(1)])
                .collect::<Vec<_>>()
        };
        let mut items: Vec<Item> = Vec::with_capacity(mix.total());
        if !self.labels.is_empty() {
            items.extend(
                pick(mix.bitmaps, &mut order_rng)
                    .into_iter()
                    .map(Item::Bitmap),
            );
            items.extend(
                pick(mix.strokes, &mut order_rng)
                    .into_iter()
                    .map(Item::Strokes),
            );
        }
        for op in 0..operators::OPERATORS.len() {
            items.extend((0..mix.per_operator).map(|n| Item::Operator { op, n }));
        }
        items.shuffle(&mut order_rng);
        items
    }

    /// The pixels and class of `item` in `epoch` (operators are drawn here, freshly).
    pub fn sample(&self, normaliser: &mut Normaliser, epoch: usize, item: Item) -> Sample {
        match item {
            Item::Bitmap(i) => Sample {
                pixels: self.bitmaps[i],
                class: self.labels[i],
            },
            Item::Strokes(i) => Sample {
                pixels: mnist::rendered(
                    normaliser,
                    &self.images[i],
                    &mut rng(self.seed, Stream::TrainStrokes, epoch, i),
                ),
                class: self.labels[i],
            },
            Item::Operator { op, n } => {
                operator_sample(normaliser, self.seed, Stream::TrainOperators, epoch, op, n)
            }
        }
    }
}

/// Columns of the contact sheet (see `trainer samples`).
const SHEET_COLUMNS: usize = 16;

/// A grid of 28×28 images, one row per class: for digits, pairs of (bitmap, strokes) of
/// the same digit; for operators, generated images; every other row augmented.
pub fn contact_sheet(set: &MnistSet, seed: u64, out: &std::path::Path) -> anyhow::Result<()> {
    use mathsketch::symbol::CLASSES;
    let mut rows: Vec<Vec<[f32; PIXELS]>> = Vec::new();
    let mut normaliser = Normaliser::new();
    for class in 0..CLASSES {
        let mut row = Vec::new();
        if class < 10 {
            let picks = (0..set.len()).filter(|&i| usize::from(set.labels[i]) == class);
            for i in picks.take(SHEET_COLUMNS / 2) {
                row.push(mnist::to_f32(&set.images[i]));
                row.push(mnist::rendered(
                    &mut normaliser,
                    &set.images[i],
                    &mut rng(seed, Stream::Validation, 0, i),
                ));
            }
        } else {
            for n in 0..SHEET_COLUMNS {
                row.push(
                    operator_sample(&mut normaliser, seed, Stream::Validation, 0, class - 10, n)
                        .pixels,
                );
            }
        }
        let augmented = row
            .iter()
            .enumerate()
            .map(|(k, px)| {
                let mut dst = [0f32; PIXELS];
                let augment = if class < 10 {
                    crate::augment::Augment::default()
                } else {
                    crate::augment::Augment::operators()
                };
                augment.apply(
                    px,
                    &mut dst,
                    &mut rng(seed, Stream::Augment, 0, class * 100 + k),
                );
                dst
            })
            .collect();
        rows.push(row);
        rows.push(augmented);
    }
    write_grid(&rows, SHEET_COLUMNS, out)
}

/// Writes `rows` of 28×28 images as a binary PGM grid `columns` images wide, one pixel of
/// grey between images (a row longer than `columns` is cut).
pub fn write_grid(
    rows: &[Vec<[f32; PIXELS]>],
    columns: usize,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let side = mathsketch::mnist::SIDE;
    let (width, height) = (columns * (side + 1), rows.len() * (side + 1));
    let mut pixels = vec![40u8; width * height];
    for (r, row) in rows.iter().enumerate() {
        for (c, img) in row.iter().take(columns).enumerate() {
            for y in 0..side {
                for x in 0..side {
                    let v = (img[y * side + x].clamp(0.0, 1.0) * 255.0) as u8;
                    pixels[(r * (side + 1) + y) * width + c * (side + 1) + x] = v;
                }
            }
        }
    }
    let mut file = format!("P5\n{width} {height}\n255\n").into_bytes();
    file.extend(pixels);
    std::fs::write(out, file).with_context(|| format!("writing {}", out.display()))
}

//! `trainer eval`: accuracy and confusion of an exported ONNX file on three test sets, run
//! through tract via the runtime's own `Classifier` (the engine the app uses), never the
//! training framework:
//! - the 10,000 MNIST test bitmaps;
//! - the same digits as pen strokes rendered by the app's `Normaliser` (the conversion used
//!   in training, from the held-out test stream);
//! - generated operators from the held-out test stream.

use std::fmt;

use anyhow::{Context, Result};
use mathsketch::idx::MnistSet;
use mathsketch::mnist::PIXELS;
use mathsketch::symbol::{CLASSES, SYMBOLS};
use mathsketch::{Classifier, MnistImage};

use crate::sources::{self, operators::OPERATORS, Stream};

/// Batch size for evaluation runs: amortises per-run overhead without a big plan.
const BATCH: usize = 100;
/// The seed of the held-out test draws: fixed, so every model is measured on the same images
/// whatever seed it was trained with (and the test stream is never used in training).
pub const TEST_SEED: u64 = 2026;
/// Generated test images per operator.
pub const TEST_PER_OPERATOR: usize = 1000;

fn classifier(onnx: &[u8]) -> Result<Classifier> {
    Classifier::with_batch(onnx, BATCH).context("loading the ONNX model with tract")
}

/// tract's probabilities for `images`, flattened `[n * CLASSES]`.
pub fn probabilities(onnx: &[u8], images: &[[f32; PIXELS]]) -> Result<Vec<f32>> {
    let inputs: Vec<MnistImage> = images.iter().map(|p| MnistImage::from_pixels(*p)).collect();
    let out = classifier(onnx)?.predict_batch(&inputs)?;
    Ok(out.iter().flat_map(|p| *p.as_array()).collect())
}

/// A confusion matrix over all 17 classes: `matrix[truth][predicted]`.
#[derive(Clone, Debug)]
pub struct Confusion {
    pub matrix: [[usize; CLASSES]; CLASSES],
}

impl Confusion {
    fn new() -> Self {
        Confusion {
            matrix: [[0; CLASSES]; CLASSES],
        }
    }

    pub fn total(&self) -> usize {
        self.matrix.iter().flatten().sum()
    }

    pub fn correct(&self) -> usize {
        (0..CLASSES).map(|c| self.matrix[c][c]).sum()
    }

    pub fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total().max(1) as f64
    }

    /// Accuracy on the images whose true class is `class` (NaN if there are none).
    pub fn class_accuracy(&self, class: usize) -> f64 {
        let row: usize = self.matrix[class].iter().sum();
        self.matrix[class][class] as f64 / row as f64
    }

    /// Writes the rows `rows` against the columns `columns`; what falls outside the columns
    /// (a digit read as an operator: still wrong) is counted as "other".
    fn table(&self, f: &mut fmt::Formatter<'_>, rows: &[usize], columns: &[usize]) -> fmt::Result {
        write!(f, "      ")?;
        for &c in columns {
            write!(f, "{:>6}", SYMBOLS[c].class_name())?;
        }
        writeln!(f, "{:>7}", "other")?;
        for &truth in rows {
            write!(f, "{:>5} ", SYMBOLS[truth].class_name())?;
            for &c in columns {
                write!(f, "{:>6}", self.matrix[truth][c])?;
            }
            let row: usize = self.matrix[truth].iter().sum();
            let shown: usize = columns.iter().map(|&c| self.matrix[truth][c]).sum();
            writeln!(f, "{:>7}", row - shown)?;
        }
        Ok(())
    }
}

/// The three test sets' confusions.
pub struct Report {
    /// Whose digits: "MNIST test" or "MNIST validation".
    pub digits: &'static str,
    /// The seed of the stroke renderings and operators.
    pub seed: u64,
    pub bitmaps: Confusion,
    pub strokes: Confusion,
    pub operators: Confusion,
}

fn percent(c: &Confusion) -> String {
    format!(
        "{:.2}% ({} / {})",
        100.0 * c.accuracy(),
        c.correct(),
        c.total()
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accuracy through tract (all {CLASSES} outputs compete):")?;
        writeln!(f, "| test set | accuracy |")?;
        writeln!(f, "| --- | --- |")?;
        let digits = self.digits;
        writeln!(f, "| {digits} bitmaps | {} |", percent(&self.bitmaps))?;
        writeln!(
            f,
            "| {digits} digits as strokes (Normaliser) | {} |",
            percent(&self.strokes)
        )?;
        writeln!(
            f,
            "| generated operators, held-out seed {} | {} |",
            self.seed,
            percent(&self.operators)
        )?;
        for s in OPERATORS {
            writeln!(
                f,
                "| operator {} | {:.2}% |",
                s.class_name(),
                100.0 * self.operators.class_accuracy(s.index())
            )?;
        }
        let classes: Vec<usize> = (0..10).collect();
        let all: Vec<usize> = (0..CLASSES).collect();
        writeln!(
            f,
            "\n{digits} bitmaps, confusion (rows: truth, columns: read as)"
        )?;
        self.bitmaps.table(f, &classes, &classes)?;
        writeln!(f, "\n{digits} digits as strokes, confusion")?;
        self.strokes.table(f, &classes, &classes)?;
        writeln!(
            f,
            "\ngenerated operators, confusion over all {CLASSES} classes"
        )?;
        let operators: Vec<usize> = OPERATORS.iter().map(|s| s.index()).collect();
        self.operators.table(f, &operators, &all)
    }
}

fn confusion(classifier: &Classifier, images: &[MnistImage], labels: &[u8]) -> Result<Confusion> {
    let out = classifier.predict_batch(images)?;
    let mut c = Confusion::new();
    for (p, &label) in out.iter().zip(labels) {
        c.matrix[usize::from(label)][p.top().0] += 1;
    }
    Ok(c)
}

/// The three test sets, as the classifier's inputs with their labels.
pub struct TestSets {
    pub digits: &'static str,
    pub seed: u64,
    pub bitmaps: (Vec<MnistImage>, Vec<u8>),
    pub strokes: (Vec<MnistImage>, Vec<u8>),
    pub operators: (Vec<MnistImage>, Vec<u8>),
}

impl TestSets {
    /// The held-out test sets: every MNIST test digit, operators from the test stream.
    pub fn new(test: &MnistSet) -> Self {
        let all: Vec<usize> = (0..test.len()).collect();
        Self::of(test, &all, TEST_SEED, Stream::Test, TEST_PER_OPERATOR)
    }

    /// A training run's validation digits (`held_out`, see `train::split`) and operators.
    pub fn validation(train: &MnistSet, held_out: &[usize], seed: u64) -> Self {
        let sets = Self::of(train, held_out, seed, Stream::Validation, TEST_PER_OPERATOR);
        TestSets {
            digits: "MNIST validation",
            ..sets
        }
    }

    /// The digits of `set` at `indices` and operators, drawn from `stream` with `seed`:
    /// [`Self::new`], or a training run's validation split (to choose settings by).
    fn of(set: &MnistSet, indices: &[usize], seed: u64, stream: Stream, per_op: usize) -> Self {
        let strokes = sources::stroke_renderings(set, indices, seed, stream);
        let ops = sources::operator_samples(seed, stream, 0, per_op);
        let labels: Vec<u8> = indices.iter().map(|&i| set.labels[i]).collect();
        TestSets {
            digits: "MNIST test",
            seed,
            bitmaps: (
                indices
                    .iter()
                    .map(|&i| MnistImage::from_u8(&set.images[i]))
                    .collect(),
                labels.clone(),
            ),
            strokes: (
                strokes.into_iter().map(MnistImage::from_pixels).collect(),
                labels,
            ),
            operators: (
                ops.iter()
                    .map(|s| MnistImage::from_pixels(s.pixels))
                    .collect(),
                ops.iter().map(|s| s.class).collect(),
            ),
        }
    }
}

pub fn evaluate(onnx: &[u8], sets: &TestSets) -> Result<Report> {
    let classifier = classifier(onnx)?;
    Ok(Report {
        digits: sets.digits,
        seed: sets.seed,
        bitmaps: confusion(&classifier, &sets.bitmaps.0, &sets.bitmaps.1)?,
        strokes: confusion(&classifier, &sets.strokes.0, &sets.strokes.1)?,
        operators: confusion(&classifier, &sets.operators.0, &sets.operators.1)?,
    })
}

/// Pairs (bitmap, stroke rendering) per row of the misread sheet.
const MISREAD_PAIRS_PER_ROW: usize = 8;

/// Writes the test digits misread as strokes to `out` (see `write_grid`): each pair is the
/// MNIST bitmap and its stroke rendering, in the order of the true class. Returns how many.
pub fn misread_sheet(onnx: &[u8], sets: &TestSets, out: &std::path::Path) -> Result<usize> {
    let (images, labels) = &sets.strokes;
    let read = classifier(onnx)?.predict_batch(images)?;
    let mut misread: Vec<usize> = (0..labels.len())
        .filter(|&i| read[i].top().0 != usize::from(labels[i]))
        .collect();
    misread.sort_by_key(|&i| (labels[i], read[i].top().0));
    let rows: Vec<Vec<[f32; PIXELS]>> = misread
        .chunks(MISREAD_PAIRS_PER_ROW)
        .map(|chunk| {
            chunk
                .iter()
                .flat_map(|&i| [*sets.bitmaps.0[i].pixels(), *images[i].pixels()])
                .collect()
        })
        .collect();
    sources::write_grid(&rows, 2 * MISREAD_PAIRS_PER_ROW, out)?;
    for &i in &misread {
        let (class, p) = read[i].top();
        print!(
            "{i}:{}->{}({p:.2}) ",
            labels[i],
            SYMBOLS[class].class_name()
        );
    }
    println!();
    Ok(misread.len())
}

/// How several models read the same digits: each alone, their mean (an ensemble), and which
/// stroke digits every one of them misreads. Digits that independently trained models all
/// misread are what the stroke conversion made ambiguous, not what one run happened to learn;
/// the ensemble shows what averaging out the variance between runs would gain.
pub struct Agreement {
    digits: &'static str,
    /// Per model: its name, and its bitmap and stroke accuracy.
    models: Vec<(String, f64, f64)>,
    ensemble: (f64, f64),
    /// Stroke digits misread by every model, and by at least one.
    misread_by_all: usize,
    misread_by_any: usize,
    total: usize,
}

pub fn agreement(models: &[(String, Vec<u8>)], sets: &TestSets) -> Result<Agreement> {
    let (bitmaps, strokes) = (&sets.bitmaps, &sets.strokes);
    let mut ensemble = (
        vec![[0f32; CLASSES]; bitmaps.1.len()],
        vec![[0f32; CLASSES]; strokes.1.len()],
    );
    let mut misread_count = vec![0usize; strokes.1.len()];
    let mut rows = Vec::new();
    for (name, onnx) in models {
        let classifier = classifier(onnx).with_context(|| format!("model {name}"))?;
        let bitmaps_right = read_into(&classifier, bitmaps, &mut ensemble.0)?;
        let strokes_right = read_into(&classifier, strokes, &mut ensemble.1)?;
        for (count, right) in misread_count.iter_mut().zip(&strokes_right) {
            *count += usize::from(!right);
        }
        rows.push((name.clone(), share(&bitmaps_right), share(&strokes_right)));
    }
    let mean_right = |sums: &[[f32; CLASSES]], labels: &[u8]| {
        let right: Vec<bool> = sums
            .iter()
            .zip(labels)
            .map(|(s, &l)| crate::fit::argmax(s) == usize::from(l))
            .collect();
        share(&right)
    };
    Ok(Agreement {
        digits: sets.digits,
        ensemble: (
            mean_right(&ensemble.0, &bitmaps.1),
            mean_right(&ensemble.1, &strokes.1),
        ),
        misread_by_all: misread_count.iter().filter(|&&n| n == models.len()).count(),
        misread_by_any: misread_count.iter().filter(|&&n| n > 0).count(),
        total: strokes.1.len(),
        models: rows,
    })
}

/// Which of `images` the classifier reads right; adds its probabilities to `sum`.
fn read_into(
    classifier: &Classifier,
    (images, labels): &(Vec<MnistImage>, Vec<u8>),
    sum: &mut [[f32; CLASSES]],
) -> Result<Vec<bool>> {
    let out = classifier.predict_batch(images)?;
    for (s, p) in sum.iter_mut().zip(&out) {
        for (s, v) in s.iter_mut().zip(p.as_array()) {
            *s += v;
        }
    }
    Ok(out
        .iter()
        .zip(labels)
        .map(|(p, &l)| p.top().0 == usize::from(l))
        .collect())
}

fn share(right: &[bool]) -> f64 {
    right.iter().filter(|&&r| r).count() as f64 / right.len().max(1) as f64
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits;
        writeln!(f, "\n{} models on the {digits} digits:", self.models.len())?;
        writeln!(f, "| model | bitmaps | as strokes |")?;
        writeln!(f, "| --- | --- | --- |")?;
        for (name, b, s) in &self.models {
            writeln!(f, "| {name} | {:.2}% | {:.2}% |", 100.0 * b, 100.0 * s)?;
        }
        let (b, s) = self.ensemble;
        writeln!(
            f,
            "| mean of their probabilities | {:.2}% | {:.2}% |",
            100.0 * b,
            100.0 * s
        )?;
        writeln!(
            f,
            "digits as strokes misread by every model: {} of {}; by at least one: {}",
            self.misread_by_all, self.total, self.misread_by_any
        )
    }
}

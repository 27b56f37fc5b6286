//! `trainer eval`: accuracy and confusion matrix of an exported ONNX file, run through tract
//! via the runtime's own `Classifier` (the engine the app uses), not the training framework.

use std::fmt;

use anyhow::{Context, Result};
use mathsketch::idx::MnistSet;
use mathsketch::mnist::MnistImage;
use mathsketch::Classifier;

use crate::augment::PIXELS;

/// Batch size for evaluation runs: amortises per-run overhead without a big plan.
const BATCH: usize = 100;

fn classifier(onnx: &[u8]) -> Result<Classifier> {
    Classifier::with_batch(onnx, BATCH).context("loading the ONNX model with tract")
}

/// tract's probabilities for `images`, flattened `[n * 10]`.
pub fn probabilities(onnx: &[u8], images: &[[f32; PIXELS]]) -> Result<Vec<f32>> {
    let inputs: Vec<MnistImage> = images.iter().map(|p| MnistImage::from_pixels(*p)).collect();
    let out = classifier(onnx)?.predict_batch(&inputs)?;
    Ok(out.iter().flat_map(|p| *p.as_array()).collect())
}

pub struct Report {
    /// confusion[truth][predicted]
    pub confusion: [[usize; 10]; 10],
}

impl Report {
    pub fn total(&self) -> usize {
        self.confusion.iter().flatten().sum()
    }

    pub fn correct(&self) -> usize {
        (0..10).map(|d| self.confusion[d][d]).sum()
    }

    pub fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total().max(1) as f64
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "test accuracy (tract): {:.2}% ({} / {})",
            100.0 * self.accuracy(),
            self.correct(),
            self.total()
        )?;
        writeln!(f, "confusion matrix (rows: true digit, columns: predicted)")?;
        write!(f, "     ")?;
        for d in 0..10 {
            write!(f, "{d:>6}")?;
        }
        writeln!(f)?;
        for (truth, row) in self.confusion.iter().enumerate() {
            write!(f, "{truth:>4} ")?;
            for n in row {
                write!(f, "{n:>6}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

pub fn evaluate(onnx: &[u8], set: &MnistSet) -> Result<Report> {
    let inputs: Vec<MnistImage> = set.images.iter().map(MnistImage::from_u8).collect();
    let out = classifier(onnx)?.predict_batch(&inputs)?;
    let mut confusion = [[0usize; 10]; 10];
    for (p, &label) in out.iter().zip(&set.labels) {
        confusion[usize::from(label)][p.top().0] += 1;
    }
    Ok(Report { confusion })
}

//! The embedded model's outputs on fixed inputs, recorded once and checked natively
//! (`tests/model_outputs.rs`) and in Chromium (`tests/wasm.rs`). It exists so that a change
//! to how tract is built (the tract-nnef patch in `patches/`, profiles, wasm-opt passes)
//! proves it computes exactly what the recorded build computed, not just "about as well".
//!
//! The inputs are the hand-made digit drawings of `support/digits.rs` drawn at a fixed size,
//! normalised by the core (no data files, so the same check runs in the browser). The
//! recording is `outputs.txt`: one line per drawing, its 17 probabilities. Re-record with
//! `MATHSKETCH_RECORD_OUTPUTS=1 cargo test --release --test model_outputs` only when the
//! model itself changes (a new `models/symbols.onnx`), never to make a build change pass.

use mathsketch::classifier::{Classifier, CLASSES};
use mathsketch::{MnistImage, Normaliser, Point, Sketch};

#[path = "../support/digits.rs"]
#[allow(dead_code)]
mod digits;

/// The recording, made natively with the model it checks (re-recorded with each new model).
pub const RECORDED: &str = include_str!("outputs.txt");

/// Two builds of the same tract on the same target agree bit for bit (the largest difference
/// is printed, and is 0 there); across targets and CPUs tract picks other SIMD kernels (AVX2
/// or SSE natively, wasm SIMD in the browser), whose summation order differs in the last bits.
pub const TOLERANCE: f32 = 1e-5;

/// The drawings normalised to MNIST images, in `digits::drawings()` order.
pub fn inputs() -> Vec<(String, MnistImage)> {
    digits::drawings()
        .into_iter()
        .map(|d| {
            let mut sketch = Sketch::new();
            for stroke in &d.strokes {
                let mut points = stroke
                    .iter()
                    .map(|&(x, y)| Point::new(40.0 + 200.0 * x, 30.0 + 200.0 * y));
                if let Some(first) = points.next() {
                    sketch.begin_stroke(first);
                    points.for_each(|p| sketch.extend_stroke(p));
                    sketch.end_stroke();
                }
            }
            let mut image = MnistImage::blank();
            assert!(
                Normaliser::new().normalise(&sketch, &mut image),
                "{} has ink",
                d.name
            );
            (d.name.to_string(), image)
        })
        .collect()
}

/// The embedded classifier's probabilities for every input, one line each.
pub fn compute() -> Vec<[f32; CLASSES]> {
    let classifier = Classifier::embedded().expect("the embedded model loads");
    inputs()
        .iter()
        .map(|(_, image)| *classifier.predict(image).expect("prediction").as_array())
        .collect()
}

/// The recording's text for `outputs` (used when re-recording).
#[allow(dead_code)]
pub fn format(outputs: &[[f32; CLASSES]]) -> String {
    outputs
        .iter()
        .map(|p| {
            p.iter()
                .map(|v| format!("{v:e}"))
                .collect::<Vec<_>>()
                .join(" ")
                + "\n"
        })
        .collect()
}

pub fn parse(recorded: &str) -> Vec<Vec<f32>> {
    recorded
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|v| v.parse().expect("a recorded probability"))
                .collect()
        })
        .collect()
}

/// Panics with the first input and class that differs from the recording by more than
/// `TOLERANCE`; returns the largest difference seen.
pub fn check(outputs: &[[f32; CLASSES]]) -> f32 {
    let recorded = parse(RECORDED);
    let names: Vec<String> = inputs().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        recorded.len(),
        outputs.len(),
        "one recorded line per drawing"
    );
    let mut worst = 0f32;
    for ((got, want), name) in outputs.iter().zip(&recorded).zip(&names) {
        assert_eq!(
            want.len(),
            CLASSES,
            "{name}: {CLASSES} recorded probabilities"
        );
        for (class, (g, w)) in got.iter().zip(want).enumerate() {
            let d = (g - w).abs();
            assert!(
                d <= TOLERANCE,
                "{name}, class {class}: {g:e} now, {w:e} recorded"
            );
            worst = worst.max(d);
        }
    }
    worst
}

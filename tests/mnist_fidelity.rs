//! Is the sketch normaliser MNIST-faithful? Takes real MNIST training digits, thins each to its
//! one-pixel skeleton, turns the skeleton into pen strokes (what a person drawing that digit
//! would give us, minus the stroke width), runs them through `Normaliser`, and compares with
//! the original: stroke width (ink mass per skeleton length), ink-value histogram, ink box size
//! and pixel difference. This is also how `PEN_DIAMETER` was chosen; if someone changes the
//! pen or the fit, this says whether the output still looks like MNIST.
//!
//! Data: `MATHSKETCH_MNIST_DIR`, default `../shared/data/mnist` (as for tests/accuracy.rs).

use std::path::{Path, PathBuf};

use mathsketch::mnist::{PIXELS, SIDE};
use mathsketch::skeleton::thin;
use mathsketch::{MnistImage, Normaliser, Point, Sketch};

fn data_dir() -> PathBuf {
    std::env::var_os("MATHSKETCH_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"))
}

use mathsketch::skeleton::Mask;

fn at(m: &Mask, x: i32, y: i32) -> bool {
    (0..SIDE as i32).contains(&x)
        && (0..SIDE as i32).contains(&y)
        && m[y as usize * SIDE + x as usize]
}

/// Skeleton edges (8-connectivity, diagonals only where no orthogonal path exists) with lengths.
/// A skeleton edge: two pixel positions and the distance between them.
type Edge = ((i32, i32), (i32, i32), f32);

fn edges(sk: &Mask) -> Vec<Edge> {
    let mut out = Vec::new();
    for y in 0..SIDE as i32 {
        for x in 0..SIDE as i32 {
            if !at(sk, x, y) {
                continue;
            }
            for (dx, dy) in [(1, 0), (0, 1), (1, 1), (-1, 1)] {
                if !at(sk, x + dx, y + dy) {
                    continue;
                }
                let diagonal = dx != 0 && dy != 0;
                if diagonal && (at(sk, x + dx, y) || at(sk, x, y + dy)) {
                    continue;
                }
                let len = if diagonal {
                    std::f32::consts::SQRT_2
                } else {
                    1.0
                };
                out.push(((x, y), (x + dx, y + dy), len));
            }
        }
    }
    out
}

/// Effective stroke width: ink mass per unit of skeleton length (skeleton of the 0.5 mask).
fn stroke_width(px: &[f32; PIXELS]) -> Option<f32> {
    let mut mask = [false; PIXELS];
    for (m, &v) in mask.iter_mut().zip(px) {
        *m = v > 0.5;
    }
    let len: f32 = edges(&thin(mask)).iter().map(|e| e.2).sum();
    (len >= 5.0).then(|| px.iter().sum::<f32>() / len)
}

/// Share of ink pixels (> 0.02) that are near-saturated (>= 0.8).
fn saturated_share(px: &[f32; PIXELS]) -> f32 {
    let ink = px.iter().filter(|&&v| v > 0.02).count().max(1);
    px.iter().filter(|&&v| v >= 0.8).count() as f32 / ink as f32
}

fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f32::NAN)
}

/// The digit as a person would draw it: its skeleton as pen strokes (one segment per edge),
/// normalised. Coordinates are scaled up to "screen size" so the minimum extent plays no
/// part. `None` when the skeleton has no edges.
fn redraw(normaliser: &mut Normaliser, mnist: &MnistImage) -> Option<MnistImage> {
    let mut mask = [false; PIXELS];
    for (m, &v) in mask.iter_mut().zip(mnist.pixels()) {
        *m = v > 0.5;
    }
    let es = edges(&thin(mask));
    if es.is_empty() {
        return None;
    }
    let k = 10.0;
    let pt = |x: i32, y: i32| Point::new(x as f32 * k, y as f32 * k);
    let mut sketch = Sketch::new();
    for &((x0, y0), (x1, y1), _) in &es {
        sketch.begin_stroke(pt(x0, y0));
        sketch.extend_stroke(pt(x1, y1));
        sketch.end_stroke();
    }
    let mut ours = MnistImage::blank();
    normaliser.normalise(&sketch, &mut ours).then_some(ours)
}

#[test]
fn normalised_skeletons_look_like_mnist() {
    // Training images: that is the distribution the classifier learned.
    let train = mathsketch::idx::load_train(&data_dir()).expect("MNIST training set");
    let mut normaliser = Normaliser::new();
    let (mut w_mnist, mut w_ours) = (Vec::new(), Vec::new());
    let (mut sat_mnist, mut sat_ours) = (Vec::new(), Vec::new());
    let (mut side_ours, mut side0_ours, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for raw in train.images.iter().take(3000) {
        let mnist = MnistImage::from_u8(raw);
        let Some(ours) = redraw(&mut normaliser, &mnist) else {
            continue;
        };
        let (Some(a), Some(b)) = (stroke_width(mnist.pixels()), stroke_width(ours.pixels())) else {
            continue;
        };
        w_mnist.push(a);
        w_ours.push(b);
        sat_mnist.push(saturated_share(mnist.pixels()));
        sat_ours.push(saturated_share(ours.pixels()));
        if let Some((x0, y0, x1, y1)) = ours.ink_bounds(0.5) {
            side_ours.push((x1 - x0 + 1).max(y1 - y0 + 1) as f32);
        }
        if let Some((x0, y0, x1, y1)) = ours.ink_bounds(0.0) {
            side0_ours.push((x1 - x0 + 1).max(y1 - y0 + 1) as f32);
        }
        let d: f32 = mnist
            .pixels()
            .iter()
            .zip(ours.pixels())
            .map(|(p, q)| (p - q).abs())
            .sum();
        // Relative to the ink present, so thin and heavy digits weigh alike.
        diffs.push(d / (mnist.mass() + ours.mass()));
    }
    let (wm, wo) = (median(w_mnist), median(w_ours));
    let (sm, so) = (median(sat_mnist), median(sat_ours));
    let (side, side0) = (median(side_ours), median(side0_ours));
    let diff = median(diffs);
    println!(
        "stroke width: MNIST {wm:.3} ours {wo:.3}; saturated share: MNIST {sm:.3} ours {so:.3}; \
         ink longer side ours {side} at >0.5, {side0} at >0 \
         (MNIST: 20 and 20); relative L1 difference {diff:.3}"
    );
    // MNIST writers vary far more than these tolerances; they guard against a pen that is
    // visibly too thin/thick or too soft/hard for the classifier.
    assert!((wo - wm).abs() < 0.2, "stroke width {wo} vs MNIST {wm}");
    assert!((so - sm).abs() < 0.1, "saturated share {so} vs MNIST {sm}");
    assert!((19.0..=21.0).contains(&side), "ink longer side {side}");
    assert!(diff < 0.4, "relative L1 difference {diff}");
}

/// End to end: the shipped classifier should recognise re-drawn digits about as well as the
/// originals. A gap here means the normaliser's output has drifted from what the model learned.
#[test]
fn redrawn_test_digits_are_classified_like_the_originals() {
    use mathsketch::classifier::EMBEDDED_MODEL;
    use mathsketch::Classifier;

    if EMBEDDED_MODEL.is_empty() {
        // The trainer has not produced models/symbols.onnx yet; the pixel statistics above still
        // check the normaliser. Say so loudly rather than pass silently.
        println!("SKIPPED: models/symbols.onnx is empty, no classifier to compare with");
        return;
    }
    let test = mathsketch::idx::load_test(&data_dir()).expect("MNIST test set");
    let mut normaliser = Normaliser::new();
    let (mut originals, mut redrawn, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for (raw, &label) in test.images.iter().zip(&test.labels).take(2000) {
        let mnist = MnistImage::from_u8(raw);
        if let Some(ours) = redraw(&mut normaliser, &mnist) {
            originals.push(mnist);
            redrawn.push(ours);
            labels.push(label);
        }
    }
    let classifier = Classifier::with_batch(EMBEDDED_MODEL, 100).expect("model loads");
    let accuracy = |images: &[MnistImage]| {
        let probs = classifier.predict_batch(images).expect("inference runs");
        let correct = probs
            .iter()
            .zip(&labels)
            .filter(|(p, &l)| p.top().0 == usize::from(l))
            .count();
        correct as f64 / labels.len() as f64
    };
    let (orig, ours) = (accuracy(&originals), accuracy(&redrawn));
    println!(
        "accuracy on {} MNIST test digits: originals {:.2}%, skeletons re-drawn by the normaliser {:.2}%",
        labels.len(),
        100.0 * orig,
        100.0 * ours
    );
    // Thinning loses real information (stroke-width variation, blobs), so some loss is
    // expected; a few points more means the normaliser is off-distribution.
    assert!(ours > orig - 0.03, "re-drawn {ours} vs originals {orig}");
}

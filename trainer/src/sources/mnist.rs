//! MNIST digits two ways: the scanned bitmaps as they are, and the same digits as pen strokes
//! (skeleton → polylines → pointer samples → the app's `Normaliser`), which is what the page
//! sees when someone writes that digit.

use mathsketch::mnist::PIXELS;
use mathsketch::{skeleton, Normaliser};
use rand::Rng;

use crate::pen::{self, PenStyle, Strokes};

/// Height of a digit on the pad, in CSS px (MNIST's ink is 20 px tall).
const HEIGHT: (f32, f32) = (40.0, 200.0);
/// Moving-average radius over skeleton pixels: 0 keeps the pixel staircase, 1 smooths it
/// away. Wider windows (tried: up to 3) round off corners and close small loops, which no
/// hand does: a 6's loop is 5 pixels across.
const SMOOTHING: (usize, usize) = (0, 1);

/// `[0, 1]` pixels of a 0..255 MNIST image.
pub fn to_f32(img: &[u8; PIXELS]) -> [f32; PIXELS] {
    let mut out = [0f32; PIXELS];
    for (o, &v) in out.iter_mut().zip(img) {
        *o = f32::from(v) / 255.0;
    }
    out
}

/// The digit as a person would draw it: random size, smoothing and pointer sampling.
/// `None` when the bitmap has no ink.
pub fn strokes(img: &[u8; PIXELS], rng: &mut impl Rng) -> Option<Strokes> {
    let scale = rng.random_range(HEIGHT.0..=HEIGHT.1) / 20.0;
    let smoothing = rng.random_range(SMOOTHING.0..=SMOOTHING.1);
    let paths = skeleton::digit_paths(img, scale, smoothing);
    if paths.is_empty() {
        return None;
    }
    Some(PenStyle::random(rng).sample(&paths, rng))
}

/// The digit drawn as strokes and normalised by the app; the bitmap itself when it has no
/// skeleton (never seen in MNIST, but a blank image must not break a run).
pub fn rendered(
    normaliser: &mut Normaliser,
    img: &[u8; PIXELS],
    rng: &mut impl Rng,
) -> [f32; PIXELS] {
    strokes(img, rng)
        .and_then(|s| pen::render(normaliser, &s))
        .unwrap_or_else(|| to_f32(img))
}

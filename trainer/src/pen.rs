//! The app's pen: paths become pointer samples the way a mouse, finger or stylus reports them,
//! and those become the classifier's input through the app's own `Normaliser`, the very code
//! the browser runs. Both MNIST digits turned into strokes and generated operators go through
//! here, so the model learns exactly what the page will show it.

use mathsketch::mnist::PIXELS;
use mathsketch::skeleton;
use mathsketch::{MnistImage, Normaliser, Sketch};
use rand::Rng;

/// A path or a set of strokes in CSS pixels (the unit of the pad).
pub type Strokes = Vec<Vec<[f32; 2]>>;

/// How one drawing is sampled: the device and the hand's speed, chosen once per drawing.
#[derive(Clone, Copy, Debug)]
pub struct PenStyle {
    /// Mean distance between reported positions (CSS px): slow pens and coalesced events
    /// give 1 px, a quick mouse flick 8 px or more.
    pub step: f32,
    /// Relative variation of each gap.
    pub step_variation: f32,
    /// Positional noise (CSS px): sensor and hand tremor.
    pub jitter: f32,
}

impl PenStyle {
    pub fn random(rng: &mut impl Rng) -> Self {
        PenStyle {
            step: rng.random_range(1.0f32..=8.0),
            step_variation: rng.random_range(0.0f32..=0.6),
            jitter: rng.random_range(0.0f32..=0.7),
        }
    }

    /// The pointer samples along each of `paths` (dense polylines in CSS px).
    pub fn sample(&self, paths: &[Vec<[f32; 2]>], rng: &mut impl Rng) -> Strokes {
        let mut uniform = || rng.random::<f32>();
        paths
            .iter()
            .map(|p| {
                skeleton::pointer_samples(
                    p,
                    self.step,
                    self.step_variation,
                    self.jitter,
                    &mut uniform,
                )
            })
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Renders strokes with the app's `Normaliser` (default settings: CSS pixel input), as
/// `[0, 1]` pixels; `None` when there is nothing to draw or the strokes are out of range.
pub fn render(normaliser: &mut Normaliser, strokes: &[Vec<[f32; 2]>]) -> Option<[f32; PIXELS]> {
    let sketch = Sketch::from_coordinates(strokes).ok()?;
    let mut out = MnistImage::blank();
    normaliser
        .normalise(&sketch, &mut out)
        .then(|| *out.pixels())
}

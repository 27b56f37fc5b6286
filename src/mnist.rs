//! MNIST normalisation: turning a sketch (or an uploaded bitmap) into the 28×28 image the
//! classifier was trained on.
//!
//! MNIST's recipe (LeCun et al.): each NIST digit was scaled, keeping its aspect ratio, so its
//! ink fits a 20×20 box, anti-aliased, then placed in a 28×28 field so that the intensity
//! centre of mass sits at the centre. Measured on the first 20 000 training images, the ink's
//! longer side is 20 px both at threshold > 0 (all of them) and at > 0.5 (median 20, 98 % exactly
//! 20), and the centre of mass lies a median 0.8 px from (14, 14) because MNIST shifted by whole
//! pixels. We do the same, sub-pixel.
//!
//! Pen: sketches are polylines without a width, so we draw them with a fixed pen in output
//! pixels: [`PEN_DIAMETER`] with a [`PEN_FEATHER`]-wide linear edge. Calibration (see
//! [`PEN_DIAMETER`]) re-drew the skeletons of 5 000 MNIST training digits with this pen and
//! matched ink mass per unit of skeleton length and the intensity histogram to the originals.
//! The pen ignores pressure on purpose: MNIST has no pressure, and devices disagree wildly
//! (mice report a constant 0.5, many touch screens 0 or 1, styluses a real curve), so
//! modulating width would make the same digit look different per device — a distribution
//! shift for the classifier with nothing gained.

use crate::raster::{self, Affine, Raster};
use crate::sketch::{Sketch, Stroke};

/// Side of the MNIST image.
pub const SIDE: usize = 28;
/// Pixels in an MNIST image.
pub const PIXELS: usize = SIDE * SIDE;
/// Side of the box the digit's ink is fitted into, as in MNIST.
pub const INK_BOX: f32 = 20.0;

/// Pen diameter in output pixels, measured on MNIST.
///
/// Method (a one-off measurement over `train-images-idx3-ubyte`): binarise at 0.5, thin with
/// Zhang–Suen, take ink mass / skeleton length as the effective stroke width. MNIST: median
/// 2.50 px (mean 2.70: a tail of heavy writers). Re-drawing the same skeletons (with random
/// sub-pixel phase) with this rasteriser and measuring the same way gives 2.40 at d = 2.2,
/// 2.51 at d = 2.3 and 2.63 at d = 2.4, so 2.3 matches the typical MNIST digit. With the 1 px
/// feather the ink-value histogram then also matches (share of ink pixels >= 0.8: 0.53 vs
/// MNIST 0.52).
pub const PEN_DIAMETER: f32 = 2.3;
/// Width of the pen's soft edge in output pixels (linear ramp). 1.0 matched MNIST's
/// ink-value histogram better than 1.25 or 1.5, which leave too few saturated pixels.
pub const PEN_FEATHER: f32 = 1.0;

/// Default smallest extent (in input units: CSS pixels in the web app) a drawing is scaled up
/// from. Below it a drawing is treated as a small mark rather than blown up to 20 px: a tap
/// with a few pixels of finger jitter should be a dot, not a 20 px dash. Scale invariance holds
/// for drawings whose longer side is at least this.
pub const DEFAULT_MIN_EXTENT: f32 = 6.0;

/// Centre of the output field, where the centre of mass goes.
const CENTRE: f64 = SIDE as f64 / 2.0;
/// Centre-of-mass correction passes after the first render. Rasterisation is not exactly
/// translation-covariant at sub-pixel level, so one correction leaves ~0.05 px of error; two
/// leave well under 0.01 px at 3 renders of a 28×28 frame in total.
const COM_PASSES: usize = 2;

/// Consecutive stroke points closer than this (in output pixels) are merged when drawing:
/// invisible at 28×28, and keeps dense scribbles cheap enough for every animation frame.
const MIN_STEP: f32 = 0.1;

/// Bitmap inputs whose ink contrast (in 0..255 levels) stays below this are blank: sensor
/// noise and JPEG ringing on empty paper stay well below it.
const MIN_CONTRAST: f32 = 24.0;
/// Contrast (as a fraction of the image's maximum) below which a bitmap pixel is background,
/// so paper texture and compression noise do not become faint ink.
const NOISE_FLOOR: f32 = 0.1;
/// Contrast fraction from which a bitmap pixel counts as full ink: real ink is not uniformly
/// dark (pencil, uneven lighting), while MNIST stroke cores are saturated.
const SATURATION: f32 = 0.9;

/// A 28×28 grayscale image, row-major, 0.0 background .. 1.0 ink (white on black, like MNIST).
#[derive(Clone, Debug, PartialEq)]
pub struct MnistImage {
    pixels: [f32; PIXELS],
}

impl Default for MnistImage {
    fn default() -> Self {
        Self::blank()
    }
}

/// Why [`MnistImage::from_luma`] rejected its input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// Width or height is zero.
    #[error("image is {width}x{height}: both sides must be at least 1 pixel")]
    ZeroSize {
        /// Given width.
        width: usize,
        /// Given height.
        height: usize,
    },
    /// The buffer length is not `width * height`.
    #[error("pixel buffer has {actual} bytes, but a {width}x{height} grayscale image needs width*height")]
    SizeMismatch {
        /// Given width.
        width: usize,
        /// Given height.
        height: usize,
        /// Given buffer length.
        actual: usize,
    },
}

impl MnistImage {
    /// All background.
    pub fn blank() -> Self {
        Self {
            pixels: [0.0; PIXELS],
        }
    }

    /// A fixed input that is the same everywhere: pixel `i` is `((i * 7919) % 251) / 250`.
    /// The benchmarks feed it to every runtime they compare (tract native, tract in wasm,
    /// onnxruntime-web, whose page computes the same formula), so all of them do the same
    /// work and their outputs can be checked against each other.
    pub fn benchmark_input() -> Self {
        let mut pixels = [0.0; PIXELS];
        for (i, p) in pixels.iter_mut().enumerate() {
            *p = ((i * 7919) % 251) as f32 / 250.0;
        }
        Self { pixels }
    }

    /// Wraps pixels, forcing them into `0..=1` (NaN becomes 0) so the image invariant holds.
    pub fn from_pixels(mut p: [f32; PIXELS]) -> Self {
        for v in &mut p {
            *v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
        }
        Self { pixels: p }
    }

    /// From MNIST bytes (0 background .. 255 ink).
    pub fn from_u8(p: &[u8; PIXELS]) -> Self {
        let mut pixels = [0.0; PIXELS];
        for (o, &b) in pixels.iter_mut().zip(p.iter()) {
            *o = f32::from(b) / 255.0;
        }
        Self { pixels }
    }

    /// The pixels, row-major.
    pub fn pixels(&self) -> &[f32; PIXELS] {
        &self.pixels
    }

    /// As MNIST bytes (rounded), e.g. for previews or IDX export.
    pub fn to_u8(&self) -> [u8; PIXELS] {
        let mut out = [0u8; PIXELS];
        for (o, &v) in out.iter_mut().zip(self.pixels.iter()) {
            *o = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
        out
    }

    /// Total ink.
    pub fn mass(&self) -> f32 {
        self.pixels.iter().sum()
    }

    /// Normalises a sketch; `None` when it has no points. Allocates a [`Normaliser`]: code that
    /// normalises repeatedly should keep one.
    pub fn from_sketch(s: &Sketch) -> Option<MnistImage> {
        let mut img = MnistImage::blank();
        Normaliser::new().normalise(s, &mut img).then_some(img)
    }

    /// Intensity centre of mass `(x, y)` in pixel coordinates (pixel centres at `i + 0.5`);
    /// `None` for a blank image.
    pub fn centre_of_mass(&self) -> Option<(f32, f32)> {
        raster::centre_of_mass(&self.pixels, SIDE)
    }

    /// Inclusive bounds `(x0, y0, x1, y1)` of the pixels strictly brighter than `threshold`.
    pub fn ink_bounds(&self, threshold: f32) -> Option<(usize, usize, usize, usize)> {
        raster::ink_bounds(&self.pixels, SIDE, threshold)
    }

    /// Normalises an arbitrary 8-bit grayscale bitmap (e.g. an uploaded photo or scan) the
    /// MNIST way; `Ok(None)` when it has no ink.
    ///
    /// 1. Polarity and background: the median of the border pixels is the background (the
    ///    digit rarely covers half the border); a light background means dark ink.
    /// 2. Ink = contrast against the background, with contrast below 10 % of the image's
    ///    maximum treated as paper noise and above 90 % as full ink. Maximum contrast under
    ///    24 levels is a blank image.
    /// 3. The ink bounding box (at half contrast, so blur and faint noise do not inflate it)
    ///    is scaled, keeping aspect, so its longer side is 20 px: exact area averaging when
    ///    shrinking, bilinear when growing.
    /// 4. Shifted (sub-pixel, re-resampled rather than shifting the result) so the centre of
    ///    mass is at (14, 14), clamped so the ink stays in the field.
    ///
    /// The source's own stroke width is kept (scaled), as MNIST did with its scans. Work is
    /// linear in the pixel count with no allocation proportional to the image; the caller
    /// bounds the image size.
    pub fn from_luma(
        width: usize,
        height: usize,
        luma: &[u8],
    ) -> Result<Option<MnistImage>, ImageError> {
        if width == 0 || height == 0 {
            return Err(ImageError::ZeroSize { width, height });
        }
        if width.checked_mul(height) != Some(luma.len()) {
            return Err(ImageError::SizeMismatch {
                width,
                height,
                actual: luma.len(),
            });
        }
        let px = |x: usize, y: usize| luma.get(y * width + x).copied().unwrap_or(0);
        let background = border_median(width, height, px);
        let Some(levels) = InkLevels::new(luma, background) else {
            return Ok(None);
        };
        let ink = |x: usize, y: usize| levels.lut[usize::from(px(x, y))];
        let Some((inner, outer)) = ink_boxes(width, height, levels.half, ink) else {
            return Ok(None);
        };
        let dst = centred(inner, outer, ink);
        let mut img = MnistImage::blank();
        for (o, &v) in img.pixels.iter_mut().zip(dst.data()) {
            *o = v.clamp(0.0, 1.0);
        }
        Ok((img.mass() > 0.0).then_some(img))
    }
}

/// Inclusive pixel bounds `(x0, y0, x1, y1)`.
type Bounds = (usize, usize, usize, usize);

fn grow(b: &mut Option<Bounds>, x: usize, y: usize) {
    *b = Some(match *b {
        None => (x, y, x, y),
        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
    });
}

/// The value at 0-based `rank` in the sorted multiset described by `hist`.
fn rank_value(hist: &[usize; 256], rank: usize) -> u8 {
    let mut seen = 0;
    for (v, &c) in hist.iter().enumerate() {
        seen += c;
        if seen > rank {
            return v as u8;
        }
    }
    255
}

/// Step 1 of [`MnistImage::from_luma`]: the median of the border pixels, as the mean of the two
/// middle ranks so that inverting the image inverts the background exactly.
fn border_median(width: usize, height: usize, px: impl Fn(usize, usize) -> u8) -> f32 {
    let mut hist = [0usize; 256];
    for x in 0..width {
        hist[usize::from(px(x, 0))] += 1;
        hist[usize::from(px(x, height - 1))] += 1;
    }
    for y in 0..height {
        hist[usize::from(px(0, y))] += 1;
        hist[usize::from(px(width - 1, y))] += 1;
    }
    let n: usize = hist.iter().sum();
    (f32::from(rank_value(&hist, n.saturating_sub(1) / 2)) + f32::from(rank_value(&hist, n / 2)))
        / 2.0
}

/// Step 2 of [`MnistImage::from_luma`]: each grey level's ink in [0, 1], from its contrast
/// against the background (a light background means dark ink).
struct InkLevels {
    lut: [f32; 256],
    /// The ink at half the image's maximum contrast: the inner box's threshold.
    half: f32,
}

impl InkLevels {
    /// `None` when the image's maximum contrast is under [`MIN_CONTRAST`] (a blank image).
    fn new(luma: &[u8], background: f32) -> Option<InkLevels> {
        let dark_ink = background > 127.5;
        let contrast = |v: u8| {
            let v = f32::from(v);
            (if dark_ink {
                background - v
            } else {
                v - background
            })
            .max(0.0)
        };
        let cmax = luma.iter().map(|&v| contrast(v)).fold(0.0f32, f32::max);
        if cmax < MIN_CONTRAST {
            return None;
        }
        let (lo, hi) = (NOISE_FLOOR * cmax, SATURATION * cmax);
        let mut lut = [0.0f32; 256];
        for (v, o) in lut.iter_mut().enumerate() {
            *o = ((contrast(v as u8) - lo) / (hi - lo)).clamp(0.0, 1.0);
        }
        let half = ((0.5 * cmax - lo) / (hi - lo)).clamp(0.0, 1.0);
        Some(InkLevels { lut, half })
    }
}

/// Step 3 of [`MnistImage::from_luma`]: the inner box (ink at `half` or more: it sets the
/// scale, so blur and faint noise do not inflate it) and the outer box (any ink: it bounds the
/// shift). `None` without ink.
fn ink_boxes(
    width: usize,
    height: usize,
    half: f32,
    ink: impl Fn(usize, usize) -> f32,
) -> Option<(Bounds, Bounds)> {
    let (mut inner, mut outer): (Option<Bounds>, Option<Bounds>) = (None, None);
    for y in 0..height {
        for x in 0..width {
            let v = ink(x, y);
            if v > 0.0 {
                grow(&mut outer, x, y);
                if v >= half {
                    grow(&mut inner, x, y);
                }
            }
        }
    }
    Some((inner?, outer?))
}

/// Step 4 of [`MnistImage::from_luma`]: the ink resampled so the inner box's longer side is
/// [`INK_BOX`] px, then shifted (by resampling again, not by shifting pixels) so the centre of
/// mass is at the field's centre, clamped so the outer box stays in the field.
fn centred(inner: Bounds, outer: Bounds, ink: impl Fn(usize, usize) -> f32) -> Raster {
    let (bw, bh) = (inner.2 - inner.0 + 1, inner.3 - inner.1 + 1);
    let scale = f64::from(INK_BOX) / bw.max(bh) as f64;
    let origin = [
        inner.0 as f64 + bw as f64 / 2.0,
        inner.1 as f64 + bh as f64 / 2.0,
    ];
    // Bilinear growth spreads each source pixel by half a source pixel each side.
    let spread = if scale > 1.0 { 0.5 } else { 0.0 };
    let range = |o: f64, lo_px: usize, hi_px: usize| {
        (
            (o - (lo_px as f64 - spread)) * scale,
            SIDE as f64 - ((hi_px + 1) as f64 + spread - o) * scale,
        )
    };
    let (rx, ry) = (
        range(origin[0], outer.0, outer.2),
        range(origin[1], outer.1, outer.3),
    );
    // Only the outer box holds ink (by construction), so resample just that: three passes
    // over a large photo then cost three passes over the digit, not the photo.
    let crop = |x: usize, y: usize| ink(x + outer.0, y + outer.1);
    let (cw, ch) = (outer.2 - outer.0 + 1, outer.3 - outer.1 + 1);
    let mut dst = Raster::new(SIDE, SIDE);
    let mut offset = [CENTRE, CENTRE];
    for pass in 0..=COM_PASSES {
        let map = Affine {
            origin: [origin[0] - outer.0 as f64, origin[1] - outer.1 as f64],
            scale,
            offset,
        };
        raster::resample(cw, ch, crop, map, &mut dst);
        if pass == COM_PASSES {
            break;
        }
        let Some((cx, cy)) = dst.centre_of_mass() else {
            break;
        };
        offset = [
            clamp_or_mid(offset[0] + CENTRE - f64::from(cx), rx),
            clamp_or_mid(offset[1] + CENTRE - f64::from(cy), ry),
        ];
    }
    dst
}

/// `v` clamped to `[lo, hi]`, or the middle when the range is empty (content larger than the
/// field: centring it loses the least on both sides). Never panics, unlike `f64::clamp`.
fn clamp_or_mid(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if lo <= hi {
        v.max(lo).min(hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// Sketch → MNIST image, reusing its raster between calls so the per-frame path allocates
/// nothing after construction.
#[derive(Clone, Debug)]
pub struct Normaliser {
    raster: Raster,
    min_extent: f32,
}

impl Default for Normaliser {
    fn default() -> Self {
        Self::new()
    }
}

impl Normaliser {
    /// A normaliser with [`DEFAULT_MIN_EXTENT`] (input units are CSS pixels).
    pub fn new() -> Self {
        Self {
            raster: Raster::new(SIDE, SIDE),
            min_extent: DEFAULT_MIN_EXTENT,
        }
    }

    /// Sets the smallest drawing extent, in input units, that is scaled up to the full box
    /// (see [`DEFAULT_MIN_EXTENT`]); for callers whose coordinates are not CSS pixels.
    /// Negative or non-finite values mean 0 (pure scale invariance; a lone dot still works).
    pub fn with_min_extent(mut self, min_extent: f32) -> Self {
        self.min_extent = if min_extent.is_finite() {
            min_extent.max(0.0)
        } else {
            0.0
        };
        self
    }

    /// Renders `s` into `out` the MNIST way. Returns false (and blanks `out`) when `s` has no
    /// points.
    ///
    /// 1. Bounding box of the points (geometry, not pixels), in f64 so even f32::MAX-sized
    ///    coordinates cannot overflow.
    /// 2. Uniform scale from the longer side, so a "1" stays narrow and a "-" flat; drawings
    ///    smaller than the minimum extent are scaled as if they were that big (dots stay dots).
    /// 3. The pen is added after scaling, in output pixels, so the geometry box is shrunk by
    ///    the pen: the ink at threshold 0.5 spans `INK_BOX - PEN_FEATHER / 2` = 19.5 px and any
    ///    ink 20.5 px, straddling MNIST's 20 (measured at both thresholds). On re-drawn MNIST
    ///    skeletons (tests/mnist_fidelity.rs) that gives median pixel counts of 19 at > 0.5 and
    ///    20 at > 0; fitting the 0.5 contour to a full 20 gives 20 and 21 instead.
    /// 4. Render, measure the centre of mass, re-render shifted so it lands on (14, 14),
    ///    clamped so no ink leaves the field.
    pub fn normalise(&mut self, s: &Sketch, out: &mut MnistImage) -> bool {
        self.normalise_strokes(s.strokes().iter(), out)
    }

    /// [`Normaliser::normalise`] for some of a sketch's strokes: one symbol of a sum.
    pub fn normalise_group(&mut self, s: &Sketch, strokes: &[usize], out: &mut MnistImage) -> bool {
        let all = s.strokes();
        self.normalise_strokes(strokes.iter().filter_map(|&i| all.get(i)), out)
    }

    fn normalise_strokes<'a, I>(&mut self, strokes: I, out: &mut MnistImage) -> bool
    where
        I: Iterator<Item = &'a Stroke> + Clone,
    {
        let mut pts = strokes.clone().flat_map(|st| st.points().iter());
        let Some(first) = pts.next() else {
            *out = MnistImage::blank();
            return false;
        };
        let (fx, fy) = (f64::from(first.x), f64::from(first.y));
        let (x0, y0, x1, y1) = pts.fold((fx, fy, fx, fy), |(x0, y0, x1, y1), p| {
            let (x, y) = (f64::from(p.x), f64::from(p.y));
            (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
        });
        let (w, h) = (x1 - x0, y1 - y0);
        let radius = f64::from(PEN_DIAMETER) / 2.0;
        let reach = radius + f64::from(PEN_FEATHER) / 2.0;
        let geometry_box = f64::from(INK_BOX) - 2.0 * radius - f64::from(PEN_FEATHER) / 2.0;
        let extent = w.max(h).max(f64::from(self.min_extent));
        let scale = if extent > 0.0 && extent.is_finite() {
            geometry_box / extent
        } else {
            // A lone dot with min_extent 0: everything maps onto the centre.
            0.0
        };
        let centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let range = |half: f64| (half + reach, SIDE as f64 - half - reach);
        let (rx, ry) = (range(w * scale / 2.0), range(h * scale / 2.0));

        let mut offset = (CENTRE, CENTRE);
        for pass in 0..=COM_PASSES {
            self.render(strokes.clone(), centre, scale, offset);
            if pass == COM_PASSES {
                break;
            }
            let Some((cx, cy)) = self.raster.centre_of_mass() else {
                break;
            };
            offset = (
                clamp_or_mid(offset.0 + CENTRE - f64::from(cx), rx),
                clamp_or_mid(offset.1 + CENTRE - f64::from(cy), ry),
            );
        }
        for (o, &v) in out.pixels.iter_mut().zip(self.raster.data()) {
            *o = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
        }
        true
    }

    /// Draws every stroke with the pen under `p -> (p - centre) * scale + offset`.
    fn render<'a>(
        &mut self,
        strokes: impl Iterator<Item = &'a Stroke>,
        centre: (f64, f64),
        scale: f64,
        offset: (f64, f64),
    ) {
        self.raster.clear();
        let map = |x: f32, y: f32| -> [f32; 2] {
            [
                ((f64::from(x) - centre.0) * scale + offset.0) as f32,
                ((f64::from(y) - centre.1) * scale + offset.1) as f32,
            ]
        };
        let radius = PEN_DIAMETER / 2.0;
        for stroke in strokes {
            let Some((first, rest)) = stroke.points().split_first() else {
                continue;
            };
            let mut last = map(first.x, first.y);
            if rest.is_empty() {
                self.raster.draw_disc(last, radius, PEN_FEATHER);
            }
            for (i, p) in rest.iter().enumerate() {
                let q = map(p.x, p.y);
                // Dense input (fast pointer sampling, long scribbles) gives many points closer
                // than a fraction of an output pixel; segment cost is per point, so merge them.
                // The drawn path stays within MIN_STEP of every point, i.e. intensities move by
                // at most MIN_STEP; the stroke's last point is always reached.
                let (dx, dy) = (q[0] - last[0], q[1] - last[1]);
                if dx * dx + dy * dy < MIN_STEP * MIN_STEP && i + 1 < rest.len() {
                    continue;
                }
                self.raster.draw_capsule(last, q, radius, PEN_FEATHER);
                last = q;
            }
        }
    }
}

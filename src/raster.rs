//! Small, allocation-free (after construction) raster primitives used by the MNIST normaliser.
//!
//! Coordinates are continuous with pixel `(i, j)` covering `[i, i+1) × [j, j+1)`, so the centre of
//! pixel `i` is at `i + 0.5`. Everything here is defensive about its inputs: non-finite or absurd
//! coordinates are skipped or clipped rather than panicking, because sketch coordinates come from
//! browsers and uploaded files.

/// A grayscale raster of `f32` intensities (0 = background, 1 = full ink), row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl Raster {
    /// A zero-filled raster. Intended for small, program-chosen sizes (the 28×28 MNIST frame).
    pub fn new(width: usize, height: usize) -> Self {
        // Saturating: a size that overflows could never be allocated anyway; callers use constants.
        let len = width.saturating_mul(height);
        Self {
            width,
            height,
            data: vec![0.0; len],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row-major, `width * height` long.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Mutable pixels, row-major.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Resets every pixel to background without reallocating.
    pub fn clear(&mut self) {
        self.data.fill(0.0);
    }

    /// The pixel at `(x, y)`, or 0 outside the raster (so filters need no edge special cases).
    pub fn get(&self, x: isize, y: isize) -> f32 {
        if x < 0 || y < 0 {
            return 0.0;
        }
        let (x, y) = (x as usize, y as usize);
        if x >= self.width || y >= self.height {
            return 0.0;
        }
        self.data.get(y * self.width + x).copied().unwrap_or(0.0)
    }

    /// Draws an anti-aliased capsule (a segment from `a` to `b` with round caps) of the given
    /// `radius`, max-combined into the raster.
    ///
    /// Coverage is a linear ramp `clamp((radius - d) / feather + 0.5, 0, 1)` of the distance `d`
    /// from the pixel centre to the segment: it is exactly 0.5 at the nominal edge, so the ink
    /// thresholded at 0.5 has width `2 * radius` and the ink mass per unit length is `2 * radius`
    /// whatever the feather. Max-combining (rather than adding) means the joints of a polyline
    /// and self-overlapping strokes do not get darker, like a real pen.
    pub fn draw_capsule(&mut self, a: [f32; 2], b: [f32; 2], radius: f32, feather: f32) {
        let finite = a.iter().chain(b.iter()).all(|c| c.is_finite());
        if !(finite && radius.is_finite() && radius > 0.0 && feather.is_finite()) {
            return;
        }
        // A zero feather would divide by zero; a tiny one is a hard edge, which is what was meant.
        let feather = feather.max(1e-3);
        let reach = radius + 0.5 * feather;
        let Some((x0, x1)) = pixel_span(a[0].min(b[0]) - reach, a[0].max(b[0]) + reach, self.width)
        else {
            return;
        };
        let Some((y0, y1)) =
            pixel_span(a[1].min(b[1]) - reach, a[1].max(b[1]) + reach, self.height)
        else {
            return;
        };
        // f64 for the geometry: the public API accepts any finite f32, and squared lengths of
        // f32-sized coordinates overflow f32.
        let (ax, ay) = (f64::from(a[0]), f64::from(a[1]));
        let (dx, dy) = (f64::from(b[0]) - ax, f64::from(b[1]) - ay);
        let len2 = dx * dx + dy * dy;
        let (radius, feather) = (f64::from(radius), f64::from(feather));
        let width = self.width;
        for y in y0..y1 {
            let py = y as f64 + 0.5 - ay;
            let Some(row) = self.data.get_mut(y * width..(y + 1) * width) else {
                return;
            };
            for (x, px_out) in row.iter_mut().enumerate().take(x1).skip(x0) {
                let px = x as f64 + 0.5 - ax;
                // Closest point on the segment, parameterised by t in [0, 1].
                let t = if len2 > 0.0 {
                    ((px * dx + py * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (ex, ey) = (px - t * dx, py - t * dy);
                let d = (ex * ex + ey * ey).sqrt();
                let cov = ((radius - d) / feather + 0.5).clamp(0.0, 1.0) as f32;
                if cov > *px_out {
                    *px_out = cov;
                }
            }
        }
    }

    /// A round dot: a zero-length capsule.
    pub fn draw_disc(&mut self, c: [f32; 2], radius: f32, feather: f32) {
        self.draw_capsule(c, c, radius, feather);
    }

    /// Total intensity.
    pub fn mass(&self) -> f64 {
        self.data.iter().map(|&v| f64::from(v)).sum()
    }

    /// Intensity-weighted centroid `(x, y)` with pixel centres at `i + 0.5`; `None` without ink.
    pub fn centre_of_mass(&self) -> Option<(f32, f32)> {
        centre_of_mass(&self.data, self.width)
    }

    /// Inclusive bounds `(x0, y0, x1, y1)` of the pixels strictly brighter than `threshold`.
    pub fn ink_bounds(&self, threshold: f32) -> Option<(usize, usize, usize, usize)> {
        ink_bounds(&self.data, self.width, threshold)
    }

    /// Bilinear sample at continuous coordinates (pixel centres at `i + 0.5`), zero outside.
    pub fn sample_bilinear(&self, x: f32, y: f32) -> f32 {
        if !(x.is_finite() && y.is_finite()) {
            return 0.0;
        }
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (ix, iy) = (fx.floor(), fy.floor());
        // Far outside: avoid casting huge floats (saturating casts would still be safe, but
        // this keeps the four lookups meaningful).
        if ix < -2.0 || iy < -2.0 || ix > self.width as f32 + 1.0 || iy > self.height as f32 + 1.0 {
            return 0.0;
        }
        let (tx, ty) = (fx - ix, fy - iy);
        let (ix, iy) = (ix as isize, iy as isize);
        let top = self.get(ix, iy) * (1.0 - tx) + self.get(ix + 1, iy) * tx;
        let bottom = self.get(ix, iy + 1) * (1.0 - tx) + self.get(ix + 1, iy + 1) * tx;
        top * (1.0 - ty) + bottom * ty
    }

    /// Writes `self` translated by the sub-pixel offset `(dx, dy)` into `out` (bilinear; ink that
    /// moves off the raster is lost). `out` keeps its own size; pixels with no source become 0.
    pub fn shift_into(&self, dx: f32, dy: f32, out: &mut Raster) {
        let width = out.width;
        for (k, v) in out.data.iter_mut().enumerate() {
            let (x, y) = ((k % width.max(1)) as f32, (k / width.max(1)) as f32);
            *v = self.sample_bilinear(x + 0.5 - dx, y + 0.5 - dy);
        }
    }
}

/// The half-open range of pixel indices whose centres lie within `[lo, hi]`, clipped to
/// `0..size`; `None` when empty. Works on floats first so huge or infinite bounds never
/// reach an integer cast unclipped.
fn pixel_span(lo: f32, hi: f32, size: usize) -> Option<(usize, usize)> {
    if !(lo.is_finite() && hi.is_finite()) || size == 0 {
        return None;
    }
    let first = (lo - 0.5).ceil().max(0.0);
    let end = ((hi - 0.5).floor() + 1.0).min(size as f32);
    if first >= end {
        return None;
    }
    Some((first as usize, end as usize))
}

/// Intensity-weighted centroid of a row-major buffer, pixel centres at `i + 0.5`.
pub fn centre_of_mass(data: &[f32], width: usize) -> Option<(f32, f32)> {
    if width == 0 {
        return None;
    }
    let (mut m, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for (k, &v) in data.iter().enumerate() {
        // Negative or NaN pixels are not ink; skipping them keeps the centroid inside the image.
        if v > 0.0 {
            let v = f64::from(v);
            m += v;
            mx += v * ((k % width) as f64 + 0.5);
            my += v * ((k / width) as f64 + 0.5);
        }
    }
    if m > 0.0 && m.is_finite() {
        Some(((mx / m) as f32, (my / m) as f32))
    } else {
        None
    }
}

/// Inclusive bounds `(x0, y0, x1, y1)` of the pixels strictly brighter than `threshold`.
pub fn ink_bounds(
    data: &[f32],
    width: usize,
    threshold: f32,
) -> Option<(usize, usize, usize, usize)> {
    if width == 0 {
        return None;
    }
    let mut b: Option<(usize, usize, usize, usize)> = None;
    for (k, &v) in data.iter().enumerate() {
        if v > threshold {
            let (x, y) = (k % width, k / width);
            b = Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            });
        }
    }
    b
}

/// An axis-aligned scale-and-translate mapping source pixel space into a destination raster:
/// `dest = (src - origin) * scale + offset`, per axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    /// Source point that maps to `offset`.
    pub origin: [f64; 2],
    /// Uniform scale (destination pixels per source pixel), > 0.
    pub scale: f64,
    /// Destination position of `origin`.
    pub offset: [f64; 2],
}

/// Resamples a `src_w × src_h` source (values given by `value(x, y)`, 0 = background) into `dst`
/// (which is cleared first) under `map`.
///
/// Shrinking (`scale <= 1`) uses exact area averaging: each source pixel is a square of side
/// `scale` in destination space and deposits its value in proportion to its overlap with each
/// destination pixel — the box filter that does not alias thin strokes away. Growing uses
/// bilinear interpolation, which is what a box filter degenerates to being wrong about
/// (blocky pixels). `value` is only called with in-range coordinates.
pub fn resample<F: Fn(usize, usize) -> f32>(
    src_w: usize,
    src_h: usize,
    value: F,
    map: Affine,
    dst: &mut Raster,
) {
    dst.clear();
    let s = map.scale;
    if !(s.is_finite() && s > 0.0) || src_w == 0 || src_h == 0 {
        return;
    }
    let (dw, dh) = (dst.width, dst.height);
    if s <= 1.0 {
        for y in 0..src_h {
            let v0 = (y as f64 - map.origin[1]) * s + map.offset[1];
            let v1 = v0 + s;
            if v1 <= 0.0 || v0 >= dh as f64 {
                continue;
            }
            for x in 0..src_w {
                let val = value(x, y);
                // NaN and non-positive values are background.
                if val.is_nan() || val <= 0.0 {
                    continue;
                }
                let u0 = (x as f64 - map.origin[0]) * s + map.offset[0];
                let u1 = u0 + s;
                if u1 <= 0.0 || u0 >= dw as f64 {
                    continue;
                }
                // With s <= 1 a source square touches at most two destination columns and rows.
                let (cx0, cy0) = (u0.floor(), v0.floor());
                for cy in [cy0, cy0 + 1.0] {
                    let oy = (v1.min(cy + 1.0) - v0.max(cy)).max(0.0);
                    if oy <= 0.0 || cy < 0.0 || cy >= dh as f64 {
                        continue;
                    }
                    for cx in [cx0, cx0 + 1.0] {
                        let ox = (u1.min(cx + 1.0) - u0.max(cx)).max(0.0);
                        if ox <= 0.0 || cx < 0.0 || cx >= dw as f64 {
                            continue;
                        }
                        let k = cy as usize * dw + cx as usize;
                        if let Some(p) = dst.data.get_mut(k) {
                            *p += (f64::from(val) * ox * oy) as f32;
                        }
                    }
                }
            }
        }
    } else {
        let sample = |sx: f64, sy: f64| -> f32 {
            // Source pixel centres at i + 0.5; zero outside the source.
            let (fx, fy) = (sx - 0.5, sy - 0.5);
            let (ix, iy) = (fx.floor(), fy.floor());
            let (tx, ty) = ((fx - ix) as f32, (fy - iy) as f32);
            let get = |x: f64, y: f64| -> f32 {
                if x < 0.0 || y < 0.0 || x >= src_w as f64 || y >= src_h as f64 {
                    0.0
                } else {
                    value(x as usize, y as usize)
                }
            };
            let top = get(ix, iy) * (1.0 - tx) + get(ix + 1.0, iy) * tx;
            let bottom = get(ix, iy + 1.0) * (1.0 - tx) + get(ix + 1.0, iy + 1.0) * tx;
            top * (1.0 - ty) + bottom * ty
        };
        for y in 0..dh {
            let sy = (y as f64 + 0.5 - map.offset[1]) / s + map.origin[1];
            if sy < -1.0 || sy > src_h as f64 + 1.0 {
                continue;
            }
            for x in 0..dw {
                let sx = (x as f64 + 0.5 - map.offset[0]) / s + map.origin[0];
                if sx < -1.0 || sx > src_w as f64 + 1.0 {
                    continue;
                }
                if let Some(p) = dst.data.get_mut(y * dw + x) {
                    *p = sample(sx, sy);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capsule_width_and_mass_match_radius() {
        // A long horizontal capsule: mass per unit length should be 2r, the 0.5-threshold band 2r.
        let mut r = Raster::new(64, 16);
        r.draw_capsule([10.0, 8.5], [50.0, 8.5], 1.5, 1.0);
        let col: Vec<f32> = (0..16).map(|y| r.get(30, y)).collect();
        let sum: f32 = col.iter().sum();
        assert!((sum - 3.0).abs() < 1e-4, "{col:?}");
        assert_eq!(col.iter().filter(|&&v| v > 0.5).count(), 3);
    }

    #[test]
    fn max_combining_does_not_darken_overlaps() {
        let mut r = Raster::new(16, 16);
        r.draw_capsule([2.0, 8.0], [14.0, 8.0], 2.0, 1.0);
        r.draw_capsule([2.0, 8.0], [14.0, 8.0], 2.0, 1.0);
        assert!(r.data().iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    #[test]
    fn garbage_geometry_is_ignored() {
        let mut r = Raster::new(8, 8);
        r.draw_capsule([f32::NAN, 0.0], [1.0, 1.0], 1.0, 1.0);
        r.draw_capsule([0.0, 0.0], [1.0, 1.0], f32::INFINITY, 1.0);
        r.draw_capsule([0.0, 0.0], [1.0, 1.0], -1.0, 1.0);
        r.draw_capsule([1e30, 1e30], [2e30, 2e30], 1.0, 1.0);
        assert_eq!(r.mass(), 0.0);
        // A capsule crossing the raster from far away still draws its visible part.
        r.draw_capsule([-3e38, 4.0], [3e38, 4.0], 1.0, 0.0);
        assert!(r.get(3, 3) > 0.0 && r.get(3, 5) == 0.0);
    }

    #[test]
    fn shift_moves_centre_of_mass() {
        let mut r = Raster::new(28, 28);
        r.draw_disc([10.0, 12.0], 2.0, 1.0);
        let (cx, cy) = r.centre_of_mass().unwrap_or_default();
        let mut out = Raster::new(28, 28);
        r.shift_into(1.25, -0.5, &mut out);
        let (sx, sy) = out.centre_of_mass().unwrap_or_default();
        assert!((sx - cx - 1.25).abs() < 0.02 && (sy - cy + 0.5).abs() < 0.02);
    }

    #[test]
    fn area_resampling_preserves_mass_when_shrinking() {
        let mut dst = Raster::new(28, 28);
        let map = Affine {
            origin: [0.0, 0.0],
            scale: 0.37,
            offset: [3.3, 4.1],
        };
        resample(40, 40, |_, _| 1.0, map, &mut dst);
        let want = (40.0 * 0.37f64).powi(2);
        assert!((dst.mass() - want).abs() < 1e-3, "{} vs {want}", dst.mass());
        assert!(dst.data().iter().all(|&v| v <= 1.0 + 1e-5));
    }

    #[test]
    fn bilinear_growing_fills_target() {
        let mut dst = Raster::new(28, 28);
        let map = Affine {
            origin: [0.0, 0.0],
            scale: 4.0,
            offset: [4.0, 4.0],
        };
        resample(5, 5, |_, _| 1.0, map, &mut dst);
        assert!((dst.get(14, 14) - 1.0).abs() < 1e-6);
        assert_eq!(dst.get(1, 1), 0.0);
    }
}

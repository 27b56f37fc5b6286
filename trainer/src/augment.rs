//! Training-time augmentation that mimics digits drawn on a canvas.
//!
//! People draw with a mouse, a finger or a pen: digits come tilted, sheared, a little off
//! centre or off size (the app's normalisation fixes most of that, but not all), wobbly, and
//! with strokes thicker or thinner than MNIST's. Each training image gets a random affine
//! map (rotation, scale, shear, translation), a smooth elastic displacement, and sometimes a
//! stroke-thickness change (grayscale dilation or erosion).
//!
//! Every image's randomness comes from its own ChaCha stream, seeded from (run seed, epoch,
//! image index), so augmentation is reproducible and can run in parallel in any order.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const SIDE: usize = 28;
pub const PIXELS: usize = SIDE * SIDE;

/// How strongly to distort. The defaults were chosen to cover what canvas drawings do while
/// keeping clean-MNIST accuracy: stronger settings cost test accuracy without helping. Digits
/// turn by at most 10° and shear by 0.15 (15° and 0.2 until 2026-12-06): with the milder
/// geometry and 22 epochs instead of 15, the validation split of seed 1 read 99.50 % of the
/// bitmaps (99.40 %) and 98.08 % of the strokes (98.10 %).
#[derive(Clone, Copy, Debug)]
pub struct Augment {
    pub max_rotation_deg: f32,
    pub scale: (f32, f32),
    pub max_shear: f32,
    pub max_shift_px: f32,
    /// Amplitude of the elastic displacement in pixels.
    pub elastic_px: f32,
    pub elastic_probability: f64,
    pub thicken_probability: f64,
    pub thin_probability: f64,
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            max_rotation_deg: 10.0,
            scale: (0.85, 1.12),
            max_shear: 0.15,
            max_shift_px: 2.0,
            elastic_px: 1.2,
            elastic_probability: 0.5,
            thicken_probability: 0.15,
            thin_probability: 0.15,
        }
    }
}

impl Augment {
    /// Milder geometry for operators: a `+` turned by 25° is read as `×` by people too, so
    /// operators keep their orientation (their generator already varies slant).
    pub fn operators() -> Self {
        Augment {
            max_rotation_deg: 4.0,
            max_shear: 0.05,
            ..Augment::default()
        }
    }
}

/// The RNG stream for one image in one epoch.
pub fn image_rng(seed: u64, epoch: usize, index: usize) -> ChaCha8Rng {
    // SplitMix-style mixing so nearby (epoch, index) pairs give unrelated streams.
    let mut z = seed
        ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (index as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ChaCha8Rng::seed_from_u64(z)
}

/// Size of the coarse grid the elastic displacement is drawn on; bilinear interpolation
/// between its nodes makes the field smooth (like a Gaussian-blurred random field, cheaper).
const GRID: usize = 5;

impl Augment {
    /// Writes an augmented copy of `src` (values in [0, 1]) into `dst`.
    pub fn apply(&self, src: &[f32; PIXELS], dst: &mut [f32; PIXELS], rng: &mut impl Rng) {
        let angle = rng
            .random_range(-self.max_rotation_deg..=self.max_rotation_deg)
            .to_radians();
        let scale = rng.random_range(self.scale.0..=self.scale.1);
        // A little independent stretch per axis: people's digits are not all the same aspect.
        let stretch = rng.random_range(0.92f32..=1.08);
        let shear = rng.random_range(-self.max_shear..=self.max_shear);
        let tx = rng.random_range(-self.max_shift_px..=self.max_shift_px);
        let ty = rng.random_range(-self.max_shift_px..=self.max_shift_px);

        // Forward map (about the centre): p' = R * Sh * S * p + t. We sample with its inverse.
        let (sin, cos) = angle.sin_cos();
        let (sx, sy) = (scale * stretch, scale / stretch);
        // M = R * Sh * S with Sh = [[1, shear], [0, 1]].
        let m = [
            [cos * sx, (cos * shear - sin) * sy],
            [sin * sx, (sin * shear + cos) * sy],
        ];
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let inv = [
            [m[1][1] / det, -m[0][1] / det],
            [-m[1][0] / det, m[0][0] / det],
        ];

        let mut field = [[[0f32; 2]; GRID]; GRID];
        if rng.random_bool(self.elastic_probability) {
            for row in field.iter_mut() {
                for node in row.iter_mut() {
                    *node = [
                        rng.random_range(-1f32..=1.0) * self.elastic_px,
                        rng.random_range(-1f32..=1.0) * self.elastic_px,
                    ];
                }
            }
        }

        let c = SIDE as f32 / 2.0;
        for y in 0..SIDE {
            for x in 0..SIDE {
                let px = x as f32 + 0.5 - c - tx;
                let py = y as f32 + 0.5 - c - ty;
                let [dx, dy] = sample_field(&field, x as f32 + 0.5, y as f32 + 0.5);
                let u = inv[0][0] * px + inv[0][1] * py + c + dx;
                let v = inv[1][0] * px + inv[1][1] * py + c + dy;
                dst[y * SIDE + x] = bilinear(src, u - 0.5, v - 0.5);
            }
        }

        let r = rng.random::<f64>();
        if r < self.thicken_probability {
            let amount = rng.random_range(0.4f32..=1.0);
            morph(dst, amount, f32::max);
        } else if r < self.thicken_probability + self.thin_probability {
            let amount = rng.random_range(0.3f32..=0.7);
            morph(dst, amount, f32::min);
        }
    }
}

/// Bilinear sample of the displacement field at pixel position (x, y).
fn sample_field(field: &[[[f32; 2]; GRID]; GRID], x: f32, y: f32) -> [f32; 2] {
    let scale = (GRID - 1) as f32 / SIDE as f32;
    let (gx, gy) = (x * scale, y * scale);
    let (x0, y0) = (gx.floor() as usize, gy.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(GRID - 1), (y0 + 1).min(GRID - 1));
    let (fx, fy) = (gx - x0 as f32, gy - y0 as f32);
    let mut out = [0f32; 2];
    for (k, o) in out.iter_mut().enumerate() {
        let top = field[y0][x0][k] * (1.0 - fx) + field[y0][x1][k] * fx;
        let bottom = field[y1][x0][k] * (1.0 - fx) + field[y1][x1][k] * fx;
        *o = top * (1.0 - fy) + bottom * fy;
    }
    out
}

/// Bilinear sample of the image at continuous pixel-index coordinates; outside is background.
fn bilinear(img: &[f32; PIXELS], u: f32, v: f32) -> f32 {
    let (x0, y0) = (u.floor(), v.floor());
    let (fx, fy) = (u - x0, v - y0);
    let at = |x: f32, y: f32| -> f32 {
        if x < 0.0 || y < 0.0 || x >= SIDE as f32 || y >= SIDE as f32 {
            0.0
        } else {
            img[y as usize * SIDE + x as usize]
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Grayscale dilation (`f32::max`) or erosion (`f32::min`) over the 4-neighbourhood, blended
/// with the original by `amount` so strokes change by a fraction of a pixel, not a whole one.
fn morph(img: &mut [f32; PIXELS], amount: f32, pick: fn(f32, f32) -> f32) {
    let src = *img;
    for y in 0..SIDE {
        for x in 0..SIDE {
            let mut v = src[y * SIDE + x];
            if x > 0 {
                v = pick(v, src[y * SIDE + x - 1]);
            }
            if x + 1 < SIDE {
                v = pick(v, src[y * SIDE + x + 1]);
            }
            if y > 0 {
                v = pick(v, src[(y - 1) * SIDE + x]);
            }
            if y + 1 < SIDE {
                v = pick(v, src[(y + 1) * SIDE + x]);
            }
            let i = y * SIDE + x;
            img[i] = src[i] + (v - src[i]) * amount;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar() -> [f32; PIXELS] {
        let mut img = [0f32; PIXELS];
        for y in 6..22 {
            for x in 13..15 {
                img[y * SIDE + x] = 1.0;
            }
        }
        img
    }

    #[test]
    fn identity_settings_keep_the_image() {
        let none = Augment {
            max_rotation_deg: 0.0,
            scale: (1.0, 1.0),
            max_shear: 0.0,
            max_shift_px: 0.0,
            elastic_px: 0.0,
            elastic_probability: 0.0,
            thicken_probability: 0.0,
            thin_probability: 0.0,
        };
        // The per-axis stretch is still random: check ink is preserved roughly, centred.
        let src = bar();
        let mut dst = [0f32; PIXELS];
        none.apply(&src, &mut dst, &mut image_rng(1, 0, 0));
        let ink: f32 = dst.iter().sum();
        let src_ink: f32 = src.iter().sum();
        assert!((ink - src_ink).abs() / src_ink < 0.2, "{ink} vs {src_ink}");
    }

    #[test]
    fn same_stream_same_result_and_values_stay_in_range() {
        let src = bar();
        let aug = Augment::default();
        let (mut a, mut b) = ([0f32; PIXELS], [0f32; PIXELS]);
        aug.apply(&src, &mut a, &mut image_rng(7, 3, 11));
        aug.apply(&src, &mut b, &mut image_rng(7, 3, 11));
        assert_eq!(a, b);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
        aug.apply(&src, &mut b, &mut image_rng(7, 3, 12));
        assert_ne!(a, b);
    }
}

//! Generated operators: `+ - × ÷ = ( )` as the strokes a person makes.
//!
//! Each symbol is built the way it is written: a `+` is two crossing lines, `×` two crossing
//! diagonals, `-` one bar, `=` two bars, `÷` a bar and two dots, brackets arcs. Everything a
//! hand varies is random: length, slant, curvature, wobble, the gap between parts, where
//! lines cross, stroke order and direction, and the size relative to the height of the
//! digits around it (`DIGIT_HEIGHT`). Paths are dense polylines in CSS pixels; the pen
//! (`crate::pen`) then samples them like a pointer device.

use std::f32::consts::PI;

use mathsketch::Symbol;
use rand::Rng;

use crate::pen::Strokes;

/// Height of the digits the operator is written beside, in CSS px: people write on the pad
/// anywhere from small to large.
const DIGIT_HEIGHT: (f32, f32) = (40.0, 180.0);

/// The operators the generator knows, in class order.
pub const OPERATORS: [Symbol; 7] = [
    Symbol::Plus,
    Symbol::Minus,
    Symbol::Times,
    Symbol::Divide,
    Symbol::Equals,
    Symbol::OpenParen,
    Symbol::CloseParen,
];

/// Random strokes of `symbol` (an operator; a digit gives `None`).
pub fn generate(symbol: Symbol, rng: &mut impl Rng) -> Option<Strokes> {
    let h = rng.random_range(DIGIT_HEIGHT.0..=DIGIT_HEIGHT.1);
    let strokes = match symbol {
        Symbol::Digit(_) => return None,
        Symbol::Plus => cross(h, rng.random_range(0.35f32..=0.8), 0.0, 11.0, rng),
        Symbol::Times => cross(h, rng.random_range(0.3f32..=0.65), 45.0, 12.0, rng),
        Symbol::Minus => {
            let len = h * rng.random_range(0.3f32..=0.8);
            vec![bar([0.0, 0.0], len, rng.random_range(-9f32..=9.0), rng)]
        }
        Symbol::Equals => equals(h, rng),
        Symbol::Divide => divide(h, rng),
        Symbol::OpenParen => vec![bracket(h, -1.0, rng)],
        Symbol::CloseParen => vec![bracket(h, 1.0, rng)],
    };
    Some(strokes)
}

/// A smooth random offset along a path: two sine waves of random phase, `amplitude` px.
struct Wobble {
    amplitude: f32,
    waves: [(f32, f32); 2],
}

impl Wobble {
    fn new(length: f32, rng: &mut impl Rng) -> Self {
        Wobble {
            amplitude: length * rng.random_range(0.0f32..=0.025),
            waves: [
                (
                    rng.random_range(0.5f32..=1.5),
                    rng.random_range(0.0..2.0 * PI),
                ),
                (
                    rng.random_range(1.5f32..=3.0),
                    rng.random_range(0.0..2.0 * PI),
                ),
            ],
        }
    }

    fn at(&self, t: f32) -> f32 {
        self.amplitude
            * self
                .waves
                .iter()
                .map(|(f, phase)| (2.0 * PI * f * t + phase).sin())
                .sum::<f32>()
            / 2.0
    }
}

/// A dense path from `a` to `b`, bowed sideways by `bow` (a fraction of its length) and
/// wobbling; one point per CSS px.
fn line(a: [f32; 2], b: [f32; 2], bow: f32, rng: &mut impl Rng) -> Vec<[f32; 2]> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt().max(1e-3);
    let normal = [-dy / len, dx / len];
    let wobble = Wobble::new(len, rng);
    let n = (len.ceil() as usize).max(2);
    (0..=n)
        .map(|i| {
            let t = i as f32 / n as f32;
            let off = bow * len * 4.0 * t * (1.0 - t) + wobble.at(t);
            [
                a[0] + dx * t + normal[0] * off,
                a[1] + dy * t + normal[1] * off,
            ]
        })
        .collect()
}

/// A bar of `len` px through `centre` at `angle_deg` (0 = horizontal), drawn left to right
/// mostly, sometimes right to left.
fn bar(centre: [f32; 2], len: f32, angle_deg: f32, rng: &mut impl Rng) -> Vec<[f32; 2]> {
    let (s, c) = angle_deg.to_radians().sin_cos();
    let half = [c * len / 2.0, s * len / 2.0];
    let mut a = [centre[0] - half[0], centre[1] - half[1]];
    let mut b = [centre[0] + half[0], centre[1] + half[1]];
    if rng.random_bool(0.12) {
        std::mem::swap(&mut a, &mut b);
    }
    let bow = rng.random_range(-0.06f32..=0.06);
    line(a, b, bow, rng)
}

/// Two crossing lines: `+` (base angle 0: one near horizontal, one near vertical) or `×`
/// (base 45: two diagonals). Each line crosses the other somewhere near its middle.
fn cross(h: f32, size: f32, base_deg: f32, slant_deg: f32, rng: &mut impl Rng) -> Strokes {
    let s = h * size;
    let angle1 = base_deg + rng.random_range(-slant_deg..=slant_deg);
    let angle2 = base_deg + 90.0 + rng.random_range(-slant_deg..=slant_deg);
    let len1 = s * rng.random_range(0.85f32..=1.15);
    let len2 = s * rng.random_range(0.85f32..=1.2);
    // Where each line passes the crossing point, as a fraction of its length from its start.
    let at1 = rng.random_range(0.3f32..=0.7);
    let at2 = rng.random_range(0.3f32..=0.7);
    let dir = |deg: f32| {
        let (s, c) = deg.to_radians().sin_cos();
        [c, s]
    };
    let (d1, d2) = (dir(angle1), dir(angle2));
    let from = |d: [f32; 2], len: f32, at: f32| {
        (
            [-d[0] * len * at, -d[1] * len * at],
            [d[0] * len * (1.0 - at), d[1] * len * (1.0 - at)],
        )
    };
    let mut lines = [from(d1, len1, at1), from(d2, len2, at2)];
    for l in &mut lines {
        // Mostly drawn downwards / rightwards, as people do; sometimes the other way.
        if rng.random_bool(0.15) {
            std::mem::swap(&mut l.0, &mut l.1);
        }
    }
    if rng.random_bool(0.3) {
        lines.swap(0, 1);
    }
    lines
        .iter()
        .map(|&(a, b)| line(a, b, rng.random_range(-0.05f32..=0.05), rng))
        .collect()
}

/// `=`: two bars of similar length, one above the other.
fn equals(h: f32, rng: &mut impl Rng) -> Strokes {
    let len = h * rng.random_range(0.3f32..=0.7);
    let len2 = len * rng.random_range(0.8f32..=1.2);
    let gap = h * rng.random_range(0.1f32..=0.3);
    let shift = len * rng.random_range(-0.15f32..=0.15);
    let mut bars = vec![
        bar([0.0, 0.0], len, rng.random_range(-7f32..=7.0), rng),
        bar([shift, gap], len2, rng.random_range(-7f32..=7.0), rng),
    ];
    if rng.random_bool(0.12) {
        bars.swap(0, 1);
    }
    bars
}

/// A dot as people make one: a tap (one point), or a tiny stroke of a few pixels.
fn dot(centre: [f32; 2], rng: &mut impl Rng) -> Vec<[f32; 2]> {
    match rng.random_range(0..3) {
        0 => vec![centre],
        1 => {
            let r = rng.random_range(0.5f32..=3.0);
            let a = rng.random_range(0.0..2.0 * PI);
            line(
                [centre[0] - r * a.cos(), centre[1] - r * a.sin()],
                [centre[0] + r * a.cos(), centre[1] + r * a.sin()],
                0.0,
                rng,
            )
        }
        _ => {
            let r = rng.random_range(0.8f32..=2.5);
            let start = rng.random_range(0.0..2.0 * PI);
            (0..=8)
                .map(|i| {
                    let a = start + 2.0 * PI * i as f32 / 8.0;
                    [centre[0] + r * a.cos(), centre[1] + r * a.sin()]
                })
                .collect()
        }
    }
}

/// `÷`: a bar with a dot above and one below, in one of the orders people use.
fn divide(h: f32, rng: &mut impl Rng) -> Strokes {
    let len = h * rng.random_range(0.3f32..=0.7);
    let angle = rng.random_range(-7f32..=7.0);
    let bar = bar([0.0, 0.0], len, angle, rng);
    let above = divide_dot(h, len, -1.0, rng);
    let below = divide_dot(h, len, 1.0, rng);
    match rng.random_range(0..10) {
        0..=5 => vec![bar, above, below],
        6 | 7 => vec![above, bar, below],
        8 => vec![above, below, bar],
        _ => vec![bar, below, above],
    }
}

/// One of `÷`'s dots, above (`sign` -1) or below (1) a bar of `len` px.
fn divide_dot(h: f32, len: f32, sign: f32, rng: &mut impl Rng) -> Vec<[f32; 2]> {
    let d = h * rng.random_range(0.1f32..=0.3);
    let x = len * rng.random_range(-0.12f32..=0.12);
    dot([x, sign * d], rng)
}

/// A bracket: an arc `h * [0.8, 1.3]` tall bulging left (`side` -1: `(`) or right (`)`),
/// with random depth, slant and asymmetry, drawn top to bottom mostly.
fn bracket(h: f32, side: f32, rng: &mut impl Rng) -> Vec<[f32; 2]> {
    let height = h * rng.random_range(0.8f32..=1.3);
    let depth = height * rng.random_range(0.14f32..=0.35);
    let shape = rng.random_range(0.6f32..=1.4);
    let slant = rng.random_range(-0.15f32..=0.15);
    let skew = rng.random_range(-0.2f32..=0.2);
    let wobble = Wobble::new(height, rng);
    let n = (height.ceil() as usize).max(8);
    let mut path: Vec<[f32; 2]> = (0..=n)
        .map(|i| {
            let t = i as f32 / n as f32;
            // Where the deepest point sits moves with the skew (an asymmetric arc).
            let u = (t + skew * t * (1.0 - t)).clamp(0.0, 1.0);
            let bulge = (PI * u).sin().max(0.0).powf(shape);
            let x = side * depth * bulge + slant * (t - 0.5) * height + wobble.at(t);
            [x, (t - 0.5) * height]
        })
        .collect();
    if rng.random_bool(0.1) {
        path.reverse();
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn bounds(s: &Strokes) -> (f32, f32, f32, f32) {
        s.iter().flatten().fold(
            (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
            |(x0, y0, x1, y1), p| (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1])),
        )
    }

    #[test]
    fn each_operator_has_its_shape() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            for op in OPERATORS {
                let s = generate(op, &mut rng).expect("an operator");
                let (x0, y0, x1, y1) = bounds(&s);
                let (w, h) = (x1 - x0, y1 - y0);
                match op {
                    Symbol::Minus => assert!(s.len() == 1 && h < 0.4 * w, "{w} x {h}"),
                    Symbol::Plus | Symbol::Times => {
                        assert!(s.len() == 2 && h > 0.5 * w && w > 0.5 * h, "{w} x {h}")
                    }
                    Symbol::Equals => assert!(s.len() == 2 && h < w, "{w} x {h}"),
                    Symbol::Divide => assert_eq!(s.len(), 3),
                    Symbol::OpenParen | Symbol::CloseParen => {
                        assert!(s.len() == 1 && w < 0.6 * h, "{w} x {h}")
                    }
                    Symbol::Digit(_) => unreachable!(),
                }
            }
        }
        assert!(generate(Symbol::Digit(3), &mut rng).is_none());
    }

    #[test]
    fn brackets_bulge_the_right_way() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..100 {
            for (op, sign) in [(Symbol::OpenParen, -1.0f32), (Symbol::CloseParen, 1.0)] {
                let s = generate(op, &mut rng).expect("an operator");
                let path = &s[0];
                let ends = (path[0][0] + path[path.len() - 1][0]) / 2.0;
                let middle = path[path.len() / 2][0];
                assert!(
                    sign * (middle - ends) > 0.0,
                    "{op:?}: middle {middle}, ends {ends}"
                );
            }
        }
    }
}

//! Generated lines of symbols, as a person writes a number or a sum: MNIST test digits as
//! pen strokes (`mathsketch::skeleton`) and operators drawn by a small generator of the tests'
//! own (not the trainer's), at random sizes, gaps and baselines. Shared by the native
//! segmentation test (tests/segmentation.rs) and the sums written on the page in Chromium
//! (tests/replay.rs); the including test crate declares `mod seeded` beside this module.

use std::f32::consts::PI;

use mathsketch::idx::MnistSet;
use mathsketch::{skeleton, Symbol};

use crate::seeded::Noise;

pub type Strokes = Vec<Vec<[f32; 2]>>;

fn segment(a: [f32; 2], b: [f32; 2], n: &mut Noise) -> Vec<[f32; 2]> {
    let steps = 12;
    let bow = n.range(-0.05, 0.05);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    (0..=steps)
        .map(|i| {
            let t = i as f32 / steps as f32;
            let off = bow * 4.0 * t * (1.0 - t);
            [a[0] + dx * t - dy * off, a[1] + dy * t + dx * off]
        })
        .collect()
}

/// An operator centred on (0, 0) for digits of height `h`.
fn operator(symbol: Symbol, h: f32, n: &mut Noise) -> Strokes {
    let bar = |n: &mut Noise, y: f32, len: f32| {
        let tilt = n.range(-0.06, 0.06) * len;
        segment([-len / 2.0, y - tilt], [len / 2.0, y + tilt], n)
    };
    match symbol {
        Symbol::Minus => {
            let len = h * n.range(0.35, 0.7);
            vec![bar(n, 0.0, len)]
        }
        Symbol::Plus => {
            let s = h * n.range(0.4, 0.7);
            let v = segment([n.range(-0.05, 0.05) * s, -s / 2.0], [0.0, s / 2.0], n);
            let y = n.range(-0.1, 0.1) * s;
            vec![bar(n, y, s), v]
        }
        Symbol::Times => {
            let s = h * n.range(0.3, 0.55) / 2.0;
            vec![
                segment([-s, -s], [s, s * n.range(0.85, 1.1)], n),
                segment([s, -s], [-s * n.range(0.85, 1.1), s], n),
            ]
        }
        Symbol::Divide => {
            let len = h * n.range(0.35, 0.6);
            let d = h * n.range(0.15, 0.28);
            vec![
                bar(n, 0.0, len),
                vec![[n.range(-3.0, 3.0), -d]],
                vec![[0.0, d], [1.0, d + 1.0]],
            ]
        }
        Symbol::Equals => {
            let len = h * n.range(0.35, 0.6);
            let gap = h * n.range(0.12, 0.25);
            let len2 = len * n.range(0.85, 1.15);
            vec![bar(n, -gap / 2.0, len), bar(n, gap / 2.0, len2)]
        }
        Symbol::OpenParen | Symbol::CloseParen => {
            let side = if symbol == Symbol::OpenParen {
                -1.0
            } else {
                1.0
            };
            let height = h * n.range(0.9, 1.2);
            let depth = height * n.range(0.15, 0.3);
            vec![(0..=16)
                .map(|i| {
                    let t = i as f32 / 16.0;
                    [side * depth * (PI * t).sin(), (t - 0.5) * height]
                })
                .collect()]
        }
        Symbol::Digit(_) => Vec::new(),
    }
}

/// A random valid sum (or number) as symbols.
pub fn random_text(n: &mut Noise) -> Vec<Symbol> {
    let number = |n: &mut Noise| -> Vec<Symbol> {
        let len = 1 + n.pick(3);
        (0..len)
            .map(|k| Symbol::Digit((if k == 0 { 1 + n.pick(9) } else { n.pick(10) }) as u8))
            .collect()
    };
    let ops = [Symbol::Plus, Symbol::Minus, Symbol::Times, Symbol::Divide];
    let mut out = Vec::new();
    if n.pick(5) == 0 {
        return number(n);
    }
    let terms = 2 + n.pick(2);
    let bracket = n.pick(4) == 0;
    for t in 0..terms {
        if t > 0 {
            out.push(ops[n.pick(4)]);
        }
        if bracket && t == 0 {
            out.push(Symbol::OpenParen);
        }
        out.extend(number(n));
        if bracket && t == 1 {
            out.push(Symbol::CloseParen);
        }
    }
    out.push(Symbol::Equals);
    out
}

pub struct Line {
    pub strokes: Strokes,
    /// Per symbol, the indices of its strokes.
    pub groups: Vec<Vec<usize>>,
    pub symbols: Vec<Symbol>,
}

pub fn layout(text: &[Symbol], test: &MnistSet, by_digit: &[Vec<usize>], n: &mut Noise) -> Line {
    let h = n.range(40.0, 140.0);
    let mut x = 20.0;
    let baseline = 200.0;
    let mut line = Line {
        strokes: Vec::new(),
        groups: Vec::new(),
        symbols: text.to_vec(),
    };
    let mut previous_digit = false;
    for &symbol in text {
        let size = h * n.range(0.85, 1.15);
        let (paths, width): (Strokes, f32) = match symbol {
            Symbol::Digit(d) => {
                let pool = &by_digit[usize::from(d)];
                let img = &test.images[pool[n.pick(pool.len())]];
                // Lone skeleton pixels are specks of scanner noise, not something a
                // person draws: leave them out.
                let paths: Strokes = skeleton::digit_paths(img, size / 20.0, 1)
                    .into_iter()
                    .filter(|p| p.len() > 1)
                    .collect();
                let (x0, x1) = paths
                    .iter()
                    .flatten()
                    .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
                let shifted = paths
                    .iter()
                    .map(|s| {
                        s.iter()
                            .map(|p| [p[0] - x0, p[1] - 14.0 * size / 20.0])
                            .collect()
                    })
                    .collect();
                (shifted, x1 - x0)
            }
            op => {
                let s = operator(op, h, n);
                let (x0, x1) = s
                    .iter()
                    .flatten()
                    .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
                (
                    s.iter()
                        .map(|st| st.iter().map(|p| [p[0] - x0, p[1]]).collect())
                        .collect(),
                    x1 - x0,
                )
            }
        };
        let is_digit = symbol.digit().is_some();
        // Digits of one number sit close; operators get more room.
        let gap = if is_digit && previous_digit {
            h * n.range(0.04, 0.25)
        } else {
            h * n.range(0.12, 0.45)
        };
        x += gap;
        let dy = baseline - h / 2.0 + h * n.range(-0.08, 0.08);
        let first = line.strokes.len();
        for s in paths {
            line.strokes
                .push(s.iter().map(|p| [p[0] + x, p[1] + dy]).collect());
        }
        line.groups.push((first..line.strokes.len()).collect());
        x += width;
        previous_digit = is_digit;
    }
    line
}

/// The MNIST test set's indices by digit, for [`layout`].
pub fn by_digit(test: &MnistSet) -> Vec<Vec<usize>> {
    let mut by_digit = vec![Vec::new(); 10];
    for (i, &l) in test.labels.iter().enumerate() {
        by_digit[usize::from(l)].push(i);
    }
    by_digit
}

//! Segmentation on generated lines of symbols: MNIST test digits as pen strokes
//! (`mathsketch::skeleton`) and operators drawn by a small generator of this test's own
//! (not the trainer's), at random sizes, gaps and baselines, read by the real `Reader`
//! with the shipped model. A line counts as right when every symbol's strokes are grouped
//! exactly as written. Also: hand-made edge cases, and the whole reading of the sums.
//!
//! Data: `MATHSKETCH_MNIST_DIR`, default `../shared/data/mnist`.

#[path = "support/seeded.rs"]
mod seeded;

use std::f32::consts::PI;

use seeded::{mnist_dir, Noise};

use mathsketch::expression::reader::Reader;
use mathsketch::mnist::MnistImage;
use mathsketch::{skeleton, Classifier, Sketch, Symbol};

/// Lines generated (held-out: the seed is this test's own).
const LINES: usize = 400;
/// Regression floors, not the goal: the target is 98 % split right and 95 % read
/// right; measured 95.2 % and 90.0 % with models/symbols.onnx (92.5 % and 87.2 % before the
/// bar-near-top-or-bottom and fragment rules, tuned on seeds 1-3: 94.2 % there against
/// 91.5 %; 84.2 % and 79.8 % before the line-height, bar-along-top-or-base, broken-bar,
/// side-by-side, shared-width, speck and touch-bias rules). Most misses are MNIST digits whose
/// skeleton falls apart into pieces with a gap between (ink gaps in the scans), which the
/// classifier then reads more surely as two symbols.
const MIN_SEGMENTATION: f64 = 0.93;
const MIN_READ: f64 = 0.88;

type Strokes = Vec<Vec<[f32; 2]>>;

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
fn random_text(n: &mut Noise) -> Vec<Symbol> {
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

struct Line {
    strokes: Strokes,
    /// Per symbol, the indices of its strokes.
    groups: Vec<Vec<usize>>,
    symbols: Vec<Symbol>,
}

fn layout(
    text: &[Symbol],
    test: &mathsketch::idx::MnistSet,
    by_digit: &[Vec<usize>],
    n: &mut Noise,
) -> Line {
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

fn text_of(symbols: &[Symbol]) -> String {
    symbols.iter().map(|s| s.as_str()).collect()
}

#[test]
fn generated_lines_are_split_into_their_symbols_and_read() {
    let test = mathsketch::idx::load_test(&mnist_dir()).expect("MNIST test set");
    let mut by_digit = vec![Vec::new(); 10];
    for (i, &l) in test.labels.iter().enumerate() {
        by_digit[usize::from(l)].push(i);
    }
    let classifier = Classifier::embedded().expect("model loads");
    let mut session = classifier.session().expect("session");
    let mut classify = |img: &MnistImage| session.predict(img);
    // Rules are tuned on other seeds (MATHSKETCH_SEGMENT_SEED=1, 2, ...); the floors hold for
    // this one.
    let seed = std::env::var("MATHSKETCH_SEGMENT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00C0_FFEE);
    let mut noise = Noise(seed);
    let (mut split_right, mut read_right, mut symbols_right, mut symbols_total) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for k in 0..LINES {
        let text = random_text(&mut noise);
        let line = layout(&text, &test, &by_digit, &mut noise);
        let sketch = Sketch::from_coordinates(&line.strokes).expect("valid strokes");
        let read = Reader::new().read(&sketch, &mut classify).expect("reads");
        let groups: Vec<Vec<usize>> = read.symbols.iter().map(|s| s.strokes.clone()).collect();
        if groups == line.groups {
            split_right += 1;
            symbols_total += line.symbols.len();
            symbols_right += read
                .symbols
                .iter()
                .zip(&line.symbols)
                .filter(|(a, b)| a.symbol == **b)
                .count();
        } else if misses.len() < 40 {
            let boxes: Vec<String> = read
                .symbols
                .iter()
                .map(|s| {
                    format!(
                        "{:?}@{:.0}-{:.0}x{:.0}-{:.0}",
                        s.strokes, s.bounds[0], s.bounds[2], s.bounds[1], s.bounds[3]
                    )
                })
                .collect();
            misses.push(format!(
                "line {k} {}: grouped {}, written {:?}",
                text_of(&text),
                boxes.join(" "),
                line.groups
            ));
        }
        let want = mathsketch::expression::read_symbols(line.symbols.clone());
        if read.reading.text == want.text && read.reading.value == want.value {
            read_right += 1;
        }
    }
    let (seg, rd) = (
        split_right as f64 / LINES as f64,
        read_right as f64 / LINES as f64,
    );
    println!(
        "{LINES} generated lines: split right {:.1}%, read right (text and answer) {:.1}%, \
         symbols right in correctly split lines {:.2}%",
        100.0 * seg,
        100.0 * rd,
        100.0 * symbols_right as f64 / symbols_total.max(1) as f64
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(seg >= MIN_SEGMENTATION, "segmentation {seg}");
    assert!(rd >= MIN_READ, "reading {rd}");
}

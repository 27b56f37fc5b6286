//! Sums written with the hand-made glyphs of `support/digits.rs` (clean pointer strokes, not
//! MNIST scans) in the layouts other writers use: digits of uneven size, tight or loose
//! spacing, a wandering baseline, slanted writing, operators smaller than digits, each glyph
//! a little distorted, and other ways of writing some symbols (other stroke counts, orders and
//! shapes). The segmentation and reading must not depend on one generator's layout
//! (`tests/segmentation.rs` lays out MNIST digits). Misses are printed.

#[path = "support/digits.rs"]
#[allow(dead_code)]
mod digits;
#[path = "support/lines.rs"]
#[allow(dead_code)]
mod lines;
#[path = "support/seeded.rs"]
mod seeded;

use mathsketch::expression::reader::Reader;
use mathsketch::mnist::MnistImage;
use mathsketch::{Classifier, Sketch, Symbol};
use seeded::Noise;

const SUMS: usize = 500;
/// Regression floor: measured 98.6 % (493/500 read right, 498 split right) when this test
/// was written, 99.4 % (497, 497) and 98.4 % (492, 496) with the two models before
/// models/symbols.onnx and 99.6 % (498, 498) with it: which slanted `1`s read as `7` changes
/// from one training run to the next.
/// The misses: a `1` with a long flag, slanted, read as `7` (five), and digits
/// written almost touching (a gap of 6-14 % of their height) joined. An earlier version of this
/// test, with only the glyphs of `support/digits.rs`, found a minus written tightly before an
/// `8` joined to it (now `segment::still_a_flag`, and a unit test there).
const MIN_READ: f64 = 0.97;

/// One writer's habits, drawn once per sum.
struct Style {
    /// Digit height, px.
    side: f32,
    /// Gap between symbols, as a share of the digit height.
    gap: f32,
    /// Shear: x += slant * (y - middle).
    slant: f32,
    /// Operators' size relative to a digit.
    operator_scale: f32,
    /// How far the baseline wanders, share of the height.
    wander: f32,
}

/// Other ways of writing the symbols than `support/digits.rs` has: other stroke counts,
/// orders and shapes.
fn variants(symbol: Symbol) -> Vec<Vec<Vec<(f32, f32)>>> {
    let dash = |x: f32, y: f32| vec![(x - 0.03, y), (x + 0.03, y + 0.01)];
    let arc = |cx, cy, rx, ry, a0, a1| digits::arc(cx, cy, rx, ry, a0, a1, 24);
    match symbol {
        Symbol::Digit(0) => vec![vec![arc(0.5, 0.5, 0.22, 0.44, -80.0, 290.0)]],
        Symbol::Digit(3) => vec![vec![digits::join(&[
            vec![(0.25, 0.08), (0.75, 0.08), (0.45, 0.42)],
            arc(0.48, 0.66, 0.26, 0.26, -90.0, 150.0),
        ])]],
        Symbol::Digit(4) => vec![vec![vec![
            (0.62, 0.94),
            (0.62, 0.06),
            (0.15, 0.64),
            (0.86, 0.64),
        ]]],
        Symbol::Digit(5) => vec![vec![digits::join(&[
            vec![(0.78, 0.08), (0.3, 0.08), (0.28, 0.44)],
            arc(0.48, 0.66, 0.26, 0.24, -130.0, 150.0),
        ])]],
        Symbol::Digit(8) => vec![vec![(0..=48)
            .map(|i| {
                let t = i as f32 / 48.0 * std::f32::consts::TAU;
                (0.5 - 0.12 * (2.0 * t).sin(), 0.5 - 0.44 * t.cos())
            })
            .collect()]],
        Symbol::Digit(9) => vec![vec![digits::join(&[
            arc(0.5, 0.28, 0.22, 0.22, 0.0, -360.0),
            vec![(0.72, 0.3), (0.6, 0.94)],
        ])]],
        Symbol::Plus => vec![vec![
            vec![(0.5, 0.3), (0.5, 0.72)],
            vec![(0.28, 0.5), (0.72, 0.52)],
        ]],
        Symbol::Times => vec![vec![
            vec![(0.68, 0.32), (0.32, 0.7)],
            vec![(0.3, 0.3), (0.7, 0.7)],
        ]],
        Symbol::Equals => vec![vec![
            vec![(0.3, 0.43), (0.68, 0.42)],
            vec![(0.25, 0.6), (0.76, 0.58)],
        ]],
        Symbol::Divide => vec![vec![
            vec![(0.25, 0.5), (0.75, 0.5)],
            dash(0.52, 0.32),
            dash(0.48, 0.68),
        ]],
        _ => Vec::new(),
    }
}

fn glyph(symbol: Symbol, n: &mut Noise) -> Vec<Vec<(f32, f32)>> {
    let digits = digits::drawings();
    let signs = digits::signs();
    let mut options: Vec<Vec<Vec<(f32, f32)>>> = match symbol {
        Symbol::Digit(d) => digits
            .into_iter()
            .filter(|x| x.digit == d)
            .map(|x| x.strokes)
            .collect(),
        other => signs
            .into_iter()
            .filter(|s| s.symbol == other.as_str())
            .map(|s| s.strokes)
            .collect(),
    };
    options.extend(variants(symbol));
    let k = n.pick(options.len());
    options.swap_remove(k)
}

/// Strokes of `text` in one writer's style, and the index groups per symbol.
fn write(text: &[Symbol], style: &Style, n: &mut Noise) -> (Vec<Vec<[f32; 2]>>, Vec<Vec<usize>>) {
    let mut strokes = Vec::new();
    let mut groups = Vec::new();
    let mut x = 40.0f32;
    let middle = 200.0f32;
    for &symbol in text {
        let is_digit = matches!(symbol, Symbol::Digit(_));
        let bracket = matches!(symbol, Symbol::OpenParen | Symbol::CloseParen);
        let scale = if is_digit || bracket {
            style.side * n.range(0.85, 1.15)
        } else {
            style.side * style.operator_scale * n.range(0.85, 1.15)
        };
        let (jx, jy) = (n.range(-0.04, 0.04), n.range(-0.04, 0.04));
        let dy = style.wander * style.side * n.range(-1.0, 1.0);
        // The glyphs fill their unit box unevenly: measure the ink's width to space them.
        let g = glyph(symbol, n);
        let (mut x0, mut x1) = (f32::INFINITY, f32::NEG_INFINITY);
        for s in &g {
            for &(px, _) in s {
                x0 = x0.min(px);
                x1 = x1.max(px);
            }
        }
        let placed: Vec<Vec<(f32, f32)>> = g
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&(px, py)| {
                        let (u, v) = (px - x0 + jx * py, py - 0.5 + jy * px);
                        let y = middle + dy + v * scale;
                        (x + u * scale + style.slant * (middle - y), y)
                    })
                    .collect()
            })
            .collect();
        // Pointer-like sampling: points at most 5 px apart (already on the pad: unit placement).
        let at = digits::Placement {
            size: 1.0,
            cx: 0.5,
            cy: 0.5,
        };
        let mut group = Vec::new();
        for s in digits::place_strokes(&placed, at, 1.0, 1.0, 5.0) {
            group.push(strokes.len());
            strokes.push(s.into_iter().map(|(x, y)| [x as f32, y as f32]).collect());
        }
        groups.push(group);
        x += (x1 - x0) * scale + style.gap * style.side;
    }
    (strokes, groups)
}

#[test]
fn hand_drawn_glyphs_in_other_writers_layouts_are_read() {
    let classifier = Classifier::embedded().expect("model loads");
    let mut session = classifier.session().expect("session");
    let mut classify = |img: &MnistImage| session.predict(img);
    let mut noise = Noise(0x005E_ED0F_4A4D);
    let (mut split_right, mut read_right) = (0, 0);
    let mut misses = Vec::new();
    for k in 0..SUMS {
        let text = lines::random_text(&mut noise);
        let style = Style {
            side: noise.range(40.0, 160.0),
            gap: noise.range(0.06, 0.6),
            slant: noise.range(-0.1, 0.3),
            operator_scale: noise.range(0.5, 1.0),
            wander: noise.range(0.0, 0.12),
        };
        let (strokes, groups) = write(&text, &style, &mut noise);
        let sketch = Sketch::from_coordinates(&strokes).expect("valid strokes");
        let read = Reader::new().read(&sketch, &mut classify).expect("reads");
        let got: Vec<Vec<usize>> = read.symbols.iter().map(|s| s.strokes.clone()).collect();
        split_right += usize::from(got == groups);
        let want = mathsketch::expression::read_symbols(text.clone());
        if read.reading.text == want.text && read.reading.value == want.value {
            read_right += 1;
        } else {
            misses.push(format!(
                "sum {k}: wrote {} read {} (side {:.0}, gap {:.2}, slant {:.2}, operators {:.2}, \
                 wander {:.2}; split {})",
                want.text,
                read.reading.text,
                style.side,
                style.gap,
                style.slant,
                style.operator_scale,
                style.wander,
                if got == groups {
                    "right".to_string()
                } else {
                    format!("{got:?}, written {groups:?}")
                }
            ));
        }
    }
    let read = read_right as f64 / SUMS as f64;
    println!(
        "{SUMS} sums of hand-made glyphs: split right {split_right}, read right {read_right} \
         ({:.1} %)",
        100.0 * read
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(read >= MIN_READ, "read {read}");
}

//! The answer in ink: where and how the value of a finished sum is written on the pad, right
//! of its `=`, at the height of the user's digits. Each digit of the answer is written in the
//! user's own hand when they wrote that digit on the pad (its strokes, scaled), else in a
//! single-line stroke font of our own. Too long for the room left, it shrinks. The strokes
//! are in sketch coordinates and never become part of the sketch (nothing reads them back).

use crate::expression::reader::SymbolReading;
use crate::sketch::Sketch;
use crate::symbol::Symbol;

/// A stroke of the answer, in sketch coordinates.
pub type InkStroke = Vec<[f32; 2]>;

/// Gap between the `=` and the answer, and between its characters, in digit heights.
const LEAD: f32 = 0.4;
const GAP: f32 = 0.22;
/// A written digit is reused for the answer only when it was read this surely.
const REUSE_CONFIDENCE: f32 = 0.8;
/// The answer shrinks at most to this share of the digits' height to fit; past that it
/// runs on (the ink view then zooms out to show it).
const MIN_SHRINK: f32 = 0.4;

/// The strokes writing `answer` after the last symbol of `symbols` (the `=`), staying left of
/// `right_edge` by shrinking when it can. Empty when there is no `=` to write after.
pub fn layout(
    sketch: &Sketch,
    symbols: &[SymbolReading],
    answer: &str,
    right_edge: f32,
) -> Vec<InkStroke> {
    let Some(equals) = symbols.last().filter(|s| s.symbol == Symbol::Equals) else {
        return Vec::new();
    };
    let digits: Vec<&SymbolReading> = symbols
        .iter()
        .filter(|s| s.symbol.digit().is_some())
        .collect();
    let [ex0, ey0, ex1, ey1] = equals.bounds;
    let (height, centre) = if digits.is_empty() {
        ((ex1 - ex0).max(ey1 - ey0).max(1.0), (ey0 + ey1) / 2.0)
    } else {
        (
            median(digits.iter().map(|s| s.bounds[3] - s.bounds[1])).max(1.0),
            median(digits.iter().map(|s| (s.bounds[1] + s.bounds[3]) / 2.0)),
        )
    };
    // Each character as strokes in a box one unit tall, with its width.
    let glyphs: Vec<(Vec<InkStroke>, f32)> = answer
        .chars()
        .map(|c| own_hand(sketch, &digits, c).unwrap_or_else(|| font(c)))
        .collect();
    let units: f32 = glyphs.iter().map(|(_, w)| w + GAP).sum::<f32>() - GAP;
    let start = ex1 + LEAD * height;
    let room = right_edge - start;
    let scale = if units * height > room && room > 0.0 {
        (room / (units * height)).max(MIN_SHRINK) * height
    } else {
        height
    };
    let top = centre - scale / 2.0;
    let mut x = start;
    let mut out = Vec::new();
    for (strokes, width) in glyphs {
        for s in strokes {
            out.push(
                s.iter()
                    .map(|&[u, v]| [x + u * scale, top + v * scale])
                    .collect(),
            );
        }
        x += (width + GAP) * scale;
    }
    out
}

fn median(values: impl Iterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = values.filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// The user's own `c`, if they wrote that digit on the pad surely enough: its strokes in a
/// box one unit tall (keeping its shape), and its width in those units.
fn own_hand(sketch: &Sketch, digits: &[&SymbolReading], c: char) -> Option<(Vec<InkStroke>, f32)> {
    let d = c.to_digit(10)?;
    let written = digits
        .iter()
        .filter(|s| s.symbol == Symbol::Digit(d as u8))
        .filter(|s| s.probabilities.of(s.symbol) >= REUSE_CONFIDENCE)
        .max_by(|a, b| {
            a.probabilities
                .of(a.symbol)
                .total_cmp(&b.probabilities.of(b.symbol))
        })?;
    let [x0, y0, x1, y1] = written.bounds;
    let h = (y1 - y0).max(1.0);
    let strokes = written
        .strokes
        .iter()
        .filter_map(|&i| sketch.strokes().get(i))
        .map(|s| {
            s.points()
                .iter()
                .map(|p| [(p.x - x0) / h, (p.y - y0) / h])
                .collect()
        })
        .collect();
    Some((strokes, ((x1 - x0) / h).max(0.05)))
}

/// Our single-line stroke font: digits, `.`, `−` and `…`, one unit tall (y down). Anything
/// else is a blank the width of a digit.
fn font(c: char) -> (Vec<InkStroke>, f32) {
    let one = |pts: &[(f32, f32)]| pts.iter().map(|&(x, y)| [x, y]).collect::<InkStroke>();
    match c {
        '0' => {
            let ring = (0..=24)
                .map(|k| {
                    let a = std::f32::consts::TAU * k as f32 / 24.0;
                    [0.28 + 0.28 * a.sin(), 0.5 - 0.5 * a.cos()]
                })
                .collect();
            (vec![ring], 0.56)
        }
        '1' => (vec![one(&[(0.05, 0.2), (0.25, 0.0), (0.25, 1.0)])], 0.3),
        '2' => (
            vec![one(&[
                (0.02, 0.25),
                (0.1, 0.07),
                (0.3, 0.0),
                (0.5, 0.08),
                (0.56, 0.27),
                (0.45, 0.5),
                (0.0, 1.0),
                (0.6, 1.0),
            ])],
            0.6,
        ),
        '3' => (
            vec![one(&[
                (0.02, 0.1),
                (0.25, 0.0),
                (0.5, 0.08),
                (0.52, 0.25),
                (0.25, 0.45),
                (0.55, 0.6),
                (0.55, 0.85),
                (0.3, 1.0),
                (0.0, 0.9),
            ])],
            0.56,
        ),
        '4' => (
            vec![one(&[(0.45, 1.0), (0.45, 0.0), (0.0, 0.68), (0.62, 0.68)])],
            0.62,
        ),
        '5' => (
            vec![one(&[
                (0.55, 0.0),
                (0.08, 0.0),
                (0.03, 0.45),
                (0.3, 0.38),
                (0.55, 0.55),
                (0.55, 0.82),
                (0.3, 1.0),
                (0.0, 0.9),
            ])],
            0.56,
        ),
        '6' => (
            vec![one(&[
                (0.5, 0.05),
                (0.25, 0.1),
                (0.05, 0.45),
                (0.05, 0.8),
                (0.3, 1.0),
                (0.55, 0.8),
                (0.5, 0.55),
                (0.25, 0.5),
                (0.05, 0.65),
            ])],
            0.56,
        ),
        '7' => (vec![one(&[(0.0, 0.0), (0.6, 0.0), (0.2, 1.0)])], 0.6),
        '8' => (
            vec![one(&[
                (0.3, 0.48),
                (0.05, 0.3),
                (0.1, 0.05),
                (0.3, 0.0),
                (0.5, 0.05),
                (0.55, 0.3),
                (0.3, 0.48),
                (0.02, 0.72),
                (0.1, 0.95),
                (0.3, 1.0),
                (0.5, 0.95),
                (0.58, 0.72),
                (0.3, 0.48),
            ])],
            0.6,
        ),
        '9' => (
            vec![one(&[
                (0.55, 0.35),
                (0.3, 0.5),
                (0.05, 0.35),
                (0.1, 0.08),
                (0.3, 0.0),
                (0.55, 0.15),
                (0.55, 0.35),
                (0.45, 1.0),
            ])],
            0.56,
        ),
        '.' => (vec![one(&[(0.08, 0.95)])], 0.16),
        '\u{2212}' | '-' => (vec![one(&[(0.0, 0.5), (0.5, 0.5)])], 0.5),
        '\u{2026}' => (
            vec![
                one(&[(0.08, 0.95)]),
                one(&[(0.33, 0.95)]),
                one(&[(0.58, 0.95)]),
            ],
            0.66,
        ),
        _ => (Vec::new(), 0.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::Probabilities;
    use crate::symbol::CLASSES;

    fn sure(symbol: Symbol) -> Probabilities {
        let mut p = [0.0; CLASSES];
        p[symbol.index()] = 0.99;
        Probabilities::new(p)
    }

    /// "12+7=" laid out as the reader would find it: 40 px tall digits at y 100..140.
    fn sum() -> (Sketch, Vec<SymbolReading>) {
        let boxes: [(Symbol, [f32; 4]); 5] = [
            (Symbol::Digit(1), [10.0, 100.0, 20.0, 140.0]),
            (Symbol::Digit(2), [40.0, 100.0, 70.0, 140.0]),
            (Symbol::Plus, [90.0, 110.0, 120.0, 130.0]),
            (Symbol::Digit(7), [140.0, 100.0, 170.0, 140.0]),
            (Symbol::Equals, [190.0, 112.0, 220.0, 128.0]),
        ];
        let coords: Vec<Vec<[f32; 2]>> = boxes
            .iter()
            .map(|(_, b)| vec![[b[0], b[1]], [b[2], b[3]]])
            .collect();
        let sketch = Sketch::from_coordinates(&coords).expect("valid");
        let symbols = boxes
            .iter()
            .enumerate()
            .map(|(i, &(symbol, bounds))| SymbolReading {
                strokes: vec![i],
                bounds,
                symbol,
                probabilities: sure(symbol),
                fixed: false,
            })
            .collect();
        (sketch, symbols)
    }

    fn extent(strokes: &[InkStroke]) -> [f32; 4] {
        strokes.iter().flatten().fold(
            [
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ],
            |b, p| {
                [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ]
            },
        )
    }

    #[test]
    fn the_answer_is_written_right_of_the_equals_at_the_digits_height() {
        let (sketch, symbols) = sum();
        let ink = layout(&sketch, &symbols, "19", 2000.0);
        assert!(!ink.is_empty());
        let [x0, y0, _, y1] = extent(&ink);
        assert!(x0 > 220.0 && x0 < 240.0, "starts just right of the =: {x0}");
        assert!(
            (y0 - 100.0).abs() < 1.0 && (y1 - 140.0).abs() < 1.0,
            "{y0}..{y1}"
        );
        // The 1 is the user's own (one stroke, from their 1), the 9 from the font.
        assert_eq!(ink.len(), 2);
        assert_eq!(ink[0], vec![[x0, 100.0], [x0 + 10.0, 140.0]]);
    }

    #[test]
    fn a_long_answer_shrinks_to_the_room_left_and_nothing_without_an_equals() {
        let (sketch, symbols) = sum();
        let long = "0.3333333333\u{2026}";
        let roomy = extent(&layout(&sketch, &symbols, long, 5000.0));
        assert!(roomy[2] > 400.0);
        let tight = extent(&layout(&sketch, &symbols, long, 400.0));
        assert!(tight[2] <= 400.5, "ends at {}", tight[2]);
        assert!(tight[3] - tight[1] < roomy[3] - roomy[1], "and is smaller");
        assert!(layout(&sketch, &symbols[..4], "19", 2000.0).is_empty());
    }
}

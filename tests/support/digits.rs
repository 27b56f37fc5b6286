//! Hand-made digit drawings for the end-to-end test: each is a list of strokes, each stroke a
//! polyline in a unit box (x right, y down), traced the way a person draws the digit (stroke
//! order and direction included). Curves are sampled densely, like a pointer reports them.

use std::f32::consts::PI;

/// One drawing: the digit it shows, a name for messages, and its strokes.
pub struct Drawing {
    pub digit: u8,
    pub name: &'static str,
    pub strokes: Vec<Vec<(f32, f32)>>,
}

/// An arc of the ellipse centred at (cx, cy) with radii (rx, ry), from angle a0 to a1 in
/// degrees (0 = right, 90 = down, as on screen), in `n` steps.
pub fn arc(cx: f32, cy: f32, rx: f32, ry: f32, a0: f32, a1: f32, n: usize) -> Vec<(f32, f32)> {
    (0..=n)
        .map(|i| {
            let a = (a0 + (a1 - a0) * i as f32 / n as f32) * PI / 180.0;
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// The parts as one stroke.
pub fn join(parts: &[Vec<(f32, f32)>]) -> Vec<(f32, f32)> {
    parts.iter().flatten().copied().collect()
}

/// The test set: every digit, some in two styles.
pub fn drawings() -> Vec<Drawing> {
    vec![
        Drawing {
            digit: 0,
            name: "0 oval, drawn anticlockwise from the top",
            strokes: vec![arc(0.5, 0.5, 0.28, 0.42, -90.0, -450.0, 40)],
        },
        Drawing {
            digit: 1,
            name: "1 plain slanted bar",
            strokes: vec![vec![(0.55, 0.06), (0.52, 0.5), (0.48, 0.94)]],
        },
        Drawing {
            digit: 1,
            name: "1 with a flag",
            strokes: vec![vec![(0.36, 0.24), (0.56, 0.06), (0.55, 0.5), (0.55, 0.94)]],
        },
        Drawing {
            digit: 2,
            name: "2 hook, diagonal and base",
            strokes: vec![join(&[
                arc(0.5, 0.3, 0.26, 0.22, -170.0, 30.0, 20),
                vec![(0.2, 0.9), (0.82, 0.9)],
            ])],
        },
        Drawing {
            digit: 3,
            name: "3 two bowls in one stroke",
            strokes: vec![join(&[
                arc(0.48, 0.28, 0.24, 0.2, -160.0, 90.0, 20),
                arc(0.48, 0.7, 0.27, 0.22, -90.0, 150.0, 20),
            ])],
        },
        Drawing {
            digit: 4,
            name: "4 open, two strokes",
            strokes: vec![
                vec![(0.52, 0.06), (0.16, 0.62), (0.86, 0.62)],
                vec![(0.64, 0.3), (0.64, 0.95)],
            ],
        },
        Drawing {
            digit: 5,
            name: "5 body then top bar",
            strokes: vec![
                join(&[
                    vec![(0.32, 0.1), (0.28, 0.45)],
                    arc(0.48, 0.66, 0.26, 0.24, -130.0, 150.0, 22),
                ]),
                vec![(0.32, 0.1), (0.78, 0.1)],
            ],
        },
        Drawing {
            digit: 6,
            name: "6 swoop into a loop",
            strokes: vec![join(&[
                vec![(0.7, 0.06), (0.52, 0.18), (0.38, 0.34), (0.29, 0.55)],
                arc(0.5, 0.7, 0.22, 0.22, 180.0, -170.0, 28),
            ])],
        },
        Drawing {
            digit: 7,
            name: "7 bar and stem",
            strokes: vec![vec![(0.18, 0.1), (0.82, 0.1), (0.44, 0.94)]],
        },
        Drawing {
            digit: 7,
            name: "7 with a crossbar",
            strokes: vec![
                vec![(0.2, 0.12), (0.8, 0.1), (0.5, 0.92)],
                vec![(0.42, 0.5), (0.74, 0.5)],
            ],
        },
        Drawing {
            digit: 8,
            name: "8 two loops",
            strokes: vec![
                arc(0.5, 0.28, 0.2, 0.2, 90.0, 450.0, 28),
                arc(0.5, 0.7, 0.25, 0.22, -90.0, 270.0, 30),
            ],
        },
        Drawing {
            digit: 9,
            name: "9 loop and tail",
            strokes: vec![join(&[
                arc(0.48, 0.3, 0.23, 0.22, 0.0, -360.0, 30),
                vec![(0.69, 0.55), (0.66, 0.94)],
            ])],
        },
    ]
}

/// Where a drawing goes on the pad: the side of its box as a fraction of the pad's side, and
/// the box centre as fractions of the pad's width and height.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    pub size: f64,
    pub cx: f64,
    pub cy: f64,
}

/// Sizes and places a person might use: big in the middle, small in a corner, off-centre.
pub const PLACEMENTS: [Placement; 4] = [
    Placement {
        size: 0.7,
        cx: 0.5,
        cy: 0.5,
    },
    Placement {
        size: 0.3,
        cx: 0.28,
        cy: 0.3,
    },
    Placement {
        size: 0.45,
        cx: 0.66,
        cy: 0.62,
    },
    Placement {
        size: 0.9,
        cx: 0.5,
        cy: 0.5,
    },
];

/// A hand-made operator: its typeset symbol (as `#prediction` shows it), a name, strokes.
pub struct Sign {
    pub symbol: &'static str,
    pub name: &'static str,
    pub strokes: Vec<Vec<(f32, f32)>>,
}

/// One of each operator, drawn the way people write them, in the same unit box as the
/// digits (so a `−` is about half a digit wide).
pub fn signs() -> Vec<Sign> {
    // A dot is a tap with a hair of movement, as a mouse click or a fingertip gives.
    let dot = |x: f32, y: f32| vec![(x, y), (x + 0.006, y + 0.004)];
    vec![
        Sign {
            symbol: "+",
            name: "+ bar then upright",
            strokes: vec![
                vec![(0.24, 0.52), (0.76, 0.5)],
                vec![(0.5, 0.25), (0.51, 0.77)],
            ],
        },
        Sign {
            symbol: "\u{2212}",
            name: "minus, a little slanted",
            strokes: vec![vec![(0.25, 0.5), (0.5, 0.505), (0.75, 0.52)]],
        },
        Sign {
            symbol: "×",
            name: "times, two diagonals",
            strokes: vec![vec![(0.3, 0.3), (0.7, 0.72)], vec![(0.7, 0.3), (0.3, 0.7)]],
        },
        Sign {
            symbol: "÷",
            name: "divide: bar, dot above, dot below",
            strokes: vec![vec![(0.25, 0.5), (0.75, 0.5)], dot(0.5, 0.3), dot(0.5, 0.7)],
        },
        Sign {
            symbol: "=",
            name: "equals, two bars",
            strokes: vec![
                vec![(0.27, 0.42), (0.73, 0.41)],
                vec![(0.27, 0.58), (0.74, 0.58)],
            ],
        },
        Sign {
            symbol: "(",
            name: "open bracket, one arc from the top",
            strokes: vec![arc(0.66, 0.5, 0.28, 0.46, -118.0, -242.0, 24)],
        },
        Sign {
            symbol: ")",
            name: "close bracket, one arc from the top",
            strokes: vec![arc(0.34, 0.5, 0.28, 0.46, -62.0, 62.0, 24)],
        },
    ]
}

/// The drawing's strokes in pad CSS pixels (pad of `w` x `h`), with points no more than
/// `step` px apart, as a pointer would report a steady hand.
pub fn place(d: &Drawing, at: Placement, w: f64, h: f64, step: f64) -> Vec<Vec<(f64, f64)>> {
    place_strokes(&d.strokes, at, w, h, step)
}

/// [`place`] for any strokes in the unit box.
pub fn place_strokes(
    strokes: &[Vec<(f32, f32)>],
    at: Placement,
    w: f64,
    h: f64,
    step: f64,
) -> Vec<Vec<(f64, f64)>> {
    let side = at.size * w.min(h);
    let (x0, y0) = (at.cx * w - side / 2.0, at.cy * h - side / 2.0);
    strokes
        .iter()
        .map(|stroke| {
            let pts: Vec<(f64, f64)> = stroke
                .iter()
                .map(|&(x, y)| (x0 + f64::from(x) * side, y0 + f64::from(y) * side))
                .collect();
            let mut out = Vec::with_capacity(pts.len() * 4);
            for pair in pts.windows(2) {
                let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
                let n = ((bx - ax).hypot(by - ay) / step).ceil().max(1.0) as usize;
                out.extend((0..n).map(|i| {
                    let t = i as f64 / n as f64;
                    (ax + (bx - ax) * t, ay + (by - ay) * t)
                }));
            }
            if let Some(&last) = pts.last() {
                out.push(last);
            }
            out
        })
        .collect()
}

/// The drawing as `Sketch::from_coordinates` takes it: placed on a square pad of `side` px,
/// sampled like a pointer (points at most 5 px apart). The benchmarks' native frame uses it.
pub fn pad_coordinates(d: &Drawing, at: Placement, side: f64) -> Vec<Vec<[f32; 2]>> {
    place(d, at, side, side, 5.0)
        .into_iter()
        .map(|s| s.into_iter().map(|(x, y)| [x as f32, y as f32]).collect())
        .collect()
}

/// `text` (digits and `+ − × ÷ = ( )`, `-` for `−`) written left to right with the hand-made
/// drawings, each symbol in a square of `side` px whose left edges are `advance` px apart,
/// starting at (`left`, `top`) on the pad; points at most 5 px apart. `None` for a character
/// without a drawing.
pub fn write_line(
    text: &str,
    left: f64,
    top: f64,
    side: f64,
    advance: f64,
) -> Option<Vec<Vec<(f64, f64)>>> {
    let digits = drawings();
    let signs = signs();
    let mut out = Vec::new();
    for (k, c) in text.chars().enumerate() {
        let strokes = match c {
            '0'..='9' => {
                let d = c as u8 - b'0';
                &digits.iter().find(|x| x.digit == d)?.strokes
            }
            '-' => &signs.iter().find(|s| s.symbol == "\u{2212}")?.strokes,
            _ => &signs.iter().find(|s| s.symbol.starts_with(c))?.strokes,
        };
        let whole = Placement {
            size: 1.0,
            cx: 0.5,
            cy: 0.5,
        };
        for stroke in place_strokes(strokes, whole, side, side, 5.0) {
            out.push(
                stroke
                    .into_iter()
                    .map(|(x, y)| (left + k as f64 * advance + x, top + y))
                    .collect(),
            );
        }
    }
    Some(out)
}

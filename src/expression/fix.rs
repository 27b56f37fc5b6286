//! Symbols fixed by hand. When the page misreads a symbol, the user picks one of its
//! alternatives; that choice then holds for exactly those strokes: a fix is keyed by the
//! content of the symbol's strokes, so it lasts while they stay as they are and lapses by
//! itself once a stroke of the symbol is added, erased or redrawn (the key no longer occurs).
//!
//! The reader applies fixes before the context rule of [`super::read`], so the rest of the
//! line is read around the chosen symbol, and a fixed symbol is never marked unsure.

use crate::sketch::{Sketch, Stroke};
use crate::symbol::Symbol;

use super::segment::Bounds;

/// Farthest a tap may move, in screen pixels: a touch wobbles a little, a dot is drawn.
pub const TAP_SLOP: f32 = 6.0;
/// Longest a tap may last, in ms (a held pen is a deliberate dot).
pub const TAP_MS: f64 = 400.0;
/// How far outside a symbol's box a tap still hits it, in screen pixels. Small, so that the
/// dots of a `÷` drawn above and below its bar stay ink.
pub const TAP_REACH: f32 = 4.0;

/// Most fixes kept. Fixes of strokes that are gone are kept too (an undo may bring the
/// strokes back), so the list is bounded: the oldest go first.
pub const MAX_FIXES: usize = 256;

/// A fix as stored with the sketch: the strokes (indices into the sketch) and the symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub strokes: Vec<usize>,
    pub symbol: Symbol,
}

/// The fixes made on a sketch, by stroke content.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fixes {
    /// (fingerprints of the symbol's strokes in drawing order, the symbol chosen), oldest first.
    chosen: Vec<(Vec<u64>, Symbol)>,
}

/// A stroke's content as a hash: any change to its points changes it.
pub fn fingerprint(stroke: &Stroke) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in stroke.points() {
        p.x.to_bits().hash(&mut h);
        p.y.to_bits().hash(&mut h);
    }
    h.finish()
}

impl Fixes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.chosen.is_empty()
    }

    /// Reads the strokes `strokes` of `sketch` as `symbol` from now on (replacing an earlier
    /// fix of the same strokes). Indices outside the sketch are ignored.
    pub fn choose(&mut self, sketch: &Sketch, strokes: &[usize], symbol: Symbol) {
        let all = sketch.strokes();
        let key: Vec<u64> = strokes
            .iter()
            .filter_map(|&i| all.get(i).map(fingerprint))
            .collect();
        if key.is_empty() {
            return;
        }
        self.chosen.retain(|(k, _)| *k != key);
        if self.chosen.len() >= MAX_FIXES {
            self.chosen.remove(0);
        }
        self.chosen.push((key, symbol));
    }

    /// The symbol chosen for the strokes with these fingerprints, if any.
    pub fn of(&self, key: &[u64]) -> Option<Symbol> {
        self.chosen
            .iter()
            .find(|(k, _)| k.as_slice() == key)
            .map(|&(_, s)| s)
    }

    /// The fixes whose strokes are all in `sketch` now, as stroke indices (for storage).
    pub fn in_sketch(&self, sketch: &Sketch) -> Vec<Fix> {
        let prints: Vec<u64> = sketch.strokes().iter().map(fingerprint).collect();
        self.chosen
            .iter()
            .filter_map(|(key, symbol)| {
                let strokes = key
                    .iter()
                    .map(|k| prints.iter().position(|p| p == k))
                    .collect::<Option<Vec<usize>>>()?;
                Some(Fix {
                    strokes,
                    symbol: *symbol,
                })
            })
            .collect()
    }

    /// The fixes `stored` (as [`Fixes::in_sketch`] gave them) on `sketch`.
    pub fn from_stored(sketch: &Sketch, stored: &[Fix]) -> Self {
        let mut fixes = Fixes::new();
        for fix in stored {
            fixes.choose(sketch, &fix.strokes, fix.symbol);
        }
        fixes
    }
}

/// Which of the symbols with boxes `boxes` the stroke taps, if it is a tap: it moved at most
/// [`TAP_SLOP`] and lasted at most [`TAP_MS`], and it lies inside a box (or within
/// [`TAP_REACH`] of it). `px` is sketch units per screen pixel (the ink view's zoom). Where
/// boxes overlap, the one whose centre is nearest wins.
pub fn tapped(stroke: &Stroke, boxes: &[Bounds], px: f32) -> Option<usize> {
    let points = stroke.points();
    let first = points.first()?;
    let last = points.last()?;
    let slop = TAP_SLOP * px;
    let moved = points
        .iter()
        .any(|p| (p.x - first.x).abs() > slop || (p.y - first.y).abs() > slop);
    if moved || last.t_ms - first.t_ms > TAP_MS {
        return None;
    }
    let reach = TAP_REACH * px;
    let (x, y) = (first.x, first.y);
    boxes
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            x >= b[0] - reach && x <= b[2] + reach && y >= b[1] - reach && y <= b[3] + reach
        })
        .min_by(|(_, a), (_, b)| {
            let d = |b: &Bounds| (x - (b[0] + b[2]) / 2.0).hypot(y - (b[1] + b[3]) / 2.0);
            d(a).total_cmp(&d(b))
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::Point;

    fn sketch() -> Sketch {
        Sketch::from_coordinates(&[
            vec![[0.0, 0.0], [1.0, 100.0]],
            vec![[50.0, 50.0], [90.0, 50.0]],
            vec![[70.0, 30.0], [70.0, 70.0]],
        ])
        .expect("strokes")
    }

    #[test]
    fn a_fix_holds_for_its_strokes_and_lapses_when_they_change() {
        let mut s = sketch();
        let mut fixes = Fixes::new();
        fixes.choose(&s, &[1, 2], Symbol::Times);
        let key = |s: &Sketch, idx: &[usize]| -> Vec<u64> {
            idx.iter().map(|&i| fingerprint(&s.strokes()[i])).collect()
        };
        assert_eq!(fixes.of(&key(&s, &[1, 2])), Some(Symbol::Times));
        assert_eq!(fixes.of(&key(&s, &[1])), None);
        // Choosing again replaces the fix.
        fixes.choose(&s, &[1, 2], Symbol::Plus);
        assert_eq!(fixes.of(&key(&s, &[1, 2])), Some(Symbol::Plus));
        assert_eq!(fixes.in_sketch(&s).len(), 1);
        // A stroke added to the symbol: a new key, no fix.
        s.begin_stroke(Point::new(60.0, 40.0));
        s.extend_stroke(Point::new(80.0, 60.0));
        s.end_stroke();
        assert_eq!(fixes.of(&key(&s, &[1, 2, 3])), None);
        // Undo of a stroke of the symbol: the fix is not in the sketch, but comes back with it.
        let mut shorter = sketch();
        shorter.undo();
        assert!(fixes.in_sketch(&shorter).is_empty());
        assert_eq!(fixes.in_sketch(&sketch()).len(), 1);
    }

    fn stroke(points: &[(f32, f32, f64)]) -> Stroke {
        let mut s = Sketch::new();
        let p = |&(x, y, t): &(f32, f32, f64)| Point {
            x,
            y,
            pressure: 0.5,
            t_ms: t,
        };
        s.begin_stroke(p(&points[0]));
        for q in &points[1..] {
            s.extend_stroke(p(q));
        }
        s.strokes()[0].clone()
    }

    #[test]
    fn a_short_still_touch_on_a_symbol_is_a_tap() {
        // A 7 at 0..40 x 0..60, a − at 60..100 x 28..31 (a thin bar), a ÷ bar elsewhere.
        let boxes = [[0.0, 0.0, 40.0, 60.0], [60.0, 28.0, 100.0, 31.0]];
        assert_eq!(tapped(&stroke(&[(20.0, 30.0, 0.0)]), &boxes, 1.0), Some(0));
        // A finger's wobble is still a tap; on the bar, or just off it.
        let wobble = stroke(&[(80.0, 29.0, 0.0), (82.0, 31.0, 40.0), (81.0, 30.0, 90.0)]);
        assert_eq!(tapped(&wobble, &boxes, 1.0), Some(1));
        assert_eq!(tapped(&stroke(&[(80.0, 34.0, 0.0)]), &boxes, 1.0), Some(1));
        // A dot a ÷ needs, drawn above the bar: ink, not a tap.
        assert_eq!(tapped(&stroke(&[(80.0, 15.0, 0.0)]), &boxes, 1.0), None);
        // Moved: a stroke. Held: a deliberate dot. Off every symbol: ink.
        let dragged = stroke(&[(20.0, 30.0, 0.0), (20.0, 45.0, 50.0)]);
        assert_eq!(tapped(&dragged, &boxes, 1.0), None);
        let held = stroke(&[(20.0, 30.0, 0.0), (21.0, 30.0, 900.0)]);
        assert_eq!(tapped(&held, &boxes, 1.0), None);
        assert_eq!(tapped(&stroke(&[(200.0, 30.0, 0.0)]), &boxes, 1.0), None);
        // Zoomed out (2 sketch units per pixel): the slop and the reach scale with it.
        let wide = stroke(&[(80.0, 29.0, 0.0), (90.0, 29.0, 50.0)]);
        assert_eq!(tapped(&wide, &boxes, 1.0), None);
        assert_eq!(tapped(&wide, &boxes, 2.0), Some(1));
        // Overlapping boxes: the nearer centre.
        let overlapping = [[0.0, 0.0, 100.0, 100.0], [60.0, 40.0, 80.0, 60.0]];
        assert_eq!(
            tapped(&stroke(&[(65.0, 50.0, 0.0)]), &overlapping, 1.0),
            Some(1)
        );
    }

    #[test]
    fn stored_fixes_come_back_and_the_list_is_bounded() {
        let s = sketch();
        let mut fixes = Fixes::new();
        fixes.choose(&s, &[0], Symbol::Digit(7));
        fixes.choose(&s, &[9], Symbol::Digit(7)); // not in the sketch: ignored
        let stored = fixes.in_sketch(&s);
        assert_eq!(
            stored,
            vec![Fix {
                strokes: vec![0],
                symbol: Symbol::Digit(7)
            }]
        );
        assert_eq!(Fixes::from_stored(&s, &stored), fixes);
        let mut many = Fixes::new();
        let long: Vec<Vec<[f32; 2]>> = (0..MAX_FIXES + 10)
            .map(|i| vec![[i as f32, 0.0], [i as f32, 10.0]])
            .collect();
        let big = Sketch::from_coordinates(&long).expect("strokes");
        for i in 0..MAX_FIXES + 10 {
            many.choose(&big, &[i], Symbol::Digit(1));
        }
        assert_eq!(many.in_sketch(&big).len(), MAX_FIXES);
        assert_eq!(many.in_sketch(&big)[0].strokes, vec![10]);
    }
}

//! Stroke capture: the user's drawing as a list of strokes, each a polyline of points.
//!
//! Everything that enters a [`Sketch`] is sanitised on the way in, so the rest of the program
//! (normalisation, rendering, serialisation) can rely on finite coordinates and non-empty
//! strokes and never has to re-check.

/// Most points [`Sketch::from_coordinates`] accepts (the server's request limit: bounds the
/// normalisation work one request can cause).
pub const MAX_POINTS: usize = 10_000;
/// Most strokes [`Sketch::from_coordinates`] accepts.
pub const MAX_STROKES: usize = 1_000;
/// Largest absolute coordinate [`Sketch::from_coordinates`] accepts. Far beyond any screen, but
/// small enough that coordinate differences keep useful f32 precision.
pub const MAX_COORD: f32 = 1e6;

/// Pressure used when the device reports none (the Pointer Events default for mice).
pub const DEFAULT_PRESSURE: f32 = 0.5;

/// One sampled pen position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal position, any unit (CSS pixels in the web app), growing rightwards.
    pub x: f32,
    /// Vertical position, growing downwards (screen convention, like MNIST rows).
    pub y: f32,
    /// Pen pressure in `0..=1`; [`DEFAULT_PRESSURE`] when the device gives none.
    pub pressure: f32,
    /// Timestamp in milliseconds (any epoch).
    pub t_ms: f64,
}

impl Point {
    /// A point with default pressure at time 0.
    pub fn new(x: f32, y: f32) -> Self {
        Self {
            x,
            y,
            pressure: DEFAULT_PRESSURE,
            t_ms: 0.0,
        }
    }

    fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }

    /// The point with pressure and time forced into their documented ranges, so a buggy
    /// device (NaN pressure, pressure 3.0) cannot leak odd values downstream.
    fn sanitised(self) -> Self {
        let pressure = if self.pressure.is_finite() {
            self.pressure.clamp(0.0, 1.0)
        } else {
            DEFAULT_PRESSURE
        };
        let t_ms = if self.t_ms.is_finite() {
            self.t_ms
        } else {
            0.0
        };
        Self {
            pressure,
            t_ms,
            ..self
        }
    }
}

/// One continuous pen-down .. pen-up trace. Never empty: a stroke exists from its first point.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stroke {
    points: Vec<Point>,
}

impl Stroke {
    /// The points in drawing order. A single point is a dot.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Appends unless `p` repeats the last point exactly (pointermove often fires without
    /// movement; duplicates would only add zero-length segments).
    fn push(&mut self, p: Point) {
        if self.points.last().is_some_and(|l| l.x == p.x && l.y == p.y) {
            return;
        }
        self.points.push(p);
    }
}

/// Why [`Sketch::from_coordinates`] rejected its input. Indices are 0-based.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SketchError {
    /// A coordinate was NaN or infinite.
    #[error("stroke {stroke}, point {point}: coordinate is not a finite number")]
    NonFinite {
        /// Index of the offending stroke.
        stroke: usize,
        /// Index of the offending point within that stroke.
        point: usize,
    },
    /// A coordinate's magnitude exceeded [`MAX_COORD`].
    #[error("stroke {stroke}, point {point}: coordinate {value} is outside ±{max}")]
    OutOfRange {
        /// Index of the offending stroke.
        stroke: usize,
        /// Index of the offending point within that stroke.
        point: usize,
        /// The offending coordinate.
        value: f32,
        /// The limit ([`MAX_COORD`]).
        max: f32,
    },
    /// More than [`MAX_POINTS`] points in total.
    #[error("sketch has {count} points, more than the limit of {max}")]
    TooManyPoints {
        /// Points given (saturating count).
        count: usize,
        /// The limit ([`MAX_POINTS`]).
        max: usize,
    },
    /// More than [`MAX_STROKES`] strokes.
    #[error("sketch has {count} strokes, more than the limit of {max}")]
    TooManyStrokes {
        /// Strokes given.
        count: usize,
        /// The limit ([`MAX_STROKES`]).
        max: usize,
    },
    /// No points at all (no strokes, or only empty ones): nothing to classify.
    #[error("sketch has no points")]
    Empty,
}

/// A drawing in progress or finished: strokes in drawing order.
///
/// Invariants: every stored stroke has at least one point and all coordinates are finite.
/// Interactive input is not capped at [`MAX_POINTS`] (dropping ink the user can see would be
/// confusing, and a person cannot draw enough to matter); only untrusted bulk input is.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct Sketch {
    strokes: Vec<Stroke>,
    /// The last stroke is still being drawn (pen down).
    open: bool,
    /// A stroke was begun with an unusable point; the next good point starts it. Keeps a
    /// glitching first sample from silently merging the new stroke into the previous one.
    pending: bool,
    /// What the last [`clear`](Self::clear) or [`erase`](Self::erase) removed, until new ink
    /// is drawn: neither asks anything, so one [`undo`](Self::undo) brings it back.
    removed: Removed,
    /// The stroke count and what `removed` held before the last stroke began, while that
    /// stroke is the last edit: [`withdraw_stroke`](Self::withdraw_stroke) puts it back.
    before_stroke: Option<(usize, Removed)>,
}

/// Ink taken away by the last edit, kept for one undo.
#[derive(Default, Clone, Debug, PartialEq)]
enum Removed {
    #[default]
    Nothing,
    /// Everything, by Clear.
    All(Vec<Stroke>),
    /// Some strokes, by a scratch-out: each with the index it had.
    Some(Vec<(usize, Stroke)>),
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pen down: closes any open stroke and starts a new one at `p`. A non-finite `p` is
    /// ignored, but the next finite [`extend_stroke`](Self::extend_stroke) point starts the stroke.
    pub fn begin_stroke(&mut self, p: Point) {
        self.open = false;
        self.before_stroke = Some((self.strokes.len(), std::mem::take(&mut self.removed)));
        if !p.is_finite() {
            self.pending = true;
            return;
        }
        self.pending = false;
        self.strokes.push(Stroke {
            points: vec![p.sanitised()],
        });
        self.open = true;
    }

    /// Pen move: appends `p` to the open stroke. Ignored when no stroke is open, when `p` is not
    /// finite, or when it exactly repeats the stroke's last point.
    pub fn extend_stroke(&mut self, p: Point) {
        if !p.is_finite() {
            return;
        }
        let p = p.sanitised();
        if self.pending {
            self.pending = false;
            self.strokes.push(Stroke { points: vec![p] });
            self.open = true;
            return;
        }
        if !self.open {
            return;
        }
        if let Some(s) = self.strokes.last_mut() {
            s.push(p);
        }
    }

    /// Pen up. A stroke with a single point stays as a dot.
    pub fn end_stroke(&mut self) {
        self.open = false;
        self.pending = false;
    }

    /// Whether a stroke is currently open (between begin and end).
    pub fn is_drawing(&self) -> bool {
        self.open || self.pending
    }

    /// Removes the last stroke, open or finished; right after a [`clear`](Self::clear) or an
    /// [`erase`](Self::erase), brings back what it removed instead. Returns false when there
    /// was nothing to undo.
    pub fn undo(&mut self) -> bool {
        self.open = false;
        self.pending = false;
        self.before_stroke = None;
        match std::mem::take(&mut self.removed) {
            Removed::All(strokes) if self.strokes.is_empty() => {
                self.strokes = strokes;
                true
            }
            Removed::Some(erased) => {
                // Ascending indices: each goes back where it was.
                for (i, stroke) in erased {
                    let at = i.min(self.strokes.len());
                    self.strokes.insert(at, stroke);
                }
                true
            }
            _ => self.strokes.pop().is_some(),
        }
    }

    /// Removes everything (one [`undo`](Self::undo) brings it back until new ink is drawn).
    pub fn clear(&mut self) {
        self.before_stroke = None;
        if !self.strokes.is_empty() {
            self.removed = Removed::All(std::mem::take(&mut self.strokes));
        }
        self.open = false;
        self.pending = false;
    }

    /// A scratch-out: removes the last stroke (the scribble itself, never kept as ink) and
    /// the strokes at `covered` (indices among the others), as one step that one
    /// [`undo`](Self::undo) takes back, scribble excepted. Indices out of range are ignored.
    pub fn erase(&mut self, covered: &[usize]) {
        self.before_stroke = None;
        self.open = false;
        self.pending = false;
        self.strokes.pop();
        let mut erased = Vec::new();
        let mut kept = Vec::with_capacity(self.strokes.len());
        for (i, stroke) in std::mem::take(&mut self.strokes).into_iter().enumerate() {
            if covered.contains(&i) {
                erased.push((i, stroke));
            } else {
                kept.push(stroke);
            }
        }
        self.strokes = kept;
        if !erased.is_empty() {
            self.removed = Removed::Some(erased);
        }
    }

    /// Takes back the stroke just drawn as though it had never been (a tap that asked for
    /// something else than ink): unlike [`undo`](Self::undo), whatever the edit before it
    /// removed stays one undo away. Only right after the stroke (no undo, clear or erase
    /// since); returns whether a stroke was withdrawn.
    pub fn withdraw_stroke(&mut self) -> bool {
        let Some((count, before)) = self.before_stroke.take() else {
            return false;
        };
        self.open = false;
        self.pending = false;
        self.removed = before;
        // A stroke begun on an unusable point may never have started.
        if self.strokes.len() != count + 1 {
            return false;
        }
        self.strokes.pop().is_some()
    }

    /// True when there is no ink (no strokes; strokes are never empty).
    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty()
    }

    /// The strokes in drawing order.
    pub fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }

    /// Total number of points over all strokes.
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(|s| s.points.len()).sum()
    }

    /// `(min_x, min_y, max_x, max_y)` over all points, `None` when empty.
    pub fn bounds(&self) -> Option<(f32, f32, f32, f32)> {
        let mut it = self.strokes.iter().flat_map(|s| s.points.iter());
        let first = it.next()?;
        Some(it.fold(
            (first.x, first.y, first.x, first.y),
            |(x0, y0, x1, y1), p| (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y)),
        ))
    }

    /// Builds a sketch from plain coordinate lists (the server's JSON strokes).
    ///
    /// Limits are checked before any per-point work so oversized requests are cheap to reject.
    /// Empty inner lists are skipped (harmless), consecutive exact duplicates are dropped as in
    /// interactive capture, and a list with one point is a dot. Points get default pressure and
    /// time 0.
    pub fn from_coordinates(strokes: &[Vec<[f32; 2]>]) -> Result<Sketch, SketchError> {
        if strokes.len() > MAX_STROKES {
            return Err(SketchError::TooManyStrokes {
                count: strokes.len(),
                max: MAX_STROKES,
            });
        }
        let total = strokes
            .iter()
            .fold(0usize, |acc, s| acc.saturating_add(s.len()));
        if total > MAX_POINTS {
            return Err(SketchError::TooManyPoints {
                count: total,
                max: MAX_POINTS,
            });
        }
        let mut out = Sketch::new();
        for (si, coords) in strokes.iter().enumerate() {
            let mut stroke = Stroke {
                points: Vec::with_capacity(coords.len()),
            };
            for (pi, &[x, y]) in coords.iter().enumerate() {
                if !(x.is_finite() && y.is_finite()) {
                    return Err(SketchError::NonFinite {
                        stroke: si,
                        point: pi,
                    });
                }
                if let Some(value) = [x, y].into_iter().find(|c| c.abs() > MAX_COORD) {
                    return Err(SketchError::OutOfRange {
                        stroke: si,
                        point: pi,
                        value,
                        max: MAX_COORD,
                    });
                }
                stroke.push(Point::new(x, y));
            }
            if !stroke.points.is_empty() {
                out.strokes.push(stroke);
            }
        }
        if out.is_empty() {
            return Err(SketchError::Empty);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withdrawn_stroke_leaves_the_previous_edit_undoable() {
        let mut s = Sketch::new();
        s.begin_stroke(Point::new(1.0, 1.0));
        s.extend_stroke(Point::new(9.0, 9.0));
        s.end_stroke();
        s.clear();
        // A tap after Clear, taken back: Undo still brings the cleared stroke back.
        s.begin_stroke(Point::new(5.0, 5.0));
        s.end_stroke();
        assert!(s.withdraw_stroke());
        assert!(s.is_empty());
        assert!(!s.withdraw_stroke(), "only the stroke just drawn");
        assert!(s.undo());
        assert_eq!(s.strokes().len(), 1);
        // Not after an undo, and not for a stroke that never started.
        s.begin_stroke(Point::new(5.0, 5.0));
        s.undo();
        assert!(!s.withdraw_stroke());
        s.begin_stroke(Point::new(f32::NAN, 0.0));
        s.end_stroke();
        assert!(!s.withdraw_stroke());
        assert_eq!(s.strokes().len(), 1);
    }

    #[test]
    fn duplicate_points_are_skipped() {
        let mut s = Sketch::new();
        s.begin_stroke(Point::new(1.0, 1.0));
        s.extend_stroke(Point::new(1.0, 1.0));
        s.extend_stroke(Point::new(2.0, 1.0));
        s.extend_stroke(Point::new(2.0, 1.0));
        assert_eq!(s.point_count(), 2);
    }

    #[test]
    fn pressure_and_time_are_sanitised() {
        let mut s = Sketch::new();
        s.begin_stroke(Point {
            x: 0.0,
            y: 0.0,
            pressure: f32::NAN,
            t_ms: f64::INFINITY,
        });
        s.extend_stroke(Point {
            x: 1.0,
            y: 0.0,
            pressure: 7.0,
            t_ms: 3.0,
        });
        let pts = s.strokes()[0].points();
        assert_eq!(pts[0].pressure, DEFAULT_PRESSURE);
        assert_eq!(pts[0].t_ms, 0.0);
        assert_eq!(pts[1].pressure, 1.0);
    }
}

//! Stroke capture: the interactive API and the validating constructor the server uses.

use mathsketch::sketch::{MAX_COORD, MAX_POINTS, MAX_STROKES};
use mathsketch::{Point, Sketch, SketchError};

fn p(x: f32, y: f32) -> Point {
    Point::new(x, y)
}

#[test]
fn new_sketch_is_empty() {
    let s = Sketch::new();
    assert!(s.is_empty());
    assert_eq!(s.point_count(), 0);
    assert!(s.strokes().is_empty());
    assert!(!s.is_drawing());
}

#[test]
fn point_new_defaults() {
    let q = p(3.0, 4.0);
    assert_eq!((q.x, q.y, q.pressure, q.t_ms), (3.0, 4.0, 0.5, 0.0));
}

#[test]
fn begin_extend_end_builds_strokes() {
    let mut s = Sketch::new();
    s.begin_stroke(p(0.0, 0.0));
    s.extend_stroke(p(1.0, 0.0));
    s.extend_stroke(p(2.0, 0.0));
    assert!(s.is_drawing());
    s.end_stroke();
    assert!(!s.is_drawing());
    s.begin_stroke(p(5.0, 5.0));
    s.end_stroke();
    assert_eq!(s.strokes().len(), 2);
    assert_eq!(s.strokes()[0].points().len(), 3);
    // A pointerdown/up with no move is a one-point stroke: a dot, kept.
    assert_eq!(s.strokes()[1].points(), &[p(5.0, 5.0)]);
    assert_eq!(s.point_count(), 4);
    assert_eq!(s.bounds(), Some((0.0, 0.0, 5.0, 5.0)));
}

#[test]
fn extend_without_open_stroke_is_ignored() {
    let mut s = Sketch::new();
    s.extend_stroke(p(1.0, 1.0));
    assert!(s.is_empty());
    s.begin_stroke(p(0.0, 0.0));
    s.end_stroke();
    s.extend_stroke(p(9.0, 9.0));
    assert_eq!(s.point_count(), 1);
}

#[test]
fn exact_duplicates_are_skipped_but_revisits_are_not() {
    let mut s = Sketch::new();
    s.begin_stroke(p(0.0, 0.0));
    s.extend_stroke(p(0.0, 0.0));
    s.extend_stroke(p(1.0, 0.0));
    s.extend_stroke(p(0.0, 0.0));
    assert_eq!(s.point_count(), 3);
}

#[test]
fn begin_while_open_starts_a_new_stroke() {
    let mut s = Sketch::new();
    s.begin_stroke(p(0.0, 0.0));
    s.extend_stroke(p(1.0, 0.0));
    s.begin_stroke(p(5.0, 0.0));
    s.extend_stroke(p(6.0, 0.0));
    assert_eq!(s.strokes().len(), 2);
    assert_eq!(s.strokes()[1].points().len(), 2);
}

#[test]
fn non_finite_points_never_poison_the_sketch() {
    let mut s = Sketch::new();
    s.begin_stroke(p(f32::NAN, 0.0));
    assert!(s.is_empty());
    // The stroke begun with a bad sample starts at the next good one, as its own stroke.
    s.extend_stroke(p(f32::INFINITY, 1.0));
    s.extend_stroke(p(2.0, 2.0));
    s.extend_stroke(p(3.0, f32::NEG_INFINITY));
    s.extend_stroke(p(3.0, 3.0));
    s.end_stroke();
    assert_eq!(s.strokes().len(), 1);
    assert_eq!(s.point_count(), 2);
    assert!(s
        .strokes()
        .iter()
        .flat_map(|st| st.points())
        .all(|q| q.x.is_finite() && q.y.is_finite()));
    // A bad begin after a finished stroke does not reopen that stroke.
    s.begin_stroke(p(f32::NAN, f32::NAN));
    s.end_stroke();
    s.extend_stroke(p(7.0, 7.0));
    assert_eq!(s.point_count(), 2);
}

#[test]
fn undo_removes_last_stroke_open_or_finished() {
    let mut s = Sketch::new();
    assert!(!s.undo());
    s.begin_stroke(p(0.0, 0.0));
    s.end_stroke();
    s.begin_stroke(p(1.0, 1.0));
    s.extend_stroke(p(2.0, 2.0));
    // Undo mid-stroke drops the open stroke, and later moves go nowhere.
    assert!(s.undo());
    s.extend_stroke(p(3.0, 3.0));
    assert_eq!(s.strokes().len(), 1);
    assert_eq!(s.point_count(), 1);
    assert!(s.undo());
    assert!(s.is_empty());
    assert!(!s.undo());
}

#[test]
fn clear_removes_everything() {
    let mut s = Sketch::new();
    s.begin_stroke(p(0.0, 0.0));
    s.extend_stroke(p(1.0, 0.0));
    s.clear();
    assert!(s.is_empty());
    assert!(!s.is_drawing());
    s.extend_stroke(p(2.0, 0.0));
    assert!(s.is_empty());
}

#[test]
fn one_undo_brings_back_what_clear_removed_until_new_ink() {
    let mut s = Sketch::new();
    for x in [0.0, 10.0] {
        s.begin_stroke(p(x, 0.0));
        s.extend_stroke(p(x, 5.0));
        s.end_stroke();
    }
    let before = s.strokes().to_vec();
    s.clear();
    assert!(s.is_empty());
    assert!(s.undo(), "undo after clear restores");
    assert_eq!(s.strokes(), &before[..]);
    // Then undo goes on stroke by stroke, and a second clear is undone the same way.
    assert!(s.undo());
    assert_eq!(s.strokes().len(), 1);
    s.clear();
    s.clear(); // clearing an empty pad keeps what the first clear removed
    assert!(s.undo());
    assert_eq!(s.strokes().len(), 1);
    // New ink after a clear: what was cleared is gone for good.
    s.clear();
    s.begin_stroke(p(50.0, 50.0));
    s.end_stroke();
    assert!(s.undo());
    assert!(s.is_empty());
    assert!(!s.undo());
}

#[test]
fn from_coordinates_builds_strokes_and_skips_empty_ones() {
    let s = Sketch::from_coordinates(&[
        vec![[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]],
        vec![],
        vec![[5.0, 5.0]],
    ])
    .unwrap();
    assert_eq!(s.strokes().len(), 2);
    assert_eq!(s.point_count(), 3);
    assert_eq!(s.strokes()[1].points()[0].pressure, 0.5);
}

#[test]
fn from_coordinates_reports_what_and_where() {
    let e = Sketch::from_coordinates(&[
        vec![[0.0, 0.0]],
        vec![[1.0, 1.0], [2.0, 2.0], [f32::NAN, 0.0]],
    ])
    .unwrap_err();
    assert_eq!(
        e,
        SketchError::NonFinite {
            stroke: 1,
            point: 2
        }
    );
    assert!(e.to_string().contains("stroke 1, point 2"), "{e}");

    let e = Sketch::from_coordinates(&[vec![[0.0, f32::INFINITY]]]).unwrap_err();
    assert_eq!(
        e,
        SketchError::NonFinite {
            stroke: 0,
            point: 0
        }
    );

    let e = Sketch::from_coordinates(&[vec![[0.0, 0.0], [0.0, -2e6]]]).unwrap_err();
    assert!(
        matches!(e, SketchError::OutOfRange { stroke: 0, point: 1, value, .. } if value == -2e6)
    );
    assert!(e.to_string().contains("stroke 0, point 1"), "{e}");
    // The limit itself is allowed.
    assert!(Sketch::from_coordinates(&[vec![[MAX_COORD, -MAX_COORD]]]).is_ok());
}

#[test]
fn from_coordinates_limits() {
    let ok = vec![vec![[1.0f32, 2.0]; MAX_POINTS]];
    assert!(Sketch::from_coordinates(&ok).is_ok());
    let too_many = vec![vec![[1.0f32, 2.0]; MAX_POINTS + 1]];
    assert_eq!(
        Sketch::from_coordinates(&too_many).unwrap_err(),
        SketchError::TooManyPoints {
            count: MAX_POINTS + 1,
            max: MAX_POINTS
        }
    );
    let strokes = vec![vec![[0.0f32, 0.0]]; MAX_STROKES + 1];
    let e = Sketch::from_coordinates(&strokes).unwrap_err();
    assert_eq!(
        e,
        SketchError::TooManyStrokes {
            count: MAX_STROKES + 1,
            max: MAX_STROKES
        }
    );
    assert!(e.to_string().contains("1001"), "{e}");
    // Limits are checked before the per-point validation, so a huge bad request is cheap.
    let mut bad = vec![vec![[f32::NAN, 0.0]]; MAX_STROKES + 1];
    bad.truncate(MAX_STROKES + 1);
    assert!(matches!(
        Sketch::from_coordinates(&bad),
        Err(SketchError::TooManyStrokes { .. })
    ));
}

#[test]
fn from_coordinates_empty() {
    assert_eq!(Sketch::from_coordinates(&[]), Err(SketchError::Empty));
    assert_eq!(
        Sketch::from_coordinates(&[vec![], vec![]]),
        Err(SketchError::Empty)
    );
}

#[test]
fn a_scratch_out_erases_as_one_step_and_one_undo_brings_it_back() {
    let mut s = Sketch::new();
    for x in [0.0, 10.0, 20.0] {
        s.begin_stroke(p(x, 0.0));
        s.extend_stroke(p(x, 5.0));
        s.end_stroke();
    }
    let before = s.strokes().to_vec();
    // The scribble over strokes 0 and 2 (it is the last stroke, and never stays as ink).
    s.begin_stroke(p(0.0, 0.0));
    s.extend_stroke(p(20.0, 5.0));
    s.end_stroke();
    s.erase(&[0, 2]);
    assert_eq!(s.strokes(), &before[1..2]);
    assert!(s.undo(), "undo after a scratch-out restores");
    assert_eq!(
        s.strokes(),
        &before[..],
        "in their places, without the scribble"
    );
    // Then undo goes on stroke by stroke.
    assert!(s.undo());
    assert_eq!(s.strokes(), &before[..2]);
    // New ink after a scratch-out: what it erased is gone for good.
    s.begin_stroke(p(0.0, 0.0));
    s.extend_stroke(p(20.0, 5.0));
    s.end_stroke();
    s.erase(&[0]);
    s.begin_stroke(p(50.0, 50.0));
    s.end_stroke();
    assert!(s.undo());
    assert_eq!(s.strokes(), &before[1..2]);
}

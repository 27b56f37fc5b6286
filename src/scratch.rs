//! Scratch-out: a quick zig-zag drawn over ink erases the strokes it covers, as on paper,
//! instead of being added as ink. Pure geometry on the core's strokes, tested natively on
//! generated scribbles and on real digits drawn as strokes (which must never count).
//!
//! A stroke is a scribble when, along the direction its pen mostly travels (either way), it
//! turns back on itself at least [`MIN_REVERSALS`] times, each leg travelling at least half
//! the stroke's extent on that axis, with a path far longer than that extent. Handwritten
//! symbols turn back at most three times so (a `W` goes down and up twice, an `8` left and
//! right twice; `=` is two straight bars). The scribble then erases the strokes that lie
//! mostly inside its box.

use crate::sketch::{Point, Stroke};

/// Direction reversals along the main axis a scribble needs: five legs back and forth.
pub const MIN_REVERSALS: usize = 4;
/// A reversal counts only after the pen came back this share of the scribble's extent.
pub const LEG_SHARE: f32 = 0.5;
/// Path length over main-axis extent: a zig-zag of five legs is at least ~5.
pub const MIN_PATH_RATIO: f32 = 3.5;
/// Share of a stroke's points inside the scribble's box for the stroke to be erased.
pub const COVERED_SHARE: f32 = 0.6;
/// Smallest scribble extent, in pad pixels: a tiny wiggle is ink, not a gesture.
pub const MIN_EXTENT: f32 = 12.0;

/// Whether `points` form a scribble (see the module docs); says nothing about what it covers.
pub fn is_scribble(points: &[Point]) -> bool {
    if points.len() < 2 * (MIN_REVERSALS + 1) {
        return false;
    }
    let path: f32 = points
        .windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum();
    let (ux, uy) = leg_axis(points);
    let along = detrended(points.iter().map(|p| p.x * ux + p.y * uy).collect());
    let (lo, hi) = along
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &u| {
            (lo.min(u), hi.max(u))
        });
    let extent = hi - lo;
    extent >= MIN_EXTENT
        && path / extent >= MIN_PATH_RATIO
        && reversals(&along, LEG_SHARE * extent) >= MIN_REVERSALS
}

/// The direction the pen mostly travels in, either way: the mean of the segments'
/// directions with angles doubled, so a leg and the leg back count alike. A person's
/// scratch-out drifts down (or along) the ink while its legs go across; measuring along
/// the legs keeps that drift out of the count.
fn leg_axis(points: &[Point]) -> (f32, f32) {
    let (mut c, mut s) = (0.0f32, 0.0f32);
    for w in points.windows(2) {
        let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
        let len = dx.hypot(dy);
        if len > 0.0 {
            // len * (cos 2θ, sin 2θ)
            c += (dx * dx - dy * dy) / len;
            s += 2.0 * dx * dy / len;
        }
    }
    let angle = 0.5 * s.atan2(c);
    (angle.cos(), angle.sin())
}

/// The strokes of `ink` that `scribble` erases, if it is a scribble over ink: indices into
/// `ink`, ascending. `None` when it is not a scribble or covers no stroke (then it is ink).
pub fn erased_by(ink: &[Stroke], scribble: &[Point]) -> Option<Vec<usize>> {
    if !is_scribble(scribble) {
        return None;
    }
    let (x0, y0, x1, y1) = bounds(scribble)?;
    // A little slack: the pen's zig-zag turns just short of the ink it covers.
    let slack = 0.1 * (x1 - x0).max(y1 - y0);
    let inside = |p: &Point| {
        p.x >= x0 - slack && p.x <= x1 + slack && p.y >= y0 - slack && p.y <= y1 + slack
    };
    let covered: Vec<usize> = ink
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let pts = s.points();
            let n = pts.iter().filter(|p| inside(p)).count();
            !pts.is_empty() && n as f32 >= COVERED_SHARE * pts.len() as f32
        })
        .map(|(i, _)| i)
        .collect();
    (!covered.is_empty()).then_some(covered)
}

/// `u` less its straight-line trend over the samples: a scratch-out slanted across a long
/// number drifts along its legs' axis as it goes, which would otherwise swamp the legs.
fn detrended(mut u: Vec<f32>) -> Vec<f32> {
    let n = u.len() as f32;
    if u.len() < 2 {
        return u;
    }
    let mean_i = (n - 1.0) / 2.0;
    let mean_u = u.iter().sum::<f32>() / n;
    let (mut num, mut den) = (0.0f32, 0.0f32);
    for (i, &v) in u.iter().enumerate() {
        let di = i as f32 - mean_i;
        num += di * (v - mean_u);
        den += di * di;
    }
    let slope = if den > 0.0 { num / den } else { 0.0 };
    for (i, v) in u.iter_mut().enumerate() {
        *v -= slope * (i as f32 - mean_i);
    }
    u
}

/// Turns of direction in `u`, each counted once the value has come back `leg` from the
/// extreme reached since the last turn (so jitter and small hooks do not count).
fn reversals(u: &[f32], leg: f32) -> usize {
    let Some(&first) = u.first() else { return 0 };
    let (mut low, mut high) = (first, first);
    // +1 rising, -1 falling, 0 not yet known.
    let mut dir = 0i8;
    let mut turns = 0;
    for &v in &u[1..] {
        high = high.max(v);
        low = low.min(v);
        match dir {
            0 if high - v >= leg => {
                dir = -1;
                low = v;
            }
            0 if v - low >= leg => {
                dir = 1;
                high = v;
            }
            1 if high - v >= leg => {
                dir = -1;
                turns += 1;
                low = v;
            }
            -1 if v - low >= leg => {
                dir = 1;
                turns += 1;
                high = v;
            }
            _ => {}
        }
    }
    turns
}

fn bounds(points: &[Point]) -> Option<(f32, f32, f32, f32)> {
    let first = points.first()?;
    Some(points.iter().fold(
        (first.x, first.y, first.x, first.y),
        |(x0, y0, x1, y1), p| (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::Sketch;

    fn pts(xy: &[(f32, f32)]) -> Vec<Point> {
        xy.iter().map(|&(x, y)| Point::new(x, y)).collect()
    }

    /// A zig-zag of `legs` legs over the box (x, y, w, h), sampled every few pixels.
    fn zigzag(x: f32, y: f32, w: f32, h: f32, legs: usize) -> Vec<Point> {
        let mut out = Vec::new();
        for leg in 0..legs {
            let (from, to) = if leg % 2 == 0 { (x, x + w) } else { (x + w, x) };
            let (y0, y1) = (
                y + h * leg as f32 / legs as f32,
                y + h * (leg + 1) as f32 / legs as f32,
            );
            for k in 0..10 {
                let t = k as f32 / 10.0;
                out.push(Point::new(from + (to - from) * t, y0 + (y1 - y0) * t));
            }
        }
        out
    }

    #[test]
    fn a_zigzag_over_a_digit_erases_it_and_nothing_else() {
        let ink = Sketch::from_coordinates(&[
            vec![[50.0, 10.0], [50.0, 90.0]],                  // a 1
            vec![[200.0, 10.0], [240.0, 10.0], [210.0, 90.0]], // a 7, far to the right
        ])
        .expect("valid");
        let scribble = zigzag(30.0, 5.0, 40.0, 90.0, 6);
        assert!(is_scribble(&scribble));
        assert_eq!(erased_by(ink.strokes(), &scribble), Some(vec![0]));
    }

    #[test]
    fn a_zigzag_over_nothing_is_ink_and_symbols_are_not_scribbles() {
        let ink = Sketch::from_coordinates(&[vec![[50.0, 10.0], [50.0, 90.0]]]).expect("valid");
        assert_eq!(
            erased_by(ink.strokes(), &zigzag(300.0, 5.0, 40.0, 90.0, 6)),
            None
        );
        // W: down-up-down-up, but it runs left to right all the way.
        let w = pts(&[
            (0.0, 0.0),
            (10.0, 60.0),
            (20.0, 20.0),
            (30.0, 60.0),
            (40.0, 0.0),
        ]);
        assert!(!is_scribble(&densify(&w)));
        // A 3: two bumps down the page.
        let three = pts(&[
            (0.0, 0.0),
            (30.0, 5.0),
            (35.0, 20.0),
            (10.0, 30.0),
            (35.0, 40.0),
            (30.0, 58.0),
            (0.0, 60.0),
        ]);
        assert!(!is_scribble(&densify(&three)));
        // A 2 and a bar of =.
        let two = pts(&[
            (0.0, 10.0),
            (20.0, 0.0),
            (35.0, 15.0),
            (0.0, 60.0),
            (40.0, 60.0),
        ]);
        assert!(!is_scribble(&densify(&two)));
        assert!(!is_scribble(&densify(&pts(&[(0.0, 0.0), (60.0, 0.0)]))));
        // Three legs are a Z or an N, not a scratch-out.
        assert!(!is_scribble(&zigzag(0.0, 0.0, 40.0, 60.0, 3)));
    }

    /// Points every 2 px along the polyline, as a pointer reports them.
    fn densify(p: &[Point]) -> Vec<Point> {
        let mut out = vec![p[0]];
        for w in p.windows(2) {
            let d = (w[1].x - w[0].x).hypot(w[1].y - w[0].y);
            let n = (d / 2.0).ceil().max(1.0) as usize;
            for k in 1..=n {
                let t = k as f32 / n as f32;
                out.push(Point::new(
                    w[0].x + (w[1].x - w[0].x) * t,
                    w[0].y + (w[1].y - w[0].y) * t,
                ));
            }
        }
        out
    }
}

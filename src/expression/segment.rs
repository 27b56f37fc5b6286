//! Segmentation: a line of strokes → its symbols, left to right.
//!
//! People write a sum as symbols side by side; a symbol may have several strokes (`+ = ÷ ×`,
//! a `4`, `5` or `7` with a separate bar, dots), digits within a number may nearly touch,
//! and a bar may overhang its neighbour a little. Geometry decides what belongs together:
//! - two strokes are one symbol when one sits over the middle of the other, horizontally
//!   (the narrower one's centre lies inside the wider one's extent, away from its ends): true
//!   of `= ÷ + ×`, a `7`'s crossbar, and false of neighbours;
//! - or when they touch (their ink comes within a few hundredths of the line height): a `4`'s
//!   stem crossing its bar, a `5`'s flag, the pieces of a digit written in several strokes;
//!   a bar touching a digit-sized stroke along its top or bottom (a `7`'s or `5`'s top, a
//!   `2`'s base) is part of it without asking, while a minus overhanging its neighbour
//!   touches it near the middle;
//! - a speck (a dot no larger than a tenth of the line) is no symbol on its own (the only dots
//!   are `÷`'s, over its bar): it joins the nearest symbol within reach.
//!
//! Where that is not conclusive the classifier's confidence decides, comparing the grouping
//! whose symbols it reads more surely: when both strokes are as tall as digits (a `4` as
//! two strokes, or two digits that touch), when a flat bar only touches a taller stroke at
//! the bar's end (a minus overhanging the next digit, or a `4`'s bar), when strokes come
//! close without touching and share some of their width (a `4` whose stem stops short of
//! its bar), when they share much of their width with a gap between (a digit whose ink
//! broke), when a bar lies along a digit's top or bottom without touching it (a `5`'s flag
//! or a `7`'s top written apart, not a minus, which sits at mid-height; asked only while
//! the bar is a symbol of its own, and if it lies along the top or bottom of the other's
//! whole symbol, not just of one of its strokes, or comes near its ink), and when a fragment
//! (a stroke too small for a symbol of its own, but more than a speck) is left alone next
//! to a symbol, and when two upright strokes come close one below the other (a `4`'s stem
//! broken off below its bar's end: a line's symbols stand side by side, not stacked).
//! Strokes that come close side by side without sharing width are neighbours (digits written
//! tightly): apart without asking.
//!
//! Sizes are relative to the line's height (the typical height of the tallest strokes), so
//! the rules hold at any size.

use crate::sketch::Stroke;

/// A stroke's or a symbol's box: `[x0, y0, x1, y1]`.
pub type Bounds = [f32; 4];

/// One symbol: the strokes it is made of (indices into the sketch, in drawing order) and
/// their box.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub strokes: Vec<usize>,
    pub bounds: Bounds,
}

/// The line is at least this share of its tallest stroke's height.
const TALLEST_SHARE: f32 = 0.7;
/// Strokes whose ink touches are more often one symbol than two: for an ambiguous pair that
/// touches, the joined symbol wins unless the two apart read surer by more than this factor.
const TOUCH_BIAS: f32 = 0.8;
/// How far from a stroke's ends (as a share of its width) another's centre must be to sit
/// "over its middle".
const MIDDLE_MARGIN: f32 = 0.12;
/// Strokes at least this tall (share of the line height) are digit-sized: two of them are
/// only grouped when the classifier agrees.
const TALL: f32 = 0.55;
/// Narrowest width a stroke is given (share of the line height): a `1` or a dot still has
/// a middle.
const MIN_WIDTH: f32 = 0.06;
/// Strokes whose ink comes this close (share of the line height) touch.
const TOUCH: f32 = 0.04;
/// Strokes this close (share of the line height) may be one symbol or two neighbours (a `4`
/// whose stem stops short of the bar, two digits written tightly): the classifier decides.
const NEAR: f32 = 0.15;
/// Two strokes over one another whose heights overlap by less than this share (of the
/// shorter) are stacked: parts of one symbol.
const STACKED: f32 = 0.5;
/// Strokes that come near with at most this much vertical overlap (share of the line height)
/// are one below the other: the classifier decides.
const STACKED_NEAR: f32 = 0.1;
/// ... if both are at least this tall (share of the line height) and not bars.
const UPRIGHT: f32 = 0.3;
/// A stroke this flat (height over width) is a bar.
const FLAT: f32 = 0.35;
/// The ends of a bar: this share of its width at each side.
const BAR_END: f32 = 0.2;
/// A bar that lies this much (share of its width) within a digit's width is inside it.
const BAR_INSIDE: f32 = 0.8;
/// The top and bottom bands of a digit-sized stroke (share of its height) where a touching
/// bar is part of it.
const EDGE_BAND: f32 = 0.3;
/// Strokes that come near without touching, side by side, overlapping horizontally by at
/// most this share of the narrower one, are neighbours (digits written tightly), not parts.
const SIDE_BY_SIDE: f32 = 0.1;
/// Strokes that overlap horizontally by more than this share of the narrower one, without
/// coming near, may still be the pieces of one symbol: the classifier decides.
const SHARED: f32 = 0.3;
/// A group no larger than this (share of the line height) either way is a speck.
const SPECK: f32 = 0.12;
/// How far (share of the line height) a speck reaches for the symbol it belongs to.
const SPECK_REACH: f32 = 0.35;
/// A stroke no larger than this either way (share of the line height), and not a bar, is a
/// fragment: too small for a digit or a bracket, so likely a piece of the digit beside it
/// whose ink broke. The classifier decides, when it is this close (share of the line height).
const FRAGMENT: f32 = 0.45;
const FRAGMENT_REACH: f32 = 0.3;
/// A bar along a digit-sized stroke's top (or bottom), at most this far above (below) it
/// (share of the line height) and over its width or at most [`BAR_SLIDE`] off its side, may
/// be its flag or base written apart (a `5`, a `7`, a `2`): the classifier decides. A minus
/// sits at mid-height instead. Far: scanned `5`s' flags float up to half a digit above the
/// body (0.35 until 2026-12-05; 0.55-0.9 read as many lines right on seeds 1-3, 1-2 more each
/// than 0.35, and 6 more lone MNIST digits).
const BAR_GAP: f32 = 0.6;
const BAR_SLIDE: f32 = 0.1;

fn stroke_bounds(s: &Stroke) -> Bounds {
    s.points().iter().fold(
        [
            f32::INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ],
        |b, p| [b[0].min(p.x), b[1].min(p.y), b[2].max(p.x), b[3].max(p.y)],
    )
}

/// Whether a box is a bar's: much wider than tall.
fn is_flat(r: Bounds) -> bool {
    (r[3] - r[1]) <= FLAT * (r[2] - r[0])
}

fn union(a: Bounds, b: Bounds) -> Bounds {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// The line's height: the median height of the taller half of the strokes, so flat operators
/// and dots do not shrink it, and not far below the tallest stroke, so a digit written as one
/// long stroke and a few short pieces is measured by its long one; never below a fraction of
/// the line's width.
pub fn line_height(boxes: &[Bounds]) -> f32 {
    let mut heights: Vec<f32> = boxes.iter().map(|b| b[3] - b[1]).collect();
    heights.sort_by(|a, b| b.total_cmp(a));
    let tall = &heights[..heights.len().div_ceil(2)];
    let median = tall.get(tall.len() / 2).copied().unwrap_or(0.0);
    let tallest = heights.first().copied().unwrap_or(0.0);
    let width = boxes.iter().fold(0f32, |w, b| w.max(b[2] - b[0]));
    median
        .max(TALLEST_SHARE * tallest)
        .max(0.25 * width)
        .max(1e-3)
}

/// How two strokes relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Relation {
    Apart,
    Together,
    /// Geometry says together, but both are digit-sized: the classifier decides.
    Ambiguous,
    /// A lone bar along a digit-sized stroke's top or bottom: the classifier decides, if the
    /// bar is still alone and lies along the top or bottom of the other's whole symbol once
    /// the certain pairs are joined (see [`still_a_flag`]).
    Flag,
}

/// Distance from `p` to the segment `a`-`b`.
fn point_segment(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    (ex * ex + ey * ey).sqrt()
}

fn cross(o: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Distance between segments `p`-`q` and `r`-`s` (0 when they cross).
fn segment_segment(p: [f32; 2], q: [f32; 2], r: [f32; 2], s: [f32; 2]) -> f32 {
    let (d1, d2) = (cross(r, s, p), cross(r, s, q));
    let (d3, d4) = (cross(p, q, r), cross(p, q, s));
    if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
        return 0.0;
    }
    point_segment(p, r, s)
        .min(point_segment(q, r, s))
        .min(point_segment(r, p, q))
        .min(point_segment(s, p, q))
}

/// The points of `stroke` as `[x, y]` segments' ends (a dot is one zero-length segment).
fn segments(stroke: &Stroke) -> impl Iterator<Item = ([f32; 2], [f32; 2])> + '_ {
    let pts = stroke.points();
    let first = pts.first().map(|p| [p.x, p.y]).unwrap_or([0.0, 0.0]);
    let lone = (pts.len() == 1).then_some((first, first));
    pts.windows(2)
        .map(|w| ([w[0].x, w[0].y], [w[1].x, w[1].y]))
        .chain(lone)
}

/// Whether the ink of `a` comes within `limit` of the ink of `b` (boxes `ba`, `bb`).
fn touch(a: &Stroke, b: &Stroke, ba: Bounds, bb: Bounds, limit: f32) -> bool {
    if ba[0] > bb[2] + limit
        || bb[0] > ba[2] + limit
        || ba[1] > bb[3] + limit
        || bb[1] > ba[3] + limit
    {
        return false;
    }
    segments(a).any(|(p, q)| {
        // Only the parts of `b` near this segment's box can be close.
        let (x0, x1) = (p[0].min(q[0]) - limit, p[0].max(q[0]) + limit);
        let (y0, y1) = (p[1].min(q[1]) - limit, p[1].max(q[1]) + limit);
        segments(b).any(|(r, s)| {
            r[0].max(s[0]) >= x0
                && r[0].min(s[0]) <= x1
                && r[1].max(s[1]) >= y0
                && r[1].min(s[1]) <= y1
                && segment_segment(p, q, r, s) <= limit
        })
    })
}

/// Whether the flat one of two touching strokes meets the other only near its own end, with
/// the other's middle outside the bar: how a bar overhangs its neighbour. Not when the bar
/// lies (by [`BAR_INSIDE`] of its width) within the other's width: a `7`'s crossbar broken
/// at the stem, one half touching it at its end, lies inside the `7`; a minus lies beside.
fn touches_at_bar_end(a: Bounds, b: Bounds) -> bool {
    let (bar, other) = match (is_flat(a), is_flat(b)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return false,
    };
    let w = bar[2] - bar[0];
    let centre = (other[0] + other[2]) / 2.0;
    let inside = bar[2].min(other[2]) - bar[0].max(other[0]);
    (centre < bar[0] + BAR_END * w || centre > bar[2] - BAR_END * w) && inside < BAR_INSIDE * w
}

/// Whether one of two touching strokes is a bar lying along the top or the bottom of the
/// other, a digit-sized stroke: a `7`'s or `5`'s top, a `2`'s base, a `3`'s top written
/// apart. A minus that overhangs its neighbour sits near the neighbour's middle instead.
fn bar_at_top_or_bottom(a: Bounds, b: Bounds, height: f32) -> bool {
    let (bar, other) = match (is_flat(a), is_flat(b)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return false,
    };
    let h = other[3] - other[1];
    if h < TALL * height {
        return false;
    }
    let y = (bar[1] + bar[3]) / 2.0;
    y < other[1] + EDGE_BAND * h || y > other[3] - EDGE_BAND * h
}

/// Whether two flat strokes lie end to end at the same height: one bar written (or traced)
/// in two pieces, such as a `7`'s crossbar broken where it crosses the stem. Bars of `=`
/// lie over one another instead, and no sum has two minus signs touching end to end. The
/// same height: their heights overlap, or nearly (a piece may slant where the other is
/// level, so their middles differ by a little more than the gap between them).
fn pieces_of_one_bar(a: Bounds, b: Bounds, height: f32) -> bool {
    let v_gap = a[1].max(b[1]) - a[3].min(b[3]);
    let h_overlap = a[2].min(b[2]) - a[0].max(b[0]);
    let narrower = (a[2] - a[0]).min(b[2] - b[0]);
    let end_to_end = h_overlap <= 0.5 * narrower;
    is_flat(a) && is_flat(b) && v_gap <= TOUCH * height && end_to_end
}

/// Whether one stroke is a bar along the top or the bottom of the other, a digit-sized
/// stroke, without touching it: in its top or bottom band or beyond it by at most
/// [`BAR_GAP`], over part of its width or just off its side (by at most [`BAR_SLIDE`]).
fn bar_near_top_or_bottom(a: Bounds, b: Bounds, height: f32) -> bool {
    let (bar, other) = match (is_flat(a), is_flat(b)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return false,
    };
    let h = other[3] - other[1];
    if h < TALL * height {
        return false;
    }
    let overlap = bar[2].min(other[2]) - bar[0].max(other[0]);
    let y = (bar[1] + bar[3]) / 2.0;
    let top = y < other[1] + EDGE_BAND * h && other[1] - bar[3] <= BAR_GAP * height;
    let bottom = y > other[3] - EDGE_BAND * h && bar[1] - other[3] <= BAR_GAP * height;
    overlap > -BAR_SLIDE * height && (top || bottom)
}

fn relation(a: Bounds, b: Bounds, touching: bool, near: bool, height: f32) -> Relation {
    let tall = |r: Bounds| r[3] - r[1] >= TALL * height;
    let min_w = MIN_WIDTH * height;
    let span = |r: Bounds| {
        let (c, w) = ((r[0] + r[2]) / 2.0, (r[2] - r[0]).max(min_w));
        (c - w / 2.0, c + w / 2.0, c, w)
    };
    let (sa, sb) = (span(a), span(b));
    let (narrow, wide) = if sa.3 <= sb.3 { (sa, sb) } else { (sb, sa) };
    let margin = MIDDLE_MARGIN * wide.3;
    let over_middle = narrow.2 > wide.0 + margin && narrow.2 < wide.1 - margin;
    // One over the other (an 8's two loops) is one symbol: a line's symbols stand side by
    // side. Two tall strokes side by side under each other's extent (a 1 under a 7's bar)
    // are for the classifier.
    let v_overlap = a[3].min(b[3]) - a[1].max(b[1]);
    let stacked = over_middle && v_overlap < STACKED * (a[3] - a[1]).min(b[3] - b[1]);
    let both_tall = tall(a) && tall(b) && !stacked;
    if touching {
        return if bar_at_top_or_bottom(a, b, height) {
            Relation::Together
        } else if both_tall || touches_at_bar_end(a, b) {
            Relation::Ambiguous
        } else {
            Relation::Together
        };
    }
    if near && !touching && pieces_of_one_bar(a, b, height) {
        return Relation::Together;
    }
    if !over_middle {
        // On the spans given their least width: an upright stroke has a width too.
        let overlap = sa.1.min(sb.1) - sa.0.max(sb.0);
        let narrower = narrow.3;
        // Neighbours stand side by side; the pieces of one symbol (a digit written in
        // several strokes, with a gap) share much of their width.
        let shared = overlap > SHARED * narrower && v_overlap > 0.0;
        // One below the other, near: a digit's lower part broken off at a corner (a `4`'s
        // stem below its bar's end); a line's symbols stand side by side, not stacked.
        let upright = |r: Bounds| r[3] - r[1] >= UPRIGHT * height && !is_flat(r);
        let below = near && v_overlap <= STACKED_NEAR * height && upright(a) && upright(b);
        return if (near && overlap > SIDE_BY_SIDE * narrower) || shared || below {
            Relation::Ambiguous
        } else if bar_near_top_or_bottom(a, b, height) {
            Relation::Flag
        } else {
            Relation::Apart
        };
    }
    if both_tall {
        Relation::Ambiguous
    } else {
        Relation::Together
    }
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    let mut i = i;
    while parent[i] != r {
        let next = parent[i];
        parent[i] = r;
        i = next;
    }
    r
}

fn groups(parent: &mut [usize]) -> Vec<Vec<usize>> {
    let n = parent.len();
    let mut by_root: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        let r = find(parent, i);
        by_root[r].push(i);
    }
    by_root.into_iter().filter(|g| !g.is_empty()).collect()
}

/// Whether the bar of a [`Relation::Flag`] pair `i`, `j` may still be the other's flag or
/// base, now that the certain pairs are joined: the bar is a symbol of its own so far (a
/// `5`'s flag already joined to its body is no flag of the digit after it), and it lies along
/// the top or bottom of the other's whole group (a minus at the middle of an `8` written as
/// two loops lies along the top of the lower loop, but not along the top of the `8`), or
/// comes [`NEAR`] its ink (a `7`'s crossbar broken off beside the stem lies at the `7`'s
/// middle; a minus written before a digit ends short of it).
fn still_a_flag(
    (i, j): (usize, usize),
    strokes: &[Stroke],
    boxes: &[Bounds],
    height: f32,
    parent: &mut [usize],
) -> bool {
    let (bar, other) = if is_flat(boxes[i]) { (i, j) } else { (j, i) };
    let (rb, ro) = (find(parent, bar), find(parent, other));
    let mut members = Vec::new();
    for k in 0..boxes.len() {
        let r = find(parent, k);
        if r == rb && k != bar {
            return false;
        }
        if r == ro {
            members.push(k);
        }
    }
    let Some(g) = members.iter().map(|&k| boxes[k]).reduce(union) else {
        return false;
    };
    let (h, y) = (g[3] - g[1], (boxes[bar][1] + boxes[bar][3]) / 2.0);
    let along = y < g[1] + EDGE_BAND * h || y > g[3] - EDGE_BAND * h;
    let reach = NEAR * height;
    along
        || members
            .iter()
            .any(|&k| touch(&strokes[bar], &strokes[k], boxes[bar], boxes[k], reach))
}

/// Gap between two boxes (0 when they overlap).
fn box_gap(a: Bounds, b: Bounds) -> f32 {
    let dx = (a[0] - b[2]).max(b[0] - a[2]).max(0.0);
    let dy = (a[1] - b[3]).max(b[1] - a[3]).max(0.0);
    (dx * dx + dy * dy).sqrt()
}

/// A fragment (see [`FRAGMENT`]) left alone by the rules above, one stroke on its own, and
/// the nearest other group within reach: for the classifier to decide, as an untouching pair.
fn fragment_pairs(
    boxes: &[Bounds],
    height: f32,
    parent: &mut [usize],
) -> Vec<(usize, usize, bool)> {
    let size = |r: Bounds| (r[2] - r[0]).max(r[3] - r[1]);
    let all = groups(parent);
    let mut pairs = Vec::new();
    for g in &all {
        let &[k] = g.as_slice() else { continue };
        let b = boxes[k];
        if size(b) > FRAGMENT * height || size(b) <= SPECK * height || is_flat(b) {
            continue;
        }
        let nearest = all
            .iter()
            .filter(|other| other.first() != g.first())
            .filter_map(|other| {
                let gap = other
                    .iter()
                    .map(|&o| box_gap(b, boxes[o]))
                    .fold(f32::INFINITY, f32::min);
                other.first().map(|&o| (gap, o))
            })
            .min_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((gap, o)) = nearest {
            if gap <= FRAGMENT_REACH * height {
                pairs.push((k.min(o), k.max(o), false));
            }
        }
    }
    pairs
}

/// A speck alone is no symbol: `÷`'s dots sit over its bar's middle and have joined it
/// already, and there is no decimal point. A group that is only a speck is a piece of the
/// symbol beside it (a digit whose ink broke, a pen that touched down twice), so it joins
/// the nearest group within reach; far from everything it stays alone.
fn attach_specks(boxes: &[Bounds], height: f32, parent: &mut [usize]) {
    let bounds = |g: &[usize]| g.iter().map(|&k| boxes[k]).reduce(union);
    let all = groups(parent);
    for g in &all {
        let Some(b) = bounds(g) else { continue };
        if (b[2] - b[0]).max(b[3] - b[1]) > SPECK * height {
            continue;
        }
        let nearest = all
            .iter()
            .filter(|other| other.first() != g.first())
            .filter_map(|other| bounds(other).map(|o| (box_gap(b, o), other[0])))
            .min_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((gap, k)) = nearest {
            if gap <= SPECK_REACH * height {
                let (ri, rj) = (find(parent, g[0]), find(parent, k));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
}

/// Splits `strokes` into symbols, left to right. `confidence` rates a candidate symbol (the
/// strokes of a group, in drawing order) by how surely the classifier reads it, in `[0, 1]`;
/// it is only asked about ambiguous groupings.
pub fn segment(strokes: &[Stroke], confidence: &mut dyn FnMut(&[usize]) -> f32) -> Vec<Segment> {
    let boxes: Vec<Bounds> = strokes.iter().map(stroke_bounds).collect();
    if boxes.is_empty() {
        return Vec::new();
    }
    let height = line_height(&boxes);
    let n = boxes.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut ambiguous = Vec::new();
    let mut flags = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let touching = touch(&strokes[i], &strokes[j], boxes[i], boxes[j], TOUCH * height);
            let near =
                touching || touch(&strokes[i], &strokes[j], boxes[i], boxes[j], NEAR * height);
            match relation(boxes[i], boxes[j], touching, near, height) {
                Relation::Together => {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    parent[ri.max(rj)] = ri.min(rj);
                }
                Relation::Ambiguous => ambiguous.push((i, j, touching)),
                Relation::Flag => flags.push((i, j)),
                Relation::Apart => {}
            }
        }
    }
    for (i, j) in flags {
        if still_a_flag((i, j), strokes, &boxes, height, &mut parent) {
            ambiguous.push((i, j, false));
        }
    }
    ambiguous.extend(fragment_pairs(&boxes, height, &mut parent));
    // Ambiguous pairs: join their groups when the joined symbol reads more surely than the
    // two apart (the product of their confidences, times TOUCH_BIAS when they touch).
    for (i, j, touching) in ambiguous {
        let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
        if ri == rj {
            continue;
        }
        let all = groups(&mut parent);
        let of = |r: usize, parent: &mut [usize]| -> Vec<usize> {
            all.iter()
                .find(|g| g.first().is_some_and(|&k| find(parent, k) == r))
                .cloned()
                .unwrap_or_default()
        };
        let (gi, gj) = (of(ri, &mut parent), of(rj, &mut parent));
        let mut joined: Vec<usize> = gi.iter().chain(&gj).copied().collect();
        joined.sort_unstable();
        let bias = if touching { TOUCH_BIAS } else { 1.0 };
        if confidence(&joined) > bias * confidence(&gi) * confidence(&gj) {
            parent[ri.max(rj)] = ri.min(rj);
        }
    }
    attach_specks(&boxes, height, &mut parent);
    let mut segments: Vec<Segment> = groups(&mut parent)
        .into_iter()
        .map(|strokes| {
            let bounds = strokes
                .iter()
                .map(|&k| boxes[k])
                .reduce(union)
                .unwrap_or(boxes[0]);
            Segment { strokes, bounds }
        })
        .collect();
    segments.sort_by(|a, b| (a.bounds[0] + a.bounds[2]).total_cmp(&(b.bounds[0] + b.bounds[2])));
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::Sketch;

    fn sketch(strokes: &[&[(f32, f32)]]) -> Sketch {
        let coords: Vec<Vec<[f32; 2]>> = strokes
            .iter()
            .map(|s| s.iter().map(|&(x, y)| [x, y]).collect())
            .collect();
        Sketch::from_coordinates(&coords).expect("valid strokes")
    }

    fn split(s: &Sketch, confidence: &mut dyn FnMut(&[usize]) -> f32) -> Vec<Vec<usize>> {
        segment(s.strokes(), confidence)
            .into_iter()
            .map(|g| g.strokes)
            .collect()
    }

    fn never(_: &[usize]) -> f32 {
        panic!("the classifier should not be asked")
    }

    #[test]
    fn twelve_plus_seven_equals() {
        // 1, 2, + (two strokes), 7 (with a crossbar drawn last), = (two bars); height 100.
        let s = sketch(&[
            &[(10.0, 0.0), (12.0, 100.0)],
            &[(40.0, 10.0), (80.0, 5.0), (45.0, 100.0), (85.0, 100.0)],
            &[(110.0, 50.0), (160.0, 50.0)],
            &[(135.0, 25.0), (136.0, 75.0)],
            &[(190.0, 0.0), (240.0, 0.0), (205.0, 100.0)],
            &[(280.0, 40.0), (320.0, 40.0)],
            &[(280.0, 60.0), (322.0, 61.0)],
            &[(200.0, 50.0), (235.0, 50.0)],
        ]);
        assert_eq!(
            split(&s, &mut never),
            vec![vec![0], vec![1], vec![2, 3], vec![4, 7], vec![5, 6]]
        );
    }

    #[test]
    fn divide_dots_stay_with_their_bar_and_nearly_touching_digits_stay_apart() {
        let s = sketch(&[
            &[(0.0, 0.0), (40.0, 0.0), (5.0, 100.0)], // 7
            &[(46.0, 0.0), (48.0, 100.0)],            // 1 close to the 7's bar end
            &[(70.0, 50.0), (120.0, 50.0)],           // ÷ bar
            &[(95.0, 30.0)],                          // dot above
            &[(96.0, 70.0), (97.0, 71.0)],            // dot below
        ]);
        // The 1 comes close to the 7's bar: the classifier is asked and reads them apart.
        let mut apart = |g: &[usize]| {
            if g.len() >= 2 && g[0] < 2 && g[1] < 2 {
                0.4
            } else {
                0.95
            }
        };
        assert_eq!(split(&s, &mut apart), vec![vec![0], vec![1], vec![2, 3, 4]]);
    }

    #[test]
    fn a_bar_overhanging_its_neighbour_does_not_swallow_it() {
        // "−1": the minus reaches just past the 1's stem. They touch at the bar's end: the
        // classifier is asked, and reads them more surely apart.
        let s = sketch(&[&[(0.0, 50.0), (60.0, 50.0)], &[(57.0, 0.0), (58.0, 100.0)]]);
        let mut apart = |g: &[usize]| if g.len() == 2 { 0.5 } else { 0.99 };
        assert_eq!(split(&s, &mut apart), vec![vec![0], vec![1]]);
        // Well apart: apart without asking.
        let s = sketch(&[&[(0.0, 50.0), (40.0, 50.0)], &[(57.0, 0.0), (58.0, 100.0)]]);
        assert_eq!(split(&s, &mut never), vec![vec![0], vec![1]]);
    }

    #[test]
    fn touching_pieces_of_a_digit_stay_together() {
        // A 5: stem and bowl in one stroke, the flag touching the stem's top.
        let s = sketch(&[
            &[
                (10.0, 0.0),
                (5.0, 45.0),
                (40.0, 45.0),
                (45.0, 75.0),
                (5.0, 100.0),
            ],
            &[(10.0, 0.0), (45.0, 2.0)],
        ]);
        assert_eq!(split(&s, &mut never), vec![vec![0, 1]]);
        // An 8 as two loops, one over the other, each as tall as the line thinks digits are.
        let top: Vec<(f32, f32)> = (0..=16)
            .map(|i| {
                let a = i as f32 * std::f32::consts::PI / 8.0;
                (50.0 + 20.0 * a.sin(), 25.0 - 25.0 * a.cos())
            })
            .collect();
        let bottom: Vec<(f32, f32)> = top.iter().map(|&(x, y)| (x, y + 50.0)).collect();
        let s = sketch(&[&top, &bottom]);
        assert_eq!(split(&s, &mut never), vec![vec![0, 1]]);
        // Crossing segments touch even without a point near the crossing.
        assert_eq!(
            segment_segment([0.0, 0.0], [10.0, 10.0], [0.0, 10.0], [10.0, 0.0]),
            0.0
        );
        assert!((point_segment([5.0, 5.0], [0.0, 0.0], [10.0, 0.0]) - 5.0).abs() < 1e-6);
    }

    #[test]
    fn two_tall_strokes_over_each_other_ask_the_classifier() {
        // A 4 as an L and a stem: joined reads surely, apart poorly.
        let s = sketch(&[
            &[(10.0, 0.0), (0.0, 60.0), (50.0, 60.0)],
            &[(35.0, 10.0), (36.0, 100.0)],
        ]);
        let mut asked = 0;
        let mut four = |g: &[usize]| {
            asked += 1;
            if g.len() == 2 {
                0.95
            } else {
                0.6
            }
        };
        assert_eq!(split(&s, &mut four), vec![vec![0, 1]]);
        assert!(asked >= 3);
        // The same strokes read better apart stay apart.
        let mut apart = |g: &[usize]| if g.len() == 2 { 0.3 } else { 0.9 };
        assert_eq!(split(&s, &mut apart), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_bar_along_a_digits_top_or_base_is_part_of_it_without_asking() {
        // A 7 as a stem and a top bar touching the stem's top end; a 2 with its base apart.
        let s = sketch(&[
            &[(0.0, 2.0), (40.0, 0.0)],
            &[(40.0, 0.0), (15.0, 100.0)],
            &[(70.0, 20.0), (100.0, 10.0), (105.0, 40.0), (72.0, 99.0)],
            &[(72.0, 100.0), (115.0, 100.0)],
        ]);
        assert_eq!(split(&s, &mut never), vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn a_crossbar_broken_at_the_stem_is_one_bar_of_its_digit() {
        // A 7 with a crossbar whose two halves stop short of the stem, on each side.
        let s = sketch(&[
            &[(0.0, 0.0), (50.0, 0.0), (20.0, 100.0)],
            &[(10.0, 50.0), (29.0, 50.0)],
            &[(36.0, 51.0), (55.0, 51.0)],
        ]);
        assert_eq!(split(&s, &mut |_: &[usize]| 0.9), vec![vec![0, 1, 2]]);
        // As traced from MNIST test #301: the left half crosses the stem slanting down, the
        // right half starts off the stem, level. Their middles are 5 apart, more than the
        // pieces of one bar were allowed, but their heights overlap (nearly).
        let s = sketch(&[
            &[(0.0, 0.0), (45.0, 0.0), (15.0, 110.0)],
            &[(-7.0, 65.0), (37.0, 73.0)],
            &[(41.0, 64.0), (75.0, 64.0)],
        ]);
        assert_eq!(split(&s, &mut |_: &[usize]| 0.9), vec![vec![0, 1, 2]]);
        // An `=`'s bars lie over one another, not end to end: still one symbol, but by the
        // rule for strokes over each other's middle, and never merged with a neighbour.
        let s = sketch(&[&[(0.0, 40.0), (40.0, 40.0)], &[(2.0, 52.0), (41.0, 53.0)]]);
        assert_eq!(split(&s, &mut |_: &[usize]| 0.9), vec![vec![0, 1]]);
    }

    #[test]
    fn a_lone_digit_in_pieces_is_measured_by_its_long_stroke() {
        // One long stroke and two short pieces: the line is about as tall as the long one.
        let boxes = [
            [0.0, 0.0, 40.0, 100.0],
            [0.0, 90.0, 30.0, 100.0],
            [0.0, 0.0, 5.0, 6.0],
        ];
        assert!(line_height(&boxes) >= 70.0);
    }

    #[test]
    fn digits_written_tightly_side_by_side_stay_apart_without_asking() {
        // "11", the second 1 a twentieth of the line height right of the first.
        let s = sketch(&[&[(10.0, 0.0), (10.0, 100.0)], &[(16.0, 0.0), (16.0, 100.0)]]);
        assert_eq!(split(&s, &mut never), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_speck_joins_the_symbol_beside_it() {
        // A 0 with a speck of broken ink just off its right side; a speck far from
        // everything stays alone.
        let ring: Vec<(f32, f32)> = (0..=24)
            .map(|i| {
                let a = i as f32 * std::f32::consts::PI / 12.0;
                (30.0 + 25.0 * a.cos(), 50.0 + 50.0 * a.sin())
            })
            .collect();
        let s = sketch(&[&ring, &[(62.0, 50.0), (63.0, 51.0)]]);
        assert_eq!(split(&s, &mut never), vec![vec![0, 1]]);
        let s = sketch(&[&ring, &[(200.0, 50.0)]]);
        assert_eq!(split(&s, &mut never), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_flag_written_apart_asks_the_classifier_and_a_minus_does_not() {
        // A 5: the body, and its flag written apart, above its top and a little to the right.
        let s = sketch(&[
            &[
                (5.0, 20.0),
                (5.0, 55.0),
                (40.0, 55.0),
                (45.0, 85.0),
                (5.0, 100.0),
            ],
            &[(38.0, 2.0), (70.0, 0.0)],
        ]);
        let mut five = |g: &[usize]| if g.len() == 2 { 0.95 } else { 0.5 };
        assert_eq!(split(&s, &mut five), vec![vec![0, 1]]);
        let mut apart = |g: &[usize]| if g.len() == 2 { 0.3 } else { 0.9 };
        assert_eq!(split(&s, &mut apart), vec![vec![0], vec![1]]);
        // A scanned 5's flag floats half the body's height above it, off to the right: still
        // asked.
        let s = sketch(&[
            &[
                (5.0, 40.0),
                (5.0, 70.0),
                (40.0, 70.0),
                (45.0, 90.0),
                (5.0, 100.0),
            ],
            &[(30.0, 10.0), (75.0, 8.0)],
        ]);
        assert_eq!(split(&s, &mut five), vec![vec![0, 1]]);
        // "7−": the minus at mid-height beside the 7, apart without asking.
        let s = sketch(&[
            &[(0.0, 0.0), (40.0, 0.0), (10.0, 100.0)],
            &[(50.0, 50.0), (90.0, 50.0)],
        ]);
        assert_eq!(split(&s, &mut never), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_minus_written_tightly_before_an_eight_in_two_loops_stays_apart() {
        // "−8": the minus ends just short of the 8, at its middle, which is the top of the
        // lower loop. Along the top of that stroke, but not of the 8: apart without asking.
        let loop_at = |cy: f32, r: f32| -> Vec<(f32, f32)> {
            (0..=16)
                .map(|i| {
                    let a = i as f32 * std::f32::consts::PI / 8.0;
                    (70.0 + r * a.sin(), cy - r * a.cos())
                })
                .collect()
        };
        let minus: &[(f32, f32)] = &[(0.0, 50.0), (42.0, 51.0)];
        let s = sketch(&[minus, &loop_at(25.0, 24.0), &loop_at(75.0, 25.0)]);
        assert_eq!(split(&s, &mut never), vec![vec![0], vec![1, 2]]);
    }

    #[test]
    fn a_crossbar_broken_off_beside_the_stem_asks_the_classifier() {
        // MNIST test #550 as traced: a 7 whose stroke runs over the top, down the right
        // side and back left along the crossbar; the crossbar's right half broke off where
        // it leaves the stem, and the lower stem is a stroke of its own. The broken-off half
        // lies at the 7's middle, not its top or bottom, but next to its ink.
        let s = sketch(&[
            &[
                (105.0, 105.0),
                (98.0, 85.0),
                (115.0, 75.0),
                (162.0, 78.0),
                (175.0, 95.0),
                (175.0, 135.0),
                (168.0, 148.0),
                (155.0, 155.0),
                (115.0, 155.0),
            ],
            &[(175.0, 145.0), (205.0, 145.0)],
            &[
                (155.0, 155.0),
                (152.0, 185.0),
                (142.0, 215.0),
                (125.0, 255.0),
            ],
        ]);
        let mut seven = |g: &[usize]| if g.len() == 3 { 0.99 } else { 0.6 };
        assert_eq!(split(&s, &mut seven), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn half_a_crossbar_touching_a_sevens_stem_is_part_of_it() {
        // MNIST test #2961 as traced: the crossbar's right half starts at the stem and lies
        // inside the 7's width; at its end, but no minus overhanging a neighbour.
        let s = sketch(&[
            &[(55.0, 70.0), (165.0, 65.0), (130.0, 150.0), (100.0, 245.0)],
            &[(108.0, 190.0), (145.0, 188.0)],
        ]);
        assert_eq!(split(&s, &mut never), vec![vec![0, 1]]);
    }

    #[test]
    fn a_stem_broken_off_below_a_corner_asks_the_classifier() {
        // MNIST 4s as traced (#295, #250): the arm and bar in one stroke, the stem below it
        // in another, starting a little off the bar's end: straight down, or on the slant.
        let upper: &[(f32, f32)] = &[(110.0, 75.0), (85.0, 130.0), (165.0, 145.0)];
        let mut four = |g: &[usize]| if g.len() == 2 { 0.97 } else { 0.6 };
        for lower in [
            &[(160.0, 151.0), (160.0, 235.0)][..],
            &[(168.0, 150.0), (195.0, 235.0)][..],
        ] {
            let s = sketch(&[upper, lower]);
            assert_eq!(split(&s, &mut four), vec![vec![0, 1]]);
        }
    }

    #[test]
    fn a_flag_joined_to_its_digit_is_no_flag_of_the_next() {
        // "54" written tightly: the 5's flag ends just before the top of the 4's first stroke.
        // It belongs to the 5 already, so the 4 is not asked to take it (asked, a classifier
        // unsure of both would have joined all four strokes).
        let s = sketch(&[
            &[
                (5.0, 5.0),
                (3.0, 50.0),
                (40.0, 50.0),
                (45.0, 80.0),
                (5.0, 100.0),
            ],
            &[(5.0, 5.0), (64.0, 4.0)],
            &[(78.0, 0.0), (70.0, 60.0), (125.0, 60.0)],
            &[(110.0, 20.0), (111.0, 100.0)],
        ]);
        let mut four = |g: &[usize]| if g == [2, 3] { 0.99 } else { 0.6 };
        assert_eq!(split(&s, &mut four), vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn a_fragment_left_beside_a_digit_asks_the_classifier() {
        // A 4 whose stem's lower end broke off: a short upright piece below its right side.
        let s = sketch(&[
            &[
                (20.0, 0.0),
                (0.0, 60.0),
                (50.0, 60.0),
                (40.0, 0.0),
                (40.0, 70.0),
            ],
            &[(41.0, 78.0), (42.0, 100.0)],
        ]);
        let mut four = |g: &[usize]| if g.len() == 2 { 0.97 } else { 0.6 };
        assert_eq!(split(&s, &mut four), vec![vec![0, 1]]);
        // Far from everything, it is left alone without asking.
        let s = sketch(&[
            &[
                (20.0, 0.0),
                (0.0, 60.0),
                (50.0, 60.0),
                (40.0, 0.0),
                (40.0, 100.0),
            ],
            &[(140.0, 78.0), (142.0, 100.0)],
        ]);
        assert_eq!(split(&s, &mut never), vec![vec![0], vec![1]]);
    }

    #[test]
    fn empty_and_single() {
        assert!(segment(&[], &mut never).is_empty());
        let s = sketch(&[&[(3.0, 3.0)]]);
        assert_eq!(split(&s, &mut never), vec![vec![0]]);
    }
}

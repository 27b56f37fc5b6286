//! Where the sketch's ink shows on the pad. Ink is kept in the pad's CSS pixels of the moment
//! it was drawn; when the pad is now smaller (a narrowed window, a turned phone, a drawing
//! restored on another screen) or a stroke ran past its edge, the view zooms out and shifts
//! so that all of it shows, instead of cutting it off. Pointer positions go through the same
//! view backwards, so new ink lands under the pen. Pure geometry, tested natively.

use crate::sketch::Sketch;

/// Space kept free between fitted ink and the pad's edge, in pad (screen) pixels: more than
/// half the widest brush, so no stroke's round end touches the edge.
pub const FIT_MARGIN: f32 = 16.0;
/// The view never zooms out further than this (ink past 20 pads away is not worth showing).
pub const MIN_SCALE: f32 = 0.05;

/// `screen = (sketch - origin) * scale`, with `scale` in `MIN_SCALE..=1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InkView {
    pub scale: f32,
    pub origin: (f32, f32),
}

impl Default for InkView {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl InkView {
    pub const IDENTITY: InkView = InkView {
        scale: 1.0,
        origin: (0.0, 0.0),
    };

    /// The view of `sketch` on a `width` x `height` pad: the identity whenever the ink fits
    /// (the usual case, so nothing moves while one writes), else the largest zoom at which all
    /// of it fits with [`FIT_MARGIN`] to spare.
    pub fn fitting(sketch: &Sketch, width: f32, height: f32) -> InkView {
        Self::fitting_extent(sketch.bounds(), width, height)
    }

    /// The same for any ink extent `(x0, y0, x1, y1)` (the sketch with the answer ink).
    pub fn fitting_extent(
        extent: Option<(f32, f32, f32, f32)>,
        width: f32,
        height: f32,
    ) -> InkView {
        let Some((x0, y0, x1, y1)) = extent else {
            return Self::IDENTITY;
        };
        if !(width > 0.0 && height > 0.0) {
            return Self::IDENTITY;
        }
        if x0 >= 0.0 && y0 >= 0.0 && x1 <= width && y1 <= height {
            return Self::IDENTITY;
        }
        // Per axis: the span from the pad's own origin (or the ink's start, when ink lies left
        // of or above it) to the ink's end goes to the screen span inside the margins.
        let axis = |lo: f32, hi: f32, size: f32| {
            let start = lo.min(0.0);
            let lead = if lo < 0.0 { FIT_MARGIN } else { 0.0 };
            let scale = (size - FIT_MARGIN - lead) / (hi.max(0.0) - start);
            (start, lead, scale)
        };
        let (sx, lead_x, kx) = axis(x0, x1, width);
        let (sy, lead_y, ky) = axis(y0, y1, height);
        // An empty span gives +inf (min picks the other axis, clamp 1), a pad smaller than its
        // margins a negative scale (clamped), 0/0 NaN on both axes the identity scale.
        let k = kx.min(ky);
        let scale = if k.is_nan() {
            1.0
        } else {
            k.clamp(MIN_SCALE, 1.0)
        };
        InkView {
            scale,
            origin: (sx - lead_x / scale, sy - lead_y / scale),
        }
    }

    /// The view to keep after an edit: this one while it still shows all of `extent` (so
    /// ink never moves under the pen because something else changed), the identity for an
    /// empty pad, else the fitting view.
    pub fn refit(self, extent: Option<(f32, f32, f32, f32)>, width: f32, height: f32) -> InkView {
        let Some((x0, y0, x1, y1)) = extent else {
            return Self::IDENTITY;
        };
        let (a, b) = (self.to_screen(x0, y0), self.to_screen(x1, y1));
        if a.0 >= 0.0 && a.1 >= 0.0 && b.0 <= width && b.1 <= height {
            return self;
        }
        Self::fitting_extent(Some((x0, y0, x1, y1)), width, height)
    }

    /// A position on the pad (CSS pixels) in sketch coordinates.
    pub fn to_sketch(&self, x: f32, y: f32) -> (f32, f32) {
        (
            x / self.scale + self.origin.0,
            y / self.scale + self.origin.1,
        )
    }

    /// A sketch position on the pad (CSS pixels).
    pub fn to_screen(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.origin.0) * self.scale,
            (y - self.origin.1) * self.scale,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(points: &[(f32, f32)]) -> Sketch {
        let coords = vec![points.iter().map(|&(x, y)| [x, y]).collect()];
        Sketch::from_coordinates(&coords).expect("valid")
    }

    #[test]
    fn ink_that_fits_is_shown_as_drawn() {
        assert_eq!(
            InkView::fitting(&Sketch::new(), 300.0, 200.0),
            InkView::IDENTITY
        );
        let s = sketch(&[(10.0, 10.0), (290.0, 190.0)]);
        assert_eq!(InkView::fitting(&s, 300.0, 200.0), InkView::IDENTITY);
        // No pad yet (zero size): nothing to fit to.
        assert_eq!(InkView::fitting(&s, 0.0, 0.0), InkView::IDENTITY);
    }

    #[test]
    fn ink_drawn_on_a_wider_pad_zooms_out_to_show_whole() {
        // A sum written across a 1000 px desktop pad, restored on a 390 px phone pad.
        let s = sketch(&[(20.0, 40.0), (980.0, 160.0)]);
        let v = InkView::fitting(&s, 390.0, 300.0);
        assert!(v.scale < 1.0);
        for (x, y) in [(20.0, 40.0), (980.0, 160.0)] {
            let (sx, sy) = v.to_screen(x, y);
            assert!(
                (0.0..=390.0).contains(&sx) && (0.0..=300.0).contains(&sy),
                "{sx},{sy}"
            );
        }
        // The far edge lands FIT_MARGIN inside the pad: as large as it can be.
        let (right, _) = v.to_screen(980.0, 160.0);
        assert!((right - (390.0 - FIT_MARGIN)).abs() < 0.01, "{right}");
    }

    #[test]
    fn ink_left_of_or_above_the_pad_is_brought_back() {
        // A stroke that ran off the pad's top-left corner (the pointer was captured).
        let s = sketch(&[(-50.0, -30.0), (100.0, 100.0)]);
        let v = InkView::fitting(&s, 300.0, 200.0);
        let (sx, sy) = v.to_screen(-50.0, -30.0);
        assert!(
            sx >= FIT_MARGIN - 0.01 && sy >= FIT_MARGIN - 0.01,
            "{sx},{sy}"
        );
        let (ex, ey) = v.to_screen(100.0, 100.0);
        assert!(ex <= 300.0 && ey <= 200.0);
    }

    #[test]
    fn a_view_stays_while_it_shows_everything_and_resets_when_the_pad_is_cleared() {
        let s = sketch(&[(20.0, 40.0), (980.0, 160.0)]);
        let zoomed = InkView::fitting(&s, 390.0, 300.0);
        // Less ink than before (an answer gone, a stroke undone): the view does not jump.
        let less = Some((20.0, 40.0, 500.0, 160.0));
        assert_eq!(zoomed.refit(less, 390.0, 300.0), zoomed);
        // Ink past what it shows: it zooms out further.
        let more = Some((20.0, 40.0, 2000.0, 160.0));
        assert!(zoomed.refit(more, 390.0, 300.0).scale < zoomed.scale);
        assert_eq!(zoomed.refit(None, 390.0, 300.0), InkView::IDENTITY);
    }

    #[test]
    fn the_pen_lands_where_the_ink_shows() {
        let s = sketch(&[(0.0, 0.0), (2000.0, 500.0)]);
        let v = InkView::fitting(&s, 400.0, 300.0);
        for (x, y) in [(0.0, 0.0), (123.5, 77.25), (400.0, 300.0)] {
            let (kx, ky) = v.to_sketch(x, y);
            let (bx, by) = v.to_screen(kx, ky);
            assert!((bx - x).abs() < 1e-3 && (by - y).abs() < 1e-3);
        }
        // Absurdly far ink still gives a usable view, not a vanishing one.
        let far = sketch(&[(0.0, 0.0), (1e6, 1e6)]);
        assert_eq!(InkView::fitting(&far, 400.0, 300.0).scale, MIN_SCALE);
    }
}

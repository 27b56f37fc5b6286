//! Pixels out: the drawing pad (ink, high-DPI) and the 28x28 preview of the model's input.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, Document, HtmlCanvasElement, ImageData, Window};

use super::WebError;
use crate::answer_ink::InkStroke;
use crate::expression::segment::Bounds;
use crate::mnist::MnistImage;
use crate::sketch::{Point, Sketch};
use crate::view::InkView;

const SIDE: usize = 28;

/// The canvas with id `id`.
pub(super) fn element(
    document: &Document,
    id: &'static str,
) -> Result<HtmlCanvasElement, WebError> {
    document
        .get_element_by_id(id)
        .ok_or(WebError::MissingElement(id))?
        .dyn_into::<HtmlCanvasElement>()
        .map_err(|_| WebError::MissingElement(id))
}

fn context_2d(
    canvas: &HtmlCanvasElement,
    id: &'static str,
) -> Result<CanvasRenderingContext2d, WebError> {
    canvas
        .get_context("2d")?
        .ok_or(WebError::MissingElement(id))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| WebError::Js("no 2D canvas context".into()))
}

/// The drawing pad. Its backing store is `devicePixelRatio` times its CSS size so ink stays
/// crisp on high-DPI screens; strokes are kept (in the core) and drawn in CSS pixels.
pub(crate) struct Pad {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    /// CSS pixels per backing-store pixel in use.
    dpr: f64,
    /// CSS width of the pad, for the brush size.
    css_width: f64,
    /// CSS height of the pad.
    css_height: f64,
    /// Where the ink shows (zoomed out when it does not fit the pad as it now is).
    view: InkView,
}

impl Pad {
    pub(super) fn new(canvas: HtmlCanvasElement) -> Result<Self, WebError> {
        let ctx = context_2d(&canvas, "pad")?;
        Ok(Self {
            canvas,
            ctx,
            dpr: 1.0,
            css_width: 0.0,
            css_height: 0.0,
            view: InkView::IDENTITY,
        })
    }

    pub(super) fn view(&self) -> InkView {
        self.view
    }

    /// Fits the view to `sketch` and the `answer` ink on the pad as it now is (call when no stroke is under way,
    /// so the view never moves under the pen). Returns true when the view changed.
    pub(super) fn fit_view(
        &mut self,
        sketch: &Sketch,
        answer: &[InkStroke],
        resized: bool,
    ) -> bool {
        // The answer ink counts too: it must not run off the pad either.
        let extent = answer.iter().flatten().fold(sketch.bounds(), |b, &[x, y]| {
            Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            })
        });
        let (w, h) = (self.css_width as f32, self.css_height as f32);
        // A new pad size fits afresh (back to 1:1 when the window grows again); otherwise
        // the view holds while it shows everything, so ink never jumps after an edit.
        let view = if resized {
            InkView::fitting_extent(extent, w, h)
        } else {
            self.view.refit(extent, w, h)
        };
        let changed = view != self.view;
        self.view = view;
        changed
    }

    pub(super) fn canvas(&self) -> &HtmlCanvasElement {
        &self.canvas
    }

    /// Resizes the backing store to the pad's current CSS box times the device pixel ratio.
    /// Returns true when it changed (the canvas was cleared and needs repainting).
    pub(super) fn fit(&mut self, window: &Window) -> bool {
        let dpr = window.device_pixel_ratio().clamp(1.0, 4.0);
        let rect = self.canvas.get_bounding_client_rect();
        let (w, h) = (rect.width(), rect.height());
        if w <= 0.0 || h <= 0.0 {
            return false;
        }
        let (bw, bh) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
        self.css_width = w;
        self.css_height = h;
        if bw == self.canvas.width() && bh == self.canvas.height() && dpr == self.dpr {
            return false;
        }
        self.dpr = dpr;
        self.canvas.set_width(bw);
        self.canvas.set_height(bh);
        true
    }

    /// Repaints every stroke. A full repaint per frame is cheap for a digit's few hundred
    /// points, and keeps undo, resize and theme changes trivially correct.
    /// The pad's right edge in sketch coordinates, less a margin: where answer ink must end.
    pub(super) fn right_edge(&self) -> f32 {
        self.view.to_sketch(self.css_width as f32 - 8.0, 0.0).0
    }

    /// `erase_trace` is a scratch-out's scribble with its opacity (fading from 1 to 0);
    /// `answer` the answer ink with how much of it is written so far (0..=1); `unsure` the
    /// boxes of symbols read unsure, underlined with dots.
    pub(super) fn draw(
        &self,
        window: &Window,
        sketch: &Sketch,
        erase_trace: Option<(&[Point], f64)>,
        answer: Option<(&[InkStroke], f64)>,
        unsure: &[Bounds],
    ) {
        let ctx = &self.ctx;
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.clear_rect(
            0.0,
            0.0,
            self.canvas.width().into(),
            self.canvas.height().into(),
        );
        // Sketch coordinates to backing-store pixels: the ink view, then the pixel ratio.
        let k = self.dpr * f64::from(self.view.scale);
        let (ox, oy) = (f64::from(self.view.origin.0), f64::from(self.view.origin.1));
        let _ = ctx.set_transform(k, 0.0, 0.0, k, -ox * k, -oy * k);

        // Ink follows the theme: the colour is the stylesheet's --ink.
        let ink = css_colour(window, &self.canvas, "--ink", "#1b1f36");
        // A brush proportional to the pad looks the same on a phone and a desktop; the
        // normaliser picks the model's pen width on its own, whatever this is.
        // In sketch units, so the brush keeps its size on screen when the view zooms out.
        let width = (self.css_width / 24.0).clamp(6.0, 22.0) / f64::from(self.view.scale);
        ctx.set_stroke_style_str(&ink);
        ctx.set_fill_style_str(&ink);
        ctx.set_line_width(width);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");

        for stroke in sketch.strokes() {
            trace(ctx, stroke.points(), width);
        }
        if let Some((strokes, progress)) = answer {
            let colour = css_colour(window, &self.canvas, "--answer", "#2f9e44");
            ctx.set_stroke_style_str(&colour);
            ctx.set_fill_style_str(&colour);
            ctx.set_line_width(width * 0.8);
            write_answer(ctx, strokes, progress, width * 0.8);
        }
        if !unsure.is_empty() {
            self.underline_unsure(window, unsure, width);
        }
        if let Some((points, alpha)) = erase_trace {
            // Where the scratch-out erased: a thin stroke in the stylesheet's --erase colour.
            let colour = css_colour(window, &self.canvas, "--erase", "#e8590c");
            ctx.set_global_alpha(alpha.clamp(0.0, 1.0) * 0.7);
            ctx.set_stroke_style_str(&colour);
            ctx.set_fill_style_str(&colour);
            ctx.set_line_width(width * 0.5);
            trace(ctx, points, width * 0.5);
            ctx.set_global_alpha(1.0);
        }
    }
}

impl Pad {
    /// A dotted line under each box, a brush width below the ink, in the stylesheet's
    /// --unsure colour: "tap me, I may be wrong".
    fn underline_unsure(&self, window: &Window, boxes: &[Bounds], width: f64) {
        let ctx = &self.ctx;
        let colour = css_colour(window, &self.canvas, "--unsure", "#e67700");
        ctx.set_stroke_style_str(&colour);
        ctx.set_line_width(width * 0.35);
        let dash = js_sys::Array::of2(&(width * 0.01).into(), &(width * 0.8).into());
        let _ = ctx.set_line_dash(&dash);
        for b in boxes {
            let y = f64::from(b[3]) + width * 1.1;
            ctx.begin_path();
            ctx.move_to(f64::from(b[0]), y);
            ctx.line_to(f64::from(b[2]).max(f64::from(b[0]) + width), y);
            ctx.stroke();
        }
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
}

/// The answer ink as a pen writes it: the first `progress` (0..=1) of its total length.
fn write_answer(ctx: &CanvasRenderingContext2d, strokes: &[InkStroke], progress: f64, width: f64) {
    let length = |s: &[[f32; 2]]| -> f64 {
        s.windows(2)
            .map(|w| f64::from((w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1])))
            .sum()
    };
    let mut budget = progress * strokes.iter().map(|s| length(s)).sum::<f64>();
    for s in strokes {
        if budget <= 0.0 && progress < 1.0 {
            break;
        }
        let mut shown: Vec<Point> = Vec::with_capacity(s.len());
        for (i, p) in s.iter().enumerate() {
            if i > 0 && progress < 1.0 {
                let q = s[i - 1];
                let step = f64::from((p[0] - q[0]).hypot(p[1] - q[1]));
                if step > budget {
                    let t = (budget / step) as f32;
                    shown.push(Point::new(
                        q[0] + (p[0] - q[0]) * t,
                        q[1] + (p[1] - q[1]) * t,
                    ));
                    budget = 0.0;
                    break;
                }
                budget -= step;
            }
            shown.push(Point::new(p[0], p[1]));
        }
        trace(ctx, &shown, width);
    }
}

/// The stylesheet's colour `name` on `element`, or `fallback`.
fn css_colour(window: &Window, element: &HtmlCanvasElement, name: &str, fallback: &str) -> String {
    window
        .get_computed_style(element)
        .ok()
        .flatten()
        .and_then(|s| s.get_property_value(name).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

/// Draws one stroke with quadratic midpoint smoothing: each sampled point becomes the control
/// point of a curve between the midpoints of its segments, so the polyline's corners round
/// off without moving away from the raw samples (which the core keeps unchanged).
fn trace(ctx: &CanvasRenderingContext2d, points: &[Point], width: f64) {
    let Some(first) = points.first() else { return };
    let is_dot = points
        .iter()
        .all(|p| (p.x - first.x).abs() < 0.5 && (p.y - first.y).abs() < 0.5);
    if is_dot {
        ctx.begin_path();
        let _ = ctx.arc(
            first.x.into(),
            first.y.into(),
            width / 2.0,
            0.0,
            std::f64::consts::TAU,
        );
        ctx.fill();
        return;
    }
    ctx.begin_path();
    ctx.move_to(first.x.into(), first.y.into());
    for pair in points.windows(2).skip(1) {
        let (c, next) = (pair[0], pair[1]);
        let mid_x = (f64::from(c.x) + f64::from(next.x)) / 2.0;
        let mid_y = (f64::from(c.y) + f64::from(next.y)) / 2.0;
        ctx.quadratic_curve_to(c.x.into(), c.y.into(), mid_x, mid_y);
    }
    if let Some(last) = points.last() {
        ctx.line_to(last.x.into(), last.y.into());
    }
    ctx.stroke();
}

/// The 28x28 preview: the exact model input, white ink on black like MNIST, shown pixelated.
pub(crate) struct Preview {
    ctx: CanvasRenderingContext2d,
    /// RGBA buffer reused every frame.
    rgba: Vec<u8>,
}

impl Preview {
    pub(super) fn new(canvas: HtmlCanvasElement) -> Result<Self, WebError> {
        canvas.set_width(SIDE as u32);
        canvas.set_height(SIDE as u32);
        let ctx = context_2d(&canvas, "preview")?;
        let mut preview = Self {
            ctx,
            rgba: vec![0; SIDE * SIDE * 4],
        };
        preview.draw(&MnistImage::blank());
        Ok(preview)
    }

    pub(super) fn draw(&mut self, image: &MnistImage) -> bool {
        for (px, &v) in self.rgba.chunks_exact_mut(4).zip(image.pixels().iter()) {
            let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            px.copy_from_slice(&[g, g, g, 255]);
        }
        ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&self.rgba[..]),
            SIDE as u32,
            SIDE as u32,
        )
        .and_then(|data| self.ctx.put_image_data(&data, 0.0, 0.0))
        .is_ok()
    }
}

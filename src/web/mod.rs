//! The browser front, compiled for wasm32 only. It moves pointer events into a [`Sketch`] and
//! pixels and numbers out to the DOM; every decision about ink, normalisation and inference
//! lives in the core. See ARCHITECTURE.md for the DOM contract this module keeps.
//!
//! Work happens at most once per animation frame: input handlers only record points and set
//! dirty flags, and a single pending `requestAnimationFrame` redraws and predicts. So however
//! fast a pen reports, inference never queues up behind it.

mod canvas;
mod events;
mod fix_menu;
mod storage;
mod view;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlElement, Window};

use crate::answer_ink::{self, InkStroke};
use crate::classifier::{Classifier, Session};
use crate::expression::fix::{self, Fixes};
use crate::expression::reader::{Reader, SketchReading, SymbolReading};
use crate::expression::segment::Bounds;
use crate::mnist::{MnistImage, Normaliser};
use crate::scratch;
use crate::sketch::{Point, Sketch};

use canvas::{Pad, Preview};
use fix_menu::{Anchor, FixMenu, Target};
use view::View;

/// What can stop the page from starting.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// There is no `window`/`document` (not running in a page).
    #[error("not running in a browser page")]
    NoDocument,
    /// The page lacks an element of the DOM contract.
    #[error("the page has no element #{0}")]
    MissingElement(&'static str),
    /// A DOM call threw.
    #[error("{0}")]
    Js(String),
}

impl From<JsValue> for WebError {
    fn from(value: JsValue) -> Self {
        WebError::Js(js_message(&value))
    }
}

/// A readable text for a thrown JS value (an `Error`'s message, or its string form).
fn js_message(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

thread_local! {
    /// The mounted app, for the exported JS hooks (e.g. [`bench_frames`]).
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Wasm entry point, run when the module is instantiated. Mounts the app when the page has the
/// pad; otherwise (e.g. under wasm-bindgen-test) stays out of the way.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("pad").is_none() {
        return;
    }
    match mount(&document) {
        Ok(app) => APP.with(|slot| *slot.borrow_mut() = Some(app)),
        Err(err) => view::show_fatal(&document, &format!("MathSketch could not start: {err}.")),
    }
}

/// Per-run cost in ms of reading the current drawing from scratch (segment, normalise and
/// classify every symbol, parse, evaluate), repeated `runs` times: a hook for benchmarks and
/// tests, exported to JS as `benchFrames`.
#[wasm_bindgen(js_name = benchFrames)]
pub fn bench_frames(runs: u32) -> Result<Vec<f64>, JsValue> {
    with_state(|state| {
        (0..runs)
            .map(|_| {
                state.reader = Reader::new();
                state
                    .read_timed()
                    .map(|r| r.map_or(0.0, |(_, t)| t.frame_ms))
                    .map_err(|e| JsValue::from_str(&e))
            })
            .collect()
    })
}

/// The cost in ms of every live frame that read the pad since the last call (and clears
/// the log): a benchmark draws with real pointer input and reads what each frame took.
/// Exported to JS as `takeFrameLog`.
#[wasm_bindgen(js_name = takeFrameLog)]
pub fn take_frame_log() -> Result<Vec<f64>, JsValue> {
    with_state(|state| Ok(std::mem::take(&mut state.frame_log)))
}

/// The cost in ms of every frame since the last call during which the answer ink was being
/// written (the whole frame: reading if due, and the repaint), and clears the log: the
/// benchmark's check that the animation never takes a frame's budget. Exported to JS as
/// `takeAnimationLog`.
#[wasm_bindgen(js_name = takeAnimationLog)]
pub fn take_animation_log() -> Result<Vec<f64>, JsValue> {
    with_state(|state| Ok(std::mem::take(&mut state.animation_log)))
}

/// Per-run cost in ms of inference alone on [`MnistImage::benchmark_input`], repeated `runs`
/// times: the figure the benchmark compares with other runtimes fed the same input.
/// Exported to JS as `benchInfer`.
#[wasm_bindgen(js_name = benchInfer)]
pub fn bench_infer(runs: u32) -> Result<Vec<f64>, JsValue> {
    with_session(|session, window| {
        let image = MnistImage::benchmark_input();
        (0..runs)
            .map(|_| {
                let t0 = now(window);
                session
                    .predict(&image)
                    .map(|_| now(window) - t0)
                    .map_err(|e| JsValue::from_str(&e.to_string()))
            })
            .collect()
    })
}

/// The probabilities for [`MnistImage::benchmark_input`], so a benchmark can check that the
/// runtimes it compares agree. Exported to JS as `benchOutput`.
#[wasm_bindgen(js_name = benchOutput)]
pub fn bench_output() -> Result<Vec<f32>, JsValue> {
    with_session(|session, _| {
        session
            .predict(&MnistImage::benchmark_input())
            .map(|p| p.as_array().to_vec())
            .map_err(|e| JsValue::from_str(&e.to_string()))
    })
}

/// Runs `f` on the mounted app's model session.
fn with_session<T>(
    f: impl FnOnce(&mut Session, &Window) -> Result<T, JsValue>,
) -> Result<T, JsValue> {
    with_state(|state| {
        let session = state
            .classifier
            .as_mut()
            .ok_or_else(|| JsValue::from_str("the model is not loaded"))?;
        f(session, &state.window)
    })
}

/// Runs `f` on the mounted app's state (the exported JS hooks' way in).
fn with_state<T>(f: impl FnOnce(&mut State) -> Result<T, JsValue>) -> Result<T, JsValue> {
    let app = APP
        .with(|slot| slot.borrow().clone())
        .ok_or_else(|| JsValue::from_str("MathSketch is not mounted"))?;
    let mut state = app.state.borrow_mut();
    f(&mut state)
}

/// The animation-frame callback, made once (filled in after the app that it captures).
type FrameCallback = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// A handle on the mounted app; clones share it.
#[derive(Clone)]
pub struct App {
    state: Rc<RefCell<State>>,
    /// The one `requestAnimationFrame` callback, made once and reused every frame.
    frame_cb: FrameCallback,
}

/// Everything the handlers and the frame share.
pub(crate) struct State {
    window: Window,
    body: HtmlElement,
    pad: Pad,
    preview: Preview,
    view: View,
    sketch: Sketch,
    /// Reads the sketch as a sum, keeping unchanged symbols' classifications.
    reader: Reader,
    /// For the preview: the model input of the symbol being written.
    normaliser: Normaliser,
    image: MnistImage,
    /// The model with its reused run state and input tensor (no per-frame setup).
    classifier: Option<Session>,
    /// The pointer drawing the open stroke; others are ignored until it lifts.
    active_pointer: Option<i32>,
    /// Pad must be repainted.
    ink_dirty: bool,
    /// The prediction is stale.
    predict_dirty: bool,
    /// A `requestAnimationFrame` is already scheduled.
    frame_pending: bool,
    /// ms of each reading frame since `takeFrameLog` last took them (bounded).
    frame_log: Vec<f64>,
    /// ms of each frame that wrote answer ink since `takeAnimationLog` (bounded).
    animation_log: Vec<f64>,
    /// Says the stored drawing could not be restored; hidden again once the user draws.
    saved_notice: Option<web_sys::Element>,
    /// The last scratch-out's scribble and when it erased (ms), shown as a fading trace.
    erase_trace: Option<(Vec<Point>, f64)>,
    /// The answer written on the pad after a valid sum's `=` (sketch coordinates; never part
    /// of the sketch), and when its writing began (ms).
    answer_ink: Vec<InkStroke>,
    answer_since: f64,
    /// `prefers-reduced-motion`: the answer appears at once instead of being written.
    reduced_motion: bool,
    /// The pad changed size since the ink view was last fitted.
    pad_resized: bool,
    /// Symbols fixed by hand (saved with the sketch).
    fixes: Fixes,
    /// The last reading's symbols: what the typeset text's buttons stand for.
    symbols: Vec<SymbolReading>,
    /// The symbols as they were when the open stroke began: a tap is tested against these
    /// (the reading during the tap already counts the tap as ink).
    tap_targets: Vec<SymbolReading>,
    /// The alternatives of the symbol being fixed.
    fix_menu: FixMenu,
    /// Boxes of the symbols read unsure, marked under their ink on the pad.
    unsure_marks: Vec<Bounds>,
    /// The typeset symbol to focus once the text is rewritten (a fix made by keyboard).
    focus_after: Option<usize>,
}

/// How long writing the answer in ink takes.
const ANSWER_WRITE_MS: f64 = 350.0;

/// How long the trace of a scratch-out stays on the pad, fading.
const ERASE_TRACE_MS: f64 = 450.0;

/// Most entries the frame log keeps when nobody takes them.
const FRAME_LOG_MAX: usize = 10_000;

/// Timings of one prediction.
struct Timing {
    infer_ms: f64,
    frame_ms: f64,
}

/// Finds the DOM contract's elements, wires the events, loads the model and shows the page.
/// Returns the app handle; the page keeps working (drawing, undo, clear) when only the model
/// fails, showing why there is no prediction.
pub fn mount(document: &Document) -> Result<App, WebError> {
    let window = web_sys::window().ok_or(WebError::NoDocument)?;
    let body = document.body().ok_or(WebError::NoDocument)?;
    // When the module started running, in ms since navigation start: everything before this
    // is fetching, compiling and instantiating the wasm (the benchmark's cold-start split).
    let _ = body
        .dataset()
        .set("startMs", &format!("{:.1}", now(&window)));
    let reduced_motion = window
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let state = State {
        pad: Pad::new(canvas::element(document, "pad")?)?,
        preview: Preview::new(canvas::element(document, "preview")?)?,
        view: View::new(document)?,
        window,
        body,
        sketch: Sketch::new(),
        reader: Reader::new(),
        normaliser: Normaliser::new(),
        image: MnistImage::blank(),
        classifier: None,
        active_pointer: None,
        ink_dirty: true,
        predict_dirty: true,
        frame_pending: false,
        frame_log: Vec::new(),
        animation_log: Vec::new(),
        saved_notice: document.get_element_by_id("saved-notice"),
        erase_trace: None,
        answer_ink: Vec::new(),
        answer_since: 0.0,
        reduced_motion,
        pad_resized: true,
        fixes: Fixes::new(),
        symbols: Vec::new(),
        tap_targets: Vec::new(),
        fix_menu: FixMenu::new(document)?,
        unsure_marks: Vec::new(),
        focus_after: None,
    };
    let app = App {
        state: Rc::new(RefCell::new(state)),
        frame_cb: Rc::new(RefCell::new(None)),
    };
    let frame_app = app.clone();
    *app.frame_cb.borrow_mut() = Some(Closure::new(move |_t: f64| frame_app.frame()));
    events::wire(&app, document)?;
    app.restore();
    app.load_model();
    app.request_frame();
    Ok(app)
}

impl App {
    /// Schedules the next frame unless one is already pending (never more than one).
    pub(crate) fn request_frame(&self) {
        let mut state = self.state.borrow_mut();
        if state.frame_pending {
            return;
        }
        let cb = self.frame_cb.borrow();
        let Some(cb) = cb.as_ref() else { return };
        if state
            .window
            .request_animation_frame(cb.as_ref().unchecked_ref())
            .is_ok()
        {
            state.frame_pending = true;
        }
    }

    /// Runs the pending frame's work now (the rAF callback; tests call it to skip the wait).
    pub fn frame(&self) {
        let fading = {
            let mut state = self.state.borrow_mut();
            state.frame_pending = false;
            let t0 = now(&state.window);
            let writing = state.writing_answer();
            state.frame();
            if (writing || state.writing_answer()) && state.animation_log.len() < FRAME_LOG_MAX {
                let ms = now(&state.window) - t0;
                state.animation_log.push(ms);
            }
            // A reading that changed the answer ink repaints it next frame.
            state.animating() || state.ink_dirty
        };
        // A scratch-out's trace fades, and the answer is written, over the next frames.
        if fading {
            self.request_frame();
        }
    }

    /// Brings back the sketch saved on this device, or says why the stored one was dropped.
    fn restore(&self) {
        let mut state = self.state.borrow_mut();
        match storage::load(&state.window) {
            Ok(Some(saved)) => {
                state.fixes = Fixes::from_stored(&saved.sketch, &saved.fixes);
                state.sketch = saved.sketch;
                state.mark_dirty();
            }
            Ok(None) => {}
            Err(message) => {
                if let Some(notice) = &state.saved_notice {
                    notice.set_text_content(Some(&message));
                    let _ = notice.remove_attribute("hidden");
                }
            }
        }
    }

    /// Whether the model loaded.
    pub fn model_ready(&self) -> bool {
        self.state.borrow().classifier.is_some()
    }

    fn load_model(&self) {
        let mut state = self.state.borrow_mut();
        let t0 = now(&state.window);
        match Classifier::embedded().and_then(|c| c.session()) {
            Ok(classifier) => {
                let load_ms = now(&state.window) - t0;
                state.classifier = Some(classifier);
                state.view.model_ready(load_ms);
                let dataset = state.body.dataset();
                // Page load to ready, in ms since navigation start: the cold-start figure.
                let _ = dataset.set("readyMs", &format!("{:.1}", now(&state.window)));
                let _ = dataset.set("modelMs", &format!("{load_ms:.1}"));
                let _ = dataset.set("ready", "true");
            }
            Err(err) => {
                let message = format!(
                    "The symbol model could not be loaded ({err}). You can still draw, but nothing will be recognised."
                );
                state.view.model_failed(&message);
                let _ = state.body.dataset().set("modelError", &message);
            }
        }
    }
}

impl State {
    fn mark_dirty(&mut self) {
        self.ink_dirty = true;
        self.predict_dirty = true;
    }

    /// How far the answer ink is written, 0..=1.
    fn answer_progress(&self) -> f64 {
        if self.reduced_motion {
            return 1.0;
        }
        ((now(&self.window) - self.answer_since) / ANSWER_WRITE_MS).clamp(0.0, 1.0)
    }

    /// Whether the pad still changes by itself (a fading trace, the answer being written).
    fn animating(&self) -> bool {
        self.erase_trace.is_some() || self.writing_answer()
    }

    /// Whether the answer ink is being written.
    fn writing_answer(&self) -> bool {
        !self.answer_ink.is_empty() && self.answer_progress() < 1.0
    }

    /// Sets the answer ink for `reading` (none unless its sum is valid); a changed answer is
    /// written afresh.
    fn set_answer_ink(&mut self, reading: Option<&SketchReading>) {
        let ink = match reading {
            Some(r) => r.reading.value.as_deref().map_or_else(Vec::new, |value| {
                answer_ink::layout(&self.sketch, &r.symbols, value, self.pad.right_edge())
            }),
            None => Vec::new(),
        };
        if ink != self.answer_ink {
            self.answer_ink = ink;
            self.answer_since = now(&self.window);
            self.ink_dirty = true;
        }
    }

    /// At pen up: if the stroke just finished is a scribble over ink, it erases the strokes
    /// it covers (one undo step) instead of staying as ink, and leaves a brief trace.
    fn scratch_out(&mut self) {
        let Some((last, rest)) = self.sketch.strokes().split_last() else {
            return;
        };
        if let Some(covered) = scratch::erased_by(rest, last.points()) {
            let trace = last.points().to_vec();
            self.sketch.erase(&covered);
            self.erase_trace = Some((trace, now(&self.window)));
            self.mark_dirty();
        }
    }

    /// At pen up: a tap on a symbol's ink opens its alternatives instead of leaving a dot.
    /// Returns whether it did (the tap is withdrawn from the sketch).
    fn tap_to_fix(&mut self) -> bool {
        let Some(last) = self.sketch.strokes().last() else {
            return false;
        };
        let boxes: Vec<Bounds> = self.tap_targets.iter().map(|s| s.bounds).collect();
        let view = self.pad.view();
        let Some(index) = fix::tapped(last, &boxes, 1.0 / view.scale) else {
            return false;
        };
        if !self.sketch.withdraw_stroke() {
            return false;
        }
        self.mark_dirty();
        let symbol = self.tap_targets[index].clone();
        // Below the symbol's ink, in viewport pixels.
        let rect = self.pad.canvas().get_bounding_client_rect();
        let [x0, _, _, y1] = symbol.bounds;
        let (sx, sy) = view.to_screen(x0, y1);
        let anchor = Anchor {
            left: rect.left() + f64::from(sx),
            bottom: rect.top() + f64::from(sy) + 8.0,
        };
        self.open_fix(index, &symbol, anchor, false);
        true
    }

    /// Opens the alternatives of symbol `index` of the text (`symbol`) below `anchor`.
    fn open_fix(&mut self, index: usize, symbol: &SymbolReading, anchor: Anchor, keyboard: bool) {
        let target = Target {
            index,
            strokes: symbol.strokes.clone(),
            keyboard,
        };
        self.fix_menu
            .open(&self.window, symbol, symbol.symbol, target, anchor);
    }

    /// Opens the alternatives of the typeset symbol `index`, below `anchor`.
    fn open_fix_typeset(&mut self, index: usize, anchor: Anchor, keyboard: bool) {
        if self.fix_menu.target().is_some_and(|t| t.index == index) {
            self.close_fix(keyboard);
            return;
        }
        if let Some(symbol) = self.symbols.get(index).cloned() {
            self.open_fix(index, &symbol, anchor, keyboard);
        }
    }

    /// The user chose `symbol` in the menu: it fixes the symbol's strokes from now on.
    fn choose_fix(&mut self, symbol: crate::symbol::Symbol) {
        let Some(target) = self.fix_menu.close() else {
            return;
        };
        self.fixes.choose(&self.sketch, &target.strokes, symbol);
        self.mark_dirty();
        self.save();
        if target.keyboard {
            self.focus_after = Some(target.index);
        }
    }

    /// Closes the menu without a choice (Esc, a tap elsewhere); the focus goes back to the
    /// symbol when asked.
    fn close_fix(&mut self, return_focus: bool) {
        if let Some(target) = self.fix_menu.close() {
            if return_focus {
                self.view.focus_symbol(target.index);
            }
        }
    }

    /// Keeps the sketch on the device (after a stroke ends, an undo or a clear). The notice
    /// about a drawing that could not be restored has been read by then: it goes.
    fn save(&self) {
        storage::save(&self.window, &self.sketch, &self.fixes);
        if let Some(notice) = &self.saved_notice {
            let _ = notice.set_attribute("hidden", "");
        }
    }

    /// One animation frame: fit the pad to its box, repaint, predict, publish.
    fn frame(&mut self) {
        self.repaint();
        if self.predict_dirty {
            self.predict_dirty = false;
            self.read_and_publish();
        }
    }

    /// Fits the pad to its box and repaints the ink if it changed, or while a scratch-out's
    /// trace fades or the answer is being written.
    fn repaint(&mut self) {
        if self.pad.fit(&self.window) {
            self.ink_dirty = true;
            self.pad_resized = true;
        }
        // Between strokes only, so the ink never moves under the pen.
        if self.ink_dirty && !self.sketch.is_drawing() {
            self.pad.fit_view(
                &self.sketch,
                &self.answer_ink,
                std::mem::take(&mut self.pad_resized),
            );
        }
        // A scratch-out's trace: repainted while it fades, once more when it is gone.
        let fade = self
            .erase_trace
            .as_ref()
            .map(|(_, at)| 1.0 - (now(&self.window) - at) / ERASE_TRACE_MS);
        match fade {
            Some(f) if f > 0.0 => self.ink_dirty = true,
            Some(_) => {
                self.erase_trace = None;
                self.ink_dirty = true;
            }
            None => {}
        }
        let answer_progress = self.answer_progress();
        if !self.answer_ink.is_empty() && answer_progress < 1.0 {
            self.ink_dirty = true;
        }
        if self.ink_dirty {
            self.ink_dirty = false;
            let trace = self
                .erase_trace
                .as_ref()
                .zip(fade)
                .map(|((points, _), f)| (points.as_slice(), f));
            let answer = (!self.answer_ink.is_empty())
                .then_some((self.answer_ink.as_slice(), answer_progress));
            self.pad.draw(
                &self.window,
                &self.sketch,
                trace,
                answer,
                &self.unsure_marks,
            );
            // For tests and tooling: how much ink the pad holds.
            let canvas = self.pad.canvas();
            let _ = canvas.set_attribute("data-strokes", &self.sketch.strokes().len().to_string());
            let _ = canvas.set_attribute("data-points", &self.sketch.point_count().to_string());
        }
    }

    /// Reads the sketch and shows the reading: text, answer, bars, preview, unsure marks.
    fn read_and_publish(&mut self) {
        match self.read_timed() {
            Ok(Some((reading, t))) => {
                let current = self.current_symbol(&reading);
                let strokes = reading
                    .symbols
                    .get(current)
                    .map_or(&[][..], |s| &s.strokes[..]);
                self.normaliser
                    .normalise_group(&self.sketch, strokes, &mut self.image);
                self.preview.draw(&self.image);
                self.view.show(&reading, current, t.infer_ms);
                if let Some(i) = self.focus_after.take() {
                    self.view.focus_symbol(i);
                }
                self.set_answer_ink(Some(&reading));
                self.set_unsure_marks(&reading, current);
                self.symbols = reading.symbols.clone();
                if self.frame_log.len() < FRAME_LOG_MAX {
                    self.frame_log.push(t.frame_ms);
                }
                let _ = self
                    .body
                    .dataset()
                    .set("frameMs", &format!("{:.3}", t.frame_ms));
            }
            Ok(None) => {
                self.image = MnistImage::blank();
                self.preview.draw(&self.image);
                self.view.show_empty();
                self.set_answer_ink(None);
                self.clear_reading();
            }
            Err(message) => {
                self.view.model_failed(&message);
                self.set_answer_ink(None);
                self.clear_reading();
            }
        }
    }

    /// Marks the symbols read unsure on the pad, but not the one being written (it is unsure
    /// until it is finished, and a mark flickering under the pen helps nobody).
    fn set_unsure_marks(&mut self, reading: &SketchReading, current: usize) {
        let drawing = self.sketch.is_drawing();
        let marks: Vec<Bounds> = reading
            .symbols
            .iter()
            .enumerate()
            .filter(|&(i, s)| s.unsure() && !(drawing && i == current))
            .map(|(_, s)| s.bounds)
            .collect();
        if marks != self.unsure_marks {
            self.unsure_marks = marks;
            self.ink_dirty = true;
        }
    }

    /// Nothing is read: no symbols to fix, nothing marked.
    fn clear_reading(&mut self) {
        self.symbols.clear();
        self.fix_menu.close();
        if !self.unsure_marks.is_empty() {
            self.unsure_marks.clear();
            self.ink_dirty = true;
        }
    }

    /// The symbol being written: the one holding the last stroke.
    fn current_symbol(&self, reading: &SketchReading) -> usize {
        let last = self.sketch.strokes().len().saturating_sub(1);
        reading
            .symbols
            .iter()
            .position(|s| s.strokes.contains(&last))
            .unwrap_or(0)
    }

    /// Reads the sketch (segmentation, the changed symbols classified, parse, evaluation).
    /// `Ok(None)` when there is nothing to read (empty pad, or no model).
    fn read_timed(&mut self) -> Result<Option<(SketchReading, Timing)>, String> {
        if self.sketch.is_empty() {
            return Ok(None);
        }
        let Some(session) = self.classifier.as_mut() else {
            return Ok(None);
        };
        let window = &self.window;
        let t0 = now(window);
        let mut infer_ms = 0.0;
        let mut classify = |image: &MnistImage| {
            let t = now(window);
            let p = session.predict(image);
            infer_ms += now(window) - t;
            p
        };
        let reading = self
            .reader
            .read_with_fixes(&self.sketch, &self.fixes, &mut classify)
            .map_err(|e| format!("The model failed on this drawing ({e})."))?;
        let timing = Timing {
            infer_ms,
            frame_ms: now(window) - t0,
        };
        Ok(Some((reading, timing)))
    }
}

/// `performance.now()` in ms, 0 where there is no Performance API.
fn now(window: &Window) -> f64 {
    window.performance().map_or(0.0, |p| p.now())
}

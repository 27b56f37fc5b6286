//! Events in: pointer input on the pad, Undo/Clear buttons and shortcuts, resize and theme
//! changes. Handlers only update the sketch and mark work dirty; the frame does the work.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, DomRect, Element, Event, EventTarget, KeyboardEvent, MouseEvent, PointerEvent,
};

use super::fix_menu::Anchor;
use super::{App, WebError};
use crate::sketch::{Point, DEFAULT_PRESSURE};
use crate::symbol::Symbol;
use crate::view::InkView;

/// Adds `handler` for `kind` on `target` for the page's lifetime.
fn listen<E, F>(target: &EventTarget, kind: &str, handler: F) -> Result<(), WebError>
where
    E: JsCast + 'static,
    F: FnMut(E) + 'static,
{
    let mut handler = handler;
    let cb = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        if let Ok(e) = e.dyn_into::<E>() {
            handler(e);
        }
    });
    target.add_event_listener_with_callback(kind, cb.as_ref().unchecked_ref())?;
    // The listeners live as long as the page, so the closures are never freed.
    cb.forget();
    Ok(())
}

pub(super) fn wire(app: &App, document: &Document) -> Result<(), WebError> {
    let pad: EventTarget = app.state.borrow().pad.canvas().clone().into();

    let a = app.clone();
    listen(&pad, "pointerdown", move |e: PointerEvent| {
        a.pointer_down(&e)
    })?;
    let a = app.clone();
    listen(&pad, "pointermove", move |e: PointerEvent| {
        a.pointer_move(&e)
    })?;
    for kind in ["pointerup", "pointercancel", "lostpointercapture"] {
        let a = app.clone();
        listen(&pad, kind, move |e: PointerEvent| a.pointer_up(&e))?;
    }
    // A long press would open the context menu on touch screens, mid-digit.
    listen(&pad, "contextmenu", |e: Event| e.prevent_default())?;
    wire_fixing(app, document)?;

    for (id, action) in [("undo", Action::Undo), ("clear", Action::Clear)] {
        let button = document
            .get_element_by_id(id)
            .ok_or(WebError::MissingElement(id))?;
        let a = app.clone();
        listen(&button, "click", move |_: Event| a.act(action))?;
    }

    let window = app.state.borrow().window.clone();
    let a = app.clone();
    listen(&window, "keydown", move |e: KeyboardEvent| {
        // Esc closes an open menu first (the focus goes back to the symbol when it was in
        // the menu); it clears the pad only when nothing is open.
        if e.key() == "Escape" && a.state.borrow().fix_menu.is_open() {
            e.prevent_default();
            let in_menu = closest(&e, "#fix-menu").is_some();
            a.state.borrow_mut().close_fix(in_menu);
            return;
        }
        if let Some(action) = shortcut(&e) {
            e.prevent_default();
            a.act(action);
        }
    })?;
    // Resizing (rotation, zoom, a window dragged to another screen) changes the pad's box or
    // pixel ratio: the frame refits the backing store and repaints.
    let a = app.clone();
    listen(&window, "resize", move |_: Event| {
        a.state.borrow_mut().ink_dirty = true;
        a.request_frame();
    })?;
    // A theme switch changes the ink colour.
    if let Ok(Some(query)) = window.match_media("(prefers-color-scheme: dark)") {
        let a = app.clone();
        listen(&query, "change", move |_: Event| {
            a.state.borrow_mut().ink_dirty = true;
            a.request_frame();
        })?;
    }
    Ok(())
}

/// Fixing a symbol: a typeset symbol (click, tap, Enter or Space) opens its alternatives; in
/// the menu a choice fixes it and arrows move; a press anywhere else closes it (and Esc, in
/// the shortcuts above).
fn wire_fixing(app: &App, document: &Document) -> Result<(), WebError> {
    let prediction = document
        .get_element_by_id("prediction")
        .ok_or(WebError::MissingElement("prediction"))?;
    let a = app.clone();
    listen(&prediction, "click", move |e: MouseEvent| {
        let Some(button) = closest(&e, "#prediction .sym") else {
            return;
        };
        let Some(index) = button
            .get_attribute("data-index")
            .and_then(|i| i.parse::<usize>().ok())
        else {
            return;
        };
        let rect = button.get_bounding_client_rect();
        let anchor = Anchor {
            left: rect.left(),
            bottom: rect.bottom(),
        };
        // A click from the keyboard (Enter, Space) has no pointer position: detail 0.
        a.state
            .borrow_mut()
            .open_fix_typeset(index, anchor, e.detail() == 0);
    })?;

    let menu: EventTarget = app.state.borrow().fix_menu.root().clone().into();
    let a = app.clone();
    listen(&menu, "click", move |e: MouseEvent| {
        let chosen = closest(&e, ".fix-choice")
            .and_then(|b| b.get_attribute("data-symbol"))
            .and_then(|s| Symbol::parse(&s));
        if let Some(symbol) = chosen {
            // A click from the keyboard keeps the keyboard's flow (focus back on the symbol).
            a.state.borrow_mut().choose_fix(symbol);
            a.request_frame();
        }
    })?;
    let a = app.clone();
    listen(&menu, "keydown", move |e: KeyboardEvent| {
        let by = match e.key().as_str() {
            "ArrowDown" | "ArrowRight" => 1,
            "ArrowUp" | "ArrowLeft" => -1,
            _ => return,
        };
        e.prevent_default();
        a.state.borrow().fix_menu.move_focus(by);
    })?;
    // A press outside the menu and the typeset symbols closes it.
    let a = app.clone();
    listen(document, "pointerdown", move |e: PointerEvent| {
        if closest(&e, "#fix-menu, #prediction .sym").is_some() {
            return;
        }
        if a.state.borrow().fix_menu.is_open() {
            a.state.borrow_mut().close_fix(false);
        }
    })?;
    Ok(())
}

/// The event target's closest ancestor (or itself) matching `selector`.
fn closest(e: &Event, selector: &str) -> Option<Element> {
    e.target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    Undo,
    Clear,
}

/// Ctrl/Cmd+Z undoes, Esc clears; anything else is left to the browser.
fn shortcut(e: &KeyboardEvent) -> Option<Action> {
    let key = e.key();
    if (e.ctrl_key() || e.meta_key())
        && !e.shift_key()
        && !e.alt_key()
        && key.eq_ignore_ascii_case("z")
    {
        Some(Action::Undo)
    } else if key == "Escape" && !(e.ctrl_key() || e.meta_key() || e.alt_key()) {
        Some(Action::Clear)
    } else {
        None
    }
}

/// A numeric property of an event as f64. web-sys types `clientX` as an integer, but
/// browsers report sub-pixel positions for pens and high-DPI touch: read the real value.
fn number(e: &JsValue, name: &str) -> Option<f64> {
    js_sys::Reflect::get(e, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_f64())
}

impl App {
    fn pointer_down(&self, e: &PointerEvent) {
        {
            let mut state = self.state.borrow_mut();
            // One stroke at a time: a second finger (or a palm) does not draw.
            if state.active_pointer.is_some() {
                return;
            }
            if e.pointer_type() == "mouse" && e.button() != 0 {
                return;
            }
            e.prevent_default();
            // What a tap would be on: the symbols as read before this stroke.
            state.tap_targets = state.symbols.clone();
            let canvas = state.pad.canvas().clone();
            // Keep receiving this pointer's moves even when it leaves the pad mid-stroke.
            let _ = canvas.set_pointer_capture(e.pointer_id());
            state.active_pointer = Some(e.pointer_id());
            let point = to_point(&canvas.get_bounding_client_rect(), state.pad.view(), e);
            state.sketch.begin_stroke(point);
            state.mark_dirty();
        }
        self.request_frame();
    }

    fn pointer_move(&self, e: &PointerEvent) {
        {
            let mut state = self.state.borrow_mut();
            if state.active_pointer != Some(e.pointer_id()) {
                return;
            }
            let rect = state.pad.canvas().get_bounding_client_rect();
            let view = state.pad.view();
            // A fast pen reports several positions per frame; the browser coalesces them
            // into one event. Take them all, so curves stay round (where supported).
            let coalesced = if js_sys::Reflect::has(e, &JsValue::from_str("getCoalescedEvents"))
                .unwrap_or(false)
            {
                e.get_coalesced_events()
            } else {
                js_sys::Array::new()
            };
            if coalesced.length() == 0 {
                state.sketch.extend_stroke(to_point(&rect, view, e));
            } else {
                for sub in coalesced.iter() {
                    if let Ok(sub) = sub.dyn_into::<PointerEvent>() {
                        state.sketch.extend_stroke(to_point(&rect, view, &sub));
                    }
                }
            }
            state.mark_dirty();
        }
        self.request_frame();
    }

    fn pointer_up(&self, e: &PointerEvent) {
        {
            let mut state = self.state.borrow_mut();
            if state.active_pointer != Some(e.pointer_id()) {
                return;
            }
            state.active_pointer = None;
            state.sketch.end_stroke();
            let _ = state.pad.canvas().release_pointer_capture(e.pointer_id());
            state.mark_dirty();
            if !state.tap_to_fix() {
                state.scratch_out();
                state.save();
            }
        }
        self.request_frame();
    }

    fn act(&self, action: Action) {
        {
            let mut state = self.state.borrow_mut();
            state.active_pointer = None;
            // The symbol a menu was open for may be gone or changed after this.
            state.close_fix(false);
            match action {
                Action::Undo => {
                    state.sketch.undo();
                }
                Action::Clear => state.sketch.clear(),
            }
            state.mark_dirty();
            state.save();
        }
        self.request_frame();
    }
}

/// The event's position in sketch coordinates (the pad's CSS pixels through the ink view),
/// with pressure and time.
fn to_point(rect: &DomRect, view: InkView, e: &PointerEvent) -> Point {
    let x = number(e, "clientX").unwrap_or_else(|| e.client_x().into()) - rect.left();
    let y = number(e, "clientY").unwrap_or_else(|| e.client_y().into()) - rect.top();
    // Mice report 0.5 while pressed and some devices 0 for "unknown": treat 0 as unknown.
    let pressure = match e.pressure() {
        p if p > 0.0 => p,
        _ => DEFAULT_PRESSURE,
    };
    let (x, y) = view.to_sketch(x as f32, y as f32);
    Point {
        x,
        y,
        pressure,
        t_ms: e.time_stamp(),
    }
}

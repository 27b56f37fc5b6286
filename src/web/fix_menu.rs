//! The menu that fixes a misread symbol: opened from a typeset symbol (tap, click, Enter) or
//! a tap on the symbol's ink, it offers the symbol's top alternatives; choosing one fixes the
//! symbol (the core's `expression::fix`). Keyboard: arrows move between the choices, Enter
//! picks, Esc closes; the focus goes back to the symbol.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, Window};

use super::WebError;
use crate::expression::reader::SymbolReading;
use crate::symbol::Symbol;

/// A symbol the menu is open for.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Target {
    /// Its place in the text (to focus its button again).
    pub index: usize,
    /// The strokes it is made of, which the fix is keyed on.
    pub strokes: Vec<usize>,
    /// Opened with the keyboard: the focus moves into the menu and back out.
    pub keyboard: bool,
}

pub(super) struct FixMenu {
    document: Document,
    root: HtmlElement,
    title: Element,
    choices: Vec<HtmlElement>,
    target: Option<Target>,
}

/// Where to show the menu: the viewport box it belongs to (a typeset symbol, or a symbol's
/// ink on the pad), in CSS pixels.
#[derive(Clone, Copy, Debug)]
pub(super) struct Anchor {
    pub left: f64,
    pub bottom: f64,
}

/// Scrolls the page just enough to show `element` (a menu opened under a symbol at the
/// bottom of the window would open out of sight): `scrollIntoView({block: "nearest"})`.
fn scroll_into_view_if_needed(element: &HtmlElement) {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"block".into(), &"nearest".into());
    let _ = js_sys::Reflect::set(&options, &"inline".into(), &"nearest".into());
    if let Ok(f) = js_sys::Reflect::get(element, &"scrollIntoView".into()) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call1(element, &options);
        }
    }
}

impl FixMenu {
    pub(super) fn new(document: &Document) -> Result<Self, WebError> {
        let root = document
            .get_element_by_id("fix-menu")
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            .ok_or(WebError::MissingElement("fix-menu"))?;
        let title = document
            .get_element_by_id("fix-title")
            .ok_or(WebError::MissingElement("fix-title"))?;
        let list = root.query_selector_all(".fix-choice")?;
        let choices: Vec<HtmlElement> = (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
            .collect();
        if choices.is_empty() {
            return Err(WebError::MissingElement("fix-menu .fix-choice"));
        }
        Ok(Self {
            document: document.clone(),
            root,
            title,
            choices,
            target: None,
        })
    }

    pub(super) fn root(&self) -> &HtmlElement {
        &self.root
    }

    pub(super) fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    pub(super) fn is_open(&self) -> bool {
        self.target.is_some()
    }

    /// Opens the menu for `symbol` (read as `shown`) below `anchor`.
    pub(super) fn open(
        &mut self,
        window: &Window,
        symbol: &SymbolReading,
        shown: Symbol,
        target: Target,
        anchor: Anchor,
    ) {
        let sure = if symbol.fixed {
            "as you chose".to_owned()
        } else {
            format!("{:.0}% sure", symbol.confidence() * 100.0)
        };
        self.title
            .set_text_content(Some(&format!("Read as {shown} ({sure}). Did you mean:")));
        let alternatives = symbol.alternatives();
        // "0%" would read as "impossible"; the model only says "unlikely".
        let percent = |p: f32| {
            if p < 0.005 {
                "<1%".to_owned()
            } else {
                format!("{:.0}%", p * 100.0)
            }
        };
        for (i, button) in self.choices.iter().enumerate() {
            match alternatives.get(i) {
                Some(&(alt, p)) => {
                    let _ = button.set_attribute("data-symbol", alt.as_str());
                    let _ = button.set_attribute("aria-label", &format!("{alt} ({})", percent(p)));
                    button.set_text_content(Some(alt.as_str()));
                    if let Ok(pct) = self.document.create_element("small") {
                        pct.set_text_content(Some(&percent(p)));
                        let _ = button.append_child(&pct);
                    }
                    button.set_hidden(false);
                }
                None => button.set_hidden(true),
            }
        }
        self.root.set_hidden(false);
        // Below the symbol, kept inside the viewport's width.
        let scroll_x = window.scroll_x().unwrap_or(0.0);
        let scroll_y = window.scroll_y().unwrap_or(0.0);
        let viewport = window
            .inner_width()
            .ok()
            .and_then(|w| w.as_f64())
            .unwrap_or(1024.0);
        let width = self.root.get_bounding_client_rect().width();
        let left = anchor.left.min(viewport - width - 8.0).max(8.0);
        let style = self.root.style();
        let _ = style.set_property("left", &format!("{:.0}px", left + scroll_x));
        let _ = style.set_property("top", &format!("{:.0}px", anchor.bottom + 6.0 + scroll_y));
        scroll_into_view_if_needed(&self.root);
        if target.keyboard {
            let _ = self.choices[0].focus();
        }
        self.target = Some(target);
    }

    /// Closes the menu; returns what it was open for.
    pub(super) fn close(&mut self) -> Option<Target> {
        self.root.set_hidden(true);
        self.target.take()
    }

    /// Moves the focus `by` choices (wrapping), from the focused one.
    pub(super) fn move_focus(&self, by: isize) {
        let visible: Vec<&HtmlElement> = self.choices.iter().filter(|b| !b.hidden()).collect();
        if visible.is_empty() {
            return;
        }
        let active = self.document.active_element();
        let at = visible.iter().position(|b| {
            active
                .as_ref()
                .is_some_and(|a| a == b.unchecked_ref::<Element>())
        });
        let n = visible.len() as isize;
        let next = match at {
            Some(i) => (i as isize + by).rem_euclid(n),
            None if by < 0 => n - 1,
            None => 0,
        };
        let _ = visible[next as usize].focus();
    }
}

//! Numbers out: the text read (one button per symbol, to fix it), its confidence, the bars
//! (0-9 and the operators), timings and messages.
//! Writes only what changed where a screen reader would notice (the live region).

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

use super::WebError;
use crate::classifier::CLASSES;
use crate::expression::reader::SketchReading;
use crate::symbol::{Symbol, SYMBOLS};

/// One probability bar: `li[data-digit][data-p]` (digits) or `li[data-symbol][data-p]`
/// (operators) with its percentage label.
struct Bar {
    item: HtmlElement,
    pct: Element,
}

pub(crate) struct View {
    document: Document,
    prediction: Element,
    answer: Element,
    confidence: Element,
    timing: Element,
    status: Element,
    bars: Vec<Bar>,
    /// The text the live region shows with each symbol's marks, so it is only rewritten (and
    /// announced) on change.
    shown: Option<String>,
}

fn by_id(document: &Document, id: &'static str) -> Result<Element, WebError> {
    document
        .get_element_by_id(id)
        .ok_or(WebError::MissingElement(id))
}

impl View {
    pub(super) fn new(document: &Document) -> Result<Self, WebError> {
        let mut bars = Vec::with_capacity(CLASSES);
        for symbol in SYMBOLS {
            let selector = match symbol {
                Symbol::Digit(d) => format!("[data-digit=\"{d}\"]"),
                other => format!("[data-symbol=\"{}\"]", other.as_str()),
            };
            let item = document
                .query_selector(&selector)?
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                .ok_or(WebError::MissingElement("bars ([data-digit])"))?;
            let pct = item
                .query_selector(".pct")?
                .ok_or(WebError::MissingElement("bars (.pct)"))?;
            bars.push(Bar { item, pct });
        }
        let view = Self {
            document: document.clone(),
            prediction: by_id(document, "prediction")?,
            answer: by_id(document, "answer")?,
            confidence: by_id(document, "confidence")?,
            timing: by_id(document, "timing")?,
            status: by_id(document, "status")?,
            bars,
            shown: None,
        };
        Ok(view)
    }

    /// Shows what the pad reads: the whole text, the answer or why there is none, and for
    /// the symbol being written (`current`) its confidence and bars.
    pub(super) fn show(&mut self, reading: &SketchReading, current: usize, infer_ms: f64) {
        let marks: String = reading
            .symbols
            .iter()
            .map(|s| match (s.fixed, s.unsure()) {
                (true, _) => 'f',
                (false, true) => 'u',
                (false, false) => '.',
            })
            .collect();
        let shown = format!("{}|{marks}", reading.reading.text);
        if self.shown.as_deref() != Some(shown.as_str()) {
            self.typeset(reading);
            let _ = self
                .prediction
                .set_attribute("data-length", &reading.symbols.len().to_string());
            self.shown = Some(shown);
        }
        let Some(symbol) = reading.symbols.get(current) else {
            self.show_empty();
            return;
        };
        let probs = &symbol.probabilities;
        let p = symbol.confidence();
        // The contract: data-confidence only for a lone symbol (a digit on its own).
        if reading.symbols.len() == 1 {
            let _ = self
                .prediction
                .set_attribute("data-confidence", &format!("{p:.4}"));
        } else {
            let _ = self.prediction.remove_attribute("data-confidence");
        }
        let confidence = if symbol.fixed {
            format!("{}, as you chose", symbol.symbol)
        } else {
            format!("{} {:.0}% sure", symbol.symbol, p * 100.0)
        };
        self.confidence.set_text_content(Some(&confidence));
        for (class, (bar, &q)) in self.bars.iter().zip(probs.as_array().iter()).enumerate() {
            bar.set(q, class == symbol.symbol.index());
        }
        self.show_answer(
            reading.reading.value.as_deref(),
            reading.reading.error.as_deref(),
        );
        // Browsers coarsen performance.now() (to 0.1 ms without cross-origin isolation), so
        // a fast model can measure 0: say "under 0.1 ms" rather than a false "0.00 ms".
        let took = if infer_ms < 0.1 {
            "under 0.1 ms".to_owned()
        } else {
            format!("{infer_ms:.1} ms")
        };
        self.timing
            .set_text_content(Some(&format!("read in {took} · on this device")));
    }

    /// The text as one button per symbol: its `textContent` is exactly the text read (the
    /// DOM contract), and choosing a symbol opens its alternatives (see `fix_menu`). Unsure
    /// symbols carry `data-unsure` (a dotted underline), fixed ones `data-fixed`. A symbol
    /// button that had the focus keeps it across the rewrite.
    fn typeset(&self, reading: &SketchReading) {
        let focused = self
            .document
            .active_element()
            .filter(|e| e.class_list().contains("sym"))
            .and_then(|e| e.get_attribute("data-index"));
        self.prediction.set_text_content(None);
        for (i, (s, symbol)) in reading
            .symbols
            .iter()
            .zip(&reading.reading.symbols)
            .enumerate()
        {
            let Ok(button) = self.document.create_element("button") else {
                continue;
            };
            let _ = button.set_attribute("type", "button");
            let _ = button.set_attribute("class", "sym");
            let _ = button.set_attribute("data-index", &i.to_string());
            let sure = (s.confidence() * 100.0).round();
            let title = if s.fixed {
                format!("{symbol}, as you chose: choose to change it")
            } else if s.unsure() {
                let _ = button.set_attribute("data-unsure", "");
                format!("{symbol}, only {sure:.0}% sure: choose to fix it")
            } else {
                format!("{symbol}, {sure:.0}% sure: choose to change it")
            };
            if s.fixed {
                let _ = button.set_attribute("data-fixed", "");
            }
            let _ = button.set_attribute("title", &title);
            let _ = button.set_attribute("aria-haspopup", "menu");
            button.set_text_content(Some(symbol.as_str()));
            let _ = self.prediction.append_child(&button);
            if focused.as_deref() == Some(i.to_string().as_str()) {
                if let Ok(b) = button.dyn_into::<HtmlElement>() {
                    let _ = b.focus();
                }
            }
        }
    }

    /// Moves the focus to the typeset symbol `index` (after a fix made with the keyboard).
    pub(super) fn focus_symbol(&self, index: usize) {
        let selector = format!("#prediction .sym[data-index=\"{index}\"]");
        if let Some(b) = self
            .document
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = b.focus();
        }
    }

    fn show_answer(&self, value: Option<&str>, error: Option<&str>) {
        self.answer.set_text_content(Some(value.unwrap_or("")));
        match error {
            Some(e) => {
                let _ = self.answer.set_attribute("data-error", e);
            }
            None => {
                let _ = self.answer.remove_attribute("data-error");
            }
        }
    }

    /// The empty pad: no symbol, no confidence, all bars at zero.
    pub(super) fn show_empty(&mut self) {
        self.prediction.set_text_content(Some(""));
        let _ = self.prediction.remove_attribute("data-length");
        self.show_answer(None, None);
        self.shown = None;
        let _ = self.prediction.remove_attribute("data-confidence");
        self.confidence.set_text_content(Some(""));
        for bar in &self.bars {
            bar.set(0.0, false);
        }
    }

    pub(super) fn model_ready(&mut self, load_ms: f64) {
        self.status.set_text_content(Some("Model ready."));
        self.timing.set_text_content(Some(&format!(
            "model loaded in {load_ms:.0} ms · draw to predict"
        )));
    }

    pub(super) fn model_failed(&mut self, message: &str) {
        let _ = self.status.set_attribute("role", "alert");
        let _ = self.status.class_list().add_1("error");
        self.status.set_text_content(Some(message));
    }
}

impl Bar {
    fn set(&self, p: f32, top: bool) {
        let p = p.clamp(0.0, 1.0);
        let _ = self.item.set_attribute("data-p", &format!("{p:.4}"));
        let _ = self.item.style().set_property("--p", &format!("{p:.4}"));
        let _ = self.item.class_list().toggle_with_force("top", top);
        self.pct
            .set_text_content(Some(&format!("{:.0}%", p * 100.0)));
    }
}

/// Shows a message for a failure that stops the app from starting at all.
pub(super) fn show_fatal(document: &Document, message: &str) {
    if let Some(el) = document.get_element_by_id("fatal") {
        el.set_text_content(Some(message));
        let _ = el.remove_attribute("hidden");
    } else if let Some(body) = document.body() {
        body.set_text_content(Some(message));
    }
    if let Some(status) = document.get_element_by_id("status") {
        status.set_text_content(Some(""));
    }
}

//! Numbers out: the predicted digit, its confidence, the 0-9 bars, timings and messages.
//! Writes only what changed where a screen reader would notice (the live region).

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

use super::WebError;
use crate::classifier::{Probabilities, CLASSES};

/// One probability bar: `li[data-digit][data-p]` with its percentage label.
struct Bar {
    item: HtmlElement,
    pct: Element,
}

pub(crate) struct View {
    prediction: Element,
    confidence: Element,
    timing: Element,
    status: Element,
    bars: Vec<Bar>,
    /// The digit the live region shows, so it is only rewritten (and announced) on change.
    shown: Option<usize>,
}

fn by_id(document: &Document, id: &'static str) -> Result<Element, WebError> {
    document
        .get_element_by_id(id)
        .ok_or(WebError::MissingElement(id))
}

impl View {
    pub(super) fn new(document: &Document) -> Result<Self, WebError> {
        let mut bars = Vec::with_capacity(CLASSES);
        for digit in 0..CLASSES {
            let item = document
                .query_selector(&format!("[data-digit=\"{digit}\"]"))?
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                .ok_or(WebError::MissingElement("bars ([data-digit])"))?;
            let pct = item
                .query_selector(".pct")?
                .ok_or(WebError::MissingElement("bars (.pct)"))?;
            bars.push(Bar { item, pct });
        }
        let view = Self {
            prediction: by_id(document, "prediction")?,
            confidence: by_id(document, "confidence")?,
            timing: by_id(document, "timing")?,
            status: by_id(document, "status")?,
            bars,
            shown: None,
        };
        Ok(view)
    }

    /// Shows a prediction.
    pub(super) fn show(&mut self, probs: &Probabilities, infer_ms: f64) {
        let (top, p) = probs.top();
        if self.shown != Some(top) {
            self.prediction.set_text_content(Some(&top.to_string()));
            self.shown = Some(top);
        }
        let _ = self
            .prediction
            .set_attribute("data-confidence", &format!("{p:.4}"));
        self.confidence
            .set_text_content(Some(&format!("{:.0}% sure", p * 100.0)));
        for (digit, (bar, &p)) in self.bars.iter().zip(probs.as_array().iter()).enumerate() {
            bar.set(p, digit == top);
        }
        // Browsers coarsen performance.now() (to 0.1 ms without cross-origin isolation), so
        // a fast model can measure 0: say "under 0.1 ms" rather than a false "0.00 ms".
        let took = if infer_ms < 0.1 {
            "under 0.1 ms".to_owned()
        } else {
            format!("{infer_ms:.1} ms")
        };
        self.timing
            .set_text_content(Some(&format!("inference {took} · on this device")));
    }

    /// The empty pad: no digit, no confidence, all bars at zero.
    pub(super) fn show_empty(&mut self) {
        self.prediction.set_text_content(Some(""));
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

//! The wasm layer in a real browser (wasm-bindgen-test, headless Chromium): the page's own
//! markup (index.html) is mounted, synthetic pointer and key events go in, and the DOM
//! contract is checked coming out. Run by scripts/test.
#![cfg(target_arch = "wasm32")]

use mathsketch::web::{mount, App};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Document, Element, HtmlElement, KeyboardEvent, KeyboardEventInit, PointerEvent,
    PointerEventInit,
};

wasm_bindgen_test_configure!(run_in_browser);

mod recorded_outputs;

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts a fresh copy of index.html's body in a container (replacing the last test's), so
/// the test exercises the real markup. Scripts in it do not run (innerHTML).
fn fixture() -> App {
    // Each test starts from a pad with nothing saved (see `saved_work_comes_back_on_mount`).
    storage().clear().unwrap();
    fixture_keeping_storage()
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// As [`fixture`], but the page finds what earlier tests stored, as after a reload.
fn fixture_keeping_storage() -> App {
    let doc = document();
    if let Some(old) = doc.get_element_by_id("fixture") {
        old.remove();
    }
    let html = include_str!("../index.html");
    let start = html.find("<body>").expect("index.html has <body>") + "<body>".len();
    let end = html.find("</body>").expect("index.html has </body>");
    let container = doc.create_element("div").unwrap();
    container.set_id("fixture");
    container.set_inner_html(&html[start..end]);
    doc.body().unwrap().append_child(&container).unwrap();
    let pad: HtmlElement = doc.get_element_by_id("pad").unwrap().dyn_into().unwrap();
    // No stylesheet here: give the pad a fixed box.
    pad.style().set_property("width", "280px").unwrap();
    pad.style().set_property("height", "280px").unwrap();
    mount(&doc).expect("mounts on index.html's markup")
}

fn by_id(id: &str) -> Element {
    document().get_element_by_id(id).unwrap()
}

fn pointer(kind: &str, x: f64, y: f64, id: i32) {
    let pad = by_id("pad");
    let rect = pad.get_bounding_client_rect();
    let init = PointerEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_pointer_id(id);
    init.set_pointer_type("pen");
    init.set_is_primary(true);
    init.set_pressure(0.6);
    init.set_client_x((rect.left() + x).round() as i32);
    init.set_client_y((rect.top() + y).round() as i32);
    let e = PointerEvent::new_with_event_init_dict(kind, &init).unwrap();
    pad.dispatch_event(&e).unwrap();
}

fn stroke(points: &[(f64, f64)]) {
    let (x0, y0) = points[0];
    pointer("pointerdown", x0, y0, 7);
    for &(x, y) in &points[1..] {
        pointer("pointermove", x, y, 7);
    }
    pointer(
        "pointerup",
        points[points.len() - 1].0,
        points[points.len() - 1].1,
        7,
    );
}

fn key(k: &str, ctrl: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(k);
    init.set_ctrl_key(ctrl);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let e = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&e).unwrap();
}

fn strokes() -> String {
    by_id("pad")
        .get_attribute("data-strokes")
        .unwrap_or_default()
}

fn prediction() -> String {
    by_id("prediction").text_content().unwrap_or_default()
}

async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .request_animation_frame(&resolve)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

fn assert_empty() {
    assert_eq!(prediction(), "");
    assert!(by_id("prediction")
        .get_attribute("data-confidence")
        .is_none());
    let bars = document().query_selector_all("[data-digit]").unwrap();
    assert_eq!(bars.length(), 10);
    for i in 0..bars.length() {
        let bar: Element = bars.item(i).unwrap().dyn_into().unwrap();
        let p: f32 = bar.get_attribute("data-p").unwrap().parse().unwrap();
        assert_eq!(p, 0.0);
    }
}

#[wasm_bindgen_test]
async fn pointer_strokes_reach_the_sketch_in_the_next_frame() {
    let _app = fixture();
    stroke(&[
        (140.0, 40.0),
        (140.0, 100.0),
        (140.0, 160.0),
        (140.0, 240.0),
    ]);
    // Nothing is drawn or predicted in the handler itself: only in the animation frame.
    next_frame().await;
    next_frame().await;
    assert_eq!(strokes(), "1");
    assert_eq!(
        by_id("pad").get_attribute("data-points").as_deref(),
        Some("4")
    );
    let pad: web_sys::HtmlCanvasElement = by_id("pad").dyn_into().unwrap();
    let dpr = web_sys::window().unwrap().device_pixel_ratio();
    assert_eq!(
        pad.width(),
        (280.0 * dpr).round() as u32,
        "backing store follows DPR"
    );
}

#[wasm_bindgen_test]
fn undo_clear_buttons_and_shortcuts() {
    let app = fixture();
    stroke(&[(60.0, 60.0), (200.0, 60.0), (120.0, 240.0)]);
    stroke(&[(100.0, 150.0), (180.0, 150.0)]);
    app.frame();
    assert_eq!(strokes(), "2");

    by_id("undo").dyn_into::<HtmlElement>().unwrap().click();
    app.frame();
    assert_eq!(strokes(), "1");

    key("z", true);
    app.frame();
    assert_eq!(strokes(), "0");
    assert_empty();

    stroke(&[(60.0, 60.0), (200.0, 200.0)]);
    key("Escape", false);
    app.frame();
    assert_eq!(strokes(), "0");
    assert_empty();

    stroke(&[(60.0, 60.0), (200.0, 200.0)]);
    by_id("clear").dyn_into::<HtmlElement>().unwrap().click();
    app.frame();
    assert_eq!(strokes(), "0");
    assert_empty();
}

#[wasm_bindgen_test]
fn a_second_pointer_does_not_draw_while_the_first_is_down() {
    let app = fixture();
    pointer("pointerdown", 50.0, 50.0, 1);
    pointer("pointerdown", 150.0, 150.0, 2);
    pointer("pointermove", 160.0, 160.0, 2);
    pointer("pointermove", 60.0, 120.0, 1);
    pointer("pointerup", 60.0, 120.0, 1);
    app.frame();
    assert_eq!(strokes(), "1");
    assert_eq!(
        by_id("pad").get_attribute("data-points").as_deref(),
        Some("2")
    );
}

#[wasm_bindgen_test]
fn prediction_follows_the_drawing_or_the_failure_is_shown() {
    let app = fixture();
    assert_empty();
    stroke(&[(140.0, 30.0), (138.0, 140.0), (136.0, 250.0)]);
    app.frame();
    if app.model_ready() {
        assert_eq!(
            document().body().unwrap().dataset().get("ready").as_deref(),
            Some("true")
        );
        let text = prediction();
        assert!(
            text.len() == 1 && text.chars().all(|c| c.is_ascii_digit()),
            "{text:?}"
        );
        let confidence: f32 = by_id("prediction")
            .get_attribute("data-confidence")
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        let frame_ms: f64 = document()
            .body()
            .unwrap()
            .dataset()
            .get("frameMs")
            .unwrap()
            .parse()
            .unwrap();
        assert!(frame_ms >= 0.0);
        let total: f32 = mathsketch::symbol::SYMBOLS
            .iter()
            .map(|s| {
                let selector = match s.digit() {
                    Some(d) => format!("[data-digit=\"{d}\"]"),
                    None => format!("[data-symbol=\"{s}\"]"),
                };
                document()
                    .query_selector(&selector)
                    .unwrap()
                    .unwrap()
                    .get_attribute("data-p")
                    .unwrap()
                    .parse::<f32>()
                    .unwrap()
            })
            .sum();
        assert!((total - 1.0).abs() < 0.01, "bars sum to {total}");
    } else {
        // A model that does not load is a visible message, not a panic; drawing still works.
        let status = by_id("status");
        assert!(status.class_list().contains("error"));
        assert!(status.text_content().unwrap_or_default().contains("model"));
        assert_eq!(prediction(), "");
        assert_eq!(strokes(), "1");
    }
}

/// The convolution kernel runs on wasm SIMD only here: in the browser it must compute what
/// tract's own convolution computes there, up to float rounding.
#[wasm_bindgen_test]
fn the_wasm_simd_convolution_matches_tracts() {
    use mathsketch::classifier::{self, conv::Conv3x3, EMBEDDED_MODEL};
    use mathsketch::mnist::{MnistImage, SIDE};
    use tract_onnx::prelude::*;

    let plan = |fast: bool| {
        let mut model = classifier::typed_model(EMBEDDED_MODEL, 1).expect("model reads");
        if fast {
            classifier::use_fast_ops(&mut model).expect("our ops fit");
            let direct = model
                .nodes()
                .iter()
                .filter(|n| n.op_is::<Conv3x3>())
                .count();
            assert_eq!(direct, 5, "all five convolutions run on our kernel");
        }
        model
            .into_optimized()
            .expect("model optimises")
            .into_runnable()
            .expect("plan")
    };
    let (tracts, ours) = (plan(false), plan(true));
    // A "1": a vertical bar two pixels wide.
    let one = MnistImage::from_pixels(std::array::from_fn(|i| {
        let (y, x) = (i / SIDE, i % SIDE);
        if (13..15).contains(&x) && (5..23).contains(&y) {
            1.0
        } else {
            0.0
        }
    }));
    for image in [MnistImage::benchmark_input(), one] {
        let run = |plan: &std::sync::Arc<TypedSimplePlan>| {
            let input = Tensor::from_shape(&[1, 1, SIDE, SIDE], image.pixels()).expect("input");
            let out = plan.run(tvec!(input.into())).expect("runs");
            out[0]
                .try_as_plain_ram()
                .expect("plain")
                .as_slice::<f32>()
                .expect("f32")
                .to_vec()
        };
        let (expected, got) = (run(&tracts), run(&ours));
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() <= 1e-5, "{got:?} vs tract's {expected:?}");
        }
    }
}

/// The browser build computes what the recorded build computed (`recorded_outputs/mod.rs`):
/// how tract is built for the web (the tract-nnef patch, profiles) must not change a result.
#[wasm_bindgen_test]
fn the_embedded_model_computes_the_recorded_outputs_in_the_browser() {
    let outputs = recorded_outputs::compute();
    let worst = recorded_outputs::check(&outputs);
    console_log!(
        "{} drawings x 17 classes, largest difference from the recording {worst:e}",
        outputs.len()
    );
}

/// The sketch is stored as strokes end and comes back when the page mounts again (as after
/// a reload); a corrupt stored value is dropped with a visible notice, and the pad works.
#[wasm_bindgen_test]
fn saved_work_comes_back_on_mount() {
    let app = fixture();
    stroke(&[(40.0, 40.0), (60.0, 140.0), (80.0, 240.0)]);
    stroke(&[(150.0, 40.0), (150.0, 240.0)]);
    app.frame();
    assert_eq!(strokes(), "2");
    let stored = storage().get_item("mathsketch.sketch").unwrap();
    assert!(stored.is_some_and(|s| s.starts_with("mathsketch-sketch 2\n")));

    let app = fixture_keeping_storage();
    app.frame();
    assert_eq!(strokes(), "2", "the strokes are back");
    assert!(
        by_id("saved-notice").has_attribute("hidden"),
        "no notice when all is well"
    );

    storage()
        .set_item("mathsketch.sketch", "{not a sketch")
        .unwrap();
    let app = fixture_keeping_storage();
    app.frame();
    assert_eq!(strokes(), "0");
    let notice = by_id("saved-notice");
    assert!(!notice.has_attribute("hidden"), "the notice shows");
    assert!(notice
        .text_content()
        .unwrap_or_default()
        .contains("could not be restored"));
    assert_eq!(
        storage().get_item("mathsketch.sketch").unwrap(),
        None,
        "the bad value is gone"
    );
    stroke(&[(40.0, 40.0), (40.0, 200.0)]);
    app.frame();
    assert_eq!(strokes(), "1", "drawing still works");
    assert!(
        notice.has_attribute("hidden"),
        "the notice goes once the user draws"
    );
}

/// A typeset symbol opens its alternatives; choosing one fixes it (the text changes, the
/// choice is stored with the sketch and comes back on the next mount); a tap on the ink opens
/// the same menu and adds no ink.
#[wasm_bindgen_test]
fn choosing_an_alternative_fixes_the_symbol() {
    let app = fixture();
    stroke(&[(140.0, 40.0), (141.0, 140.0), (142.0, 240.0)]);
    app.frame();
    let before = prediction();
    assert_eq!(before.chars().count(), 1, "one symbol: {before:?}");
    let symbol: HtmlElement = document()
        .query_selector("#prediction .sym[data-index=\"0\"]")
        .unwrap()
        .expect("the symbol is a button")
        .dyn_into()
        .unwrap();
    symbol.click();
    let menu = by_id("fix-menu");
    assert!(!menu.has_attribute("hidden"), "the menu opens");
    let choice: HtmlElement = menu
        .query_selector(".fix-choice:not([hidden])")
        .unwrap()
        .expect("an alternative")
        .dyn_into()
        .unwrap();
    let chosen = choice.get_attribute("data-symbol").expect("data-symbol");
    assert_ne!(chosen, before);
    choice.click();
    app.frame();
    assert!(menu.has_attribute("hidden"), "the menu closes");
    assert_eq!(prediction(), chosen);
    assert!(by_id("prediction")
        .query_selector(".sym[data-fixed]")
        .unwrap()
        .is_some());
    let stored = storage().get_item("mathsketch.sketch").unwrap();
    assert!(
        stored.as_deref().is_some_and(|s| s.contains("\nfix 0 ")),
        "{stored:?}"
    );

    let app = fixture_keeping_storage();
    app.frame();
    assert_eq!(prediction(), chosen, "the fix survives a reload");

    // A tap on the ink: the menu, no new stroke; Esc closes it without clearing the pad.
    stroke(&[(141.0, 140.0)]);
    app.frame();
    assert_eq!(strokes(), "1");
    let menu = by_id("fix-menu");
    assert!(!menu.has_attribute("hidden"), "a tap opens the menu");
    key("Escape", false);
    app.frame();
    assert!(menu.has_attribute("hidden"));
    assert_eq!(strokes(), "1", "Esc closed the menu, not the pad");
}

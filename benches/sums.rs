//! What reading a sum costs per frame, in Chromium and natively: an 8-symbol sum
//! (`12+34×5=`) written with real pointer input on the release site, then
//! - live frames while writing (each frame segments the strokes, classifies only the symbol
//!   whose strokes changed, parses and evaluates), read from the page's frame log;
//! - a full re-read of the finished sum (every symbol classified again), `benchFrames`;
//! - a single digit's full read on the same page, as the baseline for the ratios;
//! - every frame while the answer is written in ink after the `=` (the whole frame: the read
//!   that found the answer, then each repaint), from the page's animation log, beside the
//!   intervals between animation frames then and on an idle page (the baseline): the goal is
//!   no frame over 16 ms.
//!
//! Prints median and p95 of each. `cargo bench --bench sums` (after `scripts/build`) measures;
//! `cargo test --benches` (CI) only checks that it runs, with a few runs and no thresholds.

use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use fantoccini::Client;
use serde_json::Value;

use mathsketch::expression::reader::Reader;
use mathsketch::{Classifier, MnistImage, Sketch};

#[path = "../tests/support/mod.rs"]
mod support;

use support::digits;
use support::page::{connect, draw_strokes, js, pad_box, settle, wait_ready};
use support::{Chromedriver, StaticServer};

const SUM: &str = "12+34×5=";
const ANSWER: &str = "182";

fn percentile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

fn row(name: &str, v: &[f64]) -> String {
    format!(
        "| {name} | {} | {:.3} | {:.3} |",
        v.len(),
        percentile(v, 0.5),
        percentile(v, 0.95)
    )
}

fn numbers(value: &Value) -> Result<Vec<f64>> {
    if let Some(message) = value.as_str() {
        bail!("{message}");
    }
    value
        .as_array()
        .with_context(|| format!("expected numbers, got {value}"))?
        .iter()
        .map(|x| x.as_f64().context("not a number"))
        .collect()
}

/// The sum's strokes on a pad of `w` x `h`.
fn sum_strokes(text: &str, w: f64, h: f64) -> Result<Vec<Vec<(f64, f64)>>> {
    let side = (h * 0.5).min(w / 9.5);
    digits::write_line(text, side * 0.3, h * 0.2, side, side * 0.8).context("drawings")
}

fn main() -> Result<()> {
    let measuring = std::env::args().any(|a| a == "--bench");
    let runs = if measuring { 300 } else { 5 };
    let dist = support::dist_dir()?;
    let native = native(runs)?;
    let page = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(async {
            let server = StaticServer::start(dist).await?;
            let driver = Chromedriver::start().context("starting chromedriver")?;
            let client = connect(&driver).await?;
            let r = in_page(&client, &server.url(), runs).await;
            let _ = client.close().await;
            drop(driver);
            r
        })?;
    println!("reading {SUM} (8 symbols), ms per frame");
    println!("| what | frames | median | p95 |");
    println!("| --- | --- | --- | --- |");
    println!("{}", row("Chromium: live frames while writing", &page.live));
    println!("{}", row("Chromium: full re-read of the sum", &page.full));
    println!(
        "{}",
        row("Chromium: one digit, full read (baseline)", &page.digit)
    );
    println!(
        "{}",
        row("native: live frame (last stroke changed)", &native.live)
    );
    println!("{}", row("native: full re-read of the sum", &native.full));
    println!(
        "ratios (same run): full re-read / one digit = {:.2}x, live frame / one digit = {:.2}x",
        percentile(&page.full, 0.5) / percentile(&page.digit, 0.5),
        percentile(&page.live, 0.5) / percentile(&page.digit, 0.5)
    );
    let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    println!();
    println!("writing the answer in ink (Chromium), ms");
    println!("| what | frames | median | p95 | max |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, v) in [
        ("our frame while the answer is written", &page.animation),
        (
            "interval between frames, answer written",
            &page.animation_gaps,
        ),
        (
            "interval between frames, idle page (baseline)",
            &page.idle_gaps,
        ),
    ] {
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} |",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.95),
            max(v)
        );
    }
    println!(
        "frames over 16 ms while the answer is written: {} of {}; interval p95 written / idle = {:.2}x",
        page.animation.iter().filter(|&&ms| ms > 16.0).count(),
        page.animation.len(),
        percentile(&page.animation_gaps, 0.95) / percentile(&page.idle_gaps, 0.95)
    );
    Ok(())
}

/// Intervals in ms between the animation frames of the next `ms` ms, as the page sees them.
async fn frame_gaps(c: &Client, ms: u32) -> Result<Vec<f64>> {
    let v = c
        .execute_async(
            &format!(
                "const done = arguments[arguments.length - 1];
                 const gaps = []; let last = null; const end = performance.now() + {ms};
                 function tick(t) {{
                   if (last !== null) gaps.push(t - last);
                   last = t;
                   if (t < end) requestAnimationFrame(tick); else done(gaps);
                 }}
                 requestAnimationFrame(tick);"
            ),
            vec![],
        )
        .await?;
    numbers(&v)
}

struct Timings {
    live: Vec<f64>,
    full: Vec<f64>,
    digit: Vec<f64>,
    animation: Vec<f64>,
    animation_gaps: Vec<f64>,
    idle_gaps: Vec<f64>,
}

async fn in_page(c: &Client, url: &str, runs: usize) -> Result<Timings> {
    c.goto(url).await?;
    wait_ready(c).await?;
    let (_, _, w, h) = pad_box(c).await?;
    // One digit first: the baseline.
    draw_strokes(c, &sum_strokes("3", w, h)?).await?;
    let bench = |n: usize| {
        format!(
            "if (!window.wasmBindings || !window.wasmBindings.benchFrames) return 'no benchFrames export';
             return Array.from(window.wasmBindings.benchFrames({n}));"
        )
    };
    let digit = numbers(&js(c, &bench(runs)).await?)?;
    js(c, "document.getElementById('clear').click()").await?;
    settle(c).await?;
    js(c, "window.wasmBindings.takeFrameLog()").await?;
    // The sum, stroke by stroke as a person writes it.
    let strokes = sum_strokes(SUM, w, h)?;
    let mut live = Vec::new();
    for stroke in &strokes {
        draw_strokes(c, std::slice::from_ref(stroke)).await?;
        live.extend(numbers(
            &js(c, "return Array.from(window.wasmBindings.takeFrameLog())").await?,
        )?);
    }
    let read = js(
        c,
        "return [document.getElementById('prediction').textContent,
                 document.getElementById('answer').textContent]",
    )
    .await?;
    ensure!(
        read[0] == SUM && read[1] == ANSWER,
        "the page read the benchmark sum as {read}"
    );
    let full = numbers(&js(c, &bench(runs)).await?)?;
    ensure!(!live.is_empty(), "no live frames were logged");

    // The answer written in ink: the sum again without its last bar, then the bar, and the
    // frames from there to the end of the animation (350 ms; 600 ms covers it). Repeated
    // `rounds` times, each from a fresh animation.
    let rounds = if runs >= 100 { 10 } else { 1 };
    let idle_gaps = frame_gaps(c, 600 * rounds as u32).await?;
    let (mut animation, mut animation_gaps) = (Vec::new(), Vec::new());
    let take = "if (!window.wasmBindings.takeAnimationLog) return 'no takeAnimationLog export';
                return Array.from(window.wasmBindings.takeAnimationLog())";
    for _ in 0..rounds {
        js(c, "document.getElementById('undo').click()").await?;
        settle(c).await?;
        numbers(&js(c, take).await?)?;
        let last = strokes.last().context("no strokes")?;
        draw_strokes(c, std::slice::from_ref(last)).await?;
        animation_gaps.extend(frame_gaps(c, 600).await?);
        animation.extend(numbers(&js(c, take).await?)?);
    }
    ensure!(
        !animation.is_empty(),
        "no frame wrote the answer: is it shown in ink?"
    );
    Ok(Timings {
        live,
        full,
        digit,
        animation,
        animation_gaps,
        idle_gaps,
    })
}

struct Native {
    live: Vec<f64>,
    full: Vec<f64>,
}

/// The same sum natively, on a 1000 x 400 pad.
fn native(runs: usize) -> Result<Native> {
    let coords: Vec<Vec<[f32; 2]>> = sum_strokes(SUM, 1000.0, 400.0)?
        .into_iter()
        .map(|s| s.into_iter().map(|(x, y)| [x as f32, y as f32]).collect())
        .collect();
    let sketch = Sketch::from_coordinates(&coords)?;
    let mut session = Classifier::embedded()?.session()?;
    let mut classify = |img: &MnistImage| session.predict(img);
    let mut full = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = Reader::new().read(&sketch, &mut classify)?;
        full.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(r);
    }
    // A live frame: the sketch minus its last stroke is cached; the last stroke arrives.
    let mut live = Vec::with_capacity(runs);
    let mut shorter = sketch.clone();
    shorter.undo();
    for _ in 0..runs {
        let mut reader = Reader::new();
        reader.read(&shorter, &mut classify)?;
        let t = Instant::now();
        let r = reader.read(&sketch, &mut classify)?;
        live.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(r);
    }
    Ok(Native { live, full })
}

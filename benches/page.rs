//! The side-by-side benchmark: our release site against onnxruntime-web running the same
//! model, in the same headless Chromium session, plus native tract for reference. It prints
//! one set of tables: bytes shipped, cold start, per-inference and per-frame latency, and the
//! ratios between them.
//!
//! `scripts/bench` builds the release site and runs this with `cargo bench --bench page`
//! (1,000 timed runs after 100 warm-up runs; `MS_BENCH_RUNS`/`MS_BENCH_WARMUP` change that).
//! Under `cargo test --benches`, which is what CI runs, it does 10 runs: that only checks that
//! the benchmark still works; no figure is checked against a threshold.
//!
//! Inputs: the site in `MATHSKETCH_DIST` (default `dist/`), onnxruntime-web in
//! `bench/ort/node_modules` (`scripts/setup` installs the pinned version there), and
//! optionally `MS_BENCH_VARIANTS`, `label=dir` pairs separated by `;`: other builds of the
//! site (`scripts/bench --variants` makes one without wasm SIMD and one with relaxed SIMD).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::Client;
use serde_json::Value;

use mathsketch::classifier::Classifier;
use mathsketch::mnist::{MnistImage, Normaliser};
use mathsketch::sketch::Sketch;

#[path = "../tests/support/mod.rs"]
mod support;

use support::digits::{self, Drawing, PLACEMENTS};
use support::page::{connect, draw, js, wait_ready};
use support::{Chromedriver, StaticServer};

/// What the bench server sends with every file: a cacheable response (so the second visit
/// is a warm HTTP cache, as for a returning user), and cross-origin isolation, which is what
/// gives both pages' `performance.now()` 5 µs resolution instead of 100 µs.
const BENCH_HEADERS: &str = "Cache-Control: max-age=3600\r\n\
    Cross-Origin-Opener-Policy: same-origin\r\n\
    Cross-Origin-Embedder-Policy: require-corp\r\n";

/// The drawing the per-frame figures use (the same strokes natively and in the page).
const FRAME_DIGIT: u8 = 3;

fn main() -> Result<()> {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then this is a smoke run.
    let measuring = std::env::args().any(|a| a == "--bench");
    let count = |name: &str, default: usize| -> Result<usize> {
        match std::env::var(name) {
            Ok(v) => v
                .parse()
                .with_context(|| format!("{name}={v:?} is not a count")),
            Err(_) => Ok(if measuring { default } else { 10 }),
        }
    };
    let runs = count("MS_BENCH_RUNS", 1000)?.max(1);
    let warmup = count("MS_BENCH_WARMUP", 100)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dist = std::env::var_os("MATHSKETCH_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("dist"));
    ensure!(
        dist.join("index.html").is_file(),
        "no release site at {} (build it with scripts/build, or run scripts/bench)",
        dist.display()
    );
    let ort_dist = root.join("bench/ort/node_modules/onnxruntime-web/dist");
    ensure!(
        ort_dist.is_dir(),
        "onnxruntime-web is not installed in bench/ort (scripts/setup installs it)"
    );
    let variants: Vec<(String, PathBuf)> = std::env::var("MS_BENCH_VARIANTS")
        .unwrap_or_default()
        .split(';')
        .filter(|v| !v.is_empty())
        .map(|v| match v.split_once('=') {
            Some((label, dir)) => Ok((label.to_owned(), PathBuf::from(dir))),
            None => bail!("MS_BENCH_VARIANTS: {v:?} is not label=dir"),
        })
        .collect::<Result<_>>()?;
    let drawing = digits::drawings()
        .into_iter()
        .find(|d| d.digit == FRAME_DIGIT)
        .context("the test drawings have no 3")?;

    eprintln!("benchmark: {runs} timed runs after {warmup} warm-up runs");
    let native = native(&drawing, runs, warmup)?;
    let browser = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(in_chromium(Setup {
            root: &root,
            dist: &dist,
            variants: &variants,
            drawing: &drawing,
            runs,
            warmup,
        }))?;

    let ours = dist_assets(&dist)?;
    let ort_files = ort_assets(&root, &browser.ort)?;
    let report = report(&ours, &ort_files, &native, &browser);
    std::io::stdout().write_all(report.as_bytes())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Figures

/// Median, 95th percentile (nearest rank), min and mean of a set of timings in ms.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    median: f64,
    p95: f64,
    min: f64,
    mean: f64,
    n: usize,
}

fn stats(mut v: Vec<f64>) -> Result<Stats> {
    ensure!(!v.is_empty(), "no timings");
    ensure!(v.iter().all(|x| x.is_finite()), "a timing is not a number");
    v.sort_by(f64::total_cmp);
    let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Ok(Stats {
        median: rank(0.5),
        p95: rank(0.95),
        min: v[0],
        mean: v.iter().sum::<f64>() / v.len() as f64,
        n: v.len(),
    })
}

fn numbers(value: &Value) -> Result<Vec<f64>> {
    value
        .as_array()
        .with_context(|| format!("expected an array of numbers, got {value}"))?
        .iter()
        .map(|x| x.as_f64().context("not a number"))
        .collect()
}

struct Native {
    load_ms: f64,
    infer: Stats,
    frame: Stats,
    output: Vec<f32>,
}

/// Native tract, timed the way the page times itself (one `Instant` pair per run).
fn native(drawing: &Drawing, runs: usize, warmup: usize) -> Result<Native> {
    let t0 = Instant::now();
    let classifier = Classifier::embedded()?;
    let load_ms = ms(t0.elapsed());
    let mut session = classifier.session()?;
    let input = MnistImage::benchmark_input();
    let output = session.predict(&input)?.as_array().to_vec();
    let mut infer = Vec::with_capacity(runs);
    for i in 0..warmup + runs {
        let t = Instant::now();
        std::hint::black_box(session.predict(std::hint::black_box(&input))?);
        if i >= warmup {
            infer.push(ms(t.elapsed()));
        }
    }
    let sketch = native_sketch(drawing)?;
    let mut normaliser = Normaliser::new();
    let mut image = MnistImage::blank();
    let mut frame = Vec::with_capacity(runs);
    for i in 0..warmup + runs {
        let t = Instant::now();
        ensure!(
            normaliser.normalise(&sketch, &mut image),
            "the drawing is empty"
        );
        std::hint::black_box(session.predict(&image)?);
        if i >= warmup {
            frame.push(ms(t.elapsed()));
        }
    }
    Ok(Native {
        load_ms,
        infer: stats(infer)?,
        frame: stats(frame)?,
        output,
    })
}

/// The frame drawing as the page sees it on a 400 x 400 px pad.
fn native_sketch(drawing: &Drawing) -> Result<Sketch> {
    let strokes = digits::pad_coordinates(drawing, PLACEMENTS[0], 400.0);
    Ok(Sketch::from_coordinates(&strokes)?)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One page load of the app, in ms since navigation start.
#[derive(Clone, Copy, Debug)]
struct Load {
    /// The wasm module's last byte arrived.
    wasm_fetched: f64,
    /// The module started running (compile and instantiate done).
    started: f64,
    /// Parse and optimise the embedded model.
    model: f64,
    /// `body[data-ready=true]`.
    ready: f64,
}

struct App {
    cold: Load,
    warm: Load,
    infer: Stats,
    frame: Stats,
    output: Vec<f32>,
}

struct Browser {
    user_agent: String,
    app: App,
    variants: Vec<(String, App)>,
    /// onnxruntime-web's reports: a first visit, and the median warm one.
    ort: Value,
    ort_warm: Value,
    /// Its inference timings over all rounds.
    ort_infer: Stats,
}

/// Latency is measured in this many rounds, each visiting every page in turn, so that a slow
/// spell of the machine (another process, a frequency change) lands on all of them instead of
/// on whichever page happened to be measured at the time.
const ROUNDS: usize = 5;

/// Warm visits to each page; the median one is reported.
const WARM_VISITS: usize = 5;

/// What the browser part measures, and how much.
#[derive(Clone, Copy)]
struct Setup<'a> {
    /// The repository, served for the onnxruntime-web page.
    root: &'a Path,
    /// Our release site.
    dist: &'a Path,
    /// Other builds of it, labelled.
    variants: &'a [(String, PathBuf)],
    drawing: &'a Drawing,
    runs: usize,
    warmup: usize,
}

async fn in_chromium(setup: Setup<'_>) -> Result<Browser> {
    let driver =
        Chromedriver::start().context("starting chromedriver (is chromium-driver installed?)")?;
    let client = connect(&driver)
        .await
        .context("opening a Chromium session")?;
    let result = measure(&client, setup).await;
    let _ = client.close().await;
    drop(driver);
    result
}

/// One site being measured: its server (a new origin each, so nothing is cached or registered
/// for it yet) and what was measured so far.
struct Site {
    label: String,
    server: StaticServer,
    cold: Option<Load>,
    warm: Option<Load>,
    frame: Vec<f64>,
    infer: Vec<f64>,
    output: Vec<f32>,
}

impl Site {
    /// Serves `dir` for the measurements of the page labelled `label`.
    async fn start(label: String, dir: PathBuf) -> Result<Site> {
        Ok(Site {
            label,
            server: StaticServer::start_with_headers(dir, BENCH_HEADERS).await?,
            cold: None,
            warm: None,
            frame: Vec::new(),
            infer: Vec::new(),
            output: Vec::new(),
        })
    }

    /// Start-up: a first visit, then WARM_VISITS more (warm HTTP cache), of which the median
    /// counts: a single page load varies too much on a busy machine.
    async fn visit(&mut self, c: &Client) -> Result<()> {
        let url = self.server.url();
        self.cold = Some(
            load(c, &url)
                .await
                .with_context(|| format!("our page ({}), first visit", self.label))?,
        );
        let mut warm = Vec::new();
        for _ in 0..WARM_VISITS {
            warm.push(
                load(c, &url)
                    .await
                    .with_context(|| format!("our page ({}), warm visit", self.label))?,
            );
        }
        warm.sort_by(|a, b| a.ready.total_cmp(&b.ready));
        self.warm = warm.get(warm.len() / 2).copied();
        Ok(())
    }

    fn finish(self) -> Result<(String, App)> {
        Ok((
            self.label,
            App {
                cold: self.cold.context("no first visit")?,
                warm: self.warm.context("no second visit")?,
                frame: stats(self.frame)?,
                infer: stats(self.infer)?,
                output: self.output,
            },
        ))
    }
}

/// The onnxruntime-web page's start-up: its first visit, and the median of WARM_VISITS more
/// by start-up time (wasm initialisation plus session creation).
async fn ort_start_up(c: &Client, url: &str) -> Result<(Value, Value)> {
    let first = ort_visit(c, url)
        .await
        .context("the onnxruntime-web page, first visit")?;
    let mut warm = Vec::new();
    for _ in 0..WARM_VISITS {
        let report = ort_visit(c, url)
            .await
            .context("the onnxruntime-web page, warm visit")?;
        let start = report["wasmInitMs"].as_f64().unwrap_or(f64::NAN)
            + report["sessionMs"].as_f64().unwrap_or(f64::NAN);
        warm.push((start, report));
    }
    warm.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = warm
        .into_iter()
        .nth(WARM_VISITS / 2)
        .map(|(_, report)| report)
        .context("no warm visit to the onnxruntime-web page")?;
    Ok((first, median))
}

/// Latency in ROUNDS rounds, each timing every site and then the onnxruntime-web page, so a
/// slow spell of the machine falls on all of them alike. Returns onnxruntime-web's samples.
async fn latency_rounds(
    c: &Client,
    sites: &mut [Site],
    ort_url: &str,
    drawing: &Drawing,
    (per_round, warmup): (usize, usize),
) -> Result<Vec<f64>> {
    let mut ort_samples = Vec::new();
    for _ in 0..ROUNDS {
        for site in sites.iter_mut() {
            let url = site.server.url();
            let (frame, infer, output) = app_round(c, &url, drawing, per_round, warmup)
                .await
                .with_context(|| format!("our page ({})", site.label))?;
            site.frame.extend(frame);
            site.infer.extend(infer);
            site.output = output;
        }
        let report = ort_visit(c, ort_url)
            .await
            .context("the onnxruntime-web page")?;
        let samples = report["infer"]["samples"]
            .as_array()
            .context("the onnxruntime-web page gave no samples")?;
        for x in samples {
            ort_samples.push(x.as_f64().context("a timing is not a number")?);
        }
    }
    Ok(ort_samples)
}

async fn measure(c: &Client, setup: Setup<'_>) -> Result<Browser> {
    let Setup {
        root,
        dist,
        variants,
        drawing,
        runs,
        warmup,
    } = setup;
    let user_agent = js(c, "return navigator.userAgent")
        .await?
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut sites = Vec::new();
    for (label, dir) in std::iter::once(("shipped build".to_owned(), dist.to_path_buf()))
        .chain(variants.iter().cloned())
    {
        sites.push(Site::start(label, dir).await?);
    }
    let ort_server = StaticServer::start_with_headers(root.to_path_buf(), BENCH_HEADERS).await?;
    let per_round = runs.div_ceil(ROUNDS);
    let ort_url = format!(
        "{}bench/ort/index.html?runs={per_round}&warmup={warmup}",
        ort_server.url()
    );

    for site in &mut sites {
        site.visit(c).await?;
    }
    let (ort, ort_warm) = ort_start_up(c, &ort_url).await?;
    let ort_samples = latency_rounds(c, &mut sites, &ort_url, drawing, (per_round, warmup)).await?;

    let mut apps = sites
        .into_iter()
        .map(Site::finish)
        .collect::<Result<Vec<_>>>()?
        .into_iter();
    let (_, app) = apps.next().context("no shipped build measured")?;
    Ok(Browser {
        user_agent,
        app,
        variants: apps.collect(),
        ort,
        ort_warm,
        ort_infer: stats(ort_samples)?,
    })
}

async fn app_round(
    c: &Client,
    url: &str,
    drawing: &Drawing,
    runs: usize,
    warmup: usize,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f32>)> {
    c.goto(url).await?;
    wait_ready(c).await?;
    draw(c, drawing, PLACEMENTS[0]).await?;
    let shown = js(
        c,
        "return document.getElementById('prediction').textContent",
    )
    .await?;
    ensure!(
        shown.as_str() == Some(&FRAME_DIGIT.to_string()),
        "the page read the benchmark drawing as {shown}, not {FRAME_DIGIT}"
    );
    let hook = |name: &str, n: usize| {
        format!(
            "if (!window.wasmBindings || !window.wasmBindings.{name}) return 'no {name} export';
             return Array.from(window.wasmBindings.{name}({n}));"
        )
    };
    let timed = |name: &'static str| {
        let (warm_up, timed) = (hook(name, warmup), hook(name, runs));
        async move {
            js(c, &warm_up).await?;
            let v = js(c, &timed).await?;
            if let Some(message) = v.as_str() {
                bail!("{message}");
            }
            numbers(&v)
        }
    };
    let frame = timed("benchFrames").await?;
    let infer = timed("benchInfer").await?;
    let output = js(
        c,
        "return window.wasmBindings && window.wasmBindings.benchOutput
             ? Array.from(window.wasmBindings.benchOutput()) : 'no benchOutput export';",
    )
    .await?;
    let output = numbers(&output)
        .context("benchOutput")?
        .into_iter()
        .map(|x| x as f32)
        .collect();
    let errors = js(c, "return window.mathsketchErrors || []").await?;
    ensure!(
        errors.as_array().is_some_and(|a| a.is_empty()),
        "page errors: {errors}"
    );
    Ok((frame, infer, output))
}

async fn load(c: &Client, url: &str) -> Result<Load> {
    c.goto(url).await?;
    wait_ready(c).await?;
    let v = js(
        c,
        "const d = document.body.dataset;
         const wasm = performance.getEntriesByType('resource').find(e => e.name.endsWith('.wasm'));
         return [wasm ? wasm.responseEnd : -1, Number(d.startMs), Number(d.modelMs), Number(d.readyMs)];",
    )
    .await?;
    let n = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
    ensure!(n(0) >= 0.0, "the page fetched no .wasm: {v}");
    Ok(Load {
        wasm_fetched: n(0),
        started: n(1),
        model: n(2),
        ready: n(3),
    })
}

/// One visit to `bench/ort/index.html` (onnxruntime-web, single-threaded wasm): what it
/// reports, see bench/ort/bench.js for the fields.
async fn ort_visit(c: &Client, url: &str) -> Result<Value> {
    c.goto(url).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let v = js(
            c,
            "return [document.body.dataset.bench || '', document.body.dataset.error || ''];",
        )
        .await?;
        let (bench, error) = (v[0].as_str().unwrap_or(""), v[1].as_str().unwrap_or(""));
        if !error.is_empty() {
            bail!("{error}");
        }
        if !bench.is_empty() {
            return Ok(serde_json::from_str(bench)?);
        }
        ensure!(Instant::now() < deadline, "no result within 600 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Bytes

/// One shipped file and its size as sent raw, gzip'd (level 9) and brotli'd (quality 11).
struct Asset {
    name: String,
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn asset(path: &Path, name: String) -> Result<Asset> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &params)?;
    Ok(Asset {
        name,
        raw: bytes.len(),
        gzip: support::gzip_size(&bytes)?,
        brotli: br.len(),
    })
}

/// Every file of the site (see `support::site_files` for why all of them count).
fn dist_assets(dist: &Path) -> Result<Vec<Asset>> {
    support::site_files(dist)?
        .into_iter()
        .map(|(name, path)| asset(&path, name))
        .collect()
}

/// The files the onnxruntime-web page fetched that a real page would ship: ort's JS and wasm
/// and the model (the bench page's own HTML and script are not counted, in ort's favour).
fn ort_assets(root: &Path, ort: &Value) -> Result<Vec<Asset>> {
    let mut files = Vec::new();
    for r in ort["resources"].as_array().context("no resources")? {
        let url = r["name"].as_str().unwrap_or("");
        let path = url.split("://").nth(1).and_then(|p| p.split_once('/'));
        let Some((_, path)) = path else { continue };
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if path.contains("node_modules/onnxruntime-web/") || path.ends_with(".onnx") {
            let name = path.rsplit('/').next().unwrap_or(path).to_owned();
            files.push(asset(&root.join(path), name)?);
        }
    }
    ensure!(
        files.iter().any(|f| f.name.ends_with(".wasm")),
        "the onnxruntime-web page fetched no .wasm"
    );
    files.sort_by_key(|f| std::cmp::Reverse(f.raw));
    Ok(files)
}

// ---------------------------------------------------------------------------------------
// Report

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1000.0)
}

fn total(files: &[Asset]) -> (usize, usize, usize) {
    files.iter().fold((0, 0, 0), |(r, g, b), f| {
        (r + f.raw, g + f.gzip, b + f.brotli)
    })
}

fn max_diff(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max)
}

/// A report section: the lines `write` gives to `line`, each ended by a newline.
fn section(write: impl FnOnce(&mut dyn FnMut(String))) -> String {
    let mut out = String::new();
    write(&mut |s: String| {
        out.push_str(&s);
        out.push('\n');
    });
    out
}

/// `a / b` as a ratio, `1.74x`.
fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b)
}

/// Milliseconds with three decimals.
fn ms3(x: f64) -> String {
    format!("{x:.3}")
}

/// The benchmark's printed report: bytes, cold start, latency, ratios, output agreement.
fn report(ours: &[Asset], ort: &[Asset], native: &Native, b: &Browser) -> String {
    [
        report_header(b),
        report_bytes(ours, ort),
        report_cold_start(native, b),
        report_latency(native, b),
        report_ratios(native, b),
        report_agreement(native, b),
    ]
    .concat()
}

/// The browsers compared.
fn report_header(b: &Browser) -> String {
    section(|line| {
        line(format!("\nChromium: {}", b.user_agent));
        line(format!(
            "onnxruntime-web {} (wasm, 1 thread, SIMD), cross-origin isolated: {}",
            b.ort["ortVersion"].as_str().unwrap_or("?"),
            b.ort["crossOriginIsolated"]
        ));
    })
}

/// What each page downloads, per file and in total.
fn report_bytes(ours: &[Asset], ort: &[Asset]) -> String {
    section(|line| {
        line("\n## Bytes shipped (gzip: level 9, brotli: quality 11)\n".into());
        line("| file | raw | gzip | brotli |".into());
        line("|---|---:|---:|---:|".into());
        for (who, files) in [("ours", ours), ("onnxruntime-web", ort)] {
            for a in files {
                line(format!(
                    "| {who}: {} | {} | {} | {} |",
                    a.name,
                    kb(a.raw),
                    kb(a.gzip),
                    kb(a.brotli)
                ));
            }
        }
        let (our_raw, our_gz, our_br) = total(ours);
        let (ort_raw, ort_gz, ort_br) = total(ort);
        line(format!(
            "| **ours, total** | **{}** | **{}** | **{}** |",
            kb(our_raw),
            kb(our_gz),
            kb(our_br)
        ));
        line(format!(
            "| **onnxruntime-web + model, total** | **{}** | **{}** | **{}** |",
            kb(ort_raw),
            kb(ort_gz),
            kb(ort_br)
        ));
        line(format!(
            "| ours / onnxruntime-web | {} | {} | {} |",
            ratio(our_raw as f64, ort_raw as f64),
            ratio(our_gz as f64, ort_gz as f64),
            ratio(our_br as f64, ort_br as f64)
        ));
    })
}

/// From navigation to a loaded model, first and warm visits.
fn report_cold_start(native: &Native, b: &Browser) -> String {
    section(|line| {
        let a = &b.app;
        line("\n## Cold start (ms since navigation start; loopback)\n".into());
        line("| | wasm fetched | module running | model parse+optimise | ready |".into());
        line("|---|---:|---:|---:|---:|".into());
        let mut load_row = |name: &str, l: &Load| {
            line(format!(
                "| {name} | {:.1} | {:.1} (+{:.1} compile+instantiate) | {:.1} | **{:.1}** |",
                l.wasm_fetched,
                l.started,
                l.started - l.wasm_fetched,
                l.model,
                l.ready
            ))
        };
        load_row("ours, first visit", &a.cold);
        load_row(
            &format!("ours, warm visit (median of {WARM_VISITS})"),
            &a.warm,
        );
        for (label, v) in &b.variants {
            load_row(&format!("ours, {label}, first visit"), &v.cold);
        }
        let mut ort_start = |visit: &str, report: &Value| {
            let n = |key: &str| report[key].as_f64().unwrap_or(f64::NAN);
            line(format!(
                "\nonnxruntime-web, {visit}: first session {:.1} ms = wasm fetch+instantiate {:.1} \
                 + session creation {:.1}; ready {:.1} ms after navigation start.",
                n("firstSessionMs"),
                n("wasmInitMs"),
                n("sessionMs"),
                n("readyMs")
            ));
            n("wasmInitMs") + n("sessionMs")
        };
        ort_start("first visit", &b.ort);
        let ort_warm_start = ort_start(
            &format!("warm visit (median of {WARM_VISITS})"),
            &b.ort_warm,
        );
        line(format!(
            "\nOur page load to ready / ort's wasm instantiate + session creation, both warm: \
             {:.1} / {:.1} = {}",
            a.warm.ready,
            ort_warm_start,
            ratio(a.warm.ready, ort_warm_start)
        ));
        line(format!(
            "Native tract, parse+optimise the model: {:.1} ms (wasm/native {})",
            native.load_ms,
            ratio(a.cold.model, native.load_ms)
        ));
    })
}

/// Inference and whole-frame times, wasm and native.
fn report_latency(native: &Native, b: &Browser) -> String {
    section(|line| {
        let a = &b.app;
        let ort_infer = &b.ort_infer;
        line(format!(
            "\n## Latency (ms; {} timed runs each, in {ROUNDS} rounds that visit every page in turn)\n",
            a.infer.n
        ));
        line("| | median | p95 | min | mean |".into());
        line("|---|---:|---:|---:|---:|".into());
        let mut row = |name: &str, s: &Stats| {
            line(format!(
                "| {name} | **{}** | {} | {} | {} |",
                ms3(s.median),
                ms3(s.p95),
                ms3(s.min),
                ms3(s.mean)
            ))
        };
        row("inference, tract wasm (ours)", &a.infer);
        row("inference, onnxruntime-web", ort_infer);
        for (label, v) in &b.variants {
            row(&format!("inference, tract wasm, {label}"), &v.infer);
        }
        row("inference, tract native", &native.infer);
        row("frame (normalise + infer), tract wasm (ours)", &a.frame);
        for (label, v) in &b.variants {
            row(&format!("frame, tract wasm, {label}"), &v.frame);
        }
        row("frame (normalise + infer), tract native", &native.frame);
    })
}

/// Ratios of the medians and p95s, each against its baseline from the same run.
fn report_ratios(native: &Native, b: &Browser) -> String {
    section(|line| {
        let a = &b.app;
        line("\n## Ratios\n".into());
        line("| | median | p95 |".into());
        line("|---|---:|---:|".into());
        let mut ratio_row = |name: &str, x: &Stats, y: &Stats| {
            line(format!(
                "| {name} | {} | {} |",
                ratio(x.median, y.median),
                ratio(x.p95, y.p95)
            ))
        };
        ratio_row(
            "inference: tract wasm / onnxruntime-web",
            &a.infer,
            &b.ort_infer,
        );
        ratio_row(
            "inference: tract wasm / tract native",
            &a.infer,
            &native.infer,
        );
        ratio_row("frame: tract wasm / tract native", &a.frame, &native.frame);
        for (label, v) in &b.variants {
            ratio_row(
                &format!("inference: {label} / shipped build"),
                &v.infer,
                &a.infer,
            );
            ratio_row(
                &format!("frame: {label} / shipped build"),
                &v.frame,
                &a.frame,
            );
        }
    })
}

/// The largest output differences on the benchmark input.
fn report_agreement(native: &Native, b: &Browser) -> String {
    section(|line| {
        let a = &b.app;
        let ort_output: Vec<f32> = b.ort["output"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_f64())
                    .map(|x| x as f32)
                    .collect()
            })
            .unwrap_or_default();

        line(format!(
            "\nOutputs on the benchmark input agree: max |wasm - native| = {:.2e}, max |tract - onnxruntime-web| = {:.2e}",
            max_diff(&a.output, &native.output),
            max_diff(&a.output, &ort_output)
        ));
    })
}

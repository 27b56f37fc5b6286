//! MNIST test digits and sums written on the page as a new user would, in headless Chromium
//! with real WebDriver pointer moves on `#pad`:
//! - each digit's skeleton traced into pen strokes (`mathsketch::skeleton`, the conversion
//!   the trainer uses), at a random size and place, read back from `#prediction`;
//! - generated sums (`support/lines.rs`: MNIST test digits as strokes and generated
//!   operators, the lines of tests/segmentation.rs from a seed of their own), fitted to the
//!   pad, read back from `#prediction` and `#answer`.
//!
//! CI replays fixed, seeded samples (`MATHSKETCH_REPLAY_DIGITS`, default 300;
//! `MATHSKETCH_REPLAY_SUMS`, default 40) against regression floors (`MIN_ACCURACY`,
//! `MIN_SUMS_READ`); the full runs are `MATHSKETCH_REPLAY_DIGITS=10000
//! MATHSKETCH_REPLAY_SUMS=400 cargo test --release --test replay -- --nocapture`. Needs
//! `dist/` like tests/browser.rs (`MATHSKETCH_SKIP_BROWSER=1` skips).
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/lines.rs"]
mod lines;
#[path = "support/seeded.rs"]
mod seeded;
mod support;

use seeded::{mnist_dir, Noise};

use std::path::PathBuf;

use anyhow::{ensure, Context, Result};
use fantoccini::{Client, Locator};
use mathsketch::skeleton;

use support::page::{connect, draw_strokes, js, pad_box, settle, wait_ready};
use support::{dist_dir, Chromedriver, StaticServer};

/// Regression floor, not the goal: the target is 98.5 %. Measured 98.7 % (296/300) with
/// models/symbols.onnx and the Lü–Wang skeletons (misses: 9 read as 3 and 4, 8 as 6, a 1 with
/// a stray piece as "11"); 98.3 % (295/300) since traced strokes keep meeting where they
/// branch (97.3 % before,
/// with the model before; misses: 6 read as 0, 7 as 3, 8 as 0 and 3, a 1 with a stray piece
/// beside it as "11"); 98.0 % (294/300) since the skeleton's ink mask keeps loops and joins faint pieces
/// and each digit's ink is placed on the pad (96.7 % before; 94.7 % before the segmentation
/// measured a lone digit by its longest stroke and learnt bars along a digit's top or base,
/// broken bars and specks). The misses: digits misread (8 as 0 or 3, 9 as 4 or 3), a 1 with
/// a stray piece beside it ("11") and a 5 whose flag floats far above it ("3−").
const MIN_ACCURACY: f64 = 0.96;
const DEFAULT_DIGITS: usize = 300;
/// The sample and the placements are fixed by this seed.
const SEED: u64 = 0x5EED_D161;
/// Regression floor for sums read exactly (text and answer both right), not the goal (95 %):
/// measured 39/40 (97.5 %) with models/symbols.onnx.
const MIN_SUMS_READ: f64 = 0.9;
const DEFAULT_SUMS: usize = 40;
/// The sums' seed: neither tests/segmentation.rs's nor one its rules were tuned on.
const SUMS_SEED: u64 = 0x5EED_5053;

fn count_from_env(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name} must be a number")),
        Err(_) => Ok(default),
    }
}

#[test]
fn mnist_test_digits_written_on_the_page_are_read() -> Result<()> {
    if std::env::var("MATHSKETCH_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("\n!!! MATHSKETCH_SKIP_BROWSER=1: the MNIST replay test is SKIPPED !!!\n");
        return Ok(());
    }
    let dist = dist_dir()?;
    let count = count_from_env("MATHSKETCH_REPLAY_DIGITS", DEFAULT_DIGITS)?;
    let test = mathsketch::idx::load_test(&mnist_dir()).context("MNIST test set")?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(dist, test, count))
}

async fn run(dist: PathBuf, test: mathsketch::idx::MnistSet, count: usize) -> Result<()> {
    in_chromium(dist, |c, url| async move {
        replay(&c, &url, &test, count).await
    })
    .await
}

/// Runs `check` on a fresh Chromium session against a static server of `dist`.
async fn in_chromium<F, Fut>(dist: PathBuf, check: F) -> Result<()>
where
    F: FnOnce(Client, String) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let server = StaticServer::start(dist).await?;
    let driver = Chromedriver::start().context("starting chromedriver")?;
    let client = connect(&driver)
        .await
        .context("opening a Chromium session")?;
    let result = check(client.clone(), server.url()).await;
    let _ = client.close().await;
    drop(driver);
    result
}

#[test]
fn generated_sums_written_on_the_page_are_read() -> Result<()> {
    if std::env::var("MATHSKETCH_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("\n!!! MATHSKETCH_SKIP_BROWSER=1: the sums replay test is SKIPPED !!!\n");
        return Ok(());
    }
    let dist = dist_dir()?;
    let count = count_from_env("MATHSKETCH_REPLAY_SUMS", DEFAULT_SUMS)?;
    let test = mathsketch::idx::load_test(&mnist_dir()).context("MNIST test set")?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(in_chromium(dist, |c, url| async move {
            write_sums(&c, &url, &test, count).await
        }))
}

/// `line`'s strokes scaled (never up) and moved to fit a `w` x `h` pad with a margin.
fn fitted(line: &lines::Line, w: f64, h: f64) -> Vec<Vec<(f64, f64)>> {
    let points = || line.strokes.iter().flatten();
    let (x0, x1) = points().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
    let (y0, y1) = points().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let margin = 0.05 * w.min(h);
    let (bw, bh) = (f64::from(x1 - x0).max(1.0), f64::from(y1 - y0).max(1.0));
    let scale = ((w - 2.0 * margin) / bw)
        .min((h - 2.0 * margin) / bh)
        .min(1.0);
    let top = (h - bh * scale) / 2.0;
    line.strokes
        .iter()
        .map(|s| {
            s.iter()
                .map(|p| {
                    (
                        margin + f64::from(p[0] - x0) * scale,
                        top + f64::from(p[1] - y0) * scale,
                    )
                })
                .collect()
        })
        .collect()
}

async fn write_sums(
    c: &Client,
    url: &str,
    test: &mathsketch::idx::MnistSet,
    count: usize,
) -> Result<()> {
    c.goto(url).await?;
    wait_ready(c).await?;
    let (_, _, w, h) = pad_box(c).await?;
    let by_digit = lines::by_digit(test);
    let mut noise = Noise(SUMS_SEED);
    let (mut right, mut misses) = (0usize, Vec::new());
    // Symbols written, and the edits (symbols missed, added or misread) between what was
    // written and what the page shows.
    let (mut symbols, mut edits) = (0usize, 0usize);
    for k in 0..count {
        let text = lines::random_text(&mut noise);
        let line = lines::layout(&text, test, &by_digit, &mut noise);
        let want = mathsketch::expression::read_symbols(line.symbols.clone());
        c.find(Locator::Css("#clear")).await?.click().await?;
        settle(c).await?;
        draw_strokes(c, &fitted(&line, w, h)).await?;
        let shown = js(
            c,
            "return [document.getElementById('prediction').textContent,
                     document.getElementById('answer').textContent];",
        )
        .await?;
        let field = |i: usize| shown[i].as_str().unwrap_or("").trim().to_owned();
        let (read, answer) = (field(0), field(1));
        let wanted = want.value.clone().unwrap_or_default();
        symbols += want.text.chars().count();
        edits += edit_distance(&want.text, &read);
        if read == want.text && answer == wanted {
            right += 1;
        } else {
            misses.push(format!(
                "sum {k}: wrote {} = {wanted:?}, the page shows {read:?} = {answer:?}",
                want.text
            ));
        }
    }
    let accuracy = right as f64 / count.max(1) as f64;
    eprintln!(
        "generated sums written on the page: {right}/{count} read exactly ({:.2}%); symbols \
         {:.2}% right ({edits} edits from {symbols} written)",
        100.0 * accuracy,
        100.0 * (1.0 - edits as f64 / symbols.max(1) as f64)
    );
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    support::page::expect_no_page_errors(c).await?;
    ensure!(
        accuracy >= MIN_SUMS_READ,
        "{:.2}% of the sums read exactly, below {:.1}%",
        100.0 * accuracy,
        100.0 * MIN_SUMS_READ
    );
    Ok(())
}

/// Levenshtein distance between `a` and `b` in symbols (chars: `−`, `×` and `÷` are one each).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[test]
fn edit_distance_counts_symbols() {
    assert_eq!(edit_distance("12+7=", "12+7="), 0);
    assert_eq!(edit_distance("12+7=", "17+7="), 1);
    assert_eq!(edit_distance("12×7=", "12+7="), 1);
    assert_eq!(edit_distance("12−7=", "127="), 1);
    assert_eq!(edit_distance("", "4÷2"), 3);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

async fn replay(
    c: &Client,
    url: &str,
    test: &mathsketch::idx::MnistSet,
    count: usize,
) -> Result<()> {
    c.goto(url).await?;
    wait_ready(c).await?;
    let (_, _, w, h) = pad_box(c).await?;
    let mut noise = Noise(SEED);
    // A sample without repeats: a seeded shuffle of the test set's indices.
    let mut order: Vec<usize> = (0..test.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (noise.next_u64() % (i as u64 + 1)) as usize);
    }
    let (mut right, mut misses) = (0usize, Vec::new());
    let count = count.min(order.len());
    for &i in &order[..count] {
        // A digit 25-80 % of the pad's height (capped by its width), anywhere it fits.
        let height = noise.range_f64(0.25, 0.8) * h.min(w);
        let scale = height / 20.0;
        // Lone skeleton pixels are specks of scanner noise, not something a person draws.
        let paths: Vec<Vec<[f32; 2]>> = skeleton::digit_paths(&test.images[i], scale as f32, 1)
            .into_iter()
            .filter(|p| p.len() > 1)
            .collect();
        // Anywhere the ink fits on the pad: a stroke that starts off the pad draws nothing,
        // as a pen put down beside the paper. (Placing the 28-px field instead left the ink
        // of some tall digits hanging over the pad's edge.)
        let points = || {
            paths
                .iter()
                .flatten()
                .map(|p| [f64::from(p[0]), f64::from(p[1])])
        };
        let (x0, x1) = points().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
        let (y0, y1) = points().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
        let margin = 2.0;
        let (x_off, y_off) = (
            noise.range_f64(margin - x0, (w - margin - x1).max(margin - x0)),
            noise.range_f64(margin - y0, (h - margin - y1).max(margin - y0)),
        );
        let strokes: Vec<Vec<(f64, f64)>> = paths
            .iter()
            .map(|p| {
                p.iter()
                    .map(|&[x, y]| (x_off + f64::from(x), y_off + f64::from(y)))
                    .collect()
            })
            .collect();
        c.find(Locator::Css("#clear")).await?.click().await?;
        settle(c).await?;
        draw_strokes(c, &strokes).await?;
        let read = js(
            c,
            "return document.getElementById('prediction').textContent",
        )
        .await?
        .as_str()
        .unwrap_or("")
        .trim()
        .to_owned();
        let label = test.labels[i].to_string();
        if read == label {
            right += 1;
        } else {
            misses.push(format!("test #{i} ({label}) read as {read:?}"));
        }
    }
    let accuracy = right as f64 / count.max(1) as f64;
    eprintln!(
        "MNIST test digits written on the page: {right}/{count} read right ({:.2}%)",
        100.0 * accuracy
    );
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    support::page::expect_no_page_errors(c).await?;
    ensure!(
        accuracy >= MIN_ACCURACY,
        "{:.2}% read right, below {:.1}%",
        100.0 * accuracy,
        100.0 * MIN_ACCURACY
    );
    Ok(())
}

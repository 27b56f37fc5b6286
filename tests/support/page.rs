//! Driving the app's page in Chromium through WebDriver: shared by the end-to-end test
//! (`tests/browser.rs`) and the benchmark (`benches/page.rs`).

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::{Client, ClientBuilder};
use serde_json::Value;

use super::digits::{self, Drawing, Placement};
use super::Chromedriver;

/// A WebDriver session on `driver`'s headless Chromium.
pub async fn connect(driver: &Chromedriver) -> Result<Client> {
    Ok(
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(driver.capabilities())
            .connect(&driver.url())
            .await?,
    )
}

/// Waits for `body[data-ready=true]`; fails at once with the page's message if the model
/// could not be loaded or the app did not start.
pub async fn wait_ready(c: &Client) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = js(
            c,
            "const b = document.body; const f = document.getElementById('fatal');
             return [b && b.dataset.ready || '', b && b.dataset.modelError || '',
                     f && !f.hidden ? f.textContent : '', (window.mathsketchErrors || []).join(' | ')];",
        )
        .await?;
        let field = |i: usize| state[i].as_str().unwrap_or("").to_owned();
        if field(0) == "true" {
            return Ok(());
        }
        if !field(1).is_empty() || !field(2).is_empty() {
            bail!(
                "the page did not become ready: {} {} {}",
                field(1),
                field(2),
                field(3)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "body[data-ready=true] not set within 60 s; page errors: {}",
                field(3)
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub async fn js(c: &Client, script: &str) -> Result<Value> {
    Ok(c.execute(script, vec![]).await?)
}

/// Resolves after two animation frames, so the app's pending frame has run.
/// Fails when the page reported a console or page error (or has no error hook).
pub async fn expect_no_page_errors(c: &Client) -> Result<()> {
    let errors = js(
        c,
        "return window.mathsketchErrors || ['no error hook installed']",
    )
    .await?;
    ensure!(
        errors.as_array().is_some_and(|a| a.is_empty()),
        "console/page errors: {errors}"
    );
    Ok(())
}

pub async fn settle(c: &Client) -> Result<()> {
    c.execute_async(
        "const done = arguments[arguments.length - 1];
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await?;
    Ok(())
}

/// The pad's box in viewport CSS pixels: (left, top, width, height).
pub async fn pad_box(c: &Client) -> Result<(f64, f64, f64, f64)> {
    let v = js(
        c,
        "const p = document.getElementById('pad'); p.scrollIntoView({block: 'center'});
         const r = p.getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
    )
    .await?;
    let n = |i: usize| v[i].as_f64().unwrap_or(0.0);
    ensure!(n(2) > 50.0 && n(3) > 50.0, "pad too small: {v}");
    Ok((n(0), n(1), n(2), n(3)))
}

/// Draws `d` on the pad with real WebDriver pointer input: for each stroke a mouse move to
/// its start, button down, a move per sampled point, button up.
pub async fn draw(c: &Client, d: &Drawing, at: Placement) -> Result<()> {
    let (_, _, w, h) = pad_box(c).await?;
    draw_strokes(c, &digits::place(d, at, w, h, 5.0)).await
}

/// Draws strokes given in pad CSS pixels (origin at the pad's top left) with real WebDriver
/// pointer input, then lets the app's frame run.
pub async fn draw_strokes(c: &Client, strokes: &[Vec<(f64, f64)>]) -> Result<()> {
    let (left, top, _, _) = pad_box(c).await?;
    let mut mouse = MouseActions::new("pen".into());
    for stroke in strokes {
        let Some(&(x0, y0)) = stroke.first() else {
            continue;
        };
        mouse = mouse
            .then(PointerAction::MoveTo {
                duration: Some(Duration::ZERO),
                x: (left + x0).round(),
                y: (top + y0).round(),
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            });
        for &(x, y) in &stroke[1..] {
            mouse = mouse.then(PointerAction::MoveTo {
                duration: Some(Duration::ZERO),
                x: (left + x).round(),
                y: (top + y).round(),
            });
        }
        mouse = mouse.then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    }
    c.perform_actions(mouse).await?;
    c.release_actions().await?;
    settle(c).await
}

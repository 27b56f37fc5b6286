//! End to end in real headless Chromium against the real server and the real trunk build:
//! the page loads with no console errors under the server's CSP, keeps working (drawing and
//! predicting) with the server stopped and the network off, and picks up a new deploy.
//!
//! Needs `trunk build --release` first (dist/, or $MATHSKETCH_DIST) and chromium +
//! chromedriver (scripts/setup); `MATHSKETCH_SKIP_BROWSER=1` skips it.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// The trunk build to test. Like tests/browser.rs, a missing build or browser is a failure,
/// not a silent pass; `MATHSKETCH_SKIP_BROWSER=1` skips deliberately, and loudly.
fn real_dist() -> Option<PathBuf> {
    if std::env::var("MATHSKETCH_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("\n!!! MATHSKETCH_SKIP_BROWSER=1: the offline end-to-end test is SKIPPED !!!\n");
        return None;
    }
    let dist = std::env::var_os("MATHSKETCH_DIST")
        .map(|d| workspace().join(d))
        .unwrap_or_else(|| workspace().join("dist"));
    assert!(
        dist.join("index.html").is_file(),
        "no trunk build at {} (run `trunk build --release` first; scripts/test does)",
        dist.display()
    );
    assert!(
        chromedriver_path().is_file() && Path::new("/usr/bin/chromium").is_file(),
        "chromium / chromedriver missing (scripts/setup installs them)"
    );
    Some(dist)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// chromedriver (and the Chromium it starts) in a process group of their own, killed as a
/// group on drop so no browser outlives the test.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("spawn chromedriver");
        let driver = Driver { child, port };
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// A raw WebDriver call, for Chromium's own endpoints that fantoccini does not wrap.
    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let r = request(
            ([127, 0, 0, 1], self.port).into(),
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        if pid > 1 {
            // SAFETY: signals only the process group we created for chromedriver.
            unsafe {
                libc::killpg(pid, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
    }
}

async fn connect(driver: &Driver, profile: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1000,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("WebDriver session")
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap_or(Value::Null)
}

/// Polls `script` (a function body returning a value) until it returns true.
async fn wait_true(client: &Client, script: &str, timeout: Duration, what: &str) {
    let deadline = Instant::now() + timeout;
    loop {
        if js(client, script).await == Value::Bool(true) {
            return;
        }
        if Instant::now() > deadline {
            let state = js(client, "return {status: document.getElementById('status')?.textContent, badge: document.getElementById('net-status')?.outerHTML, prediction: document.getElementById('prediction')?.textContent, strokes: document.getElementById('pad')?.dataset.strokes, errors: window.mathsketchErrors, controller: !!navigator.serviceWorker?.controller}").await;
            panic!("timed out waiting for {what}; page state: {state}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Browser console entries at level SEVERE since the last call (chromedriver's log endpoint).
fn severe_console_entries(driver: &Driver, session: &str) -> Vec<String> {
    let log = driver.call(
        "POST",
        &format!("/session/{session}/se/log"),
        &json!({"type": "browser"}),
    );
    log["value"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Draws a "1": one vertical stroke through the middle of the pad, with real mouse input.
async fn draw_one(client: &Client) {
    let pad = client.find(Locator::Id("pad")).await.expect("#pad");
    let (_, _, _, h) = pad.rectangle().await.expect("pad size");
    let mut stroke = MouseActions::new("pen".to_string())
        .then(PointerAction::MoveToElement {
            element: pad.clone(),
            duration: None,
            x: 2.0,
            y: -h * 0.32,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for i in 1..=16 {
        let t = f64::from(i) / 16.0;
        stroke = stroke.then(PointerAction::MoveToElement {
            element: pad.clone(),
            duration: Some(Duration::from_millis(15)),
            x: 2.0 - 4.0 * t,
            y: -h * 0.32 + h * 0.64 * t,
        });
    }
    stroke = stroke.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    client.perform_actions(stroke).await.expect("draw");
    client.release_actions().await.expect("release the mouse");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn sw_version(site: &Path) -> String {
    let sw = std::fs::read_to_string(site.join("sw.js")).unwrap();
    let line = sw
        .lines()
        .find(|l| l.starts_with("const VERSION = "))
        .expect("VERSION line");
    line.trim_start_matches("const VERSION = \"")
        .trim_end_matches("\";")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_offline_and_picks_up_a_new_deploy() {
    let Some(dist) = real_dist() else { return };
    let work = TempDir::new("e2e");
    let v1 = work.path().join("v1");
    copy_dir(&dist, &v1);
    let v1_version = sw_version(&v1);
    assert_ne!(
        v1_version, "dev",
        "dist/sw.js was not filled by scripts/sw-precache.sh"
    );

    let mut server = Server::start(&["--dist", v1.to_str().unwrap()]);
    let port = server.addr.port();
    let base = format!("http://127.0.0.1:{port}/");
    let driver = Driver::start();
    let client = connect(&driver, &work.path().join("profile")).await;
    let session = client.session_id().await.unwrap().expect("session id");

    // 1. First visit, online: the app starts, the worker precaches the build and takes over.
    client.goto(&base).await.expect("open the app");
    wait_true(
        &client,
        "return document.body.dataset.ready === 'true'",
        Duration::from_secs(60),
        "the app to start",
    )
    .await;
    wait_true(
        &client,
        "return document.getElementById('net-status').dataset.offlineReady === 'true' && !!navigator.serviceWorker.controller",
        Duration::from_secs(30),
        "the service worker to be ready and in control",
    )
    .await;
    let errors = severe_console_entries(&driver, &session);
    assert!(
        errors.is_empty(),
        "console errors on first load (CSP?): {errors:#?}"
    );
    // The worker precaches the content-hashed files through the HTTP cache the page has just
    // filled, so the first visit downloads the 1.9 MB wasm once, not a second time for the
    // precache. (The access log is written in batches: give it a moment.)
    std::thread::sleep(Duration::from_secs(1));
    let wasm_requests: Vec<String> = server
        .log_lines()
        .into_iter()
        .filter(|l| l.contains("_bg.wasm"))
        .collect();
    assert_eq!(
        wasm_requests.len(),
        1,
        "the first visit should fetch the wasm once: {wasm_requests:#?}"
    );
    assert_eq!(
        js(&client, "return window.mathsketchErrors.length").await,
        json!(0)
    );

    // 2. Server gone and network off: reload, draw, predict.
    let status = server.terminate(Duration::from_secs(10));
    assert!(status.success());
    let offline = driver.call(
        "POST",
        &format!("/session/{session}/chromium/network_conditions"),
        &json!({"network_conditions": {"offline": true, "latency": 0, "download_throughput": 1_000_000, "upload_throughput": 1_000_000}}),
    );
    assert!(
        offline["value"].is_null(),
        "could not switch the network off: {offline}"
    );
    client.refresh().await.expect("reload offline");
    wait_true(
        &client,
        "return document.body.dataset.ready === 'true'",
        Duration::from_secs(60),
        "the app to start offline",
    )
    .await;
    wait_true(
        &client,
        "return document.getElementById('net-status').dataset.state === 'offline' && !document.getElementById('net-status').hidden",
        Duration::from_secs(10),
        "the offline badge",
    )
    .await;
    let badge = client
        .find(Locator::Id("net-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(badge.contains("Offline"), "badge says {badge:?}");
    draw_one(&client).await;
    wait_true(
        &client,
        "return document.getElementById('prediction').textContent.trim() === '1'",
        Duration::from_secs(10),
        "the prediction 1 offline",
    )
    .await;
    driver.call(
        "DELETE",
        &format!("/session/{session}/chromium/network_conditions"),
        &json!({}),
    );

    // 3. A new deploy on the same origin: a changed page, sw.js regenerated by the hook.
    let v2 = work.path().join("v2");
    copy_dir(&v1, &v2);
    let html = std::fs::read_to_string(v2.join("index.html")).unwrap();
    assert!(html.contains("<body"));
    std::fs::write(
        v2.join("index.html"),
        html.replacen("<body", "<body data-build=\"v2\"", 1),
    )
    .unwrap();
    let hook = Command::new("bash")
        .arg(workspace().join("scripts/sw-precache.sh"))
        .env("TRUNK_STAGING_DIR", &v2)
        .status()
        .expect("run sw-precache.sh");
    assert!(hook.success());
    let v2_version = sw_version(&v2);
    assert_ne!(v2_version, v1_version);
    let addr = format!("127.0.0.1:{port}");
    let _server2 = Server::start(&["--dist", v2.to_str().unwrap(), "--addr", &addr]);

    client.refresh().await.expect("reload after deploy");
    wait_true(
        &client,
        "return document.body.dataset.ready === 'true'",
        Duration::from_secs(60),
        "the app to start",
    )
    .await;
    wait_true(
        &client,
        "return document.getElementById('net-status').dataset.state === 'update'",
        Duration::from_secs(60),
        "the update prompt",
    )
    .await;
    client
        .find(Locator::Id("sw-reload"))
        .await
        .expect("reload button")
        .click()
        .await
        .expect("click reload");
    wait_true(
        &client,
        "return document.body.dataset.build === 'v2' && document.body.dataset.ready === 'true'",
        Duration::from_secs(60),
        "the new build to show",
    )
    .await;
    let keys = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; caches.keys().then(done);",
            vec![],
        )
        .await
        .expect("caches.keys");
    assert_eq!(
        keys,
        json!([format!("mathsketch-{v2_version}")]),
        "old caches must be gone"
    );
    let errors = severe_console_entries(&driver, &session);
    assert!(
        errors
            .iter()
            .all(|e| !e.contains("Content Security Policy")),
        "CSP errors: {errors:#?}"
    );

    client.close().await.expect("close the session");
}

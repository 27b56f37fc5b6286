//! `mathsketch-server`: the MathSketch site, `POST /api/predict` and `POST /api/read` in one
//! small binary.
//!
//! ```text
//! mathsketch-server [--addr 127.0.0.1:8080] [--dist DIR]
//! ```
//! Environment equivalents: `MATHSKETCH_ADDR`, `MATHSKETCH_DIST`; `RUST_LOG` sets log levels.
//! Without `--dist` the site embedded at build time is served. See server/README.md.

mod admission;
mod compress;
mod predict;
mod shards;
mod site;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::{info, warn};

use crate::predict::Predictor;
use crate::site::Site;
use mathsketch_server::body::ApiError;

const USAGE: &str = "\
usage: mathsketch-server [--addr HOST:PORT] [--dist DIR]

  --addr HOST:PORT  address to listen on (env MATHSKETCH_ADDR; default 127.0.0.1:8080;
                    port 0 picks a free port, printed in the 'listening' log line)
  --dist DIR        serve this trunk output instead of the site embedded at build time
                    (env MATHSKETCH_DIST); it is loaded into memory at startup
  -h, --help        this help
  -V, --version     version
";

const OPENAPI: &str = include_str!("../openapi.json");
/// How long in-flight requests get to finish after SIGTERM/Ctrl-C before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// No request may take longer than this end to end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// CPU-bound API requests computing at once, per core: predictions are pure CPU, so more
/// than a couple per core only adds latency (and memory: each may decode a large image).
const API_SLOTS_PER_CORE: usize = 2;
/// API requests that may wait for a slot, per slot; beyond them the answer is 503 at once.
const API_QUEUE_PER_SLOT: usize = 2;
/// Longest a queued API request waits for a slot before it is answered 503.
const API_QUEUE_WAIT: Duration = Duration::from_secs(2);

struct Config {
    addr: SocketAddr,
    dist: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Config>> {
    let mut addr = std::env::var("MATHSKETCH_ADDR")
        .ok()
        .filter(|s| !s.is_empty());
    let mut dist = std::env::var_os("MATHSKETCH_DIST")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone().or_else(|| args.next()) {
                Some(v) => Ok(v),
                None => bail!("{name} needs a value\n\n{USAGE}"),
            }
        };
        match flag.as_str() {
            "--addr" => addr = Some(value("--addr")?),
            "--dist" => dist = Some(PathBuf::from(value("--dist")?)),
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("mathsketch-server {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    let addr = addr.as_deref().unwrap_or("127.0.0.1:8080");
    let addr = addr
        .parse()
        .with_context(|| format!("--addr {addr:?} is not HOST:PORT"))?;
    Ok(Some(Config { addr, dist }))
}

fn main() -> Result<()> {
    let Some(config) = parse_args()? else {
        return Ok(());
    };
    let _log_guard = init_tracing();
    shards::runtime(api_slots())?.block_on(serve(config))
}

/// Logs go to stderr through a background writer thread: request handlers only queue a
/// line, and the thread writes them in batches, so logging every request costs no syscall
/// on the request path. The guard flushes what is queued when main returns.
fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    // Not lossy: under a flood the queue applies back-pressure rather than dropping lines.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false)
        .init();
    guard
}

struct App {
    site: Site,
    csp: HeaderValue,
    predictor: Arc<Predictor>,
}

async fn serve(config: Config) -> Result<()> {
    let app = load(&config).await?;
    let listener = std::net::TcpListener::bind(config.addr)
        .with_context(|| format!("binding {}", config.addr))?;
    run(listener, service(app)).await
}

/// The site (from `--dist` or embedded), its Content-Security-Policy and the model. A model
/// that fails to load is logged and the API answers 503; the site is served regardless.
async fn load(config: &Config) -> Result<Arc<App>> {
    let site = match &config.dist {
        Some(dir) => Site::from_dir(dir)?,
        None => Site::embedded()?,
    };
    if site.is_empty() {
        warn!("the site is empty: this binary was built before `trunk build`; pass --dist DIR to serve one");
    }
    let csp = HeaderValue::from_str(&content_security_policy(&site.inline_script_hashes))
        .context("building the Content-Security-Policy")?;
    info!(site = %site.description, files = site.len(), inline_scripts = site.inline_script_hashes.len(), "site loaded");

    let classifier = tokio::task::spawn_blocking(mathsketch::classifier::Classifier::embedded)
        .await
        .context("loading the model")?
        .map_err(|e| e.to_string());
    if let Err(e) = &classifier {
        warn!(error = %e, "the model is unavailable: /api/predict will answer 503");
    }
    let slots = api_slots();
    let admission = admission::Admission::new(slots, slots * API_QUEUE_PER_SLOT, API_QUEUE_WAIT);
    let predictor = Arc::new(Predictor::new(classifier, admission));
    Ok(Arc::new(App {
        site,
        csp,
        predictor,
    }))
}

/// The routes, wrapped in the access log, the security headers and the request timeout.
fn service(app: Arc<App>) -> impl shards::App {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route(
            "/api/predict",
            axum::routing::post(predict::handle)
                .fallback(api_method_not_allowed)
                .with_state(app.predictor.clone()),
        )
        .route(
            "/api/read",
            axum::routing::post(predict::handle_read)
                .fallback(api_method_not_allowed)
                .with_state(app.predictor.clone()),
        )
        .route("/api/{*rest}", any(api_not_found))
        .fallback(static_file)
        .with_state(app.clone());
    // The layers wrap the router as a whole, not each route (`Router::layer` would box the
    // stack once per layer and clone every box per request: a tenth of a static
    // response's CPU in a profile under load).
    tower::ServiceBuilder::new()
        .layer(middleware::from_fn(access_log))
        // The security headers of every response (static, API, errors): the CSP (which names
        // index.html's inline loader by hash), no MIME sniffing, no referrer, no framing
        // (X-Frame-Options for browsers that predate frame-ancestors), a window of our own.
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            app.csp.clone(),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .service(router)
}

/// Serves `service` on `listener` until a shutdown signal, then lets in-flight requests finish
/// for up to [`SHUTDOWN_GRACE`].
async fn run(listener: std::net::TcpListener, service: impl shards::App) -> Result<()> {
    let local = listener.local_addr()?;
    info!("listening on http://{local}/");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        info!("shutdown requested: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let shards = shards::Shards::start(listener, service, api_slots(), stop_rx.clone())?;
    let mut deadline_rx = stop_rx;
    tokio::select! {
        result = shards.finished() => result?,
        _ = async move {
            let _ = deadline_rx.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => warn!("connections still open after {SHUTDOWN_GRACE:?}: exiting anyway"),
    }
    info!("stopped");
    Ok(())
}

fn api_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * API_SLOTS_PER_CORE
}

/// Only the app's own origin, plus 'wasm-unsafe-eval' for compiling the wasm and the exact
/// hashes of the inline loader trunk writes into index.html; nothing may frame the app.
fn content_security_policy(inline_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in inline_hashes {
        script_src.push(' ');
        script_src.push_str(h);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// One log line per request, written when the response is ready.
async fn access_log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    // A clone shares the request's bytes: no copy of the path.
    let uri = req.uri().clone();
    let res = next.run(req).await;
    // Debug formatting escapes control bytes, and long paths are cut: requests cannot forge
    // or flood log lines.
    let path = uri.path();
    let cut = path.char_indices().nth(200).map_or(path.len(), |(i, _)| i);
    info!(
        method = %method,
        path = ?&path[..cut],
        status = res.status().as_u16(),
        us = start.elapsed().as_micros() as u64,
        "request"
    );
    res
}

async fn static_file(State(app): State<Arc<App>>, req: Request) -> Response {
    app.site
        .respond(req.method(), req.uri().path(), req.headers())
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let mut res = Json(serde_json::json!({
        "status": "ok",
        "model": app.predictor.model_ready(),
        "api_capacity": app.predictor.capacity(),
        "site_files": app.site.len(),
    }))
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn openapi() -> Response {
    let mut res = ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn api_not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no API endpoint {} {}", req.method(), req.uri().path()),
    )
}

async fn api_method_not_allowed(req: Request) -> Response {
    let mut res = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} {} is not supported: use POST",
            req.method(),
            req.uri().path()
        ),
    )
    .into_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    res
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

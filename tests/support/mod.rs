//! Helpers for the browser end-to-end test: a loopback static file server for `dist/`, a
//! chromedriver that is always killed (with its Chromium) when the test ends, a scratch dir.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod digits;
pub mod page;

use std::io;

use anyhow::Context as _;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> io::Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The release site to test: `$MATHSKETCH_DIST` or `dist/`, which must hold `index.html`
/// and a `.wasm` (this builds nothing: `trunk build --release` first, as scripts/test does).
pub fn dist_dir() -> anyhow::Result<PathBuf> {
    let dist = std::env::var_os("MATHSKETCH_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"));
    let has_wasm = std::fs::read_dir(&dist)
        .with_context(|| {
            format!(
                "no web build at {} — run `trunk build --release` first (scripts/test does)",
                dist.display()
            )
        })?
        .filter_map(|e| e.ok())
        .any(|e| e.path().extension().is_some_and(|x| x == "wasm"));
    anyhow::ensure!(
        dist.join("index.html").is_file() && has_wasm,
        "{} has no index.html or .wasm — rebuild with `trunk build --release`",
        dist.display()
    );
    Ok(dist)
}

/// How many bytes `bytes` take gzip'd at level 9, as a static host or our server sends them.
pub fn gzip_size(bytes: &[u8]) -> io::Result<usize> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}

/// How many bytes `bytes` take brotli'd at quality 11 (the largest standard window), as
/// `scripts/precompress.sh` writes them for static hosts.
pub fn brotli_size(bytes: &[u8]) -> io::Result<usize> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out.len())
}

/// Every file of the site under `dist` (trunk's hidden staging dir aside), as (path relative
/// to `dist`, absolute path), largest first. A first visit downloads all of them: the page
/// fetches its own assets and the service worker precaches the rest (icons, manifest).
pub fn site_files(dist: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let mut dirs = vec![dist.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if is_twin(&path) {
                // scripts/precompress.sh's x.br / x.gz: another encoding of x, not a file
                // of the site.
                continue;
            } else {
                let rel = path.strip_prefix(dist).unwrap_or(&path);
                files.push((rel.to_string_lossy().into_owned(), path.clone()));
            }
        }
    }
    files.sort_by_key(|(_, p)| std::cmp::Reverse(p.metadata().map(|m| m.len()).unwrap_or(0)));
    Ok(files)
}

/// Whether `path` is a precompressed twin (`x.br`, `x.gz`) of a file `x` beside it.
pub fn is_twin(path: &Path) -> bool {
    let name = path.to_string_lossy();
    [".br", ".gz"].iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|base| Path::new(base).is_file())
    })
}

/// A free TCP port on loopback (the OS picks; released for the caller to bind).
pub fn free_port() -> io::Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The MIME type for a file name; browsers refuse to stream-compile wasm served otherwise.
pub fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Maps a request path to a file under `root`: `/` is `index.html`; the query is dropped;
/// anything that could step outside `root` is refused.
pub fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let rel = Path::new(rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

/// Serves the files under a directory over HTTP/1.1 on 127.0.0.1 until dropped.
pub struct StaticServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl StaticServer {
    pub async fn start(root: PathBuf) -> io::Result<Self> {
        Self::start_with_headers(root, "Cache-Control: no-store\r\n").await
    }

    /// Like [`StaticServer::start`], but every response carries `headers` (each line ending
    /// in CRLF) instead of `Cache-Control: no-store`.
    pub async fn start_with_headers(root: PathBuf, headers: &'static str) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let root = root.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, &root, headers).await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers one request and closes the connection (simple and enough for a page load).
async fn serve_one(mut stream: TcpStream, root: &Path, headers: &str) -> io::Result<()> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 64 * 1024 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let file = resolve(root, path);
    let body = match (&file, method) {
        (Some(f), "GET" | "HEAD") => std::fs::read(f).ok(),
        _ => None,
    };
    let response = match (body, file) {
        (Some(body), Some(file)) => {
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n",
                mime_type(&file),
                body.len()
            )
            .into_bytes();
            if method == "GET" {
                out.extend_from_slice(&body);
            }
            out
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    stream.write_all(&response).await?;
    stream.shutdown().await
}

/// A chromedriver in its own process group. Dropping it kills the whole group (chromedriver and
/// the Chromium it started) with `killpg`, so a failing test leaves no browser behind.
pub struct Chromedriver {
    child: Child,
    port: u16,
    pub profile: TempDir,
}

impl Chromedriver {
    pub fn start() -> io::Result<Self> {
        use std::os::unix::process::CommandExt;

        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port()?;
        let profile = TempDir::new("mathsketch-chromium")?;
        let log = std::fs::File::create(profile.path().join("chromedriver.log"))?;
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {binary}: {e}")))?;
        let driver = Self {
            child,
            port,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "chromedriver did not listen within 20 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Capabilities for headless Chromium as root on a small machine with no network.
    pub fn capabilities(&self) -> serde_json::Map<String, serde_json::Value> {
        let user_data = self.profile.path().join("profile");
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", user_data.display()),
                ]
            },
            "goog:loggingPrefs": { "browser": "ALL" }
        });
        match caps {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // Never signal pid 0/1 or a negative id: that would reach every process we may see.
        if pid > 1 {
            // SAFETY: killpg only sends a signal; the group is the one chromedriver leads
            // (process_group(0) made its pid the group id).
            unsafe {
                libc::killpg(pid, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
    }
}

//! Shared by the server's integration tests: runs the real `mathsketch-server` binary on a
//! random loopback port, and speaks raw HTTP/1.1 to it so that request targets reach the
//! server exactly as written (a normal client would clean up `/../` before sending).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mathsketch-server");

/// The workspace root (server/..).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

/// A running server; SIGKILLed on drop if still alive.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary with `args` (plus `--addr 127.0.0.1:0` unless `args` has --addr)
    /// and waits for its "listening" log line.
    pub fn start(args: &[&str]) -> Server {
        Self::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        if !args.contains(&"--addr") {
            cmd.args(["--addr", "127.0.0.1:0"]);
        }
        cmd.args(args)
            .env_remove("MATHSKETCH_ADDR")
            .env_remove("MATHSKETCH_DIST")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mathsketch-server");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        // Drain stderr for the server's whole life: a full pipe would block its logging.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest
                        .split(|c: char| c == '/' || c.is_whitespace())
                        .next()
                        .unwrap_or("");
                    if let Ok(a) = addr.parse::<SocketAddr>() {
                        let _ = tx.send(a);
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not start; log:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server { addr, child, log }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, then waits up to `within` for the exit; returns the exit status.
    pub fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.pid();
        assert!(pid > 1, "refusing to signal pid {pid}");
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server still running {within:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request(self.addr, "GET", path, headers, &[])
    }

    pub fn post(&self, path: &str, content_type: Option<&str>, body: &[u8]) -> Response {
        let mut h = Vec::new();
        if let Some(ct) = content_type {
            h.push(("Content-Type", ct));
        }
        request(self.addr, "POST", path, &h, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error` message of a JSON error answer.
    pub fn error(&self) -> String {
        let j = self.json();
        j["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no \"error\" string in {j}"))
            .to_string()
    }
}

/// Sends one request (with `Connection: close` and, for a body, Content-Length).
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    raw_request(addr, &raw)
}

/// Writes `raw` as is and reads the whole answer.
pub fn raw_request(addr: SocketAddr, raw: &[u8]) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (e.g. 413) and close before taking the whole body: fine.
    let _ = s.write_all(raw);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse_response(&buf)
        .unwrap_or_else(|| panic!("unparsable response: {:?}", String::from_utf8_lossy(&buf)))
}

pub fn parse_response(buf: &[u8]) -> Option<Response> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(
            std::str::from_utf8(&data[..line_end])
                .ok()?
                .split(';')
                .next()?
                .trim(),
            16,
        )
        .ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!(
            "mathsketch-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
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

/// A small site shaped like trunk's output, next to a secret file that must never be served.
pub struct Fixture {
    pub root: TempDir,
    pub site: PathBuf,
    pub secret: &'static str,
}

pub const INLINE_SCRIPT: &str = "\nimport init from './app-0123456789abcdef.js';\nawait init({ module_or_path: './app-0123456789abcdef_bg.wasm' });\n";

pub fn fixture() -> Fixture {
    let root = TempDir::new("site");
    let site = root.path().join("dist");
    std::fs::create_dir_all(site.join("icons")).unwrap();
    let secret = "TOP-SECRET-4f1d9c: never served";
    std::fs::write(root.path().join("secret.txt"), secret).unwrap();
    let html = format!(
        "<!doctype html><html><head><title>fixture</title>{}<script type=\"module\">{INLINE_SCRIPT}</script>\
         <link rel=\"stylesheet\" href=\"./style-0123456789abcdef.css\"></head><body>{}</body></html>\n",
        "<meta name=\"x\" content=\"y\">".repeat(20),
        "<p>hello</p>".repeat(50)
    );
    std::fs::write(site.join("index.html"), html).unwrap();
    std::fs::write(
        site.join("app-0123456789abcdef.js"),
        "export default function init() {}\n".repeat(40),
    )
    .unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend(std::iter::repeat_n(0u8, 4000));
    std::fs::write(site.join("app-0123456789abcdef_bg.wasm"), wasm).unwrap();
    std::fs::write(
        site.join("style-0123456789abcdef.css"),
        "body { margin: 0; }\n".repeat(40),
    )
    .unwrap();
    std::fs::write(
        site.join("sw.js"),
        "const VERSION = \"x\";\nconst PRECACHE = [];\n".repeat(20),
    )
    .unwrap();
    std::fs::write(
        site.join("manifest.webmanifest"),
        format!(
            "{{\"name\": \"fixture\", \"description\": \"{}\", \"icons\": []}}\n",
            "a fixture ".repeat(20)
        ),
    )
    .unwrap();
    std::fs::write(
        site.join("icons/icon-192.png"),
        png_bytes(&image::GrayImage::from_pixel(4, 4, image::Luma([200]))),
    )
    .unwrap();
    // A symlink inside the site that points outside it must not be followed.
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.path().join("secret.txt"), site.join("link.txt")).unwrap();
    Fixture { root, site, secret }
}

pub fn png_bytes(img: &image::GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

pub fn jpeg_bytes(img: &image::GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(img)
        .expect("encode JPEG");
    out.into_inner()
}

/// The wasm module `index.html` loads, as a path relative to the site root.
pub fn wasm_name(html: &str) -> String {
    html.split(['"', '\''])
        .find(|s| s.ends_with("_bg.wasm"))
        .expect("index.html names the wasm")
        .trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// The MNIST directory of the tests (read-only, never committed).
pub fn mnist_dir() -> PathBuf {
    std::env::var_os("MATHSKETCH_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/data/mnist"))
}

//! The static site: every file loaded into memory once (from the binary or from `--dist`),
//! with its MIME type, cache policy, ETag, Last-Modified and precompressed variants.
//!
//! Requests are answered by looking a validated path up in a map of the files that exist;
//! nothing is ever read from disk per request, so no request path can reach a file outside
//! the site however it is spelled.
//!
//! Why this is ours and not a library's (checked against their sources, December 2026):
//! - `tower_http::services::ServeDir` (0.6) sends no ETag and answers no If-None-Match, reads
//!   the disk on every request, follows symbolic links out of the directory, and serves a
//!   `.br`/`.gz` twin whatever it holds. We promise a validator per representation, a
//!   directory whose symlinks and stale twins are never served (twins are checked against
//!   their file once, at start), and in-memory speed.
//! - `memory-serve` (2.x) has one Cache-Control for HTML and one for every other file, where
//!   only trunk's hashed names may be immutable (sw.js, the manifest and the icons must be
//!   revalidated, or a deploy would not reach installed apps); it compresses the site itself
//!   at build time, not reusing the brotli-11 twins scripts/build already made; and it cannot
//!   load a `--dist` directory at run time.
//!
//! The security headers and the request timeout are tower-http layers (see main.rs).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::compress;

/// One file of the site as build.rs embeds it.
pub struct EmbeddedFile {
    pub path: &'static str,
    pub raw: &'static [u8],
    pub brotli: Option<&'static [u8]>,
    pub gzip: Option<&'static [u8]>,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

/// The site embedded at build time (empty when `dist/` did not exist then).
pub static EMBEDDED: &[EmbeddedFile] = include!(concat!(env!("OUT_DIR"), "/embedded_site.rs"));
/// Where build.rs looked for it, for the startup log.
pub const EMBEDDED_FROM: &str = include_str!(concat!(env!("OUT_DIR"), "/embedded_from.txt"));

/// Longest request path accepted for a static file; trunk's names are far shorter.
pub const MAX_PATH_LEN: usize = 1024;
/// Limits for `--dist`: a site directory is trusted, but a wrong `--dist /` must not
/// try to load a whole disk into memory.
const MAX_DIR_FILES: usize = 10_000;
const MAX_DIR_BYTES: u64 = 512 << 20;

/// Cache policy of files whose name carries trunk's content hash: they never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (index.html, sw.js, the manifest, icons) is revalidated on every use, so a
/// deploy shows up at once; the ETag keeps revalidation to a 304.
pub const CACHE_REVALIDATE: &str = "no-cache";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }
}

struct Variant {
    body: Bytes,
    etag: HeaderValue,
}

pub struct Asset {
    identity: Variant,
    gzip: Option<Variant>,
    brotli: Option<Variant>,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    last_modified: HeaderValue,
    /// Seconds since the epoch, for If-Modified-Since.
    mtime: u64,
}

pub struct Site {
    assets: HashMap<String, Asset>,
    /// Hashes ('sha256-...') of the inline scripts of index.html (trunk's wasm loader), for
    /// the CSP: allowing exactly these keeps 'unsafe-inline' out.
    pub inline_script_hashes: Vec<String>,
    pub description: String,
}

struct Source {
    path: String,
    raw: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    mtime: u64,
}

impl Site {
    /// The site compiled into the binary.
    pub fn embedded() -> Result<Site> {
        let sources = EMBEDDED
            .iter()
            .map(|f| Source {
                path: f.path.to_string(),
                raw: Bytes::from_static(f.raw),
                brotli: f.brotli.map(Bytes::from_static),
                gzip: f.gzip.map(Bytes::from_static),
                mtime: f.mtime,
            })
            .collect();
        Site::from_sources(sources, format!("embedded (built from {EMBEDDED_FROM})"))
    }

    /// A site directory, loaded and compressed once now. Symlinks are skipped.
    pub fn from_dir(dir: &Path) -> Result<Site> {
        let meta = fs::metadata(dir).with_context(|| format!("--dist {}", dir.display()))?;
        if !meta.is_dir() {
            bail!("--dist {} is not a directory", dir.display());
        }
        let mut paths = Vec::new();
        walk(dir, dir, &mut paths)?;
        // Precompressed twins are variants of their file, not files of the site.
        paths.retain(|(rel, _)| !compress::is_twin(rel, |base| dir.join(base).is_file()));
        let total: u64 = paths
            .iter()
            .filter_map(|(_, p)| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        if total > MAX_DIR_BYTES {
            bail!(
                "--dist {} holds {total} bytes, over the {MAX_DIR_BYTES}-byte limit",
                dir.display()
            );
        }
        let mut sources = Vec::with_capacity(paths.len());
        for (rel, path) in paths {
            let raw = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let mtime = fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let (mut brotli, mut gzip) = (None, None);
            if compress::compressible(&rel) {
                // scripts/build's twins when they hold this very file; otherwise mid levels:
                // startup stays well under a second for a multi-megabyte wasm, and the
                // result is still far smaller than the original.
                brotli = match compress::read_twin(&path, ".br", &raw) {
                    Some(twin) => Some(twin),
                    None => compress::keep_if_smaller(compress::brotli(&raw, 6)?, raw.len()),
                }
                .map(Bytes::from);
                gzip = match compress::read_twin(&path, ".gz", &raw) {
                    Some(twin) => Some(twin),
                    None => compress::keep_if_smaller(compress::gzip(&raw, 6)?, raw.len()),
                }
                .map(Bytes::from);
            }
            sources.push(Source {
                path: rel,
                raw: Bytes::from(raw),
                brotli,
                gzip,
                mtime,
            });
        }
        Site::from_sources(sources, format!("directory {}", dir.display()))
    }

    fn from_sources(sources: Vec<Source>, description: String) -> Result<Site> {
        let mut assets = HashMap::with_capacity(sources.len());
        let mut inline_script_hashes = Vec::new();
        for s in sources {
            if s.path == "index.html" {
                let html = String::from_utf8_lossy(&s.raw);
                inline_script_hashes = inline_scripts(&html)
                    .iter()
                    .map(|js| csp_hash(js))
                    .collect();
            }
            let digest = Sha256::digest(&s.raw);
            let tag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
            let etag = |suffix: &str| -> Result<HeaderValue> {
                Ok(HeaderValue::from_str(&format!("\"{tag}{suffix}\""))?)
            };
            let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(s.mtime);
            let asset = Asset {
                identity: Variant {
                    body: s.raw,
                    etag: etag("")?,
                },
                gzip: s
                    .gzip
                    .map(|body| {
                        Ok::<_, anyhow::Error>(Variant {
                            body,
                            etag: etag("-gz")?,
                        })
                    })
                    .transpose()?,
                brotli: s
                    .brotli
                    .map(|body| {
                        Ok::<_, anyhow::Error>(Variant {
                            body,
                            etag: etag("-br")?,
                        })
                    })
                    .transpose()?,
                content_type: HeaderValue::from_static(content_type(&s.path)),
                cache_control: HeaderValue::from_static(if is_hashed(&s.path) {
                    CACHE_IMMUTABLE
                } else {
                    CACHE_REVALIDATE
                }),
                last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(mtime))?,
                mtime: s.mtime,
            };
            assets.insert(s.path, asset);
        }
        Ok(Site {
            assets,
            inline_script_hashes,
            description,
        })
    }

    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Answers a GET/HEAD for `raw_path` (still percent-encoded, as sent).
    pub fn respond(&self, method: &Method, raw_path: &str, headers: &HeaderMap) -> Response {
        if method != Method::GET && method != Method::HEAD {
            let mut r = (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        let key = match site_path(raw_path) {
            Ok(k) => k,
            Err(status) => {
                return (
                    status,
                    status
                        .canonical_reason()
                        .unwrap_or("bad request")
                        .to_string()
                        + "\n",
                )
                    .into_response()
            }
        };
        let Some(asset) = self.assets.get(&*key) else {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        };
        let encoding = negotiate(headers, asset.brotli.is_some(), asset.gzip.is_some());
        let variant = match encoding {
            Encoding::Brotli => asset.brotli.as_ref(),
            Encoding::Gzip => asset.gzip.as_ref(),
            Encoding::Identity => None,
        }
        .unwrap_or(&asset.identity);

        // Room for these and the layers' security headers, so that the map never grows.
        let mut h = HeaderMap::with_capacity(16);
        h.insert(header::ETAG, variant.etag.clone());
        h.insert(header::LAST_MODIFIED, asset.last_modified.clone());
        h.insert(header::CACHE_CONTROL, asset.cache_control.clone());
        if asset.brotli.is_some() || asset.gzip.is_some() {
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        if not_modified(headers, &variant.etag, asset.mtime) {
            return (StatusCode::NOT_MODIFIED, h).into_response();
        }
        h.insert(header::CONTENT_TYPE, asset.content_type.clone());
        if encoding != Encoding::Identity {
            h.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.token()),
            );
        }
        (StatusCode::OK, h, Body::from(variant.body.clone())).into_response()
    }
}

/// Maps a raw request path to a key of the site, or rejects it. Anything that a file system
/// or a proxy could read as "go up" or "another root" is refused outright (400) rather than
/// normalised: `..` and `.` segments, encoded slashes or backslashes, backslashes, NUL and
/// other control bytes, empty segments (`//etc`), drive letters, and over-long paths (414).
pub fn site_path(raw: &str) -> Result<Cow<'_, str>, StatusCode> {
    if raw.len() > MAX_PATH_LEN {
        return Err(StatusCode::URI_TOO_LONG);
    }
    let Some(rest) = raw.strip_prefix('/') else {
        return Err(StatusCode::BAD_REQUEST);
    };
    // Encoded separators and NUL would become path syntax after decoding.
    let encoded_syntax = rest.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                [w[1], w[2].to_ascii_lowercase()],
                [b'2', b'f'] | [b'5', b'c'] | [b'0', b'0']
            )
    });
    if encoded_syntax {
        return Err(StatusCode::BAD_REQUEST);
    }
    // Borrowed unless the path has escapes: the common request allocates nothing here.
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    if decoded
        .chars()
        .any(|c| c.is_control() || c == '\\' || c == ':')
    {
        return Err(StatusCode::BAD_REQUEST);
    }
    if decoded.is_empty() {
        return Ok(Cow::Borrowed("index.html"));
    }
    let (dir_part, is_dir) = match decoded.strip_suffix('/') {
        Some(d) => (d, true),
        None => (&*decoded, false),
    };
    for segment in dir_part.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(StatusCode::BAD_REQUEST);
        }
    }
    Ok(if is_dir {
        Cow::Owned(format!("{dir_part}/index.html"))
    } else {
        decoded
    })
}

/// Picks the encoding with the highest q-value the client accepts among those we have,
/// brotli first on ties (smallest), identity when nothing else is acceptable.
pub fn negotiate(headers: &HeaderMap, have_br: bool, have_gzip: bool) -> Encoding {
    let mut best = (Encoding::Identity, 0.0f32);
    let mut star = None;
    let (mut q_br, mut q_gz) = (None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut q = 1.0f32;
            for p in parts {
                if let Some(v) = p
                    .trim()
                    .strip_prefix("q=")
                    .or_else(|| p.trim().strip_prefix("Q="))
                {
                    q = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q: &f32| q.is_finite())
                        .unwrap_or(0.0)
                        .clamp(0.0, 1.0);
                }
            }
            match coding.as_str() {
                "br" => q_br = Some(q),
                "gzip" | "x-gzip" => q_gz = Some(q),
                "*" => star = Some(q),
                _ => {}
            }
        }
    }
    let q_br = q_br.or(star).unwrap_or(0.0);
    let q_gz = q_gz.or(star).unwrap_or(0.0);
    if have_gzip && q_gz > best.1 {
        best = (Encoding::Gzip, q_gz);
    }
    if have_br && q_br > 0.0 && q_br >= best.1 {
        best = (Encoding::Brotli, q_br);
    }
    best.0
}

/// RFC 9110 §13.1: If-None-Match (weak comparison) wins over If-Modified-Since.
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, mtime: u64) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else { return false };
        let ours = etag.to_str().unwrap_or("");
        return inm
            .split(',')
            .map(|t| t.trim())
            .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == ours);
    }
    if let Some(ims) = headers.get(header::IF_MODIFIED_SINCE) {
        if let Some(since) = ims
            .to_str()
            .ok()
            .and_then(|s| httpdate::parse_http_date(s).ok())
        {
            let since = since.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            return mtime <= since;
        }
    }
    false
}

/// MIME type by extension; `application/wasm` is what lets browsers stream-compile the wasm.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "map") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Whether the file name carries trunk's content hash (`name-<hex>.ext`, `name-<hex>_bg.wasm`):
/// only those may be cached forever.
pub fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    match stem.rsplit_once('-') {
        Some((name, hash)) => {
            !name.is_empty() && hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// The contents of `<script>` elements without `src` in `html`, exactly as the browser hashes
/// them for CSP (the text between the tags, unmodified).
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<script") {
        let open = at + open;
        let Some(tag_end) = lower[open..].find('>') else {
            break;
        };
        let tag_end = open + tag_end;
        let Some(close) = lower[tag_end..].find("</script") else {
            break;
        };
        let close = tag_end + close;
        let tag = &lower[open..tag_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            out.push(&html[tag_end + 1..close]);
        }
        at = close;
    }
    out
}

/// A CSP source expression for an inline script: `'sha256-<base64>'`.
pub fn csp_hash(script: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(script.as_bytes())))
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let path = entry.path();
        if ty.is_dir() {
            walk(root, &path, out)?;
        } else if ty.is_file() {
            if out.len() >= MAX_DIR_FILES {
                bail!(
                    "{} holds more than {MAX_DIR_FILES} files; is --dist right?",
                    root.display()
                );
            }
            let rel = path.strip_prefix(root)?;
            let Some(rel) = rel.to_str() else {
                bail!("non-UTF-8 file name in the site: {}", path.display());
            };
            out.push((rel.replace('\\', "/"), path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_oddities_are_refused() {
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/..%2f..%2fetc/passwd",
            "/..%5c..%5cwindows",
            "/..\\..\\etc",
            "/a%00.html",
            "//etc/passwd",
            "/./index.html",
            "/c:/windows",
            "/%ff%fe",
            "index.html",
        ] {
            assert_eq!(site_path(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
        assert_eq!(
            site_path(&format!("/{}", "a".repeat(2000))),
            Err(StatusCode::URI_TOO_LONG)
        );
        assert_eq!(site_path("/").unwrap(), "index.html");
        assert_eq!(
            site_path("/icons/icon-192.png").unwrap(),
            "icons/icon-192.png"
        );
        assert_eq!(site_path("/icons/").unwrap(), "icons/index.html");
        assert_eq!(site_path("/a%20b.js").unwrap(), "a b.js");
    }

    #[test]
    fn negotiation_follows_q_values() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(
            negotiate(&h("gzip, deflate, br"), true, true),
            Encoding::Brotli
        );
        assert_eq!(
            negotiate(&h("gzip, deflate, br"), false, true),
            Encoding::Gzip
        );
        assert_eq!(negotiate(&h("br;q=0, gzip"), true, true), Encoding::Gzip);
        assert_eq!(
            negotiate(&h("br;q=0.5, gzip;q=0.8"), true, true),
            Encoding::Gzip
        );
        assert_eq!(negotiate(&h("*"), true, true), Encoding::Brotli);
        assert_eq!(negotiate(&h("identity"), true, true), Encoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new(), true, true), Encoding::Identity);
    }

    #[test]
    fn hashed_names_are_trunks() {
        assert!(is_hashed("mathsketch-3f2a8c1d9e0b7a6c.js"));
        assert!(is_hashed("mathsketch-3f2a8c1d9e0b7a6c_bg.wasm"));
        assert!(is_hashed("style-0123abcd4567ef89.css"));
        // trunk prints its u64 hash with `{:x}`: a leading zero nibble leaves 15 digits.
        assert!(is_hashed("mathsketch-82b01af349c24a2_bg.wasm"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("sw.js"));
        assert!(!is_hashed("manifest.webmanifest"));
        assert!(!is_hashed("icons/icon-192.png"));
        assert!(!is_hashed("icons/icon-maskable-512.png"));
    }

    #[test]
    fn inline_script_hash_matches_a_known_value() {
        let html =
            "<head><script type=\"module\">alert(1)</script><script src=\"x.js\"></script></head>";
        assert_eq!(inline_scripts(html), vec!["alert(1)"]);
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            csp_hash("alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"abc"), "YWJj");
    }
}

//! The static site as served by the real binary: MIME types, caching, compression
//! negotiation, conditional requests, security headers, and path traversal attempts.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;

fn assert_security_headers(r: &Response, what: &str) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{what}: CSP {csp:?} lacks {part}");
    }
    assert!(
        !csp.contains("unsafe-inline"),
        "{what}: CSP allows unsafe-inline: {csp}"
    );
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn ungzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

#[test]
fn each_kind_of_asset_gets_its_type_caching_and_compression() {
    let fx = fixture();
    let server = Server::start(&["--dist", fx.site.to_str().unwrap()]);
    let immutable = "public, max-age=31536000, immutable";
    let cases = [
        (
            "/",
            "index.html",
            "text/html; charset=utf-8",
            "no-cache",
            true,
        ),
        (
            "/index.html",
            "index.html",
            "text/html; charset=utf-8",
            "no-cache",
            true,
        ),
        (
            "/app-0123456789abcdef.js",
            "app-0123456789abcdef.js",
            "text/javascript; charset=utf-8",
            immutable,
            true,
        ),
        (
            "/app-0123456789abcdef_bg.wasm",
            "app-0123456789abcdef_bg.wasm",
            "application/wasm",
            immutable,
            true,
        ),
        (
            "/style-0123456789abcdef.css",
            "style-0123456789abcdef.css",
            "text/css; charset=utf-8",
            immutable,
            true,
        ),
        (
            "/sw.js",
            "sw.js",
            "text/javascript; charset=utf-8",
            "no-cache",
            true,
        ),
        (
            "/manifest.webmanifest",
            "manifest.webmanifest",
            "application/manifest+json",
            "no-cache",
            true,
        ),
        (
            "/icons/icon-192.png",
            "icons/icon-192.png",
            "image/png",
            "no-cache",
            false,
        ),
    ];
    for (url, file, mime, cache, compressible) in cases {
        let raw = std::fs::read(fx.site.join(file)).unwrap();

        let plain = server.get(url, &[]);
        assert_eq!(plain.status, 200, "{url}");
        assert_eq!(plain.header("content-type"), Some(mime), "{url}");
        assert_eq!(plain.header("cache-control"), Some(cache), "{url}");
        assert_eq!(
            plain.header("content-encoding"),
            None,
            "{url}: encoded without Accept-Encoding"
        );
        assert_eq!(plain.body, raw, "{url}");
        assert_security_headers(&plain, url);
        let etag = plain
            .header("etag")
            .unwrap_or_else(|| panic!("{url}: no ETag"))
            .to_string();
        let last_modified = plain
            .header("last-modified")
            .unwrap_or_else(|| panic!("{url}: no Last-Modified"))
            .to_string();

        let br = server.get(url, &[("Accept-Encoding", "gzip, deflate, br, zstd")]);
        let gz = server.get(url, &[("Accept-Encoding", "br;q=0, gzip")]);
        if compressible {
            assert_eq!(br.header("content-encoding"), Some("br"), "{url}");
            assert_eq!(unbrotli(&br.body), raw, "{url}: brotli body");
            assert_eq!(gz.header("content-encoding"), Some("gzip"), "{url}");
            assert_eq!(ungzip(&gz.body), raw, "{url}: gzip body");
            for r in [&plain, &br, &gz] {
                assert_eq!(r.header("vary"), Some("Accept-Encoding"), "{url}");
            }
            // Each representation has its own validator.
            assert_ne!(br.header("etag"), Some(etag.as_str()), "{url}");
            assert_ne!(gz.header("etag"), br.header("etag"), "{url}");
        } else {
            assert_eq!(
                br.header("content-encoding"),
                None,
                "{url}: PNG must not be re-encoded"
            );
            assert_eq!(br.body, raw, "{url}");
        }
        assert_eq!(br.header("content-type"), Some(mime), "{url}");

        let cond = server.get(url, &[("If-None-Match", &etag)]);
        assert_eq!(cond.status, 304, "{url}: If-None-Match");
        assert!(cond.body.is_empty(), "{url}: 304 with a body");
        assert_eq!(cond.header("etag"), Some(etag.as_str()), "{url}");
        assert_security_headers(&cond, url);
        let weak = server.get(url, &[("If-None-Match", &format!("\"nope\", W/{etag}"))]);
        assert_eq!(weak.status, 304, "{url}: weak If-None-Match list");
        let ims = server.get(url, &[("If-Modified-Since", &last_modified)]);
        assert_eq!(ims.status, 304, "{url}: If-Modified-Since");
        let stale = server.get(url, &[("If-None-Match", "\"something-else\"")]);
        assert_eq!(stale.status, 200, "{url}: other ETag");

        let head = request(server.addr, "HEAD", url, &[], &[]);
        assert_eq!(head.status, 200, "{url}: HEAD");
        assert!(head.body.is_empty(), "{url}: HEAD with a body");
        assert_eq!(
            head.header("content-length"),
            Some(raw.len().to_string().as_str()),
            "{url}"
        );
    }

    // The CSP names the inline loader of index.html by hash, so it runs without 'unsafe-inline'.
    let csp = server
        .get("/", &[])
        .header("content-security-policy")
        .unwrap()
        .to_string();
    use sha2::Digest;
    let digest = sha2::Sha256::digest(INLINE_SCRIPT.as_bytes());
    let b64 = base64(&digest);
    assert!(
        csp.contains(&format!("'sha256-{b64}'")),
        "CSP {csp:?} lacks the inline script hash {b64}"
    );

    // Not found, wrong method: still 4xx with the security headers.
    let missing = server.get("/nope.js", &[]);
    assert_eq!(missing.status, 404);
    assert_security_headers(&missing, "404");
    let post = request(server.addr, "POST", "/index.html", &[], b"x");
    assert_eq!(post.status, 405);
    assert_security_headers(&post, "405");
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn traversal_attempts_get_4xx_and_never_a_byte_from_outside() {
    let fx = fixture();
    let server = Server::start(&["--dist", fx.site.to_str().unwrap()]);
    let long = format!("/{}", "a/".repeat(3000));
    let targets = [
        "/../secret.txt",
        "/../../../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/icons/..%2f..%2fsecret.txt",
        "/icons%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..%5c..%5cetc%5cpasswd",
        "/..\\secret.txt",
        "/icons\\..\\..\\secret.txt",
        "/index.html%00.png",
        "/%00",
        "//etc/passwd",
        "///secret.txt",
        "/./index.html",
        "/icons/./icon-192.png",
        "/c:/windows/win.ini",
        "/%c0%ae%c0%ae/secret.txt",
        "/%252e%252e/secret.txt",
        "/link.txt",
        "/etc/passwd",
        "http://127.0.0.1/../secret.txt",
        "/icons/",
        long.as_str(),
    ];
    for target in targets {
        let r = request(server.addr, "GET", target, &[], &[]);
        let shown = if target.len() > 60 {
            &target[..60]
        } else {
            target
        };
        assert!(
            (400..500).contains(&r.status),
            "{shown}: status {}",
            r.status
        );
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            !body.contains("TOP-SECRET") && !body.contains("root:"),
            "{shown}: leaked {body:?}"
        );
    }
    // Bytes hyper itself refuses (raw NUL, raw spaces) must also end in 4xx or a closed
    // connection, never in a file.
    for raw in [
        &b"GET /\0/../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..],
        b"GET /../ secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ] {
        let mut s = std::net::TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        use std::io::Write;
        s.write_all(raw).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        assert!(!text.contains("TOP-SECRET"), "leaked: {text:?}");
        if let Some(r) = parse_response(&buf) {
            assert!((400..500).contains(&r.status), "status {}", r.status);
        }
    }
    // Sanity: the secret exists and the site still works.
    assert!(std::fs::read_to_string(fx.root.path().join("secret.txt"))
        .unwrap()
        .contains("TOP-SECRET"));
    assert_eq!(fx.secret.len(), 31);
    assert_eq!(server.get("/icons/icon-192.png", &[]).status, 200);
}

#[test]
fn embedded_site_is_served_with_its_inline_loader_allowed() {
    // Built before `trunk build`, the binary has no site: it says so and answers 404.
    let server = Server::start(&[]);
    let health = server.get("/healthz", &[]);
    assert_eq!(health.status, 200);
    let files = health.json()["site_files"].as_u64().unwrap();
    let index = server.get("/", &[("Accept-Encoding", "br")]);
    if files == 0 {
        assert_eq!(index.status, 404);
        assert!(server
            .log_lines()
            .iter()
            .any(|l| l.contains("the site is empty")));
        eprintln!("note: this binary embeds no site (built before `trunk build`)");
        return;
    }
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-encoding"), Some("br"));
    let html = String::from_utf8(unbrotli(&index.body)).unwrap();
    assert!(html.contains("<title>"), "{html}");
    let csp = index.header("content-security-policy").unwrap();
    assert!(
        csp.contains("'sha256-"),
        "trunk's inline loader needs its hash in {csp}"
    );
    let wasm = common::wasm_name(&html);
    let w = server.get(&format!("/{wasm}"), &[]);
    assert_eq!(w.status, 200);
    assert_eq!(w.header("content-type"), Some("application/wasm"));
    assert_eq!(
        w.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(w.body.starts_with(b"\0asm"));
    let sw = server.get("/sw.js", &[]);
    assert_eq!(sw.status, 200);
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    let sw = String::from_utf8_lossy(&sw.body);
    assert!(
        !sw.contains("const VERSION = \"dev\""),
        "sw.js was not filled by the post_build hook"
    );
    assert!(sw.contains(&wasm), "the precache list lacks {wasm}");
}

#[test]
fn health_openapi_and_unknown_api() {
    let fx = fixture();
    let server = Server::start(&["--dist", fx.site.to_str().unwrap()]);
    let h = server.get("/healthz", &[]);
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert_security_headers(&h, "/healthz");

    let doc = server.get("/api/openapi.json", &[]);
    assert_eq!(doc.status, 200);
    assert!(doc
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/predict"]["post"].is_object(), "{doc}");
    for code in ["200", "400", "413", "415", "422"] {
        assert!(
            doc["paths"]["/api/predict"]["post"]["responses"][code].is_object(),
            "{code}"
        );
    }

    let nope = server.get("/api/nope", &[]);
    assert_eq!(nope.status, 404);
    assert!(nope.error().contains("/api/nope"));
}

#[test]
fn one_log_line_per_request_and_graceful_sigterm() {
    let fx = fixture();
    let mut server = Server::start(&["--dist", fx.site.to_str().unwrap()]);
    for path in ["/", "/healthz", "/missing"] {
        server.get(path, &[]);
    }
    std::thread::sleep(Duration::from_millis(200));
    let lines = server.log_lines();
    let requests: Vec<_> = lines.iter().filter(|l| l.contains(" request ")).collect();
    assert_eq!(requests.len(), 3, "{lines:#?}");
    assert!(
        requests[2].contains("status=404") && requests[2].contains("/missing"),
        "{}",
        requests[2]
    );

    // A keep-alive connection left open must not hold the shutdown up.
    let idle = std::net::TcpStream::connect(server.addr).unwrap();
    let status = server.terminate(Duration::from_secs(5));
    assert!(status.success(), "exit status {status}");
    drop(idle);
    let lines = server.log_lines();
    assert!(
        lines.iter().any(|l| l.contains("shutdown requested")),
        "{lines:#?}"
    );
}

#[test]
fn command_line_and_environment() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--addr") && help.contains("--dist") && help.contains("MATHSKETCH_ADDR"));

    let out = std::process::Command::new(BIN)
        .args(["--addr", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-an-address"));

    let out = std::process::Command::new(BIN)
        .args(["--dist", "/definitely/not/here", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here"));

    // The environment equivalents.
    let fx = fixture();
    let server = Server::start_with_env(
        &["--addr", "127.0.0.1:0"],
        &[("MATHSKETCH_DIST", fx.site.to_str().unwrap())],
    );
    assert_eq!(server.get("/sw.js", &[]).status, 200);
}

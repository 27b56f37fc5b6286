//! `POST /api/predict` on the real binary: real MNIST test digits sent as PNG and JPEG must
//! come back right, and every kind of bad input must get a 4xx JSON error saying what was
//! wrong, without a panic or a hang.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

fn server() -> (Fixture, Server) {
    let fx = fixture();
    let s = Server::start(&["--dist", fx.site.to_str().unwrap()]);
    (fx, s)
}

fn expect_error(r: &Response, status: u16, needle: &str, what: &str) {
    assert_eq!(
        r.status,
        status,
        "{what}: {:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json"),
        "{what}"
    );
    let msg = r.error();
    assert!(
        msg.to_lowercase().contains(&needle.to_lowercase()),
        "{what}: error {msg:?} does not mention {needle:?}"
    );
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
}

/// A PNG whose header declares `w`x`h` with a few bytes of (unusable) pixel data: a
/// decompression bomb's shape, refused from the header alone.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, tag: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut c = tag.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend(crc32(&c).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 1 << 16]).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn digit_image() -> image::GrayImage {
    // A white page with a dark vertical bar: a clear "1".
    let mut img = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
    for y in 10..54 {
        for x in 29..35 {
            img.put_pixel(x, y, image::Luma([0]));
        }
    }
    img
}

#[test]
fn every_bad_input_is_a_clear_4xx() {
    let (_fx, s) = server();
    let png = png_bytes(&digit_image());
    let jpeg = jpeg_bytes(&digit_image());

    expect_error(
        &s.post("/api/predict", Some("image/png"), b""),
        400,
        "empty",
        "empty PNG body",
    );
    expect_error(
        &s.post("/api/predict", Some("application/json"), b""),
        400,
        "empty",
        "empty JSON body",
    );
    expect_error(
        &s.post("/api/predict", None, &png),
        415,
        "Content-Type",
        "no content type",
    );
    expect_error(
        &s.post("/api/predict", Some("text/plain"), &png),
        415,
        "text/plain",
        "text/plain",
    );
    expect_error(
        &s.post("/api/predict", Some("image/gif"), b"GIF89a...."),
        415,
        "image/gif",
        "gif",
    );
    expect_error(
        &s.post("/api/predict", Some("image/png"), &jpeg),
        415,
        "JPEG",
        "JPEG sent as PNG",
    );
    expect_error(
        &s.post(
            "/api/predict",
            Some("image/png"),
            b"hello, I am not a picture",
        ),
        422,
        "not a PNG",
        "not an image",
    );
    expect_error(
        &s.post("/api/predict", Some("image/jpeg"), b"\x00\x01\x02 nope"),
        422,
        "not a JPEG",
        "not a JPEG",
    );
    expect_error(
        &s.post("/api/predict", Some("image/png"), &png[..png.len() / 2]),
        422,
        "PNG image",
        "truncated PNG",
    );
    expect_error(
        &s.post("/api/predict", Some("image/png"), &png[..20]),
        422,
        "PNG image",
        "PNG header only",
    );
    expect_error(
        &s.post("/api/predict", Some("image/jpeg"), &jpeg[..jpeg.len() / 2]),
        422,
        "JPEG image",
        "truncated JPEG",
    );
    expect_error(
        &s.post(
            "/api/predict",
            Some("image/png"),
            &png_declaring(100_000, 100_000),
        ),
        422,
        "100000x100000",
        "bomb",
    );
    expect_error(
        &s.post("/api/predict", Some("image/png"), &png_declaring(5000, 10)),
        422,
        "limit",
        "too wide",
    );
    let white = png_bytes(&image::GrayImage::from_pixel(50, 50, image::Luma([255])));
    expect_error(
        &s.post("/api/predict", Some("image/png"), &white),
        422,
        "blank",
        "blank image",
    );
    let transparent = {
        let img = image::RgbaImage::from_pixel(40, 40, image::Rgba([0, 0, 0, 0]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    expect_error(
        &s.post("/api/predict", Some("image/png"), &transparent),
        422,
        "blank",
        "transparent image",
    );

    // Over 1 MiB: declared, and streamed in chunks with no length at all.
    let big = vec![0u8; (1 << 20) + 1];
    expect_error(
        &s.post("/api/predict", Some("image/png"), &big),
        413,
        "1048576",
        "body over 1 MiB",
    );
    let mut chunked = b"POST /api/predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend(format!("{:x}\r\n", 64 * 1024).as_bytes());
        chunked.extend(vec![b'a'; 64 * 1024]);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    expect_error(
        &raw_request(s.addr, &chunked),
        413,
        "larger than",
        "chunked body over 1 MiB",
    );

    let json = "application/json";
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": [[[1, 2], [3"),
        400,
        "malformed JSON",
        "cut JSON",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"not json"),
        400,
        "malformed JSON",
        "not JSON",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": [[[NaN, 1]]]}"),
        400,
        "malformed JSON",
        "NaN",
    );
    expect_error(
        &s.post(
            "/api/predict",
            Some(json),
            b"{\"strokes\": [[[Infinity, 1]]]}",
        ),
        400,
        "malformed JSON",
        "Infinity",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"points\": []}"),
        422,
        "strokes",
        "missing field",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": \"1\"}"),
        422,
        "strokes",
        "wrong type",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": [[[1, 2, 3]]]}"),
        422,
        "[x, y]",
        "3 numbers",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": [[[1e7, 2]]]}"),
        422,
        "coordinates",
        "absurd",
    );
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": [[[1, -1e39]]]}"),
        422,
        "coordinates",
        "f32 overflow",
    );
    let r = s.post("/api/predict", Some(json), b"{\"strokes\": [[[1e999, 1]]]}");
    assert!((400..500).contains(&r.status), "1e999: {}", r.status);
    r.error();
    expect_error(
        &s.post("/api/predict", Some(json), b"{\"strokes\": []}"),
        422,
        "blank",
        "no strokes",
    );
    let many: Vec<String> = (0..20_000)
        .map(|i| format!("[{},{}]", i % 100, i / 100))
        .collect();
    let body = format!("{{\"strokes\": [[{}]]}}", many.join(","));
    expect_error(
        &s.post("/api/predict", Some(json), body.as_bytes()),
        422,
        "points",
        "too many points",
    );
    let strokes: Vec<&str> = vec!["[[1,1],[2,2]]"; 2000];
    let body = format!("{{\"strokes\": [{}]}}", strokes.join(","));
    expect_error(
        &s.post("/api/predict", Some(json), body.as_bytes()),
        422,
        "strokes",
        "too many strokes",
    );
    // Deep nesting cannot exhaust the stack: serde_json stops at depth 128 or at the type.
    let deep = format!("{{\"strokes\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    expect_error(
        &s.post("/api/predict", Some(json), deep.as_bytes()),
        422,
        "strokes",
        "deep strokes",
    );

    let get = s.get("/api/predict", &[]);
    expect_error(&get, 405, "POST", "GET");
    assert_eq!(get.header("allow"), Some("POST"));

    // The server is still healthy after all that.
    assert_eq!(s.get("/healthz", &[]).status, 200);
}

#[test]
fn a_stalled_upload_times_out_instead_of_hanging() {
    let (_fx, s) = server();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c.write_all(b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n\x89PNG").unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    let r = parse_response(&buf).expect("an answer");
    assert_eq!(r.status, 408, "{:?}", String::from_utf8_lossy(&r.body));
    assert!(start.elapsed() < Duration::from_secs(20));
}

/// Needs the real model (models/symbols.onnx) and the MNIST test set.
#[test]
fn real_mnist_digits_as_png_and_jpeg_are_read_right() {
    let (_fx, s) = server();
    let health = s.get("/healthz", &[]).json();
    assert_eq!(
        health["model"],
        true,
        "the model did not load: {:?}",
        s.log_lines()
    );

    let set = mathsketch::idx::load_test(&mnist_dir())
        .unwrap_or_else(|e| panic!("MNIST test set in {}: {e}", mnist_dir().display()));
    let n = 200;
    let mut correct = 0;
    let mut total_ms = 0.0;
    for (i, (pixels, &label)) in set.images.iter().zip(&set.labels).take(n).enumerate() {
        // Raw MNIST is light ink on black at 28x28. Vary what a client might send: as is,
        // dark ink on white, upscaled, and JPEG, all of which must normalise the same way.
        let mnist = image::GrayImage::from_raw(28, 28, pixels.to_vec()).unwrap();
        let (ct, body) = match i % 4 {
            0 => ("image/png", png_bytes(&mnist)),
            1 => {
                let mut inv = mnist.clone();
                image::imageops::invert(&mut inv);
                ("image/png", png_bytes(&inv))
            }
            2 => {
                let mut big = image::imageops::resize(
                    &mnist,
                    112,
                    112,
                    image::imageops::FilterType::Triangle,
                );
                image::imageops::invert(&mut big);
                ("image/png", png_bytes(&big))
            }
            _ => (
                "image/jpeg",
                jpeg_bytes(&image::imageops::resize(
                    &mnist,
                    84,
                    84,
                    image::imageops::FilterType::Triangle,
                )),
            ),
        };
        let r = s.post("/api/predict", Some(ct), &body);
        assert_eq!(
            r.status,
            200,
            "digit {i}: {:?}",
            String::from_utf8_lossy(&r.body)
        );
        let j = r.json();
        let symbol = j["symbol"].as_str().unwrap().to_string();
        let confidence = j["confidence"].as_f64().unwrap();
        let probs: Vec<f64> = j["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .collect();
        assert_eq!(probs.len(), 17);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-3, "{probs:?}");
        let top = probs
            .iter()
            .enumerate()
            .fold(0, |best, (i, &p)| if p > probs[best] { i } else { best });
        assert!((probs[top] - confidence).abs() < 1e-6);
        // `digit` is the symbol's value, or null for an operator.
        match j["digit"].as_u64() {
            Some(d) => assert_eq!((top as u64, symbol), (d, d.to_string())),
            None => assert!(top >= 10 && j["digit"].is_null(), "{j}"),
        }
        total_ms += j["ms"].as_f64().unwrap();
        if j["digit"].as_u64() == Some(u64::from(label)) {
            correct += 1;
        }
    }
    let accuracy = correct as f64 / n as f64;
    eprintln!(
        "{correct}/{n} MNIST test digits right ({:.1}%), mean server time {:.2} ms",
        accuracy * 100.0,
        total_ms / n as f64
    );
    assert!(accuracy >= 0.97, "accuracy {accuracy}");

    // JSON strokes go through the same path: a vertical stroke is a 1.
    let r = s.post(
        "/api/predict",
        Some("application/json"),
        b"{\"strokes\": [[[50, 10], [50, 40], [50, 90]]]}",
    );
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["digit"], 1, "{}", r.json());
    // A horizontal one is a minus, typeset as U+2212, with no digit.
    let r = s.post(
        "/api/predict",
        Some("application/json"),
        b"{\"strokes\": [[[10, 50], [50, 51], [90, 50]]]}",
    );
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["symbol"], "\u{2212}", "{}", r.json());
    assert!(r.json()["digit"].is_null(), "{}", r.json());
    // And so does a dark-on-transparent canvas export.
    let mut rgba = image::RgbaImage::from_pixel(64, 64, image::Rgba([0, 0, 0, 0]));
    for (x, y, p) in digit_image().enumerate_pixels() {
        if p.0[0] == 0 {
            rgba.put_pixel(x, y, image::Rgba([20, 20, 20, 255]));
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let r = s.post("/api/predict", Some("image/png"), &out.into_inner());
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["digit"], 1, "{}", r.json());
}

/// `/api/read`: strokes of "1+1=" in, the text and its answer out; every bad input a 4xx.
#[test]
fn read_gives_the_text_and_the_answer_and_refuses_bad_input() {
    let (_fx, s) = server();
    let json = "application/json";
    let sum = br#"{"strokes": [[[10,0],[12,100]], [[40,50],[90,50]], [[65,25],[65,75]], [[120,0],[121,100]], [[150,40],[200,40]], [[150,60],[200,61]]]}"#;
    let r = s.post("/api/read", Some(json), sum);
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["text"], "1+1=", "{j}");
    assert_eq!(j["value"], "2", "{j}");
    assert!(j["error"].is_null(), "{j}");
    let symbols = j["symbols"].as_array().expect("symbols");
    assert_eq!(symbols.len(), 4, "{j}");
    assert_eq!(symbols[1]["symbol"], "+");
    assert_eq!(symbols[0]["box"].as_array().map(Vec::len), Some(4));
    assert_eq!(symbols[0]["alternatives"].as_array().map(Vec::len), Some(3));
    assert!(j["ms"].as_f64().is_some());

    // "1÷" then "=" is no sum: a 200 with the reason, not an error status.
    let incomplete = br#"{"strokes": [[[10,0],[12,100]], [[40,50],[90,50]], [[65,30]], [[66,70],[67,71]], [[150,40],[200,40]], [[150,60],[200,61]]]}"#;
    let r = s.post("/api/read", Some(json), incomplete);
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["text"], "1÷=", "{}", r.json());
    assert!(r.json()["value"].is_null());
    assert_eq!(r.json()["error"], "the sum is incomplete");

    expect_error(&s.post("/api/read", Some(json), b""), 400, "empty", "empty");
    expect_error(
        &s.post("/api/read", Some(json), b"not json"),
        400,
        "JSON",
        "not json",
    );
    expect_error(
        &s.post("/api/read", Some(json), b"{\"strokes\": []}"),
        422,
        "blank",
        "blank",
    );
    expect_error(
        &s.post("/api/read", Some(json), b"{\"strokes\": [[[1e7, 2]]]}"),
        422,
        "within",
        "absurd coordinate",
    );
    expect_error(
        &s.post("/api/read", Some("image/png"), b"\x89PNG"),
        415,
        "json",
        "image",
    );
    expect_error(
        &s.post("/api/read", None, sum),
        415,
        "Content-Type",
        "no type",
    );
    let get = s.get("/api/read", &[]);
    expect_error(&get, 405, "POST", "GET");
    assert_eq!(s.get("/healthz", &[]).status, 200);
}

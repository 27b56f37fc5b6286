//! Request bodies of the API, decoded up to the classifier's input: a PNG or JPEG image or
//! JSON strokes become one `MnistImage` (`/api/predict`) or a `Sketch` (`/api/read`), and
//! every bad body becomes an [`ApiError`] (a 4xx naming what was wrong), never a panic.
//! No sockets here: this is the part of the server that `fuzz/` runs on arbitrary bytes.

use std::io::Cursor;

use http::{header, HeaderMap, StatusCode};
use image::{ImageFormat, ImageReader, Limits};
use mathsketch::mnist::MnistImage;
use mathsketch::sketch::{Sketch, SketchError};
use serde::Deserialize;

/// Largest image side accepted, checked from the header before any pixel is decoded, so a
/// tiny file declaring huge dimensions (a decompression bomb) costs nothing.
pub const MAX_IMAGE_SIDE: u32 = 4096;
/// Cap on what the decoder may allocate in total.
pub const MAX_DECODE_ALLOC: u64 = 96 << 20;
/// Largest |coordinate| in JSON strokes (the core refuses more, too).
pub const MAX_COORDINATE: f64 = 1e6;
/// A 4xx/5xx answer with a JSON body `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (a request shed under load).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// The HTTP answer; only the server needs it (`fuzz/` builds this library without axum).
#[cfg(feature = "server")]
impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        use axum::Json;
        use http::HeaderValue;

        let mut res = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// What a body is, from its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Strokes,
}

/// The image for the classifier from a body of `kind`.
pub fn decode(kind: Kind, body: &[u8]) -> Result<MnistImage, ApiError> {
    match kind {
        Kind::Png => from_image(body, ImageFormat::Png),
        Kind::Jpeg => from_image(body, ImageFormat::Jpeg),
        Kind::Strokes => from_strokes(body),
    }
}

pub fn kind_of(headers: &HeaderMap) -> Result<Kind, ApiError> {
    let accepted = "send image/png, image/jpeg or application/json";
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("missing Content-Type: {accepted}"),
        ));
    };
    let ct = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "image/png" => Ok(Kind::Png),
        "image/jpeg" | "image/jpg" => Ok(Kind::Jpeg),
        "application/json" => Ok(Kind::Strokes),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Type {other:?}: {accepted}"),
        )),
    }
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Png => "PNG",
        ImageFormat::Jpeg => "JPEG",
        _ => "other",
    }
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

pub fn from_image(body: &[u8], declared: ImageFormat) -> Result<MnistImage, ApiError> {
    match image::guess_format(body) {
        Ok(actual) if actual == declared => {}
        Ok(actual @ (ImageFormat::Png | ImageFormat::Jpeg)) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Content-Type says {} but the body is a {} image",
                    format_name(declared),
                    format_name(actual)
                ),
            ))
        }
        _ => {
            return Err(unprocessable(format!(
                "body is not a {} image",
                format_name(declared)
            )))
        }
    }
    // The JPEG decoder pads a cut-off scan with grey instead of failing; a file without its
    // end-of-image marker is truncated. (0xFF 0xD9 cannot occur inside entropy-coded data,
    // which stuffs every 0xFF; only an embedded thumbnail's marker could, near the start.)
    if declared == ImageFormat::Jpeg {
        let tail = &body[body.len().saturating_sub(1024)..];
        if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            return Err(unprocessable(
                "JPEG image is truncated: no end-of-image marker",
            ));
        }
    }
    // Dimensions come from the header alone: refuse bombs before allocating any pixels.
    let (w, h) = ImageReader::with_format(Cursor::new(body), declared)
        .into_dimensions()
        .map_err(|e| decode_error(e, declared))?;
    if w == 0 || h == 0 {
        return Err(unprocessable(format!(
            "image is {w}x{h} pixels: nothing to read"
        )));
    }
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(unprocessable(format!(
            "image is {w}x{h} pixels; the limit is {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}"
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(body), declared);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| decode_error(e, declared))?;
    let luma = flatten_on_white(&decoded);
    match MnistImage::from_luma(w as usize, h as usize, &luma) {
        Ok(Some(img)) => Ok(img),
        Ok(None) => Err(unprocessable("image is blank: no ink found")),
        Err(e) => Err(unprocessable(format!("image cannot be normalised: {e}"))),
    }
}

/// Grey levels with transparency composited onto white: a canvas export is dark ink on
/// transparent pixels, which would otherwise read as black on black, i.e. blank.
fn flatten_on_white(img: &image::DynamicImage) -> Vec<u8> {
    if !img.color().has_alpha() {
        return img.to_luma8().into_raw();
    }
    img.to_luma_alpha8()
        .pixels()
        .map(|p| {
            let (l, a) = (u32::from(p.0[0]), u32::from(p.0[1]));
            ((l * a + 255 * (255 - a) + 127) / 255) as u8
        })
        .collect()
}

fn decode_error(e: image::ImageError, format: ImageFormat) -> ApiError {
    use image::ImageError as E;
    let name = format_name(format);
    match e {
        E::Limits(l) => unprocessable(format!("image exceeds the decoding limits ({l})")),
        E::Unsupported(u) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported {name} variant: {u}"),
        ),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            unprocessable(format!("{name} image is truncated"))
        }
        E::IoError(io) => unprocessable(format!("{name} image is truncated or corrupt: {io}")),
        other => unprocessable(format!("{name} image is corrupt or truncated: {other}")),
    }
}

#[derive(Deserialize)]
struct StrokesBody {
    strokes: Vec<Vec<Vec<f64>>>,
}

pub fn from_strokes(body: &[u8]) -> Result<MnistImage, ApiError> {
    let sketch = sketch_from_json(body)?;
    MnistImage::from_sketch(&sketch)
        .ok_or_else(|| unprocessable("sketch is blank: no strokes with ink"))
}

/// JSON strokes → a sketch, with every limit checked and a 4xx naming what is wrong.
pub fn sketch_from_json(body: &[u8]) -> Result<Sketch, ApiError> {
    let parsed: StrokesBody = serde_json::from_slice(body).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => unprocessable(format!(
                "JSON must look like {{\"strokes\": [[[x, y], ...], ...]}} with numbers for x and y: {e}"
            )),
            _ => ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")),
        }
    })?;
    // JSON cannot spell NaN or infinity, but 1e39 overflows f32: say so plainly.
    let mut strokes = Vec::with_capacity(parsed.strokes.len());
    for (i, stroke) in parsed.strokes.iter().enumerate() {
        let mut points = Vec::with_capacity(stroke.len());
        for (j, p) in stroke.iter().enumerate() {
            let &[x, y] = p.as_slice() else {
                return Err(unprocessable(format!(
                    "stroke {i}, point {j}: a point is [x, y], got {} numbers",
                    p.len()
                )));
            };
            if ![x, y]
                .iter()
                .all(|c| c.is_finite() && c.abs() <= MAX_COORDINATE)
            {
                return Err(unprocessable(format!(
                    "stroke {i}, point {j}: coordinates must be finite and within ±{MAX_COORDINATE:e}, got [{}, {}]",
                    x, y
                )));
            }
            points.push([x as f32, y as f32]);
        }
        strokes.push(points);
    }
    Sketch::from_coordinates(&strokes).map_err(|e| match e {
        SketchError::Empty => unprocessable("sketch is blank: it has no points"),
        e => unprocessable(format!("invalid strokes: {e}")),
    })
}

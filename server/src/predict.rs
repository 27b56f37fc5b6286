//! `POST /api/predict`: an image (PNG/JPEG) or JSON strokes in, the symbol out, through the
//! very same normalisation (`mathsketch::mnist`) and model (`mathsketch::classifier`) as the
//! web page. Every bad input becomes a 4xx `{"error": "..."}` that says what was wrong.

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use image::{ImageFormat, ImageReader, Limits};
use mathsketch::classifier::Classifier;
use mathsketch::expression::reader::Reader;
use mathsketch::mnist::MnistImage;
use mathsketch::sketch::{Sketch, SketchError};
use mathsketch::symbol::CLASSES;
use serde::{Deserialize, Serialize};

use crate::admission::{Admission, Capacity, Refused};

/// Largest request body accepted (413 above).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Largest image side accepted, checked from the header before any pixel is decoded, so a
/// tiny file declaring huge dimensions (a decompression bomb) costs nothing.
pub const MAX_IMAGE_SIDE: u32 = 4096;
/// Cap on what the decoder may allocate in total.
pub const MAX_DECODE_ALLOC: u64 = 96 << 20;
/// Largest |coordinate| in JSON strokes (the core refuses more, too).
pub const MAX_COORDINATE: f64 = 1e6;
/// Bodies up to this size are processed on the async worker itself (see `predict`).
const INLINE_BODY_BYTES: usize = 16 * 1024;
/// A client gets this long to send its body; a stalled upload must not hold a slot forever.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a client is told to wait before retrying a request shed under load, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

pub struct Predictor {
    classifier: Result<Classifier, String>,
    /// Bounds the predictions running and waiting at once, and so the CPU and the memory
    /// decoding can take (each may allocate up to MAX_DECODE_ALLOC).
    admission: Admission,
}

impl Predictor {
    pub fn new(classifier: Result<Classifier, String>, admission: Admission) -> Self {
        Predictor {
            classifier,
            admission,
        }
    }

    pub fn model_ready(&self) -> bool {
        self.classifier.is_ok()
    }

    pub fn capacity(&self) -> Capacity {
        self.admission.capacity()
    }
}

#[derive(Serialize)]
pub struct Prediction {
    /// The most likely symbol as typeset (`7`, `+`, `−`, `×`, `÷`, `=`, `(`, `)`).
    pub symbol: &'static str,
    /// Its value when it is a digit, else `null`.
    pub digit: Option<u8>,
    pub confidence: f32,
    /// One per class, in the model's order (`mathsketch::symbol::SYMBOLS`).
    pub probabilities: [f32; CLASSES],
    /// Server-side time for decoding, normalising and running the model, in milliseconds.
    pub ms: f64,
}

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

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        ApiError {
            retry_after: Some(RETRY_AFTER_SECS),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, refused.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Png,
    Jpeg,
    Strokes,
}

pub async fn handle(State(predictor): State<Arc<Predictor>>, req: Request) -> Response {
    match predict(&predictor, req).await {
        Ok(p) => Json(p).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn predict(predictor: &Arc<Predictor>, req: Request) -> Result<Prediction, ApiError> {
    // Cheap checks first: nothing of the body is read for a request that cannot succeed.
    let kind = kind_of(req.headers())?;
    if let Some(len) = declared_length(req.headers()) {
        if len > MAX_BODY_BYTES as u64 {
            return Err(too_large());
        }
    }
    let body = read_body(req.into_body()).await?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "request body is empty",
        ));
    }
    // Admitted only once the body is in: a slow upload holds no CPU slot.
    let _slot = predictor.admission.enter().await?;
    // A small body (a 28x28 PNG, a few strokes) is decoded and classified in well under a
    // millisecond: run it right here, sparing two thread hand-offs per request. A large
    // image can take milliseconds to decode: keep those off the async workers.
    if body.len() <= INLINE_BODY_BYTES {
        return run(kind, &body, predictor);
    }
    let predictor = predictor.clone();
    tokio::task::spawn_blocking(move || run(kind, &body, &predictor))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("prediction failed: {e}"),
            )
        })?
}

fn run(kind: Kind, body: &[u8], predictor: &Predictor) -> Result<Prediction, ApiError> {
    let start = Instant::now();
    // Input first: a client with a bad request hears about its request even when the
    // model is missing.
    let image = match kind {
        Kind::Png => from_image(body, ImageFormat::Png)?,
        Kind::Jpeg => from_image(body, ImageFormat::Jpeg)?,
        Kind::Strokes => from_strokes(body)?,
    };
    let classifier = predictor.classifier.as_ref().map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("model unavailable: {e}"),
        )
    })?;
    let probs = classifier.predict(&image).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the model failed: {e}"),
        )
    })?;
    let (symbol, confidence) = probs.top_symbol();
    Ok(Prediction {
        symbol: symbol.as_str(),
        digit: symbol.digit(),
        confidence,
        probabilities: *probs.as_array(),
        ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

fn kind_of(headers: &HeaderMap) -> Result<Kind, ApiError> {
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

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than {MAX_BODY_BYTES} bytes (1 MiB)"),
    )
}

/// Reads the body, stopping at the first byte over the limit (413) or after BODY_TIMEOUT (408).
async fn read_body(mut body: Body) -> Result<Bytes, ApiError> {
    let read = async {
        let mut buf = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("could not read the request body: {e}"),
                )
            })?;
            if let Some(data) = frame.data_ref() {
                if buf.len() + data.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                buf.extend_from_slice(data);
            }
        }
        Ok(buf.freeze())
    };
    tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timed out reading the request body",
            )
        })?
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

fn from_image(body: &[u8], declared: ImageFormat) -> Result<MnistImage, ApiError> {
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

fn from_strokes(body: &[u8]) -> Result<MnistImage, ApiError> {
    let sketch = sketch_from_json(body)?;
    MnistImage::from_sketch(&sketch)
        .ok_or_else(|| unprocessable("sketch is blank: no strokes with ink"))
}

/// JSON strokes → a sketch, with every limit checked and a 4xx naming what is wrong.
fn sketch_from_json(body: &[u8]) -> Result<Sketch, ApiError> {
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

/// One symbol of `/api/read`'s answer.
#[derive(Serialize)]
pub struct SymbolOut {
    pub symbol: &'static str,
    pub confidence: f32,
    /// `[x0, y0, x1, y1]` in the request's coordinates.
    #[serde(rename = "box")]
    pub bounds: [f32; 4],
    /// The next most likely readings, most likely first.
    pub alternatives: Vec<(&'static str, f32)>,
}

/// `/api/read`'s answer: the whole text, its value or why there is none, each symbol.
#[derive(Serialize)]
pub struct ReadOut {
    pub text: String,
    pub value: Option<String>,
    pub error: Option<String>,
    pub symbols: Vec<SymbolOut>,
    pub ms: f64,
}

/// Alternatives listed per symbol.
const ALTERNATIVES: usize = 3;

/// `POST /api/read`: JSON strokes of a number or a sum in, its reading out, through the same
/// segmentation, model and arithmetic as the page (`mathsketch::expression`).
pub async fn handle_read(State(predictor): State<Arc<Predictor>>, req: Request) -> Response {
    match read(&predictor, req).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn read(predictor: &Arc<Predictor>, req: Request) -> Result<ReadOut, ApiError> {
    if kind_of(req.headers())? != Kind::Strokes {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json strokes: {\"strokes\": [[[x, y], ...], ...]}",
        ));
    }
    if declared_length(req.headers()).is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let body = read_body(req.into_body()).await?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "request body is empty",
        ));
    }
    // Admitted only once the body is in: a slow upload holds no CPU slot.
    let _slot = predictor.admission.enter().await?;
    let predictor = predictor.clone();
    // A sum classifies one image per symbol: keep that off the async workers.
    tokio::task::spawn_blocking(move || read_sketch(&body, &predictor))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reading failed: {e}"),
            )
        })?
}

fn read_sketch(body: &[u8], predictor: &Predictor) -> Result<ReadOut, ApiError> {
    let start = Instant::now();
    let sketch = sketch_from_json(body)?;
    let classifier = predictor.classifier.as_ref().map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("model unavailable: {e}"),
        )
    })?;
    let mut classify = |image: &MnistImage| classifier.predict(image);
    let result = Reader::new().read(&sketch, &mut classify).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the model failed: {e}"),
        )
    })?;
    let symbols = result
        .symbols
        .iter()
        .map(|s| SymbolOut {
            symbol: s.symbol.as_str(),
            confidence: s.probabilities.of(s.symbol),
            bounds: s.bounds,
            alternatives: s
                .probabilities
                .ranked()
                .into_iter()
                .filter(|(alt, _)| *alt != s.symbol)
                .take(ALTERNATIVES)
                .map(|(alt, p)| (alt.as_str(), p))
                .collect(),
        })
        .collect();
    Ok(ReadOut {
        text: result.reading.text,
        value: result.reading.value,
        error: result.reading.error,
        symbols,
        ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

//! `POST /api/predict`: an image (PNG/JPEG) or JSON strokes in, the symbol out, through the
//! very same normalisation (`mathsketch::mnist`) and model (`mathsketch::classifier`) as the
//! web page. Every bad input becomes a 4xx `{"error": "..."}` that says what was wrong.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use mathsketch::classifier::Classifier;
use mathsketch::expression::reader::Reader;
use mathsketch::mnist::MnistImage;
use mathsketch::symbol::CLASSES;
use mathsketch_server::body::{self, kind_of, sketch_from_json, ApiError, Kind};
use serde::Serialize;

use crate::admission::{Admission, Capacity, Refused};

/// Largest request body accepted (413 above).
pub const MAX_BODY_BYTES: usize = 1 << 20;
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

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        ApiError {
            retry_after: Some(RETRY_AFTER_SECS),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, refused.to_string())
        }
    }
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
    let image = body::decode(kind, body)?;
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

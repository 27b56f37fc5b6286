//! `/api/predict` and `/api/read` bodies (PNG, JPEG, JSON strokes) up to the classifier's
//! input. The first byte picks the declared kind, the rest is the body. Every body must end
//! in an image the model can take, or in a 4xx: never a panic, a 5xx or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mathsketch_server::body::{decode, sketch_from_json, Kind};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let kind = match which % 3 {
        0 => Kind::Png,
        1 => Kind::Jpeg,
        _ => Kind::Strokes,
    };
    match decode(kind, body) {
        Ok(image) => assert!(
            image.pixels().iter().all(|p| (0.0..=1.0).contains(p)),
            "pixels outside 0..=1"
        ),
        Err(e) => assert!(
            e.status.is_client_error(),
            "{} for a bad body: {}",
            e.status,
            e.message
        ),
    }
    if kind == Kind::Strokes {
        // `/api/read` takes the same JSON to a whole sketch.
        if let Err(e) = sketch_from_json(body) {
            assert!(e.status.is_client_error(), "{}: {}", e.status, e.message);
        }
    }
});

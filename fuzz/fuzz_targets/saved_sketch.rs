//! The stored-sketch decoder (`mathsketch::saved`) on whatever a browser's storage may hold:
//! a sketch with its fixes or a `SavedError`, and what decodes encodes back to text that
//! decodes to the same thing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mathsketch::saved::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(saved) = decode(text) else {
        return;
    };
    let once = encode(&saved.sketch, &saved.fixes);
    let again = decode(&once).expect("an encoded sketch decodes");
    assert_eq!(
        encode(&again.sketch, &again.fixes),
        once,
        "encode/decode is not stable"
    );
});

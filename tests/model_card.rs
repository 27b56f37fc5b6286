//! The shipped model and its card agree: the ONNX file in `models/` is exactly the one the
//! card describes (sha256 and size), and it stays within the size and parameter budgets.

use std::path::Path;

use sha2::{Digest, Sha256};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn card() -> serde_json::Value {
    let text =
        std::fs::read_to_string(root().join("models/mnist.json")).expect("models/mnist.json");
    serde_json::from_str(&text).expect("the model card is valid JSON")
}

#[test]
fn sha256_and_size_match_the_card() {
    let onnx = std::fs::read(root().join("models/mnist.onnx")).expect("models/mnist.onnx");
    let sha: String = Sha256::digest(&onnx)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let card = card();
    assert_eq!(
        card["sha256"].as_str(),
        Some(sha.as_str()),
        "models/mnist.onnx differs from its card"
    );
    assert_eq!(card["size_bytes"].as_u64(), Some(onnx.len() as u64));
    // The embedded copy is the same file.
    assert_eq!(mathsketch::classifier::EMBEDDED_MODEL, onnx.as_slice());
}

#[test]
fn model_meets_its_budgets() {
    let card = card();
    let params = card["parameters"].as_u64().expect("parameters");
    let size = card["size_bytes"].as_u64().expect("size_bytes");
    assert!(params <= 60_000, "{params} parameters > 60,000");
    assert!(size <= 256 * 1024, "{size} bytes > 256 KiB");
    for key in [
        "seed",
        "epochs",
        "training_wall_seconds",
        "test_accuracy_tract",
        "command",
        "architecture",
    ] {
        assert!(!card[key].is_null(), "model card lacks {key}");
    }
}

//! The shipped model and its card agree: the ONNX file in `models/` is exactly the one the
//! card describes (sha256, size, classes in the runtime's order), it stays within the size and
//! parameter budgets, and the card states every accuracy the trainer measured.

use std::path::Path;

use sha2::{Digest, Sha256};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn card() -> serde_json::Value {
    let text =
        std::fs::read_to_string(root().join("models/symbols.json")).expect("models/symbols.json");
    serde_json::from_str(&text).expect("the model card is valid JSON")
}

#[test]
fn sha256_and_size_match_the_card() {
    let onnx = std::fs::read(root().join("models/symbols.onnx")).expect("models/symbols.onnx");
    let sha: String = Sha256::digest(&onnx)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let card = card();
    assert_eq!(
        card["sha256"].as_str(),
        Some(sha.as_str()),
        "models/symbols.onnx differs from its card"
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
    assert!(params <= 80_000, "{params} parameters > 80,000");
    assert!(size <= 320 * 1000, "{size} bytes > 320 KB");
    for key in [
        "seed",
        "epochs",
        "training_wall_seconds",
        "test_accuracy_tract",
        "test_strokes_accuracy_tract",
        "test_operator_accuracy_tract",
        "validation_accuracy",
        "command",
        "architecture",
    ] {
        assert!(!card[key].is_null(), "model card lacks {key}");
    }
}

#[test]
fn classes_are_the_runtime_symbols_in_order() {
    let card = card();
    let classes: Vec<&str> = card["classes"]
        .as_array()
        .expect("classes in the card")
        .iter()
        .map(|c| c.as_str().expect("class names are strings"))
        .collect();
    let runtime: Vec<&str> = mathsketch::symbol::SYMBOLS
        .iter()
        .map(|s| s.class_name())
        .collect();
    assert_eq!(classes, runtime);
    let per_operator = card["test_operator_accuracy_tract"]
        .as_object()
        .expect("per-operator accuracy");
    for name in &classes[10..] {
        assert!(
            per_operator.contains_key(*name),
            "no test accuracy for {name}"
        );
    }
}

//! The runtime never compiles training crates: nothing from the model-tooling world may
//! appear in this workspace's dependency graph (all targets, all dependency kinds).

use std::path::Path;

/// Crates that belong to training or to other inference runtimes, never to ours.
const FORBIDDEN: &[&str] = &[
    "burn",
    "candle",
    "tch",
    "torch-sys",
    "ort",
    "onnxruntime",
    "tensorflow",
    "dfdx",
    "trainer",
];

fn forbidden(name: &str) -> bool {
    FORBIDDEN.iter().any(|f| {
        name == *f || name.starts_with(&format!("{f}-")) || name.starts_with(&format!("{f}_"))
    })
}

#[test]
fn the_rule_catches_training_crates() {
    for name in [
        "burn",
        "burn-core",
        "candle-nn",
        "tch",
        "ort",
        "tensorflow-sys",
        "trainer",
    ] {
        assert!(forbidden(name), "{name} should be forbidden");
    }
    for name in [
        "tract-onnx",
        "tract-core",
        "wasm-bindgen",
        "portable-atomic",
        "sorted-vec",
    ] {
        assert!(!forbidden(name), "{name} should be allowed");
    }
}

#[test]
fn no_training_crate_in_the_runtime_graph() {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .other_options(vec!["--locked".to_string()])
        .exec()
        .expect("cargo metadata");
    assert!(metadata.packages.len() > 50, "suspiciously small graph");
    assert!(metadata
        .packages
        .iter()
        .any(|p| p.name.as_str() == "tract-onnx"));
    let bad: Vec<String> = metadata
        .packages
        .iter()
        .filter(|p| forbidden(p.name.as_str()))
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    assert!(
        bad.is_empty(),
        "training crates in the runtime dependency graph: {bad:?}"
    );
}

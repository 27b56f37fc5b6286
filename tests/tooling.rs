//! The build tooling stays in step: versions pinned once in `scripts/versions.env` agree with
//! `Cargo.lock`, `Trunk.toml` and `tools/`; every wasm32 build gets SIMD; `index.html` keeps
//! the DOM contract the wasm layer and the browser tests rely on. Plain file checks, no build.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `KEY=value` lines of scripts/versions.env.
fn pins() -> HashMap<String, String> {
    read("scripts/versions.env")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

fn pin(key: &str) -> String {
    pins()
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("scripts/versions.env has no {key}"))
}

/// The version of `package` in a Cargo.lock text (the only one, or panics on several).
fn locked_version(lock: &str, package: &str) -> String {
    let header = format!("name = \"{package}\"\n");
    let versions: Vec<&str> = lock
        .split("[[package]]")
        .filter(|block| block.trim_start().starts_with(header.trim_end()))
        .filter_map(|block| block.lines().find_map(|l| l.strip_prefix("version = ")))
        .map(|v| v.trim_matches('"'))
        .collect();
    assert_eq!(versions.len(), 1, "{package} in Cargo.lock: {versions:?}");
    versions[0].to_owned()
}

/// `key = "value"` in a TOML text's `[section]` (top level when `section` is empty).
fn toml_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_owned();
        } else if current == section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().trim_matches('"').to_owned());
                }
            }
        }
    }
    None
}

#[test]
fn wasm_bindgen_cli_pin_matches_the_locked_crate() {
    let locked = locked_version(&read("Cargo.lock"), "wasm-bindgen");
    assert_eq!(
        pin("WASM_BINDGEN_VERSION"),
        locked,
        "wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock; bump scripts/versions.env and Trunk.toml together"
    );
}

#[test]
fn trunk_toml_uses_the_pinned_tools_offline() {
    let trunk = read("Trunk.toml");
    assert_eq!(
        toml_value(&trunk, "", "trunk-version").as_deref(),
        Some(pin("TRUNK_VERSION").as_str())
    );
    assert_eq!(
        toml_value(&trunk, "tools", "wasm_bindgen").as_deref(),
        Some(pin("WASM_BINDGEN_VERSION").as_str())
    );
    assert_eq!(
        toml_value(&trunk, "tools", "wasm_opt"),
        Some(format!("version_{}", pin("BINARYEN_VERSION")))
    );
    assert_eq!(
        toml_value(&trunk, "build", "offline").as_deref(),
        Some("true"),
        "trunk must never download tools"
    );
}

#[test]
fn binaryen_from_npm_is_the_pinned_version() {
    let want = pin("BINARYEN_VERSION");
    let package: serde_json::Value =
        serde_json::from_str(&read("tools/package.json")).expect("tools/package.json is JSON");
    let declared = package["devDependencies"]["binaryen"]
        .as_str()
        .expect("tools/package.json declares binaryen");
    assert_eq!(declared.split('.').next(), Some(want.as_str()));
    let lock: serde_json::Value = serde_json::from_str(&read("tools/package-lock.json"))
        .expect("tools/package-lock.json is JSON");
    let locked = lock["packages"]["node_modules/binaryen"]["version"]
        .as_str()
        .expect("package-lock.json locks binaryen");
    assert_eq!(locked.split('.').next(), Some(want.as_str()));
}

#[test]
fn onnxruntime_web_for_the_benchmark_is_the_pinned_version() {
    let want = pin("ONNXRUNTIME_WEB_VERSION");
    let package: serde_json::Value = serde_json::from_str(&read("bench/ort/package.json"))
        .expect("bench/ort/package.json is JSON");
    assert_eq!(
        package["dependencies"]["onnxruntime-web"].as_str(),
        Some(want.as_str())
    );
    let lock: serde_json::Value = serde_json::from_str(&read("bench/ort/package-lock.json"))
        .expect("bench/ort/package-lock.json is JSON");
    let locked = &lock["packages"]["node_modules/onnxruntime-web"]["version"];
    assert_eq!(locked.as_str(), Some(want.as_str()));
}

#[test]
fn every_wasm32_build_gets_simd128() {
    let config = read(".cargo/config.toml");
    let flags = toml_value(&config, "target.wasm32-unknown-unknown", "rustflags")
        .expect(".cargo/config.toml sets rustflags for wasm32");
    assert!(flags.contains("+simd128"), "rustflags: {flags}");
}

#[test]
fn index_html_keeps_the_dom_contract() {
    let html = read("index.html");
    for needle in [
        "<canvas id=\"pad\"",
        "<canvas id=\"preview\"",
        "<button id=\"undo\"",
        "<button id=\"clear\"",
        "<output id=\"prediction\"",
        "<output id=\"answer\"",
        "aria-live=\"polite\"",
        "id=\"status\"",
        "id=\"fatal\"",
        "id=\"timing\"",
        "id=\"confidence\"",
        "data-trunk rel=\"rust\"",
        "typeof WebAssembly",
    ] {
        assert!(html.contains(needle), "index.html lacks {needle}");
    }
    for digit in 0..10 {
        assert!(
            html.contains(&format!("data-digit=\"{digit}\" data-p=\"0\"")),
            "index.html lacks the bar for {digit}"
        );
    }
    for symbol in &mathsketch::symbol::SYMBOLS[10..] {
        assert!(
            html.contains(&format!("data-symbol=\"{symbol}\" data-p=\"0\"")),
            "index.html lacks the bar for {symbol}"
        );
    }
    assert!(
        read("static/style.css").contains("touch-action: none"),
        "the pad must not scroll the page while drawing"
    );
}

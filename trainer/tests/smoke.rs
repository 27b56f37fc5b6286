//! Smoke test of the whole model tooling on a short run: train a few hundred steps on a
//! subset of real MNIST, export, and check the file is standard ONNX (reference checker),
//! that onnxruntime and tract agree with the framework, and that the same seed gives the
//! very same bytes. The full training run is a documented command, not a test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data_dir() -> PathBuf {
    std::env::var_os("MATHSKETCH_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mnist"))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the test output directory");
    dir
}

/// Runs `trainer train` on 3,000 digits for one epoch: 3,000 bitmaps, their 3,000 stroke
/// renderings and 7 x 200 generated operators (about 58 steps of 128).
fn train(dir: &Path, parity: bool) -> Vec<u8> {
    let model = dir.join("model.onnx");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trainer"));
    cmd.args([
        "train",
        "--seed",
        "7",
        "--epochs",
        "1",
        "--limit",
        "3000",
        "--operators-per-class",
        "200",
        "--validation",
        "1000",
    ])
    .arg("--data")
    .arg(data_dir())
    .arg("--out")
    .arg(&model);
    if parity {
        cmd.arg("--parity-dump").arg(dir.join("parity"));
    }
    let out = cmd.output().expect("running the trainer");
    assert!(
        out.status.success(),
        "trainer train failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&model).expect("the trainer wrote the model")
}

#[test]
fn short_run_exports_standard_deterministic_onnx() {
    let first_dir = out_dir("first");
    let first = train(&first_dir, true);
    let second = train(&out_dir("second"), false);
    assert!(
        first == second,
        "same seed and data gave different ONNX bytes"
    );

    // The card is written beside the model and describes it.
    let card: serde_json::Value = serde_json::from_slice(
        &std::fs::read(first_dir.join("model.json")).expect("model card written"),
    )
    .expect("model card is JSON");
    assert_eq!(card["size_bytes"], first.len());
    assert!(card["parity_max_abs_diff"].as_f64().expect("parity figure") <= 1e-4);
    let classes: Vec<&str> = card["classes"]
        .as_array()
        .expect("classes in the card")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(
        classes,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "-", "×", "÷", "=", "(", ")"]
    );
    // Even a short run learns something: far above the 6 % of guessing, on every source.
    for key in ["test_accuracy_tract", "test_strokes_accuracy_tract"] {
        assert!(card[key].as_f64().expect(key) > 0.5, "{key}: {card}");
    }
    let operators = card["test_operator_accuracy_tract"]
        .as_object()
        .expect("per-operator accuracy");
    assert_eq!(operators.len(), 7);
    // 58 steps mostly learn the digits (over 80 % of the images); the operators' mean is
    // about 0.27 after them, well above the 1/17 of guessing.
    let mean: f64 = operators.values().filter_map(|v| v.as_f64()).sum::<f64>() / 7.0;
    assert!(mean > 0.15, "{card}");

    // `trainer eval` runs the exported file through tract and prints a confusion matrix.
    let eval = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .arg("eval")
        .arg("--model")
        .arg(first_dir.join("model.onnx"))
        .arg("--data")
        .arg(data_dir())
        .output()
        .expect("running trainer eval");
    let text = String::from_utf8_lossy(&eval.stdout);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    assert!(
        text.contains("MNIST test bitmaps")
            && text.contains("MNIST test digits as strokes")
            && text.contains("operator ÷")
            && text.contains("confusion over all 17 classes"),
        "{text}"
    );

    // The same on a run's validation split (what settings are chosen by), with the sheet of
    // the digits it misread as strokes: one bitmap and one rendering per misread digit.
    let sheet = first_dir.join("misreads.pgm");
    let eval = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args([
            "eval",
            "--split",
            "validation",
            "--seed",
            "1",
            "--validation",
            "500",
        ])
        .arg("--model")
        .arg(first_dir.join("model.onnx"))
        .arg("--data")
        .arg(data_dir())
        .arg("--misreads")
        .arg(&sheet)
        // Compared with itself: every digit one copy misreads, the other does too, and their
        // mean reads what each reads.
        .arg("--with")
        .arg(first_dir.join("model.onnx"))
        .output()
        .expect("running trainer eval --split validation");
    let text = String::from_utf8_lossy(&eval.stdout);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    assert!(
        text.contains("MNIST validation digits as strokes") && text.contains(" / 500)"),
        "{text}"
    );
    let misread: usize = text
        .split(" misread stroke digits")
        .next()
        .and_then(|t| t.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .expect("the count of misread digits");
    assert!(
        text.contains(&format!(
            "digits as strokes misread by every model: {misread} of 500; by at least one: \
             {misread}"
        )),
        "{text}"
    );
    let alone = text
        .lines()
        .find(|l| l.contains("digits as strokes (Normaliser)"))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|c| c.split('%').next())
        .map(str::trim)
        .expect("the stroke accuracy");
    assert!(
        text.lines()
            .any(|l| l.starts_with("| mean of their probabilities")
                && l.contains(&format!("| {alone}% |"))),
        "{text}"
    );
    let pgm = std::fs::read(&sheet).expect("the misread sheet");
    assert!(pgm.starts_with(b"P5\n"), "not a binary PGM");
    // 8 pairs of 28x28 images per row, a pixel apart; one row per 8 misread digits.
    let header = format!("P5\n{} {}\n255\n", 16 * 29, misread.div_ceil(8) * 29);
    assert!(
        pgm.starts_with(header.as_bytes()),
        "header of {misread} misreads"
    );

    // The reference checker and onnxruntime, from the test-only Python venv.
    let python = std::env::var("MATHSKETCH_PYTHON").expect(
        "MATHSKETCH_PYTHON must point at a python with trainer/requirements-test.txt installed \
         (scripts/test sets it up)",
    );
    let check = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_onnx.py"))
        .arg(first_dir.join("model.onnx"))
        .arg(first_dir.join("parity"))
        .arg("1e-4")
        .output()
        .expect("running tests/check_onnx.py");
    let report = String::from_utf8_lossy(&check.stdout);
    println!("{report}");
    assert!(
        check.status.success(),
        "ONNX checks failed:\n{report}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn missing_data_is_a_clear_error() {
    let dir = out_dir("missing");
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["train", "--epochs", "1", "--data"])
        .arg(&dir)
        .arg("--out")
        .arg(dir.join("m.onnx"))
        .output()
        .expect("running the trainer");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("train-images-idx3-ubyte"), "{err}");
}

#[test]
fn eval_reports_a_corrupt_model() {
    let dir = out_dir("corrupt");
    let model = dir.join("bad.onnx");
    std::fs::write(&model, b"this is not an onnx file").expect("writing");
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .arg("eval")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(data_dir())
        .output()
        .expect("running the trainer");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loading the ONNX model"), "{err}");
}

//! The embedded model computes, natively, what the recorded build computed (see
//! `recorded_outputs/mod.rs` for why and how to re-record).
#![cfg(not(target_arch = "wasm32"))]

mod recorded_outputs;
use recorded_outputs as model_outputs;

#[test]
fn the_embedded_model_computes_the_recorded_outputs() {
    let outputs = model_outputs::compute();
    if std::env::var_os("MATHSKETCH_RECORD_OUTPUTS").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/recorded_outputs/outputs.txt"
        );
        std::fs::write(path, model_outputs::format(&outputs)).expect("recording written");
        eprintln!("recorded {} outputs to {path}", outputs.len());
        return;
    }
    let worst = model_outputs::check(&outputs);
    eprintln!(
        "{} drawings x 17 classes, largest difference from the recording {worst:e}",
        outputs.len()
    );
}

//! The runtime reads ONNX with a register of only the operators our model uses
//! (`classifier::ops`). These tests pin down that this changes nothing but the size: the
//! shipped model runs exactly as under tract's full register, and a model with any other
//! operator is a clear load error, not a panic.

use mathsketch::classifier::{ops, Classifier, ClassifierError, EMBEDDED_MODEL};
use mathsketch::mnist::{MnistImage, PIXELS, SIDE};
use tract_onnx::prelude::*;

/// Deterministic pseudo-random images (xorshift), plus the blank and benchmark inputs.
fn images() -> Vec<MnistImage> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = vec![MnistImage::blank(), MnistImage::benchmark_input()];
    for _ in 0..30 {
        let mut p = [0f32; PIXELS];
        for v in &mut p {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *v = (seed % 1000) as f32 / 999.0;
        }
        out.push(MnistImage::from_pixels(p));
    }
    out
}

#[test]
fn trimmed_register_computes_what_the_full_register_computes() -> TractResult<()> {
    let full = tract_onnx::onnx()
        .model_for_read(&mut &EMBEDDED_MODEL[..])?
        .with_input_fact(0, f32::fact([1, 1, SIDE, SIDE]).into())?
        .into_optimized()?
        .into_runnable()?;
    let ours = Classifier::embedded()?;
    let mut session = ours.session()?;
    for (i, image) in images().iter().enumerate() {
        let input = Tensor::from_shape(&[1, 1, SIDE, SIDE], image.pixels())?;
        let expected = full.run(tvec!(input.into()))?;
        let expected = expected[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        let got = ours.predict(image)?;
        assert_eq!(got.as_array().as_slice(), expected, "image {i}: predict");
        let again = session.predict(image)?;
        assert_eq!(again.as_array().as_slice(), expected, "image {i}: session");
    }
    Ok(())
}

#[test]
fn the_register_holds_exactly_the_supported_operators() {
    let register = ops::register();
    let mut registered: Vec<&str> = register.0.keys().map(String::as_str).collect();
    registered.sort_unstable();
    let mut supported = ops::SUPPORTED.to_vec();
    supported.sort_unstable();
    assert_eq!(registered, supported);
}

#[test]
fn an_unsupported_operator_is_a_load_error_that_names_it() {
    // Same bytes with every Relu turned into Tanh (same length, so the protobuf stays valid):
    // a real ONNX operator this runtime does not register.
    let mut model = EMBEDDED_MODEL.to_vec();
    let mut replaced = 0;
    for i in 0..model.len().saturating_sub(4) {
        if &model[i..i + 4] == b"Relu" {
            model[i..i + 4].copy_from_slice(b"Tanh");
            replaced += 1;
        }
    }
    assert!(replaced > 0, "the shipped model has Relu nodes");
    match Classifier::from_onnx_bytes(&model) {
        Err(ClassifierError::Load(message)) => {
            assert!(
                message.contains("Tanh"),
                "message names the operator: {message}"
            )
        }
        other => panic!("expected a load error, got {other:?}"),
    }
}

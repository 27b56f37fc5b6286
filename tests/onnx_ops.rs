//! The runtime reads ONNX with a register of only the operators our model uses
//! (`classifier::ops`) and then puts its own pool and convolution in place of tract's
//! (`classifier::use_fast_ops`). These tests pin down what that changes: the register changes
//! nothing but the size (same bits as tract's full register), our ops change the outputs by
//! float rounding at most, and a model with any other operator is a clear load error, not a
//! panic.

use mathsketch::classifier::{self, ops, Classifier, ClassifierError, EMBEDDED_MODEL};
use mathsketch::mnist::{MnistImage, PIXELS, SIDE};
use std::sync::Arc;

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

/// The shipped model under tract's full ONNX register, optimised by tract alone.
fn reference_plan() -> TractResult<Arc<TypedSimplePlan>> {
    tract_onnx::onnx()
        .model_for_read(&mut &EMBEDDED_MODEL[..])?
        .with_input_fact(0, f32::fact([1, 1, SIDE, SIDE]).into())?
        .into_optimized()?
        .into_runnable()
}

fn run(plan: &Arc<TypedSimplePlan>, image: &MnistImage) -> TractResult<Vec<f32>> {
    let input = Tensor::from_shape(&[1, 1, SIDE, SIDE], image.pixels())?;
    let out = plan.run(tvec!(input.into()))?;
    Ok(out[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec())
}

#[test]
fn trimmed_register_computes_what_the_full_register_computes() -> TractResult<()> {
    let full = reference_plan()?;
    // Our register, without our own ops: only the register differs, so the bits must not.
    let trimmed = classifier::typed_model(EMBEDDED_MODEL, 1)?
        .into_optimized()?
        .into_runnable()?;
    for (i, image) in images().iter().enumerate() {
        assert_eq!(run(&trimmed, image)?, run(&full, image)?, "image {i}");
    }
    Ok(())
}

/// Our pool is exact; our convolution adds its taps in another order than tract's matrix
/// product, so the shipped classifier may differ from tract's own graph by float rounding,
/// never by more, and a session computes exactly what `predict` does.
#[test]
fn our_ops_compute_what_tracts_ops_compute() -> TractResult<()> {
    let full = reference_plan()?;
    let ours = Classifier::embedded()?;
    let mut session = ours.session()?;
    let mut worst = 0f32;
    for (i, image) in images().iter().enumerate() {
        let expected = run(&full, image)?;
        let got = ours.predict(image)?;
        for (g, e) in got.as_array().iter().zip(&expected) {
            worst = worst.max((g - e).abs());
        }
        let top = |p: &[f32]| (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]));
        assert_eq!(top(got.as_array()), top(&expected), "image {i}: top class");
        let again = session.predict(image)?;
        assert_eq!(again, got, "image {i}: session");
    }
    eprintln!("largest probability difference from tract's own ops: {worst:e}");
    assert!(worst <= 1e-5, "probabilities differ by up to {worst}");
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

/// A one-node ONNX model `Y = Gemm(A, B[, C])`: A is the input (its shape is set by the
/// caller), B and C are initializers, stored transposed when the attributes say so.
fn gemm_model(
    trans_a: bool,
    trans_b: bool,
    alpha: f32,
    beta: f32,
    b: &[f32],
    b_dims: [i64; 2],
    c: Option<(&[f32], Vec<i64>)>,
) -> Vec<u8> {
    use prost::Message;
    use tract_onnx::pb::*;

    let tensor = |name: &str, dims: Vec<i64>, data: &[f32]| TensorProto {
        name: name.into(),
        dims,
        data_type: 1, // FLOAT
        float_data: data.to_vec(),
        ..Default::default()
    };
    let float = |name: &str, f: f32| AttributeProto {
        name: name.into(),
        r#type: 1, // FLOAT
        f,
        ..Default::default()
    };
    let int = |name: &str, i: i64| AttributeProto {
        name: name.into(),
        r#type: 2, // INT
        i,
        ..Default::default()
    };
    let mut inputs = vec!["A".to_string(), "B".to_string()];
    let mut initializer = vec![tensor("B", b_dims.to_vec(), b)];
    if let Some((data, dims)) = c {
        inputs.push("C".into());
        initializer.push(tensor("C", dims, data));
    }
    let node = NodeProto {
        input: inputs,
        output: vec!["Y".into()],
        name: "gemm".into(),
        op_type: "Gemm".into(),
        attribute: vec![
            float("alpha", alpha),
            float("beta", beta),
            int("transA", trans_a.into()),
            int("transB", trans_b.into()),
        ],
        ..Default::default()
    };
    // A float tensor of unknown shape (the caller sets A's).
    let value = |name: &str| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: 1, // FLOAT
                shape: None,
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            node: vec![node],
            name: "g".into(),
            initializer,
            input: vec![value("A")],
            output: vec![value("Y")],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Our own Gemm expansion against the ONNX definition, for every attribute combination (the
/// shipped model only exercises alpha = beta = 1, transB = 1).
#[test]
fn gemm_follows_the_onnx_definition() -> TractResult<()> {
    const M: usize = 2;
    const K: usize = 3;
    const N: usize = 4;
    let a: Vec<f32> = (0..M * K).map(|i| i as f32 - 2.5).collect(); // [M, K]
    let b: Vec<f32> = (0..K * N).map(|i| (i as f32 * 0.5) - 1.0).collect(); // [K, N]
    let transpose = |x: &[f32], rows: usize, cols: usize| -> Vec<f32> {
        (0..cols * rows)
            .map(|i| x[(i % rows) * cols + i / rows])
            .collect()
    };
    let framework = tract_onnx::Onnx {
        op_register: ops::register(),
        ..tract_onnx::Onnx::default()
    };
    for (trans_a, trans_b, alpha, beta, c_dims) in [
        (false, false, 1.0, 1.0, Some(vec![N as i64])),
        (true, false, 0.5, 2.0, Some(vec![1, N as i64])),
        (false, true, 1.0, 0.0, Some(vec![N as i64])),
        (true, true, 2.0, 1.0, None),
        (false, false, -1.0, 1.0, Some(vec![M as i64, N as i64])),
    ] {
        // C as stored: [N], [1, N] or [M, N], broadcast to [M, N] by ONNX's rules.
        let c_len = c_dims
            .as_ref()
            .map_or(0, |d| d.iter().product::<i64>() as usize);
        let c_full: Vec<f32> = (0..c_len).map(|i| 10.0 * i as f32 - 3.0).collect();
        let c_at = |m: usize, n: usize| {
            if c_len == M * N {
                c_full[m * N + n]
            } else {
                c_full[n]
            }
        };
        let (a_in, a_shape) = if trans_a {
            (transpose(&a, M, K), [K, M])
        } else {
            (a.clone(), [M, K])
        };
        let (b_in, b_dims) = if trans_b {
            (transpose(&b, K, N), [N as i64, K as i64])
        } else {
            (b.clone(), [K as i64, N as i64])
        };
        let onnx = gemm_model(
            trans_a,
            trans_b,
            alpha,
            beta,
            &b_in,
            b_dims,
            c_dims.clone().map(|d| (c_full.as_slice(), d)),
        );
        let plan = framework
            .model_for_read(&mut &onnx[..])?
            .with_input_fact(0, f32::fact(a_shape).into())?
            .into_optimized()?
            .into_runnable()?;
        let y = plan.run(tvec!(Tensor::from_shape(&a_shape, &a_in)?.into()))?;
        let y = y[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        for m in 0..M {
            for n in 0..N {
                let ab: f32 = (0..K).map(|k| a[m * K + k] * b[k * N + n]).sum();
                let c_term = if c_len == 0 { 0.0 } else { beta * c_at(m, n) };
                let want = alpha * ab + c_term;
                let got = y[m * N + n];
                assert!(
                    (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                    "transA={trans_a} transB={trans_b} alpha={alpha} beta={beta} C={c_dims:?}: \
                     Y[{m}][{n}] = {got}, want {want}"
                );
            }
        }
    }
    Ok(())
}

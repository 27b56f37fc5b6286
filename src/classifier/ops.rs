//! The ONNX operators the digit model is made of, and no others.
//!
//! `tract_onnx::onnx()` registers every operator tract can read (FFT, NMS, quantised and
//! recurrent ops, ...). Each registration keeps that operator's whole implementation alive in
//! the wasm module, although our model uses seven of them. Registering only those is the
//! largest size win we have (see `bench/README.md` for the figures). A model that uses any
//! other operator still loads into tract's graph, but fails to type with an error that names
//! the node and its operator, which `Classifier` reports as a load error.
//!
//! The attribute handling follows the ONNX operator specs (opset 13) and mirrors what tract's
//! own parsers do for these operators, so the graph tract builds is the same.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops::activations::Clip;
use tract_onnx::tract_hir::ops::array::Flatten;
use tract_onnx::tract_hir::ops::cnn::{Conv, HirMaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_hir::ops::expandable::expand;
use tract_onnx::tract_hir::ops::math::{add, mul};
use tract_onnx::tract_hir::ops::nn::{DataFormat, GlobalAvgPool, LayerSoftmax, Softmax};
use tract_onnx::tract_hir::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_hir::tract_core::ops::einsum::EinSum;

/// The operators of `models/symbols.onnx`. `tests/onnx_ops.rs` checks that the shipped model
/// loads with exactly these and computes bit for bit what tract's full register computes.
pub const SUPPORTED: [&str; 7] = [
    "Conv",
    "Relu",
    "MaxPool",
    "GlobalAveragePool",
    "Flatten",
    "Gemm",
    "Softmax",
];

type Parsed = TractResult<(Box<dyn InferenceOp>, Vec<String>)>;

/// The register holding exactly [`SUPPORTED`].
pub fn register() -> OnnxOpRegister {
    let mut reg = OnnxOpRegister::default();
    reg.insert("Conv", conv);
    reg.insert("Relu", |_, _| {
        Ok((expand(Clip::new(Some(0.0), None)), vec![]))
    });
    reg.insert("MaxPool", max_pool);
    reg.insert("GlobalAveragePool", |_, _| {
        Ok((expand(GlobalAvgPool), vec![]))
    });
    reg.insert("Flatten", |_, node| {
        let axis: i64 = node.get_attr_opt("axis")?.unwrap_or(1);
        Ok((expand(Flatten::new(axis)), vec![]))
    });
    reg.insert("Gemm", gemm);
    reg.insert("Softmax", softmax);
    reg
}

/// `pads` (begin values then end values), else `auto_pad`, else no padding.
fn padding(node: &NodeProto, pool: bool) -> TractResult<PaddingSpec> {
    let ceil_mode = node.get_attr_opt::<i64>("ceil_mode")?.unwrap_or(0) == 1;
    if let Some(pads) = node.get_attr_opt_tvec::<usize>("pads")? {
        let (begin, end) = pads.split_at(pads.len() / 2);
        let (begin, end): (TVec<usize>, TVec<usize>) = (begin.into(), end.into());
        return Ok(if pool {
            PaddingSpec::ExplicitOnnxPool(begin, end, ceil_mode)
        } else {
            PaddingSpec::Explicit(begin, end)
        });
    }
    let rank = node
        .get_attr_opt_tvec::<usize>("kernel_shape")?
        .map(|k| k.len());
    let auto_pad = node.get_attr_opt::<&str>("auto_pad")?.unwrap_or("NOTSET");
    Ok(match (auto_pad, rank) {
        ("NOTSET", Some(rank)) if pool => {
            PaddingSpec::ExplicitOnnxPool(tvec!(0; rank), tvec!(0; rank), ceil_mode)
        }
        ("NOTSET", Some(rank)) => PaddingSpec::Explicit(tvec!(0; rank), tvec!(0; rank)),
        ("NOTSET", None) | ("VALID", _) => PaddingSpec::Valid,
        ("SAME_UPPER", _) => PaddingSpec::SameUpper,
        ("SAME_LOWER", _) => PaddingSpec::SameLower,
        (other, _) => bail!("{}: unknown auto_pad value {other:?}", node.name),
    })
}

fn conv(_: &ParsingContext, node: &NodeProto) -> Parsed {
    let mut op = Conv::default().padding(padding(node, false)?);
    if let Some(kernel_shape) = node.get_attr_opt_tvec("kernel_shape")? {
        op = op.kernel_shape(kernel_shape);
    }
    if let Some(group) = node.get_attr_opt("group")? {
        op = op.group(group);
    }
    if let Some(dilations) = node.get_attr_opt_tvec("dilations")? {
        op = op.dilations(dilations);
    }
    if let Some(strides) = node.get_attr_opt_tvec("strides")? {
        op = op.strides(strides);
    }
    if node.input.len() == 3 {
        op = op.bias_input(2);
    }
    Ok((expand(op), vec![]))
}

fn max_pool(_: &ParsingContext, node: &NodeProto) -> Parsed {
    if node.output.iter().filter(|o| !o.is_empty()).count() > 1 {
        bail!(
            "{}: MaxPool with an Indices output is not supported",
            node.name
        );
    }
    let spec = PoolSpec::new(
        DataFormat::NCHW,
        node.get_attr_tvec("kernel_shape")?,
        padding(node, true)?,
        node.get_attr_opt_tvec("dilations")?,
        node.get_attr_opt_tvec("strides")?,
        0,
        0,
    );
    Ok((expand(HirMaxPool::new(spec, None)), vec![]))
}

fn softmax(ctx: &ParsingContext, node: &NodeProto) -> Parsed {
    let axis = node.get_attr_opt("axis")?;
    // Opset 13 changed Softmax from "flatten from `axis` on" to "along `axis`".
    if ctx.onnx_operator_set_version < 13 {
        Ok((expand(LayerSoftmax::new(axis.unwrap_or(1), true)), vec![]))
    } else {
        Ok((expand(Softmax::new(axis.unwrap_or(-1))), vec![]))
    }
}

fn gemm(_: &ParsingContext, node: &NodeProto) -> Parsed {
    let op = Gemm {
        alpha: node.get_attr_opt("alpha")?.unwrap_or(1.0),
        beta: node.get_attr_opt("beta")?.unwrap_or(1.0),
        trans_a: node.get_attr_opt("transA")?.unwrap_or(false),
        trans_b: node.get_attr_opt("transB")?.unwrap_or(false),
    };
    Ok((expand(op), vec![]))
}

/// ONNX Gemm: `alpha * op(A) @ op(B) + beta * C`, with `op` an optional transpose and C
/// broadcast to the product's shape.
#[derive(Debug, Clone)]
struct Gemm {
    alpha: f32,
    beta: f32,
    trans_a: bool,
    trans_b: bool,
}

impl Expansion for Gemm {
    fn name(&self) -> StaticName {
        "Gemm".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        if !(2..=3).contains(&inputs.len()) {
            bail!("Gemm takes 2 or 3 inputs, this node has {}", inputs.len());
        }
        check_output_arity(outputs, 1)?;
        for input in inputs {
            s.equals(&input.datum_type, &outputs[0].datum_type)?;
        }
        s.equals(&inputs[0].rank, 2)?;
        s.equals(&inputs[1].rank, 2)?;
        s.equals(&outputs[0].rank, 2)?;
        // Row and column axes of A and B once the transposes are applied.
        let (a_rows, a_cols) = if self.trans_a { (1, 0) } else { (0, 1) };
        let (b_rows, b_cols) = if self.trans_b { (1, 0) } else { (0, 1) };
        s.equals(&inputs[0].shape[a_rows], &outputs[0].shape[0])?;
        s.equals(&inputs[0].shape[a_cols], &inputs[1].shape[b_rows])?;
        s.equals(&inputs[1].shape[b_cols], &outputs[0].shape[1])?;
        Ok(())
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let (a, b) = (inputs[0], inputs[1]);
        let datum_type = model.outlet_fact(a)?.datum_type;
        let axes = AxesMapping::for_numpy_matmul(2, self.trans_a, self.trans_b, false)?;
        let mut wire = model.wire_node(
            format!("{name}.matmul"),
            EinSum::new(axes, datum_type),
            &[a, b],
        )?[0];
        if self.alpha != 1.0 {
            let alpha = tensor0(self.alpha).broadcast_into_rank(2)?;
            let alpha = model.add_const(format!("{name}.alpha"), alpha)?;
            wire = model.wire_node(format!("{name}.scaled"), mul(), &[alpha, wire])?[0];
        }
        if let Some(&c) = inputs.get(2).filter(|_| self.beta != 0.0) {
            let mut c = c;
            while model.outlet_fact(c)?.rank() < 2 {
                let rank = model.outlet_fact(c)?.rank();
                c = model.wire_node(format!("{name}.c_rank{rank}"), AxisOp::Add(0), &[c])?[0];
            }
            if self.beta != 1.0 {
                let beta = tensor0(self.beta).broadcast_into_rank(2)?;
                let beta = model.add_const(format!("{name}.beta"), beta)?;
                c = model.wire_node(format!("{name}.c_scaled"), mul(), &[beta, c])?[0];
            }
            wire = model.wire_node(name, add(), &[wire, c])?[0];
        }
        Ok(tvec!(wire))
    }
}

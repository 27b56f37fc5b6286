//! A fast path for the only pooling our model does: 2x2 max-pooling with stride 2 and no
//! padding, on NCHW f32.
//!
//! tract's general `MaxPool` walks a pooling geometry for every output value; on our model it
//! took 11 % of native inference (`examples/profile_nodes.rs`: 74 µs for the first pool
//! alone). [`use_fast_pooling`] swaps each such node for [`MaxPool2x2`], which does the same
//! comparisons in a straight loop over pairs of rows. Max is exact, so the model's outputs are
//! bit for bit what they were (`tests/onnx_ops.rs` checks this against tract's own ops); any
//! other pooling shape keeps tract's op.
//!
//! A ReLU right before such a pool (our `Conv -> Relu -> MaxPool` blocks) is folded into it:
//! `max(0, max(a, b, c, d))` equals the max of the ReLU'd values, and taking it after pooling
//! does a quarter of the work and saves a pass over the conv's output.

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_hir::tract_core::ops::cnn::{MaxPool, PaddingSpec};
use tract_onnx::tract_hir::tract_core::ops::math::Max;
use tract_onnx::tract_hir::tract_core::ops::nn::DataFormat;

/// Max over each 2x2 block of an `[N, C, H, W]` f32 tensor, giving `[N, C, H/2, W/2]` (an odd
/// last row or column is dropped, as ONNX's floor mode does); with `relu`, never below 0.
#[derive(Debug, Clone, Default, Hash, PartialEq, Eq)]
pub struct MaxPool2x2 {
    pub relu: bool,
}

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        if self.relu {
            "Relu+MaxPool2x2".into()
        } else {
            "MaxPool2x2".into()
        }
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPool2x2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = inputs.first().context("MaxPool2x2 takes one input")?;
        let &[n, c, h, w] = input.shape() else {
            bail!("MaxPool2x2 takes NCHW input, got shape {:?}", input.shape());
        };
        let (oh, ow) = (h / 2, w / 2);
        let floor = if self.relu { 0.0 } else { f32::NEG_INFINITY };
        let src = input.try_as_plain_ram()?;
        let src = src.as_slice::<f32>()?;
        let mut output = Tensor::zero::<f32>(&[n, c, oh, ow])?;
        {
            let mut dst = output.try_as_plain_ram_mut()?;
            let dst = dst.as_slice_mut::<f32>()?;
            if oh > 0 && ow > 0 {
                for (plane, out) in src.chunks_exact(h * w).zip(dst.chunks_exact_mut(oh * ow)) {
                    for (rows, out_row) in plane.chunks_exact(2 * w).zip(out.chunks_exact_mut(ow)) {
                        let (top, bottom) = rows.split_at(w);
                        let pairs = top.chunks_exact(2).zip(bottom.chunks_exact(2));
                        for (o, (t, b)) in out_row.iter_mut().zip(pairs) {
                            *o = t[0].max(t[1]).max(b[0].max(b[1])).max(floor);
                        }
                    }
                }
            }
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for MaxPool2x2 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let fact = inputs.first().context("MaxPool2x2 takes one input")?;
        ensure!(
            fact.datum_type == f32::datum_type(),
            "MaxPool2x2 is f32 only"
        );
        let Some(&[n, c, h, w]) = fact.shape.as_concrete() else {
            bail!(
                "MaxPool2x2 needs a concrete NCHW shape, got {:?}",
                fact.shape
            );
        };
        Ok(tvec!(f32::fact([n, c, h / 2, w / 2])))
    }

    as_op!();
}

/// Whether `pool` on `input` is exactly what [`MaxPool2x2`] computes.
fn is_plain_2x2(pool: &MaxPool, input: &TypedFact) -> bool {
    let spec = &pool.pool_spec;
    let no_padding = match &spec.padding {
        PaddingSpec::Valid => true,
        PaddingSpec::Explicit(before, after) => before.iter().chain(after).all(|&p| p == 0),
        PaddingSpec::ExplicitOnnxPool(before, after, ceil_mode) => {
            !ceil_mode && before.iter().chain(after).all(|&p| p == 0)
        }
        PaddingSpec::SameUpper | PaddingSpec::SameLower => false,
    };
    pool.with_index_outputs.is_none()
        && spec.data_format == DataFormat::NCHW
        && spec.kernel_shape.as_slice() == [2, 2]
        && spec.strides.as_deref() == Some(&[2, 2])
        && spec.dilations.as_deref().is_none_or(|d| d == [1, 1])
        && no_padding
        && input.datum_type == f32::datum_type()
        && input.shape.as_concrete().is_some_and(|s| s.len() == 4)
}

/// Whether exactly one node reads `outlet` and it is not a model output, so the node that
/// makes it can be fused into that reader.
pub(super) fn has_one_reader(model: &TypedModel, outlet: OutletId) -> TractResult<bool> {
    Ok(model.outlet_successors(outlet).len() == 1 && !model.output_outlets()?.contains(&outlet))
}

/// When `outlet` is the output of a ReLU (`max(x, 0)` with a constant zero), its input `x`.
pub(super) fn relu_input(model: &TypedModel, outlet: OutletId) -> TractResult<Option<OutletId>> {
    let node = model.node(outlet.node);
    let is_max = node
        .op_as::<TypedBinOp>()
        .is_some_and(|op| op.0.is::<Max>());
    let [a, b] = node.inputs.as_slice() else {
        return Ok(None);
    };
    if !is_max {
        return Ok(None);
    }
    let shape = &model.outlet_fact(outlet)?.shape;
    for (x, k) in [(*a, *b), (*b, *a)] {
        let zero = model
            .outlet_fact(k)?
            .konst
            .as_ref()
            .filter(|k| k.len() == 1)
            .and_then(|k| k.cast_to_scalar::<f32>().ok())
            .is_some_and(|v| v == 0.0);
        if zero && &model.outlet_fact(x)?.shape == shape {
            return Ok(Some(x));
        }
    }
    Ok(None)
}

/// Replaces every plain 2x2/stride-2 f32 `MaxPool` of a typed model by [`MaxPool2x2`], taking
/// in a ReLU that only feeds the pool.
pub fn use_fast_pooling(model: &mut TypedModel) -> TractResult<()> {
    for id in model.eval_order()? {
        let node = &model.nodes()[id];
        let Some(pool) = node.op_as::<MaxPool>() else {
            continue;
        };
        let [input] = node.inputs.as_slice() else {
            continue;
        };
        if !is_plain_2x2(pool, model.outlet_fact(*input)?) {
            continue;
        }
        let (source, relu) = match relu_input(model, *input)? {
            Some(x) if has_one_reader(model, *input)? => (x, true),
            _ => (*input, false),
        };
        let op = MaxPool2x2 { relu };
        let patch = TypedModelPatch::replace_single_op(model, node, &[source], op)?;
        patch.apply(model)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::tract_hir::tract_core::ops::cnn::PoolSpec;

    /// A model holding one tract MaxPool over an `[n, c, h, w]` input.
    fn pool_model(shape: [usize; 4], kernel: usize, stride: usize) -> TractResult<TypedModel> {
        let mut model = TypedModel::default();
        let input = model.add_source("x", f32::fact(shape))?;
        let spec = PoolSpec::new(
            DataFormat::NCHW,
            tvec!(kernel, kernel),
            PaddingSpec::Valid,
            None,
            Some(tvec!(stride, stride)),
            shape[1],
            shape[1],
        );
        let out = model.wire_node("pool", MaxPool::new(spec, None), &[input])?;
        model.select_output_outlets(&out)?;
        Ok(model)
    }

    fn run(model: TypedModel, input: &Tensor) -> TractResult<Tensor> {
        let out = model
            .into_runnable()?
            .run(tvec!(input.clone().into_tvalue()))?;
        Ok(out[0].clone().into_tensor())
    }

    fn input(shape: [usize; 4]) -> TractResult<Tensor> {
        let len = shape.iter().product::<usize>();
        let values: Vec<f32> = (0..len)
            .map(|i| ((i * 7919 % 97) as f32 - 48.0) / 7.0)
            .collect();
        Tensor::from_shape(&shape, &values)
    }

    #[test]
    fn matches_tract_maxpool_on_even_and_odd_shapes() -> TractResult<()> {
        for shape in [[1, 3, 8, 8], [2, 4, 5, 7], [1, 1, 2, 2], [1, 2, 3, 4]] {
            let x = input(shape)?;
            let expected = run(pool_model(shape, 2, 2)?, &x)?;
            let mut fast = pool_model(shape, 2, 2)?;
            use_fast_pooling(&mut fast)?;
            let replaced = fast
                .nodes()
                .iter()
                .any(|n| n.op_as::<MaxPool2x2>().is_some());
            assert!(replaced, "{shape:?}: the pool was not replaced");
            assert_eq!(run(fast, &x)?, expected, "{shape:?}");
        }
        Ok(())
    }

    #[test]
    fn a_single_row_pools_to_nothing_without_panicking() -> TractResult<()> {
        // tract's own MaxPool panics on this shape; ours gives the empty output ONNX defines.
        let out = MaxPool2x2::default().eval(
            &EvalContext::out_of_plan(),
            tvec!(input([1, 2, 1, 4])?.into_tvalue()),
        )?;
        assert_eq!(out[0].shape(), &[1, 2, 0, 2]);
        Ok(())
    }

    #[test]
    fn a_relu_that_only_feeds_the_pool_is_folded_in() -> TractResult<()> {
        let shape = [2, 3, 6, 6];
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact(shape))?;
        let zero = model.add_const("zero", tensor0(0f32).broadcast_into_rank(4)?)?;
        let relu = model.wire_node("relu", tract_onnx::tract_hir::ops::math::max(), &[x, zero])?;
        let spec = PoolSpec::new(
            DataFormat::NCHW,
            tvec!(2, 2),
            PaddingSpec::Valid,
            None,
            Some(tvec!(2, 2)),
            3,
            3,
        );
        let out = model.wire_node("pool", MaxPool::new(spec, None), &relu)?;
        model.select_output_outlets(&out)?;
        let x = input(shape)?;
        let expected = run(model.clone(), &x)?;
        use_fast_pooling(&mut model)?;
        let fused = model
            .nodes()
            .iter()
            .any(|n| n.op_as::<MaxPool2x2>().is_some_and(|p| p.relu));
        assert!(fused, "the relu was not folded into the pool");
        let got = run(model, &x)?;
        assert_eq!(got, expected);
        assert!(got
            .try_as_plain_ram()?
            .as_slice::<f32>()?
            .iter()
            .all(|&v| v >= 0.0));
        Ok(())
    }

    #[test]
    fn other_pooling_shapes_keep_tracts_op() -> TractResult<()> {
        for (kernel, stride) in [(3, 2), (2, 1), (3, 3)] {
            let mut model = pool_model([1, 2, 9, 9], kernel, stride)?;
            use_fast_pooling(&mut model)?;
            assert!(
                model
                    .nodes()
                    .iter()
                    .all(|n| n.op_as::<MaxPool2x2>().is_none()),
                "kernel {kernel} stride {stride} must not be replaced"
            );
        }
        Ok(())
    }
}

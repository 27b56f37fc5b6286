//! A direct kernel for the only convolution our model does: 3x3, stride 1, one pixel of zero
//! padding, NCHW f32, one group, with its bias and (when one follows) its ReLU.
//!
//! tract lowers every convolution to a pad, an im2col-style packing and a general matrix
//! product; on our model those products were 85 % of inference (`examples/profile_nodes.rs`),
//! and in the browser they ran at about a third of native speed. [`Conv3x3`] skips the
//! packing altogether. The input is copied once into a zero-bordered buffer whose rows are
//! `W + 2` wide; then output pixel `p = y * (W + 2) + x` reads input `p + offset(c, ky, kx)`
//! for each of the `9 C` taps, so for every tap a run of consecutive outputs reads a run of
//! consecutive inputs. The kernel computes 2 output channels x 16 such pixels at a time with
//! 8 four-lane accumulators, which fits the 16 vector registers V8 has on x86-64 without
//! spilling. The two extra columns per row are computed and then dropped when the result is
//! copied out, with the bias already added and the ReLU applied.
//!
//! With 8 or more input channels the op computes the same convolution with Winograd's
//! F(2x2, 3x3) instead (`winograd.rs`): 16 multiplies per 2x2 outputs and input channel
//! instead of 36, its 16 matrix products running on this kernel's tile.
//!
//! The arithmetic is one multiply then one add per tap, in the same order on every target
//! (wasm SIMD in the browser, SSE or plain four-float arrays natively, see `lanes.rs`), so the
//! web page and the server get the same bits out of every convolution. They differ from
//! tract's own convolution only by float rounding (`tests/onnx_ops.rs` and `tests/wasm.rs`
//! bound that); any other convolution keeps tract's op.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::tract_core::ops::cast::Cast;
use tract_onnx::tract_hir::tract_core::ops::cnn::{Conv, KernelFormat, PaddingSpec};
use tract_onnx::tract_hir::tract_core::ops::nn::DataFormat;

use super::lanes;
use super::pool::{has_one_reader, relu_input};
use super::winograd::{self, Winograd};

/// Output channels per kernel tile.
pub(super) const MR: usize = 2;
/// Four-lane vectors of output pixels per kernel tile.
const NV: usize = 4;
/// Output pixels per kernel tile.
pub(super) const NR: usize = 4 * NV;

/// `[N, C, H, W] -> [N, O, H, W]`: 3x3 convolution, stride 1, zero padding 1, plus bias,
/// optionally followed by ReLU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Conv3x3 {
    /// Input channels, height and width the op was built for.
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Output channels.
    pub outputs: usize,
    kernel: Kernel,
    pub relu: bool,
}

/// From this many input channels on, [`Conv3x3`] uses Winograd's F(2x2, 3x3)
/// (`winograd.rs`): 16 multiplies per 2x2 outputs and input channel instead of 36. Its
/// transforms cost per input and output channel, so with very few input channels (our first
/// layer has one) the direct kernel is faster.
pub const WINOGRAD_MIN_CHANNELS: usize = 8;

/// How a [`Conv3x3`] computes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kernel {
    Direct(Direct),
    Winograd(Winograd),
}

/// The direct kernel and its weights.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Direct {
    geometry: Geometry,
    /// The weights in kernel order: per block of [`MR`] output channels, per tap `(c, ky, kx)`,
    /// the block's [`MR`] weights (an odd last block is padded with zero weights).
    packed: Arc<Tensor>,
    /// One bias per output channel, padded like the weight blocks.
    bias: Arc<Tensor>,
}

impl Direct {
    /// From OIHW `[O, C, 3, 3]` weights and `[O]` biases, for `[_, C, H, W]` input.
    fn new(
        weights: &[f32],
        bias: &[f32],
        (channels, height, width, outputs): (usize, usize, usize, usize),
    ) -> TractResult<Direct> {
        let taps = channels * 9;
        ensure!(
            weights.len() == outputs * taps && bias.len() == outputs,
            "Conv3x3: {} weights and {} biases for [{outputs}, {channels}, 3, 3]",
            weights.len(),
            bias.len()
        );
        let blocks = outputs.div_ceil(MR);
        let mut packed = vec![0f32; blocks * MR * taps];
        let mut padded_bias = vec![0f32; blocks * MR];
        for o in 0..outputs {
            let (block, row) = (o / MR, o % MR);
            for (t, &w) in weights[o * taps..][..taps].iter().enumerate() {
                packed[(block * taps + t) * MR + row] = w;
            }
            padded_bias[o] = bias[o];
        }
        Ok(Direct {
            geometry: Geometry::new(channels, height, width, outputs),
            packed: Arc::new(Tensor::from_shape(&[blocks, taps, MR], &packed)?),
            bias: Arc::new(Tensor::from_shape(&[blocks * MR], &padded_bias)?),
        })
    }

    /// Convolves one `[C, H, W]` image into one `[O, H, W]` image.
    fn run_image(
        &self,
        image: &[f32],
        out: &mut [f32],
        relu: bool,
        scratch: &mut Scratch,
    ) -> TractResult<()> {
        let g = &self.geometry;
        let packed = self.packed.try_as_plain_ram()?;
        let bias = self.bias.try_as_plain_ram()?;
        scratch.fit(g);
        pad(
            image,
            (g.height, g.width),
            &mut scratch.padded,
            (g.plane, g.row),
        );
        g.convolve(
            packed.as_slice::<f32>()?,
            bias.as_slice::<f32>()?,
            &scratch.padded,
            &mut scratch.wide,
        )?;
        crop(
            &scratch.wide,
            (g.positions, g.row),
            out,
            (g.height, g.width),
            relu,
        );
        Ok(())
    }
}

/// Copies one `[C, H, W]` image into a kernel's zero-bordered input: pixel `(y, x)` of
/// channel `c` at `c * plane + (y + 1) * row + x + 1`. Only those places are written, so the
/// border and any tail stay zero from when the buffer was made.
pub(super) fn pad(
    image: &[f32],
    (h, w): (usize, usize),
    padded: &mut [f32],
    (plane, row): (usize, usize),
) {
    for (c, channel) in image.chunks_exact(h * w).enumerate() {
        for (y, line) in channel.chunks_exact(w).enumerate() {
            let start = c * plane + (y + 1) * row + 1;
            padded[start..start + w].copy_from_slice(line);
        }
    }
}

/// Copies the `[O, H, W]` result out of a kernel's uncropped output (`plane` floats per
/// channel, rows `row` wide), dropping the extra columns, rows and channels, and applying the
/// ReLU.
pub(super) fn crop(
    wide: &[f32],
    (plane, row): (usize, usize),
    out: &mut [f32],
    (h, w): (usize, usize),
    relu: bool,
) {
    for (channel, computed) in out.chunks_exact_mut(h * w).zip(wide.chunks_exact(plane)) {
        for (line, computed) in channel.chunks_exact_mut(w).zip(computed.chunks_exact(row)) {
            if relu {
                for (o, &v) in line.iter_mut().zip(computed) {
                    *o = v.max(0.0);
                }
            } else {
                line.copy_from_slice(&computed[..w]);
            }
        }
    }
}

impl Conv3x3 {
    /// Builds the op from OIHW `[O, C, 3, 3]` weights and `[O]` biases for `[_, C, H, W]` input.
    pub fn new(
        weights: &Tensor,
        bias: &Tensor,
        height: usize,
        width: usize,
        relu: bool,
    ) -> TractResult<Conv3x3> {
        let &[outputs, channels, 3, 3] = weights.shape() else {
            bail!(
                "Conv3x3 takes OIHW [O, C, 3, 3] weights, got shape {:?}",
                weights.shape()
            );
        };
        ensure!(
            bias.len() == outputs,
            "Conv3x3 takes one bias per output channel ({outputs}), got {}",
            bias.len()
        );
        ensure!(
            channels > 0 && height > 0 && width > 0,
            "Conv3x3 needs a non-empty input, got [_, {channels}, {height}, {width}]"
        );
        let weights = weights.cast_to::<f32>()?;
        let weights = weights.try_as_plain_ram()?;
        let weights = weights.as_slice::<f32>()?;
        let bias = bias.cast_to::<f32>()?;
        let bias = bias.try_as_plain_ram()?;
        let bias = bias.as_slice::<f32>()?;
        let shape = (channels, height, width, outputs);
        let kernel = if channels >= WINOGRAD_MIN_CHANNELS {
            Kernel::Winograd(Winograd::new(weights, bias, shape)?)
        } else {
            Kernel::Direct(Direct::new(weights, bias, shape)?)
        };
        Ok(Conv3x3 {
            channels,
            height,
            width,
            outputs,
            kernel,
            relu,
        })
    }

    /// Fails unless an input of `[_, c, h, w]` (`shape`, for the message) is what the op was
    /// built for.
    fn check_input(
        &self,
        c: usize,
        h: usize,
        w: usize,
        shape: &dyn std::fmt::Debug,
    ) -> TractResult<()> {
        ensure!(
            (c, h, w) == (self.channels, self.height, self.width),
            "Conv3x3 was built for [N, {}, {}, {}] input, got {:?}",
            self.channels,
            self.height,
            self.width,
            shape
        );
        Ok(())
    }

    /// Runs the op on `input`, using (and growing once) `scratch`.
    fn run(&self, input: &Tensor, scratch: &mut ConvScratch) -> TractResult<Tensor> {
        let &[n, c, h, w] = input.shape() else {
            bail!("Conv3x3 takes NCHW input, got shape {:?}", input.shape());
        };
        self.check_input(c, h, w, &input.shape())?;
        let src = input.try_as_plain_ram()?;
        let src = src.as_slice::<f32>()?;
        let mut output = Tensor::zero::<f32>(&[n, self.outputs, h, w])?;
        lanes::prepare();
        {
            let mut dst = output.try_as_plain_ram_mut()?;
            let dst = dst.as_slice_mut::<f32>()?;
            let plane_out = self.outputs * h * w;
            // new() refuses empty inputs; with no outputs there is nothing to compute.
            if plane_out > 0 {
                for (image, out) in src
                    .chunks_exact(c * h * w)
                    .zip(dst.chunks_exact_mut(plane_out))
                {
                    match &self.kernel {
                        Kernel::Direct(k) => {
                            k.run_image(image, out, self.relu, &mut scratch.direct)?
                        }
                        Kernel::Winograd(k) => {
                            k.run_image(image, out, self.relu, &mut scratch.winograd)?
                        }
                    }
                }
            }
        }
        Ok(output)
    }
}

/// Sizes derived from one op's shape; all index arithmetic lives here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Geometry {
    channels: usize,
    height: usize,
    width: usize,
    outputs: usize,
    /// Width of a padded row: the input's, plus one zero column each side.
    row: usize,
    /// Floats per padded input channel: `(H + 2) * row`.
    plane: usize,
    /// Output positions computed per channel, `H * row` rounded up to whole tiles.
    positions: usize,
    /// Offset of tap `(c, ky, kx)` in the padded input, relative to the output position.
    offsets: Vec<usize>,
}

impl Geometry {
    fn new(channels: usize, height: usize, width: usize, outputs: usize) -> Geometry {
        let row = width + 2;
        let plane = (height + 2) * row;
        let offsets = (0..channels)
            .flat_map(|c| (0..3).flat_map(move |ky| (0..3).map(move |kx| (c, ky, kx))))
            .map(|(c, ky, kx)| c * plane + ky * row + kx)
            .collect();
        Geometry {
            channels,
            height,
            width,
            outputs,
            row,
            plane,
            positions: (height * row).div_ceil(NR) * NR,
            offsets,
        }
    }

    /// Length of the padded input buffer: every channel, plus room for the last tile of the
    /// last tap to read past the end of the image (those lanes land in dropped columns).
    fn padded_len(&self) -> usize {
        let last_read = self.offsets.last().map_or(0, |&o| o + self.positions);
        last_read.max(self.channels * self.plane)
    }

    fn wide_len(&self) -> usize {
        self.outputs.div_ceil(MR) * MR * self.positions
    }

    /// All output channels at all positions into `wide` (`positions` floats per channel).
    fn convolve(
        &self,
        packed: &[f32],
        bias: &[f32],
        padded: &[f32],
        wide: &mut [f32],
    ) -> TractResult<()> {
        let taps = self.offsets.len();
        let blocks = self.outputs.div_ceil(MR);
        // The kernel reads unchecked, so everything it can touch is checked here, once:
        // tap offset + tile start + NR never passes the padded buffer, the weights and biases
        // cover every block, and `wide` holds every block's MR rows of positions.
        ensure!(
            self.offsets
                .iter()
                .all(|&o| o + self.positions <= padded.len())
                && packed.len() == blocks * taps * MR
                && bias.len() == blocks * MR
                && wide.len() == blocks * MR * self.positions
                && self.positions.is_multiple_of(NR),
            "Conv3x3: buffers do not fit the geometry"
        );
        for block in 0..blocks {
            let weights = &packed[block * taps * MR..][..taps * MR];
            let bias: [f32; MR] = std::array::from_fn(|r| bias[block * MR + r]);
            let rows = &mut wide[block * MR * self.positions..][..MR * self.positions];
            for start in (0..self.positions).step_by(NR) {
                // SAFETY: checked above: for every tap offset o, o + start + NR <= o +
                // positions <= padded.len(); weights holds taps * MR floats; rows holds MR
                // rows of `positions` floats and start + NR <= positions.
                unsafe {
                    tile(
                        weights.as_ptr(),
                        bias,
                        &self.offsets,
                        padded.as_ptr().add(start),
                        rows.as_mut_ptr().add(start),
                        self.positions,
                    )
                };
            }
        }
        Ok(())
    }
}

/// One tile: `MR` = 2 output channels at `NR` = 16 consecutive positions.
///
/// Written out by hand rather than as loops over the tile: the browser build optimises for
/// size, which does not unroll loops, and the accumulators must stay in registers.
///
/// # Safety
/// For every offset `o` in `offsets`, `src.add(o)..src.add(o + NR)` must be readable;
/// `weights` must hold `offsets.len() * MR` floats; `out.add(r * stride)..+NR` must be
/// writable for every `r < MR`.
#[inline(always)]
pub(super) unsafe fn tile(
    weights: *const f32,
    bias: [f32; MR],
    offsets: &[usize],
    src: *const f32,
    out: *mut f32,
    stride: usize,
) {
    use lanes::F32x4;
    const _: () = assert!(MR == 2 && NV == 4, "tile is written out for 2 x 16");
    let (b0, b1) = (F32x4::splat(bias[0]), F32x4::splat(bias[1]));
    let (mut a00, mut a01, mut a02, mut a03) = (b0, b0, b0, b0);
    let (mut a10, mut a11, mut a12, mut a13) = (b1, b1, b1, b1);
    let mut w = weights;
    for &offset in offsets {
        let s = src.add(offset);
        let (x0, x1, x2, x3) = (
            F32x4::load(s),
            F32x4::load(s.add(4)),
            F32x4::load(s.add(8)),
            F32x4::load(s.add(12)),
        );
        let w0 = F32x4::load_splat(w);
        a00 = a00.add_mul(w0, x0);
        a01 = a01.add_mul(w0, x1);
        a02 = a02.add_mul(w0, x2);
        a03 = a03.add_mul(w0, x3);
        let w1 = F32x4::load_splat(w.add(1));
        a10 = a10.add_mul(w1, x0);
        a11 = a11.add_mul(w1, x1);
        a12 = a12.add_mul(w1, x2);
        a13 = a13.add_mul(w1, x3);
        w = w.add(MR);
    }
    let o1 = out.add(stride);
    a00.store(out);
    a01.store(out.add(4));
    a02.store(out.add(8));
    a03.store(out.add(12));
    a10.store(o1);
    a11.store(o1.add(4));
    a12.store(o1.add(8));
    a13.store(o1.add(12));
}

/// The buffers one `Conv3x3` node keeps between runs, so a frame allocates only its output.
#[derive(Debug, Clone, Default)]
struct ConvScratch {
    direct: Scratch,
    winograd: winograd::Scratch,
}

/// The direct kernel's buffers.
#[derive(Debug, Clone, Default)]
struct Scratch {
    padded: Vec<f32>,
    wide: Vec<f32>,
}

impl Scratch {
    /// Sizes the buffers for `g`. The padded buffer is zeroed only when it is (re)made: runs
    /// write its interior and nothing else, so its border stays zero.
    fn fit(&mut self, g: &Geometry) {
        if self.padded.len() != g.padded_len() {
            self.padded = vec![0.0; g.padded_len()];
        }
        if self.wide.len() != g.wide_len() {
            self.wide = vec![0.0; g.wide_len()];
        }
    }
}

impl OpState for ConvScratch {
    fn eval(
        &mut self,
        _ctx: &EvalContext,
        op: &dyn Op,
        inputs: TVec<TValue>,
    ) -> TractResult<TVec<TValue>> {
        let op = op
            .downcast_ref::<Conv3x3>()
            .context("Conv3x3 state run with another op")?;
        let input = inputs.first().context("Conv3x3 takes one input")?;
        Ok(tvec!(op.run(input, self)?.into_tvalue()))
    }

    fn reset_lanes(&mut self, _lanes: &[LaneId]) -> TractResult<()> {
        // Scratch only: nothing carries from one run to the next.
        Ok(())
    }
}

impl Op for Conv3x3 {
    fn name(&self) -> StaticName {
        if self.relu {
            "Conv3x3+Relu".into()
        } else {
            "Conv3x3".into()
        }
    }

    op_as_typed_op!();
}

impl EvalOp for Conv3x3 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = inputs.first().context("Conv3x3 takes one input")?;
        Ok(tvec!(self
            .run(input, &mut ConvScratch::default())?
            .into_tvalue()))
    }

    fn state(&self, _ctx: &EvalContext) -> TractResult<Option<Box<dyn OpState>>> {
        Ok(Some(Box::new(ConvScratch::default())))
    }
}

impl TypedOp for Conv3x3 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let fact = inputs.first().context("Conv3x3 takes one input")?;
        ensure!(fact.datum_type == f32::datum_type(), "Conv3x3 is f32 only");
        let Some(&[n, c, h, w]) = fact.shape.as_concrete() else {
            bail!("Conv3x3 needs a concrete NCHW shape, got {:?}", fact.shape);
        };
        self.check_input(c, h, w, &fact.shape)?;
        Ok(tvec!(f32::fact([n, self.outputs, h, w])))
    }

    as_op!();
}

/// The [`Conv3x3`] computing `conv` on `input`, if it computes exactly that.
fn direct_conv(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<Conv3x3>> {
    let spec = &conv.pool_spec;
    let one_pixel_padding = match &spec.padding {
        PaddingSpec::Explicit(before, after) | PaddingSpec::ExplicitOnnxPool(before, after, _) => {
            before.iter().chain(after).all(|&p| p == 1)
        }
        // With a 3x3 kernel and stride 1, "same" padding is one pixel on every side.
        PaddingSpec::SameUpper | PaddingSpec::SameLower => true,
        PaddingSpec::Valid => false,
    };
    let plain = conv.q_params.is_none()
        && conv.group == 1
        && conv.kernel_fmt == KernelFormat::OIHW
        && spec.data_format == DataFormat::NCHW
        && spec.kernel_shape.as_slice() == [3, 3]
        && spec.strides().iter().all(|&s| s == 1)
        && spec.dilations().iter().all(|&d| d == 1)
        && one_pixel_padding;
    let &[x, kernel, bias] = node.inputs.as_slice() else {
        return Ok(None);
    };
    let x = model.outlet_fact(x)?;
    let (Some(kernel), Some(bias)) = (constant(model, kernel)?, constant(model, bias)?) else {
        return Ok(None);
    };
    let Some(&[_, c, h, w]) = x.shape.as_concrete() else {
        return Ok(None);
    };
    if c == 0 || h == 0 || w == 0 {
        return Ok(None);
    }
    let o = spec.output_channels;
    let usable = plain
        && x.datum_type == f32::datum_type()
        && kernel.datum_type() == f32::datum_type()
        && bias.datum_type() == f32::datum_type()
        && kernel.shape() == [o, c, 3, 3];
    if !usable {
        return Ok(None);
    }
    // ONNX's bias is optional: tract wires a scalar zero when there is none.
    let bias = match bias.len() {
        1 => Tensor::from_shape(&[o], &vec![bias.cast_to_scalar::<f32>()?; o])?,
        n if n == o => bias.into_tensor().into_shape(&[o])?,
        _ => return Ok(None),
    };
    Ok(Some(Conv3x3::new(&kernel, &bias, h, w, false)?))
}

/// The value of `outlet` if it is a constant, possibly behind a `Cast` (tract's ONNX reader
/// casts the bias, and nothing has folded that yet when our rewrites run).
fn constant(model: &TypedModel, outlet: OutletId) -> TractResult<Option<Arc<Tensor>>> {
    if let Some(k) = &model.outlet_fact(outlet)?.konst {
        return Ok(Some(k.clone()));
    }
    let node = model.node(outlet.node);
    let (Some(cast), [input]) = (node.op_as::<Cast>(), node.inputs.as_slice()) else {
        return Ok(None);
    };
    match &model.outlet_fact(*input)?.konst {
        Some(k) => Ok(Some(k.cast_to_dt(cast.to)?.into_owned().into_arc_tensor())),
        None => Ok(None),
    }
}

/// Replaces every plain 3x3 convolution of a typed model by [`Conv3x3`], taking in a ReLU
/// that reads only the convolution. Run it after [`super::pool::use_fast_pooling`], which
/// takes the ReLUs that come before a pool.
pub fn use_fast_conv(model: &mut TypedModel) -> TractResult<()> {
    for id in model.eval_order()? {
        let node = &model.nodes()[id];
        let Some(conv) = node.op_as::<Conv>() else {
            continue;
        };
        let Some(mut op) = direct_conv(model, node, conv)? else {
            continue;
        };
        let input = node.inputs[0];
        let output = OutletId::new(id, 0);
        let relu = match model.outlet_successors(output) {
            [reader] if has_one_reader(model, output)? => {
                let relu = OutletId::new(reader.node, 0);
                (relu_input(model, relu)? == Some(output)).then_some(reader.node)
            }
            _ => None,
        };
        let replaced = match relu {
            Some(relu) => {
                op.relu = true;
                &model.nodes()[relu]
            }
            None => node,
        };
        let patch = TypedModelPatch::replace_single_op(model, replaced, &[input], op)?;
        patch.apply(model)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::tract_hir::tract_core::ops::cnn::PoolSpec;

    /// Deterministic values in about [-1, 1].
    fn values(len: usize, salt: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i + salt) * 7919 % 211) as f32 - 105.0) / 105.0)
            .collect()
    }

    /// A model holding one tract Conv (3x3, `padding`), optionally followed by a ReLU.
    fn conv_model(
        shape: [usize; 4],
        outputs: usize,
        padding: PaddingSpec,
        relu: bool,
    ) -> TractResult<TypedModel> {
        let [_, c, _, _] = shape;
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact(shape))?;
        let k = Tensor::from_shape(&[outputs, c, 3, 3], &values(outputs * c * 9, 1))?;
        let k = model.add_const("k", k)?;
        let b = model.add_const("b", Tensor::from_shape(&[outputs], &values(outputs, 2))?)?;
        let spec = PoolSpec::new(
            DataFormat::NCHW,
            tvec!(3, 3),
            padding,
            None,
            None,
            c,
            outputs,
        );
        let conv = Conv {
            pool_spec: spec,
            kernel_fmt: KernelFormat::OIHW,
            group: 1,
            q_params: None,
        };
        let mut out = model.wire_node("conv", conv, &[x, k, b])?;
        if relu {
            let zero = model.add_const("zero", tensor0(0f32).broadcast_into_rank(4)?)?;
            out = model.wire_node(
                "relu",
                tract_onnx::tract_hir::ops::math::max(),
                &[out[0], zero],
            )?;
        }
        model.select_output_outlets(&out)?;
        Ok(model)
    }

    fn run(model: TypedModel, input: &Tensor) -> TractResult<Tensor> {
        let plan = model.into_optimized()?.into_runnable()?;
        let mut state = plan.spawn()?;
        // Twice through one state: the second run reuses the scratch the first one made.
        state.run(tvec!(input.clone().into_tvalue()))?;
        let out = state.run(tvec!(input.clone().into_tvalue()))?;
        Ok(out[0].clone().into_tensor())
    }

    #[test]
    fn matches_tract_conv_on_many_shapes() -> TractResult<()> {
        let cases = [
            ([1, 1, 28, 28], 16, false),
            ([1, 16, 28, 28], 24, true),
            ([2, 3, 5, 7], 5, true),
            ([1, 4, 1, 1], 3, false),
            ([3, 2, 14, 14], 1, true),
            ([1, 40, 7, 7], 64, false),
            // Winograd from 8 input channels: odd sizes, odd output counts, batches.
            ([2, 8, 5, 7], 3, true),
            ([1, 9, 1, 1], 2, false),
            ([1, 12, 3, 10], 5, false),
            ([1, 24, 14, 14], 32, true),
        ];
        for (shape, outputs, relu) in cases {
            for padding in [
                PaddingSpec::Explicit(tvec!(1, 1), tvec!(1, 1)),
                PaddingSpec::SameUpper,
            ] {
                let len = shape.iter().product();
                let x = Tensor::from_shape(&shape, &values(len, 3))?;
                let model = conv_model(shape, outputs, padding.clone(), relu)?;
                let expected = run(model.clone(), &x)?;
                let mut direct = model;
                use_fast_conv(&mut direct)?;
                let ops: Vec<_> = direct
                    .eval_order()?
                    .into_iter()
                    .map(|id| direct.nodes()[id].op().name())
                    .collect();
                let want = if relu { "Conv3x3+Relu" } else { "Conv3x3" };
                assert!(ops.iter().any(|n| n == want), "{shape:?}: {ops:?}");
                assert!(
                    !ops.iter().any(|n| n == "Conv" || n == "Max"),
                    "{shape:?}: {ops:?}"
                );
                let got = run(direct, &x)?;
                assert_eq!(got.shape(), expected.shape(), "{shape:?}");
                let got = got.try_as_plain_ram()?;
                let got = got.as_slice::<f32>()?;
                let expected = expected.try_as_plain_ram()?;
                let expected = expected.as_slice::<f32>()?;
                for (i, (g, e)) in got.iter().zip(expected).enumerate() {
                    assert!(
                        (g - e).abs() <= 1e-5 * (1.0 + e.abs()),
                        "{shape:?} {padding:?} at {i}: {g} vs tract's {e}"
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn other_convolutions_keep_tracts_op() -> TractResult<()> {
        let mut model = conv_model([1, 2, 6, 6], 3, PaddingSpec::Valid, false)?;
        use_fast_conv(&mut model)?;
        assert!(model.nodes().iter().any(|n| n.op_is::<Conv>()));
        assert!(!model.nodes().iter().any(|n| n.op_is::<Conv3x3>()));
        Ok(())
    }

    #[test]
    fn a_wrong_input_shape_is_an_error_not_a_panic() -> TractResult<()> {
        let op = Conv3x3::new(
            &Tensor::from_shape(&[2, 1, 3, 3], &values(18, 0))?,
            &Tensor::from_shape(&[2], &[0f32, 0.0])?,
            4,
            4,
            false,
        )?;
        let x = Tensor::from_shape(&[1, 1, 5, 4], &values(20, 0))?;
        let err = op
            .eval(&EvalContext::out_of_plan(), tvec!(x.into_tvalue()))
            .expect_err("shape mismatch");
        assert!(format!("{err:#}").contains("built for"), "{err:#}");
        assert!(Conv3x3::new(
            &Tensor::from_shape(&[2, 1, 2, 2], &values(8, 0))?,
            &Tensor::from_shape(&[2], &[0f32, 0.0])?,
            4,
            4,
            false
        )
        .is_err());
        Ok(())
    }
}

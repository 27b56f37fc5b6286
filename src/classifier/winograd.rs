//! Winograd's F(2x2, 3x3): the same 3x3 convolution as [`super::conv`]'s direct kernel with
//! 16 multiplies per 2x2 output block and input channel instead of 36.
//!
//! Each 4x4 input patch `d` (2x2 output pixels plus their 3x3 neighbourhoods) becomes
//! `V = Bᵀ d B`, each 3x3 filter `g` becomes `U = G g Gᵀ` (once, when the op is built), and
//! for each of the 16 positions `ξ` of those 4x4 blocks, `M[ξ] = U[ξ] · V[ξ]` is a matrix
//! product over input channels, which runs on the direct kernel's tile. `Y = Aᵀ M A` turns each
//! 4x4 block of `M` back into 2x2 output pixels. The transforms only add and subtract (G's
//! halves are exact), so results differ from the direct convolution by float rounding only.
//!
//! Transforms work on 4 horizontally adjacent blocks at a time, one per lane: the patch
//! columns of 4 blocks are 2 apart, which `even`/`odd` shuffles pick out of plain loads.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;

use super::conv::{crop, pad, tile, MR, NR};
use super::lanes::F32x4;

/// Sizes derived from one op's shape; all index arithmetic lives here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Geometry {
    channels: usize,
    height: usize,
    width: usize,
    outputs: usize,
    /// Rows of 2x2 output blocks.
    blocks_y: usize,
    /// Columns of 2x2 output blocks, rounded up to whole vectors of 4.
    blocks_x: usize,
    /// Blocks per channel in the transformed buffers, rounded up to whole kernel tiles.
    blocks: usize,
    /// Width of a padded input row: one zero column left, room for every block right.
    row: usize,
    /// Floats per padded input channel.
    plane: usize,
    /// Offset of each input channel's row in one `ξ` slice of the transformed input.
    offsets: Vec<usize>,
}

impl Geometry {
    fn new(channels: usize, height: usize, width: usize, outputs: usize) -> Geometry {
        let blocks_y = height.div_ceil(2);
        let blocks_x = width.div_ceil(2).div_ceil(4) * 4;
        let blocks = (blocks_y * blocks_x).div_ceil(NR) * NR;
        // The last vector of blocks reads padded columns up to 2 * blocks_x + 1.
        let row = 2 * blocks_x + 2;
        let plane = (2 * blocks_y + 2) * row;
        Geometry {
            channels,
            height,
            width,
            outputs,
            blocks_y,
            blocks_x,
            blocks,
            row,
            plane,
            offsets: (0..channels).map(|c| c * blocks).collect(),
        }
    }

    fn output_blocks(&self) -> usize {
        self.outputs.div_ceil(MR)
    }

    fn padded_len(&self) -> usize {
        self.channels * self.plane
    }

    fn transformed_len(&self) -> usize {
        16 * self.channels * self.blocks
    }

    fn products_len(&self) -> usize {
        16 * self.output_blocks() * MR * self.blocks
    }

    /// Width of a row of the uncropped output: every block's two columns.
    fn wide_row(&self) -> usize {
        2 * self.blocks_x
    }

    fn wide_len(&self) -> usize {
        self.outputs * 2 * self.blocks_y * self.wide_row()
    }
}

/// A 3x3 convolution (stride 1, zero padding 1) computed with Winograd's F(2x2, 3x3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Winograd {
    geometry: Geometry,
    /// `U = G g Gᵀ`, per `ξ`, per block of [`MR`] output channels, per input channel, the
    /// block's [`MR`] values (an odd last block is padded with zeros).
    packed: Arc<Tensor>,
    bias: Arc<Tensor>,
}

/// The buffers a [`Winograd`] op keeps between runs.
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    padded: Vec<f32>,
    transformed: Vec<f32>,
    products: Vec<f32>,
    wide: Vec<f32>,
}

impl Scratch {
    /// Sizes the buffers for `g`. Made zeroed once; runs write the padded interior and every
    /// block (garbage blocks included) and nothing else, so borders and tails stay zero.
    fn fit(&mut self, g: &Geometry) {
        for (buffer, len) in [
            (&mut self.padded, g.padded_len()),
            (&mut self.transformed, g.transformed_len()),
            (&mut self.products, g.products_len()),
            (&mut self.wide, g.wide_len()),
        ] {
            if buffer.len() != len {
                *buffer = vec![0.0; len];
            }
        }
    }
}

impl Winograd {
    /// From OIHW `[O, C, 3, 3]` weights and `[O]` biases, for `[_, C, H, W]` input.
    pub(super) fn new(
        weights: &[f32],
        bias: &[f32],
        (channels, height, width, outputs): (usize, usize, usize, usize),
    ) -> TractResult<Winograd> {
        ensure!(
            weights.len() == outputs * channels * 9 && bias.len() == outputs,
            "Winograd: {} weights and {} biases for [{outputs}, {channels}, 3, 3]",
            weights.len(),
            bias.len()
        );
        let geometry = Geometry::new(channels, height, width, outputs);
        let blocks = geometry.output_blocks();
        let mut packed = vec![0f32; 16 * blocks * channels * MR];
        for o in 0..outputs {
            for c in 0..channels {
                let g = &weights[(o * channels + c) * 9..][..9];
                let u = transform_filter(g);
                for (xi, &v) in u.iter().enumerate() {
                    packed[((xi * blocks + o / MR) * channels + c) * MR + o % MR] = v;
                }
            }
        }
        Ok(Winograd {
            packed: Arc::new(Tensor::from_shape(&[16, blocks, channels, MR], &packed)?),
            bias: Arc::new(Tensor::from_shape(&[outputs], bias)?),
            geometry,
        })
    }

    /// Convolves one `[C, H, W]` image into one `[O, H, W]` image.
    pub(super) fn run_image(
        &self,
        image: &[f32],
        out: &mut [f32],
        relu: bool,
        scratch: &mut Scratch,
    ) -> TractResult<()> {
        let g = &self.geometry;
        let (h, w) = (g.height, g.width);
        ensure!(
            image.len() == g.channels * h * w && out.len() == g.outputs * h * w,
            "Winograd: image of {} and output of {} floats for {:?}",
            image.len(),
            out.len(),
            (g.channels, h, w, g.outputs)
        );
        scratch.fit(g);
        let packed = self.packed.try_as_plain_ram()?;
        let packed = packed.as_slice::<f32>()?;
        let bias = self.bias.try_as_plain_ram()?;
        let bias = bias.as_slice::<f32>()?;

        pad(image, (h, w), &mut scratch.padded, (g.plane, g.row));
        transform_input(g, &scratch.padded, &mut scratch.transformed)?;
        multiply(g, packed, &scratch.transformed, &mut scratch.products)?;
        transform_output(g, &scratch.products, bias, &mut scratch.wide)?;

        // Drop the blocks' extra row and columns, applying the ReLU.
        let wide_plane = 2 * g.blocks_y * g.wide_row();
        crop(&scratch.wide, (wide_plane, g.wide_row()), out, (h, w), relu);
        Ok(())
    }
}

/// `U = G g Gᵀ` for one 3x3 filter `g` (row-major), with
/// `G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]]`.
fn transform_filter(g: &[f32]) -> [f32; 16] {
    let gg = |r: [f32; 3]| {
        [
            r[0],
            (r[0] + r[1] + r[2]) / 2.0,
            (r[0] - r[1] + r[2]) / 2.0,
            r[2],
        ]
    };
    // Columns first (G g), then rows ((G g) Gᵀ).
    let col = |j: usize| gg([g[j], g[3 + j], g[6 + j]]);
    let cols = [col(0), col(1), col(2)];
    let mut u = [0f32; 16];
    for i in 0..4 {
        let row = gg([cols[0][i], cols[1][i], cols[2][i]]);
        u[i * 4..i * 4 + 4].copy_from_slice(&row);
    }
    u
}

/// `V = Bᵀ d B` for every 4x4 patch, with `Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0],
/// [0, 1, 0, -1]]`, into `transformed[(ξ * C + c) * blocks + block]`.
fn transform_input(g: &Geometry, padded: &[f32], transformed: &mut [f32]) -> TractResult<()> {
    // Everything read or written below is inside these lengths (see Geometry::new).
    ensure!(
        padded.len() == g.padded_len() && transformed.len() == g.transformed_len(),
        "Winograd: input buffers do not fit the geometry"
    );
    let (src, dst) = (padded.as_ptr(), transformed.as_mut_ptr());
    let xi_stride = g.channels * g.blocks;
    for c in 0..g.channels {
        for by in 0..g.blocks_y {
            for bx in (0..g.blocks_x).step_by(4) {
                let base = c * g.plane + 2 * by * g.row + 2 * bx;
                // SAFETY: base + 3 * row + 9 < (c + 1) * plane <= padded.len(), since
                // bx + 4 <= blocks_x, by < blocks_y, row = 2 * blocks_x + 2 and plane =
                // (2 * blocks_y + 2) * row; the store index is below 16 * C * blocks.
                unsafe {
                    let p = src.add(base);
                    let d0 = load_patch_row(p);
                    let d1 = load_patch_row(p.add(g.row));
                    let d2 = load_patch_row(p.add(2 * g.row));
                    let d3 = load_patch_row(p.add(3 * g.row));
                    // Bᵀ d combines rows; then each row of it is combined across columns.
                    let out = dst.add(c * g.blocks + by * g.blocks_x + bx);
                    store_bt_row(out, xi_stride, 0, sub4(d0, d2));
                    store_bt_row(out, xi_stride, 1, add4(d1, d2));
                    store_bt_row(out, xi_stride, 2, sub4(d2, d1));
                    store_bt_row(out, xi_stride, 3, sub4(d1, d3));
                }
            }
        }
    }
    Ok(())
}

/// `M[ξ] = U[ξ] · V[ξ]` for the 16 positions, on the direct convolution's kernel tile: the
/// "taps" are the input channels, each a row of `blocks` floats.
fn multiply(
    g: &Geometry,
    packed: &[f32],
    transformed: &[f32],
    products: &mut [f32],
) -> TractResult<()> {
    let (blocks, channels) = (g.output_blocks(), g.channels);
    ensure!(
        packed.len() == 16 * blocks * channels * MR
            && transformed.len() == 16 * channels * g.blocks
            && products.len() == 16 * blocks * MR * g.blocks
            && g.blocks.is_multiple_of(NR),
        "Winograd: product buffers do not fit the geometry"
    );
    for xi in 0..16 {
        let v = &transformed[xi * channels * g.blocks..][..channels * g.blocks];
        for block in 0..blocks {
            let u = &packed[(xi * blocks + block) * channels * MR..][..channels * MR];
            let rows = &mut products[(xi * blocks + block) * MR * g.blocks..][..MR * g.blocks];
            for start in (0..g.blocks).step_by(NR) {
                // SAFETY: checked above: every offset c * blocks + start + NR <= channels *
                // blocks = v.len(); u holds channels * MR floats; rows holds MR rows of
                // `blocks` floats and start + NR <= blocks.
                unsafe {
                    tile(
                        u.as_ptr(),
                        [0.0; MR],
                        &g.offsets,
                        v.as_ptr().add(start),
                        rows.as_mut_ptr().add(start),
                        g.blocks,
                    )
                };
            }
        }
    }
    Ok(())
}

/// `Y = Aᵀ M A + bias` for every block, with `Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]`, into
/// `wide`: per output channel, `2 * blocks_y` rows of `2 * blocks_x` pixels.
fn transform_output(
    g: &Geometry,
    products: &[f32],
    bias: &[f32],
    wide: &mut [f32],
) -> TractResult<()> {
    ensure!(
        products.len() == g.products_len() && wide.len() == g.wide_len() && bias.len() == g.outputs,
        "Winograd: output buffers do not fit the geometry"
    );
    let (src, dst) = (products.as_ptr(), wide.as_mut_ptr());
    let xi_stride = g.output_blocks() * MR * g.blocks;
    let wide_row = g.wide_row();
    for (o, &b) in bias.iter().enumerate() {
        let b = F32x4::splat(b);
        for by in 0..g.blocks_y {
            for bx in (0..g.blocks_x).step_by(4) {
                let block = o * g.blocks + by * g.blocks_x + bx;
                // SAFETY: block + 4 <= (o + 1) * blocks and the ξ slices are xi_stride apart
                // in a buffer of 16 * xi_stride; the stores cover row 2 * by + i < 2 *
                // blocks_y, columns 2 * bx .. 2 * bx + 8 <= wide_row, of channel o.
                unsafe {
                    let m = src.add(block);
                    let r0 = load_m_row(m, xi_stride, 0);
                    let r1 = load_m_row(m, xi_stride, 1);
                    let r2 = load_m_row(m, xi_stride, 2);
                    let r3 = load_m_row(m, xi_stride, 3);
                    // Aᵀ M combines rows; then each of its two rows is combined across columns.
                    let p = dst.add((o * 2 * g.blocks_y + 2 * by) * wide_row + 2 * bx);
                    store_at_row(p, add4(add4(r0, r1), r2), b);
                    store_at_row(p.add(wide_row), sub4(sub4(r1, r2), r3), b);
                }
            }
        }
    }
    Ok(())
}

// The helpers below are written out lane by lane and always inlined: the browser build is
// optimised for size, which neither unrolls loops nor inlines array builders, and the
// transforms must keep their 16 vectors in registers.

#[inline(always)]
fn add4(a: [F32x4; 4], b: [F32x4; 4]) -> [F32x4; 4] {
    [
        a[0].add(b[0]),
        a[1].add(b[1]),
        a[2].add(b[2]),
        a[3].add(b[3]),
    ]
}

#[inline(always)]
fn sub4(a: [F32x4; 4], b: [F32x4; 4]) -> [F32x4; 4] {
    [
        a[0].sub(b[0]),
        a[1].sub(b[1]),
        a[2].sub(b[2]),
        a[3].sub(b[3]),
    ]
}

/// One row of the 4x4 patches of 4 neighbouring blocks: column `j` of block `l` in lane `l`
/// of vector `j`, picked from padded columns `2l + j`.
///
/// # Safety
/// `p..p + 10` must be readable.
#[inline(always)]
unsafe fn load_patch_row(p: *const f32) -> [F32x4; 4] {
    let (a, b) = (F32x4::load(p), F32x4::load(p.add(4)));
    let (a2, b2) = (F32x4::load(p.add(2)), F32x4::load(p.add(6)));
    [a.even(b), a.odd(b), a2.even(b2), a2.odd(b2)]
}

/// Row `i` of `Bᵀ d`, times `B`: stores `V[4i + k]` for k = 0..4, `stride` apart.
///
/// # Safety
/// `out + (4i + k) * stride .. + 4` must be writable for k < 4.
#[inline(always)]
unsafe fn store_bt_row(out: *mut f32, stride: usize, i: usize, e: [F32x4; 4]) {
    let out = out.add(4 * i * stride);
    e[0].sub(e[2]).store(out);
    e[1].add(e[2]).store(out.add(stride));
    e[2].sub(e[1]).store(out.add(2 * stride));
    e[1].sub(e[3]).store(out.add(3 * stride));
}

/// Row `i` of `M` (positions `4i .. 4i + 4`) for 4 neighbouring blocks.
///
/// # Safety
/// `m + (4i + k) * stride .. + 4` must be readable for k < 4.
#[inline(always)]
unsafe fn load_m_row(m: *const f32, stride: usize, i: usize) -> [F32x4; 4] {
    let m = m.add(4 * i * stride);
    [
        F32x4::load(m),
        F32x4::load(m.add(stride)),
        F32x4::load(m.add(2 * stride)),
        F32x4::load(m.add(3 * stride)),
    ]
}

/// One row of `Aᵀ M`, times `A`, plus the bias: the two output columns of 4 neighbouring
/// blocks, interleaved into 8 consecutive pixels.
///
/// # Safety
/// `p..p + 8` must be writable.
#[inline(always)]
unsafe fn store_at_row(p: *mut f32, f: [F32x4; 4], bias: F32x4) {
    let y0 = f[0].add(f[1]).add(f[2]).add(bias);
    let y1 = f[1].sub(f[2]).sub(f[3]).add(bias);
    y0.zip_low(y1).store(p);
    y0.zip_high(y1).store(p.add(4));
}

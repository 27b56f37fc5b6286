//! ONNX export, written directly with the ONNX protobuf types (tract-onnx's prost types).
//!
//! Every BatchNorm is folded into the convolution before it (inference uses the running
//! statistics, so `bn(conv(x)) = conv'(x)` with rescaled weights and a bias), which leaves a
//! plain standard graph: Conv, Relu, MaxPool, GlobalAveragePool, Flatten, Gemm, Softmax.
//! The batch dimension is symbolic (`N`). The output is bit-for-bit a function of the weights,
//! so a seeded training run gives the same file.

use anyhow::{ensure, Context, Result};
use burn::prelude::*;
use prost::Message;
use tract_onnx::pb::{
    self, attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::dimension,
    type_proto,
};

use crate::model::{DigitNet, CHANNELS, CLASSES, POOL_AFTER};

/// ONNX opset and IR version we target: opset 13 is supported by every current runtime.
pub const OPSET: i64 = 13;
const IR_VERSION: i64 = 8;
pub const INPUT_NAME: &str = "image";
pub const OUTPUT_NAME: &str = "probabilities";

/// One convolution with its BatchNorm folded in: weight `[out, in, 3, 3]`, bias `[out]`.
pub struct FoldedConv {
    pub channels_in: usize,
    pub channels_out: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The network's inference weights, framework-free.
pub struct Weights {
    pub convs: Vec<FoldedConv>,
    /// Linear layer `[in, out]` (row layout: y = x W + b).
    pub head_weight: Vec<f32>,
    pub head_bias: Vec<f32>,
}

fn values<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading {what}: {e:?}"))
}

/// Reads the (validation-mode) model's weights and folds each BatchNorm into its convolution.
pub fn fold(model: &DigitNet) -> Result<Weights> {
    let mut convs = Vec::new();
    for (i, (block, w)) in model.blocks.iter().zip(CHANNELS.windows(2)).enumerate() {
        let (cin, cout) = (w[0], w[1]);
        let weight = values(block.conv.weight.val(), &format!("conv {i} weight"))?;
        ensure!(
            weight.len() == cout * cin * 9,
            "conv {i}: unexpected weight size"
        );
        let gamma = values(block.norm.gamma.val(), "bn gamma")?;
        let beta = values(block.norm.beta.val(), "bn beta")?;
        let mean = values(block.norm.running_mean.value(), "bn mean")?;
        let var = values(block.norm.running_var.value(), "bn var")?;
        let eps = block.norm.epsilon as f32;
        let mut folded = weight;
        let mut bias = vec![0f32; cout];
        for o in 0..cout {
            let scale = gamma[o] / (var[o] + eps).sqrt();
            for v in &mut folded[o * cin * 9..(o + 1) * cin * 9] {
                *v *= scale;
            }
            bias[o] = beta[o] - mean[o] * scale;
        }
        convs.push(FoldedConv {
            channels_in: cin,
            channels_out: cout,
            weight: folded,
            bias,
        });
    }
    let head_weight = values(model.head.weight.val(), "head weight")?;
    let head_bias = model
        .head
        .bias
        .as_ref()
        .map(|b| values(b.val(), "head bias"))
        .transpose()?
        .context("the head has no bias")?;
    Ok(Weights {
        convs,
        head_weight,
        head_bias,
    })
}

fn tensor(name: &str, dims: &[usize], data: &[f32]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        // Little-endian raw bytes, as the ONNX spec requires for raw_data.
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

fn node(
    op: &str,
    name: &str,
    inputs: &[&str],
    output: &str,
    attrs: Vec<pb::AttributeProto>,
) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs,
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[Option<usize>]) -> pb::ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| pb::tensor_shape_proto::Dimension {
            value: Some(match d {
                Some(v) => dimension::Value::DimValue(*v as i64),
                None => dimension::Value::DimParam("N".into()),
            }),
            ..Default::default()
        })
        .collect();
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The graph being built: nodes in order, their initialisers, and the tensor the next node
/// reads.
struct Graph {
    nodes: Vec<pb::NodeProto>,
    inits: Vec<pb::TensorProto>,
    last: String,
}

impl Graph {
    /// Appends node `name` reading the last tensor (and `extra` inputs) and writing `output`.
    fn then(
        &mut self,
        (op, name, output): (&str, &str, &str),
        extra: &[&str],
        attrs: Vec<pb::AttributeProto>,
    ) {
        let inputs: Vec<&str> = std::iter::once(self.last.as_str())
            .chain(extra.iter().copied())
            .collect();
        self.nodes.push(node(op, name, &inputs, output, attrs));
        self.last = output.to_string();
    }

    /// Conv `i` (its BatchNorm folded in), its Relu, and a 2x2 MaxPool if `pool`.
    fn conv_block(&mut self, i: usize, conv: &FoldedConv, pool: bool) {
        let (wn, bn) = (format!("conv{i}.weight"), format!("conv{i}.bias"));
        self.inits.push(tensor(
            &wn,
            &[conv.channels_out, conv.channels_in, 3, 3],
            &conv.weight,
        ));
        self.inits
            .push(tensor(&bn, &[conv.channels_out], &conv.bias));
        let conv_name = format!("conv{i}");
        self.then(
            ("Conv", &conv_name, &conv_name),
            &[&wn, &bn],
            vec![
                ints("kernel_shape", &[3, 3]),
                ints("pads", &[1, 1, 1, 1]),
                ints("strides", &[1, 1]),
            ],
        );
        let relu = format!("relu{i}");
        self.then(("Relu", &relu, &relu), &[], vec![]);
        if pool {
            let pool = format!("pool{i}");
            self.then(
                ("MaxPool", &pool, &pool),
                &[],
                vec![ints("kernel_shape", &[2, 2]), ints("strides", &[2, 2])],
            );
        }
    }

    /// Global average pooling, the linear layer and Softmax: features -> probabilities.
    fn head(&mut self, w: &Weights) -> Result<()> {
        let features = CHANNELS[CHANNELS.len() - 1];
        ensure!(
            w.head_weight.len() == features * CLASSES,
            "head weight size"
        );
        self.then(("GlobalAveragePool", "gap", "gap"), &[], vec![]);
        self.then(
            ("Flatten", "flatten", "features"),
            &[],
            vec![int("axis", 1)],
        );
        self.inits
            .push(tensor("head.weight", &[features, CLASSES], &w.head_weight));
        self.inits
            .push(tensor("head.bias", &[CLASSES], &w.head_bias));
        self.then(
            ("Gemm", "head", "logits"),
            &["head.weight", "head.bias"],
            vec![],
        );
        self.then(
            ("Softmax", "softmax", OUTPUT_NAME),
            &[],
            vec![int("axis", 1)],
        );
        Ok(())
    }
}

/// Builds the ONNX model: `image float32 [N,1,28,28]` in [0,1] -> `probabilities float32 [N,17]`.
pub fn to_onnx(w: &Weights) -> Result<Vec<u8>> {
    ensure!(
        w.convs.len() == POOL_AFTER.len(),
        "expected {} convolutions",
        POOL_AFTER.len()
    );
    let mut graph = Graph {
        nodes: Vec::new(),
        inits: Vec::new(),
        last: INPUT_NAME.to_string(),
    };
    for (i, (conv, pool)) in w.convs.iter().zip(POOL_AFTER).enumerate() {
        graph.conv_block(i, conv, pool);
    }
    graph.head(w)?;
    let model = pb::ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "mathsketch-trainer".into(),
        // Deliberately no version string or timestamp: the bytes depend on the weights only.
        graph: Some(pb::GraphProto {
            name: "mathsketch_digits".into(),
            node: graph.nodes,
            initializer: graph.inits,
            input: vec![value_info(INPUT_NAME, &[None, Some(1), Some(28), Some(28)])],
            output: vec![value_info(OUTPUT_NAME, &[None, Some(CLASSES)])],
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(model.encode_to_vec())
}

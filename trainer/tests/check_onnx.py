"""Standard-ONNX checks for an exported model, run by tests/smoke.rs.

usage: check_onnx.py MODEL.onnx PARITY_DIR TOLERANCE

1. onnx.checker.check_model(full_check=True): the reference checker, with shape inference.
2. onnxruntime runs the model on PARITY_DIR/inputs.f32 ([N,1,28,28] little-endian float32)
   and must match PARITY_DIR/framework.f32 (the training framework's probabilities, [N,17])
   within TOLERANCE.
Prints one line of figures; exits non-zero with a message on any failure.
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main() -> int:
    model_path, parity_dir, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 13:
        print(f"opset {opset} < 13", file=sys.stderr)
        return 1

    inputs = np.fromfile(f"{parity_dir}/inputs.f32", dtype="<f4").reshape(-1, 1, 28, 28)
    classes = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    if classes != 17:
        print(f"the model has {classes} outputs, expected 17", file=sys.stderr)
        return 1
    expected = np.fromfile(f"{parity_dir}/framework.f32", dtype="<f4").reshape(-1, classes)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    # Two batch sizes: the batch dimension must really be dynamic.
    got = np.concatenate([session.run(None, {name: inputs[:1]})[0],
                          session.run(None, {name: inputs[1:]})[0]])
    diff = float(np.max(np.abs(got - expected)))
    print(f"checker ok, opset {opset}, onnxruntime {ort.__version__}: "
          f"{len(inputs)} images, max |ort - framework| = {diff:.3g}")
    if diff > tolerance:
        print(f"onnxruntime disagrees with the framework: {diff} > {tolerance}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

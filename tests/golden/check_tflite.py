"""Runs the TFLite models that ferrax's export tests write through LiteRT (the TFLite
interpreter, from PyPI) and compares them with ferrax's outputs. Not run by the tests.

    FERRAX_EXPORT_DIR=/tmp/tflite_models cargo test --all-features --test export tflite
    pip install ai-edge-litert numpy      # or tflite-runtime
    python3 tests/golden/check_tflite.py /tmp/tflite_models

Each `tflite_<name>.run<r>.txt` beside `tflite_<name>.tflite` holds one run: per tensor a
line `input|output <i> <dtype> <dims...>` and a line of its values (tests/export/runtime.rs
`save_case`). A dynamic-batch model's runs come at several batch sizes: the input is resized
with `resize_tensor_input` (the file's shape_signature has -1 on the batch) before it runs,
and the script checks the signature. Inputs and outputs are found by name (`input_<i>`,
`output_<i>`) and through the `serving_default` SignatureDef. Tolerance: 1e-5 relative
(|got - want| <= 1e-5 * max(|want|, 1)), as in the tests.
"""

import glob
import os
import sys

import numpy as np

try:
    from ai_edge_litert.interpreter import Interpreter
    import ai_edge_litert as _rt
except ImportError:  # the older package
    from tflite_runtime.interpreter import Interpreter
    import tflite_runtime as _rt


def read_case(path):
    tensors = {"input": [], "output": []}
    with open(path) as f:
        lines = f.read().splitlines()
    for head, values in zip(lines[0::2], lines[1::2]):
        kind, _, dtype, *dims = head.split()
        shape = tuple(int(d) for d in dims)
        vals = np.array([float(v) for v in values.split()], dtype=np.float64)
        tensors[kind].append(vals.reshape(shape).astype(dtype))
    return tensors["input"], tensors["output"]


def run(model, inputs, n_out):
    """Runs `model` on `inputs` with the tensors found by name; also through the
    SignatureDef runner. Returns (outputs by name, outputs by signature, resized)."""
    it = Interpreter(model_path=model)
    details = {d["name"]: d for d in it.get_input_details()}
    resized = False
    for i, x in enumerate(inputs):
        d = details[f"input_{i}"]
        if tuple(d["shape"]) != x.shape:
            assert d["shape_signature"][0] == -1, f"{model}: input_{i} is not batch-dynamic"
            it.resize_tensor_input(d["index"], list(x.shape))
            resized = True
    it.allocate_tensors()
    for i, x in enumerate(inputs):
        it.set_tensor(details[f"input_{i}"]["index"], x)
    it.invoke()
    outs = {d["name"]: d for d in it.get_output_details()}
    by_name = [it.get_tensor(outs[f"output_{i}"]["index"]) for i in range(n_out)]
    runner = Interpreter(model_path=model).get_signature_runner("serving_default")
    res = runner(**{f"input_{i}": x for i, x in enumerate(inputs)})
    by_sig = [res[f"output_{i}"] for i in range(n_out)]
    return by_name, by_sig, resized


def main(folder):
    failures = 0
    count = 0
    for case in sorted(glob.glob(os.path.join(folder, "tflite_*.run*.txt"))):
        name = os.path.basename(case).split(".run")[0]
        inputs, wants = read_case(case)
        try:
            by_name, by_sig, resized = run(
                os.path.join(folder, name + ".tflite"), inputs, len(wants)
            )
        except Exception as e:  # report and go on
            failures += 1
            print(f"FAIL {os.path.basename(case)}: {type(e).__name__}: {e}")
            continue
        worst = 0.0
        ok = True
        for got, want in list(zip(by_name, wants)) + list(zip(by_sig, wants)):
            if got.shape != want.shape:
                ok = False
                continue
            err = np.abs(got.astype(np.float64) - want) / np.maximum(np.abs(want), 1.0)
            worst = max(worst, float(err.max(initial=0.0)))
        ok = ok and worst <= 1e-5
        failures += not ok
        count += 1
        batch = inputs[0].shape[0] if inputs and inputs[0].ndim else "-"
        print(
            f"{'ok  ' if ok else 'FAIL'} {os.path.basename(case)} (batch {batch}"
            f"{', resized' if resized else ''}): max relative error {worst:.2e}"
        )
    version = getattr(_rt, "__version__", "?")
    print(f"LiteRT {version}: {count} runs, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tflite_models"))

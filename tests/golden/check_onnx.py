"""Runs the ONNX models that ferrax's export tests write through onnxruntime and compares
them with ferrax's outputs (the same check the tests make in tract). Not run by the tests.

    FERRAX_EXPORT_DIR=/tmp/onnx_models cargo test --all-features --test export
    pip install onnxruntime numpy
    python3 tests/golden/check_onnx.py /tmp/onnx_models

Each `<name>.run<r>.txt` beside `<name>.onnx` holds one run: per tensor a line
`input|output <i> <dtype> <dims...>` and a line of its values. Tolerance: 1e-5 relative
(|got - want| <= 1e-5 * max(|want|, 1)), as in tests/export/runtime.rs.

Some models are checked here only: the tests write them with `export_only` because tract
cannot run them, e.g. `scatter_add_repeated` (ScatterND with reduction="add", which tract
0.22 ignores; tests/export/onnx_scatter_sort.rs).
"""

import glob
import os
import sys

import numpy as np
import onnxruntime as ort


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


def main(folder):
    failures = 0
    for case in sorted(glob.glob(os.path.join(folder, "*.run*.txt"))):
        name = os.path.basename(case).split(".run")[0]
        model = os.path.join(folder, name + ".onnx")
        if not os.path.exists(model):
            continue  # a TFLite case (tests/golden/check_tflite.py)
        sess = ort.InferenceSession(model)
        inputs, wants = read_case(case)
        feeds = {f"input_{i}": x for i, x in enumerate(inputs)}
        gots = sess.run([f"output_{i}" for i in range(len(wants))], feeds)
        worst = 0.0
        ok = True
        for got, want in zip(gots, wants):
            if got.shape != want.shape:
                ok = False
                continue
            err = np.abs(got.astype(np.float64) - want) / np.maximum(np.abs(want), 1.0)
            worst = max(worst, float(err.max(initial=0.0)))
        ok = ok and worst <= 1e-5
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {os.path.basename(case)}: max relative error {worst:.2e}")
    print(f"onnxruntime {ort.__version__}: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/onnx_models"))

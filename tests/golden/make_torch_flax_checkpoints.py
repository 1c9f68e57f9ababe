"""Writes small checkpoints of one ResNet-18-layout network in the flax and the PyTorch
(torchvision) naming and layouts, and the network's output, for tests/nn/models_weights.rs.
Run from the repository root:

    python3 tests/golden/make_torch_flax_checkpoints.py

The network is torchvision's ResNet-18 layout (7x7 stride-2 stem, 3x3 stride-2 max pool, 4
stages of 2 basic blocks, projection shortcuts, `fc`) with widths 2/4/4/8 instead of
64/128/256/512, 3 input channels, 5 classes; its forward pass (evaluation, running
statistics) is the plain-JAX one of make_models_vision.py. Files (safetensors, written from
numpy with `safetensors.numpy`; torch is not needed):

- `models_resnet18_torch.safetensors`: a torchvision `state_dict`: `conv1.weight` OIHW,
  `bn1.weight|bias|running_mean|running_var|num_batches_tracked` (int64 scalar),
  `layer2.0.downsample.0.weight`, `layer2.0.downsample.1.*`, `fc.weight` `[out, in]`,
  `fc.bias`.
- `models_resnet18_flax.safetensors`: flax's variables as the flax examples' ResNet names
  them: `params/conv_init/kernel` HWIO, `params/ResNetBlock_{n}/Conv_0/kernel`,
  `BatchNorm_0/scale|bias`, `conv_proj`, `norm_proj`, `Dense_0`, `batch_stats/.../mean|var`.
- `models_checkpoints_io.safetensors`: `resnet18.x` `[2, 16, 16, 3]` and `resnet18.y_eval`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from make_models_vision import F32, HERE, flax_names, np32, resnet_forward, resnet_params  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402


def torch_names(p, stats):
    """A torchvision state dict: module paths `layer{s+1}.{b}.conv1`, `downsample.0|1`."""
    def module(path):
        if not path.startswith(".layers["):
            return path[1:]
        s, rest = path[len(".layers["):].split("][", 1)
        b, inner = rest.split("]", 1)
        inner = inner.replace(".downsample.conv", ".downsample.0")
        inner = inner.replace(".downsample.bn", ".downsample.1")
        return f"layer{int(s) + 1}.{b}{inner}"

    out = {}
    for k, v in p.items():
        m, field = k.rsplit(".", 1)
        name = module(m)
        if field == "kernel" and v.ndim == 4:
            out[name + ".weight"] = np.ascontiguousarray(v.transpose(3, 2, 0, 1))  # HWIO -> OIHW
        elif field == "kernel":
            out[name + ".weight"] = np.ascontiguousarray(v.T)  # [in, out] -> [out, in]
        elif field == "scale":
            out[name + ".weight"] = v
        else:
            out[name + "." + field] = v
    for m, (mean, var) in stats.items():
        out[module(m) + ".running_mean"] = mean
        out[module(m) + ".running_var"] = var
        out[module(m) + ".num_batches_tracked"] = np.array(100, dtype=np.int64)
    return out


def main():
    rng = np.random.default_rng(18)
    widths, blocks = (2, 4, 4, 8), (2, 2, 2, 2)
    p, stats = resnet_params(rng, "imagenet", widths, blocks, 3, 5)
    x = rng.standard_normal((2, 16, 16, 3)).astype(F32)
    y, _ = resnet_forward(p, stats, x, "imagenet", widths, blocks, train=False)
    save_file(torch_names(p, stats), os.path.join(HERE, "models_resnet18_torch.safetensors"))
    save_file(flax_names(p, stats, blocks), os.path.join(HERE, "models_resnet18_flax.safetensors"))
    save_file({"resnet18.x": x, "resnet18.y_eval": np32(y)},
              os.path.join(HERE, "models_checkpoints_io.safetensors"))


if __name__ == "__main__":
    main()

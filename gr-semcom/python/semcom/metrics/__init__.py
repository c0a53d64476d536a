"""Image-quality metrics of gr-semcom, all offline and in plain torch.

Images are float tensors [B, 3, H, W] in [0, 1]; every metric runs on the input's device.

Per-image metrics (``f(x, y) -> [B]`` tensor; x = reference, y = reconstruction):
    psnr, ssim, ms_ssim, lpips (alex), lpips_vgg, dists
Set-level metrics (``f(real, fake) -> float``; Inception pool3 features):
    fid, kid, patch_fid, patch_kid
Other: ``predictability(decodes)`` -> (mean, std) of pairwise LPIPS over N decodes of one image.

``METRICS`` maps every name to its callable; ``PER_IMAGE`` and ``SET_LEVEL`` say which is which.
``compute(names, x, y)`` gives ``{name: [per-image floats]}`` for per-image metrics and
``compute_set(names, real, fake)`` ``{name: float}`` for set-level ones.

Network weights are converted at set-up into ``models/metrics/*.safetensors`` (run
scripts/setup.sh, or scripts/convert_metric_weights.py); nothing is downloaded at run time and
no pickle or TorchScript is loaded.
"""
from __future__ import annotations

from ._weights import MissingWeightsError, SETUP_HINT, metrics_dir
from .fidkid import extract_patches, fid, inception_features, kid, patch_fid, patch_kid
from .perceptual import dists, get_network, lpips, lpips_vgg, predictability
from .pixel import ms_ssim, psnr, ssim

PER_IMAGE = {
    "psnr": psnr,
    "ssim": ssim,
    "ms_ssim": ms_ssim,
    "lpips": lpips,
    "lpips_alex": lpips,
    "lpips_vgg": lpips_vgg,
    "dists": dists,
}
SET_LEVEL = {
    "fid": fid,
    "kid": kid,
    "patch_fid": patch_fid,
    "patch_kid": patch_kid,
}
METRICS = {**PER_IMAGE, **SET_LEVEL}


def compute(names, x, y) -> dict:
    """Per-image metrics by name: ``{name: [float] * B}`` (no gradients are kept)."""
    import torch
    names = [names] if isinstance(names, str) else list(names)
    out = {}
    for name in names:
        if name in SET_LEVEL:
            raise ValueError(f"{name!r} is a set-level metric: use compute_set(names, real, fake)")
        if name not in PER_IMAGE:
            raise KeyError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
        with torch.no_grad():
            out[name] = [float(v) for v in PER_IMAGE[name](x, y).detach().cpu()]
    return out


def compute_set(names, real, fake, **kwargs) -> dict:
    """Set-level metrics by name: ``{name: float}`` (``kwargs`` go to each, e.g. patch_size)."""
    names = [names] if isinstance(names, str) else list(names)
    out = {}
    for name in names:
        if name not in SET_LEVEL:
            raise KeyError(f"{name!r} is not a set-level metric; set-level: {sorted(SET_LEVEL)}")
        fn = SET_LEVEL[name]
        kw = {k: v for k, v in kwargs.items() if k != "patch_size" or name.startswith("patch_")}
        out[name] = fn(real, fake, **kw)
    return out


__all__ = [
    "psnr", "ssim", "ms_ssim", "lpips", "lpips_vgg", "dists", "predictability",
    "fid", "kid", "patch_fid", "patch_kid", "inception_features", "extract_patches",
    "METRICS", "PER_IMAGE", "SET_LEVEL", "compute", "compute_set", "get_network",
    "MissingWeightsError", "SETUP_HINT", "metrics_dir",
]

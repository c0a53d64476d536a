"""Pixel metrics: PSNR, SSIM and MS-SSIM, per image, differentiable, on the input's device.

Images are float tensors [B, C, H, W] with values in [0, data_range] (default 1).

SSIM follows Wang et al. 2004 with an 11-tap Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
computed per channel on the "valid" region (no padding) and averaged over channels and pixels.
This is exactly ``skimage.metrics.structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1, channel_axis=-1)``; pass ``sample_covariance=True``
to get skimage's default (variances scaled by N/(N-1), N = 121).

MS-SSIM follows Wang, Simoncelli & Bovik 2003 as implemented by ``pytorch-msssim``: 5 scales,
weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2x2 average pooling between scales, contrast-
structure terms clipped at 0 (ReLU). Small images: 5 scales need the smaller side to be
> 160 px (the window must still fit at the coarsest scale). Below that the number of scales
is reduced to the largest L for which the smaller side is > 10 * 2**(L-1), the first L weights
are renormalised to sum to 1, and a ``UserWarning`` says so; a side of <= 10 px is an error.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import torch
import torch.nn.functional as F

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
WIN_SIZE = 11
WIN_SIGMA = 1.5


def _check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    if not (torch.is_tensor(x) and torch.is_tensor(y)):
        raise TypeError("images must be torch tensors [B, C, H, W]")
    if x.ndim != 4 or x.shape != y.shape:
        raise ValueError(f"images must be [B, C, H, W] of equal shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if not (x.is_floating_point() and y.is_floating_point()):
        raise TypeError("images must be float tensors in [0, data_range]")


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image, [B]; +inf for identical images."""
    _check_pair(x, y)
    mse = (x - y).pow(2).flatten(1).mean(1)
    return 10.0 * torch.log10(data_range ** 2 / mse)


@lru_cache(maxsize=None)
def _gauss_1d(size: int, sigma: float) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(coords ** 2) / (2.0 * sigma ** 2))
    return g / g.sum()


def _filter(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter, valid region only, channel by channel."""
    c = x.shape[1]
    k = g.shape[0]
    x = F.conv2d(x, g.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)
    return F.conv2d(x, g.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)


def _ssim_cs(x, y, data_range, sample_covariance=False, win_size=WIN_SIZE, sigma=WIN_SIGMA):
    """Per-channel mean SSIM and mean contrast-structure term, both [B, C]."""
    dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    x = x.to(dtype)
    y = y.to(dtype)
    g = _gauss_1d(win_size, sigma).to(device=x.device, dtype=dtype)
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mu_x = _filter(x, g)
    mu_y = _filter(y, g)
    norm = win_size * win_size / (win_size * win_size - 1.0) if sample_covariance else 1.0
    var_x = norm * (_filter(x * x, g) - mu_x * mu_x)
    var_y = norm * (_filter(y * y, g) - mu_y * mu_y)
    cov = norm * (_filter(x * y, g) - mu_x * mu_y)
    cs_map = (2 * cov + c2) / (var_x + var_y + c2)
    ssim_map = (2 * mu_x * mu_y + c1) / (mu_x ** 2 + mu_y ** 2 + c1) * cs_map
    return ssim_map.flatten(2).mean(-1), cs_map.flatten(2).mean(-1)


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0,
         sample_covariance: bool = False) -> torch.Tensor:
    """SSIM per image, [B] (Gaussian window 11, sigma 1.5; see the module doc)."""
    _check_pair(x, y)
    if min(x.shape[-2:]) < WIN_SIZE:
        raise ValueError(f"SSIM needs images of at least {WIN_SIZE}x{WIN_SIZE} px, got {tuple(x.shape[-2:])}")
    s, _ = _ssim_cs(x, y, data_range, sample_covariance)
    return s.mean(1).to(x.dtype)


def ms_ssim_scales(height: int, width: int) -> int:
    """Number of MS-SSIM scales used for an image of this size (5 at most; see the module doc)."""
    side = min(height, width)
    levels = 0
    while levels < len(MS_SSIM_WEIGHTS) and side > (WIN_SIZE - 1) * 2 ** levels:
        levels += 1
    return levels


def ms_ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, weights=None) -> torch.Tensor:
    """Multi-scale SSIM per image, [B] (Wang 2003; equals pytorch-msssim for sides > 160 px)."""
    _check_pair(x, y)
    w = list(MS_SSIM_WEIGHTS if weights is None else weights)
    levels = min(len(w), ms_ssim_scales(*x.shape[-2:]))
    if levels == 0:
        raise ValueError(f"MS-SSIM needs a smaller side > {WIN_SIZE - 1} px, got {tuple(x.shape[-2:])}")
    if levels < len(w):
        warnings.warn(f"MS-SSIM on {tuple(x.shape[-2:])} images: {levels} scales instead of {len(w)} "
                      f"(needs a smaller side > {(WIN_SIZE - 1) * 2 ** (len(w) - 1)} px); "
                      "the first weights are renormalised to sum to 1", UserWarning, stacklevel=2)
        w = w[:levels]
        total = sum(w)
        w = [v / total for v in w]
    mcs = []
    for i in range(levels):
        s, cs = _ssim_cs(x, y, data_range)
        if i < levels - 1:
            mcs.append(torch.relu(cs))
            pad = [d % 2 for d in x.shape[2:]]
            x = F.avg_pool2d(x, kernel_size=2, padding=pad)
            y = F.avg_pool2d(y, kernel_size=2, padding=pad)
    stack = torch.stack(mcs + [torch.relu(s)], dim=0)  # [L, B, C]
    wt = torch.tensor(w, dtype=stack.dtype, device=stack.device).view(-1, 1, 1)
    return torch.prod(stack ** wt, dim=0).mean(1)


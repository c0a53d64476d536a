"""One-tap equalisers for flat fading (per example or per symbol)."""
from __future__ import annotations

import torch


def _expand(t, like):
    t = torch.as_tensor(t, device=like.device)
    while t.dim() < like.dim():
        t = t.unsqueeze(-1)
    return t


def zf_equalize(y, h, no):
    """Zero forcing: ``x_hat = y / h``.

    Parameters: ``y`` [B, K] complex; ``h`` [B] or [B, K] complex; ``no`` noise variance,
    scalar, [B] or [B, K]. Returns ``(x_hat [B, K], no_eff [B, K])`` with the post-equaliser
    noise variance ``no / |h|^2``.
    """
    h = _expand(h, y)
    no = _expand(no, y).to(torch.float32)
    gain = h.abs().square().clamp_min(1e-12)
    return y / h, (no / gain).expand(y.shape)


def mmse_equalize(y, h, no):
    """Linear MMSE (biased): ``x_hat = conj(h) y / (|h|^2 + no)``.

    Returns ``(x_hat, no_eff)``; ``no_eff`` is the MSE ``no / (|h|^2 + no)`` per symbol. The output
    is shrunk toward 0 by ``|h|^2 / (|h|^2 + no)``; decoders trained on ``x + n`` want ZF.
    """
    h = _expand(h, y)
    no = _expand(no, y).to(torch.float32)
    denom = h.abs().square() + no
    return h.conj() * y / denom, (no / denom).expand(y.shape)


EQUALIZERS = {"zf": zf_equalize, "mmse": mmse_equalize}

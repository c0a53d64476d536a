"""Analog (uncoded) transmission of real tensors over complex channel uses."""
from __future__ import annotations

import math

import torch

from ..block import SemcomBlock


class AnalogMapper(SemcomBlock):
    r"""Maps any real tensor to complex channel symbols with unit average power.

    Consecutive pairs of reals of each example become one complex symbol (an odd count is padded
    with one zero), and each example is scaled so that :math:`\frac1K\sum|x_k|^2 = 1`.

    Input
    -----
    z : [B, ...], float
        Real tensor per example (an embedding, JSCC features, ...).

    Output
    ------
    x : [B, K], complex64
        Channel symbols, ``K = ceil(numel(z[0]) / 2)``, unit average power per example.
    scale : [B], float32
        The factor applied (``x = scale * pairs(z)``), needed by :class:`AnalogDemapper`.

    Example
    -------
    >>> mapper, demapper = AnalogMapper(), AnalogDemapper()
    >>> z = torch.randn(4, 16, 12, 12)
    >>> x, scale = mapper(z)
    >>> x.shape, float((x.abs()**2).mean())
    (torch.Size([4, 1152]), 1.0...)
    >>> torch.allclose(demapper(x, scale, z.shape[1:]), z, atol=1e-5)
    True
    """

    @staticmethod
    def channel_uses(shape) -> int:
        """Complex channel uses K for one example of the given shape (without batch)."""
        return math.ceil(math.prod(shape) / 2)

    def call(self, z):
        flat = z.reshape(z.shape[0], -1)
        if flat.shape[1] % 2:
            flat = torch.nn.functional.pad(flat, (0, 1))
        if not torch.isfinite(flat).all():
            raise ValueError("AnalogMapper: the input holds NaN or Inf values")
        x = torch.complex(flat[:, 0::2], flat[:, 1::2])
        power = (x.abs() ** 2).mean(dim=1)
        scale = torch.rsqrt(power.clamp_min(1e-20))
        return x * scale[:, None].to(x.dtype), scale


class AnalogDemapper(SemcomBlock):
    """Inverse of :class:`AnalogMapper`: complex symbols back to the real tensor.

    Input
    -----
    y : [B, K], complex
        (Equalised) received symbols.
    scale : [B], float
        The mapper's scale factor (sent as side information, or 1 for already-normalised data).
    shape : tuple of int
        Shape of one example, without the batch dimension.

    Output
    ------
    z : [B, *shape], float32
    """

    def call(self, y, scale, shape):
        flat = torch.stack([y.real, y.imag], dim=-1).reshape(y.shape[0], -1)
        n = math.prod(shape)
        if any(int(s) < 0 for s in shape) or n > flat.shape[1]:
            raise ValueError(f"AnalogDemapper: shape {tuple(shape)} needs {n} reals, the symbols carry {flat.shape[1]}")
        return (flat[:, :n] / scale[:, None]).reshape(y.shape[0], *shape)

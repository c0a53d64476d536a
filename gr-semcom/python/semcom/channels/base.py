"""The one channel interface and its registry."""
from __future__ import annotations

import sionna.phy
import torch
from sionna.phy.utils import complex_normal

from ..block import SemcomBlock
from ..snr import db_to_linear

CHANNELS: dict[str, type] = {}


def register(name: str):
    """Class decorator: make a :class:`Channel` available by ``name`` in :data:`CHANNELS`."""
    def wrap(cls):
        cls.name = name
        CHANNELS[name] = cls
        return cls
    return wrap


def get_channel(name: str, **kwargs) -> "Channel":
    """A channel instance by registry name (``semcom channels`` lists them)."""
    if name not in CHANNELS:
        raise ValueError(f"unknown channel {name!r}; known: {', '.join(sorted(CHANNELS))}")
    return CHANNELS[name](**kwargs)


def snr_per_example(snr_db, batch: int, device=None) -> torch.Tensor:
    """SNR in dB as a float32 tensor [B] (a scalar is broadcast)."""
    snr = torch.as_tensor(snr_db, dtype=torch.float32, device=device).reshape(-1)
    if snr.numel() == 1:
        return snr.expand(batch).clone()
    if snr.numel() != batch:
        raise ValueError(f"snr_db has {snr.numel()} values for a batch of {batch}")
    return snr


class Channel(SemcomBlock):
    """A channel: ``y, csi = channel(x, snr_db)``.

    Input
    -----
    x : [B, K] complex64 with unit average power (complex channels), or [B, ...] float (real
        channels, ``real = True``: noise is added to the tensor itself, scaled to its measured
        power per example).
    snr_db : float or [B] float, in the convention of :mod:`semcom.snr`.

    Output
    ------
    y : same shape and dtype as ``x`` (or equalised symbols, ``csi.equalized``).
    csi : :class:`semcom.csi.CSI` with what a perfect-CSI receiver knows.

    Attributes: ``real`` (operates on real tensors), ``fading`` (gains in ``csi.gain``),
    ``name`` (registry name). A ``generator`` (``torch.Generator``) makes the noise reproducible.
    """

    real = False
    fading = False
    name = "channel"

    def __init__(self, generator: torch.Generator | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator

    def rng(self, device=None) -> torch.Generator:
        """The block's own generator, else Sionna's seeded one (``sionna.phy.config.seed``)."""
        return self.generator or sionna.phy.config.torch_rng(str(device or self.device))

    def complex_noise(self, shape, device=None):
        """CN(0, 1) samples (Sionna's ``complex_normal``)."""
        return complex_normal(shape, device=device, generator=self.rng(device))

    def real_noise(self, shape, device=None):
        """N(0, 1) samples."""
        return torch.randn(shape, generator=self.rng(device), device=device)

    def noise_var(self, snr_db, batch, device=None):
        snr = snr_per_example(snr_db, batch, device)
        return snr, 1.0 / db_to_linear(snr)

    def _expand(self, t, like):
        while t.dim() < like.dim():
            t = t.unsqueeze(-1)
        return t

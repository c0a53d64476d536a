"""Flat channels: AWGN (complex and on a real embedding), Rayleigh fading, Poisson noise."""
from __future__ import annotations

import torch

from ..csi import CSI
from ..snr import db_to_linear
from .base import Channel, register, snr_per_example


@register("awgn")
class AWGNChannel(Channel):
    """Complex AWGN, ``y = x + n``, ``n ~ CN(0, 1/SNR)`` for unit-power ``x``.

    Example
    -------
    >>> ch = get_channel("awgn")
    >>> x = torch.ones(2, 1000, dtype=torch.complex64)
    >>> y, csi = ch(x, 10.0)
    >>> csi.noise_var
    tensor([0.1000, 0.1000])
    """

    def call(self, x, snr_db):
        snr, no = self.noise_var(snr_db, x.shape[0], x.device)
        y = x + self.complex_noise(x.shape, x.device) * self._expand(no.sqrt(), x)
        return y, CSI(snr_db=snr, noise_var=no)


@register("awgn-real")
class RealAWGNChannel(Channel):
    """Real AWGN added to an embedding, SC-SIC's and GESCO's convention.

    The noise variance per element is ``P / SNR`` where ``P`` is the example's measured mean
    square, so the SNR is the per-element signal power over the per-element noise variance.
    """

    real = True

    def call(self, x, snr_db):
        snr = snr_per_example(snr_db, x.shape[0], x.device)
        power = x.reshape(x.shape[0], -1).square().mean(dim=1)
        var = power / db_to_linear(snr)
        noise = self.real_noise(x.shape, x.device)
        y = x + noise * self._expand(var.sqrt(), x)
        return y, CSI(snr_db=snr, noise_var=var)


@register("rayleigh-block")
class RayleighBlockChannel(Channel):
    """Block Rayleigh fading: one gain ``h ~ CN(0, 1)`` per example (frame), ``y = h x + n``.

    ``csi.gain`` is [B]; ``csi.snr_db`` is the average SNR (``E|h|^2 = 1``).
    """

    fading = True

    def call(self, x, snr_db):
        snr, no = self.noise_var(snr_db, x.shape[0], x.device)
        h = self.complex_noise((x.shape[0],), x.device)
        y = self._expand(h, x) * x + self.complex_noise(x.shape, x.device) * self._expand(no.sqrt(), x)
        return y, CSI(snr_db=snr, gain=h, noise_var=no)


@register("rayleigh-fast")
class RayleighFastChannel(Channel):
    """Fast Rayleigh fading: an i.i.d. gain ``h ~ CN(0, 1)`` per symbol; ``csi.gain`` is [B, K]."""

    fading = True

    def call(self, x, snr_db):
        snr, no = self.noise_var(snr_db, x.shape[0], x.device)
        h = self.complex_noise(x.shape, x.device)
        y = h * x + self.complex_noise(x.shape, x.device) * self._expand(no.sqrt(), x)
        return y, CSI(snr_db=snr, gain=h, noise_var=no)


def _poisson(x, snr, generator):
    """Signal-dependent Poisson noise with mean noise power ``P / snr`` per element."""
    flat = x.reshape(x.shape[0], -1)
    offset = flat.min(dim=1).values
    shifted = flat - offset[:, None]
    power = flat.square().mean(dim=1)
    # Var[Poisson(lam*s)/lam] = s/lam, so mean variance = mean(s)/lam = power/snr.
    lam = snr * shifted.mean(dim=1).clamp_min(1e-12) / power.clamp_min(1e-12)
    counts = torch.poisson(shifted * lam[:, None], generator=generator)
    return (counts / lam[:, None] + offset[:, None]).reshape(x.shape)


@register("poisson")
class PoissonChannel(Channel):
    """Poisson (shot) noise on a real tensor, GESCO's test-only robustness channel.

    The tensor is shifted to be non-negative per example, counts are drawn with a rate chosen so
    that the mean noise variance is ``P / SNR`` (``P``: the example's mean square), and the shift is
    undone.
    """

    real = True

    def call(self, x, snr_db):
        snr = snr_per_example(snr_db, x.shape[0], x.device)
        y = _poisson(x, db_to_linear(snr), self.rng(x.device))
        power = x.reshape(x.shape[0], -1).square().mean(dim=1)
        return y, CSI(snr_db=snr, noise_var=power / db_to_linear(snr))


@register("poisson-gaussian")
class PoissonGaussianChannel(Channel):
    """Mixture of Poisson and Gaussian noise on a real tensor, each carrying half the noise power."""

    real = True

    def call(self, x, snr_db):
        snr = snr_per_example(snr_db, x.shape[0], x.device)
        lin = db_to_linear(snr)
        power = x.reshape(x.shape[0], -1).square().mean(dim=1)
        y = _poisson(x, 2 * lin, self.rng(x.device))
        gauss = self.real_noise(x.shape, x.device)
        y = y + gauss * self._expand((power / (2 * lin)).sqrt(), x)
        return y, CSI(snr_db=snr, noise_var=power / lin)

"""The one SNR convention of gr-semcom.

SNR is the received signal power over the noise variance per complex channel use, in dB, as the
seed papers use it: with unit average symbol power ``E|x|^2 = 1`` and complex noise
``n ~ CN(0, N0)``, ``SNR = 1 / N0``. For a real channel use (an embedding with noise added per
real element, SC-SIC's and GESCO's convention) the same figure is the per-element signal power
over the per-element noise variance, which equals the complex figure when two reals form one
complex symbol.

Eb/N0 follows from the bits carried per complex channel use (``bits_per_symbol * code_rate``):
``Eb/N0 = SNR / (bits_per_symbol * code_rate)``.
"""
from __future__ import annotations

import math

import torch


def db_to_linear(db):
    """10^(dB/10) for floats or tensors."""
    if isinstance(db, torch.Tensor):
        return torch.pow(10.0, db / 10.0)
    return 10.0 ** (db / 10.0)


def linear_to_db(x):
    """10 log10(x) for floats or tensors."""
    if isinstance(x, torch.Tensor):
        return 10.0 * torch.log10(x)
    return 10.0 * math.log10(x)


def noise_variance(snr_db, signal_power=1.0):
    """Complex noise variance N0 that gives ``snr_db`` at the given received signal power."""
    return signal_power / db_to_linear(snr_db)


def ebno_db(snr_db, bits_per_symbol, code_rate=1.0):
    """Eb/N0 in dB of a link at ``snr_db`` carrying ``bits_per_symbol * code_rate`` bits a use."""
    return snr_db - linear_to_db(bits_per_symbol * code_rate)


def snr_db_from_ebno(ebno_db_, bits_per_symbol, code_rate=1.0):
    """Inverse of :func:`ebno_db`."""
    return ebno_db_ + linear_to_db(bits_per_symbol * code_rate)


def capacity(snr_db):
    """AWGN capacity log2(1 + SNR) in bits per complex channel use."""
    return math.log2(1.0 + db_to_linear(snr_db))

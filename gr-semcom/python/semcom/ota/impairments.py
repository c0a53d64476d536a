"""Radio impairments in closed form (numpy), for tests and measurements of the receiver's tracking.

Each function takes complex baseband samples at ``fs`` and returns the impaired samples; they
model what a pair of real radios adds on top of the channel, in the order a receiver sees them
(:func:`apply`): multipath (TDL-C) -> sampling-clock offset -> carrier frequency offset (with a
linear drift) -> phase noise -> thermal noise -> IQ imbalance -> DC offset.

* :func:`sco`: the receiver's clock runs ``ppm`` fast relative to the transmitter's:
  ``y[n] = x(n (1 + e))``, ``e = ppm 1e-6`` (band-limited interpolation, 24-tap Kaiser-windowed
  sinc).
* :func:`cfo`: ``exp(j 2 pi (f0 n + f1 n^2 / 2) / 64)``; ``f0`` in subcarrier spacings, ``f1`` in
  subcarrier spacings per sample (a linear drift).
* :func:`phase_noise`: a Wiener process of 3-dB linewidth ``linewidth`` Hz: phase increments
  ``N(0, 2 pi linewidth / fs)`` (the Lorentzian spectrum ``L(f) = linewidth / (pi f^2)`` at offsets
  ``f >> linewidth``: 100 Hz is -65 dBc/Hz at 10 kHz).
* :func:`iq_imbalance`: the Q branch with gain ``g`` (dB) and phase ``phi`` (degrees) relative to
  I: ``y = mu x + nu conj(x)``, ``mu = (1 + g e^{-j phi}) / 2``, ``nu = (1 - g e^{j phi}) / 2``
  (image rejection ``|nu / mu|^2``: -22.8 dB at 1 dB / 5 degrees).
* :func:`dc_offset`: ``y + dc``.
* :func:`tdl_c`: one draw of 3GPP TR 38.901 TDL-C (table 7.7.2-3, Rayleigh taps, no Doppler) at
  ``delay_spread`` as a FIR at ``fs`` (sinc-interpolated delays, unit average power).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# 3GPP TR 38.901 Table 7.7.2-3, TDL-C: normalised delays and powers (dB)
TDL_C_DELAYS = np.array([0, 0.2099, 0.2219, 0.2329, 0.2176, 0.6366, 0.6448, 0.6560, 0.6584, 0.7935,
                         0.8213, 0.9336, 1.2285, 1.3083, 2.1704, 2.7105, 4.2589, 4.6003, 5.4902,
                         5.6077, 6.3065, 6.6374, 7.0427, 8.6523])
TDL_C_POWERS_DB = np.array([-4.4, -1.2, -3.5, -5.2, -2.5, 0, -2.2, -3.9, -7.4, -7.1, -10.7, -11.1,
                            -5.1, -6.8, -8.7, -13.2, -13.9, -13.9, -15.8, -17.1, -16, -15.7, -21.6,
                            -22.8])
SINC_HALF = 12          # interpolation taps each side (sco)


def sco(x: np.ndarray, ppm: float, start: float = 0.0) -> np.ndarray:
    """Sampling-clock offset: ``y[n] = x(start + n (1 + ppm 1e-6))`` (samples beyond ``x`` are 0)."""
    x = np.asarray(x, np.complex64)
    e = float(ppm) * 1e-6
    n_out = int(max(0, math.floor((len(x) - 1 - start) / (1 + e)) + 1))
    out = np.empty(n_out, np.complex64)
    pad = np.concatenate([np.zeros(SINC_HALF, np.complex64), x, np.zeros(SINC_HALF + 1, np.complex64)])
    taps = np.arange(-SINC_HALF + 1, SINC_HALF + 1)
    win = np.kaiser(2 * SINC_HALF + 1, 8.0)
    for a in range(0, n_out, 65536):
        t = start + np.arange(a, min(n_out, a + 65536)) * (1 + e)
        m = np.floor(t).astype(np.int64)
        mu = t - m                                              # in [0, 1)
        d = taps[None, :] - mu[:, None]                          # tap offset from the instant
        w = np.sinc(d) * np.interp(d, np.arange(-SINC_HALF, SINC_HALF + 1), win)
        out[a: a + len(t)] = np.einsum("nk,nk->n", pad[m[:, None] + taps[None, :] + SINC_HALF], w)
    return out


def cfo(x: np.ndarray, f0: float, f1: float = 0.0, n0: int = 0) -> np.ndarray:
    """CFO of ``f0`` subcarrier spacings (1/64 cycles per sample) drifting by ``f1`` per sample."""
    n = np.arange(n0, n0 + len(x), dtype=np.float64)
    return (x * np.exp(2j * np.pi * (f0 * n + 0.5 * f1 * n * n) / 64)).astype(np.complex64)


def phase_noise(x: np.ndarray, linewidth: float, fs: float, rng) -> np.ndarray:
    """Wiener phase noise of 3-dB linewidth ``linewidth`` Hz at sample rate ``fs``."""
    sigma = math.sqrt(2 * math.pi * float(linewidth) / float(fs))
    phi = np.cumsum(rng.standard_normal(len(x)) * sigma)
    return (x * np.exp(1j * phi)).astype(np.complex64)


def iq_coefficients(gain_db: float, phase_deg: float):
    """(mu, nu) of an IQ imbalance of ``gain_db`` / ``phase_deg`` (Q branch relative to I)."""
    g, phi = 10 ** (gain_db / 20), math.radians(phase_deg)
    return (1 + g * np.exp(-1j * phi)) / 2, (1 - g * np.exp(1j * phi)) / 2


def iq_imbalance(x: np.ndarray, gain_db: float, phase_deg: float) -> np.ndarray:
    mu, nu = iq_coefficients(gain_db, phase_deg)
    return (mu * x + nu * np.conj(x)).astype(np.complex64)


def image_rejection_db(gain_db: float, phase_deg: float) -> float:
    """Power of the image over the wanted signal, dB."""
    mu, nu = iq_coefficients(gain_db, phase_deg)
    return float(20 * np.log10(abs(nu) / abs(mu)))


def dc_offset(x: np.ndarray, dc: complex) -> np.ndarray:
    return (x + np.complex64(dc)).astype(np.complex64)


def tdl_c(delay_spread: float, fs: float, rng, lags: int | None = None) -> np.ndarray:
    """One TDL-C draw as a causal FIR at ``fs``: taps ``h[l] = sum_m a_m sinc(l - 3 - fs tau_m)``
    (3 samples of precursor for the sinc's left side), ``E sum |h|^2 = 1``."""
    tau = TDL_C_DELAYS * float(delay_spread) * float(fs)
    p = 10 ** (TDL_C_POWERS_DB / 10)
    p = p / p.sum()
    a = np.sqrt(p / 2) * (rng.standard_normal(len(p)) + 1j * rng.standard_normal(len(p)))
    n = lags or int(math.ceil(tau.max())) + 8
    lag = np.arange(n) - 3
    return (np.sinc(lag[:, None] - tau[None, :]) @ a).astype(np.complex64)


def multipath(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    return np.convolve(x, taps)[: len(x)].astype(np.complex64)


@dataclass
class Impairments:
    """All of them in one set of parameters; :meth:`apply` runs them in a radio's order."""

    fs: float = 10e6
    sco_ppm: float = 0.0
    cfo: float = 0.0             # subcarrier spacings at the first sample
    cfo_drift: float = 0.0       # subcarrier spacings per second
    linewidth: float = 0.0       # Hz (Wiener phase noise)
    iq_gain_db: float = 0.0
    iq_phase_deg: float = 0.0
    dc: complex = 0.0
    delay_spread: float = 0.0    # s, TDL-C (0: none)
    fading_block: int = 0        # samples per TDL-C draw (0: one draw)

    def apply(self, x: np.ndarray, snr_db: float | None, rng) -> np.ndarray:
        """``x`` (unit power per RE) through the impairments, with AWGN of ``N0 = 10^(-snr/10)``
        added after the oscillator effects and before the IQ imbalance and DC offset."""
        y = np.asarray(x, np.complex64)
        if self.delay_spread > 0:
            if self.fading_block <= 0:
                y = multipath(y, tdl_c(self.delay_spread, self.fs, rng))
            else:
                lags = int(math.ceil(TDL_C_DELAYS.max() * self.delay_spread * self.fs)) + 8
                taps = [tdl_c(self.delay_spread, self.fs, rng, lags)
                        for _ in range(-(-len(y) // self.fading_block))]
                full = np.convolve(y, taps[0])[: len(y)]
                for b in range(1, len(taps)):     # each block of outputs with its own draw
                    a = b * self.fading_block
                    seg = y[max(0, a - lags + 1): a + self.fading_block]
                    out = np.convolve(seg, taps[b])[a - max(0, a - lags + 1):][: min(self.fading_block, len(y) - a)]
                    full[a: a + len(out)] = out
                y = full.astype(np.complex64)
        if self.sco_ppm:
            y = sco(y, self.sco_ppm)
        if self.cfo or self.cfo_drift:
            y = cfo(y, self.cfo, self.cfo_drift / self.fs)
        if self.linewidth > 0:
            y = phase_noise(y, self.linewidth, self.fs, rng)
        if snr_db is not None:
            s = 10 ** (-snr_db / 20) / math.sqrt(2)
            y = (y + s * (rng.standard_normal(len(y)) + 1j * rng.standard_normal(len(y)))).astype(np.complex64)
        if self.iq_gain_db or self.iq_phase_deg:
            y = iq_imbalance(y, self.iq_gain_db, self.iq_phase_deg)
        if self.dc:
            y = dc_offset(y, self.dc)
        return y

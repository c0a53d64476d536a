"""Training fields and synchronisation: Schmidl & Cox detection on a periodic short training field
(STF), integer CFO search and timing on two long training symbols (LTF), fine CFO from the LTF
pair.

STF: 5 periods of 32 samples (one OFDM symbol on the even subcarriers only, tiled), 160 samples.
LTF: a 32-sample guard (the LTS's last half) and the 802.11a long training symbol twice, 160
samples. CFO is in subcarrier spacings (1 = 1/64 cycles per sample).
"""
from __future__ import annotations

import numpy as np

from . import kernels as _k
from .ofdm import BACKOFF, BIN_USED, FFT, USED

HALF = 32                 # S&C repetition period
WINDOW = 96               # products summed per metric value
STF_LEN = 5 * HALF        # 160
LTF_GUARD = 32
LTF_LEN = LTF_GUARD + 2 * FFT  # 160
PREAMBLE_LEN = STF_LEN + LTF_LEN
PLATEAU = STF_LEN - WINDOW - HALF  # 32: metric positions fully inside the STF (plus one)

# 802.11a long training sequence on subcarriers -26..26
_L = np.array([1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1,
               0, 1, -1, -1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1,
               1, 1, 1], dtype=np.float32)
LTS_FREQ = np.delete(_L, 26).astype(np.complex64)   # on USED order, +-1


def _stf() -> np.ndarray:
    rng = np.random.default_rng(0x57F)
    grid = np.zeros(FFT, dtype=np.complex64)
    even = USED[USED % 2 == 0]
    qpsk = (rng.choice([-1, 1], len(even)) + 1j * rng.choice([-1, 1], len(even))) / np.sqrt(2)
    grid[even % FFT] = qpsk * np.sqrt(len(USED) / len(even))  # same power as 52 unit REs
    sym = np.fft.ifft(grid, norm="ortho")
    return np.tile(sym[:HALF], 5).astype(np.complex64)


def _lts_time() -> np.ndarray:
    grid = np.zeros(FFT, dtype=np.complex64)
    grid[BIN_USED] = LTS_FREQ
    return np.fft.ifft(grid, norm="ortho").astype(np.complex64)


STF = _stf()
LTS = _lts_time()
LTS_ENERGY = float(np.sum(np.abs(LTS) ** 2))   # 52
LTF = np.concatenate([LTS[-LTF_GUARD:], LTS, LTS]).astype(np.complex64)
PREAMBLE = np.concatenate([STF, LTF])


MOVSUM_BLOCK = 2048   # outputs per cumulative sum: a huge burst cannot swamp sums far after it


def _movsum(x: np.ndarray, n: int, block: int = MOVSUM_BLOCK) -> np.ndarray:
    """Sums of ``n`` consecutive elements (``len(x) - n + 1`` of them), from cumulative sums that
    restart every ``block`` outputs, so the rounding error a large value leaves in a running sum
    stays within its block instead of drowning every later window."""
    count = len(x) - n + 1
    out = np.empty(max(count, 0), dtype=np.result_type(x.dtype, np.float64))
    for a in range(0, count, block):
        c = np.concatenate([[0], np.cumsum(x[a: a + min(block, count - a) + n - 1])])
        out[a: a + len(c) - n] = c[n:] - c[:-n]
    return out


def sc_metric(r: np.ndarray, dc_block: bool = False, lead: int = 0, floor: float = 0.0):
    """Schmidl & Cox metric of ``r`` for every start ``d`` with ``d + WINDOW + HALF <= len(r)``.

    ``P(d) = sum_{m<WINDOW} conj(r[d+m]) r[d+m+HALF]``; normalised by the energy of BOTH halves,
    ``c(d) = |P| / sqrt(R1 R2)`` (a correlation coefficient, <= 1: no false triggers at signal
    edges or on silence). Returns (c, P).

    ``dc_block``: the metric of ``r`` minus its moving mean over ``HALF`` samples (the same
    length; the first ``lead`` samples of ``r`` are history that only enters those means, so the
    metric does not depend on where a search starts). A constant (a DC offset, which is periodic
    with any period) is removed, and a filtered periodic STF stays periodic, so a DC offset above
    the noise cannot look like a preamble on silence.

    One compiled pass (:func:`semcom.ota.kernels.sc_metric`), prefix sums restarted every
    :data:`MOVSUM_BLOCK` outputs. ``floor``: ``c`` and ``P`` only where ``c`` exceeds ``floor``,
    0 elsewhere (what a detector with that threshold needs)."""
    return _k.sc_metric(np.ascontiguousarray(r, dtype=np.complex64), bool(dc_block), int(lead), float(floor))


def find_runs(mask: np.ndarray):
    """(start, stop) of every run of True in ``mask``."""
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def derotate(x: np.ndarray, cfo: float, n0: int = 0) -> np.ndarray:
    """Remove a CFO of ``cfo`` subcarrier spacings; sample ``i`` of ``x`` is time ``n0 + i``
    (complex64; :func:`semcom.ota.kernels.derotate`)."""
    return _k.derotate(np.ascontiguousarray(x, dtype=np.complex64), float(cfo), int(n0))


_LTS_C = LTS.astype(np.complex128)


def lts_search(seg: np.ndarray, cfo_candidates, n0: int = 0):
    """Integer CFO and timing: for every candidate CFO, derotate ``seg`` and correlate both long
    training symbols with the known LTS at every lag. Returns (best cfo, lag of LTS1 in seg,
    normalised peak in [0, 1]); (None, None, 0.0) when ``seg`` is too short."""
    cands = np.asarray(list(cfo_candidates), dtype=np.float64)
    if len(cands) == 0:
        return None, None, 0.0
    i, lag, metric = _k.lts_search(np.ascontiguousarray(seg, dtype=np.complex64), cands, int(n0), _LTS_C)
    if i < 0:
        return None, None, 0.0
    return float(cands[i]), int(lag), float(metric)


def fine_cfo(lts1: np.ndarray, lts2: np.ndarray) -> float:
    """Residual CFO (subcarrier spacings, |.| < 0.5) from two identical 64-sample symbols."""
    return float(np.angle(np.vdot(lts1, lts2)) / (2 * np.pi))


def ltf_fft(samples: np.ndarray) -> np.ndarray:
    """Received long symbols -> [2, 52] REs. ``samples`` starts ``BACKOFF`` samples before LTS1
    (the same early FFT window as the data symbols; the guard interval makes it cyclic)."""
    return np.stack([np.fft.fft(samples[i * FFT: (i + 1) * FFT], norm="ortho")[BIN_USED]
                     for i in range(2)])

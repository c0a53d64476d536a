"""The 802.11a-like OFDM numerology of the over-the-air frame.

64-point FFT, cyclic prefix of 16 samples, 52 used subcarriers (-26..26 without DC): 48 data and 4
pilots (+-7, +-21). Every resource element (RE) has unit average power and the transforms are
orthonormal (``norm="ortho"``), so a time-domain noise of variance ``N0`` per complex sample is a
noise of variance ``N0`` per RE and the SNR of :mod:`semcom.snr` (received power per RE over the
noise variance per RE) is ``1 / N0`` at unit channel gain. During an OFDM symbol the mean power
per time sample is ``52 / 64``.
"""
from __future__ import annotations

import numpy as np

FFT = 64
CP = 16
SYMBOL = FFT + CP
USED = np.array([k for k in range(-26, 27) if k != 0])            # 52 subcarriers
PILOTS = np.array([-21, -7, 7, 21])
DATA = np.array([k for k in USED if k not in PILOTS])              # 48 subcarriers
N_DATA = len(DATA)
PILOT_VALUES = np.array([1, 1, 1, -1], dtype=np.complex64)
# FFT bin of each subcarrier
BIN_USED, BIN_DATA, BIN_PILOT = USED % FFT, DATA % FFT, PILOTS % FFT
# position of data / pilot subcarriers inside the USED ordering
POS_DATA = np.searchsorted(USED, DATA)
POS_PILOT = np.searchsorted(USED, PILOTS)
# FFT window starts this many samples inside the cyclic prefix (tolerates early timing)
BACKOFF = 4


def _polarity() -> np.ndarray:
    """The 127-long pilot polarity sequence of 802.11a (scrambler x^7 + x^4 + 1, all-ones seed)."""
    state, out = [1] * 7, []
    for _ in range(127):
        bit = state[3] ^ state[6]
        out.append(bit)
        state = [bit] + state[:6]
    return (1 - 2 * np.array(out)).astype(np.float32)


POLARITY = _polarity()


_PILOT_TABLE = (POLARITY[:, None] * PILOT_VALUES[None, :]).astype(np.complex64)   # [127, 4]


_PILOT_LONG = np.tile(_PILOT_TABLE, (65, 1))       # 8255 symbols: any frame up to 660k samples
_PILOT_LONG.flags.writeable = False


def pilots(first: int, count: int) -> np.ndarray:
    """Pilot values [count, 4] of OFDM symbols ``first .. first+count-1`` (counted from the first
    symbol after the training fields; a read-only view for frames up to 8128 symbols)."""
    a = first % len(POLARITY)
    if a + count <= len(_PILOT_LONG):
        return _PILOT_LONG[a: a + count]
    reps = (a + count) // len(POLARITY) + 1
    return np.tile(_PILOT_TABLE, (reps, 1))[a: a + count]


def modulate(data: np.ndarray, first: int = 0) -> np.ndarray:
    """Data REs [n, 48] complex -> time samples [n * 80] with pilots and cyclic prefixes."""
    n = data.shape[0]
    grid = np.zeros((n, FFT), dtype=np.complex64)
    grid[:, BIN_DATA] = data
    grid[:, BIN_PILOT] = pilots(first, n)
    sym = np.fft.ifft(grid, axis=1, norm="ortho")
    return np.concatenate([sym[:, -CP:], sym], axis=1).reshape(-1).astype(np.complex64)


def demodulate(samples: np.ndarray, n: int) -> np.ndarray:
    """Time samples of ``n`` symbols (starting at the first CP sample) -> used REs [n, 52]."""
    sym = samples[: n * SYMBOL].reshape(n, SYMBOL)[:, CP - BACKOFF: CP - BACKOFF + FFT]
    return np.fft.fft(sym, axis=1, norm="ortho")[:, BIN_USED]


def noise_voltage(snr_db: float) -> float:
    """Standard deviation of complex time-domain noise (``E|n|^2``) that gives ``snr_db`` per RE at
    unit channel gain: what to give GNU Radio's ``channels.channel_model(noise_voltage=...)``."""
    return float(10.0 ** (-snr_db / 20.0))

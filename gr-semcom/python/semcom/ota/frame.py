"""Frames on the air: a :class:`~semcom.transport.Message` of one image -> complex baseband samples
(:class:`FrameTransmitter`) and back from an unaligned sample stream (:class:`FrameReceiver`).

Frame = STF (160) | LTF (160) | header OFDM symbols | payload OFDM symbols (80 samples each).

* STF/LTF: :mod:`semcom.ota.preamble` (Schmidl & Cox detection, CFO up to +-2.5 subcarrier
  spacings by default, LTS timing, fine CFO).
* Header: :mod:`semcom.ota.header` bytes (with the codec's JSON-able ``side_info``), BPSK rate-1/2 5G LDPC through
  :class:`~semcom.phy.DigitalTransmitter` (one 512-bit block per 64-byte chunk).
* Payload: every stream of the message in order: analog streams as :class:`~semcom.phy.AnalogMapper`
  symbols (the scale travels in the header), digital streams as
  :class:`~semcom.phy.DigitalTransmitter` symbols, on the 48 data subcarriers, symbol after
  symbol; the last symbol is filled with a known QPSK pad.

Receiver: a blind front end removes DC offset and IQ imbalance; channel estimate from the LTF
(smoothed across subcarriers only as far as the channel is flat), refined (and the noise variance
estimated) with the decoded header as extra training (decision directed, every header RE is known
once its CRCs pass); per OFDM symbol, the common phase from the 4 pilots (residual CFO and phase
noise, Kalman-smoothed) and the sampling-clock slope across subcarriers (fitted over the header's
REs and the payload's pilots); ZF equalisation (what decoders trained on ``x + n/h`` expect).
``tracking=False`` gives the receiver without the front end and the tracking (common phase
smoothed over 9 symbols), for comparisons. The SNR estimate is ``mean|H|^2 / N0`` per RE, the
convention of :mod:`semcom.snr`.
"""
from __future__ import annotations

import logging
import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from ..csi import CSI
from ..phy import AnalogDemapper, AnalogMapper, DigitalReceiver, DigitalTransmitter, get_mcs
from ..phy.digital import CRC_BITS, block_layout
from ..transport import ANALOG, Message, Stream
from . import header as hdr
from . import kernels as _k
from .policy import FrameRejected, ReceiverPolicy
from .ofdm import (BIN_USED, CP, FFT, N_DATA, POS_DATA, POS_PILOT, SYMBOL, USED, demodulate,
                   modulate, pilots)
from .preamble import (BACKOFF, HALF, LTF_GUARD, LTS_FREQ, PLATEAU, PREAMBLE, PREAMBLE_LEN,
                       STF_LEN, WINDOW, derotate, find_runs, fine_cfo, lts_search, ltf_fft,
                       sc_metric)

log = logging.getLogger(__name__)

HEADER_MCS = "bpsk-1/2"
HEADER_CODEWORD_BITS = 2 * (hdr.CHUNK_BITS + CRC_BITS)   # 1072: one LDPC block per chunk
HEADER_CHUNK_SYMBOLS = HEADER_CODEWORD_BITS               # BPSK: one RE per coded bit
LTS1_OFFSET = STF_LEN + LTF_GUARD                          # 192: frame start -> first long symbol
PHASE_SMOOTH = 9                                           # symbols averaged for the common phase
DIGITAL_RECEIVERS_KEPT = 16                                # (MCS, codeword size) receivers cached
HEADER_VERDICTS_KEPT = 16                                  # header layouts whose policy verdict is kept
# Samples of larger magnitude are treated as missing (zeroed, counted): 120 dB above a full-scale
# radio stream (+-1), they only come from garbage, and they would swamp the detector's running sums.
MAX_SAMPLE_ABS = 1e6
DATA_OFFSET = PREAMBLE_LEN                                 # 320: frame start -> first OFDM symbol
_PAD_RNG = np.random.default_rng(0x9AD)
PAD = ((_PAD_RNG.choice([-1, 1], 4096) + 1j * _PAD_RNG.choice([-1, 1], 4096)) / np.sqrt(2)).astype(np.complex64)


def header_symbols(chunks: int) -> int:
    """OFDM symbols of a header of ``chunks`` chunks."""
    return math.ceil(chunks * HEADER_CHUNK_SYMBOLS / N_DATA)


def _fill(x: np.ndarray) -> np.ndarray:
    """Pad REs to whole OFDM symbols with the known pad sequence -> [n, 48]."""
    n = max(1, math.ceil(len(x) / N_DATA))
    out = np.empty(n * N_DATA, np.complex64)
    out[: len(x)] = x
    pad = out[len(x):]                # the pad sequence continues where it would have been
    a = len(x) % len(PAD)
    if a + len(pad) <= len(PAD):
        pad[:] = PAD[a: a + len(pad)]
    else:
        pad[:] = np.tile(PAD, math.ceil((a + len(pad)) / len(PAD)))[a: a + len(pad)]
    return out.reshape(n, N_DATA)


def _layout_key(header: hdr.Header, n_sym: int) -> tuple:
    """What a receiver policy's verdict on a header depends on: every field but the sequence
    number, the side information and the analog scales (only whether each is valid)."""
    return (header.scheme, tuple(header.image_shape), n_sym,
            tuple((s.name, s.kind, tuple(s.shape), s.length, s.mcs, s.codeword_bits,
                   s.kind != ANALOG or (math.isfinite(s.scale) and s.scale > 0)) for s in header.streams))


def _stream_symbols(info: hdr.StreamInfo) -> int:
    """Channel uses a stream occupies in the payload."""
    if info.kind == ANALOG:
        return math.ceil((info.length if info.length is not None else math.prod(info.shape)) / 2)
    return _digital_symbols(math.prod(info.shape), str(info.mcs), int(info.codeword_bits))


@lru_cache(maxsize=256)
def _digital_symbols(num_bits: int, mcs: str, codeword_bits: int) -> int:
    return block_layout(num_bits, get_mcs(mcs), codeword_bits).symbols


def payload_symbols(streams) -> int:
    """OFDM symbols of the payload of these streams."""
    return max(1, math.ceil(sum(_stream_symbols(s) for s in streams) / N_DATA))


def channel_uses(streams, n_hdr: int, n_pay: int) -> dict:
    """Honest accounting of one frame in complex samples (channel uses): ``payload`` = the scheme's
    K (every stream's channel uses, ``streams`` by name), and the ``overhead`` the frame adds
    around it, by part: preamble (STF + LTF), header REs, pilots, pad (the last payload symbol's
    filler), null subcarriers (DC and guards: 12 of 64) and cyclic prefixes. ``total`` equals the
    frame's length in samples."""
    per = {s.name: _stream_symbols(s) for s in streams}
    k = sum(per.values())
    nsym = n_hdr + n_pay
    over = dict(preamble=PREAMBLE_LEN, header=n_hdr * N_DATA, pilots=4 * nsym,
                pad=n_pay * N_DATA - k, null_subcarriers=(FFT - len(USED)) * nsym, cyclic_prefix=CP * nsym)
    return dict(payload=k, streams=per, overhead=sum(over.values()), overhead_by=over,
                total=k + sum(over.values()))


def _moving_sum(z: np.ndarray, width: int = PHASE_SMOOTH) -> np.ndarray:
    """Centred sums of ``width`` neighbours of ``z`` (fewer at the edges), as long as ``z`` for any
    length, including frames shorter than ``width`` symbols."""
    return np.convolve(z, np.ones(width), mode="full")[(width - 1) // 2: (width - 1) // 2 + len(z)]


_USED_F = USED.astype(np.float64)


def _smooth(h: np.ndarray, width: int = 5) -> np.ndarray:
    """Channel estimate [52] averaged over ``width`` neighbouring subcarriers, after removing the
    linear phase of the timing offset (the FFT window starts ``BACKOFF`` samples early). Cuts the
    LTF estimate's noise ``width``-fold for the header; the decision-directed refit that follows
    does not smooth (frequency-selective channels keep their detail)."""
    return _k.smooth_channel(np.ascontiguousarray(h, dtype=np.complex128), _USED_F, int(width))


def _smooth_adaptive(h: np.ndarray, no: float) -> np.ndarray:
    """:func:`_smooth` with the widest of 5, 3, 1 subcarriers whose averaging error stays within
    the noise it removes: on a frequency-selective channel (TDL-C at 300 ns: coherence bandwidth
    about 3 subcarriers) averaging neighbours would blur the channel more than it cuts the noise.
    ``no``: noise variance of ``h`` per subcarrier."""
    for width in (5, 3):
        hs = _smooth(h, width)
        # E|h - hs|^2 from noise alone is about no (1 - 1/width); more means the channel varies
        if float(np.mean(np.abs(h - hs) ** 2)) <= 1.5 * no * (1 - 1 / width) + 1e-12:
            return hs
    return h.astype(np.complex64)


# Pairs of subcarrier positions (in USED order) 14 subcarriers apart: the pilots' spacing.
_K = USED.astype(np.float64)
_PAIR_I, _PAIR_J = np.nonzero(_K[None, :] - _K[:, None] == 14)
_PILOT_PAIR_I = np.array([0, 1, 2])
_PILOT_PAIR_J = np.array([1, 2, 3])
TRACK_SPACING = 14
_NO_C = np.zeros(0, np.complex128)        # no earlier slope products
_NO_T = np.zeros(0, np.float64)
# orthonormal DFT on the used bins [52, 64] (the LTF's two FFTs inside one compiled call)
_TWIDDLE = np.exp(-2j * np.pi * np.outer(BIN_USED, np.arange(FFT)) / FFT) / np.sqrt(FFT)
_LTS_FREQ_C = LTS_FREQ.astype(np.complex128)
SYMBOL_T0 = DATA_OFFSET + CP - BACKOFF + FFT // 2 - (STF_LEN + LTF_GUARD + FFT)   # 108


_TIMES = SYMBOL_T0 + SYMBOL * np.arange(8192, dtype=np.float64)
_TIMES.flags.writeable = False


def symbol_times(first: int, count: int) -> np.ndarray:
    """Sample time of the FFT window centre of OFDM symbols first.. from the LTF's centre (the
    reference of the channel estimate, where the sampling-clock drift is zero); read-only."""
    if 0 <= first and first + count <= len(_TIMES):
        return _TIMES[first: first + count]
    return SYMBOL_T0 + SYMBOL * (np.arange(count, dtype=np.float64) + first)


def slope_products(q: np.ndarray, pilots_only: bool) -> np.ndarray:
    """Per symbol, sum of ``q[j] conj(q[i])`` over subcarrier pairs 14 apart: its angle / 14 is the
    symbol's phase slope across subcarriers (radians per subcarrier)."""
    q = np.ascontiguousarray(q, dtype=np.complex64)
    if pilots_only:
        return _k.slope_products(q, _PILOT_PAIR_I, _PILOT_PAIR_J)
    return _k.slope_products(q, _PAIR_I, _PAIR_J)


def fit_slope_rate(c: np.ndarray, t: np.ndarray) -> float:
    """Sampling-clock drift: the per-symbol slope products ``c`` (see :func:`slope_products`) at
    times ``t`` -> the slope's growth, radians per subcarrier per sample (weighted least squares
    through the origin, on the angles unwrapped along the frame after a 5-symbol moving sum;
    :func:`semcom.ota.kernels.fit_slope_rate`)."""
    return float(_k.fit_slope_rate(np.ascontiguousarray(c, dtype=np.complex128),
                                   np.ascontiguousarray(t, dtype=np.float64)))


_kalman_phase = _k.kalman_phase


def track_phase(q: np.ndarray, k: np.ndarray, t: np.ndarray, beta: float, no: float):
    """Common phase of each symbol from its known REs ``q = y conj(h x)`` [n, m] on subcarriers
    ``k`` at times ``t``, after removing the sampling-clock slope ``beta * t * k``: a residual CFO
    (a phase step per symbol, allowed to drift) plus a random walk (phase noise) whose variance
    is measured from the frame's own phase steps, tracked by a Kalman filter and RTS smoother
    (:func:`semcom.ota.kernels.track_phase`).
    Returns (phase [n] in radians, residual CFO in radians per sample, phase-noise variance per
    symbol)."""
    phase, slope, qv = _k.track_phase(np.ascontiguousarray(q, dtype=np.complex64),
                                      np.ascontiguousarray(k, dtype=np.float64),
                                      np.ascontiguousarray(t, dtype=np.float64), float(beta), float(no))
    return phase, float(slope), float(qv)


class _FrontEnd:
    """DC offset and IQ imbalance removed before anything else, estimated blind in fixed blocks of
    :attr:`BLOCK` samples (absolute positions: the same output for any chunking):

    * DC: the block mean (an OFDM signal has no DC: its DC subcarrier is empty).
    * IQ imbalance ``v = mu x + nu conj(x)``: a proper signal has ``E x^2 = 0``, so
      ``r = E v^2 / E |v|^2 = 2 mu nu / (|mu|^2 + |nu|^2)`` and ``z = v - beta conj(v)`` with
      ``beta = r / 2 ~ nu / conj(mu)`` cancels the image.

    Each block's estimates enter exponential averages over blocks (weight :attr:`ALPHA`) used from
    the next block on. When the power of :attr:`WINDOW` samples falls more than 40 dB below the
    running power by more than 60 dB (the end of a burst of garbage: no frame has that dynamic
    range), the estimates restart there from no correction: a burst cannot leave its DC behind."""

    BLOCK = 4096
    ALPHA = 0.125
    MAX_BETA = 0.25
    WINDOW = 256
    DROP = 1e-6

    def __init__(self):
        self.dc = 0j
        self.beta = 0j
        self.dc_used = 0j
        self.beta_used = 0j
        self.power = None
        self.raw_power = None
        self.restarts = 0
        self._s1 = 0j
        self._s2 = 0j
        self._p = 0.0
        self._n = 0
        self._raw = 0.0
        self._p4 = 0.0
        self._var = 1.0

    def _drop(self, seg: np.ndarray) -> int:
        """Index in ``seg`` of the first window far below the running power (-1: none)."""
        if self.raw_power is None or len(seg) < self.WINDOW:
            return -1
        return int(_k.first_low_window(seg, self.WINDOW, self.DROP * self.raw_power))

    def process(self, x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        pos = 0
        while pos < len(x):
            m = min(len(x) - pos, self.BLOCK - self._n)
            seg = x[pos: pos + m]
            cut = self._drop(seg)
            if cut == 0:                       # restart: no correction until a block is measured
                self.dc, self.beta, self.power, self.raw_power = 0j, 0j, None, None
                self.dc_used, self.beta_used = 0j, 0j
                self._s1, self._s2, self._p, self._n, self._raw, self._p4 = 0j, 0j, 0.0, 0, 0.0, 0.0
                self.restarts += 1
                continue
            if cut > 0:
                m, seg = cut, seg[:cut]
            s1, raw, s2, pw, p4 = _k.front_end_pass(seg, complex(self.dc), complex(self.beta_used),
                                                    complex(self.dc - self.dc_used), out[pos: pos + m])
            self._s1 += s1
            self._raw += raw
            self._s2 += s2
            self._p += pw
            self._p4 += p4
            self._n += m
            pos += m
            if self._n == self.BLOCK:
                self._block_done()
        return out

    def _block_done(self):
        n = self.BLOCK
        mean = self._s1 / n                                  # DC left after the current estimate
        power = max(self._p / n - abs(mean) ** 2, 0.0)
        s2 = self._s2 / n - mean * mean
        r = s2 / power if power > 1e-30 else 0j
        b = r / 2
        if abs(b) > self.MAX_BETA:
            b = b / abs(b) * self.MAX_BETA
        if self.power is None:
            self.dc, self.beta, self.power = self.dc + mean, b, power
            self._var = 1.0
        else:
            self._var = (1 - self.ALPHA) ** 2 * self._var + self.ALPHA ** 2
            a = self.ALPHA
            self.dc += a * mean
            self.beta += a * (b - self.beta)       # b is measured before the IQ correction
            if abs(self.beta) > self.MAX_BETA:
                self.beta = self.beta / abs(self.beta) * self.MAX_BETA
            self.power += a * (power - self.power)
        # Only estimates well above their own noise are applied: a block of N samples of a proper
        # signal gives the DC within sqrt(P / N) and beta within sqrt(sum|v|^4) / (2 sum|v|^2)
        # (one standard deviation); the average over blocks scales those by sqrt(self._var).
        # Without an impairment the samples then pass untouched instead of with a -40 dB
        # estimation error.
        spread = math.sqrt(self._var)
        sd_dc = spread * math.sqrt((power + 1e-30) / n)
        sd_beta = spread * math.sqrt(self._p4) / (2 * self._p) if self._p > 0 else 1.0
        self.dc_used = self.dc if abs(self.dc) > 5 * sd_dc else 0j
        self.beta_used = self.beta if abs(self.beta) > 5 * sd_beta else 0j
        raw = self._raw / n
        self.raw_power = raw if self.raw_power is None else self.raw_power + self.ALPHA * (raw - self.raw_power)
        self._s1, self._s2, self._p, self._n, self._raw, self._p4 = 0j, 0j, 0.0, 0, 0.0, 0.0


def _analog_map(flat: np.ndarray):
    """:class:`~semcom.phy.AnalogMapper` of one example in numpy: reals [n] (float32) -> (complex64
    symbols [ceil(n / 2)] of unit mean power, the scale applied)."""
    if len(flat) % 2:
        flat = np.concatenate([flat, np.zeros(1, np.float32)])
    if not np.isfinite(flat).all():
        raise ValueError("AnalogMapper: the input holds NaN or Inf values")
    x = flat.view(np.complex64)
    power = np.float32(np.vdot(x, x).real / max(len(x), 1))
    scale = np.float32(1.0) / np.sqrt(np.maximum(power, np.float32(1e-20)))
    return x * scale, float(scale)


class FrameTransmitter:
    """Message of one image -> one frame of complex64 baseband samples (1 sample per RE rate)."""

    def __init__(self):
        self._header_tx = DigitalTransmitter(HEADER_MCS, HEADER_CODEWORD_BITS)
        self._mapper = AnalogMapper()
        self._tx = {}

    def _digital(self, mcs, cwb):
        key = (str(mcs), cwb)
        if key not in self._tx:
            self._tx[key] = DigitalTransmitter(mcs, cwb)
        return self._tx[key]

    def header_res(self, header_bytes: bytes) -> np.ndarray:
        return self._header_tx.encode_numpy(np.unpackbits(np.frombuffer(header_bytes, dtype=np.uint8)))

    def frame(self, message: Message, scheme: str, seq: int) -> np.ndarray:
        """Samples of one frame (``message`` must hold a single image, batch 1)."""
        if message.batch != 1:
            raise ValueError(f"a frame carries one image, the message holds {message.batch}")
        infos, parts = [], []
        for name, s in message.streams.items():
            length = None if s.lengths is None else int(s.lengths.reshape(-1)[0])
            if s.kind == ANALOG:
                flat = s.data.detach().reshape(-1).float().numpy().copy()
                if length is not None:
                    flat[length:] = 0
                x, scale = _analog_map(flat)
                if length is not None:
                    uses = max(1, (length + 1) // 2)
                    fix = math.sqrt(len(x) / uses)
                    x, scale = x[:uses] * np.float32(fix), scale * fix
                infos.append(hdr.StreamInfo(name, ANALOG, s.shape, length, "", 0, float(scale)))
            else:
                # batch 1: the numpy path of DigitalTransmitter (the same symbols as its call())
                x = self._digital(s.mcs, s.codeword_bits).encode_numpy(s.data.detach().reshape(-1).numpy())
                infos.append(hdr.StreamInfo(name, "digital", s.shape, length, s.mcs.name,
                                            s.codeword_bits, 1.0))
            parts.append(np.asarray(x, dtype=np.complex64))
        h = hdr.Header(scheme, int(seq), tuple(message.image_shape[-3:]), infos, message.side_info)
        head = _fill(self.header_res(hdr.pack(h)))
        payload = _fill(np.concatenate(parts)) if parts else _fill(np.zeros(0, np.complex64))
        body = modulate(np.concatenate([head, payload]), first=0)
        return np.concatenate([PREAMBLE, body]).astype(np.complex64)


@dataclass
class ReceivedFrame:
    """One frame out of :meth:`FrameReceiver.push`."""

    scheme: str
    seq: int
    message: Message          # shaped like what send_message returns (digital: block_ok)
    csi: CSI                  # estimated: snr_db [1], noise_var [1], equalized, estimated
    snr_db: float
    cfo: float                # subcarrier spacings
    timing: int               # absolute sample index of the frame's first sample (STF start)
    length: int               # samples
    header: hdr.Header = None
    noise_var: float = 0.0    # per RE, before equalisation
    extra: dict = field(default_factory=dict)
    decoder_spec: str = ""    # the receiver's codec spec for this frame (its policy's choice)


class _Buffer:
    """Growable sample buffer with absolute indexing and O(1) amortised append/trim."""

    def __init__(self):
        self.data = np.zeros(1 << 16, dtype=np.complex64)
        self.start = 0      # index in data of the first valid sample
        self.stop = 0
        self.base = 0       # absolute index of data[start]

    @property
    def end(self) -> int:
        return self.base + self.stop - self.start

    def append(self, x):
        n = len(x)
        if self.stop + n > len(self.data):
            live = self.stop - self.start
            if live + n > len(self.data) // 2:
                new = np.zeros(max(2 * len(self.data), 2 * (live + n)), dtype=np.complex64)
            else:
                new = self.data
            new[:live] = self.data[self.start: self.stop]
            self.data, self.start, self.stop = new, 0, live
        self.data[self.stop: self.stop + n] = x
        self.stop += n

    def get(self, a: int, b: int) -> np.ndarray:
        """Samples of absolute indices [a, b) (a view)."""
        return self.data[self.start + a - self.base: self.start + b - self.base]

    def trim(self, a: int):
        """Forget samples before absolute index ``a``."""
        a = min(max(a, self.base), self.end)
        self.start += a - self.base
        self.base = a


class FrameReceiver:
    """Finds and decodes frames in a stream of complex samples arriving in any chunk sizes.

    Parameters
    ----------
    max_cfo : float, largest CFO searched, in subcarrier spacings.
    threshold : Schmidl & Cox coefficient threshold; ``min_run`` consecutive positions above it
        make a candidate, confirmed by the LTS correlation (``lts_threshold``).
    decoder : LDPC decoder of the payload's digital streams ("fast" or "sionna").
    policy : :class:`~semcom.ota.policy.ReceiverPolicy`: the schemes and decoder options accepted
        and the bounds on every header field (default: every registered scheme, default bounds).
    decoder_spec : a codec spec that decodes every frame whatever its header names (the policy's
        scheme allow-list is then not consulted; its bounds still are).
    tracking : follow what real radios do to the frame (default): the common phase of every OFDM
        symbol from its pilots (a residual CFO plus a phase-noise random walk, smoothed with a
        gain set from the measured phase steps), the sampling-clock drift (the phase slope across
        subcarriers as it grows over the frame, fitted over the header's known REs and the
        payload's pilots), and a channel estimate smoothed across subcarriers only as far as the
        channel is flat. False: the receiver before tracking (common phase from the pilots over 9
        symbols, no sampling-clock correction, always 5-subcarrier smoothing), for comparison.
    frontend : remove DC offset and IQ imbalance blind before detection (:class:`_FrontEnd`);
        default: as ``tracking``.

    ``stats``: samples, invalid_samples (NaN, Inf or above :data:`MAX_SAMPLE_ABS` in magnitude:
    zeroed), detected (preambles confirmed by the LTS), decoded (frames delivered),
    header_failed (header CRC/parse failed, frame dropped), truncated (a new preamble inside a
    frame: the transmitter stopped mid-frame; dropped), lost (frames the sequence numbers say were
    sent but not delivered: sequence gaps plus truncated and rejected frames), restarts (sequence
    went backwards: the transmitter restarted), false_alarms (S&C triggers the LTS did not
    confirm), rejected (a valid header the policy refused; ``rejected_by`` counts them by reason),
    errors (unexpected exceptions while processing, the receiver skipped ahead).
    """

    def __init__(self, max_cfo: float = 2.5, threshold: float = 0.3, min_run: int = 12,
                 lts_threshold: float = 0.4, decoder: str = "fast",
                 policy: ReceiverPolicy | None = None, decoder_spec: str = "",
                 tracking: bool = True, frontend: bool | None = None):
        self.max_cfo = max_cfo
        self.tracking = bool(tracking)
        self.frontend = self.tracking if frontend is None else bool(frontend)
        self.threshold = threshold
        self.min_run = min_run
        self.lts_threshold = lts_threshold
        self.decoder = decoder
        self.policy = policy if policy is not None else ReceiverPolicy()
        self.decoder_spec = str(decoder_spec or "")
        if self.decoder_spec:
            from ..codecs import codec_names, parse_spec
            if parse_spec(self.decoder_spec)[0] not in codec_names():
                raise ValueError(f"unknown scheme in decoder_spec {self.decoder_spec!r}")
        # one numba thread: a frame's few LDPC blocks decode fastest on one core
        self._header_rx = DigitalReceiver(HEADER_MCS, HEADER_CODEWORD_BITS, decoder=decoder, num_threads=1)
        self._header_tx = FrameTransmitter()
        self._rx = OrderedDict()
        self._demapper = AnalogDemapper()
        self._verdicts = OrderedDict()
        self._verdicts_policy = self.policy
        self.reset()

    def reset(self):
        self._buf = _Buffer()
        self._fe = _FrontEnd() if self.frontend else None
        self._search = 0
        self._pending = None
        self._chunks_hint = 1
        self.last_seq = None
        self.stats = dict(samples=0, invalid_samples=0, detected=0, decoded=0, header_failed=0, truncated=0,
                          lost=0, restarts=0, false_alarms=0, rejected=0, errors=0, rejected_by={})
        # (sample index of the S&C trigger's STF start, LTS metric) of the last false alarms
        self.false_alarm_at = deque(maxlen=32)

    # ---------------------------------------------------------------- public
    def push(self, samples) -> list:
        """Add samples (any array of numbers; non-numbers raise ValueError); returns the frames
        completed by them (possibly none). Never raises on what the samples hold."""
        try:
            x = np.asarray(samples, dtype=np.complex64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"samples must be numbers (complex64 or convertible), got {type(samples).__name__}: "
                             f"{exc}") from None
        if len(x):
            if _k.count_invalid(x, MAX_SAMPLE_ABS):         # NaN, Inf, or absurdly large
                bad = ~(np.abs(x) <= MAX_SAMPLE_ABS)
                self.stats["invalid_samples"] += int(np.count_nonzero(bad))
                x = np.where(bad, np.complex64(0), x)
            if self._fe is not None:
                x = self._fe.process(x)
            self._buf.append(x)
            self.stats["samples"] += len(x)
        out = []
        for _ in range(10000):  # each pass advances or waits: no hang
            try:
                progressed, frame = self._step()
            except Exception as exc:  # never raise on garbage
                log.debug("frame receiver: %s", exc, exc_info=True)
                self.stats["errors"] += 1
                start = self._pending["t0"] if self._pending else self._search
                self._pending = None
                self._search = max(self._search, start + PLATEAU + HALF + 1)
                progressed, frame = True, None
            if frame is not None:
                out.append(frame)
            if not progressed:
                break
        keep = self._search if self._pending is None else min(self._search, self._pending["t0"])
        self._buf.trim(keep - 8 - HALF)
        return out

    # ---------------------------------------------------------------- stages
    def _step(self):
        if self._pending is None:
            return self._detect(), None
        p = self._pending
        if p["stage"] == "sync":
            return self._sync(p), None
        if p["stage"] == "header":
            return self._header(p), None
        return self._payload(p)

    def _detect(self) -> bool:
        end = self._buf.end
        self._search = max(self._search, self._buf.base)
        if end - self._search < WINDOW + HALF + self.min_run:
            return False
        lead = min(HALF - 1, self._search - self._buf.base) if self.tracking else 0
        c, p = sc_metric(self._buf.get(self._search - lead, end), dc_block=self.tracking, lead=lead,
                         floor=self.threshold)
        runs = _k.runs_above(c, self.threshold)
        for a, b in runs:
            if b == len(c):          # still rising / incomplete: wait for more samples
                if b - a > 4 * STF_LEN:  # a periodic signal that is no preamble
                    self._search += b - 2 * STF_LEN
                    return True
                self._search += a
                return False
            if b - a < self.min_run or b - a > 2 * STF_LEN:
                continue
            seg = c[a:b]
            hi = np.flatnonzero(seg >= 0.9 * seg.max())
            last = a + hi[-1]
            t0 = self._search + last - PLATEAU
            frac = float(np.angle(p[a + hi].sum()) / np.pi)   # phase over HALF samples = pi * cfo
            self._pending = dict(stage="sync", t0=t0, frac=frac, run_end=self._search + b)
            self._search += b
            return True
        self._search += len(c)
        return True if len(c) else False

    def _sync(self, p) -> bool:
        t0c, search = p["t0"], 48
        a = t0c + LTS1_OFFSET - search
        b = a + 2 * FFT + 2 * search
        if self._buf.end < b + 2 * FFT:
            return False
        if a < self._buf.base:
            a = self._buf.base
        cands = [p["frac"] + 2 * k for k in range(-3, 4) if abs(p["frac"] + 2 * k) <= self.max_cfo + 0.5]
        cfo_c, lag, metric = lts_search(self._buf.get(a, b), cands, n0=a - t0c)
        if cfo_c is None or metric < self.lts_threshold:
            self.stats["false_alarms"] += 1
            self.false_alarm_at.append((int(t0c), round(float(metric), 3) if metric is not None else None))
            self._pending = None
            self._search = max(self._search, p["run_end"])
            return True
        lts1 = a + lag
        t0 = lts1 - LTS1_OFFSET
        # fine CFO from the LTS pair, the LTF's REs, the noise and the smoothed first estimate
        cfo, y, no, h0 = _k.ltf_channel(self._buf.get(lts1 - BACKOFF, lts1 + 2 * FFT), cfo_c,
                                        lts1 - t0c, LTS1_OFFSET - BACKOFF, BACKOFF, _TWIDDLE,
                                        _LTS_FREQ_C, _K, self.tracking)
        self.stats["detected"] += 1
        p.update(stage="header", t0=t0, cfo=cfo, lts_metric=metric, y_ltf=y, h0=h0,
                 no_lts=max(no, 1e-12), chunks=1)
        self._search = max(self._search, t0 + DATA_OFFSET)
        return True

    def _symbols(self, p, first: int, count: int) -> np.ndarray:
        """Used REs [count, 52] of OFDM symbols first..first+count-1 (CFO removed)."""
        t0 = p["t0"]
        a = t0 + DATA_OFFSET + first * SYMBOL
        win = _k.derotate_windows(self._buf.get(a, a + count * SYMBOL), p["cfo"], a - t0, count,
                                  SYMBOL, CP - BACKOFF, FFT)
        return np.fft.fft(win, axis=1, norm="ortho")[:, BIN_USED]

    def _fail_header(self, p) -> bool:
        self.stats["header_failed"] += 1
        self._pending = None
        self._search = max(self._search, p["t0"] + DATA_OFFSET)
        return True

    def _reject(self, p, header: hdr.Header, exc: FrameRejected, n_sym: int) -> bool:
        """A valid header the policy refuses: counted by reason, the search resumes after it."""
        self.stats["rejected"] += 1
        self.stats["rejected_by"][exc.reason] = self.stats["rejected_by"].get(exc.reason, 0) + 1
        self.stats["lost"] += 1
        self._track_seq(header.seq)
        log.info("frame seq %s rejected: %s", header.seq, exc)
        self._pending = None
        self._search = max(self._search, p["t0"] + DATA_OFFSET + n_sym * SYMBOL)
        return True

    def _header(self, p) -> bool:
        n_sym = header_symbols(p["chunks"])
        if self._buf.end < p["t0"] + DATA_OFFSET + n_sym * SYMBOL:
            return False
        h0 = p["h0"]
        cached = p.get("hdr_eq")
        if cached is None or len(cached[0]) < n_sym:
            # Headers of one transmitter keep their size: when the samples of as many chunks as
            # the last header had are already here, equalise them all at once (pilots continue
            # into the payload), so a longer header is not demodulated and tracked twice.
            n_eq = header_symbols(max(p["chunks"], self._chunks_hint))
            if n_eq <= n_sym or self._buf.end < p["t0"] + DATA_OFFSET + n_eq * SYMBOL:
                n_eq = n_sym
            y_all = self._symbols(p, 0, n_eq)
            t_all = symbol_times(0, n_eq)
            eq_all = _k.track_equalise(y_all, h0, pilots(0, n_eq), POS_PILOT, POS_DATA, _K, t_all,
                                       p["no_lts"], self.tracking, _NO_C, _NO_T)[0]
            # LLR noise per data subcarrier: channel noise plus the smoothed LTF estimate's error (N0 / 10)
            no_sc = 1.1 * p["no_lts"] / np.abs(h0[POS_DATA]) ** 2
            p["hdr_eq"] = cached = (y_all, t_all, eq_all.reshape(-1), np.tile(no_sc, len(y_all)))
        # decode the chunks not decoded yet: those announced, or as many as the last header had
        # when their symbols are equalised already (one LDPC call instead of one per chunk)
        done = p.get("raw", b"")
        first = len(done) // hdr.CHUNK_BYTES
        upto = p["chunks"]
        if self._chunks_hint > upto and len(cached[2]) >= self._chunks_hint * HEADER_CHUNK_SYMBOLS:
            upto = self._chunks_hint
        a, ns = first * HEADER_CHUNK_SYMBOLS, upto * HEADER_CHUNK_SYMBOLS
        bits, ok = self._header_rx.decode_numpy(cached[2][a:ns], cached[3][a:ns],
                                                num_bits=(upto - first) * hdr.CHUNK_BITS)
        if ok is None or not ok[0]:
            return self._fail_header(p)
        raw = done + np.packbits(bits).tobytes()
        try:
            chunks = hdr.chunks_of(raw)
        except hdr.HeaderError:
            return self._fail_header(p)
        self._chunks_hint = min(chunks, 4)
        if not ok[: min(chunks, upto) - first].all():
            return self._fail_header(p)
        if chunks > upto:
            p["raw"], p["chunks"] = raw, chunks
            return True           # decode the rest once its symbols have arrived
        raw = raw[: chunks * hdr.CHUNK_BYTES]
        n_sym = header_symbols(chunks)
        y, t = cached[0][:n_sym], cached[1][:n_sym]
        verdict = self._verdict(raw, n_sym)
        if verdict is None:
            return self._fail_header(p)
        header, n_pay, total, spec, rejected = verdict
        if rejected is not None:
            return self._reject(p, header, rejected, n_sym)
        # decision-directed refit: LTF + every header RE are known now
        known = np.empty((n_sym + 2, len(USED)), dtype=np.complex64)
        known[:2] = LTS_FREQ
        known[2:, POS_DATA] = _fill(self._header_tx.header_res(raw))
        known[2:, POS_PILOT] = pilots(0, n_sym)
        h, no, signal, c_hdr = _k.header_refit(p["y_ltf"], y, h0, known, t, _K, _PAIR_I, _PAIR_J,
                                               self.tracking)
        track = dict(c_hdr=c_hdr, t_hdr=t) if self.tracking else {}
        p.update(stage="payload", header=header, raw=raw, n_hdr=n_sym, n_pay=n_pay, h=h, no=no,
                 snr_db=10 * math.log10(signal / no), total=total, spec=spec, **track)
        return True

    def _verdict(self, raw: bytes, n_sym: int):
        """(header, payload symbols, frame samples, decoder spec, FrameRejected or None) of the
        header bytes ``raw``; None when they do not parse. The policy's verdict depends on the
        scheme, the image shape and the streams' layouts, not on the sequence number, the analog
        scales or the side information, so it is kept per layout (:func:`_layout_key`) and reused
        for the next frames of the same transmitter."""
        try:
            header = hdr.unpack(raw)
        except (hdr.HeaderError, ValueError, KeyError):
            return None
        if self._verdicts_policy is not self.policy:
            self._verdicts.clear()
            self._verdicts_policy = self.policy
        key = _layout_key(header, n_sym)
        hit = self._verdicts.get(key)
        if hit is not None:
            self._verdicts.move_to_end(key)
            return (header,) + hit
        n_pay = total = 0
        spec, rejected = "", None
        try:
            self.policy.check_header(header)
            n_pay = payload_symbols(header.streams)
            total = DATA_OFFSET + (n_sym + n_pay) * SYMBOL
            self.policy.check_frame_length(total)
            spec = self.decoder_spec or self.policy.decoder_spec(header.scheme)
        except FrameRejected as exc:
            rejected = exc
        self._verdicts[key] = (n_pay, total, spec, rejected)
        while len(self._verdicts) > HEADER_VERDICTS_KEPT:
            self._verdicts.popitem(last=False)
        return header, n_pay, total, spec, rejected

    def _payload(self, p):
        t0, n_hdr, n_pay = p["t0"], p["n_hdr"], p["n_pay"]
        end = t0 + p["total"]
        if self._buf.end < end:
            return False, None
        header = p["header"]
        self._pending = None
        # A new preamble starting inside the frame: the transmitter stopped mid-frame. The scan
        # reaches past the end (as far as samples are there) to see a preamble straddling it.
        scan_a = t0 + DATA_OFFSET
        # (the plain metric: the DC-blocked one can rise on the frame's own tail at high SNR,
        # and what the front end leaves of a DC offset is far below a frame's power)
        c, _ = sc_metric(self._buf.get(scan_a, min(self._buf.end, end + WINDOW + HALF + PLATEAU)),
                         floor=max(self.threshold, 0.5))
        for a, b in _k.runs_above(c, max(self.threshold, 0.5)):
            if b - a < self.min_run:
                continue
            if b < len(c):            # whole plateau seen: the preamble's start as in _detect
                seg = c[a:b]
                start = scan_a + a + int(np.flatnonzero(seg >= 0.9 * seg.max())[-1]) - PLATEAU
            else:                     # still rising at the buffer's end: it starts within
                start = scan_a + a + WINDOW + HALF    # WINDOW + HALF of its first position
            if start < end - 8:       # (a preamble right after the end is the next frame)
                self.stats["truncated"] += 1
                self.stats["lost"] += 1
                self._track_seq(header.seq)
                self._search = max(self._search, scan_a + a)
                return True, None
        # the next search overlaps the frame's tail: a preamble straddling the end is still found
        self._search = max(self._search, end - WINDOW - HALF)
        y = self._symbols(p, n_hdr, n_pay)
        h = p["h"]
        extra = dict(lts_metric=p["lts_metric"], uses=channel_uses(header.streams, n_hdr, n_pay))
        t = symbol_times(n_hdr, n_pay)
        eq, beta, omega, qv = _k.track_equalise(y, h, pilots(n_hdr, n_pay), POS_PILOT, POS_DATA, _K, t,
                                                p["no"], self.tracking, p.get("c_hdr", _NO_C),
                                                p.get("t_hdr", _NO_T))
        eq = eq.reshape(-1)
        # a thinned copy of the equalised payload REs for displays (constellation), <= 1024
        extra["constellation"] = eq[:: max(1, len(eq) // 1024)][:1024].copy()
        if self.tracking:
            extra.update(sco_ppm=float(beta * FFT / (2 * np.pi) * 1e6),
                         residual_cfo=float(omega * FFT / (2 * np.pi)),
                         phase_step_var=float(qv))
        no_sc = (p["no"] / np.abs(h[POS_DATA]) ** 2).astype(np.float32)
        streams, pos = {}, 0
        for info in header.streams:
            k = _stream_symbols(info)
            part = eq[pos: pos + k]
            pos0, pos = pos, pos + k
            lengths = None if info.length is None else torch.tensor([info.length])
            if info.kind == ANALOG:
                # the analog demapper: (re, im) pairs / scale, zeros for the uses not sent
                n_real = math.prod(info.shape)
                flat = np.zeros(2 * math.ceil(n_real / 2), np.float32)
                flat[: 2 * k] = part.view(np.float32) / np.float32(info.scale)
                if info.length is not None:
                    flat[info.length:] = 0
                data = torch.from_numpy(flat[:n_real]).reshape(1, *info.shape)
                streams[info.name] = Stream(ANALOG, data, lengths=lengths)
            else:
                part_no = no_sc[np.arange(pos0, pos) % N_DATA]
                bits, ok = self._digital(info).decode_numpy(part, part_no,
                                                            num_bits=math.prod(info.shape))
                bits = torch.from_numpy(bits.astype(np.float32))[None]
                ok = torch.ones(1, 1, dtype=torch.bool) if ok is None else torch.from_numpy(ok)[None]
                streams[info.name] = Stream("digital", bits, mcs=get_mcs(info.mcs),
                                            codeword_bits=info.codeword_bits, lengths=lengths,
                                            block_ok=ok)
        snr = p["snr_db"]
        csi = CSI(snr_db=torch.tensor([snr], dtype=torch.float32),
                  noise_var=torch.tensor([10 ** (-snr / 10)], dtype=torch.float32),
                  equalized=True, estimated=True,
                  extra=dict(cfo=p["cfo"], timing=t0, noise_var_re=p["no"],
                             h=torch.from_numpy(h.astype(np.complex64))))
        message = Message(streams=streams, image_shape=tuple(header.image_shape),
                          side_info=dict(header.side))
        self._track_seq(header.seq)
        self.stats["decoded"] += 1
        return True, ReceivedFrame(header.scheme, header.seq, message, csi, snr, p["cfo"], t0,
                                   p["total"], header, p["no"],
                                   extra, p["spec"])

    def _digital(self, info: hdr.StreamInfo) -> DigitalReceiver:
        """The receiver of a digital stream's (MCS, codeword size), the last few kept."""
        key = (info.mcs, info.codeword_bits)
        if key in self._rx:
            self._rx.move_to_end(key)
        else:
            self._rx[key] = DigitalReceiver(info.mcs, info.codeword_bits, decoder=self.decoder, num_threads=1)
            while len(self._rx) > DIGITAL_RECEIVERS_KEPT:
                self._rx.popitem(last=False)
        return self._rx[key]

    def _track_seq(self, seq: int):
        if self.last_seq is not None:
            if seq > self.last_seq + 1:
                self.stats["lost"] += seq - self.last_seq - 1
            elif seq <= self.last_seq:
                self.stats["restarts"] += 1
        self.last_seq = seq

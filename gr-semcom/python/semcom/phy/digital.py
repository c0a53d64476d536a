"""The digital chain: bits -> CRC-24A -> 5G LDPC (rate matched) -> scrambler -> Gray QAM, and back."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from numba import njit
from sionna.phy.fec.crc import CRCEncoder
from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
from sionna.phy.mapping import Constellation

from ..block import SemcomBlock
from .mcs import MCS, get_mcs

CRC_BITS = 24
MAX_INFO_BITS = 8448  # 5G base graph 1
DEFAULT_CODEWORD_BITS = 1944
_SCRAMBLER_SEED = 0x5E4C0


@dataclass(frozen=True)
class BlockLayout:
    """How ``num_bits`` message bits are cut into LDPC blocks.

    Every block carries ``payload_bits`` message bits plus the CRC (``k`` in all) and is encoded to
    ``n`` coded bits; the last block is zero padded. ``symbols`` is the number of complex channel
    uses of the whole message.
    """

    num_bits: int
    num_blocks: int
    payload_bits: int
    k: int
    n: int
    bits_per_symbol: int

    @property
    def symbols(self) -> int:
        return self.num_blocks * self.n // self.bits_per_symbol


def block_layout(num_bits: int, mcs: MCS, codeword_bits: int = DEFAULT_CODEWORD_BITS) -> BlockLayout:
    """Layout with equal blocks of at most ``codeword_bits`` coded bits and minimal padding."""
    mcs = get_mcs(mcs)
    bps = mcs.bits_per_symbol
    if num_bits < 1:
        raise ValueError("a digital stream needs at least one bit")
    if not mcs.coded:
        n = math.ceil(num_bits / bps) * bps
        return BlockLayout(num_bits, 1, num_bits, num_bits, n, bps)
    rate = float(mcs.code_rate)
    k_max = min(MAX_INFO_BITS, int(codeword_bits * rate))
    if k_max <= CRC_BITS:
        raise ValueError(f"codeword_bits={codeword_bits} too short for rate {mcs.code_rate}")
    num_blocks = math.ceil(num_bits / (k_max - CRC_BITS))
    payload = math.ceil(num_bits / num_blocks)
    k = payload + CRC_BITS
    n = math.ceil(k / rate / bps) * bps
    return BlockLayout(num_bits, num_blocks, payload, k, n, bps)


@njit(cache=True)
def _pam_llr(y, no, points, labels):
    """Exact APP LLRs (log P(1) / P(0)) of real PAM observations ``y`` [n] with noise ``no`` [n]
    (``exp(-(y - x)^2 / no)``, Sionna's demapper on a real axis) for the points [M] and their
    bit labels [M, m] -> [n, m]; what ``Demapper("app", "pam", m)`` computes, without torch."""
    n, mpts, m = len(y), len(points), labels.shape[1]
    out = np.empty((n, m), np.float32)
    metric = np.empty(mpts)
    if mpts == 2:   # one point per label: the log-sum-exp is the metric itself (the same value)
        i1 = 1 if labels[1, 0] else 0
        i0 = 1 - i1
        for i in range(n):
            d1 = y[i] - points[i1]
            d0 = y[i] - points[i0]
            out[i, 0] = (-d1 * d1 / no[i]) - (-d0 * d0 / no[i])
        return out
    for i in range(n):
        for j in range(mpts):
            d = y[i] - points[j]
            metric[j] = -d * d / no[i]
        for b in range(m):
            m0 = -1e300
            m1 = -1e300
            for j in range(mpts):
                if labels[j, b]:
                    m1 = max(m1, metric[j])
                else:
                    m0 = max(m0, metric[j])
            s0 = 0.0
            s1 = 0.0
            for j in range(mpts):
                if labels[j, b]:
                    s1 += np.exp(metric[j] - m1)
                else:
                    s0 += np.exp(metric[j] - m0)
            out[i, b] = (m1 + np.log(s1)) - (m0 + np.log(s0))
    return out


@njit(cache=True)
def _sanitize(y, no):
    """Symbols ``y`` [n] and noise ``no`` ([1] or [n]) for the demapper: non-finite symbols
    zeroed (erasures), ``no`` NaN -> 1, +inf -> 1e6, clipped below at 1e-9 and broadcast to [n].
    Returns (y, no, erased [n] bool, number erased)."""
    n = len(y)
    yo = np.empty(n, np.complex128)
    nout = np.empty(n)
    erased = np.zeros(n, np.bool_)
    count = 0
    for i in range(n):
        v = y[i]
        if np.isfinite(v.real) and np.isfinite(v.imag):
            yo[i] = v
        else:
            yo[i] = 0
            erased[i] = True
            count += 1
        w = no[i] if len(no) > 1 else no[0]
        if np.isnan(w):
            w = 1.0
        elif np.isinf(w) and w > 0:
            w = 1e6
        nout[i] = max(w, 1e-9)
    return yo, nout, erased, count


@njit(cache=True)
def _symbol_llrs(y, no, erased, points, labels, bps, scr, coded):
    """Bit LLRs [K * bps] (float32, Sionna's convention) of the sanitised symbols ``y`` [K] with
    noise ``no`` [K]: BPSK on the real axis, square QAM as two PAMs (even label bits on the real
    axis, odd ones on the imaginary axis, each of complex noise variance 2 no); erased symbols
    give zeros; with ``coded``, the LLRs of the bits the scrambler ``scr`` [n] flipped (per
    codeword of n bits) are negated."""
    k = len(y)
    out = np.empty(k * bps, np.float32)
    if len(points) == 2:
        # one PAM point per label (BPSK, QPSK): the LLR is the difference of the two metrics,
        # what _pam_llr computes, without the temporaries
        i1 = 1 if labels[1, 0] else 0
        p1 = points[i1]
        p0 = points[1 - i1]
        if bps == 1:
            for i in range(k):
                v = y[i].real
                out[i] = (-(v - p1) * (v - p1) / no[i]) - (-(v - p0) * (v - p0) / no[i])
        else:
            r2 = math.sqrt(2.0)
            for i in range(k):
                n2 = 2 * no[i]
                v = y[i].real * r2
                out[2 * i] = (-(v - p1) * (v - p1) / n2) - (-(v - p0) * (v - p0) / n2)
                v = y[i].imag * r2
                out[2 * i + 1] = (-(v - p1) * (v - p1) / n2) - (-(v - p0) * (v - p0) / n2)
    elif bps == 1:
        re = np.empty(k)
        for i in range(k):
            re[i] = y[i].real
        llr = _pam_llr(re, no, points, labels)
        for i in range(k):
            out[i] = llr[i, 0]
    else:
        half = bps // 2
        ax = np.empty(2 * k)
        nos = np.empty(2 * k)
        r2 = math.sqrt(2.0)
        for i in range(k):
            ax[2 * i] = y[i].real * r2
            ax[2 * i + 1] = y[i].imag * r2
            nos[2 * i] = 2 * no[i]
            nos[2 * i + 1] = 2 * no[i]
        llr = _pam_llr(ax, nos, points, labels)
        for i in range(k):
            for b in range(half):
                out[i * bps + 2 * b] = llr[2 * i, b]
                out[i * bps + 2 * b + 1] = llr[2 * i + 1, b]
    for i in range(k):
        if erased[i]:
            for b in range(bps):
                out[i * bps + b] = 0
    if coded:
        n = len(scr)
        for i in range(len(out)):
            if scr[i % n]:
                out[i] = -out[i]
    return out


def _crc_table(poly: np.ndarray) -> np.ndarray:
    """Byte-wise table of the CRC with generator ``poly`` (degree 24, highest power first)."""
    g = 0
    for bit in poly[1:]:
        g = (g << 1) | int(bit)
    table = np.zeros(256, np.uint32)
    for b in range(256):
        reg = b << 16
        for _ in range(8):
            reg = ((reg << 1) ^ g) if reg & 0x800000 else (reg << 1)
            reg &= 0xFFFFFF
        table[b] = reg
    return table


@njit(cache=True)
def _crc_ok_table(blocks, table):
    """:func:`_crc_ok` for CRC-24A, a byte at a time: the rows (front-padded with zeros to whole
    bytes, which leaves their remainder unchanged) times x^24 are divisible by the generator iff
    the rows are (its constant term is 1)."""
    r, n = blocks.shape
    out = np.empty(r, np.bool_)
    pad = (-n) % 8
    for i in range(r):
        crc = 0
        byte = 0
        nb = pad
        for j in range(n):
            byte = (byte << 1) | blocks[i, j]
            nb += 1
            if nb == 8:
                crc = ((crc << 8) & 0xFFFFFF) ^ table[((crc >> 16) ^ byte) & 0xFF]
                byte = 0
                nb = 0
        out[i] = crc == 0
    return out


@njit(cache=True)
def _crc_ok(blocks, poly):
    """Per row of ``blocks`` [r, k + 24] (0/1): does its CRC-24A (generator ``poly``, 25 bits,
    highest power first) hold, i.e. is the row divisible by the generator."""
    r, n = blocks.shape
    deg = len(poly) - 1
    out = np.empty(r, np.bool_)
    reg = np.empty(n, np.uint8)
    for i in range(r):
        for j in range(n):
            reg[j] = blocks[i, j]
        for j in range(n - deg):
            if reg[j]:
                for t in range(1, deg + 1):
                    reg[j + t] ^= poly[t]
        ok = True
        for j in range(n - deg, n):
            if reg[j]:
                ok = False
                break
        out[i] = ok
    return out


@njit(cache=True)
def _crc_attach(blocks, poly):
    """Rows of ``blocks`` [r, k] (0/1) with their CRC-24A appended -> [r, k + 24] (what Sionna's
    ``CRCEncoder("CRC24A")`` returns)."""
    r, k = blocks.shape
    deg = len(poly) - 1
    out = np.zeros((r, k + deg), np.uint8)
    for i in range(r):
        for j in range(k):
            out[i, j] = blocks[i, j]
        for j in range(k):
            if out[i, j]:
                for t in range(1, deg + 1):
                    out[i, j + t] ^= poly[t]
        for j in range(k):
            out[i, j] = blocks[i, j]
    return out


@lru_cache(maxsize=8)
def _pam_table(m: int):
    points = Constellation("pam", m).points.numpy().real.astype(np.float64)
    labels = ((np.arange(len(points))[:, None] >> np.arange(m - 1, -1, -1)[None, :]) & 1).astype(np.uint8)
    return points, labels


_CRC24A = np.asarray(CRCEncoder("CRC24A").crc_pol, dtype=np.uint8)
_CRC24A_TABLE = _crc_table(_CRC24A) if len(_CRC24A) == 25 else None


@lru_cache(maxsize=64)
def _scrambler(n: int) -> np.ndarray:
    return np.random.default_rng(_SCRAMBLER_SEED).integers(0, 2, n, dtype=np.uint8)


@lru_cache(maxsize=64)
def _ldpc_encoder(k: int, n: int) -> LDPC5GEncoder:
    return LDPC5GEncoder(k, n)


GENERATOR_MAX_ENTRIES = 4 << 20      # k * n of the codes encoded by a generator matrix


@lru_cache(maxsize=16)
def _generator(k: int, n: int) -> np.ndarray:
    """The rate-matched 5G LDPC code (k, n) as a bit-packed generator matrix [k, ceil(n/64)]
    uint64 (rows: Sionna's encodings of the unit vectors). The encoder is linear, so the XOR of
    the rows where ``u`` is 1 is exactly Sionna's codeword of ``u`` (far faster than Sionna's
    gathers: the header's re-encoding used to cost ~30 ms per frame)."""
    g = _ldpc_encoder(k, n)(torch.eye(k, dtype=torch.float32)).numpy().astype(np.uint8)
    words = -(-n // 64)
    packed = np.zeros((k, words * 8), np.uint8)
    packed[:, : -(-n // 8)] = np.packbits(g, axis=1)
    return packed.view(np.uint64)


@njit(cache=True)
def _gf2_encode(u, g):
    out = np.zeros((u.shape[0], g.shape[1]), np.uint64)
    for b in range(u.shape[0]):
        for i in range(u.shape[1]):
            if u[b, i]:
                for w in range(g.shape[1]):
                    out[b, w] ^= g[i, w]
    return out


@njit(cache=True)
def _encode_map(blocks, g, n, scr, bps, points):
    """Blocks with their CRC [r, k] (0/1) -> codewords through the packed generator ``g`` (see
    :func:`_generator`), scrambled with ``scr`` [n], mapped ``bps`` bits (first = most
    significant) per point of ``points`` -> complex64 [r * n / bps]."""
    r = blocks.shape[0]
    words = np.zeros(g.shape[1], np.uint64)
    out = np.empty(r * n // bps, np.complex64)
    pos = 0
    for b in range(r):
        for w in range(g.shape[1]):
            words[w] = 0
        for i in range(blocks.shape[1]):
            if blocks[b, i]:
                for w in range(g.shape[1]):
                    words[w] ^= g[i, w]
        acc = 0
        nb = 0
        for j in range(n):
            byte = j // 8
            shift = np.uint64(8 * (byte % 8) + 7 - j % 8)
            bit = int((words[byte // 8] >> shift) & np.uint64(1)) ^ int(scr[j])
            acc = (acc << 1) | bit
            nb += 1
            if nb == bps:
                out[pos] = points[acc]
                pos += 1
                acc = 0
                nb = 0
    return out


def ldpc_encode(u: torch.Tensor, k: int, n: int) -> torch.Tensor:
    """5G LDPC encoding of ``u`` [..., k] (0/1) -> [..., n] float32, through the packed generator
    (:func:`_generator`) for codes up to :data:`GENERATOR_MAX_ENTRIES`, else Sionna's encoder."""
    if k * n > GENERATOR_MAX_ENTRIES:
        return _ldpc_encoder(k, n)(u)
    lead = u.shape[:-1]
    ub = np.ascontiguousarray(u.detach().reshape(-1, k).numpy().astype(np.uint8))
    words = _gf2_encode(ub, _generator(k, n))
    bits = np.unpackbits(words.view(np.uint8), axis=1, count=n)
    return torch.from_numpy(bits.astype(np.float32)).reshape(*lead, n)


@lru_cache(maxsize=64)
def _ldpc_decoder(k: int, n: int, kind: str, num_iter: int, num_threads=None):
    encoder = _ldpc_encoder(k, n)
    if kind == "sionna":
        return LDPC5GDecoder(encoder, num_iter=num_iter, hard_out=True, return_infobits=True)
    if kind == "fast":
        from .ldpc import LDPC5GFastDecoder
        return LDPC5GFastDecoder(encoder, num_iter=num_iter, num_threads=num_threads)
    raise ValueError(f"unknown LDPC decoder {kind!r}: 'fast' or 'sionna'")


class DigitalTransmitter(SemcomBlock):
    """Bits to QAM symbols through CRC-24A, 5G LDPC with rate matching and a fixed scrambler.

    Parameters
    ----------
    mcs : MCS, str or int
        Modulation and coding scheme (see :func:`semcom.phy.mcs.get_mcs`).
    codeword_bits : int
        Largest LDPC codeword, in coded bits; longer messages are split into equal blocks.

    Input
    -----
    bits : [B, L], float or uint8, values 0/1

    Output
    ------
    x : [B, K], complex64, unit average power, ``K = layout(L).symbols``

    Example
    -------
    >>> tx = DigitalTransmitter("qpsk-1/2"); rx = DigitalReceiver("qpsk-1/2")
    >>> bits = torch.randint(0, 2, (8, 1000)).float()
    >>> x = tx(bits)
    >>> bits_hat, ok = rx(x, 0.01, num_bits=1000)
    >>> bool((bits_hat == bits).all()), ok.shape
    (True, torch.Size([8, 1]))
    """

    def __init__(self, mcs, codeword_bits: int = DEFAULT_CODEWORD_BITS, **kwargs):
        super().__init__(**kwargs)
        self.mcs = get_mcs(mcs)
        self.codeword_bits = codeword_bits
        self._crc = CRCEncoder("CRC24A")
        bps = self.mcs.bits_per_symbol
        # the constellation of Sionna's Mapper, looked up by label in numpy (the same symbols)
        kind = "qam" if bps > 1 else "pam"
        self._points = torch.from_numpy(Constellation(kind, bps).points.numpy().astype(np.complex64))
        self._weights = torch.from_numpy((1 << np.arange(bps - 1, -1, -1)).astype(np.int64))
        self._points_np = self._points.numpy()

    def encode_numpy(self, bits: np.ndarray) -> np.ndarray:
        """One message's bits [L] (0/1) -> complex64 symbols [K]: :meth:`call` without torch
        (the frame transmitter's and the receiver's header path)."""
        bits = np.asarray(bits).reshape(-1).astype(np.uint8)
        lay = self.layout(len(bits))
        padded = np.zeros(lay.num_blocks * lay.payload_bits, np.uint8)
        padded[: len(bits)] = bits
        if self.mcs.coded and lay.k * lay.n <= GENERATOR_MAX_ENTRIES:
            # one compiled pass: CRC, generator matrix, scrambler, constellation
            blocks = _crc_attach(padded.reshape(lay.num_blocks, lay.payload_bits), _CRC24A)
            return _encode_map(blocks, _generator(lay.k, lay.n), lay.n, _scrambler(lay.n),
                               self.mcs.bits_per_symbol, self._points_np)
        if self.mcs.coded:
            blocks = _crc_attach(padded.reshape(lay.num_blocks, lay.payload_bits), _CRC24A)
            if lay.k * lay.n > GENERATOR_MAX_ENTRIES:
                coded = ldpc_encode(torch.from_numpy(blocks.astype(np.float32)), lay.k, lay.n).numpy().astype(np.uint8)
            else:
                words = _gf2_encode(np.ascontiguousarray(blocks), _generator(lay.k, lay.n))
                coded = np.unpackbits(words.view(np.uint8), axis=1, count=lay.n)
            coded = (coded ^ _scrambler(lay.n)[None]).reshape(-1)
        else:
            coded = np.zeros(lay.n, np.uint8)
            coded[: len(bits)] = bits
        bps = self.mcs.bits_per_symbol
        idx = coded.reshape(-1, bps).astype(np.int64) @ self._weights.numpy()
        return self._points.numpy()[idx]

    def _map(self, coded):
        bps = self.mcs.bits_per_symbol
        idx = (coded.reshape(*coded.shape[:-1], -1, bps).to(torch.int64) * self._weights).sum(-1)
        return self._points[idx]

    def layout(self, num_bits: int) -> BlockLayout:
        return block_layout(num_bits, self.mcs, self.codeword_bits)

    def channel_uses(self, num_bits: int) -> int:
        return self.layout(num_bits).symbols

    def call(self, bits):
        bits = bits.to(torch.float32)
        batch, num_bits = bits.shape
        lay = self.layout(num_bits)
        padded = torch.nn.functional.pad(bits, (0, lay.num_blocks * lay.payload_bits - num_bits))
        if self.mcs.coded:
            blocks = padded.reshape(batch, lay.num_blocks, lay.payload_bits)
            coded = ldpc_encode(self._crc(blocks), lay.k, lay.n)
            pn = torch.as_tensor(_scrambler(lay.n), dtype=coded.dtype)
            coded = torch.remainder(coded + pn, 2).reshape(batch, -1)
        else:
            coded = torch.nn.functional.pad(padded, (0, lay.n - num_bits))
        return self._map(coded)


class DigitalReceiver(SemcomBlock):
    """APP demapping, descrambling, LDPC decoding and the CRC check of :class:`DigitalTransmitter`.

    Parameters
    ----------
    mcs, codeword_bits : as the transmitter's.
    decoder : ``"fast"`` (the project's layered min-sum, :mod:`semcom.phy.ldpc`) or ``"sionna"``.
    num_iter : int, LDPC iterations.
    num_threads : numba threads of the fast decoder (None: numba's default). A few blocks at a
        time decode fastest on 1 (a 2-thread pool costs more than the work on a busy machine).

    Input
    -----
    y : [B, K'], complex, equalised symbols; ``K' >= K`` (extra symbols are ignored). NaN symbols
        are treated as erasures (zero LLRs) and counted in :attr:`erasures`.
    no : float or [B] or [B, K'], noise variance per symbol of ``y``.
    num_bits : int, message length L.

    Output
    ------
    bits : [B, L], float32 0/1
    block_ok : [B, num_blocks] bool, True only if the block's CRC and LDPC syndrome both pass;
        ``None`` for uncoded MCS.
    """

    def __init__(self, mcs, codeword_bits: int = DEFAULT_CODEWORD_BITS, decoder: str = "fast",
                 num_iter: int = 20, num_threads=None, **kwargs):
        super().__init__(**kwargs)
        self.mcs = get_mcs(mcs)
        self.codeword_bits = codeword_bits
        self.decoder = decoder
        self.num_iter = num_iter
        self.num_threads = num_threads
        bps = self.mcs.bits_per_symbol
        # Gray square QAM in AWGN is separable: its APP LLRs are exactly those of two PAMs (Sionna
        # puts even label bits on the real axis, odd ones on the imaginary axis). Two sqrt(M)-point
        # demappers cost far less than one M-point demapper; a numba kernel (:func:`_pam_llr`)
        # computes what Sionna's app demapper does on them.
        self._pam = _pam_table(max(1, bps // 2))
        self._plans = {}        # num_bits -> (scrambler mask, decoder) of decode_numpy
        self._layouts = {}
        self.erasures = 0

    def layout(self, num_bits: int) -> BlockLayout:
        lay = self._layouts.get(num_bits)
        if lay is None:
            lay = block_layout(num_bits, self.mcs, self.codeword_bits)
            if len(self._layouts) < 256:
                self._layouts[num_bits] = lay
        return lay

    def llrs(self, y, no):
        """Bit LLRs (Sionna's convention, log P(1)/P(0)) of the symbols ``y``; NaN -> 0."""
        y = y.to(torch.complex64)
        no = torch.as_tensor(no, dtype=torch.float32)
        while no.dim() < y.dim():
            no = no.unsqueeze(-1)
        no = no.expand(y.shape)
        erased = ~torch.isfinite(y)
        self.erasures += int(erased.sum())
        y = torch.where(erased, torch.zeros_like(y), y)
        no = torch.nan_to_num(no, nan=1.0, posinf=1e6).clamp_min(1e-9)
        bps = self.mcs.bits_per_symbol
        points, labels = self._pam
        yn, non = y.detach().cpu().numpy(), no.detach().cpu().numpy().astype(np.float64)
        if bps == 1:
            llr = torch.from_numpy(_pam_llr(yn.real.reshape(-1).astype(np.float64), non.reshape(-1),
                                            points, labels)).reshape(*y.shape, 1)
        else:
            # A QAM point is (PAM_re + j PAM_im) / sqrt(2) with unit-power PAMs: rescale each axis
            # to its PAM and give it noise of complex variance 2*no (real variance no).
            axes = np.stack([yn.real, yn.imag], axis=-1).astype(np.float64) * math.sqrt(2)
            nos = np.repeat((2 * non)[..., None], 2, axis=-1)
            llr_axes = torch.from_numpy(_pam_llr(axes.reshape(-1), nos.reshape(-1), points, labels))
            llr = llr_axes.reshape(*y.shape, 2, bps // 2).transpose(-1, -2)
        llr = llr.reshape(*y.shape, bps)
        llr = torch.where(erased[..., None], torch.zeros_like(llr), llr)
        return llr.reshape(y.shape[0], -1)

    def decode_numpy(self, y: np.ndarray, no, num_bits: int):
        """:meth:`call` for one message in numpy, without torch (the frame receiver's path):
        ``y`` [K'] complex, ``no`` scalar or [K'] -> (bits [num_bits] uint8, block_ok
        [num_blocks] bool, or None for an uncoded MCS). Same results as :meth:`call` with the
        fast decoder; other decoders go through :meth:`call`."""
        lay = self.layout(num_bits)
        y = np.asarray(y).reshape(-1)
        if len(y) < lay.symbols:
            raise ValueError(f"truncated frame: {len(y)} symbols received, "
                             f"{lay.symbols} needed for {num_bits} bits at {self.mcs}")
        if self.decoder != "fast":
            bits, ok = self(torch.from_numpy(y[None].astype(np.complex64)),
                            torch.from_numpy(np.broadcast_to(np.asarray(no, np.float32), y.shape)[None].copy()),
                            num_bits=num_bits)
            return bits[0].numpy().astype(np.uint8), None if ok is None else ok[0].numpy()
        no = np.asarray(no, np.float64).reshape(-1)
        if len(no) > 1 and len(no) < lay.symbols:
            raise ValueError(f"no: {len(no)} values for {lay.symbols} symbols")
        y, no, erased, n_erased = _sanitize(np.ascontiguousarray(y[:lay.symbols], dtype=np.complex128),
                                            np.ascontiguousarray(no[:lay.symbols]))
        if n_erased:
            self.erasures += int(n_erased)
        points, labels = self._pam
        plan = self._plans.get(num_bits)
        if plan is None:
            dec = _ldpc_decoder(lay.k, lay.n, "fast", self.num_iter, self.num_threads) if self.mcs.coded else None
            scr = _scrambler(lay.n).astype(np.bool_) if self.mcs.coded else np.zeros(1, np.bool_)
            plan = self._plans[num_bits] = (scr, dec)
            while len(self._plans) > 64:
                self._plans.pop(next(iter(self._plans)))
        scr, dec = plan
        llr = _symbol_llrs(y, no, erased, points, labels, self.mcs.bits_per_symbol, scr, self.mcs.coded)
        if not self.mcs.coded:
            return (llr[:num_bits] > 0).astype(np.uint8), None
        info, syndrome_ok = dec.decode_numpy(llr.reshape(lay.num_blocks, lay.n))
        block_ok = _crc_ok_table(info, _CRC24A_TABLE) & syndrome_ok
        return info[:, :lay.k - CRC_BITS].reshape(-1)[:num_bits], block_ok

    def call(self, y, no, num_bits: int):
        lay = self.layout(num_bits)
        if y.shape[-1] < lay.symbols:
            raise ValueError(f"truncated frame: {y.shape[-1]} symbols received, "
                             f"{lay.symbols} needed for {num_bits} bits at {self.mcs}")
        y = y[..., :lay.symbols]
        if not torch.is_tensor(no) or no.dim() < 2:
            no_sym = no
        else:
            no_sym = no[..., :lay.symbols]
        llr = self.llrs(y, no_sym)
        batch = y.shape[0]
        if not self.mcs.coded:
            return (llr[:, :num_bits] > 0).to(torch.float32), None
        llr = llr.reshape(batch, lay.num_blocks, lay.n)
        pn = torch.as_tensor(_scrambler(lay.n), dtype=torch.bool)
        llr = torch.where(pn, -llr, llr)
        dec = _ldpc_decoder(lay.k, lay.n, self.decoder, self.num_iter,
                            self.num_threads if self.decoder == "fast" else None)
        if self.decoder == "fast":
            info, syndrome_ok = dec(llr)
        else:
            info = dec(llr)
            syndrome_ok = torch.ones(info.shape[:-1], dtype=torch.bool)  # Sionna reports none: the CRC decides
        flat = info.reshape(-1, lay.k)
        crc_ok = torch.from_numpy(_crc_ok(flat.detach().cpu().numpy().astype(np.uint8), _CRC24A))
        payload = flat[:, :lay.k - CRC_BITS]
        block_ok = crc_ok.reshape(batch, lay.num_blocks) & syndrome_ok.reshape(batch, lay.num_blocks).bool()
        bits = payload.reshape(batch, -1)[:, :num_bits]
        return bits, block_ok


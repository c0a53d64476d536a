"""Separate source and channel coding: JPEG 2000 / HEVC intra + CRC + 5G LDPC + QAM, and the
capacity bound of the same image codecs.

``jpeg2000-ldpc`` / ``bpg-ldpc``
    Per image: pick the MCS, compute the largest number of message bits that fits in ``K``
    complex channel uses after CRC-24A and LDPC (exactly, with :func:`semcom.phy.block_layout`),
    encode the largest codestream that fits (:mod:`semcom.codecs.image_codecs`), prefix its length
    and send the bits in one digital :class:`~semcom.transport.Stream` per MCS. The receiver
    decodes an image only if every LDPC block that carries it passed its CRC (and syndrome);
    otherwise it outputs a grey erasure image (0.5) and reports ``"crc"``.
``jpeg2000-capacity`` / ``bpg-capacity``
    The same codestreams through an ideal capacity-achieving code with no CRC and no block
    overhead: error-free exactly when the payload rate ``bits / K`` is at most the capacity of the
    channel the image met, else an ``"outage"`` (grey image). That capacity is the instantaneous
    one, from the receiver's CSI: AWGN ``log2(1 + SNR)`` at ``csi.snr_db``; block fading
    ``log2(1 + |h|^2 SNR)``; per-symbol gains (fast fading) or post-equalisation noise variances
    (OFDM, ``csi.equalized``: channel estimation error included) give ``mean_k log2(1 + SNR_k)``
    over the ``K`` uses. The codestream travels in ``message.side_info`` (a genie, not a
    transmission); the message carries an analog placeholder stream of ``K`` channel uses so that
    ``send_message`` gives the receiver the channel's CSI and the accounting shows the ``K`` uses
    the ideal code would occupy. The rate is chosen by ``mcs``:

    * ``"adaptive"`` / ``"best"`` (default): **the bound**. Ideal link adaptation to the channel
      realisation (genie CSI at the transmitter): the codestream is the largest that fits
      ``floor(K * capacity)`` bits of the channel the image met, so there is no outage unless not
      even the codec's smallest codestream fits. No separation scheme with this image codec does
      better on that channel draw. The source image travels in the side information too, and the
      decoder re-encodes it at the realised capacity (cached: on AWGN the realised capacity is the
      told one and the encode is reused).
    * ``"outage"``: the rate ``log2(1 + SNR)`` at the SNR the transmitter is told (no CSI of the
      fading at the transmitter); an outage whenever the realisation carries less. On frequency-
      selective channels with estimated CSI (TDL, ray-traced) the realised capacity is below the
      told AWGN one for nearly every draw, so this variant is then nearly always in outage.
    * a fixed MCS: that MCS's spectral efficiency (the LDPC variant's rate, for cliff plots), with
      the same outage rule.

Options (``get_codec("jpeg2000-ldpc:channel_uses=4096,mcs=qpsk-1/2")``):

``channel_uses`` (K, default 4096)
    Budget of complex channel uses per image. 4096 is CBR = K / (3HW) = 1/12 at 128x128, i.e.
    about 0.24 bpp at QPSK-1/2 and 0.5 bpp at 16QAM-1/2; ``cbr`` overrides it per image shape
    (``K = round(cbr * 3 * H * W)``).
``mcs`` (default ``"adaptive"``)
    LDPC variants: ``"adaptive"`` = DiffJSCC's rule, the highest-rate MCS of
    :data:`ADAPTIVE_LADDER` whose required SNR (:data:`LDPC_THRESHOLDS_DB`, the measured 10 % BLER
    point, plus ``margin_db``) is at most the SNR in the CSI (the lowest MCS below that);
    ``"best"`` = the separation baseline at its best (:func:`best_mcs`): of *every* coded MCS of
    the MCS table (20, BPSK ... 256-QAM at rates 1/2 ... 5/6), the one that carries the most
    message bits in ``K`` channel uses among those whose threshold + ``margin_db`` is at most the
    SNR in the CSI (default margin :data:`BEST_MARGIN_DB`, the one that maximised the mean PSNR of
    this rule on the test photographs, ``sim/separation_cliff/envelope.py``); or a fixed MCS name
    (``"qpsk-1/2"``, ``"ht3"``, ...). Capacity variants: see above (``"adaptive"`` = ``"best"`` =
    the bound, ``"outage"``, a fixed MCS).
    Adaptive MCS needs ``csi`` at ``encode``; a batch with mixed SNRs is grouped by MCS, one digital
    stream ``codestream/<mcs>`` per group (rows of other groups are zero padding with length 0).
``margin_db`` (default 0.5 for ``"adaptive"``, :data:`BEST_MARGIN_DB` for ``"best"``),
``codeword_bits`` (default 1944).
``max_downscale`` (``bpg-*`` only, default 8)
    Resolution adaptation of the HEVC codec (:class:`~semcom.codecs.image_codecs.HEVCCodec`):
    below what QP 51 reaches the image is coded at 1/2 ... 1/max_downscale of its size; 1 = plain
    BPG (every image at full resolution; ``"budget"`` failures when QP 51 does not fit).

Signalling that a real system sends on a control channel (the MCS of each image, which the
receiver also derives from the stream it sits in) and the encoder-side failures (``"budget"``:
even the smallest codestream does not fit) are in ``side_info["separation"]``; the payload's
length travels in-band, in a length field of ``ceil(log2(max_bytes + 1))`` bits before the
codestream, protected by the CRC and counted in the channel uses.
"""
from __future__ import annotations

import hashlib
import inspect
import math
from collections import OrderedDict
from typing import Optional

import numpy as np
import torch

from ..csi import CSI
from ..phy import block_layout, get_mcs
from ..phy.digital import DEFAULT_CODEWORD_BITS
from ..phy.mcs import MCS
from ..transport import ANALOG, DIGITAL, Message, Stream
from .base import SemanticCodec
from .image_codecs import CodestreamError, get_image_codec

__all__ = ["SeparationCodec", "jpeg2000_ldpc", "bpg_ldpc", "jpeg2000_capacity", "bpg_capacity",
           "ADAPTIVE_LADDER", "LDPC_THRESHOLDS_DB", "adaptive_mcs", "best_mcs", "max_message_bits",
           "DEFAULT_CHANNEL_USES", "DEFAULT_MARGIN_DB", "BEST_MARGIN_DB", "GREY"]

DEFAULT_CHANNEL_USES = 4096
DEFAULT_MARGIN_DB = 0.5
# Margin of mcs="best": the one of the highest mean PSNR of the rule over -2...24 dB (bpg-ldpc, 13
# test photographs at 256x256, K = 2048, AWGN; 0.017 dB below the envelope over the MCS table),
# measured by sim/separation_cliff/envelope.py (README and envelope.json there).
BEST_MARGIN_DB = 0.5
GREY = 0.5

# The 802.11n HT ladder plus BPSK-2/3 (DiffJSCC's low-SNR choice).
ADAPTIVE_LADDER = ["bpsk-1/2", "bpsk-2/3", "qpsk-1/2", "qpsk-3/4", "16qam-1/2", "16qam-3/4",
                   "64qam-2/3", "64qam-3/4", "64qam-5/6"]

# SNR (dB) of 10 % block error rate over complex AWGN for full 1944-bit blocks, the project's fast
# layered min-sum decoder, 20 iterations, 300 blocks a point, log-interpolated between 0.25 dB
# steps, for every coded MCS of the table. Measured by sim/separation_cliff/thresholds.py
# (results in thresholds.json there).
LDPC_THRESHOLDS_DB = {
    "bpsk-1/2": -1.67, "bpsk-2/3": 0.18, "bpsk-3/4": 1.26, "bpsk-5/6": 2.32, "qpsk-1/2": 1.30,
    "qpsk-2/3": 3.18, "qpsk-3/4": 4.25, "qpsk-5/6": 5.33, "16qam-1/2": 6.75, "16qam-2/3": 9.02,
    "16qam-3/4": 10.37, "16qam-5/6": 11.68, "64qam-1/2": 11.12, "64qam-2/3": 13.94, "64qam-3/4": 15.64,
    "64qam-5/6": 17.21, "256qam-1/2": 15.27, "256qam-2/3": 18.80, "256qam-3/4": 20.72, "256qam-5/6": 22.55,
}

HEADER = "separation"


def adaptive_mcs(snr_db: float, margin_db: float = DEFAULT_MARGIN_DB) -> MCS:
    """The highest-rate MCS of :data:`ADAPTIVE_LADDER` with threshold + margin <= ``snr_db``
    (the lowest one when none qualifies)."""
    if not math.isfinite(float(snr_db)):
        raise ValueError(f"adaptive MCS needs a finite SNR, got {snr_db}")
    best = ADAPTIVE_LADDER[0]
    for name in ADAPTIVE_LADDER:
        if LDPC_THRESHOLDS_DB[name] + margin_db <= snr_db:
            best = name if get_mcs(name).spectral_efficiency > get_mcs(best).spectral_efficiency else best
    return get_mcs(best)


def best_mcs(snr_db: float, channel_uses: int, margin_db: float = BEST_MARGIN_DB,
             codeword_bits: int = DEFAULT_CODEWORD_BITS) -> MCS:
    """The MCS of :data:`LDPC_THRESHOLDS_DB` (every coded MCS of the table) that carries the most
    message bits in ``channel_uses`` complex symbols (:func:`max_message_bits`, so CRC and block
    quantisation count) among those with threshold + ``margin_db`` <= ``snr_db``; ties go to the
    lower threshold. When none qualifies: the MCS of the lowest threshold."""
    if not math.isfinite(float(snr_db)):
        raise ValueError(f"MCS selection needs a finite SNR, got {snr_db}")
    ok = [m for m, thr in LDPC_THRESHOLDS_DB.items() if thr + margin_db <= snr_db]
    if not ok:
        return get_mcs(min(LDPC_THRESHOLDS_DB, key=LDPC_THRESHOLDS_DB.get))
    key = lambda m: (max_message_bits(channel_uses, m, codeword_bits), -LDPC_THRESHOLDS_DB[m])
    return get_mcs(max(ok, key=key))


def max_message_bits(channel_uses: int, mcs, codeword_bits: int = DEFAULT_CODEWORD_BITS) -> int:
    """Largest number of message bits whose CRC + LDPC + QAM frame fits in ``channel_uses``
    complex symbols (0 if not even one bit fits). The frame length is monotone in the bits."""
    mcs = get_mcs(mcs)
    fits = lambda n: block_layout(n, mcs, codeword_bits).symbols <= channel_uses
    if channel_uses < 1 or not fits(1):
        return 0
    lo, hi = 1, channel_uses * mcs.bits_per_symbol + 1  # lo fits, hi does not
    while not hi - lo == 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def length_field_bits(max_bits: int) -> int:
    """Width of the length field (bytes of codestream) for a budget of ``max_bits`` bits."""
    return max(1, (max(0, max_bits) // 8).bit_length())


def _to_bits(value: int, width: int) -> np.ndarray:
    return np.array([(value >> (width - 1 - i)) & 1 for i in range(width)], dtype=np.uint8)


def _from_bits(bits: np.ndarray) -> int:
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value


class SeparationCodec(SemanticCodec):
    """Image codec + (LDPC or ideal) channel code; see the module docstring.

    Parameters
    ----------
    image_codec : ``"jpeg2000"`` or ``"hevc"``
    link : ``"ldpc"`` or ``"capacity"``
    channel_uses, cbr, mcs, margin_db, codeword_bits : see the module docstring.
    """

    def __init__(self, image_codec: str = "jpeg2000", link: str = "ldpc",
                 channel_uses: int = DEFAULT_CHANNEL_USES, cbr: Optional[float] = None,
                 mcs="adaptive", margin_db: Optional[float] = None,
                 codeword_bits: int = DEFAULT_CODEWORD_BITS, cache_size: int = 256,
                 max_downscale: Optional[int] = None):
        super().__init__()
        if link not in ("ldpc", "capacity"):
            raise ValueError(f"link must be 'ldpc' or 'capacity', not {link!r}")
        options = {}
        if max_downscale is not None:
            if image_codec not in ("hevc", "bpg"):
                raise ValueError(f"max_downscale is an option of the HEVC codec, not of {image_codec}")
            options["max_downscale"] = max_downscale
        self.codec = get_image_codec(image_codec, **options)
        self.link = link
        if cbr is None and (not isinstance(channel_uses, (int, np.integer)) or channel_uses < 1):
            raise ValueError(f"channel_uses must be a positive integer, got {channel_uses!r}")
        if cbr is not None and not (float(cbr) > 0):
            raise ValueError(f"cbr must be positive, got {cbr!r}")
        self.channel_uses = int(channel_uses)
        self.cbr = None if cbr is None else float(cbr)
        rule = mcs.lower() if isinstance(mcs, str) and mcs.lower() in ("adaptive", "best", "outage") else None
        if rule == "outage" and link != "capacity":
            raise ValueError("mcs='outage' is a rule of the capacity variants")
        self.rule = rule
        self.adaptive = rule is not None
        # the bound: the rate of the channel realisation (re-encoded at decode), not of the told SNR
        self.genie = link == "capacity" and rule in ("adaptive", "best")
        self.mcs = None if self.adaptive else get_mcs(mcs)
        if self.mcs is not None and not self.mcs.coded and link == "ldpc":
            raise ValueError(f"{self.mcs} is uncoded: the separation baseline needs a CRC + LDPC MCS")
        if margin_db is None:
            margin_db = BEST_MARGIN_DB if rule == "best" else DEFAULT_MARGIN_DB
        self.margin_db = float(margin_db)
        self.codeword_bits = int(codeword_bits)
        bpg = "BPG(HEVC intra" + (")" if getattr(self.codec, "max_downscale", 1) == 1
                                  else f", downscale <= {self.codec.max_downscale})")
        pretty = {"jpeg2000": "JPEG2000", "hevc": bpg, "bpg": bpg}
        self.name = f"{'jpeg2000' if self.codec.name == 'jpeg2000' else 'bpg'}-{link}"
        self.description = (f"{pretty[image_codec]} + "
                            + ("CRC/5G-LDPC/QAM" if link == "ldpc" else "ideal capacity-achieving code")
                            + f", K={self.cbr and f'cbr {self.cbr}' or self.channel_uses}, "
                            + f"MCS {self.rule or self.mcs}")
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = int(cache_size)

    # ---------------------------------------------------------------------------- budgets
    def budget_channel_uses(self, image_shape) -> int:
        """K for images of shape (3, H, W)."""
        if self.cbr is None:
            return self.channel_uses
        return max(1, round(self.cbr * math.prod(image_shape)))

    def mcs_for(self, snr_db: Optional[float], k: int = DEFAULT_CHANNEL_USES) -> MCS:
        """The MCS (LDPC) or the MCS whose rate is used (capacity, fixed MCS) for one image of
        ``k`` channel uses at the SNR the transmitter is told."""
        if not self.adaptive:
            return self.mcs
        if snr_db is None:
            raise ValueError(f"{self.name} with mcs={self.rule!r} needs a CSI with snr_db at encode()")
        if self.rule == "best":
            return best_mcs(float(snr_db), k, self.margin_db, self.codeword_bits)
        return adaptive_mcs(float(snr_db), self.margin_db)

    def max_bits(self, k: int, snr_db: Optional[float]) -> tuple:
        """(message bits that fit in K uses, MCS name or rate label) for one image."""
        if self.link == "ldpc":
            mcs = self.mcs_for(snr_db, k)
            return max_message_bits(k, mcs, self.codeword_bits), mcs.name
        if self.adaptive:
            if snr_db is None:
                raise ValueError(f"{self.name} with mcs={self.rule!r} needs a CSI with snr_db at encode()")
            rate = math.log2(1.0 + 10.0 ** (float(snr_db) / 10.0))
            return int(math.floor(k * rate + 1e-9)), "capacity"
        return int(math.floor(k * self.mcs.spectral_efficiency + 1e-9)), self.mcs.name

    def _encode_image(self, image: np.ndarray, max_bytes: int):
        key = (hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest(), image.shape, max_bytes)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        payload = self.codec.encode_to_budget(image, max_bytes) if max_bytes > 0 else None
        self._cache[key] = payload
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return payload

    # ---------------------------------------------------------------------------- encode
    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        images = self.check_images(images)
        batch, _, height, width = images.shape
        shape = (3, height, width)
        k = self.budget_channel_uses(shape)
        if csi is not None and csi.snr_db is not None and csi.snr_db.numel() not in (1, batch):
            raise ValueError(f"csi.snr_db has {csi.snr_db.numel()} values for a batch of {batch}")
        snrs = [None] * batch
        if csi is not None and csi.snr_db is not None:
            s = csi.snr_db.reshape(-1).float()
            snrs = [float(s[0 if s.numel() == 1 else i]) for i in range(batch)]
        pixels = (images.permute(0, 2, 3, 1) * 255.0).round().to(torch.uint8).cpu().numpy()

        info = {"link": self.link, "codec": self.codec.name, "channel_uses": k, "group": [],
                "max_bits": [], "length_bits": [], "payload_bytes": [], "failures": []}
        payloads = []
        for i in range(batch):
            max_bits, group = self.max_bits(k, snrs[i])
            width_bits = length_field_bits(max_bits)
            max_bytes = (max_bits - width_bits) // 8
            payload = self._encode_image(pixels[i], max_bytes) if max_bytes > 0 else None
            payloads.append(payload)
            info["group"].append(group)
            info["max_bits"].append(max_bits)
            info["length_bits"].append(width_bits)
            info["payload_bytes"].append(None if payload is None else len(payload))
            info["failures"].append("budget" if payload is None else None)

        if self.link == "capacity":
            info["codestreams"] = payloads  # the genie: NOT transmitted
            if self.genie:              # the source itself, re-encoded at the realised capacity
                info["pixels"] = [np.ascontiguousarray(pixels[i]).tobytes() for i in range(batch)]
            info["rate"] = [None if p is None else (w + 8 * len(p)) / k
                            for p, w in zip(payloads, info["length_bits"])]
            placeholder = Stream(ANALOG, torch.ones(batch, 2 * k))
            return Message({"capacity-placeholder": placeholder}, shape, {HEADER: info})

        streams = {}
        for group in dict.fromkeys(info["group"]):
            rows = [i for i in range(batch) if info["group"][i] == group]
            bits = {i: np.concatenate([_to_bits(len(payloads[i]), info["length_bits"][i]),
                                       np.unpackbits(np.frombuffer(payloads[i], np.uint8))])
                    for i in rows if payloads[i] is not None}
            length = max([len(b) for b in bits.values()] + [1])
            data = torch.zeros(batch, length)
            lengths = torch.zeros(batch, dtype=torch.long)
            for i, b in bits.items():
                data[i, :len(b)] = torch.from_numpy(b.astype(np.float32))
                lengths[i] = len(b)
            streams[f"codestream/{group}"] = Stream(DIGITAL, data, mcs=get_mcs(group),
                                                    codeword_bits=self.codeword_bits, lengths=lengths)
        return Message(streams, shape, {HEADER: info})

    # ---------------------------------------------------------------------------- decode
    def _checked_info(self, message: Message) -> dict:
        """``side_info["separation"]`` of a received message, every field checked (it may come from
        a frame header, i.e. from anyone): one entry per image of the message, integers in range."""
        info = message.side_info.get(HEADER) if isinstance(message.side_info, dict) else None
        if not isinstance(info, dict) or info.get("link") != self.link or info.get("codec") != self.codec.name:
            raise ValueError(f"{self.name}: the message was not encoded by a {self.name} codec")
        batch = message.batch

        def listed(key, ok, what):
            v = info.get(key)
            if not isinstance(v, list) or len(v) != batch or not all(ok(x) for x in v):
                raise ValueError(f"{self.name}: side information {key!r} is not {batch} {what}")

        def integer(lo, hi):
            return lambda x: isinstance(x, int) and not isinstance(x, bool) and lo <= x <= hi

        listed("group", lambda x: isinstance(x, str), "MCS names")
        listed("max_bits", integer(1, 1 << 40), "bit budgets")
        listed("length_bits", integer(1, 64), "length-field widths")
        listed("failures", lambda x: x is None or isinstance(x, str), "failure reasons")
        if not integer(1, 1 << 40)(info.get("channel_uses")):
            raise ValueError(f"{self.name}: side information 'channel_uses' is not a positive integer")
        if self.link == "capacity":
            listed("codestreams", lambda x: x is None or isinstance(x, (bytes, bytearray)), "codestreams")
            listed("rate", lambda x: x is None or isinstance(x, (int, float)), "rates")
            if self.genie:
                size = math.prod(message.image_shape)
                listed("pixels", lambda x: isinstance(x, (bytes, bytearray)) and len(x) == size,
                       f"images of {size} bytes (a {self.name} with mcs={self.rule!r} needs the source)")
        return info

    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        info = self._checked_info(message)
        _, height, width = message.image_shape
        batch = len(info["group"])
        out = torch.full((batch, 3, height, width), GREY)
        failures = list(info["failures"])
        k = info["channel_uses"]
        capacity = self._capacity(csi, batch, k) if self.link == "capacity" else None
        self.last_rates = list(info.get("rate", [None] * batch))
        for i in range(batch):
            if failures[i] is not None and not self.genie:
                continue
            if self.genie:
                payload, self.last_rates[i] = self._at_capacity(info["pixels"][i], (height, width), k, capacity[i])
                failures[i] = None if payload is not None else "outage"
                if payload is None:
                    continue
            elif self.link == "capacity":
                payload = info["codestreams"][i]
                if info["rate"][i] > capacity[i]:
                    failures[i] = "outage"
                    continue
            else:
                payload, failures[i] = self.receive(message, i)
                if payload is None:
                    continue
            try:
                image = self.codec.decode(payload, (height, width))
            except CodestreamError as exc:
                failures[i] = f"decode: {exc}"
                continue
            out[i] = torch.from_numpy(image.astype(np.float32) / 255.0).permute(2, 0, 1)
        self.last_failures = failures
        return out

    def receive(self, message: Message, i: int):
        """(payload bytes, None) or (None, failure reason) for image ``i`` of a received LDPC
        message: the CRC / length-field verdict, without decoding the picture."""
        if self.link != "ldpc":
            raise ValueError(f"{self.name}: receive() is for LDPC messages")
        info = self._checked_info(message)
        if info["failures"][i] is not None:
            return None, info["failures"][i]
        stream = message.streams.get(f"codestream/{info['group'][i]}")
        if stream is None:
            raise ValueError(f"{self.name}: message lacks the stream codestream/{info['group'][i]}")
        bits = stream.data[i]
        width = info["length_bits"][i]
        lay = block_layout(stream.data.shape[1], stream.mcs, stream.codeword_bits)

        def blocks_ok(num_bits: int) -> bool:
            if stream.block_ok is None:  # never crossed a channel (loopback): nothing to check
                return True
            needed = min(lay.num_blocks, math.ceil(num_bits / lay.payload_bits))
            return bool(stream.block_ok[i, :needed].all())

        if not blocks_ok(width):
            return None, "crc"
        hard = (bits > 0.5).cpu().numpy().astype(np.uint8)
        nbytes = _from_bits(hard[:width])
        end = width + 8 * nbytes
        if nbytes == 0 or end > hard.size or end > info["max_bits"][i]:
            return None, f"decode: length field {nbytes} bytes out of range"
        if not blocks_ok(end):
            return None, "crc"
        return np.packbits(hard[width:end]).tobytes(), None

    def _at_capacity(self, pixels: bytes, size: tuple, k: int, capacity: float):
        """(the largest codestream of the image that fits ``floor(k * capacity)`` bits with its
        length field, its rate in bits per use); (None, None) when not even the smallest fits."""
        max_bits = int(math.floor(k * capacity + 1e-9))
        field = length_field_bits(max_bits)
        max_bytes = (max_bits - field) // 8
        if max_bytes <= 0:
            return None, None
        image = np.frombuffer(pixels, np.uint8).reshape(size[0], size[1], 3)
        payload = self._encode_image(image, max_bytes)
        return (None, None) if payload is None else (payload, (field + 8 * len(payload)) / k)

    @staticmethod
    def _capacity(csi: Optional[CSI], batch: int, k: int) -> list:
        """Instantaneous capacity (bits per channel use) per image from the receiver's CSI."""
        if csi is None or csi.snr_db is None:
            raise ValueError("the capacity bound needs the channel's CSI (snr_db) at decode()")
        snr = torch.pow(10.0, csi.snr_db.reshape(-1).double() / 10.0)
        if snr.numel() == 1:
            snr = snr.expand(batch)
        if csi.equalized and csi.noise_var is not None and csi.noise_var.dim() == 2:
            per_use = 1.0 / csi.noise_var[:, :k].double().clamp_min(1e-30)
        elif csi.gain is not None:
            g = csi.gain.abs().double() ** 2
            per_use = g[:, :k] * snr[:, None] if g.dim() == 2 else (g * snr)[:, None]
        else:
            per_use = snr[:, None]
        cap = torch.log2(1.0 + per_use).mean(dim=1)
        if cap.numel() != batch:
            raise ValueError(f"CSI for {cap.numel()} images, message holds {batch}")
        return cap.tolist()


def _factory(image_codec: str, link: str):
    def make(**options) -> SeparationCodec:
        return SeparationCodec(image_codec=image_codec, link=link, **options)
    make.__signature__ = inspect.signature(SeparationCodec).replace(parameters=[
        p for name, p in inspect.signature(SeparationCodec).parameters.items() if name not in ("image_codec", "link")])
    make.__name__ = f"{'jpeg2000' if image_codec == 'jpeg2000' else 'bpg'}_{link}"
    make.__doc__ = f"{image_codec} + {link}: see :class:`SeparationCodec`."
    return make


jpeg2000_ldpc = _factory("jpeg2000", "ldpc")
bpg_ldpc = _factory("hevc", "ldpc")
jpeg2000_capacity = _factory("jpeg2000", "capacity")
bpg_capacity = _factory("hevc", "capacity")

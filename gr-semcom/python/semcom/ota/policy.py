"""What a receiver agrees to decode: the air is untrusted.

A frame header names a scheme and declares sizes, and anyone can transmit a header with a valid
CRC. A :class:`ReceiverPolicy` decides, from the receiver's own configuration only:

* **which schemes** it decodes, and **with which decoder options**: :attr:`accept` lists decoder
  specs (``"deepjscc"``, ``"sc-sic:steps=20"``, ``"deepjscc:model_dir=models/deepjscc-c1"``). A
  header's scheme string matches an accepted spec of the same name when each of its options is
  either an encoder-side option of that scheme (:func:`semcom.codecs.encoder_options`, e.g.
  ``channel_uses`` of the separation baselines, which the decoder does not need) or appears in the
  accepted spec with the same value. The decoder is always built from the accepted spec: nothing
  from the air reaches a codec's constructor (no folder, no step count, no device).
* **bounds on every header field** before anything is allocated: image channels and sides, the
  number of streams, their ranks and sizes, valid lengths, MCS names, LDPC codeword sizes, analog
  scales, and the frame's length in samples.
* a **decode budget** per frame (seconds, enforced by the decoder thread of
  :class:`semcom.gr.semantic_rx` from the measured cost of earlier frames) and a **bounded codec
  cache**.

A frame outside them raises :class:`FrameRejected` with a short reason (``"scheme"``,
``"option"``, ``"image_size"``, ...); receivers count rejections by reason and never decode them.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

from . import header as hdr

#: Reasons a frame can be rejected for, in the order they are checked.
REASONS = ("image_size", "streams", "stream_shape", "stream_length", "mcs", "codeword_bits",
           "scale", "frame_length", "scheme", "option", "over_budget")


class FrameRejected(ValueError):
    """A frame the receiver's policy refuses; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _parse_accept(accept) -> tuple:
    if accept is None:
        return ()
    items = accept.split(";") if isinstance(accept, str) else list(accept)
    return tuple(str(s).strip() for s in items if str(s).strip())


@dataclass
class ReceiverPolicy:
    """Bounds and allow-list of a receiver (see the module docstring).

    Parameters
    ----------
    accept : decoder specs (a list, or one string separated by ``;``); empty: every registered
        scheme with its default options.
    image_channels : allowed channel counts of the declared image.
    max_image_side : largest declared image height or width, pixels.
    max_image_pixels : largest declared H * W.
    max_streams : most streams per frame.
    max_stream_rank : most dimensions of one stream's shape.
    max_stream_elements : most reals (analog) or bits (digital) in one stream.
    max_frame_samples : longest frame, samples (bounds the receiver's buffer).
    decode_budget_s : largest predicted decode time of one frame, seconds (0: no budget).
    max_codecs : codecs kept loaded at once (least recently used are dropped).
    """

    accept: tuple = ()
    image_channels: tuple = (3,)
    max_image_side: int = 1024
    max_image_pixels: int = 1024 * 1024
    max_streams: int = 8
    max_stream_rank: int = 4
    max_stream_elements: int = 1 << 22
    max_frame_samples: int = 1 << 22
    decode_budget_s: float = 60.0
    max_codecs: int = 4
    _accepted: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        from ..codecs import codec_names, parse_spec
        self.accept = _parse_accept(self.accept) or tuple(codec_names())
        known = set(codec_names())
        self._accepted = {}
        for spec in self.accept:
            name, options = parse_spec(spec)
            if name not in known:
                raise ValueError(f"accepted scheme {name!r} is not registered; known: {', '.join(sorted(known))}")
            self._accepted.setdefault(name, []).append((spec, options))
        for key in ("max_image_side", "max_image_pixels", "max_streams", "max_stream_rank",
                    "max_stream_elements", "max_frame_samples", "max_codecs"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"{key} must be a positive integer, got {getattr(self, key)!r}")
        if not float(self.decode_budget_s) >= 0:
            raise ValueError(f"decode_budget_s must be >= 0 (0: none), got {self.decode_budget_s!r}")

    # ------------------------------------------------------------------ header fields
    def check_header(self, header: hdr.Header):
        """Raise :class:`FrameRejected` unless every field of ``header`` is within the bounds."""
        c, h, w = (int(v) for v in header.image_shape)
        if c not in self.image_channels or not (1 <= h <= self.max_image_side and 1 <= w <= self.max_image_side) \
                or h * w > self.max_image_pixels:
            raise FrameRejected("image_size", f"declared image {c}x{h}x{w} outside the receiver's bounds "
                                f"(channels {self.image_channels}, side <= {self.max_image_side}, "
                                f"pixels <= {self.max_image_pixels})")
        if not 1 <= len(header.streams) <= self.max_streams:
            raise FrameRejected("streams", f"{len(header.streams)} streams (1..{self.max_streams} accepted)")
        names = [s.name for s in header.streams]
        if len(set(names)) != len(names):
            raise FrameRejected("streams", f"stream names repeat: {names}")
        for s in header.streams:
            self._check_stream(s)

    def _check_stream(self, s: hdr.StreamInfo):
        from ..phy import block_layout, get_mcs
        from ..phy.digital import _ldpc_encoder
        if not 1 <= len(s.shape) <= self.max_stream_rank or min(s.shape) < 1:
            raise FrameRejected("stream_shape", f"stream {s.name!r} shape {tuple(s.shape)}")
        elements = math.prod(s.shape)
        if elements > self.max_stream_elements:
            raise FrameRejected("stream_shape", f"stream {s.name!r} of {elements} elements "
                                f"(at most {self.max_stream_elements})")
        if s.length is not None and not 0 <= s.length <= elements:
            raise FrameRejected("stream_length", f"stream {s.name!r} length {s.length} of {elements} elements")
        if s.kind == "analog":
            if not (math.isfinite(s.scale) and s.scale > 0):
                raise FrameRejected("scale", f"stream {s.name!r} scale {s.scale}")
            return
        try:
            mcs = get_mcs(s.mcs)
        except ValueError as exc:
            raise FrameRejected("mcs", f"stream {s.name!r}: {exc}") from None
        try:
            layout = block_layout(elements, mcs, s.codeword_bits)
            if mcs.coded:
                _ldpc_encoder(layout.k, layout.n)   # cached; raises on sizes 5G LDPC cannot do
        except (ValueError, TypeError, AssertionError) as exc:
            raise FrameRejected("codeword_bits", f"stream {s.name!r} codeword_bits {s.codeword_bits} "
                                f"with {mcs}: {exc}") from None

    def check_frame_length(self, samples: int):
        if samples > self.max_frame_samples:
            raise FrameRejected("frame_length", f"frame of {samples} samples (at most {self.max_frame_samples})")

    # ------------------------------------------------------------------ schemes
    def decoder_spec(self, air_spec: str) -> str:
        """The accepted decoder spec for a header's scheme string (raises :class:`FrameRejected`)."""
        from ..codecs import encoder_options, parse_spec
        try:
            name, air = parse_spec(str(air_spec))
        except ValueError as exc:
            raise FrameRejected("scheme", str(exc)) from None
        if name not in self._accepted:
            raise FrameRejected("scheme", f"scheme {name[:40]!r} is not accepted by this receiver")
        harmless = encoder_options(name)
        best, best_score, refused = None, -1, ""
        for spec, options in self._accepted[name]:
            bad = [k for k, v in air.items() if k not in harmless and options.get(k, _MISSING) != v]
            if bad:
                refused = bad[0]
                continue
            score = sum(1 for k in air if k in options)
            if score > best_score:
                best, best_score = spec, score
        if best is None:
            raise FrameRejected("option", f"option {refused[:40]!r} of {name!r} from the air is not one "
                                f"this receiver accepts")
        return best


_MISSING = object()


class CodecCache:
    """At most ``size`` codecs by decoder spec, least recently used dropped first."""

    def __init__(self, size: int, factory=None):
        from ..codecs import get_codec
        self.size = int(size)
        self.factory = factory or get_codec
        self._codecs: OrderedDict = OrderedDict()

    def __len__(self):
        return len(self._codecs)

    def get(self, spec: str):
        if spec in self._codecs:
            self._codecs.move_to_end(spec)
            return self._codecs[spec]
        codec = self.factory(spec)
        self._codecs[spec] = codec
        while len(self._codecs) > self.size:
            self._codecs.popitem(last=False)
        return codec


class DecodeBudget:
    """Predicts a frame's decode time from the measured seconds per pixel of earlier frames of the
    same decoder spec (a running mean), and refuses frames predicted over ``seconds``."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self._rate: dict = {}

    def check(self, spec: str, pixels: int):
        rate = self._rate.get(spec)
        if self.seconds > 0 and rate is not None and rate * pixels > self.seconds:
            raise FrameRejected("over_budget", f"{spec}: {pixels} pixels predicted to take "
                                f"{rate * pixels:.1f} s (budget {self.seconds:g} s)")

    def record(self, spec: str, pixels: int, seconds: float):
        rate = seconds / max(1, pixels)
        old = self._rate.get(spec)
        self._rate[spec] = rate if old is None else 0.5 * (old + rate)

"""The codec interface every scheme implements, and the registry by name."""
from __future__ import annotations

import importlib
import inspect
from typing import Callable, Optional

import torch

from ..csi import CSI
from ..transport import Message

# name -> "module:attribute" (imported lazily: the neural codecs pull in large modules)
_REGISTRY: dict[str, str] = {}
# name -> options that only the encoder uses (a receiver may ignore them in a frame header)
_ENCODER_OPTIONS: dict[str, frozenset] = {}


class SemanticCodec:
    """A scheme: images to a :class:`~semcom.transport.Message` and back.

    ``encode(images, csi)``: images float [B, 3, H, W] in [0, 1] -> Message. ``csi`` carries the SNR
    (and gains) for schemes that adapt to the channel (LRISC, DiffJSCC, adaptive MCS); schemes that
    do not need it accept ``None``.

    ``decode(message, csi)``: the received Message -> images [B, 3, H, W] in [0, 1]. Failures the
    scheme detects (a failed CRC, an undecodable codestream) are reported in :attr:`last_failures`
    as a list with one entry per image: ``None`` or the reason (``"crc"``, ``"decode: ..."``, ...).

    ``name`` is the registry name; ``description`` a one-line summary for tables and plots.
    """

    name = "codec"
    description = ""

    def __init__(self):
        self.last_failures: list = []

    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        raise NotImplementedError

    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        raise NotImplementedError

    @staticmethod
    def check_images(images: torch.Tensor) -> torch.Tensor:
        """Validate an image batch: float [B, 3, H, W] with finite values in [0, 1]."""
        if not torch.is_tensor(images) or images.dim() != 4 or images.shape[1] != 3:
            shape = tuple(images.shape) if torch.is_tensor(images) else type(images).__name__
            raise ValueError(f"images must be a float tensor [B, 3, H, W], got {shape}")
        if not torch.isfinite(images).all():
            raise ValueError("images hold NaN or Inf values")
        return images.float().clamp(0, 1)


def register_codec(name: str, target: str, encoder_options=()):
    """Register ``"module:attribute"`` (a :class:`SemanticCodec` subclass or factory) as ``name``.

    ``encoder_options``: the options only the encoder uses (e.g. a channel-use budget); the
    decoder of a message does not depend on them, so a receiver can ignore them when a frame
    header names the scheme with them (:class:`semcom.ota.ReceiverPolicy`)."""
    _REGISTRY[name] = target
    _ENCODER_OPTIONS[name] = frozenset(encoder_options)


def encoder_options(name: str) -> frozenset:
    """The encoder-side options of a registered scheme (see :func:`register_codec`)."""
    return _ENCODER_OPTIONS.get(name, frozenset())


def codec_names() -> list:
    return sorted(_REGISTRY)


def parse_spec(spec: str) -> tuple:
    """``"deepjscc:model_dir=models/x,snr_adaptive=1"`` -> ``("deepjscc", {...})``."""
    name, _, rest = spec.partition(":")
    options = {}
    for item in filter(None, rest.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"codec option {item!r} in {spec!r} is not key=value")
        options[key.strip()] = _literal(value.strip())
    return name.strip(), options


def _literal(value: str):
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(value.lower(), value)


def _factory(name: str) -> Callable:
    if name not in _REGISTRY:
        raise ValueError(f"unknown scheme {name!r}; known: {', '.join(codec_names())}")
    module, _, attr = _REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def check_spec(spec: str) -> tuple:
    """``(name, options)`` of a spec whose scheme is registered and whose option names the scheme
    takes (values are checked when the codec is built); ValueError otherwise. Builds nothing."""
    name, options = parse_spec(spec)
    _check_options(name, _factory(name), options)
    return name, options


def get_codec(spec: str, **options) -> SemanticCodec:
    """A codec by registry name, with options from the spec string and keywords."""
    name, parsed = parse_spec(spec)
    factory = _factory(name)
    merged = {**parsed, **options}
    _check_options(name, factory, merged)
    return factory(**merged)


def _check_options(name: str, factory: Callable, options: dict):
    """A ValueError naming the scheme's options if ``options`` holds one it does not take."""
    params = inspect.signature(factory).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    known = [k for k, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [k for k in options if k not in known]
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} for scheme {name!r}; its options: "
                         f"{', '.join(known) or 'none'}")

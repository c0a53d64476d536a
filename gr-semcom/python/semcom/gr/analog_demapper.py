"""``analog_demapper``: a PDU of complex symbols -> the PDU of float32 values it carries."""
from __future__ import annotations

import math

import numpy as np
import torch

from .pdu import PduBlock
from ..phy.analog import AnalogDemapper
from ..phy.equalization import EQUALIZERS

EQUALIZER_CHOICES = ("none", "zf", "mmse")


class analog_demapper(PduBlock):
    out_dtype = np.float32

    """Wraps :class:`semcom.phy.AnalogDemapper` for PDUs, with optional one-tap equalisation.

    Parameters
    ----------
    equalizer : "none" | "zf" | "mmse". Applied only when the metadata carries ``gain`` (complex
        scalar, or a c32vector with one gain per symbol); MMSE also needs ``noise_var`` (float or
        f32vector; the SNR convention's N0).
    shape : default shape (list of int) when the metadata carries none (empty: all values).

    Message ports
    -------------
    in : PDU ``(meta, c32vector)``; ``meta["scale"]`` (default 1) and ``meta["shape"]`` as set by
        :class:`analog_mapper`.
    out : PDU ``(meta, f32vector)``; ``meta["noise_var"]`` becomes the post-equaliser noise
        variance (mean over symbols) when equalised.
    """

    def __init__(self, equalizer="zf", shape=()):
        PduBlock.__init__(self, "semcom_analog_demapper")
        self.demapper = AnalogDemapper()
        self.set_equalizer(equalizer)
        self.shape = [int(s) for s in shape] if shape else None

    def set_equalizer(self, equalizer):
        equalizer = str(equalizer).lower()
        if equalizer not in EQUALIZER_CHOICES:
            raise ValueError(f"equalizer must be one of {EQUALIZER_CHOICES}")
        self.equalizer = equalizer

    def demap(self, symbols, meta=None):
        """``(values float32 [prod(shape)], meta)`` of one symbol vector (no GNU Radio involved)."""
        meta = dict(meta or {})
        y = torch.from_numpy(np.asarray(symbols, np.complex64).reshape(1, -1).copy())
        if self.equalizer != "none" and meta.get("gain") is not None:
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    h = torch.as_tensor(np.asarray(meta["gain"], np.complex64)).reshape(1, -1)
                    no = torch.as_tensor(np.asarray(meta.get("noise_var", 0.0), np.float32)).reshape(1, -1)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"analog_demapper: bad gain or noise_var in the metadata ({exc})") from None
            if not (bool(torch.isfinite(h).all()) and bool(torch.isfinite(no).all())):
                raise ValueError("analog_demapper: gain and noise_var must be finite")
            if h.shape[1] not in (1, y.shape[1]) or no.shape[1] not in (1, y.shape[1]):
                raise ValueError(f"analog_demapper: {h.shape[1]} gains / {no.shape[1]} noise variances for "
                                 f"{y.shape[1]} symbols (1 or one per symbol)")
            if self.equalizer == "mmse" and meta.get("noise_var") is None:
                raise ValueError("MMSE equalisation needs noise_var in the metadata")
            y, no_eff = EQUALIZERS[self.equalizer](y, h, no)
            meta["noise_var"] = float(no_eff.mean())
            meta["equalized"] = True
        try:
            shape = [int(s) for s in (meta.get("shape", self.shape) or [2 * y.shape[1]])]
            scale = float(meta.get("scale", 1.0))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"analog_demapper: bad shape or scale in the metadata ({exc})") from None
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"analog_demapper: scale {scale} is not a positive number")
        scale = torch.tensor([scale])
        with torch.no_grad():
            z = self.demapper(y, scale, tuple(shape))
        meta["shape"] = shape
        return z.reshape(-1).numpy().astype(np.float32), meta

    def process(self, payload, meta):
        return self.demap(payload, meta)

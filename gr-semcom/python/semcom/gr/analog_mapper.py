"""``analog_mapper``: a PDU of float32 values -> a PDU of unit-power complex symbols."""
from __future__ import annotations

import numpy as np
import torch

from .pdu import PduBlock
from ..phy.analog import AnalogMapper


class analog_mapper(PduBlock):
    out_dtype = np.complex64

    """Wraps :class:`semcom.phy.AnalogMapper` (pairs of reals -> one complex symbol, scaled to
    unit average power) for PDUs.

    Message ports
    -------------
    in : PDU ``(meta, f32vector)``. ``meta["shape"]`` (list of int) may give the tensor shape of
        the values; otherwise the shape is ``[len]``.
    out : PDU ``(meta, c32vector)`` with the input metadata plus ``scale`` (float, the mapper's
        factor, needed by the demapper) and ``shape`` (list of int).
    """

    def __init__(self):
        PduBlock.__init__(self, "semcom_analog_mapper")
        self.mapper = AnalogMapper()

    def map(self, values, meta=None):
        """``(symbols complex64 [K], meta)`` of one float vector (no GNU Radio involved)."""
        meta = dict(meta or {})
        z = np.asarray(values, np.float32).reshape(-1)
        shape = [int(s) for s in meta.get("shape", [z.size])]
        if int(np.prod(shape)) != z.size:
            raise ValueError(f"analog_mapper: shape {shape} does not hold {z.size} values")
        with torch.no_grad():
            x, scale = self.mapper(torch.from_numpy(z)[None])
        meta["scale"] = float(scale[0])
        meta["shape"] = shape
        return x[0].numpy().astype(np.complex64), meta

    def process(self, payload, meta):
        return self.map(payload, meta)

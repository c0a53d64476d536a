"""``analog_mapper``: a PDU of float32 values -> a PDU of unit-power complex symbols."""
from __future__ import annotations

import numpy as np
import pmt
import torch
from gnuradio import gr

from ..phy.analog import AnalogMapper


class analog_mapper(gr.basic_block):
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
        gr.basic_block.__init__(self, name="semcom_analog_mapper", in_sig=None, out_sig=None)
        self.mapper = AnalogMapper()
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self.handle)

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

    def handle(self, msg):
        if not pmt.is_pair(msg):
            self.logger.warn("analog_mapper: dropping a message that is not a PDU")
            return
        meta = pmt.to_python(pmt.car(msg)) or {}
        try:
            x, meta = self.map(pmt.to_python(pmt.cdr(msg)), meta)
        except Exception as exc:  # noqa: BLE001 - a bad PDU must not kill the flowgraph
            self.logger.error(f"analog_mapper: {exc}")
            return
        self.message_port_pub(pmt.intern("out"), pmt.cons(pmt.to_pmt(meta), pmt.init_c32vector(len(x), x)))

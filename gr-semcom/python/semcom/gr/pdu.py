"""The plumbing shared by the PDU blocks: one ``in`` port, one ``out`` port, one vector per PDU."""
from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr

_VECTOR_MAKERS = {np.complex64: pmt.init_c32vector, np.float32: pmt.init_f32vector, np.uint8: pmt.init_u8vector}


class PduBlock(gr.basic_block):
    """A message-only block: each PDU ``(meta, vector)`` on ``in`` goes through :meth:`process`
    (``(payload, meta) -> (vector, meta)``, no GNU Radio involved, so tests can call it directly) and
    the result is published on ``out``. A message that is not a PDU, or a PDU that :meth:`process`
    rejects, is logged and dropped: a bad PDU never stops the flowgraph."""

    out_dtype = np.complex64

    def __init__(self, name: str):
        gr.basic_block.__init__(self, name=name, in_sig=None, out_sig=None)
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self.handle)

    def process(self, payload, meta):
        raise NotImplementedError

    def handle(self, msg):
        label = self.name().removeprefix("semcom_")
        if not pmt.is_pair(msg):
            self.logger.warn(f"{label}: dropping a message that is not a PDU")
            return
        meta = pmt.to_python(pmt.car(msg)) or {}
        try:
            vector, meta = self.process(pmt.to_python(pmt.cdr(msg)), meta)
        except Exception as exc:  # noqa: BLE001 - a bad PDU must not kill the flowgraph
            self.logger.error(f"{label}: {exc}")
            return
        vector = np.ascontiguousarray(vector, dtype=self.out_dtype)
        # (a list: from a numpy array the binding converts element by element, 2-10x slower)
        self.message_port_pub(pmt.intern("out"),
                              pmt.cons(pmt.to_pmt(meta), _VECTOR_MAKERS[self.out_dtype](len(vector), vector.tolist())))

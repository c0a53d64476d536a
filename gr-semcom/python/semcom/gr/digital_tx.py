"""``digital_tx``: a bytes/bits PDU -> CRC-24A + 5G LDPC + QAM symbols PDU."""
from __future__ import annotations

import numpy as np
import torch

from .pdu import PduBlock
from ..phy.digital import DEFAULT_CODEWORD_BITS, DigitalTransmitter

FORMATS = ("bytes", "bits")


def pdu_bits(data, fmt):
    """Message bits (uint8 0/1) of a PDU payload: ``bytes`` are unpacked MSB first."""
    data = np.asarray(data, np.uint8).reshape(-1)
    if fmt == "bytes":
        return np.unpackbits(data)
    if fmt == "bits":
        return (data != 0).astype(np.uint8)
    raise ValueError(f"format must be one of {FORMATS}")


class digital_tx(PduBlock):
    out_dtype = np.complex64

    """Wraps :class:`semcom.phy.DigitalTransmitter` for PDUs.

    Parameters
    ----------
    mcs : name from :data:`semcom.phy.MCS_TABLE` (``"16qam-1/2"``, ...) or ``"ht0"``..``"ht7"``.
    codeword_bits : largest LDPC codeword (coded bits).
    fmt : "bytes" (u8vector of packed bytes, MSB first) or "bits" (one 0/1 per byte).

    Message ports
    -------------
    in : PDU ``(meta, u8vector)``.
    out : PDU ``(meta, c32vector)`` of unit-power symbols; meta gains ``num_bits``, ``mcs``,
        ``codeword_bits``, ``num_blocks`` (all the receiver needs besides the noise variance).
    """

    def __init__(self, mcs="qpsk-1/2", codeword_bits=DEFAULT_CODEWORD_BITS, fmt="bytes"):
        PduBlock.__init__(self, "semcom_digital_tx")
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}")
        self.fmt = fmt
        self.tx = DigitalTransmitter(mcs, int(codeword_bits))

    def modulate(self, data, meta=None):
        """``(symbols complex64 [K], meta)`` of one payload (no GNU Radio involved)."""
        meta = dict(meta or {})
        bits = pdu_bits(data, self.fmt)
        with torch.no_grad():
            x = self.tx(torch.from_numpy(bits.astype(np.float32))[None])
        lay = self.tx.layout(bits.size)
        meta.update(num_bits=int(bits.size), mcs=self.tx.mcs.name, codeword_bits=int(self.tx.codeword_bits),
                    num_blocks=int(lay.num_blocks))
        return x[0].numpy().astype(np.complex64), meta

    def process(self, payload, meta):
        return self.modulate(payload, meta)

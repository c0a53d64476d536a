"""``digital_rx``: a PDU of received symbols -> the decoded bytes/bits PDU with CRC flags."""
from __future__ import annotations

import numpy as np
import pmt
import torch

from .pdu import PduBlock
from ..phy.digital import DEFAULT_CODEWORD_BITS, DigitalReceiver
from ..snr import noise_variance

FORMATS = ("bytes", "bits")
DECODERS = ("fast", "sionna")


def snr_from_message(msg):
    """SNR in dB from an ``snr`` message: a number, a pair ``(key . number)`` or a dict with
    ``snr`` / ``snr_db`` (what :class:`semcom.gr.snr_estimator` publishes). ``None`` if none."""
    if pmt.is_number(msg):
        return float(pmt.to_python(msg))
    if pmt.is_dict(msg):
        d = pmt.to_python(msg) or {}  # PMT_NIL counts as an (empty) dict
        for key in ("snr", "snr_db"):
            if key in d:
                return float(d[key])
        return None
    if pmt.is_pair(msg) and pmt.is_number(pmt.cdr(msg)):
        return float(pmt.to_python(pmt.cdr(msg)))
    return None


class digital_rx(PduBlock):
    out_dtype = np.uint8

    """Wraps :class:`semcom.phy.DigitalReceiver` for PDUs.

    The noise variance per symbol comes, in this order, from the PDU metadata (``noise_var``, or
    ``snr`` in dB), the latest message on the ``snr`` port (dB; e.g. from
    :class:`semcom.gr.snr_estimator`), or the ``snr`` parameter (dB, run-time: :meth:`set_snr`).
    Symbols are expected equalised (unit-power constellation); ``num_bits`` comes from the
    metadata (as :class:`digital_tx` sets it) or the ``num_bits`` parameter.

    Message ports
    -------------
    in : PDU ``(meta, c32vector)``.
    snr : SNR estimates in dB (number, ``(key . number)`` or dict with ``snr``).
    out : PDU ``(meta, u8vector)``; meta gains ``block_ok`` (u8vector, one flag per LDPC block,
        CRC and syndrome passed), ``crc_ok`` (bool, all blocks ok; True for uncoded MCS),
        ``noise_var`` and ``noise_var_source`` ("meta" | "snr_port" | "param").
    """

    def __init__(self, mcs="qpsk-1/2", codeword_bits=DEFAULT_CODEWORD_BITS, decoder="fast", num_iter=20,
                 snr=10.0, fmt="bytes", num_bits=0):
        PduBlock.__init__(self, "semcom_digital_rx")
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}")
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}")
        self.fmt = fmt
        self.num_bits = int(num_bits)
        self.rx = DigitalReceiver(mcs, int(codeword_bits), decoder=decoder, num_iter=int(num_iter))
        self.set_snr(snr)
        self.port_snr = None
        self.message_port_register_in(pmt.intern("snr"))
        self.set_msg_handler(pmt.intern("snr"), self.handle_snr)

    def set_snr(self, snr):
        self.snr = float(snr)

    def handle_snr(self, msg):
        snr = snr_from_message(msg)
        if snr is None or not np.isfinite(snr):
            self.logger.warn("digital_rx: ignoring an snr message without a finite value")
            return
        self.port_snr = snr

    def noise_var(self, meta):
        """``(N0, source)`` by the order of precedence above."""
        if meta.get("noise_var") is not None:
            return float(np.mean(meta["noise_var"])), "meta"
        if meta.get("snr") is not None:
            return noise_variance(float(meta["snr"])), "meta"
        if self.port_snr is not None:
            return noise_variance(self.port_snr), "snr_port"
        return noise_variance(self.snr), "param"

    def demodulate(self, symbols, meta=None):
        """``(payload uint8, meta)`` of one symbol vector (no GNU Radio involved)."""
        meta = dict(meta or {})
        try:
            num_bits = int(meta.get("num_bits", self.num_bits))
            no, source = self.noise_var(meta)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            raise ValueError(f"digital_rx: bad num_bits, noise_var or snr in the metadata ({exc})") from None
        if num_bits <= 0:
            raise ValueError("digital_rx: num_bits neither in the metadata nor set as a parameter")
        if not (np.isfinite(no) and no > 0):
            raise ValueError(f"digital_rx: noise variance {no} is not a positive number")
        y = torch.from_numpy(np.asarray(symbols, np.complex64).reshape(1, -1).copy())
        # more bits than the symbols carry: the receiver's own check (ValueError, nothing allocated)
        with torch.no_grad():
            bits, block_ok = self.rx(y, no, num_bits=num_bits)
        bits = bits[0].numpy().astype(np.uint8)
        ok = np.ones(1, np.uint8) if block_ok is None else block_ok[0].numpy().astype(np.uint8)
        meta.update(block_ok=ok, crc_ok=bool(ok.all()), num_bits=num_bits, noise_var=float(no),
                    noise_var_source=source)
        payload = np.packbits(bits) if self.fmt == "bytes" else bits
        return payload, meta

    def process(self, payload, meta):
        return self.demodulate(payload, meta)

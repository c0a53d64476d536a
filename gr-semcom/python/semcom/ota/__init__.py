"""The over-the-air frame: an 802.11a-like OFDM modem with Schmidl & Cox synchronisation, a
CRC-protected header and the semantic payload (analog and digital streams in one frame).

Pure numpy/torch, no GNU Radio: :class:`FrameTransmitter` turns a one-image
:class:`~semcom.transport.Message` into complex baseband samples, :class:`FrameReceiver` finds and
decodes frames in an unaligned stream of samples. ``semcom.gr.semantic_tx``/``semantic_rx`` wrap
them as GNU Radio blocks.
"""
from .frame import (FrameReceiver, FrameTransmitter, ReceivedFrame, header_symbols,
                    payload_symbols)
from .header import Header, HeaderError, StreamInfo
from .ofdm import CP, FFT, N_DATA, SYMBOL, noise_voltage
from .preamble import PREAMBLE, PREAMBLE_LEN

__all__ = ["FrameTransmitter", "FrameReceiver", "ReceivedFrame", "Header", "HeaderError",
           "StreamInfo", "header_symbols", "payload_symbols", "noise_voltage", "FFT", "CP",
           "SYMBOL", "N_DATA", "PREAMBLE", "PREAMBLE_LEN"]

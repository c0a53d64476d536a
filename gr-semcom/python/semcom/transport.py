"""Messages of named streams and how any message crosses any channel.

A :class:`Message` is what a :class:`~semcom.codecs.SemanticCodec` hands to the physical layer:
named :class:`Stream` s, each analog (a real tensor sent as complex symbols) or digital (bits sent
through CRC + LDPC + QAM). :func:`send_message` puts every stream of a message into one frame of
channel symbols, sends the frame through a :class:`~semcom.channels.Channel`, and gives back the
received message with the CSI.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Optional

import torch

from .channels import get_channel
from .csi import CSI
from .phy import AnalogDemapper, AnalogMapper, DigitalReceiver, DigitalTransmitter, get_mcs
from .phy.digital import DEFAULT_CODEWORD_BITS
from .phy.equalization import EQUALIZERS
from .phy.mcs import MCS

ANALOG, DIGITAL = "analog", "digital"


@dataclass
class Stream:
    """One stream of a message.

    Attributes
    ----------
    kind : ``"analog"`` or ``"digital"``
    data : analog: float [B, *shape] (any real tensor); digital: float [B, L] bits 0/1.
    mcs : MCS of a digital stream.
    codeword_bits : largest LDPC codeword of a digital stream.
    lengths : int64 [B], optional. Valid elements per example (analog: reals; digital: bits) for
        variable-length streams; the rest is padding that is not sent and not counted.
    block_ok : bool [B, blocks], set on a received digital stream: CRC and LDPC syndrome passed.
    """

    kind: str
    data: torch.Tensor
    mcs: Optional[MCS] = None
    codeword_bits: int = DEFAULT_CODEWORD_BITS
    lengths: Optional[torch.Tensor] = None
    block_ok: Optional[torch.Tensor] = None

    def __post_init__(self):
        if self.kind not in (ANALOG, DIGITAL):
            raise ValueError(f"stream kind must be 'analog' or 'digital', not {self.kind!r}")
        if self.kind == DIGITAL:
            if self.data.dim() != 2:
                raise ValueError(f"a digital stream holds bits [B, L], got shape {tuple(self.data.shape)}")
            self.mcs = get_mcs(self.mcs or "qpsk-1/2")

    @property
    def batch(self) -> int:
        return self.data.shape[0]

    @property
    def shape(self) -> tuple:
        """Shape of one example, without the batch dimension."""
        return tuple(self.data.shape[1:])

    def valid_lengths(self) -> torch.Tensor:
        full = math.prod(self.shape)
        if self.lengths is None:
            return torch.full((self.batch,), full, dtype=torch.long)
        return self.lengths.to(torch.long).clamp(0, full)

    def channel_uses(self) -> torch.Tensor:
        """Complex channel uses per example, int64 [B]."""
        if self.kind == ANALOG:
            return (self.valid_lengths() + 1) // 2
        tx = DigitalTransmitter(self.mcs, self.codeword_bits)
        return torch.tensor([tx.channel_uses(int(n)) if n > 0 else 0 for n in self.valid_lengths()])

    def bits(self) -> torch.Tensor:
        """Information bits per example (digital streams), int64 [B]; 0 for analog streams."""
        return self.valid_lengths() if self.kind == DIGITAL else torch.zeros(self.batch, dtype=torch.long)

    @property
    def ok(self) -> Optional[torch.Tensor]:
        """[B] bool: every block of the example passed (received digital streams)."""
        return None if self.block_ok is None else self.block_ok.all(dim=1)


@dataclass
class Message:
    """Named streams for a batch of images, with the accounting every scheme reports.

    ``side_info`` holds what is NOT sent over the channel (a genie, e.g. the capacity bound's
    codestream); it is listed so that nobody mistakes it for transmitted data.
    """

    streams: dict
    image_shape: tuple
    side_info: dict = field(default_factory=dict)

    @property
    def batch(self) -> int:
        if not self.streams:
            raise ValueError("a message without streams has no batch size")
        return next(iter(self.streams.values())).batch

    def channel_uses(self) -> torch.Tensor:
        """K per example, int64 [B]: the sum over streams."""
        return sum(s.channel_uses() for s in self.streams.values())

    def cbr(self) -> torch.Tensor:
        """Channel bandwidth ratio K / (C*H*W) per example."""
        return self.channel_uses().double() / math.prod(self.image_shape)

    def compression_ratio(self) -> torch.Tensor:
        """Input dimensions over transmitted real dimensions (SC-SIC's figure): C*H*W / (2K)."""
        return math.prod(self.image_shape) / (2 * self.channel_uses().double())

    def bits(self) -> torch.Tensor:
        return sum(s.bits() for s in self.streams.values())

    def bpp(self) -> torch.Tensor:
        return self.bits().double() / (self.image_shape[-1] * self.image_shape[-2])


def _equalize(y, csi: CSI, equalizer: str):
    if csi.equalized or csi.gain is None:
        return y, csi.noise_var
    return EQUALIZERS[equalizer](y, csi.gain, csi.noise_var)


def send_message(message: Message, channel, snr_db, equalizer: str = "zf", decoder: str = "fast",
                 generator: torch.Generator | None = None):
    """Send every stream of ``message`` through ``channel`` at ``snr_db``.

    Complex channels: all streams are mapped to symbols (analog: :class:`AnalogMapper`; digital:
    :class:`DigitalTransmitter`), concatenated into one frame per example, sent together (so a
    block-fading gain is shared by the whole frame), equalised with ``equalizer`` ("zf" or
    "mmse") when the channel fades, and demapped/decoded. Real channels (``channel.real``) take
    analog streams as they are; digital streams then cross complex AWGN at the same SNR.

    Parameters
    ----------
    message : Message
    channel : Channel or str (registry name)
    snr_db : float or [B]
    equalizer : "zf" hands decoders ``x + n/h`` (what AWGN-trained decoders expect); "mmse" shrinks.
    decoder : LDPC decoder, "fast" or "sionna".

    Returns
    -------
    (Message, CSI) : the received message (digital streams carry ``block_ok``) and the CSI.
    """
    if isinstance(channel, str):
        channel = get_channel(channel, generator=generator)
    received, frame, slices, csi = {}, [], {}, None
    complex_channel = channel
    if channel.real:
        complex_channel = get_channel("awgn", generator=channel.generator)
    pos = 0
    for name, stream in message.streams.items():
        if stream.kind == ANALOG and channel.real:
            y, csi = channel(_mask(stream.data, stream.lengths), snr_db)
            received[name] = replace(stream, data=_mask(y, stream.lengths))
            continue
        if stream.kind == ANALOG:
            x, scale = AnalogMapper()(_mask(stream.data, stream.lengths))
            if stream.lengths is not None:
                # Only the valid symbols are sent: renormalise over them.
                uses = stream.channel_uses()
                mask = torch.arange(x.shape[1])[None, :] < uses[:, None]
                fix = torch.sqrt(x.shape[1] / uses.clamp_min(1).double()).float()
                x, scale = x * mask * fix[:, None], scale * fix
            slices[name] = (pos, pos + x.shape[1], scale)
        else:
            x = DigitalTransmitter(stream.mcs, stream.codeword_bits)(stream.data)
            slices[name] = (pos, pos + x.shape[1], None)
        frame.append(x)
        pos += x.shape[1]
    if frame:
        y, csi = complex_channel(torch.cat(frame, dim=1), snr_db)
        y, no = _equalize(y, csi, equalizer)
        for name, (start, stop, scale) in slices.items():
            stream = message.streams[name]
            part = y[:, start:stop]
            part_no = no if no is None or no.dim() < 2 else no[:, start:stop]
            if stream.kind == ANALOG:
                data = AnalogDemapper()(part, scale, stream.shape)
                received[name] = replace(stream, data=_mask(data, stream.lengths))
            else:
                rx = DigitalReceiver(stream.mcs, stream.codeword_bits, decoder=decoder)
                bits, ok = rx(part, part_no, num_bits=stream.data.shape[1])
                if ok is None:  # uncoded: nothing can be checked
                    ok = torch.ones(bits.shape[0], 1, dtype=torch.bool)
                received[name] = replace(stream, data=bits, block_ok=ok)
    return replace(message, streams={n: received[n] for n in message.streams}), csi


def _mask(data, lengths):
    if lengths is None:
        return data
    flat = data.reshape(data.shape[0], -1)
    keep = torch.arange(flat.shape[1], device=data.device)[None, :] < lengths.to(data.device)[:, None]
    return (flat * keep).reshape(data.shape)

"""Channel state information: what a receiver may know about the channel."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import torch


@dataclass
class CSI:
    """What the channel tells the receiver (perfect CSI) or what the receiver estimated.

    Attributes
    ----------
    snr_db : torch.Tensor, float32, [B]
        SNR in dB per example, in the convention of :mod:`semcom.snr`.
    gain : torch.Tensor, complex64, [B] or [B, n], optional
        Flat-fading gain(s) the channel applied: one per example (block fading) or one per
        symbol (fast fading). ``None`` for AWGN (gain 1).
    noise_var : torch.Tensor, float32, [B] or [B, n], optional
        Noise variance per complex symbol of the output ``y``. For equalised outputs
        (``equalized=True``) it is the post-equalisation noise variance per symbol.
    equalized : bool
        True when the channel's output is already equalised (OFDM links with estimation).
    estimated : bool
        True when the values were estimated by a receiver rather than given by the channel.
    """

    snr_db: torch.Tensor
    gain: Optional[torch.Tensor] = None
    noise_var: Optional[torch.Tensor] = None
    equalized: bool = False
    estimated: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_snr(cls, snr_db, batch_size: int, device=None) -> "CSI":
        """SNR-only CSI, broadcast to ``batch_size`` examples."""
        snr = torch.as_tensor(snr_db, dtype=torch.float32, device=device)
        snr = snr.reshape(-1).expand(batch_size).clone() if snr.numel() == 1 else snr.reshape(batch_size)
        return cls(snr_db=snr, noise_var=torch.pow(10.0, -snr / 10.0))

    def select(self, index) -> "CSI":
        """CSI of a subset of the batch (``index`` as for tensor indexing along dim 0)."""
        pick = lambda t: None if t is None else t[index]
        return replace(self, snr_db=self.snr_db[index], gain=pick(self.gain), noise_var=pick(self.noise_var))


def decoder_snr_db(csi: Optional[CSI]) -> Optional[torch.Tensor]:
    """SNR [B] in dB a receiver feeds an SNR-adaptive decoder.

    With one fading gain per example (block fading, ``csi.gain`` [B], not yet equalised) the
    zero-forced symbols have SNR ``snr_db + 10 log10 |h|^2``; otherwise (AWGN, per-symbol gains,
    already equalised links) it is ``csi.snr_db``. ``None`` for ``csi=None``.
    """
    if csi is None:
        return None
    snr = torch.as_tensor(csi.snr_db, dtype=torch.float32).reshape(-1)
    gain = csi.gain
    if gain is not None and not csi.equalized and gain.dim() == 1 and gain.numel() == snr.numel():
        power = gain.detach().abs().square().float().to(snr.device).clamp_min(1e-12)
        snr = snr + 10.0 * torch.log10(power)
    return snr


def snr_per_example(snr_db, batch: int, device=None, allow_nonfinite: bool = False) -> torch.Tensor:
    """``snr_db`` (a number or [B], dB) as float32 [B]: a single value is broadcast to the batch.
    ValueError for another number of values, or for NaN / Inf unless ``allow_nonfinite``."""
    snr = torch.as_tensor(snr_db, dtype=torch.float32, device=device).reshape(-1)
    if snr.numel() == 1:
        snr = snr.expand(batch)
    if snr.numel() != batch:
        raise ValueError(f"{snr.numel()} SNR values for a batch of {batch}")
    if not allow_nonfinite and not torch.isfinite(snr).all():
        raise ValueError(f"the SNR must be finite, got {snr.tolist()}")
    return snr

"""DeepJSCC (Bourtsoulatze et al. 2019; SNR-adaptive ADJSCC variant) as a :class:`SemanticCodec`.

The latent of :class:`semcom.models.deepjscc.DeepJSCC` is sent as one analog stream ``"z"``;
the transport's :class:`~semcom.phy.AnalogMapper` normalises its power. An SNR-adaptive model takes
the SNR from the CSI on both sides: the transmitter uses ``csi.snr_db`` (the average SNR: it does
not know the fading gain), the receiver uses :func:`decoder_snr_db`, the SNR of what it actually
received after zero forcing (``csi.snr_db + 10 log10 |h|^2`` for block fading).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from ..csi import CSI, decoder_snr_db, snr_per_example
from ..transport import ANALOG, Message, Stream
from .base import SemanticCodec

TRAIN_SCRIPT = "scripts/train_deepjscc.py"


def default_model_dir() -> Path:
    from .. import models_dir
    return Path(models_dir()) / "deepjscc"


class DeepJSCCCodec(SemanticCodec):
    """DeepJSCC: CNN encoder -> one analog stream ``"z"`` -> CNN decoder.

    Parameters
    ----------
    model_dir : str or Path, optional
        Folder with ``config.json`` and safetensors weights (``DeepJSCC.save_pretrained``);
        default ``semcom.models_dir() / "deepjscc"``.
    device : str
        Torch device to run the network on.
    """

    name = "deepjscc"
    description = "DeepJSCC (Bourtsoulatze 2019, ADJSCC SNR-adaptive), analog latent"

    def __init__(self, model_dir=None, device: str = "cpu"):
        super().__init__()
        from ..models.deepjscc import DeepJSCC
        from ..models.loading import load_component

        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(
                f"no DeepJSCC model in {self.model_dir} (config.json missing); train and export one "
                f"with `python {TRAIN_SCRIPT} --out {self.model_dir}` or point model_dir at one")
        self.device = torch.device(device)
        self.model = load_component(DeepJSCC, self.model_dir, "DeepJSCC model").to(self.device)
        cfg = self.model.config
        kind = "SNR-adaptive" if cfg.snr_adaptive else "fixed-SNR"
        self.description = (f"DeepJSCC {kind}, c={cfg.latent_channels}, D={cfg.num_down}, "
                            f"CBR={self.model.cbr():.4g}")

    @property
    def snr_adaptive(self) -> bool:
        return bool(self.model.config.snr_adaptive)

    def cbr(self) -> float:
        return self.model.cbr()

    def _snr(self, snr_db, batch: int):
        if not self.snr_adaptive:
            return None
        if snr_db is None:
            raise ValueError("this DeepJSCC model is SNR-adaptive: pass a CSI with the SNR "
                             "(e.g. CSI.from_snr(snr_db, batch)) to encode() and decode()")
        return snr_per_example(snr_db, batch, allow_nonfinite=True).to(self.device)

    @torch.no_grad()
    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        images = self.check_images(images)
        self.model.latent_shape(images.shape[2], images.shape[3])  # clear error on bad sizes
        snr = self._snr(None if csi is None else csi.snr_db, images.shape[0])
        z = self.model.encode(images.to(self.device), snr).float().cpu()
        return Message(streams={"z": Stream(kind=ANALOG, data=z)}, image_shape=tuple(images.shape[1:]))

    @torch.no_grad()
    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        if "z" not in message.streams:
            raise ValueError(f"a DeepJSCC message has one stream 'z', got {list(message.streams)}")
        z = message.streams["z"].data
        expected = self.model.latent_shape(*message.image_shape[-2:])
        if tuple(z.shape[1:]) != expected:
            raise ValueError(f"stream 'z' has shape {tuple(z.shape[1:])}, expected {expected} for "
                             f"images {tuple(message.image_shape)}")
        z = torch.nan_to_num(z.float(), nan=0.0, posinf=0.0, neginf=0.0)
        snr = self._snr(decoder_snr_db(csi), z.shape[0])
        images = self.model.decode(z.to(self.device), snr).float().cpu().clamp(0, 1)
        self.last_failures = [None] * images.shape[0]
        return images


__all__ = ["DeepJSCCCodec", "decoder_snr_db", "default_model_dir"]

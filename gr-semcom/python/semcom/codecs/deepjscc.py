"""Deep JSCC as a :class:`SemanticCodec`: Bourtsoulatze et al. 2019 (with the SNR-adaptive
ADJSCC variant, :class:`semcom.models.deepjscc.DeepJSCC`) or Yang and Kim's SNR-adaptive CNN JSCC
(:class:`semcom.models.snr_jscc.SNRAdaptiveJSCC`, DiffJSCC's first stage), whichever class the
model folder's ``config.json`` names.

The latent is sent as one analog stream ``"z"``; the transport's :class:`~semcom.phy.AnalogMapper`
normalises its power. The transmitter tells the encoder ``csi.snr_db`` (the average SNR: it does
not know the fading gain). The receiver tells the decoder what it has after zero forcing: the
ADJSCC model gets :func:`decoder_snr_db` (``csi.snr_db + 10 log10 |h|^2`` for block fading), the
Yang-Kim model the average SNR and the gain h itself (one per image; h = 1 when the link
equalised already, as the over-the-air receiver does).
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
        from ..models.loading import load_component, read_json
        from ..models.snr_jscc import SNRAdaptiveJSCC

        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(
                f"no DeepJSCC model in {self.model_dir} (config.json missing); train and export one "
                f"with `python {TRAIN_SCRIPT} --out {self.model_dir}` or point model_dir at one")
        classes = {cls.__name__: cls for cls in (DeepJSCC, SNRAdaptiveJSCC)}
        name = read_json(self.model_dir / "config.json", "DeepJSCC config").get("_class_name", "DeepJSCC")
        if name not in classes:
            raise ValueError(f"{self.model_dir / 'config.json'} is a {name!r}, not one of {sorted(classes)}")
        self.device = torch.device(device)
        self.model = load_component(classes[name], self.model_dir, "DeepJSCC model").to(self.device)
        self.yang_kim = isinstance(self.model, SNRAdaptiveJSCC)
        cfg = self.model.config
        if self.yang_kim:
            self.description = (f"SNR-adaptive CNN JSCC (Yang-Kim), C={cfg.latent_channels}, D={cfg.num_down}, "
                                f"rho=1/{1 / self.model.cbr():.0f}")
        else:
            kind = "SNR-adaptive" if cfg.snr_adaptive else "fixed-SNR"
            self.description = (f"DeepJSCC {kind}, c={cfg.latent_channels}, D={cfg.num_down}, "
                                f"CBR={self.model.cbr():.4g}")

    @property
    def snr_adaptive(self) -> bool:
        return self.yang_kim or bool(self.model.config.snr_adaptive)

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
        if self.yang_kim:
            snr = self._snr(None if csi is None else csi.snr_db, z.shape[0])
            images = self.model.decode(z.to(self.device), snr, _block_gain(csi, z.shape[0]))
        else:
            images = self.model.decode(z.to(self.device), self._snr(decoder_snr_db(csi), z.shape[0]))
        images = images.float().cpu().clamp(0, 1)
        self.last_failures = [None] * images.shape[0]
        return images


def _block_gain(csi: Optional[CSI], batch: int):
    """The one fading gain per image the receiver zero-forced with (None: AWGN, per-symbol
    gains, or a link that equalised already and passes h = 1)."""
    if csi is None or csi.gain is None or csi.equalized or csi.gain.dim() != 1 or csi.gain.numel() != batch:
        return None
    return csi.gain


__all__ = ["DeepJSCCCodec", "decoder_snr_db", "default_model_dir"]

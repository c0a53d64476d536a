"""SC-SIC (seed 000: Khalid et al., "Efficient and Robust Semantic Image Communication via Stable
Cascade") as a :class:`SemanticCodec`.

Transmitter: the semantic encoder (Stable Cascade's EfficientNet encoder layout) maps the image to
an embedding [16, h, w], sent as ONE analog stream ``"z"`` (no quantisation or channel coding, as
in the seed). Receiver: Stage B (``StableCascadeUNet``) samples Stage A latents conditioned on the
received embedding, Stage A (``PaellaVQModel``) decodes them. The receiver uses no CSI (the seed:
robustness comes only from fine-tuning Stage B on noisy embeddings).

The seed's channel is ``awgn-real`` (real AWGN on the embedding at SNR = P / sigma^2); over complex
channels the transport's ``AnalogMapper`` packs two reals per complex symbol at unit power.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from ..csi import CSI
from ..transport import ANALOG, Message, Stream
from .base import SemanticCodec

TRAIN_SCRIPT = "scripts/train_sc_sic.py"


def default_model_dir() -> Path:
    from .. import models_dir
    return Path(models_dir()) / "sc-sic"


class SCSICCodec(SemanticCodec):
    """SC-SIC: EfficientNet embedding -> analog stream ``"z"`` -> Stage B sampling -> Stage A decode.

    Parameters
    ----------
    model_dir : str or Path, optional
        An SC-SIC folder in Stable Cascade's layout (``vqgan/``, ``effnet/``, ``decoder/``,
        ``scheduler/``); default ``semcom.models_dir() / "sc-sic"``.
    steps : int, optional
        Stage B sampling steps (default: the folder's ``pipeline_config.json``).
    sampler : str, optional
        ``"wuerstchen"``, ``"ddim"`` or ``"dpm"`` (default: the folder's scheduler).
    seed : int or None
        Seed of Stage B's sampling noise, reset at every ``decode`` (decoding is deterministic for
        a fixed seed); ``None`` draws from torch's global generator (new samples every call).
    decoder_dir : str or Path, optional
        A Stage B folder (``StableCascadeUNet`` config + safetensors) replacing the model's
        ``decoder/``, e.g. ``models/sc-sic/ablation/decoder`` (Stage B trained on clean embeddings
        only, the seed's Fig. 8a ablation).
    device : str
    """

    name = "sc-sic"
    description = "SC-SIC (Stable Cascade encoder + Stage B + Stage A), analog embedding"

    def __init__(self, model_dir=None, steps: Optional[int] = None, sampler: Optional[str] = None,
                 seed: Optional[int] = 0, decoder_dir=None, device: str = "cpu"):
        super().__init__()
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not (self.model_dir / "decoder").is_dir() or not (self.model_dir / "effnet").is_dir():
            raise FileNotFoundError(
                f"no SC-SIC model in {self.model_dir} (needs vqgan/, effnet/, decoder/, scheduler/); train and "
                f"export one with `python {TRAIN_SCRIPT} stage-a`, `... pretrain`, `... finetune --out "
                f"{self.model_dir}` or point model_dir at one")
        from ..models.sc_sic.pipeline import SAMPLERS, SCSICPipeline
        if sampler is not None and sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; known: {', '.join(SAMPLERS)}")
        self.device = torch.device(device)
        self.pipe = SCSICPipeline.from_pretrained(self.model_dir)
        if decoder_dir is not None:
            from diffusers.models.unets.unet_stable_cascade import StableCascadeUNet
            decoder_dir = Path(decoder_dir)
            if not (decoder_dir / "config.json").is_file():
                raise FileNotFoundError(f"no Stage B (config.json) in decoder_dir={decoder_dir}")
            self.pipe.decoder = StableCascadeUNet.from_pretrained(
                str(decoder_dir), use_safetensors=True, local_files_only=True, low_cpu_mem_usage=False).eval()
        self.pipe = self.pipe.to(self.device)
        self.steps = int(steps) if steps is not None else int(self.pipe.options["num_inference_steps"])
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.sampler = sampler or self.pipe.options["sampler"]
        self.seed = None if seed is None else int(seed)
        self.description = f"SC-SIC, {self.sampler} sampler, {self.steps} Stage B steps" + (
            f", Stage B from {decoder_dir}" if decoder_dir is not None else "")

    def embedding_shape(self, height: int, width: int) -> tuple:
        """Shape [16, h, w] of the embedding of an H x W image."""
        return self.pipe.embedding_shape(height, width)

    def _check_size(self, height: int, width: int):
        d = self.pipe.effnet.downscale
        self.pipe.latent_shape(height, width)  # Stage A's factor
        if self.pipe.effnet_input_scale == 1.0 and (height % d or width % d):
            raise ValueError(f"SC-SIC needs image sides that are multiples of the encoder's stride {d}, "
                             f"got {height}x{width}")

    @torch.no_grad()
    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        images = self.check_images(images)
        self._check_size(images.shape[2], images.shape[3])
        z = self.pipe.encode(images.to(self.device)).float().cpu()
        return Message(streams={"z": Stream(kind=ANALOG, data=z)}, image_shape=tuple(images.shape[1:]))

    @torch.no_grad()
    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        if "z" not in message.streams:
            raise ValueError(f"an SC-SIC message has one stream 'z', got {list(message.streams)}")
        z = message.streams["z"].data
        h, w = message.image_shape[-2:]
        expected = self.embedding_shape(h, w)
        if tuple(z.shape[1:]) != expected:
            raise ValueError(f"stream 'z' has shape {tuple(z.shape[1:])}, expected {expected} for images "
                             f"{tuple(message.image_shape)}")
        z = torch.nan_to_num(z.float(), nan=0.0, posinf=0.0, neginf=0.0).to(self.device)
        gen = None if self.seed is None else torch.Generator(device=self.device).manual_seed(self.seed)
        images = self.pipe.decode(z, image_size=(h, w), num_inference_steps=self.steps, sampler=self.sampler,
                                  generator=gen).float().cpu().clamp(0, 1)
        self.last_failures = [None] * images.shape[0]
        return images


__all__ = ["SCSICCodec", "default_model_dir"]

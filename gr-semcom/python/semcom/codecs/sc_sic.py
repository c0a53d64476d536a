"""SC-SIC (seed 000: Khalid et al., "Efficient and Robust Semantic Image Communication via Stable
Cascade") as a :class:`SemanticCodec`.

Transmitter: the semantic encoder (Stable Cascade's EfficientNet encoder layout) maps the image to
an embedding [16, h, w], sent as ONE analog stream ``"z"`` (no quantisation or channel coding, as
in the seed). Receiver: Stage B (``StableCascadeUNet``) samples Stage A latents conditioned on the
received embedding, Stage A (``PaellaVQModel``) decodes them. In the seed the receiver uses no CSI:
robustness comes only from fine-tuning Stage B on noisy embeddings, and the shipped model does the
same when it is given no CSI. Given the CSI (:func:`semcom.csi.decoder_snr_db`, the receiver's SNR),
the shipped model's receiver switches Stage B: the noise-fine-tuned one below ``high_snr_from_db``,
from there the one trained on clean embeddings (``pipeline_config.json``: ``high_snr_decoder``),
which is the better of the two at high SNR. A Stage B fine-tuned with the SNR as input
(``"snr_conditioning": true``; ``scripts/train_sc_sic.py finetune --snr-conditioning``) takes that
SNR as well.

The seed's channel is ``awgn-real`` (real AWGN on the embedding at SNR = P / sigma^2); over complex
channels the transport's ``AnalogMapper`` packs two reals per complex symbol at unit power.

Models load through :func:`semcom.models.sc_sic.upstream.load_stable_cascade`: gr-semcom's layout
(``effnet/``) or Stable Cascade's published one (``effnet_encoder.safetensors``, ``decoder/`` or
``decoder_lite/``).

Damaged received embeddings are repaired, counted and decoded, not failed: non-finite values are
erased (set to 0) and values beyond :data:`EMBEDDING_BOUND` clipped; the counts per image are in
``last_erased`` / ``last_clipped`` and a description in ``last_repairs``. ``last_failures`` keeps the
codecs' meaning (nothing usable delivered, the image is replaced by an erasure in evaluation): an
embedding with no finite value at all, or a non-finite reconstruction.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import torch

from ..csi import CSI, decoder_snr_db, snr_per_example
from ..transport import ANALOG, Message, Stream
from .base import SemanticCodec

# The encoder ends in BatchNorm2d(affine=False): the clean embedding has unit std per channel, so
# |z| > 1000 (1000 x that std; still ~32 noise stds at -30 dB SNR, noise std 31.6) is damage.
EMBEDDING_BOUND = 1e3
# What an SNR-conditioned Stage B is told when the receiver's SNR estimate is not finite: the
# bottom of its training range (it then leans least on the embedding).
FALLBACK_SNR_DB = 1.0


def default_model_dir() -> Path:
    from .. import models_dir
    return Path(models_dir()) / "sc-sic"


def native_image_size(model_dir=None) -> int:
    """The side the SC-SIC model in ``model_dir`` (default: the shipped one) was trained at: its
    ``pipeline_config.json``'s ``image_size``, else 64. Reads only that file (no torch model)."""
    from ..models.sc_sic.pipeline import image_size_from_options
    path = (Path(model_dir) if model_dir is not None else default_model_dir()) / "pipeline_config.json"
    try:
        options = json.loads(path.read_text())
    except (OSError, ValueError):
        options = {}
    return image_size_from_options(options)


class SCSICCodec(SemanticCodec):
    """SC-SIC: EfficientNet embedding -> analog stream ``"z"`` -> Stage B sampling -> Stage A decode.

    Parameters
    ----------
    model_dir : str or Path, optional
        An SC-SIC folder in gr-semcom's layout (``vqgan/``, ``effnet/``, ``decoder/``,
        ``scheduler/``) or Stable Cascade's (``effnet_encoder.safetensors`` instead of ``effnet/``,
        ``decoder/`` or ``decoder_lite/``); default ``semcom.models_dir() / "sc-sic"``.
    decoder_subfolder : str, optional
        Stage B's subfolder, e.g. ``"decoder_lite"`` (default: ``decoder/`` if present, else
        ``decoder_lite/``).
    steps : int, optional
        Stage B sampling steps (default: the folder's ``pipeline_config.json``).
    sampler : str, optional
        ``"wuerstchen"``, ``"ddim"`` or ``"dpm"`` (default: the folder's scheduler).
    guidance : float, optional
        Classifier-free guidance scale on the received embedding (the zero embedding as the
        unconditional input; 1 = none; default: the folder's ``pipeline_config.json``
        ``guidance_scale``, else 1). Above 1 each Stage B step runs the decoder twice.
    seed : int or None
        Seed of Stage B's sampling noise, reset at every ``decode`` (decoding is deterministic for
        a fixed seed); ``None`` draws from torch's global generator (new samples every call).
    decoder_dir : str or Path, optional
        A Stage B folder (``StableCascadeUNet`` config + safetensors) replacing the model's
        ``decoder/``, e.g. ``models/sc-sic/ablation/decoder`` (Stage B trained on clean embeddings
        only, the seed's Fig. 8a ablation); it then decodes at every SNR (no high-SNR switch).
    high_snr_from_db : float, optional
        The receiver SNR [dB] from which the model's high-SNR Stage B decodes (default: the
        folder's ``pipeline_config.json``); ``inf`` never uses it (the fine-tuned Stage B at every
        SNR, as in the seed). Needs the CSI at :meth:`decode`; without it ``decoder/`` decodes.
    snr_conditioning : bool, optional
        Whether Stage B takes the receiver's SNR (then :meth:`decode` needs the CSI). Default: the
        folder's ``pipeline_config.json``; with ``decoder_dir``, False (the shipped ablation and
        pretrain Stage Bs were trained without the SNR).
    device : str
    """

    name = "sc-sic"
    description = "SC-SIC (Stable Cascade encoder + Stage B + Stage A), analog embedding"

    def __init__(self, model_dir=None, steps: Optional[int] = None, sampler: Optional[str] = None,
                 seed: Optional[int] = 0, decoder_dir=None, device: str = "cpu",
                 decoder_subfolder: Optional[str] = None, snr_conditioning: Optional[bool] = None,
                 guidance: Optional[float] = None, high_snr_from_db: Optional[float] = None):
        super().__init__()
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        from ..models.loading import load_component
        from ..models.sc_sic.pipeline import SAMPLERS
        from ..models.sc_sic.upstream import load_stable_cascade
        if sampler is not None and sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; known: {', '.join(SAMPLERS)}")
        self.device = torch.device(device)
        overrides = {}
        if decoder_dir is not None:
            if high_snr_from_db is not None:
                raise ValueError("decoder_dir replaces Stage B at every SNR: it cannot be combined with high_snr_from_db")
            overrides["high_snr_decoder"] = None  # not loaded: one Stage B at every SNR
        elif high_snr_from_db is not None:
            if isinstance(high_snr_from_db, bool) or not isinstance(high_snr_from_db, (int, float)):
                raise ValueError(f"high_snr_from_db must be a number of dB (inf: never), got {high_snr_from_db!r}")
            overrides["high_snr_from_db"] = high_snr_from_db  # checked by the pipeline
        self.pipe = load_stable_cascade(self.model_dir, decoder_subfolder=decoder_subfolder, options=overrides)
        if decoder_dir is not None:
            from diffusers.models.unets.unet_stable_cascade import StableCascadeUNet
            self.pipe.decoder = load_component(StableCascadeUNet, Path(decoder_dir), "Stage B (decoder_dir)")
            self.pipe.options["snr_conditioning"] = False
        if snr_conditioning is not None:  # a bool, or 0 / 1 as codec specs may parse it
            if snr_conditioning not in (True, False):
                raise ValueError(f"snr_conditioning must be true or false, got {snr_conditioning!r}")
            self.pipe.options["snr_conditioning"] = bool(snr_conditioning)
        self.pipe = self.pipe.to(self.device)
        self.last_erased: list = []
        self.last_clipped: list = []
        self.last_repairs: list = []
        self.steps = int(steps) if steps is not None else int(self.pipe.options["num_inference_steps"])
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.sampler = sampler or self.pipe.options["sampler"]
        self.guidance = self.pipe.guidance_scale(guidance)
        self.seed = None if seed is None else int(seed)
        self.description = f"SC-SIC, {self.sampler} sampler, {self.steps} Stage B steps" + (
            f", guidance {self.guidance:g}" if self.guidance != 1.0 else "") + (
            ", SNR-conditioned" if self.snr_conditioned else "") + (
            f", high-SNR Stage B from {self.pipe.high_snr_from_db:g} dB"
            if self.pipe.high_snr_from_db is not None else "") + (
            f", Stage B from {decoder_dir}" if decoder_dir is not None else "")

    @property
    def snr_conditioned(self) -> bool:
        """True if Stage B takes the receiver's SNR (:meth:`decode` then needs the CSI)."""
        return self.pipe.snr_conditioned

    def embedding_shape(self, height: int, width: int) -> tuple:
        """Shape [16, h, w] of the embedding of an H x W image."""
        return self.pipe.embedding_shape(height, width)

    def _check_size(self, height: int, width: int):
        """ValueError unless H x W fits Stage A x Stage B's patch size and the encoder's stride."""
        self.pipe.check_image_size(height, width)

    @property
    def native_image_size(self) -> int:
        """The side the loaded model was trained at (64 if its folder does not say)."""
        return self.pipe.native_image_size

    @torch.no_grad()
    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        images = self.check_images(images)
        self._check_size(images.shape[2], images.shape[3])
        if images.shape[0] == 0:
            z = torch.zeros((0, *self.embedding_shape(images.shape[2], images.shape[3])))
        else:
            z = self.pipe.encode(images.to(self.device)).float().cpu()
        return Message(streams={"z": Stream(kind=ANALOG, data=z)}, image_shape=tuple(images.shape[1:]))

    @torch.no_grad()
    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        if "z" not in message.streams:
            raise ValueError(f"an SC-SIC message has one stream 'z', got {list(message.streams)}")
        z = message.streams["z"].data
        if not torch.is_tensor(z):
            raise ValueError(f"stream 'z' must be a tensor, got {type(z).__name__}")
        h, w = message.image_shape[-2:]
        self._check_size(h, w)
        expected = self.embedding_shape(h, w)
        if z.dim() != 4 or tuple(z.shape[1:]) != expected:
            raise ValueError(f"stream 'z' has shape {tuple(z.shape)}, expected [B, {', '.join(map(str, expected))}] "
                             f"for images {tuple(message.image_shape)}")
        b = z.shape[0]
        self.last_erased, self.last_clipped, self.last_repairs, self.last_failures = [], [], [], []
        if b == 0:
            return torch.zeros(0, 3, h, w)
        snr, snr_repairs = self._receiver_snr(csi, b)
        z, erased, clipped = sanitize_embedding(z)
        gen = None if self.seed is None else torch.Generator(device=self.device).manual_seed(self.seed)
        images = self.pipe.decode(z.to(self.device), image_size=(h, w), num_inference_steps=self.steps,
                                  sampler=self.sampler, generator=gen, snr_db=snr,
                                  guidance_scale=self.guidance).float().cpu()
        bad_out = (~torch.isfinite(images)).flatten(1).sum(1)
        images = torch.nan_to_num(images, nan=0.5, posinf=1.0, neginf=0.0).clamp(0, 1)
        n = z[0].numel()
        for i in range(b):
            e, c = int(erased[i]), int(clipped[i])
            repairs = [f"{e} of {n} non-finite values erased"] * bool(e) + \
                      [f"{c} values clipped to +-{EMBEDDING_BOUND:g}"] * bool(c)
            notes = (["embedding: " + ", ".join(repairs)] if repairs else []) + \
                    ([snr_repairs[i]] if snr_repairs[i] else [])
            self.last_erased.append(e)
            self.last_clipped.append(c)
            self.last_repairs.append("; ".join(notes) if notes else None)
            if e == n:
                self.last_failures.append(f"embedding: all {n} values non-finite")
            elif int(bad_out[i]):
                self.last_failures.append(f"decode: {int(bad_out[i])} non-finite output values")
            else:
                self.last_failures.append(None)
        return images

    def _receiver_snr(self, csi: Optional[CSI], batch: int):
        """``(snr_db [B] or None, notes [B])``: the SNR Stage B is chosen by (high-SNR switch) and an
        SNR-conditioned Stage B is given. A non-finite estimate is replaced by
        :data:`FALLBACK_SNR_DB` and noted."""
        if not self.snr_conditioned and self.pipe.high_snr_from_db is None:
            return None, [None] * batch
        snr = decoder_snr_db(csi)
        if snr is None and not self.snr_conditioned:
            return None, [None] * batch  # no CSI: the noise-fine-tuned Stage B, as in the seed
        if snr is None:
            raise ValueError("this SC-SIC Stage B is SNR-conditioned: pass the receiver's CSI "
                             "(e.g. CSI.from_snr(snr_db, batch)) to decode()")
        snr = snr_per_example(snr, batch, allow_nonfinite=True)
        bad = ~torch.isfinite(snr)
        notes = [f"snr: estimate {float(v)} replaced by {FALLBACK_SNR_DB:g} dB" if flag else None
                 for v, flag in zip(snr.tolist(), bad.tolist())]
        return torch.where(bad, torch.full_like(snr, FALLBACK_SNR_DB), snr), notes


def sanitize_embedding(z: torch.Tensor, bound: float = EMBEDDING_BOUND):
    """``(z', erased, clipped)``: non-finite values of ``z`` [B, ...] set to 0, the rest clipped to
    +-``bound``; ``erased`` / ``clipped`` count the changed values per batch entry."""
    z = z.float()
    finite = torch.isfinite(z)
    erased = (~finite).flatten(1).sum(1)
    z = torch.where(finite, z, torch.zeros((), dtype=z.dtype))
    clipped = (z.abs() > bound).flatten(1).sum(1)
    return z.clamp(-bound, bound), erased, clipped


__all__ = ["SCSICCodec", "default_model_dir", "native_image_size", "sanitize_embedding", "EMBEDDING_BOUND"]

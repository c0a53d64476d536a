"""SC-SIC as a diffusers pipeline: semantic encoder -> (channel) -> Stage B sampling -> Stage A decode.

:class:`SCSICPipeline` keeps diffusers' split of model / scheduler / pipeline:

- ``vqgan``:     Stage A, :class:`diffusers.pipelines.wuerstchen.PaellaVQModel`
- ``effnet``:    the semantic encoder, :class:`~semcom.models.sc_sic.effnet.EfficientNetEncoder`
- ``decoder``:   Stage B, :class:`diffusers.StableCascadeUNet` (noise prediction, no text)
- ``scheduler``: a diffusers scheduler (:func:`make_scheduler`: ``"wuerstchen"`` =
  ``DDPMWuerstchenScheduler``, Stable Cascade's own cosine schedule on the timestep ratio;
  ``"ddim"`` / ``"dpm"`` = ``DDIMScheduler`` / ``DPMSolverMultistepScheduler`` on the same cosine
  schedule discretised to 1000 steps, trailing timestep spacing, the model conditioned on the
  ratio recovered from alpha_cumprod as ``StableCascadeDecoderPipeline`` does)

Folder layout (Stable Cascade's diffusers layout): ``vqgan/``, ``effnet/``, ``decoder/``,
``scheduler/`` (config + safetensors each), ``model_index.json`` and ``pipeline_config.json``
(the default sampler, step count, ``effnet_input_scale``: the encoder sees the image resized
by this factor, 0.75 in Stable Cascade, 1.0 in the tiny CPU model; and ``image_size``, the side
the model was trained at, ``None`` if unknown).

A folder may hold a second Stage B for high SNRs (``pipeline_config.json``: ``high_snr_decoder``,
its subfolder, and ``high_snr_from_db``): :meth:`SCSICPipeline.decode` then samples each example
whose receiver SNR is at least ``high_snr_from_db`` with it, the others with ``decoder/``. The
shipped model pairs the noise-fine-tuned Stage B with one trained on clean embeddings only, which
is the better of the two from about 10 dB up.

Every model is loaded by the project's checked loader (:func:`semcom.models.loading.load_component`):
missing, unexpected, mis-shaped or wrongly typed weights, bad configs and unreadable files raise a
``ValueError`` / ``FileNotFoundError`` naming the file and tensor (diffusers itself only logs a
warning and leaves missing weights at their random initialisation).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMWuerstchenScheduler, DPMSolverMultistepScheduler
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.pipelines.wuerstchen.modeling_paella_vq_model import PaellaVQModel
from diffusers.models.unets.unet_stable_cascade import StableCascadeUNet
from diffusers.utils.torch_utils import randn_tensor

from ..loading import (LOAD_ERRORS, check_loading_info, diffusers_version, drop_source_path, load_component,  # noqa: F401,E501
                       read_json, write_checksums)
from . import stage_a
from .effnet import EfficientNetEncoder
from .stage_b import predict_noise

COSINE_S = 0.008
NUM_TRAIN_TIMESTEPS = 1000
SAMPLERS = ("wuerstchen", "ddim", "dpm")
SCHEDULER_CLASSES = {"DDPMWuerstchenScheduler": DDPMWuerstchenScheduler, "DDIMScheduler": DDIMScheduler,
                     "DPMSolverMultistepScheduler": DPMSolverMultistepScheduler}
DEFAULTS = {"sampler": "wuerstchen", "num_inference_steps": 10, "effnet_input_scale": 1.0, "image_size": None,
            "snr_conditioning": False, "guidance_scale": 1.0, "high_snr_decoder": None, "high_snr_from_db": None}
FALLBACK_IMAGE_SIZE = 64  # native size of a model whose pipeline_config.json records none


ORIGINAL_EFFNET = "effnet_encoder.safetensors"
HIGH_SNR_SUBFOLDER = "decoder_high_snr"
HINT = ("train one with `python scripts/train_sc_sic.py stage-a`, `... pretrain`, `... finetune --out FOLDER`, "
        "or put Stable Cascade's checkpoints there")


def missing_parts(folder, decoder_subfolder: str | None = None, need_effnet: bool = True,
                  original_effnet_ok: bool = True) -> list:
    """What ``folder`` lacks to be an SC-SIC / Stable Cascade model folder (empty if nothing).

    ``decoder_subfolder`` None accepts ``decoder/`` or ``decoder_lite/``; ``need_effnet`` False
    skips the encoder (given separately); ``original_effnet_ok`` accepts Stable Cascade's
    ``effnet_encoder.safetensors`` in place of ``effnet/``."""
    folder = Path(folder)
    missing = [] if (folder / "vqgan").is_dir() else ["vqgan/"]
    if decoder_subfolder is not None:
        if not (folder / decoder_subfolder).is_dir():
            missing.append(f"{decoder_subfolder}/")
    elif not ((folder / "decoder").is_dir() or (folder / "decoder_lite").is_dir()):
        missing.append("decoder/ (or decoder_lite/)")
    if not (folder / "scheduler").is_dir():
        missing.append("scheduler/")
    if need_effnet and not (folder / "effnet").is_dir():
        if not original_effnet_ok:
            missing.append("effnet/")
        elif not (folder / ORIGINAL_EFFNET).is_file():
            missing.append(f"effnet/ (or {ORIGINAL_EFFNET})")
    return missing


def image_size_from_options(options: dict) -> int:
    """``options["image_size"]`` (a positive whole number of pixels, as an int or a numeric string),
    else :data:`FALLBACK_IMAGE_SIZE`."""
    size = options.get("image_size") if isinstance(options, dict) else None
    if isinstance(size, bool) or size is None:
        return FALLBACK_IMAGE_SIZE
    try:
        value = float(size)
    except (TypeError, ValueError):
        return FALLBACK_IMAGE_SIZE
    return int(value) if value >= 1 and value == int(value) else FALLBACK_IMAGE_SIZE


# ------------------------------------------------------------------------------- schedule
def alpha_cumprod(t: torch.Tensor, s: float = COSINE_S) -> torch.Tensor:
    """Stable Cascade's cosine schedule on the timestep ratio t in [0, 1] (DDPMWuerstchenScheduler)."""
    t = torch.as_tensor(t, dtype=torch.float32)
    init = math.cos(s / (1 + s) * math.pi / 2) ** 2
    return (torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2 / init).clamp(0.0001, 0.9999)


def ratio_from_alpha_cumprod(ac: torch.Tensor, s: float = COSINE_S) -> torch.Tensor:
    """Inverse of :func:`alpha_cumprod` (StableCascadeDecoderPipeline.get_timestep_ratio_conditioning)."""
    init = math.cos(s / (1 + s) * math.pi / 2) ** 2
    ac = torch.as_tensor(ac, dtype=torch.float32).clamp(0, 1)
    return torch.acos((ac * init).sqrt()) / (math.pi / 2) * (1 + s) - s


def discrete_betas(n: int = NUM_TRAIN_TIMESTEPS) -> list:
    """Betas whose alpha_cumprod[i] is :func:`alpha_cumprod` at ratio (i + 1) / n."""
    ac = alpha_cumprod(torch.arange(1, n + 1, dtype=torch.float64) / n).double()
    prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    return [float(b) for b in (1 - ac / prev)]


def make_scheduler(sampler: str):
    """A diffusers scheduler on Stable Cascade's cosine schedule (see the module docstring)."""
    if sampler == "wuerstchen":
        return DDPMWuerstchenScheduler(scaler=1.0, s=COSINE_S)
    common = dict(num_train_timesteps=NUM_TRAIN_TIMESTEPS, trained_betas=discrete_betas(),
                  prediction_type="epsilon", timestep_spacing="trailing")
    if sampler == "ddim":
        return DDIMScheduler(**common, clip_sample=False, set_alpha_to_one=True)
    if sampler == "dpm":
        return DPMSolverMultistepScheduler(**common, algorithm_type="dpmsolver++", solver_order=2,
                                           final_sigmas_type="zero", lower_order_final=True)
    raise ValueError(f"unknown sampler {sampler!r}; known: {', '.join(SAMPLERS)}")


def sampler_name(scheduler) -> str:
    return {DDPMWuerstchenScheduler: "wuerstchen", DDIMScheduler: "ddim",
            DPMSolverMultistepScheduler: "dpm"}.get(type(scheduler), type(scheduler).__name__)


# ---------------------------------------------------------------------------------- loss
def diffusion_loss(vqgan, effnet, decoder, images, snr_db=None, generator=None, train_effnet=True,
                   effnet_input_scale: float = 1.0, snr_conditioning: bool = False, cond_dropout: float = 0.0):
    """Noise-prediction MSE of Stage B (the seed's Eq. 3) on a batch of images in [0, 1].

    The target latents are Stage A's unquantised latents / scale_factor; the condition is the
    encoder's embedding, through ``awgn-real`` at ``snr_db`` [B] when given (fine-tuning), and with
    ``snr_conditioning`` that SNR as well (Stage B's ``sca`` input, see :mod:`.stage_b`). With
    probability ``cond_dropout`` per example the condition is the all-zero embedding, the
    unconditional input of classifier-free guidance (``SCSICPipeline.decode(guidance_scale=)``).
    Returns ``(loss, parts)``.
    """
    if not 0.0 <= cond_dropout <= 1.0:
        raise ValueError(f"cond_dropout must be in [0, 1], got {cond_dropout}")
    if snr_conditioning and snr_db is None:
        raise ValueError("snr_conditioning needs snr_db (the SNR the embedding was sent at)")
    with torch.no_grad():
        x0 = stage_a.from_vqgan(vqgan, stage_a.encode_latents(vqgan, images))
    with torch.set_grad_enabled(train_effnet and torch.is_grad_enabled()):
        z = effnet(_resize(images, effnet_input_scale))
    if snr_db is not None:
        from semcom.channels import get_channel
        z, _ = get_channel("awgn-real", generator=generator)(z, snr_db)
    b = images.shape[0]
    t = torch.rand(b, generator=generator)
    ac = alpha_cumprod(t).view(b, 1, 1, 1)
    eps = torch.randn(x0.shape, generator=generator)
    xt = ac.sqrt() * x0 + (1 - ac).sqrt() * eps
    if cond_dropout > 0:
        keep = torch.rand(b, generator=generator) >= cond_dropout
        z = z * keep.view(b, 1, 1, 1).to(z.dtype)
    pred = predict_noise(decoder, xt, t, z, snr_db=snr_db if snr_conditioning else None)
    loss = F.mse_loss(pred, eps)
    return loss, {"mse": float(loss.detach()), "z_std": float(z.detach().std())}


def _resize(images, scale: float):
    if scale == 1.0:
        return images
    h, w = images.shape[-2:]
    return F.interpolate(images, size=(max(1, round(h * scale)), max(1, round(w * scale))), mode="bilinear",
                         antialias=True, align_corners=False)


# ------------------------------------------------------------------------------ pipeline
class SCSICPipeline(DiffusionPipeline):
    """SC-SIC: ``encode(images) -> embedding``, ``decode(embedding) -> images``, ``__call__`` both."""

    model_cpu_offload_seq = "effnet->decoder->vqgan"

    def __init__(self, vqgan: PaellaVQModel, effnet: EfficientNetEncoder, decoder: StableCascadeUNet, scheduler,
                 options: dict | None = None, high_snr_decoder: StableCascadeUNet | None = None):
        """``high_snr_decoder``: a second Stage B for receiver SNRs of at least
        ``options["high_snr_from_db"]`` (both or neither; the option ``high_snr_decoder`` names its
        subfolder, ``"decoder_high_snr"`` if not given)."""
        super().__init__()
        self.register_modules(vqgan=vqgan, effnet=effnet, decoder=decoder, scheduler=scheduler,
                              high_snr_decoder=high_snr_decoder)
        self.options = {**DEFAULTS, "sampler": sampler_name(scheduler), **(options or {})}
        if high_snr_decoder is None:
            self.options.update(high_snr_decoder=None, high_snr_from_db=None)
        else:
            self.options["high_snr_decoder"] = self.options["high_snr_decoder"] or HIGH_SNR_SUBFOLDER
            self.set_high_snr_from_db(self.options["high_snr_from_db"])

    @classmethod
    def from_parts(cls, vqgan, effnet, decoder, sampler: str = "wuerstchen", steps: int = 10,
                   effnet_input_scale: float = 1.0, image_size: int | None = None, snr_conditioning: bool = False):
        """``image_size``: the side the models were trained at; ``snr_conditioning``: Stage B was
        trained with the SNR as input (both saved in ``pipeline_config.json``)."""
        return cls(vqgan, effnet, decoder, make_scheduler(sampler),
                   {"sampler": sampler, "num_inference_steps": int(steps), "effnet_input_scale": effnet_input_scale,
                    "image_size": None if image_size is None else int(image_size),
                    "snr_conditioning": bool(snr_conditioning)})

    # ------------------------------------------------------------------ folders
    def save_pretrained(self, folder, **_):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        parts = {"vqgan": self.vqgan, "effnet": self.effnet, "decoder": self.decoder}
        if self.high_snr_decoder is not None:
            parts[self.options["high_snr_decoder"]] = self.high_snr_decoder
        for name, model in parts.items():
            model.save_pretrained(str(folder / name), safe_serialization=True)
        self.scheduler.save_pretrained(str(folder / "scheduler"))
        for name in [*parts, "scheduler"]:
            drop_source_path(folder / name)
        for name in parts:
            write_checksums(folder / name)
        index = {"_class_name": type(self).__name__, "_diffusers_version": diffusers_version(),
                 "vqgan": ["diffusers", "PaellaVQModel"], "effnet": ["semcom.models.sc_sic", "EfficientNetEncoder"],
                 "decoder": ["diffusers", "StableCascadeUNet"], "scheduler": ["diffusers", type(self.scheduler).__name__]}
        (folder / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
        (folder / "pipeline_config.json").write_text(json.dumps(self.options, indent=2) + "\n")

    @classmethod
    def from_pretrained(cls, folder, decoder_subfolder: str = "decoder", effnet=None, options: dict | None = None,
                        defaults: dict | None = None, **_):
        """Load a folder in Stable Cascade's layout (local only: nothing is downloaded).

        ``decoder_subfolder``: e.g. ``"decoder_lite"`` for Stable Cascade's lite Stage B.
        ``effnet``: an already built encoder (used by :func:`~.upstream.load_stable_cascade` when
        the folder holds Stable Cascade's original ``effnet_encoder.safetensors``).
        ``options`` override ``pipeline_config.json``, which overrides ``defaults``; the merged
        ``high_snr_decoder`` (a subfolder, or None for none) decides which second Stage B is loaded.
        Every model goes through :func:`load_component` (missing / unexpected weights and unreadable
        files raise ValueError or FileNotFoundError naming the file).
        :func:`~.upstream.load_stable_cascade` accepts Stable Cascade's original layout as well.
        """
        folder = Path(folder)
        missing = missing_parts(folder, decoder_subfolder, need_effnet=effnet is None, original_effnet_ok=False)
        if missing:
            raise FileNotFoundError(f"{folder} is not an SC-SIC / Stable Cascade model folder: missing "
                                    f"{', '.join(missing)}; {HINT}")
        vqgan = load_component(PaellaVQModel, folder / "vqgan", "Stage A (PaellaVQModel)")
        if effnet is None:
            effnet = load_component(EfficientNetEncoder, folder / "effnet", "the encoder (EfficientNetEncoder)")
        decoder = load_component(StableCascadeUNet, folder / decoder_subfolder, "Stage B (StableCascadeUNet)")
        sched_cfg = read_json(folder / "scheduler" / "scheduler_config.json", "scheduler config")
        sched_cls = SCHEDULER_CLASSES.get(sched_cfg.get("_class_name"))
        if sched_cls is None:
            raise ValueError(f"unsupported scheduler {sched_cfg.get('_class_name')!r} in {folder / 'scheduler'}")
        try:
            scheduler = sched_cls.from_pretrained(str(folder / "scheduler"), local_files_only=True)
        except LOAD_ERRORS as exc:
            raise ValueError(f"cannot load the scheduler from {folder / 'scheduler'}: {exc}") from exc
        saved = {}
        if (folder / "pipeline_config.json").is_file():
            saved = read_json(folder / "pipeline_config.json", "pipeline config")
        merged = {**(defaults or {}), **saved, **(options or {})}
        high_snr_decoder, subfolder = None, merged.get("high_snr_decoder")
        if subfolder is not None:
            if not isinstance(subfolder, str) or not subfolder or Path(subfolder).is_absolute() or ".." in Path(subfolder).parts:
                raise ValueError(f"{folder}: high_snr_decoder must name a subfolder (pipeline_config.json or options), "
                                 f"got {subfolder!r}")
            high_snr_decoder = load_component(StableCascadeUNet, folder / subfolder, "the high-SNR Stage B "
                                              "(StableCascadeUNet, pipeline_config.json: high_snr_decoder)").eval()
        return cls(vqgan.eval(), effnet.eval(), decoder.eval(), scheduler, merged, high_snr_decoder=high_snr_decoder)

    # ------------------------------------------------------------------ shapes
    @property
    def effnet_input_scale(self) -> float:
        return float(self.options.get("effnet_input_scale", 1.0))

    @property
    def native_image_size(self) -> int:
        """The side the model was trained at (``image_size`` option), else :data:`FALLBACK_IMAGE_SIZE`."""
        return image_size_from_options(self.options)

    def effnet_input_size(self, height: int, width: int) -> tuple:
        """The size the encoder sees: H x W resized by ``effnet_input_scale``."""
        s = self.effnet_input_scale
        return (height, width) if s == 1.0 else (max(1, round(height * s)), max(1, round(width * s)))

    def embedding_shape(self, height: int, width: int) -> tuple:
        return self.effnet.embedding_shape(*self.effnet_input_size(height, width))

    def latent_shape(self, height: int, width: int) -> tuple:
        """Stage A latent shape of an H x W image; ValueError unless the sides are multiples of
        Stage A's downscale factor x Stage B's patch size (Stage B pixel-unshuffles its input)."""
        d = stage_a.downscale(self.vqgan)
        p = int(getattr(self.decoder.config, "patch_size", 1) or 1)
        if height % (d * p) or width % (d * p):
            raise ValueError(f"image sides must be multiples of {d * p} (Stage A's downscale factor {d} x Stage B's "
                             f"patch size {p}), got {height}x{width}")
        return (self.vqgan.config.latent_channels, height // d, width // d)

    def check_image_size(self, height: int, width: int):
        """ValueError unless an H x W image fits Stage A, Stage B's patch size and the encoder's
        stride (the encoder input, resized by ``effnet_input_scale``, must be a multiple of it)."""
        self.latent_shape(height, width)
        d = self.effnet.downscale
        eh, ew = self.effnet_input_size(height, width)
        if eh % d or ew % d:
            scaled = "" if self.effnet_input_scale == 1.0 else (
                f" (the encoder sees the image resized by {self.effnet_input_scale:g} to {eh}x{ew})")
            raise ValueError(f"SC-SIC needs image sides that are multiples of the encoder's stride {d}{scaled}, "
                             f"got {height}x{width}")

    @property
    def snr_conditioned(self) -> bool:
        """True if Stage B takes the receiver's SNR (``snr_conditioning`` option): :meth:`decode` needs it."""
        return self.options.get("snr_conditioning") is True

    @property
    def high_snr_from_db(self) -> float | None:
        """The receiver SNR [dB] from which :attr:`high_snr_decoder` samples (None: it never does)."""
        value = self.options.get("high_snr_from_db")
        return None if self.high_snr_decoder is None or value is None else float(value)

    def set_high_snr_from_db(self, value):
        """Move the switch to the high-SNR Stage B (a number of dB; ``inf`` or None: never use it)."""
        if value is not None:
            value = float(value)
            if math.isnan(value):
                raise ValueError("high_snr_from_db must be a number of dB or None, got nan")
            if self.high_snr_decoder is None and value != math.inf:
                raise ValueError("this SC-SIC model has no high-SNR Stage B (pipeline_config.json: high_snr_decoder)")
        self.options["high_snr_from_db"] = None if value is None or value == math.inf else value

    def high_snr_examples(self, snr_db, batch: int) -> torch.Tensor:
        """Bool [B]: which examples :meth:`decode` samples with the high-SNR Stage B (receiver SNR
        ``snr_db``, a number or [B] dB, at least :attr:`high_snr_from_db`; never a non-finite SNR)."""
        threshold = self.high_snr_from_db
        if threshold is None or snr_db is None:
            return torch.zeros(batch, dtype=torch.bool)
        snr = _per_example(snr_db, batch)
        return torch.isfinite(snr) & (snr >= threshold)

    def guidance_scale(self, scale: float | None = None) -> float:
        """``scale`` checked (finite, >= 0), or the folder's ``guidance_scale`` (1 if it sets none)."""
        value = float(self.options.get("guidance_scale", 1.0) if scale is None else scale)
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"guidance_scale must be a finite number >= 0, got {scale!r}")
        return value

    def default_image_size(self, embedding: torch.Tensor) -> tuple:
        d = self.effnet.downscale / self.effnet_input_scale
        return (int(round(embedding.shape[-2] * d)), int(round(embedding.shape[-1] * d)))

    # ------------------------------------------------------------------ run
    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images [B, 3, H, W] in [0, 1] -> embedding [B, 16, h, w]."""
        self.effnet.eval()
        return self.effnet(_resize(images.float(), self.effnet_input_scale))

    @torch.no_grad()
    def decode(self, embedding: torch.Tensor, image_size=None, num_inference_steps: int | None = None,
               sampler: str | None = None, generator: torch.Generator | None = None,
               return_latents: bool = False, snr_db=None, guidance_scale: float | None = None) -> torch.Tensor:
        """(Received) embedding -> images [B, 3, H, W] in [0, 1] by Stage B sampling + Stage A decode.

        ``snr_db`` (a number or [B], dB): the SNR the embedding was received at; required by an
        SNR-conditioned Stage B (:attr:`snr_conditioned`); with a high-SNR Stage B, examples at
        :attr:`high_snr_from_db` or more are sampled by it (:meth:`high_snr_examples`; the noise
        draws are the same whichever Stage B samples). Without ``snr_db``, ``decoder/`` samples all.
        ``guidance_scale`` (default: ``pipeline_config.json``, else 1): classifier-free guidance on
        the embedding, noise = uncond + scale * (cond - uncond) with the all-zero embedding as the
        unconditional input (diffusers' ``StableCascadeDecoderPipeline`` convention); 1 = the
        conditional prediction alone, > 1 follows the embedding more closely, at twice the Stage B
        cost."""
        scale = self.guidance_scale(guidance_scale)
        if self.snr_conditioned and snr_db is None:
            raise ValueError("this SC-SIC Stage B is SNR-conditioned (pipeline_config.json: snr_conditioning): "
                             "decode needs snr_db, the SNR the embedding was received at")
        for model in (self.decoder, self.high_snr_decoder, self.vqgan):
            if model is not None:
                model.eval()
        steps = int(num_inference_steps or self.options.get("num_inference_steps", 10))
        if steps < 1:
            raise ValueError(f"num_inference_steps must be >= 1, got {steps}")
        if sampler is None or sampler == sampler_name(self.scheduler):
            scheduler = self.scheduler
        else:
            scheduler = make_scheduler(sampler)
        h, w = image_size or self.default_image_size(embedding)
        b = embedding.shape[0]
        shape = self.latent_shape(h, w)
        if b == 0:  # nothing to sample (attention fails on an empty batch)
            return embedding.new_zeros((0, *shape) if return_latents else (0, 3, h, w), dtype=torch.float32)
        embedding = embedding.float()
        high = self.high_snr_examples(snr_db, b).to(embedding.device)
        snr_db = _per_example(snr_db, b).to(embedding.device) if self.snr_conditioned else None
        # a CPU generator draws on the CPU and the noise moves to the embedding's device (diffusers' rule)
        latents = randn_tensor((b, *shape), generator=generator, device=embedding.device, dtype=torch.float32)
        latents = latents * getattr(scheduler, "init_noise_sigma", 1.0)
        scheduler.set_timesteps(steps, device=embedding.device)
        if isinstance(scheduler, DDPMWuerstchenScheduler):
            for t in scheduler.timesteps[:-1]:
                ratio = t.expand(b)
                eps = self._noise(latents, ratio, embedding, snr_db, scale, high)
                latents = scheduler.step(eps, ratio, latents, generator=generator).prev_sample
        else:
            ac = scheduler.alphas_cumprod
            for t in scheduler.timesteps:
                ratio = ratio_from_alpha_cumprod(ac[int(t)]).to(latents.device).expand(b)
                x_in = scheduler.scale_model_input(latents, t)
                eps = self._noise(x_in, ratio, embedding, snr_db, scale, high)
                latents = scheduler.step(eps, t, latents, generator=generator).prev_sample
        if return_latents:
            return latents
        images = stage_a.decode_latents(self.vqgan, stage_a.to_vqgan(self.vqgan, latents))
        # clamp the finite values only: an overflow stays visible (+-inf) to the caller's checks
        return torch.where(torch.isfinite(images), images.clamp(0, 1), images)

    def _noise(self, sample, ratio, embedding, snr_db, guidance_scale: float, high: torch.Tensor) -> torch.Tensor:
        """Guided noise prediction; examples flagged in ``high`` [B] by the high-SNR Stage B, which
        is never given the SNR (it is trained on clean embeddings)."""
        if not high.any():
            return _guided_noise(self.decoder, sample, ratio, embedding, snr_db, guidance_scale)
        if high.all():
            return _guided_noise(self.high_snr_decoder, sample, ratio, embedding, None, guidance_scale)
        low = ~high
        eps = torch.empty_like(sample)
        eps[low] = _guided_noise(self.decoder, sample[low], ratio[low], embedding[low],
                                 None if snr_db is None else snr_db[low], guidance_scale)
        eps[high] = _guided_noise(self.high_snr_decoder, sample[high], ratio[high], embedding[high], None,
                                  guidance_scale)
        return eps

    def __call__(self, images: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.decode(self.encode(images), image_size=tuple(images.shape[-2:]), **kwargs)


def _guided_noise(decoder, sample, ratio, embedding, snr_db, guidance_scale: float) -> torch.Tensor:
    cond = predict_noise(decoder, sample, ratio, embedding, snr_db)
    if guidance_scale == 1.0:
        return cond
    uncond = predict_noise(decoder, sample, ratio, torch.zeros_like(embedding), snr_db)
    return uncond + guidance_scale * (cond - uncond)


def _per_example(snr_db, batch: int) -> torch.Tensor:
    """``snr_db`` (a number or B values) as a float tensor [B]; ValueError for another count."""
    snr = torch.as_tensor(snr_db, dtype=torch.float32).reshape(-1)
    if snr.numel() == 1:
        return snr.expand(batch)
    if snr.numel() != batch:
        raise ValueError(f"{snr.numel()} SNR values for a batch of {batch}")
    return snr



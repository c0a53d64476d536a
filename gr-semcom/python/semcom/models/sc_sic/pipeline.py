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
(the default sampler, step count and ``effnet_input_scale``: the encoder sees the image resized
by this factor, 0.75 in Stable Cascade, 1.0 in the tiny CPU model).
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

from . import stage_a
from .effnet import EfficientNetEncoder
from .stage_b import predict_noise

COSINE_S = 0.008
NUM_TRAIN_TIMESTEPS = 1000
SAMPLERS = ("wuerstchen", "ddim", "dpm")
SCHEDULER_CLASSES = {"DDPMWuerstchenScheduler": DDPMWuerstchenScheduler, "DDIMScheduler": DDIMScheduler,
                     "DPMSolverMultistepScheduler": DPMSolverMultistepScheduler}
DEFAULTS = {"sampler": "wuerstchen", "num_inference_steps": 10, "effnet_input_scale": 1.0}


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
                   effnet_input_scale: float = 1.0):
    """Noise-prediction MSE of Stage B (the seed's Eq. 3) on a batch of images in [0, 1].

    The target latents are Stage A's unquantised latents / scale_factor; the condition is the
    encoder's embedding, through ``awgn-real`` at ``snr_db`` [B] when given (fine-tuning).
    Returns ``(loss, parts)``.
    """
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
    pred = predict_noise(decoder, xt, t, z)
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
                 options: dict | None = None):
        super().__init__()
        self.register_modules(vqgan=vqgan, effnet=effnet, decoder=decoder, scheduler=scheduler)
        self.options = {**DEFAULTS, "sampler": sampler_name(scheduler), **(options or {})}

    @classmethod
    def from_parts(cls, vqgan, effnet, decoder, sampler: str = "wuerstchen", steps: int = 10,
                   effnet_input_scale: float = 1.0):
        return cls(vqgan, effnet, decoder, make_scheduler(sampler),
                   {"sampler": sampler, "num_inference_steps": int(steps), "effnet_input_scale": effnet_input_scale})

    # ------------------------------------------------------------------ folders
    def save_pretrained(self, folder, **_):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("vqgan", "effnet", "decoder"):
            getattr(self, name).save_pretrained(str(folder / name), safe_serialization=True)
        self.scheduler.save_pretrained(str(folder / "scheduler"))
        index = {"_class_name": type(self).__name__, "_diffusers_version": _diffusers_version(),
                 "vqgan": ["diffusers", "PaellaVQModel"], "effnet": ["semcom.models.sc_sic", "EfficientNetEncoder"],
                 "decoder": ["diffusers", "StableCascadeUNet"], "scheduler": ["diffusers", type(self.scheduler).__name__]}
        (folder / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
        (folder / "pipeline_config.json").write_text(json.dumps(self.options, indent=2) + "\n")

    @classmethod
    def from_pretrained(cls, folder, decoder_subfolder: str = "decoder", effnet=None, options: dict | None = None,
                        **_):
        """Load a folder in Stable Cascade's layout (local only: nothing is downloaded).

        ``decoder_subfolder``: e.g. ``"decoder_lite"`` for Stable Cascade's lite Stage B.
        ``effnet``: an already built encoder (used by :func:`~.upstream.load_stable_cascade` when
        the folder holds Stable Cascade's original ``effnet_encoder.safetensors``).
        ``options`` override ``pipeline_config.json``.
        """
        folder = Path(folder)
        needed = ("vqgan", decoder_subfolder, "scheduler") + (() if effnet is not None else ("effnet",))
        missing = [p for p in needed if not (folder / p).is_dir()]
        if missing:
            raise FileNotFoundError(f"{folder} is not an SC-SIC / Stable Cascade model folder: missing "
                                    f"{', '.join(p + '/' for p in missing)} (train one with "
                                    "`python scripts/train_sc_sic.py`)")
        kw = dict(use_safetensors=True, local_files_only=True, low_cpu_mem_usage=False)
        vqgan = PaellaVQModel.from_pretrained(str(folder / "vqgan"), **kw)
        if effnet is None:
            effnet = EfficientNetEncoder.from_pretrained(str(folder / "effnet"), **kw)
        decoder = StableCascadeUNet.from_pretrained(str(folder / decoder_subfolder), **kw)
        sched_cfg = json.loads((folder / "scheduler" / "scheduler_config.json").read_text())
        sched_cls = SCHEDULER_CLASSES.get(sched_cfg.get("_class_name"))
        if sched_cls is None:
            raise ValueError(f"unsupported scheduler {sched_cfg.get('_class_name')!r} in {folder / 'scheduler'}")
        scheduler = sched_cls.from_pretrained(str(folder / "scheduler"), local_files_only=True)
        saved = {}
        if (folder / "pipeline_config.json").is_file():
            saved = json.loads((folder / "pipeline_config.json").read_text())
        return cls(vqgan.eval(), effnet.eval(), decoder.eval(), scheduler, {**saved, **(options or {})})

    # ------------------------------------------------------------------ shapes
    @property
    def effnet_input_scale(self) -> float:
        return float(self.options.get("effnet_input_scale", 1.0))

    def embedding_shape(self, height: int, width: int) -> tuple:
        s = self.effnet_input_scale
        h, w = (height, width) if s == 1.0 else (max(1, round(height * s)), max(1, round(width * s)))
        return self.effnet.embedding_shape(h, w)

    def latent_shape(self, height: int, width: int) -> tuple:
        d = stage_a.downscale(self.vqgan)
        if height % d or width % d:
            raise ValueError(f"image sides must be multiples of Stage A's downscale factor {d}, got {height}x{width}")
        return (self.vqgan.config.latent_channels, height // d, width // d)

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
               return_latents: bool = False) -> torch.Tensor:
        """(Received) embedding -> images [B, 3, H, W] in [0, 1] by Stage B sampling + Stage A decode."""
        self.decoder.eval()
        self.vqgan.eval()
        steps = int(num_inference_steps or self.options.get("num_inference_steps", 10))
        if steps < 1:
            raise ValueError(f"num_inference_steps must be >= 1, got {steps}")
        if sampler is None or sampler == sampler_name(self.scheduler):
            scheduler = self.scheduler
        else:
            scheduler = make_scheduler(sampler)
        h, w = image_size or self.default_image_size(embedding)
        b = embedding.shape[0]
        embedding = embedding.float()
        latents = randn_tensor((b, *self.latent_shape(h, w)), generator=generator, dtype=torch.float32)
        latents = latents * getattr(scheduler, "init_noise_sigma", 1.0)
        scheduler.set_timesteps(steps)
        if isinstance(scheduler, DDPMWuerstchenScheduler):
            for t in scheduler.timesteps[:-1]:
                ratio = t.expand(b)
                eps = predict_noise(self.decoder, latents, ratio, embedding)
                latents = scheduler.step(eps, ratio, latents, generator=generator).prev_sample
        else:
            ac = scheduler.alphas_cumprod
            for t in scheduler.timesteps:
                ratio = ratio_from_alpha_cumprod(ac[int(t)]).expand(b)
                x_in = scheduler.scale_model_input(latents, t)
                eps = predict_noise(self.decoder, x_in, ratio, embedding)
                latents = scheduler.step(eps, t, latents, generator=generator).prev_sample
        if return_latents:
            return latents
        images = stage_a.decode_latents(self.vqgan, stage_a.to_vqgan(self.vqgan, latents))
        return images.clamp(0, 1)

    def __call__(self, images: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.decode(self.encode(images), image_size=tuple(images.shape[-2:]), **kwargs)


def _diffusers_version() -> str:
    import diffusers
    return diffusers.__version__

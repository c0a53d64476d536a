"""The shared latent-diffusion base as a diffusers pipeline, in Stable Diffusion 2.1's folder layout.

:class:`LDMPipeline` keeps diffusers' split of model / scheduler / pipeline and SD's component names:

- ``vae``:          :class:`diffusers.AutoencoderKL` (downscale 8, 4 latent channels, ``scaling_factor``)
- ``text_encoder``: a ``transformers`` encoder (``BertModel`` for the shipped MiniLM, ``CLIPTextModel``
  in SD 2.1), with ``tokenizer`` (``BertTokenizer`` / ``CLIPTokenizer``), wrapped by
  :class:`semcom.models.text.TextEncoder`
- ``unet``:         :class:`diffusers.UNet2DConditionModel` (cross-attention on the token embeddings)
- ``scheduler``:    the folder's scheduler config (DDIM, DDPM, PNDM, Euler, DPM-Solver, ...); sampling
  runs DDIM or spaced DDPM built from that config (``from_config``: same betas, ``prediction_type``
  epsilon or v_prediction, timestep spacing), as diffusers swaps schedulers.

Folder: ``model_index.json``, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``unet/``, ``scheduler/``
(each model folder with config.json + safetensors + checksums.json when exported here) and, for the
models trained here, ``pipeline_config.json`` (default sampler, steps, guidance scale, image size).
:meth:`LDMPipeline.from_pretrained` loads a real SD 2.1 / 2.1-base diffusers folder and the shipped
small model through the same code and the project's checked loaders; nothing is downloaded.

What the seeds' receivers build on (all batch-first, CPU, seeded ``torch.Generator``):
``encode_images`` (images -> latents x scaling_factor), ``decode_latents``, ``encode_prompt`` (+ the
empty prompt, the unconditional input of classifier-free guidance), ``predict`` (the guided model
output at one step, with optional ControlNet residuals) and ``sample`` (the text-conditioned
sampler: DDIM or spaced DDPM, N steps, guidance scale, optional warm start from given latents, and a
``control`` callback that returns ``(down_block_residuals, mid_block_residual)`` per step, as a
ControlNet does).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import (AutoencoderKL, DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler,
                       EulerDiscreteScheduler, PNDMScheduler, UNet2DConditionModel)
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.utils.torch_utils import randn_tensor

from ..loading import LOAD_ERRORS, diffusers_version, drop_source_path, load_component, read_json, write_checksums
from .vae import from_vae, to_vae

SAMPLERS = ("ddim", "ddpm")
SCHEDULER_CLASSES = {c.__name__: c for c in (DDIMScheduler, DDPMScheduler, PNDMScheduler, EulerDiscreteScheduler,
                                              DPMSolverMultistepScheduler)}
PARTS = ("vae", "text_encoder", "tokenizer", "unet", "scheduler")
DEFAULTS = {"sampler": "ddim", "num_inference_steps": 25, "guidance_scale": 1.0, "image_size": None, "eta": 0.0}
HINT = ("train one with `python scripts/train_ldm.py vae`, `... unet`, `... export --out FOLDER`, or put a Stable "
        "Diffusion 2.1 diffusers folder there")


def make_scheduler(prediction_type: str = "epsilon", sampler: str = "ddim", config: dict | None = None):
    """A sampler on Stable Diffusion's schedule (scaled-linear betas 0.00085 -> 0.012 over 1000
    steps, leading spacing with offset 1, as SD 2.1's scheduler configs), or on ``config`` (any
    diffusers scheduler config: its betas, prediction type and spacing are kept)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; known: {', '.join(SAMPLERS)}")
    if config is None:
        config = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
                  "beta_schedule": "scaled_linear", "prediction_type": prediction_type, "clip_sample": False,
                  "set_alpha_to_one": False, "steps_offset": 1, "timestep_spacing": "leading"}
    if sampler == "ddim":
        return DDIMScheduler.from_config(config)
    return DDPMScheduler.from_config({**config, "variance_type": config.get("variance_type") or "fixed_small"})


def sampler_name(scheduler) -> str:
    return {DDIMScheduler: "ddim", DDPMScheduler: "ddpm"}.get(type(scheduler), type(scheduler).__name__)


def missing_parts(folder) -> list:
    folder = Path(folder)
    return [f"{p}/" for p in PARTS if not (folder / p).is_dir()]


def load_vae(folder) -> AutoencoderKL:
    return load_component(AutoencoderKL, folder, "the VAE (AutoencoderKL)")


def load_unet(folder) -> UNet2DConditionModel:
    return load_component(UNet2DConditionModel, folder, "the U-Net (UNet2DConditionModel)")


def load_scheduler(folder):
    folder = Path(folder)
    cfg = read_json(folder / "scheduler_config.json", "scheduler config")
    cls = SCHEDULER_CLASSES.get(cfg.get("_class_name"))
    if cls is None:
        raise ValueError(f"unsupported scheduler {cfg.get('_class_name')!r} in {folder}; "
                         f"supported: {', '.join(sorted(SCHEDULER_CLASSES))}")
    if cfg.get("prediction_type", "epsilon") not in ("epsilon", "v_prediction"):
        raise ValueError(f"{folder}: prediction_type {cfg.get('prediction_type')!r} is not supported "
                         "(epsilon or v_prediction)")
    try:
        return cls.from_pretrained(str(folder), local_files_only=True)
    except LOAD_ERRORS as exc:
        raise ValueError(f"cannot load the scheduler from {folder}: {exc}") from exc


# ---------------------------------------------------------------------------------- loss
def diffusion_loss(vae, unet, scheduler, images, prompt_embeds, uncond_embeds, caption_dropout: float = 0.1,
                   generator: torch.Generator | None = None, latents: torch.Tensor | None = None):
    """Stable Diffusion's training objective on [0, 1] images: latents = VAE posterior sample x
    scaling_factor, t ~ U{0..T-1}, the scheduler's forward noising, MSE against the noise (epsilon
    prediction) or the velocity (v_prediction). With probability ``caption_dropout`` per example the
    condition is the empty prompt's embedding ``uncond_embeds`` [1 or B, L, D] (so the unconditional
    branch of classifier-free guidance is learned). ``latents``: already scaled latents of the
    images (then ``images`` is not encoded and may be None). Returns ``(loss, parts)``."""
    if not 0.0 <= caption_dropout <= 1.0:
        raise ValueError(f"caption_dropout must be in [0, 1], got {caption_dropout}")
    if latents is None:
        with torch.no_grad():
            latents = vae.encode(to_vae(images)).latent_dist.sample(generator=generator) * vae.config.scaling_factor
    b = latents.shape[0]
    t = torch.randint(0, scheduler.config.num_train_timesteps, (b,), generator=generator)
    noise = torch.randn(latents.shape, generator=generator)
    noisy = scheduler.add_noise(latents, noise, t)
    cond = prompt_embeds
    if caption_dropout > 0:
        drop = torch.rand(b, generator=generator) < caption_dropout
        cond = torch.where(drop.view(b, 1, 1), uncond_embeds.expand_as(prompt_embeds), prompt_embeds)
    pred = unet(noisy, t, encoder_hidden_states=cond).sample
    if scheduler.config.prediction_type == "v_prediction":
        target = scheduler.get_velocity(latents, noise, t)
    else:
        target = noise
    loss = F.mse_loss(pred, target)
    return loss, {"mse": float(loss.detach()), "latent_std": float(latents.std())}


# ------------------------------------------------------------------------------ pipeline
class LDMPipeline(DiffusionPipeline):
    """Text-conditioned latent diffusion (Stable Diffusion 2.1's receiver, small or real)."""

    model_cpu_offload_seq = "text_encoder->unet->vae"

    def __init__(self, vae: AutoencoderKL, text_encoder, tokenizer, unet: UNet2DConditionModel, scheduler,
                 options: dict | None = None, max_length: int | None = None):
        super().__init__()
        from semcom.models.text.text_encoder import TextEncoder
        self.register_modules(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler)
        self.text = TextEncoder(text_encoder, tokenizer, max_length=max_length)
        if int(unet.config.cross_attention_dim) != self.text.hidden_size:
            raise ValueError(f"the U-Net's cross_attention_dim {unet.config.cross_attention_dim} does not match the "
                             f"text encoder's hidden size {self.text.hidden_size}")
        if int(unet.config.in_channels) != int(vae.config.latent_channels):
            raise ValueError(f"the U-Net takes {unet.config.in_channels} channels, the VAE gives "
                             f"{vae.config.latent_channels}")
        self.options = {**DEFAULTS, **(options or {})}

    # ------------------------------------------------------------------ folders
    def save_pretrained(self, folder, **_):
        """Stable Diffusion 2.1's diffusers layout (+ pipeline_config.json, checksums.json per model)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("vae", "unet"):
            getattr(self, name).save_pretrained(str(folder / name), safe_serialization=True)
        self.text.save_pretrained(folder / "text_encoder", folder / "tokenizer")
        self.scheduler.save_pretrained(str(folder / "scheduler"))
        for name in ("vae", "unet", "text_encoder", "scheduler"):
            drop_source_path(folder / name)
        for name in ("vae", "unet", "text_encoder"):
            write_checksums(folder / name)
        index = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": diffusers_version(),
                 "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
                 "scheduler": ["diffusers", type(self.scheduler).__name__],
                 "text_encoder": ["transformers", type(self.text_encoder).__name__],
                 "tokenizer": ["transformers", type(self.tokenizer).__name__],
                 "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}
        (folder / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
        (folder / "pipeline_config.json").write_text(json.dumps(self.options, indent=2) + "\n")

    @classmethod
    def from_pretrained(cls, folder, options: dict | None = None, max_length: int | None = None, **_):
        """Load a folder in Stable Diffusion 2.1's diffusers layout (local only). ``options``
        override ``pipeline_config.json`` (sampler, num_inference_steps, guidance_scale, image_size)."""
        from semcom.models.text.text_encoder import load_text_encoder
        folder = Path(folder)
        missing = missing_parts(folder)
        if missing:
            raise FileNotFoundError(f"{folder} is not a Stable Diffusion / latent-diffusion base folder: missing "
                                    f"{', '.join(missing)}; {HINT}")
        vae = load_vae(folder / "vae")
        unet = load_unet(folder / "unet")
        text = load_text_encoder(folder / "text_encoder", folder / "tokenizer", max_length=max_length)
        scheduler = load_scheduler(folder / "scheduler")
        saved = read_json(folder / "pipeline_config.json", "pipeline config") \
            if (folder / "pipeline_config.json").is_file() else {}
        return cls(vae, text.model, text.tokenizer, unet, scheduler, {**saved, **(options or {})},
                   max_length=text.max_length)

    # ------------------------------------------------------------------ properties
    @property
    def prediction_type(self) -> str:
        return self.scheduler.config.prediction_type

    @property
    def downscale(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def scaling_factor(self) -> float:
        return float(self.vae.config.scaling_factor)

    @property
    def native_image_size(self) -> int:
        size = self.options.get("image_size")
        if isinstance(size, int) and size > 0:
            return size
        return int(self.unet.config.sample_size) * self.downscale

    def latent_shape(self, height: int, width: int) -> tuple:
        d = self.downscale
        if height % d or width % d or height < d or width < d:
            raise ValueError(f"image sides must be positive multiples of {d} (the VAE's downscale), got {height}x{width}")
        return (int(self.vae.config.latent_channels), height // d, width // d)

    # ------------------------------------------------------------------ parts
    @torch.no_grad()
    def encode_images(self, images: torch.Tensor, sample: bool = False, generator=None) -> torch.Tensor:
        """[B, 3, H, W] in [0, 1] -> latents [B, 4, H/8, W/8] x scaling_factor (the posterior mean, or
        a sample of it with ``sample``)."""
        self.latent_shape(*images.shape[-2:])
        dist = self.vae.eval().encode(to_vae(images)).latent_dist
        z = dist.sample(generator=generator) if sample else dist.mean
        return z * self.scaling_factor

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents (x scaling_factor) -> images [B, 3, 8h, 8w] in [0, 1] (finite values clamped)."""
        return from_vae(self.vae.eval().decode(latents.float() / self.scaling_factor).sample)

    def encode_prompt(self, prompts) -> torch.Tensor:
        """Prompts -> token embeddings [B, L, D] (None or "" = the empty prompt)."""
        return self.text.encode(prompts)

    def empty_prompt(self, batch: int = 1) -> torch.Tensor:
        """The unconditional input of classifier-free guidance: the empty prompt's embedding [B, L, D]."""
        return self.text.empty(batch)

    def guidance_scale(self, scale=None) -> float:
        value = float(self.options.get("guidance_scale", 1.0) if scale is None else scale)
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"guidance_scale must be a finite number >= 0, got {scale!r}")
        return value

    def make_sampler(self, sampler: str | None = None):
        """DDIM or spaced DDPM on this folder's schedule and prediction type."""
        sampler = sampler or self.options.get("sampler", "ddim")
        if sampler == sampler_name(self.scheduler):
            return self.scheduler
        return make_scheduler(sampler=sampler, config=dict(self.scheduler.config))

    @torch.no_grad()
    def predict(self, latents, t, prompt_embeds, negative_embeds=None, guidance_scale: float = 1.0,
                control=None) -> torch.Tensor:
        """The U-Net's output (in the scheduler's parametrisation: noise or velocity) at timestep
        ``t``, with classifier-free guidance: uncond + scale x (cond - uncond), the unconditional
        input ``negative_embeds`` (default: the empty prompt); scale 1 is the conditional output alone
        (one U-Net pass). ``control(latents, t, embeds) -> (down_residuals, mid_residual)`` adds
        ControlNet-style residuals (called on the doubled batch under guidance)."""
        b = latents.shape[0]
        tt = torch.as_tensor(t, device=latents.device)
        tt = tt.expand(b) if tt.dim() == 0 else tt
        if guidance_scale == 1.0:
            return self._unet(latents, tt, prompt_embeds, control)
        if negative_embeds is None:
            negative_embeds = self.empty_prompt(b)
        negative_embeds = negative_embeds.expand(b, -1, -1) if negative_embeds.shape[0] == 1 else negative_embeds
        out = self._unet(torch.cat([latents, latents]), torch.cat([tt, tt]),
                         torch.cat([negative_embeds, prompt_embeds]), control)
        uncond, cond = out.chunk(2)
        return uncond + guidance_scale * (cond - uncond)

    def _unet(self, x, t, embeds, control):
        kwargs = {}
        if control is not None:
            down, mid = control(x, t, embeds)
            kwargs = {"down_block_additional_residuals": down, "mid_block_additional_residual": mid}
        return self.unet.eval()(x, t, encoder_hidden_states=embeds, **kwargs).sample

    @torch.no_grad()
    def sample(self, prompt_embeds: torch.Tensor, negative_embeds: torch.Tensor | None = None, height=None,
               width=None, num_inference_steps: int | None = None, guidance_scale: float | None = None,
               sampler: str | None = None, generator: torch.Generator | None = None, latents=None,
               init_latents=None, strength: float = 1.0, eta: float | None = None, control=None,
               return_latents: bool = False) -> torch.Tensor:
        """Text-conditioned sampling -> images [B, 3, H, W] in [0, 1] (or latents).

        ``latents``: the initial noise (default: drawn with ``generator``). ``init_latents`` with
        ``strength`` < 1: a warm start (SD img2img; DiffJSCC / seed 003's start from a coarse latent):
        the sampler skips the first (1 - strength) of its steps and starts from ``init_latents`` noised
        to the first remaining timestep with that noise. ``eta``: DDIM's stochasticity (0 =
        deterministic). Deterministic for a seeded generator."""
        scale = self.guidance_scale(guidance_scale)
        steps = int(num_inference_steps or self.options.get("num_inference_steps", 25))
        if steps < 1:
            raise ValueError(f"num_inference_steps must be >= 1, got {steps}")
        if not 0.0 < strength <= 1.0:
            raise ValueError(f"strength must be in (0, 1], got {strength}")
        b = prompt_embeds.shape[0]
        size = self.native_image_size
        shape = self.latent_shape(int(height or size), int(width or size))
        scheduler = self.make_sampler(sampler)
        scheduler.set_timesteps(steps)
        timesteps = scheduler.timesteps
        if b == 0:
            return torch.zeros((0, *shape) if return_latents else (0, 3, shape[1] * self.downscale,
                                                                   shape[2] * self.downscale))
        noise = latents if latents is not None else randn_tensor((b, *shape), generator=generator, dtype=torch.float32)
        if init_latents is not None and strength < 1.0:
            skip = min(steps - 1, int(round(steps * (1.0 - strength))))
            timesteps = timesteps[skip:]
            x = scheduler.add_noise(init_latents.float(), noise, timesteps[:1].expand(b))
        else:
            x = noise * getattr(scheduler, "init_noise_sigma", 1.0)
        step_kwargs = {"generator": generator}
        if isinstance(scheduler, DDIMScheduler):
            step_kwargs["eta"] = float(self.options.get("eta", 0.0) if eta is None else eta)
        for t in timesteps:
            model_in = scheduler.scale_model_input(x, t)
            out = self.predict(model_in, t, prompt_embeds, negative_embeds, scale, control)
            x = scheduler.step(out, t, x, **step_kwargs).prev_sample
        return x if return_latents else self.decode_latents(x)

    def __call__(self, prompts, **kwargs) -> torch.Tensor:
        """Prompts -> images (``kwargs``: :meth:`sample`'s)."""
        return self.sample(self.encode_prompt(prompts), **kwargs)



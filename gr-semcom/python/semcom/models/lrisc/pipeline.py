"""The LRISC pipeline: transform + hyperprior, variable-length JSCC, x0-predicting diffusion decoder
and its DDIM scheduler, kept apart as in diffusers and saved as one folder.

Folder layout (:meth:`LRISCPipeline.save_pretrained`)::

    pipeline_config.json   beta, num_inference_steps, image_size, side-information MCS, ...
    checksums.json         SHA-256 of pipeline_config.json
    transform/             HyperpriorTransform   (config.json, safetensors, checksums.json)
    jscc/                  VariableLengthJSCC    (config.json, safetensors, checksums.json)
    unet/                  ConditionalX0UNet     (config.json, safetensors, checksums.json)
    scheduler/             DDIMScheduler config (x0 prediction: prediction_type "sample")

Every component loads through :func:`semcom.models.loading.load_component` (config keys, tensor
names, shapes and types, checksums, finite weights).

Sampling (the seed's Eq. 8): deterministic DDIM (eta = 0) with diffusers' ``DDIMScheduler`` and
``prediction_type="sample"``; the network sees the continuous time t / N_train for the scheduler's
integer timestep t, so any number of steps can be used.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import torch

from ..loading import load_component, read_json, verify_checksums, write_checksums
from .jscc import VariableLengthJSCC, allocate
from .transform import HyperpriorTransform
from .unet import ConditionalX0UNet

PIPELINE_CONFIG = "pipeline_config.json"
DEFAULT_OPTIONS = {"beta": 0.2, "num_inference_steps": 10, "image_size": 64, "side_mcs": "bpsk-1/2"}
_OPTION_TYPES = {"beta": (int, float), "num_inference_steps": int, "image_size": int, "side_mcs": str}


def default_scheduler():
    """The training / sampling schedule: 1000 steps, cosine betas, x0 prediction, trailing
    timesteps (the first DDIM step starts from t = N - 1, nearly pure noise), clipping to [-1, 1]."""
    from diffusers import DDIMScheduler
    return DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="sample",
                         clip_sample=True, clip_sample_range=1.0, set_alpha_to_one=True, timestep_spacing="trailing")


def ddim_sample(unet, scheduler, cond: torch.Tensor, shape, num_inference_steps: int,
                generator: Optional[torch.Generator] = None, noise: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Deterministic DDIM (Eq. 8) from x_N ~ N(0, I) with an x0-predicting network.

    ``unet(x_t, t / N_train, cond)`` -> x0 in [-1, 1]; returns x0 [B, *shape] in [-1, 1] scale.
    ``noise`` (optional) replaces the draw of x_N."""
    if int(num_inference_steps) < 1:
        raise ValueError(f"num_inference_steps must be >= 1, got {num_inference_steps}")
    if scheduler.config.prediction_type != "sample":
        raise ValueError(f"LRISC's network predicts x0: the scheduler needs prediction_type 'sample', "
                         f"not {scheduler.config.prediction_type!r}")
    n_train = scheduler.config.num_train_timesteps
    scheduler.set_timesteps(int(num_inference_steps), device=cond.device)
    if noise is None:
        x = torch.randn((cond.shape[0], *shape), generator=generator, device=cond.device, dtype=cond.dtype)
    else:
        x = noise.to(cond.device, cond.dtype)
    for t in scheduler.timesteps:
        x0 = unet(x, t.float() / n_train, cond)
        x = scheduler.step(x0, t, x, eta=0.0).prev_sample
    return x


class LRISCPipeline:
    """The LRISC receiver and transmitter networks (see the module docstring).

    Parameters
    ----------
    transform : HyperpriorTransform
    jscc : VariableLengthJSCC
    unet : ConditionalX0UNet
    scheduler : diffusers.DDIMScheduler, optional (default :func:`default_scheduler`)
    options : dict, optional
        ``beta`` (channel uses per bit of -log2 p(z_i|y)), ``num_inference_steps``, ``image_size``
        (the training side), ``side_mcs`` (MCS of the side-information stream).
    """

    def __init__(self, transform: HyperpriorTransform, jscc: VariableLengthJSCC, unet: ConditionalX0UNet,
                 scheduler=None, options: Optional[dict] = None):
        self.transform, self.jscc, self.unet = transform, jscc, unet
        self.scheduler = scheduler if scheduler is not None else default_scheduler()
        self.options = check_options({**DEFAULT_OPTIONS, **(options or {})})
        c = transform.config.latent_channels
        if jscc.config.latent_channels != c or unet.config.latent_channels != c:
            raise ValueError(f"latent channels differ: transform {c}, jscc {jscc.config.latent_channels}, "
                             f"unet {unet.config.latent_channels}")
        if unet.config.latent_down != transform.config.num_down:
            raise ValueError(f"the U-Net expects z at 1/2^{unet.config.latent_down}, the transform gives "
                             f"1/2^{transform.config.num_down}")

    @classmethod
    def from_config(cls, transform: dict = None, jscc: dict = None, unet: dict = None, options: dict = None):
        """A randomly initialised pipeline from component configs (tests, training)."""
        transform = HyperpriorTransform(**(transform or {}))
        c, d = transform.config.latent_channels, transform.config.num_down
        jscc = VariableLengthJSCC(**{"latent_channels": c, **(jscc or {})})
        unet = ConditionalX0UNet(**{"latent_channels": c, "latent_down": d, **(unet or {})})
        return cls(transform, jscc, unet, options=options)

    # ------------------------------------------------------------------ devices, modes
    def to(self, device):
        for m in (self.transform, self.jscc, self.unet):
            m.to(device)
        return self

    def eval(self):
        for m in (self.transform, self.jscc, self.unet):
            m.eval()
        self.transform.update_tables()
        self._side_coder = None
        return self

    @property
    def device(self):
        return next(self.unet.parameters()).device

    @property
    def lengths(self) -> list:
        return list(self.jscc.lengths)

    @property
    def side_coder(self):
        """The :class:`~semcom.models.lrisc.side_info.SideInfoCoder` of y and the length indexes."""
        from .side_info import SideInfoCoder
        if getattr(self, "_side_coder", None) is None:
            self._side_coder = SideInfoCoder(self.transform, self.lengths)
        return self._side_coder

    def shapes(self, height: int, width: int) -> dict:
        """``latent`` [C, h, w], ``hyper`` [Cy, h', w'] and ``patches`` (h, w) of an H x W image."""
        latent = self.transform.latent_shape(height, width)
        return {"latent": latent, "hyper": self.transform.hyper_shape(height, width), "patches": latent[1:]}

    # ------------------------------------------------------------------ transmitter
    @torch.no_grad()
    def analyse(self, images: torch.Tensor) -> dict:
        """The transmitter's analysis, independent of beta and the SNR: ``z`` [B, C, h, w], ``y``,
        the coded ``y_hat``, the prior ``mu`` / ``sigma``, ``bits_z`` [B, h, w] (-log2 p(z_i|y)) and
        ``bits_y`` [B] (-log2 p(y)): the image's information content under the model is
        ``bits_z.sum((1, 2)) + bits_y``."""
        z = self.transform.analysis(images)
        y = self.transform.h_e(z)
        eb = self.transform.entropy_bottleneck
        if eb._quantized_cdf.numel() == 0:
            self.transform.update_tables()
        medians = eb._get_medians()
        y_hat = eb.dequantize(eb.quantize(y, "symbols", medians), medians)
        _, y_lik = eb(y, training=False)
        mu, sigma = self.transform.gaussian_params(y_hat)
        _, lik = self.transform.gaussian_conditional(z, sigma, means=mu, training=False)
        return {"z": z, "y": y, "y_hat": y_hat, "mu": mu, "sigma": sigma, "bits_z": -torch.log2(lik).sum(1),
                "bits_y": -torch.log2(y_lik).flatten(1).sum(1)}

    @torch.no_grad()
    def encode(self, images: torch.Tensor, snr_db, beta: Optional[float] = None, analysis: dict = None) -> dict:
        """Images [B, 3, H, W] in [0, 1] and the SNR (dB) -> dict with ``symbols`` [B, L, 2 v_max]
        (unit power per complex use), ``index`` [B, h, w] (length indexes), ``uses`` [B, h, w]
        (k_i), ``side`` (B byte strings: beta, y and the indexes, :mod:`.side_info`), ``beta`` (the
        value used: ``beta`` snapped to the grid), ``bits_z`` [B, h, w] (-log2 p(z_i|y)), ``z``.
        ``analysis``: a result of :meth:`analyse` for these images, to skip recomputing it."""
        from .side_info import snap_beta
        code, beta = snap_beta(self.options["beta"] if beta is None else beta)
        a = self.analyse(images) if analysis is None else analysis
        index = allocate(a["bits_z"], beta, self.lengths)
        side = self.side_coder.encode(a["y"], index, code)
        symbols = self.jscc.encode(a["z"], index, snr_db)
        return {"symbols": symbols, "index": index, "uses": self.jscc.lengths_of(index), "side": side, "beta": beta,
                "bits_z": a["bits_z"], "bits_y": a["bits_y"], "z": a["z"]}

    # ------------------------------------------------------------------ receiver
    @torch.no_grad()
    def read_side(self, side: bytes, image_size) -> tuple:
        """One image's side information -> ``(index [1, h, w], (mu, sigma), beta)``; ValueError if it
        is not one for an image of this size."""
        shapes = self.shapes(*image_size)
        y_hat, index, beta = self.side_coder.decode(side, shapes["hyper"], shapes["patches"])
        return index, self.transform.gaussian_params(y_hat), beta

    @torch.no_grad()
    def decode(self, symbols: torch.Tensor, index: torch.Tensor, snr_db, image_size,
               num_inference_steps: Optional[int] = None, generator: Optional[torch.Generator] = None,
               prior=None, noise: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Received symbols [B, L, 2 v_max], length indexes [B, h, w], the receiver's SNR (dB),
        (H, W) and the prior (mu, sigma) read from the side information (:meth:`read_side`) ->
        images [B, 3, H, W] in [0, 1]. ``noise`` [B, 3, H, W] (optional) is the starting x_N
        instead of a draw from ``generator``."""
        steps = self.options["num_inference_steps"] if num_inference_steps is None else int(num_inference_steps)
        h, w = image_size
        self.transform.check_size(h, w)
        if self.jscc.dec_prior is not None and prior is None:
            raise ValueError("this LRISC receiver reads the hyperprior: pass prior=(mu, sigma) from read_side")
        z_hat = self.jscc.decode(symbols, index, snr_db, prior)
        x = ddim_sample(self.unet, self.scheduler, z_hat, (self.unet.config.in_channels, h, w), steps, generator,
                        noise)
        return ((x + 1) / 2).clamp(0, 1)

    # ------------------------------------------------------------------ folders
    def save_pretrained(self, folder):
        """Write the folder of the module docstring (with checksums)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("transform", "jscc", "unet"):
            sub = folder / name
            getattr(self, name).save_pretrained(str(sub), safe_serialization=True)
            write_checksums(sub)
        self.scheduler.save_pretrained(str(folder / "scheduler"))
        (folder / PIPELINE_CONFIG).write_text(json.dumps(self.options, indent=1, sort_keys=True) + "\n")
        write_checksums(folder, [folder / PIPELINE_CONFIG])
        write_checksums(folder / "scheduler", [folder / "scheduler" / "scheduler_config.json"])
        return folder

    @classmethod
    def from_pretrained(cls, folder, options: Optional[dict] = None) -> "LRISCPipeline":
        """Load a saved pipeline through the checked loader; ``options`` override the folder's."""
        from diffusers import DDIMScheduler
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"no LRISC model folder at {folder}")
        verify_checksums(folder, "LRISC pipeline")
        saved = read_json(folder / PIPELINE_CONFIG, "LRISC pipeline config")
        unknown = sorted(set(saved) - set(DEFAULT_OPTIONS))
        if unknown:
            raise ValueError(f"{folder / PIPELINE_CONFIG} has unknown keys {unknown}; known: {sorted(DEFAULT_OPTIONS)}")
        transform = load_component(HyperpriorTransform, folder / "transform", "LRISC transform")
        jscc = load_component(VariableLengthJSCC, folder / "jscc", "LRISC JSCC")
        unet = load_component(ConditionalX0UNet, folder / "unet", "LRISC diffusion decoder")
        verify_checksums(folder / "scheduler", "LRISC scheduler")
        sched_cfg = read_json(folder / "scheduler" / "scheduler_config.json", "LRISC scheduler config")
        if sched_cfg.get("_class_name") != "DDIMScheduler" or sched_cfg.get("prediction_type") != "sample":
            raise ValueError(f"{folder / 'scheduler'} must hold a DDIMScheduler with prediction_type 'sample'")
        scheduler = DDIMScheduler.from_config(sched_cfg)
        pipe = cls(transform, jscc, unet, scheduler, {**saved, **(options or {})})
        return pipe.eval()


def check_options(options: dict) -> dict:
    """Type and range checks of the pipeline options (ValueError naming the option)."""
    for key, types in _OPTION_TYPES.items():
        value = options.get(key)
        if isinstance(value, bool) or not isinstance(value, types):
            raise ValueError(f"LRISC option {key!r} must be {getattr(types, '__name__', 'a number')}, got {value!r}")
    if not (options["beta"] > 0 and options["beta"] < float("inf")):
        raise ValueError(f"LRISC option 'beta' must be a positive finite number, got {options['beta']!r}")
    if options["num_inference_steps"] < 1:
        raise ValueError(f"LRISC option 'num_inference_steps' must be >= 1, got {options['num_inference_steps']}")
    from ...phy import get_mcs
    get_mcs(options["side_mcs"])
    return dict(options)


__all__ = ["LRISCPipeline", "ddim_sample", "default_scheduler", "check_options", "DEFAULT_OPTIONS"]

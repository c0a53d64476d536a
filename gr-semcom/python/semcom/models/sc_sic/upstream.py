"""Load Stable Cascade's published Stage A, Stage B and EfficientNet encoder from a local folder.

Nothing is downloaded: put the checkpoints in a folder yourself, in Stable Cascade's diffusers
layout (``stabilityai/stable-cascade``)::

    folder/vqgan/{config.json, diffusion_pytorch_model.safetensors}          Stage A (PaellaVQModel)
    folder/decoder/{config.json, *.safetensors} (or decoder_lite/)            Stage B (StableCascadeUNet)
    folder/scheduler/scheduler_config.json                                    DDPMWuerstchenScheduler
    folder/effnet/{config.json, diffusion_pytorch_model.safetensors}          the encoder, or
    folder/effnet_encoder.safetensors                                         Stable Cascade's original file

The original ``effnet_encoder.safetensors`` (keys ``backbone.*`` / ``mapper.*``, torchvision's
efficientnet_v2_s features + mapper) loads into :class:`EfficientNetEncoder`'s default
configuration, which has the same parameter names. Everything else goes through
:meth:`SCSICPipeline.from_pretrained`, the code path of the small shipped model. Stable Cascade
feeds the encoder the image resized to 3/4 of its side (``effnet_input_scale=0.75``): 512 px ->
384 px -> embedding [16, 12, 12].
"""
from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file

from .effnet import EfficientNetEncoder
from .pipeline import SCSICPipeline

STABLE_CASCADE_OPTIONS = {"effnet_input_scale": 0.75, "num_inference_steps": 10}


def load_stable_cascade(folder, decoder_subfolder: str | None = None, options: dict | None = None) -> SCSICPipeline:
    """An :class:`SCSICPipeline` from Stable Cascade's published checkpoints in ``folder``.

    ``decoder_subfolder`` defaults to ``"decoder"`` if present, else ``"decoder_lite"``.
    ``options`` (sampler, num_inference_steps, effnet_input_scale) override the folder's
    ``pipeline_config.json`` if any, which overrides Stable Cascade's defaults.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no Stable Cascade folder at {folder}")
    if decoder_subfolder is None:
        decoder_subfolder = "decoder" if (folder / "decoder").is_dir() else "decoder_lite"
    effnet = None
    if not (folder / "effnet").is_dir():
        original = folder / "effnet_encoder.safetensors"
        if not original.is_file():
            raise FileNotFoundError(f"{folder} has neither effnet/ nor effnet_encoder.safetensors "
                                    "(Stable Cascade's EfficientNet encoder)")
        effnet = EfficientNetEncoder()
        state = load_file(str(original))
        state = {k[len("effnet."):] if k.startswith("effnet.") else k: v for k, v in state.items()}
        effnet.load_state_dict(state, strict=True)
    merged = dict(STABLE_CASCADE_OPTIONS)
    if (folder / "pipeline_config.json").is_file():
        import json
        merged.update(json.loads((folder / "pipeline_config.json").read_text()))
    merged.update(options or {})
    return SCSICPipeline.from_pretrained(folder, decoder_subfolder=decoder_subfolder, effnet=effnet, options=merged)

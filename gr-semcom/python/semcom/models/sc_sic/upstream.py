"""Load an SC-SIC model or Stable Cascade's published Stage A, Stage B and EfficientNet encoder
from a local folder: :func:`load_stable_cascade`, the one loader of the codec and of both layouts.

Nothing is downloaded: put the checkpoints in a folder yourself. Accepted layouts::

    folder/vqgan/{config.json, *.safetensors}                  Stage A (PaellaVQModel)
    folder/decoder/{config.json, *.safetensors} or decoder_lite/  Stage B (StableCascadeUNet)
    folder/scheduler/scheduler_config.json                      DDPMWuerstchenScheduler (or DDIM / DPM)
    folder/effnet/{config.json, *.safetensors}                  the encoder (gr-semcom's layout), or
    folder/effnet_encoder.safetensors                           Stable Cascade's original encoder file
    folder/pipeline_config.json                                 optional: sampler, steps, effnet_input_scale, image_size

``vqgan/``, ``decoder(_lite)/`` and ``scheduler/`` are Stable Cascade's diffusers layout
(``stabilityai/stable-cascade``); gr-semcom's trained models add ``effnet/``. The original
``effnet_encoder.safetensors`` (keys ``backbone.*`` / ``mapper.*``, torchvision's efficientnet_v2_s
features + mapper) loads into :class:`EfficientNetEncoder`'s default configuration, which has the
same parameter names; with it the defaults are Stable Cascade's (:data:`STABLE_CASCADE_OPTIONS`:
the encoder sees the image resized to 3/4 of its side, 512 px -> 384 px -> embedding [16, 12, 12]).
Everything else goes through :meth:`SCSICPipeline.from_pretrained`, the code path of the small
shipped model. Every weight load is checked: a missing file raises FileNotFoundError, an unreadable
or corrupt file and missing / unexpected weights raise ValueError, each naming the file.
"""
from __future__ import annotations

from pathlib import Path

from ..loading import load_state_dict_checked
from .effnet import EfficientNetEncoder
from .pipeline import HINT, ORIGINAL_EFFNET, SCSICPipeline, missing_parts

STABLE_CASCADE_OPTIONS = {"effnet_input_scale": 0.75, "num_inference_steps": 10, "image_size": 1024}


def load_original_effnet(path) -> EfficientNetEncoder:
    """Stable Cascade's ``effnet_encoder.safetensors`` in the EfficientNetV2-S configuration.

    ``num_batches_tracked`` counters may be absent (they do not affect inference); any other
    missing or unexpected key, a wrong shape or an unreadable file raises ValueError naming it."""
    effnet = EfficientNetEncoder()
    load_state_dict_checked(effnet, path, "Stable Cascade's encoder",
                            rename=lambda k: k[len("effnet."):] if k.startswith("effnet.") else k,
                            optional=("num_batches_tracked",))
    return effnet.eval()


def load_stable_cascade(folder, decoder_subfolder: str | None = None, options: dict | None = None) -> SCSICPipeline:
    """An :class:`SCSICPipeline` from ``folder`` in gr-semcom's or Stable Cascade's layout.

    ``decoder_subfolder`` defaults to ``"decoder"`` if present, else ``"decoder_lite"``.
    ``options`` (sampler, num_inference_steps, effnet_input_scale, image_size) override the
    folder's ``pipeline_config.json`` if any, which overrides the layout's defaults (Stable
    Cascade's :data:`STABLE_CASCADE_OPTIONS` with ``effnet_encoder.safetensors``, the pipeline's
    defaults with ``effnet/``). A folder that is neither raises FileNotFoundError listing what is
    missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no SC-SIC / Stable Cascade model folder at {folder}; {HINT}")
    missing = missing_parts(folder, decoder_subfolder)
    if missing:
        raise FileNotFoundError(f"{folder} is not an SC-SIC / Stable Cascade model folder: missing "
                                f"{', '.join(missing)}; {HINT}")
    if decoder_subfolder is None:
        decoder_subfolder = "decoder" if (folder / "decoder").is_dir() else "decoder_lite"
    effnet, defaults = None, {}
    if not (folder / "effnet").is_dir():
        effnet = load_original_effnet(folder / ORIGINAL_EFFNET)
        defaults = STABLE_CASCADE_OPTIONS
    return SCSICPipeline.from_pretrained(folder, decoder_subfolder=decoder_subfolder, effnet=effnet, options=options,
                                         defaults=defaults)

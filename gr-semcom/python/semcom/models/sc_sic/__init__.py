"""SC-SIC (seed 000: Khalid et al., "Efficient and Robust Semantic Image Communication via Stable
Cascade") on diffusers building blocks.

- :mod:`.stage_a`:  Stage A, diffusers' ``PaellaVQModel`` (Stable Cascade's VQGAN class)
- :mod:`.effnet`:   the semantic encoder, Stable Cascade's ``EfficientNetEncoder`` layout
- :mod:`.stage_b`:  Stage B, diffusers' ``StableCascadeUNet`` conditioned on the embedding
- :mod:`.pipeline`: :class:`SCSICPipeline` (encode / Stage B sampling / Stage A decode; folders)
- :mod:`.upstream`: :func:`load_stable_cascade`, the one loader: a gr-semcom model folder or Stable
  Cascade's published checkpoints (``effnet_encoder.safetensors``, ``decoder_lite/``) from a local folder
"""
from .effnet import EfficientNetEncoder, tiny_effnet_config
from .pipeline import SAMPLERS, SCSICPipeline, make_scheduler
from .upstream import load_stable_cascade

__all__ = ["EfficientNetEncoder", "tiny_effnet_config", "SCSICPipeline", "make_scheduler", "SAMPLERS",
           "load_stable_cascade"]

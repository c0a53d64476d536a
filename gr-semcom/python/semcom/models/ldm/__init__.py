"""The latent-diffusion base shared by seeds 003 (text-guided JSCC + ControlNet) and 004 (DiffJSCC):
Stable Diffusion 2.1's receiver on diffusers' own classes, small enough to train here, with the same
code loading a real SD 2.1 / 2.1-base diffusers folder.

- :mod:`.vae`:      ``AutoencoderKL`` (downscale 8, 4 latent channels), its loss, SD 2.1's config
- :mod:`.unet`:     ``UNet2DConditionModel`` with cross-attention on text tokens, SD 2.1's config
- :mod:`.pipeline`: :class:`LDMPipeline` (encode/decode images, encode prompts, guided DDIM / spaced DDPM
  sampler with ControlNet residuals and warm starts; folders) and :func:`diffusion_loss`

The text encoder, tokenizer and captioner live in :mod:`semcom.models.text`.
"""
from .pipeline import LDMPipeline, SAMPLERS, diffusion_loss, make_scheduler
from .unet import SD21_UNET_CONFIG, make_unet, unet_config
from .vae import SD21_VAE_CONFIG, make_vae, vae_config

__all__ = ["LDMPipeline", "SAMPLERS", "diffusion_loss", "make_scheduler", "make_unet", "unet_config",
           "make_vae", "vae_config", "SD21_UNET_CONFIG", "SD21_VAE_CONFIG"]

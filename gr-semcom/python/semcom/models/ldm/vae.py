"""The latent-diffusion base's image autoencoder: diffusers' ``AutoencoderKL`` in Stable Diffusion's
layout (4 resolution levels of ``DownEncoderBlock2D`` / ``UpDecoderBlock2D``, so the latent is 1/8 of
the image side, 4 latent channels, a mid block with self-attention, a diagonal Gaussian posterior).

Images enter in [0, 1] and are mapped to [-1, 1] as Stable Diffusion's VAE expects; the diffusion
model works on ``latent * scaling_factor`` (0.18215 in SD 2.1; measured as 1 / std of the latents
when a model is exported here).

- :func:`vae_config` / :func:`make_vae`: the small CPU model's configuration (SD's structure, fewer
  channels and one ResNet per level);
- :data:`SD21_VAE_CONFIG`: Stable Diffusion 2.1's own VAE configuration (for layout tests and for
  checking an upstream folder against it);
- :func:`autoencoder_loss`: L1 + LPIPS + KL, the training loss (Stable Diffusion's autoencoder loss
  without its discriminator).
"""
from __future__ import annotations

import torch

DOWNSCALE = 8
LATENT_CHANNELS = 4

#: ``vae/config.json`` of stabilityai/stable-diffusion-2-1 (and -2-1-base), diffusers layout.
SD21_VAE_CONFIG = {
    "_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4, "in_channels": 3, "latent_channels": 4,
    "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3, "sample_size": 768,
    "up_block_types": ["UpDecoderBlock2D"] * 4, "scaling_factor": 0.18215,
}


def vae_config(channels=(32, 64, 128, 128), layers_per_block: int = 1, norm_num_groups: int = 16,
               sample_size: int = 256) -> dict:
    """An ``AutoencoderKL`` configuration with SD's structure (len(channels) levels: downscale
    2 ** (levels - 1), 8 for 4 levels; 4 latent channels)."""
    channels = [int(c) for c in channels]
    return {"in_channels": 3, "out_channels": 3, "down_block_types": ["DownEncoderBlock2D"] * len(channels),
            "up_block_types": ["UpDecoderBlock2D"] * len(channels), "block_out_channels": channels,
            "layers_per_block": int(layers_per_block), "act_fn": "silu", "latent_channels": LATENT_CHANNELS,
            "norm_num_groups": int(norm_num_groups), "sample_size": int(sample_size), "scaling_factor": 1.0}


def make_vae(**kwargs):
    from diffusers import AutoencoderKL
    return AutoencoderKL(**vae_config(**kwargs))


def downscale(vae) -> int:
    """Image side / latent side of an ``AutoencoderKL`` (8 for Stable Diffusion's)."""
    return 2 ** (len(vae.config.block_out_channels) - 1)


def to_vae(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] images -> the VAE's [-1, 1] input."""
    return images.float() * 2.0 - 1.0


def from_vae(x: torch.Tensor) -> torch.Tensor:
    """The VAE's [-1, 1] output -> [0, 1] images (finite values clamped, non-finite kept visible)."""
    x = (x.float() + 1.0) / 2.0
    return torch.where(torch.isfinite(x), x.clamp(0, 1), x)


def autoencoder_loss(vae, images: torch.Tensor, lpips_weight: float = 0.1, kl_weight: float = 1e-6,
                     generator: torch.Generator | None = None):
    """Stable Diffusion's autoencoder objective without the discriminator, on [0, 1] images:
    mean L1 on [-1, 1] pixels + ``lpips_weight`` x LPIPS(alex) + ``kl_weight`` x KL, the KL summed over
    the latent and divided by the number of pixel values (LDM sums both terms per image; this keeps
    their ratio). The decoder sees a sample of the posterior. Returns ``(loss, parts)``."""
    from semcom.metrics import lpips
    x = to_vae(images)
    posterior = vae.encode(x).latent_dist
    z = posterior.sample(generator=generator)
    rec = vae.decode(z).sample
    l1 = (rec - x).abs().mean()
    perceptual = lpips(images.float(), ((rec + 1) / 2).clamp(0, 1)).mean() if lpips_weight else rec.new_zeros(())
    kl = posterior.kl().mean() / x[0].numel()
    loss = l1 + lpips_weight * perceptual + kl_weight * kl
    return loss, {"l1": float(l1.detach()), "lpips": float(perceptual.detach()), "kl": float(kl.detach()) * x[0].numel()}

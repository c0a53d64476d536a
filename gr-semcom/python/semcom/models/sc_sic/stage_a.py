"""Stage A of SC-SIC: diffusers' :class:`PaellaVQModel` (Stable Cascade's actual Stage A class).

Stable Cascade's Stage A is a VQGAN with spatial compression 4 (``up_down_scale_factor=2`` with
``levels=2``), 4 latent channels, an 8192-entry codebook and ``scale_factor=0.3764``. Its encoder
ends in ``BatchNorm2d`` so the latents before quantisation have roughly zero mean and unit
variance; Stage B predicts these *unquantised* latents: Stable Cascade's decoder pipeline
multiplies Stage B's output by ``scale_factor`` before ``vqgan.decode(..., force_not_quantize=True)``. :func:`to_vqgan` / :func:`from_vqgan` apply that
convention here.

:func:`tiny_config` is the small configuration trained on CPU in gr-semcom;
:func:`autoencoder_loss` is its training objective (MSE + LPIPS + VQ commitment).
"""
from __future__ import annotations

import torch
from diffusers.pipelines.wuerstchen.modeling_paella_vq_model import PaellaVQModel

# Stable Cascade's published Stage A (stabilityai/stable-cascade, subfolder "vqgan").
STABLE_CASCADE_CONFIG = dict(in_channels=3, out_channels=3, up_down_scale_factor=2, levels=2,
                             bottleneck_blocks=12, embed_dim=384, latent_channels=4,
                             num_vq_embeddings=8192, scale_factor=0.3764)


def tiny_config(embed_dim: int = 96, bottleneck_blocks: int = 4, num_vq_embeddings: int = 1024,
                latent_channels: int = 4) -> dict:
    """A small Stage A with the same structure (downscale factor 4, 4 latent channels)."""
    return dict(STABLE_CASCADE_CONFIG, embed_dim=embed_dim, bottleneck_blocks=bottleneck_blocks,
                num_vq_embeddings=num_vq_embeddings, latent_channels=latent_channels)


def make_vqgan(**config) -> PaellaVQModel:
    return PaellaVQModel(**{**tiny_config(), **config})


def downscale(vqgan: PaellaVQModel) -> int:
    """Spatial reduction per side of the Stage A latent (4 for Stable Cascade)."""
    return vqgan.config.up_down_scale_factor * 2 ** (vqgan.config.levels - 1)


def encode_latents(vqgan: PaellaVQModel, images: torch.Tensor) -> torch.Tensor:
    """Unquantised Stage A latents [B, 4, H/4, W/4] of images in [0, 1].

    (``return_dict=False``: diffusers 0.36's ``PaellaVQModel.encode`` fails building its
    deprecated ``VQEncoderOutput``.)"""
    return vqgan.encode(images, return_dict=False)[0]


def decode_latents(vqgan: PaellaVQModel, latents: torch.Tensor) -> torch.Tensor:
    """Stage A latents -> images (not clamped), without quantisation as Stable Cascade decodes."""
    return vqgan.decode(latents, force_not_quantize=True, return_dict=False)[0]


def from_vqgan(vqgan: PaellaVQModel, latents: torch.Tensor) -> torch.Tensor:
    """Stage A latents (unquantised encoder output) -> Stage B's target space (``/ scale_factor``)."""
    return latents / vqgan.config.scale_factor


def to_vqgan(vqgan: PaellaVQModel, x: torch.Tensor) -> torch.Tensor:
    """Stage B's output -> Stage A latents (``* scale_factor``), as StableCascadeDecoderPipeline does."""
    return x * vqgan.config.scale_factor


def autoencoder_loss(vqgan: PaellaVQModel, images: torch.Tensor, lpips_weight: float = 0.1,
                     quantize_prob: float = 0.5, generator: torch.Generator | None = None):
    """Training loss of Stage A on images in [0, 1].

    The encoder output ``h`` goes through the vector quantiser (codebook + commitment loss); the
    decoder gets the straight-through quantised latents for a random ``quantize_prob`` share of
    the batch and the unquantised ``h`` otherwise (at inference Stable Cascade decodes Stage B's
    unquantised prediction with ``force_not_quantize=True``).
    Returns ``(loss, parts)`` with ``parts = {"mse", "lpips", "vq", "codes"}`` (codes: distinct codebook entries used).
    """
    h = encode_latents(vqgan, images)
    z_q, vq_loss, (_, _, indices) = vqgan.vquantizer(h)
    pick = (torch.rand(h.shape[0], 1, 1, 1, generator=generator) < quantize_prob).to(h)
    dec_in = pick * z_q + (1 - pick) * h
    rec = decode_latents(vqgan, dec_in)
    mse = (rec - images).square().mean()
    loss = mse + vq_loss
    lp = torch.zeros(())
    if lpips_weight > 0:
        from semcom.metrics import lpips
        lp = lpips(images, rec.clamp(0, 1)).mean()
        loss = loss + lpips_weight * lp
    return loss, {"mse": float(mse.detach()), "lpips": float(lp.detach()), "vq": float(vq_loss.detach()),
                  "codes": int(torch.unique(indices).numel())}

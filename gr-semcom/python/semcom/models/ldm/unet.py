"""The latent-diffusion base's denoiser: diffusers' ``UNet2DConditionModel`` in Stable Diffusion
2.1's structure (ResNet blocks with a timestep embedding, transformer blocks with self-attention and
cross-attention on the text encoder's token embeddings, linear projections, the lowest level without
attention), epsilon or v prediction on 4-channel VAE latents.

- :func:`unet_config` / :func:`make_unet`: the small CPU model (fewer, narrower levels; heads of
  ``attention_head_dim`` channels; ``cross_attention_dim`` = the text encoder's hidden size, 384 for
  MiniLM);
- :data:`SD21_UNET_CONFIG`: Stable Diffusion 2.1's own U-Net configuration (865 M parameters).

Note diffusers' naming: in SD 2.x's config ``attention_head_dim`` [5, 10, 20, 20] is the number of
heads per level (64 channels each); :func:`unet_config` writes it the same way (channels // head
channels).
"""
from __future__ import annotations

#: ``unet/config.json`` of stabilityai/stable-diffusion-2-1 (768 px, v-prediction; 2-1-base differs in
#: sample_size 64 and upcast_attention false).
SD21_UNET_CONFIG = {
    "_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": [5, 10, 20, 20],
    "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": False, "cross_attention_dim": 1024,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1, "dual_cross_attention": False, "flip_sin_to_cos": True, "freq_shift": 0,
    "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
    "num_class_embeds": None, "only_cross_attention": False, "out_channels": 4, "sample_size": 96,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "upcast_attention": True, "use_linear_projection": True,
}


def unet_config(channels=(64, 128, 192), layers_per_block: int = 1, cross_attention_dim: int = 384,
                attention_head_dim: int = 32, sample_size: int = 32, transformer_layers: int = 1,
                norm_num_groups: int = 16, attention_levels=None) -> dict:
    """A ``UNet2DConditionModel`` configuration with SD 2.1's structure: cross-attention at every
    level but the lowest (or at ``attention_levels``, a tuple of bools per level)."""
    channels = [int(c) for c in channels]
    n = len(channels)
    levels = list(attention_levels) if attention_levels is not None else [True] * (n - 1) + [False]
    if len(levels) != n:
        raise ValueError(f"attention_levels needs {n} entries, got {len(levels)}")
    down = ["CrossAttnDownBlock2D" if a else "DownBlock2D" for a in levels]
    up = ["CrossAttnUpBlock2D" if a else "UpBlock2D" for a in reversed(levels)]
    heads = [max(1, c // int(attention_head_dim)) for c in channels]
    return {"sample_size": int(sample_size), "in_channels": 4, "out_channels": 4, "down_block_types": down,
            "up_block_types": up, "block_out_channels": channels, "layers_per_block": int(layers_per_block),
            "cross_attention_dim": int(cross_attention_dim), "attention_head_dim": heads,
            "use_linear_projection": True, "norm_num_groups": int(norm_num_groups), "act_fn": "silu",
            "flip_sin_to_cos": True, "freq_shift": 0, "downsample_padding": 1, "mid_block_scale_factor": 1,
            "norm_eps": 1e-5, "upcast_attention": False, "transformer_layers_per_block": int(transformer_layers)}


def make_unet(**kwargs):
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(**unet_config(**kwargs))

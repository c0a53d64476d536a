"""LRISC's receiver network X_theta: a pixel-space U-Net that predicts x0 (CDC-style, Yang and
Mandt 2023) from the noisy image x_n, the continuous time n/N and the received latent z_hat.

Built from diffusers' blocks (``ResnetBlock2D``, ``Attention``, ``Downsample2D``, ``Upsample2D``,
``Timesteps`` / ``TimestepEmbedding``). Levels j = 0 ... J-1 run at H/2^j with
``block_channels[j]`` channels; each down unit has ``layers_per_block`` ResNet blocks (time
embedding added), an attention block where ``attention_levels[j]``, and a stride-2 convolution
(all but the last); a middle ResNet-attention-ResNet; up units mirror them with skip connections.

Condition (seed: "ResNet blocks and transpose convolutions upscale z to match the inputs of the
first four down-sampling units"): z_hat [C, H/2^D, W/2^D] goes through a 3x3 convolution and a
ResNet block, then ``D`` times a stride-2 transposed convolution and a ResNet block; the feature at
resolution H/2^j (j < ``cond_levels``) is added through a zero-initialised 1x1 convolution to the
input of down unit j.

Input and output images are in [-1, 1]; the time is t = n / N in [0, 1] (embedded as 1000 t).
"""
from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention_processor import Attention
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.resnet import Downsample2D, ResnetBlock2D, Upsample2D
from torch import nn


def _groups(channels: int) -> int:
    for g in (32, 16, 8, 4, 2, 1):
        if channels % g == 0:
            return g
    return 1


def _attention(channels: int, head_dim: int) -> Attention:
    return Attention(channels, heads=max(1, channels // head_dim), dim_head=min(head_dim, channels),
                     norm_num_groups=_groups(channels), residual_connection=True, bias=True, upcast_softmax=True,
                     _from_deprecated_attn_block=True, eps=1e-6)


def _res(cin: int, cout: int, temb) -> ResnetBlock2D:
    return ResnetBlock2D(in_channels=cin, out_channels=cout, temb_channels=temb, groups=_groups(cin),
                         groups_out=_groups(cout), eps=1e-6)


class ConditionalX0UNet(ModelMixin, ConfigMixin):
    """X_theta(x_n, z_hat, n/N) -> x0 (see the module docstring).

    Parameters
    ----------
    latent_channels : int
        C of the condition z_hat.
    latent_down : int
        D: z_hat is at 1/2^D of the image resolution.
    block_channels : list of int
        Channels per level (the seed: 64 j for j = 1 ... 6).
    layers_per_block : int
        ResNet blocks per unit (the seed: 2).
    attention_levels : list of bool
        Attention in the unit of each level (the seed: every unit).
    cond_levels : int
        Down units that receive the upscaled condition (the seed: 4); at most ``D + 1`` and the
        number of levels.
    attention_head_dim : int
    """

    @register_to_config
    def __init__(self, latent_channels: int = 64, latent_down: int = 4, block_channels=(32, 64, 96, 128),
                 layers_per_block: int = 1, attention_levels=(False, False, False, True), cond_levels: int = 4,
                 cond_channels: int = 64, attention_head_dim: int = 32, in_channels: int = 3):
        super().__init__()
        block_channels = [int(c) for c in block_channels]
        attention_levels = [bool(a) for a in attention_levels]
        levels = len(block_channels)
        if levels < 1 or len(attention_levels) != levels:
            raise ValueError(f"block_channels ({block_channels}) and attention_levels ({attention_levels}) "
                             "must be non-empty and of one length")
        if not 1 <= cond_levels <= min(levels, latent_down + 1):
            raise ValueError(f"cond_levels must be in 1 ... min(levels={levels}, latent_down + 1={latent_down + 1}), "
                             f"got {cond_levels}")
        c0 = block_channels[0]
        temb = 4 * c0
        self.time_proj = Timesteps(c0, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(c0, temb)
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)

        # condition upscaler: 1/2^D -> 1/2^D ... 1
        self.cond_in = nn.Conv2d(latent_channels, cond_channels, 3, padding=1)
        self.cond_res = nn.ModuleList([_res(cond_channels, cond_channels, None)])
        self.cond_up = nn.ModuleList()
        for _ in range(latent_down):
            self.cond_up.append(nn.ConvTranspose2d(cond_channels, cond_channels, 4, stride=2, padding=1))
            self.cond_res.append(_res(cond_channels, cond_channels, None))
        self.cond_proj = nn.ModuleList(nn.Conv2d(cond_channels, block_channels[j - 1] if j else c0, 1)
                                       for j in range(cond_levels))
        for proj in self.cond_proj:
            nn.init.zeros_(proj.weight)
            nn.init.zeros_(proj.bias)

        self.down = nn.ModuleList()
        skips = [c0]
        cin = c0
        for j, cout in enumerate(block_channels):
            unit = nn.Module()
            unit.res = nn.ModuleList(_res(cin if i == 0 else cout, cout, temb) for i in range(layers_per_block))
            unit.attn = nn.ModuleList(_attention(cout, attention_head_dim) for _ in range(layers_per_block)) \
                if attention_levels[j] else None
            unit.downsample = Downsample2D(cout, use_conv=True, padding=1, name="op") if j < levels - 1 else None
            cin = cout
            skips += [cout] * layers_per_block + ([cout] if j < levels - 1 else [])
            self.down.append(unit)
        self.mid_res1 = _res(cin, cin, temb)
        self.mid_attn = _attention(cin, attention_head_dim)
        self.mid_res2 = _res(cin, cin, temb)
        self.up = nn.ModuleList()
        for j in reversed(range(levels)):
            cout = block_channels[j]
            unit = nn.Module()
            unit.res = nn.ModuleList()
            for _ in range(layers_per_block + 1):
                unit.res.append(_res(cin + skips.pop(), cout, temb))
                cin = cout
            unit.attn = nn.ModuleList(_attention(cout, attention_head_dim) for _ in range(layers_per_block + 1)) \
                if attention_levels[j] else None
            unit.upsample = Upsample2D(cout, use_conv=True) if j > 0 else None
            self.up.append(unit)
        self.norm_out = nn.GroupNorm(_groups(c0), c0, eps=1e-6)
        self.conv_out = nn.Conv2d(c0, in_channels, 3, padding=1)

    def condition(self, z_hat: torch.Tensor) -> list:
        """The upscaled condition: a feature per conditioned level j (at H/2^j), finest first."""
        h = self.cond_res[0](self.cond_in(z_hat), None)
        feats = {self.config.latent_down: h}
        for k, (up, res) in enumerate(zip(self.cond_up, self.cond_res[1:])):
            h = res(up(h), None)
            feats[self.config.latent_down - k - 1] = h
        return [proj(feats[j]) for j, proj in enumerate(self.cond_proj)]

    def forward(self, sample: torch.Tensor, t: torch.Tensor, z_hat: torch.Tensor) -> torch.Tensor:
        """``sample`` x_n [B, 3, H, W] in the [-1, 1] scale, ``t`` = n/N (scalar or [B]), ``z_hat``
        [B, C, H/2^D, W/2^D] -> the x0 prediction [B, 3, H, W]."""
        b, _, height, width = sample.shape
        d = self.config.latent_down
        if z_hat.dim() != 4 or z_hat.shape[1] != self.config.latent_channels or \
                tuple(z_hat.shape[2:]) != (height >> d, width >> d) or height % (1 << d) or width % (1 << d):
            raise ValueError(f"z_hat {tuple(z_hat.shape)} does not fit images {tuple(sample.shape)} "
                             f"(C={self.config.latent_channels}, 1/{1 << d} resolution)")
        levels = len(self.config.block_channels)
        if height % (1 << (levels - 1)) or width % (1 << (levels - 1)):
            raise ValueError(f"image sides must be multiples of {1 << (levels - 1)}, got {height}x{width}")
        t = torch.as_tensor(t, dtype=sample.dtype, device=sample.device).reshape(-1).expand(b)
        temb = self.time_embedding(self.time_proj(1000.0 * t).to(sample.dtype))
        cond = self.condition(z_hat)
        h = self.conv_in(sample)
        skips = [h]
        for j, unit in enumerate(self.down):
            if j < len(cond):
                h = h + cond[j]
            for i, res in enumerate(unit.res):
                h = res(h, temb)
                if unit.attn is not None:
                    h = unit.attn[i](h)
                skips.append(h)
            if unit.downsample is not None:
                h = unit.downsample(h)
                skips.append(h)
        h = self.mid_res2(self.mid_attn(self.mid_res1(h, temb)), temb)
        for unit in self.up:
            for i, res in enumerate(unit.res):
                h = res(torch.cat([h, skips.pop()], dim=1), temb)
                if unit.attn is not None:
                    h = unit.attn[i](h)
            if unit.upsample is not None:
                h = unit.upsample(h)
        return self.conv_out(nn.functional.silu(self.norm_out(h)))


__all__ = ["ConditionalX0UNet"]

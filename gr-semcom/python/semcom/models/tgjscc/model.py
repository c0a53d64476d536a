"""Latent-domain MambaJSCC (seed 003's JSCC): a VSSM-CA encoder and decoder on the Stable Diffusion
layout VAE latent (4 channels, 1/8 of the image side), one model per channel bandwidth ratio.

Encoder ``f_theta``: the latent ``z`` [B, 4, h, w] (scaled by the VAE's ``scaling_factor``) -> a
``patch_size`` x ``patch_size`` convolution to ``dims[0]`` channels -> per stage ``depths[i]``
VSSM-CA blocks (:class:`~semcom.models.mamba.VSSBlock`) and, between stages, a 2x2 patch merging
(LayerNorm + Linear(4 C_i -> C_{i+1}), as VMamba / Swin) -> LayerNorm + Linear(C -> ``out_channels``)
-> the transmitted tensor ``x`` [B, out_channels, h/R, w/R] with ``R = patch_size * 2**(stages-1)``,
power normalised per example to unit average power per complex symbol (mean of the squared reals
1/2; the project's :class:`~semcom.phy.AnalogMapper` pairs consecutive reals into one complex symbol
and its scale is then 1; seed 003 takes the first half of the reals as real parts and the second half as
imaginary parts, a fixed permutation of the same symbols that changes nothing over channels that treat
every symbol alike, as AWGN and i.i.d. fast fading do). Decoder ``g_phi``: the mirror image (Linear(out_channels -> C), stages
with 2x2 patch expanding (Linear(C_i -> 4 C_{i-1}) + pixel shuffle), a Linear to ``4 patch_size**2``
values per token and a pixel shuffle back to [B, 4, h, w]).

Channel adaptation: each side has its own shared :class:`~semcom.models.mamba.CSIEncoder`. The
encoder's CSI is what the transmitter knows, the average SNR (dB / 10). The decoder's is the average
SNR and a flag for per-symbol (fast) fading, which the receiver knows from its channel estimate.

Rate: ``K_jscc = out_channels * (h/R) * (w/R) / 2`` complex channel uses; at 256 x 256 (h = w = 32)
with R = 4, ``out_channels`` 8 / 16 / 32 / 64 give 256 / 512 / 1024 / 2048 uses. Seed 003's CBR
counts the prompt stream too: ``CBR = (K_jscc + K_prompt) / (3 H W)``
(:meth:`semcom.codecs.tg_jscc.TGJSCCCodec` reports both).

:func:`transmit` is the differentiable channel of training: the project's ``AnalogMapper``, a
channel of :mod:`semcom.channels` (``awgn`` or ``rayleigh-fast``, i.i.d. CN(0, 1) per symbol), the
linear MMSE equaliser of :mod:`semcom.phy.equalization` when the channel fades (as
``send_message(..., equalizer="mmse")`` does), and the ``AnalogDemapper``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ...csi import snr_per_example
from ..mamba import CSIEncoder, VSSBlock

SNR_SCALE_DB = 10.0
SNR_MIN_DB, SNR_MAX_DB = -30.0, 50.0
FADING_CHANNELS = ("rayleigh-fast",)
CHANNELS = ("awgn",) + FADING_CHANNELS


def power_normalize(x: torch.Tensor) -> torch.Tensor:
    """Scale each example of a real tensor [B, ...] so that the complex symbols made of pairs of its
    reals have unit average power: ``mean(x**2) = 1/2`` per example."""
    flat = x.reshape(x.shape[0], -1)
    power = flat.square().mean(dim=1, keepdim=True).clamp_min(1e-12)
    return (flat * torch.rsqrt(2.0 * power)).reshape(x.shape)


class _Merge(nn.Module):
    """2x2 patch merging on [B, H, W, C]: LayerNorm(4C) + Linear(4C -> C_out)."""

    def __init__(self, dim: int, out: int):
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.proj = nn.Linear(4 * dim, out, bias=False)

    def forward(self, x):
        b, h, w, c = x.shape
        x = x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4 * c)
        return self.proj(self.norm(x))


class _Expand(nn.Module):
    """2x2 patch expanding on [B, H, W, C]: Linear(C -> 4 C_out) + pixel shuffle + LayerNorm."""

    def __init__(self, dim: int, out: int):
        super().__init__()
        self.proj = nn.Linear(dim, 4 * out, bias=False)
        self.norm = nn.LayerNorm(out)

    def forward(self, x):
        b, h, w, _ = x.shape
        x = self.proj(x)
        c = x.shape[-1] // 4
        x = x.reshape(b, h, w, 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(b, 2 * h, 2 * w, c)
        return self.norm(x)


class LatentMambaJSCC(ModelMixin, ConfigMixin):
    """Latent-domain MambaJSCC (see the module docstring).

    Parameters
    ----------
    latent_channels : int
        Channels of the VAE latent (4 for Stable Diffusion's VAE).
    out_channels : int
        Channels of the transmitted tensor per token (sets the rate).
    patch_size : int
        Side of the stem's patches.
    dims, depths : list of int
        Channels and VSSM-CA blocks per stage (a 2x2 merge between stages).
    d_state, expand, mlp_ratio : SS2D state size, inner expansion, MLP ratio of the blocks.
    csi_dim : int
        Size of the shared CSI vector (0: no channel adaptation).
    chunk_size : int
        Chunk length of the selective scan.
    """

    config_name = "config.json"

    @register_to_config
    def __init__(self, latent_channels: int = 4, out_channels: int = 16, patch_size: int = 2,
                 dims=(64, 96), depths=(2, 2), d_state: int = 4, expand: float = 2.0, mlp_ratio: float = 2.0,
                 csi_dim: int = 32, chunk_size: int = 16):
        super().__init__()
        dims, depths = [int(d) for d in dims], [int(d) for d in depths]
        if not dims or len(dims) != len(depths) or min(dims) < 1 or min(depths) < 0:
            raise ValueError(f"dims {dims} and depths {depths} must be non-empty lists of the same length")
        if min(latent_channels, out_channels, patch_size) < 1 or csi_dim < 0:
            raise ValueError("latent_channels, out_channels and patch_size must be >= 1, csi_dim >= 0")
        block = dict(csi_dim=csi_dim, d_state=d_state, expand=expand, mlp_ratio=mlp_ratio, chunk_size=chunk_size)
        # encoder
        self.enc_csi = CSIEncoder(1, csi_dim) if csi_dim else None
        self.enc_stem = nn.Conv2d(latent_channels, dims[0], patch_size, stride=patch_size)
        self.enc_stages = nn.ModuleList(nn.ModuleList(VSSBlock(d, **block) for _ in range(n))
                                        for d, n in zip(dims, depths))
        self.enc_merges = nn.ModuleList(_Merge(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.enc_norm = nn.LayerNorm(dims[-1])
        self.enc_head = nn.Linear(dims[-1], out_channels)
        # decoder
        self.dec_csi = CSIEncoder(2, csi_dim) if csi_dim else None
        self.dec_head = nn.Linear(out_channels, dims[-1])
        self.dec_stages = nn.ModuleList(nn.ModuleList(VSSBlock(d, **block) for _ in range(n))
                                        for d, n in zip(reversed(dims), reversed(depths)))
        self.dec_expands = nn.ModuleList(_Expand(a, b) for a, b in zip(dims[:0:-1], dims[-2::-1]))
        self.dec_norm = nn.LayerNorm(dims[0])
        self.dec_out = nn.Linear(dims[0], latent_channels * patch_size ** 2)

    # ------------------------------------------------------------------ shapes and rate
    @property
    def reduction(self) -> int:
        """R: latent side / side of the transmitted tensor."""
        return self.config.patch_size * 2 ** (len(self.config.dims) - 1)

    def symbol_shape(self, latent_h: int, latent_w: int) -> tuple:
        """Shape of the transmitted tensor of one example, ``(out_channels, h/R, w/R)``; ValueError
        if the latent side is not a multiple of R."""
        r = self.reduction
        if latent_h < r or latent_w < r or latent_h % r or latent_w % r:
            raise ValueError(f"latent {latent_h}x{latent_w} must be a multiple of {r} per side "
                             f"(image side a multiple of {8 * r} for the SD VAE)")
        return (self.config.out_channels, latent_h // r, latent_w // r)

    def channel_uses(self, latent_h: int, latent_w: int) -> int:
        """K_jscc, complex channel uses of one latent."""
        return math.ceil(math.prod(self.symbol_shape(latent_h, latent_w)) / 2)

    # ------------------------------------------------------------------ CSI
    def _csi(self, net, snr_db, batch, fading=None):
        if net is None:
            return None
        if snr_db is None:
            raise ValueError("LatentMambaJSCC adapts to the channel: pass the SNR (dB)")
        snr = snr_per_example(snr_db, batch).to(self.device)
        feats = [snr.clamp(SNR_MIN_DB, SNR_MAX_DB)[:, None] / SNR_SCALE_DB]
        if fading is not None:
            flag = torch.as_tensor(fading, dtype=torch.float32, device=self.device).reshape(-1)
            feats.append(flag.expand(batch)[:, None] if flag.numel() == 1 else flag[:, None])
        return net(torch.cat(feats, dim=1).to(self.dtype))

    # ------------------------------------------------------------------ encoder / decoder
    def encode(self, latents: torch.Tensor, snr_db=None) -> torch.Tensor:
        """``latents`` [B, 4, h, w] (scaled) -> power-normalised real tensor [B, out_channels, h/R, w/R]."""
        if latents.dim() != 4 or latents.shape[1] != self.config.latent_channels:
            raise ValueError(f"latents must be [B, {self.config.latent_channels}, h, w], got {tuple(latents.shape)}")
        self.symbol_shape(latents.shape[2], latents.shape[3])
        c = self._csi(self.enc_csi, snr_db, latents.shape[0])
        x = self.enc_stem(latents.to(self.dtype)).permute(0, 2, 3, 1)
        for i, stage in enumerate(self.enc_stages):
            if i:
                x = self.enc_merges[i - 1](x)
            for blk in stage:
                x = blk(x, c)
        x = self.enc_head(self.enc_norm(x)).permute(0, 3, 1, 2)
        return power_normalize(x)

    def decode(self, y: torch.Tensor, snr_db=None, fading=0.0) -> torch.Tensor:
        """Received (equalised) tensor [B, out_channels, h/R, w/R] -> coarse latent z_c [B, 4, h, w]."""
        if y.dim() != 4 or y.shape[1] != self.config.out_channels:
            raise ValueError(f"received tensor must be [B, {self.config.out_channels}, h', w'], got {tuple(y.shape)}")
        c = self._csi(self.dec_csi, snr_db, y.shape[0], fading)
        x = self.dec_head(y.to(self.dtype).permute(0, 2, 3, 1))
        for i, stage in enumerate(self.dec_stages):
            if i:
                x = self.dec_expands[i - 1](x)
            for blk in stage:
                x = blk(x, c)
        x = self.dec_out(self.dec_norm(x)).permute(0, 3, 1, 2)
        return F.pixel_shuffle(x, self.config.patch_size)

    def forward(self, latents, snr_db, channel: str = "awgn", generator: torch.Generator | None = None):
        """Encoder -> :func:`transmit` -> decoder; returns the coarse latent z_c."""
        x = self.encode(latents, snr_db)
        y = transmit(x, channel, snr_db, generator=generator)
        return self.decode(y, snr_db, fading=float(channel in FADING_CHANNELS))


def transmit(x: torch.Tensor, channel: str, snr_db, generator: torch.Generator | None = None) -> torch.Tensor:
    """A real tensor [B, ...] through the project's analog mapper, ``channel`` ("awgn" or
    "rayleigh-fast") at ``snr_db`` (a number or [B]), the MMSE equaliser (fading channels) and the
    demapper; differentiable with respect to ``x``. Returns the received tensor, ``x``'s shape."""
    from ...channels import get_channel
    from ...phy import AnalogDemapper, AnalogMapper
    from ...phy.equalization import mmse_equalize
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
    symbols, scale = AnalogMapper()(x)
    y, csi = get_channel(channel, generator=generator)(symbols, snr_per_example(snr_db, x.shape[0]))
    if csi.gain is not None:
        y, _ = mmse_equalize(y, csi.gain, csi.noise_var)
    return AnalogDemapper()(y, scale, tuple(x.shape[1:])).to(x.dtype)

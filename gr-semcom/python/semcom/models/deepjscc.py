"""DeepJSCC: Bourtsoulatze, Burth Kurka and Gunduz, "Deep joint source-channel coding for wireless
image transmission" (IEEE TCCN 2019), with the optional SNR-adaptive attention feature (AF)
modules of ADJSCC (Xu et al., "Wireless image transmission using deep source channel coding with
attention modules", IEEE TCSVT 2021), as used by DiffJSCC's first stage.

Encoder: 5x5 convolutions with PReLU; the first ``num_down`` (D) of them have stride 2, the others
stride 1; the last one has ``latent_channels`` (c) outputs. The latent of an image [3, H, W] is
[c, H/2^D, W/2^D], i.e. ``c H W / 4^D`` reals = ``c H W / (2 * 4^D)`` complex channel uses, so the
channel bandwidth ratio is ``CBR = c / (6 * 4^D)`` (:meth:`DeepJSCC.cbr`). The decoder mirrors it
with transposed convolutions and ends in a sigmoid.

Power normalisation is NOT part of the network: the project's
:class:`semcom.phy.AnalogMapper` scales every latent to unit average symbol power.

With ``snr_adaptive=True`` an AF module follows every hidden stage of the encoder and decoder:
global average pooling of the features, concatenated with the SNR, through a two-layer MLP
(ReLU, sigmoid) gives one gate per channel that multiplies the features.
"""
from __future__ import annotations

from typing import Sequence

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ..csi import snr_per_example

# The SNR enters the AF modules as snr_db / SNR_SCALE_DB, clamped to [SNR_MIN_DB, SNR_MAX_DB].
SNR_SCALE_DB = 10.0
SNR_MIN_DB, SNR_MAX_DB = -30.0, 50.0


class AFModule(nn.Module):
    """ADJSCC attention feature module: channel gates from (GAP(features), SNR)."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(channels + 1, hidden), nn.ReLU(),
                                 nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x, snr):
        context = torch.cat([x.mean(dim=(2, 3)), snr[:, None]], dim=1)
        return x * self.mlp(context)[:, :, None, None]


class DeepJSCC(ModelMixin, ConfigMixin):
    """Bourtsoulatze et al. 2019 DeepJSCC autoencoder, optionally SNR-adaptive (ADJSCC AF modules).

    Parameters
    ----------
    latent_channels : int
        c, channels of the latent (what is sent).
    num_down : int
        D, number of stride-2 stages (spatial reduction 2^D per side), 1 <= D <= len(channels).
    channels : sequence of int
        Output channels of the hidden encoder convolutions (the paper: 16, 32, 32, 32).
    kernel_size : int
        Odd kernel size of all (transposed) convolutions (the paper: 5).
    snr_adaptive : bool
        Add an AF module after every hidden stage of encoder and decoder; ``snr_db`` is then
        required by :meth:`encode`, :meth:`decode` and :meth:`forward`.
    af_hidden : int
        Hidden width of the AF modules' MLP.

    Example
    -------
    >>> net = DeepJSCC(latent_channels=4, num_down=2)
    >>> z = net.encode(torch.rand(2, 3, 32, 32)); tuple(z.shape)
    (2, 4, 8, 8)
    >>> net.cbr() == 4 / 96
    True
    """

    @register_to_config
    def __init__(self, latent_channels: int = 4, num_down: int = 2,
                 channels: Sequence[int] = (16, 32, 32, 32), kernel_size: int = 5,
                 snr_adaptive: bool = False, af_hidden: int = 16, in_channels: int = 3):
        super().__init__()
        channels = [int(ch) for ch in channels]
        if latent_channels < 1:
            raise ValueError(f"latent_channels must be >= 1, got {latent_channels}")
        if not 1 <= num_down <= len(channels):
            raise ValueError(f"num_down must be in [1, len(channels)={len(channels)}], got {num_down}")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        pad = kernel_size // 2
        strides = [2 if i < num_down else 1 for i in range(len(channels))]

        self.enc_convs, self.enc_acts = nn.ModuleList(), nn.ModuleList()
        prev = in_channels
        for ch, s in zip(channels + [latent_channels], strides + [1]):
            self.enc_convs.append(nn.Conv2d(prev, ch, kernel_size, stride=s, padding=pad))
            self.enc_acts.append(nn.PReLU(ch))
            prev = ch

        self.dec_convs, self.dec_acts = nn.ModuleList(), nn.ModuleList()
        dec_out = channels[::-1] + [in_channels]
        dec_strides = [1] + strides[::-1]
        for ch, s in zip(dec_out, dec_strides):
            self.dec_convs.append(nn.ConvTranspose2d(prev, ch, kernel_size, stride=s, padding=pad,
                                                     output_padding=s - 1))
            prev = ch
        for ch in dec_out[:-1]:
            self.dec_acts.append(nn.PReLU(ch))

        if snr_adaptive:
            self.enc_af = nn.ModuleList(AFModule(ch, af_hidden) for ch in channels)
            self.dec_af = nn.ModuleList(AFModule(ch, af_hidden) for ch in dec_out[:-1])
        else:
            self.enc_af = self.dec_af = None

    # ------------------------------------------------------------------ helpers
    @property
    def downsampling(self) -> int:
        """Spatial reduction per side, 2^D (image sides must be multiples of it)."""
        return 2 ** self.config.num_down

    def cbr(self) -> float:
        """Channel bandwidth ratio c / (6 * 4^D): complex channel uses per source real."""
        return self.config.latent_channels / (2 * self.config.in_channels * 4 ** self.config.num_down)

    def latent_shape(self, height: int, width: int) -> tuple:
        """Shape [c, H/2^D, W/2^D] of one example's latent."""
        self._check_size(height, width)
        d = self.downsampling
        return (self.config.latent_channels, height // d, width // d)

    def _check_size(self, height: int, width: int):
        d = self.downsampling
        if height % d or width % d or height < d or width < d:
            raise ValueError(f"DeepJSCC with D={self.config.num_down} needs image height and width "
                             f"that are positive multiples of 2^D={d}, got {height}x{width}")

    def _snr(self, snr_db, batch: int, device) -> torch.Tensor | None:
        if not self.config.snr_adaptive:
            return None
        if snr_db is None:
            raise ValueError("this DeepJSCC model is SNR-adaptive: snr_db is required")
        snr = snr_per_example(snr_db, batch, device)
        return snr.clamp(SNR_MIN_DB, SNR_MAX_DB) / SNR_SCALE_DB

    # ------------------------------------------------------------------ network
    def encode(self, images: torch.Tensor, snr_db=None) -> torch.Tensor:
        """Images [B, 3, H, W] in [0, 1] -> latent [B, c, H/2^D, W/2^D] (not power normalised)."""
        if images.dim() != 4 or images.shape[1] != self.config.in_channels:
            raise ValueError(f"images must be [B, {self.config.in_channels}, H, W], got {tuple(images.shape)}")
        self._check_size(images.shape[2], images.shape[3])
        snr = self._snr(snr_db, images.shape[0], images.device)
        x = images
        last = len(self.enc_convs) - 1
        for i, (conv, act) in enumerate(zip(self.enc_convs, self.enc_acts)):
            x = act(conv(x))
            if snr is not None and i < last:
                x = self.enc_af[i](x, snr)
        return x

    def decode(self, latent: torch.Tensor, snr_db=None) -> torch.Tensor:
        """(Received) latent [B, c, h, w] -> images [B, 3, 2^D h, 2^D w] in [0, 1]."""
        if latent.dim() != 4 or latent.shape[1] != self.config.latent_channels:
            raise ValueError(f"latent must be [B, {self.config.latent_channels}, h, w], "
                             f"got {tuple(latent.shape)}")
        snr = self._snr(snr_db, latent.shape[0], latent.device)
        x = latent
        last = len(self.dec_convs) - 1
        for i, conv in enumerate(self.dec_convs):
            x = conv(x)
            if i < last:
                x = self.dec_acts[i](x)
                if snr is not None:
                    x = self.dec_af[i](x, snr)
        return torch.sigmoid(x)

    def forward(self, images: torch.Tensor, snr_db=None) -> torch.Tensor:
        """Noiseless autoencoding (the channel sits between :meth:`encode` and :meth:`decode`)."""
        return self.decode(self.encode(images, snr_db), snr_db)

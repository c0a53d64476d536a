"""The SNR-adaptive CNN deep JSCC of Yang and Kim (ICASSP 2022), the first stage of DiffJSCC
(seed 004) and the project's full-strength DeepJSCC baseline (shared by both).

Encoder: a 7x7 stem, ``num_down`` (D) stride-2 3x3 convolutions (channels doubling from
``base_channels`` up to ``max_channels``), ``enc_blocks`` residual blocks each followed by a
channel-state modulation, and a 3x3 projection to ``latent_channels`` (C) channels. Decoder: a
3x3 convolution from C channels, ``dec_blocks`` residual blocks with modulations, D transposed
stride-2 convolutions and a 5x5 output convolution with a sigmoid.

Channel-state modulation (squeeze-excitation with the CSI): the features' global average, joined
with the CSI vector, go through two two-layer MLPs, one giving a sigmoid gate per channel and
one an offset per channel: ``x * gate + offset``. The encoder's CSI is the SNR the transmitter is
told; the decoder's CSI is the SNR and the fading gain h (Re h, Im h; h = 1 on AWGN) the receiver
has, perfect or estimated, after zero forcing.

Rate: the latent of an image [3, H, W] is [C, H/2^D, W/2^D], ``C H W / 4^D`` reals, i.e.
``K = C H W / (2 * 4^D)`` complex channel uses, so ``rho = K / (3 H W) = C / (3 * 2^(2D+1))``
(:meth:`SNRAdaptiveJSCC.cbr`); C = 4, D = 4 is the seed's 1/384. Power normalisation is not part of
the network: the project's :class:`semcom.phy.AnalogMapper` scales every latent to unit average
symbol power.
"""
from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ..csi import snr_per_example

# The SNR enters as snr_db / SNR_SCALE_DB, clamped to [SNR_MIN_DB, SNR_MAX_DB].
SNR_SCALE_DB = 10.0
SNR_MIN_DB, SNR_MAX_DB = -30.0, 50.0
GROUPS = 8


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(GROUPS, channels), channels)


class CSIModulation(nn.Module):
    """``x * sigmoid(f([GAP(x), csi])) + g([GAP(x), csi])`` with two-layer MLPs f and g."""

    def __init__(self, channels: int, csi_dim: int):
        super().__init__()
        self.gate = nn.Sequential(nn.Linear(channels + csi_dim, channels), nn.ReLU(),
                                  nn.Linear(channels, channels), nn.Sigmoid())
        self.offset = nn.Sequential(nn.Linear(channels + csi_dim, channels), nn.ReLU(),
                                    nn.Linear(channels, channels))

    def forward(self, x, csi):
        context = torch.cat([x.mean(dim=(2, 3)), csi], dim=1)
        return x * self.gate(context)[:, :, None, None] + self.offset(context)[:, :, None, None]


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with group norm and ReLU, plus the input."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), _norm(channels), nn.ReLU(),
                                  nn.Conv2d(channels, channels, 3, padding=1), _norm(channels))

    def forward(self, x):
        return x + self.body(x)


class SNRAdaptiveJSCC(ModelMixin, ConfigMixin):
    """Yang and Kim's SNR-adaptive CNN deep JSCC (see the module docstring).

    Parameters
    ----------
    latent_channels : int
        C, channels of the latent (what is sent).
    num_down : int
        D, stride-2 stages (spatial reduction 2^D per side).
    base_channels, max_channels : int
        Channels of the stem and cap of the doubling.
    num_enc_blocks, num_dec_blocks : int
        Residual blocks (each with a CSI modulation) at the bottleneck of encoder and decoder.

    Example
    -------
    >>> net = SNRAdaptiveJSCC(latent_channels=4, num_down=4, base_channels=8, max_channels=16)
    >>> z = net.encode(torch.rand(2, 3, 64, 64), snr_db=5.0); tuple(z.shape)
    (2, 4, 4, 4)
    >>> net.cbr() == 1 / 384
    True
    """

    enc_csi_dim = 1          # SNR
    dec_csi_dim = 3          # SNR, Re h, Im h

    @register_to_config
    def __init__(self, latent_channels: int = 4, num_down: int = 4, base_channels: int = 32,
                 max_channels: int = 192, num_enc_blocks: int = 2, num_dec_blocks: int = 2, in_channels: int = 3):
        super().__init__()
        if latent_channels < 1 or num_down < 1 or base_channels < 1 or max_channels < base_channels:
            raise ValueError(f"need latent_channels >= 1, num_down >= 1, 1 <= base_channels <= max_channels; "
                             f"got {latent_channels}, {num_down}, {base_channels}, {max_channels}")
        widths = [min(base_channels * 2 ** i, max_channels) for i in range(num_down + 1)]
        top = widths[-1]
        enc = [nn.Conv2d(in_channels, widths[0], 7, padding=3), _norm(widths[0]), nn.ReLU()]
        for a, b in zip(widths[:-1], widths[1:]):
            enc += [nn.Conv2d(a, b, 3, stride=2, padding=1), _norm(b), nn.ReLU()]
        self.enc_stem = nn.Sequential(*enc)
        self.enc_blocks = nn.ModuleList(ResidualBlock(top) for _ in range(num_enc_blocks))
        self.enc_mods = nn.ModuleList(CSIModulation(top, self.enc_csi_dim) for _ in range(num_enc_blocks))
        self.enc_out = nn.Conv2d(top, latent_channels, 3, padding=1)

        self.dec_in = nn.Conv2d(latent_channels, top, 3, padding=1)
        self.dec_blocks = nn.ModuleList(ResidualBlock(top) for _ in range(num_dec_blocks))
        self.dec_mods = nn.ModuleList(CSIModulation(top, self.dec_csi_dim) for _ in range(num_dec_blocks))
        dec = []
        for a, b in zip(widths[::-1][:-1], widths[::-1][1:]):
            dec += [nn.ConvTranspose2d(a, b, 3, stride=2, padding=1, output_padding=1), _norm(b), nn.ReLU()]
        dec += [nn.Conv2d(widths[0], in_channels, 5, padding=2), nn.Sigmoid()]
        self.dec_tail = nn.Sequential(*dec)

    # ------------------------------------------------------------------ helpers
    @property
    def downsampling(self) -> int:
        """Spatial reduction per side, 2^D (image sides must be multiples of it)."""
        return 2 ** self.config.num_down

    @property
    def snr_adaptive(self) -> bool:
        return True

    def cbr(self) -> float:
        """rho = C / (3 * 2^(2D+1)): complex channel uses per source real."""
        return self.config.latent_channels / (self.config.in_channels * 2 ** (2 * self.config.num_down + 1))

    def latent_shape(self, height: int, width: int) -> tuple:
        """Shape [C, H/2^D, W/2^D] of one example's latent."""
        d = self.downsampling
        if height % d or width % d or height < d or width < d:
            raise ValueError(f"this JSCC (D={self.config.num_down}) needs image height and width that are "
                             f"positive multiples of 2^D={d}, got {height}x{width}")
        return (self.config.latent_channels, height // d, width // d)

    @staticmethod
    def _snr(snr_db, batch: int, device) -> torch.Tensor:
        if snr_db is None:
            raise ValueError("the SNR-adaptive JSCC needs snr_db")
        snr = snr_per_example(snr_db, batch, device)
        return (snr.clamp(SNR_MIN_DB, SNR_MAX_DB) / SNR_SCALE_DB)[:, None]

    @staticmethod
    def _gain(gain, batch: int, device) -> torch.Tensor:
        """[B, 2] (Re h, Im h); ``None`` = 1 (AWGN, or a receiver that equalised already)."""
        if gain is None:
            return torch.tensor([[1.0, 0.0]], device=device).expand(batch, 2)
        h = torch.as_tensor(gain, device=device).to(torch.complex64).reshape(-1)
        if h.numel() == 1:
            h = h.expand(batch)
        if h.numel() != batch:
            raise ValueError(f"gain has {h.numel()} values for a batch of {batch} (one per image: block fading)")
        h = torch.where(torch.isfinite(h.real) & torch.isfinite(h.imag), h, torch.ones_like(h))
        return torch.stack([h.real, h.imag], dim=1).float()

    # ------------------------------------------------------------------ network
    def encode(self, images: torch.Tensor, snr_db=None) -> torch.Tensor:
        """Images [B, 3, H, W] in [0, 1] and the SNR in dB (scalar or [B]) -> latent
        [B, C, H/2^D, W/2^D] (not power normalised)."""
        if images.dim() != 4 or images.shape[1] != self.config.in_channels:
            raise ValueError(f"images must be [B, {self.config.in_channels}, H, W], got {tuple(images.shape)}")
        self.latent_shape(images.shape[2], images.shape[3])
        csi = self._snr(snr_db, images.shape[0], images.device)
        x = self.enc_stem(images)
        for block, mod in zip(self.enc_blocks, self.enc_mods):
            x = mod(block(x), csi)
        return self.enc_out(x)

    def decode(self, latent: torch.Tensor, snr_db=None, gain=None) -> torch.Tensor:
        """(Received, zero-forced) latent [B, C, h, w], the SNR in dB and the gain h (scalar or [B]
        complex; None = 1) -> images [B, 3, 2^D h, 2^D w] in [0, 1]."""
        if latent.dim() != 4 or latent.shape[1] != self.config.latent_channels:
            raise ValueError(f"latent must be [B, {self.config.latent_channels}, h, w], got {tuple(latent.shape)}")
        batch = latent.shape[0]
        csi = torch.cat([self._snr(snr_db, batch, latent.device), self._gain(gain, batch, latent.device)], dim=1)
        x = self.dec_in(latent)
        for block, mod in zip(self.dec_blocks, self.dec_mods):
            x = mod(block(x), csi)
        return self.dec_tail(x)

    def forward(self, images: torch.Tensor, snr_db=None) -> torch.Tensor:
        """Noiseless autoencoding (the channel sits between :meth:`encode` and :meth:`decode`)."""
        return self.decode(self.encode(images, snr_db), snr_db)

"""LRISC's variable-length JSCC (seed 002, Fig. 2 and 3; NTSCC-style, after Dai et al. 2022).

Encoder f_e: the patch embeddings z_i [C] (one per spatial position of the latent, raster order)
are projected to width ``dim``, a learnable rate token r_q (one per allowed length v_q) is added to
each according to its bandwidth index q_i, ``num_blocks`` transformer blocks mix the patches, the
SNR-adaptive module modulates the features, and head q (a fully connected layer 'dim -> 2 v_q')
gives patch i its 2 k_i reals (k_i = v_{q_i} complex channel uses). The symbols of an image are
scaled to unit average power per complex channel use over its sum_i k_i symbols.

Decoder f_d (the mirror): head q ('2 v_q -> dim') reads patch i's received reals, the rate token
is added, the SNR-adaptive module and ``num_blocks`` transformer blocks follow, and a linear layer
gives z_hat_i [C].

The bandwidth of a patch (Eq. 3): k_i = Q(-beta log2 p(z_i | y)) with Q the nearest value of the
allowed set V = {v_1 < ... < v_{2^n}} (ties to the larger one); :func:`allocate`.

SNR-adaptive module (SwinJSCC's, Fig. 3): ``num_sm + 1`` fully connected layers alternate with
``num_sm`` SNR-modulation (SM) modules; SM m is a three-layer FC network SNR -> [dim] (ReLU,
ReLU, sigmoid); the features pass FC_1, x SM_1, FC_2, x SM_2, ..., and the last FC with a sigmoid
gives the mask that scales the block's input. The seed uses 8 FC and 7 SM.

Positions: a fixed 2-D sinusoidal embedding of the patch's (row, column) is added to the projected
embeddings at both ends (the transformer is otherwise permutation invariant; sinusoids keep any
image size).
"""
from __future__ import annotations

import math

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ...csi import snr_per_example

SNR_SCALE_DB = 20.0                 # the SM modules see snr_db / 20
SNR_MIN_DB, SNR_MAX_DB = -20.0, 40.0


def allocate(bits: torch.Tensor, beta: float, lengths) -> torch.Tensor:
    """Eq. (3): index q_i of the allowed length nearest to beta * bits_i (ties: the larger).

    Parameters
    ----------
    bits : [...] float
        -log2 p(z_i | y) per patch, in bits.
    beta : float
        Channel uses per bit, > 0.
    lengths : sequence of int
        The allowed lengths V, strictly increasing.

    Output
    ------
    [...] int64, indexes into ``lengths``.
    """
    if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive finite number, got {beta!r}")
    v = torch.as_tensor(list(lengths), dtype=torch.float64, device=bits.device)
    k = beta * bits.double().clamp_min(0)
    # midpoints between neighbours: index = number of midpoints <= k
    mids = (v[1:] + v[:-1]) / 2
    return torch.bucketize(k, mids, right=True)


def sinusoid_2d(rows: int, cols: int, dim: int, device=None) -> torch.Tensor:
    """[rows * cols, dim] 2-D sinusoidal position codes (half the channels for the row)."""
    half = dim // 2
    def axis(n, d):
        pos = torch.arange(n, dtype=torch.float32, device=device)[:, None]
        freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32, device=device) / max(d, 1))
        e = torch.zeros(n, d, device=device)
        e[:, 0::2] = torch.sin(pos * freq)
        e[:, 1::2] = torch.cos(pos * freq[: d // 2])
        return e
    r, c = axis(rows, half), axis(cols, dim - half)
    return torch.cat([r[:, None, :].expand(rows, cols, half), c[None, :, :].expand(rows, cols, dim - half)],
                     dim=-1).reshape(rows * cols, dim)


class SNRModulation(nn.Module):
    """SwinJSCC's SNR-adaptive module: features [B, L, dim] and SNR [B] (dB) -> modulated features."""

    def __init__(self, dim: int, num_sm: int = 7):
        super().__init__()
        self.fc = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_sm + 1))
        self.sm = nn.ModuleList(nn.Sequential(nn.Linear(1, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(),
                                              nn.Linear(dim, dim), nn.Sigmoid()) for _ in range(num_sm))

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        s = (snr_db.clamp(SNR_MIN_DB, SNR_MAX_DB) / SNR_SCALE_DB)[:, None].to(x.dtype)
        h = x
        for fc, sm in zip(self.fc[:-1], self.sm):
            h = fc(h) * sm(s)[:, None, :]
        return x * torch.sigmoid(self.fc[-1](h))


class VariableLengthJSCC(ModelMixin, ConfigMixin):
    """f_e and f_d of LRISC (see the module docstring).

    Parameters
    ----------
    latent_channels : int
        C, the length of a patch embedding.
    lengths : list of int
        The allowed complex channel uses per patch V (2^n values, strictly increasing).
    dim : int
        Transformer width.
    num_blocks : int
        N_e, transformer blocks at each end.
    num_heads : int
        Attention heads.
    num_sm : int
        SM modules of the SNR-adaptive module (FC layers: num_sm + 1).
    snr_adaptive : bool
        With the SNR-adaptive modules (the seed's stage 2 first trains without them).
    use_prior : bool
        The decoder also reads the hyperprior's (mu, log sigma) of each patch, which the receiver
        has from the range-coded y it gets as side information (a linear layer 2C -> dim added to
        the patch features). The seed sends y but does not say how the receiver uses it; this is
        the project's choice.
    """

    @register_to_config
    def __init__(self, latent_channels: int = 64, lengths=(8, 16, 24, 32, 40, 48, 56, 64), dim: int = 128,
                 num_blocks: int = 2, num_heads: int = 4, mlp_ratio: float = 2.0, num_sm: int = 7,
                 snr_adaptive: bool = True, use_prior: bool = True):
        super().__init__()
        lengths = [int(v) for v in lengths]
        if not lengths or any(v < 1 for v in lengths) or any(b <= a for a, b in zip(lengths, lengths[1:])):
            raise ValueError(f"lengths must be positive and strictly increasing, got {lengths}")
        if len(lengths) & (len(lengths) - 1):
            raise ValueError(f"the seed's quantiser has 2^n levels; got {len(lengths)} lengths")
        if dim % num_heads or dim % 2:
            raise ValueError(f"dim ({dim}) must be even and a multiple of num_heads ({num_heads})")
        self.lengths = lengths
        hidden = int(dim * mlp_ratio)
        block = lambda: nn.TransformerEncoderLayer(dim, num_heads, hidden, dropout=0.0, activation="gelu",
                                                   batch_first=True, norm_first=True)
        # transmitter
        self.enc_in = nn.Linear(latent_channels, dim)
        self.enc_rate_tokens = nn.Parameter(torch.zeros(len(lengths), dim))
        self.enc_blocks = nn.ModuleList(block() for _ in range(num_blocks))
        self.enc_norm = nn.LayerNorm(dim)
        self.enc_snr = SNRModulation(dim, num_sm) if snr_adaptive else None
        self.enc_heads = nn.ModuleList(nn.Linear(dim, 2 * v) for v in lengths)
        # receiver
        self.dec_heads = nn.ModuleList(nn.Linear(2 * v, dim) for v in lengths)
        self.dec_rate_tokens = nn.Parameter(torch.zeros(len(lengths), dim))
        self.dec_snr = SNRModulation(dim, num_sm) if snr_adaptive else None
        self.dec_prior = nn.Linear(2 * latent_channels, dim) if use_prior else None
        self.dec_blocks = nn.ModuleList(block() for _ in range(num_blocks))
        self.dec_norm = nn.LayerNorm(dim)
        self.dec_out = nn.Linear(dim, latent_channels)
        nn.init.normal_(self.enc_rate_tokens, std=0.02)
        nn.init.normal_(self.dec_rate_tokens, std=0.02)
        # True skips the SNR-adaptive modules (the seed's first part of stage 2, at a fixed SNR)
        self.snr_bypass = False

    @property
    def max_length(self) -> int:
        return self.lengths[-1]

    def lengths_of(self, index: torch.Tensor) -> torch.Tensor:
        """Complex channel uses k_i of bandwidth indexes q_i (same shape, int64)."""
        return torch.as_tensor(self.lengths, device=index.device)[index.long()]

    def _snr(self, snr_db, batch, device):
        return snr_per_example(snr_db, batch, device)

    def _tokens(self, z: torch.Tensor) -> torch.Tensor:
        b, c, h, w = z.shape
        if c != self.config.latent_channels:
            raise ValueError(f"z must have {self.config.latent_channels} channels, got {tuple(z.shape)}")
        return z.flatten(2).transpose(1, 2)                       # [B, L, C], L = h w (raster)

    def encode(self, z: torch.Tensor, index: torch.Tensor, snr_db=None) -> torch.Tensor:
        """f_e: latent z [B, C, h, w], bandwidth indexes [B, h, w] and the SNR (dB, scalar or [B])
        -> symbols [B, h w, 2 v_max] (reals; patch i holds 2 k_i of them, the rest 0), at unit
        average power per complex channel use over each image's sum_i k_i uses."""
        b, _, h, w = z.shape
        if tuple(index.shape) != (b, h, w):
            raise ValueError(f"index must be [B, h, w] = {(b, h, w)}, got {tuple(index.shape)}")
        q = index.reshape(b, h * w).long()
        x = self.enc_in(self._tokens(z)) + sinusoid_2d(h, w, self.config.dim, z.device)[None]
        x = x + self.enc_rate_tokens[q]
        for blk in self.enc_blocks:
            x = blk(x)
        x = self.enc_norm(x)
        if self.enc_snr is not None and not self.snr_bypass:
            x = self.enc_snr(x, self._snr(snr_db, b, z.device))
        vmax2 = 2 * self.max_length
        out = x.new_zeros(b, h * w, vmax2)
        for j, head in enumerate(self.enc_heads):
            sel = q == j
            if sel.any():
                out[sel] = nn.functional.pad(head(x[sel]), (0, vmax2 - 2 * self.lengths[j]))
        return normalize_power(out, self.lengths_of(q))

    def decode(self, symbols: torch.Tensor, index: torch.Tensor, snr_db=None, prior=None) -> torch.Tensor:
        """f_d: received symbols [B, h w, 2 v_max] (reals; the first 2 k_i of patch i are read),
        bandwidth indexes [B, h, w], the SNR (dB) and (``use_prior``) the hyperprior's
        ``(mu, sigma)`` (each [B, C, h, w]) -> z_hat [B, C, h, w]."""
        b, h, w = index.shape
        vmax2 = 2 * self.max_length
        if tuple(symbols.shape) != (b, h * w, vmax2):
            raise ValueError(f"symbols must be [B, h w, 2 v_max] = {(b, h * w, vmax2)}, got {tuple(symbols.shape)}")
        q = index.reshape(b, h * w).long()
        x = symbols.new_zeros(b, h * w, self.config.dim)
        for j, head in enumerate(self.dec_heads):
            sel = q == j
            if sel.any():
                x[sel] = head(symbols[sel][:, : 2 * self.lengths[j]])
        x = x + self.dec_rate_tokens[q] + sinusoid_2d(h, w, self.config.dim, symbols.device)[None]
        if self.dec_prior is not None:
            if prior is None:
                raise ValueError("this JSCC decoder reads the hyperprior: pass prior=(mu, sigma)")
            mu, sigma = prior
            feats = torch.cat([mu, torch.log(sigma.abs().clamp_min(0.11))], dim=1)   # 0.11: the scale bound
            if tuple(feats.shape) != (b, 2 * self.config.latent_channels, h, w):
                raise ValueError(f"prior must be two [B, C, h, w] tensors matching index {tuple(index.shape)}")
            x = x + self.dec_prior(feats.flatten(2).transpose(1, 2))
        if self.dec_snr is not None and not self.snr_bypass:
            x = self.dec_snr(x, self._snr(snr_db, b, symbols.device))
        for blk in self.dec_blocks:
            x = blk(x)
        z = self.dec_out(self.dec_norm(x))
        return z.transpose(1, 2).reshape(b, self.config.latent_channels, h, w)


def normalize_power(symbols: torch.Tensor, uses: torch.Tensor, power: float = 1.0) -> torch.Tensor:
    """Scale each image's symbols [B, L, 2 v_max] (reals, pairs = complex uses; ``uses`` [B, L]
    complex uses per patch) so that sum |s|^2 / sum_i k_i = ``power``."""
    total = uses.flatten(1).sum(1).clamp_min(1).to(symbols.dtype)
    energy = symbols.square().flatten(1).sum(1).clamp_min(1e-12)
    return symbols * torch.sqrt(power * total / energy)[:, None, None]


def awgn(symbols: torch.Tensor, uses: torch.Tensor, snr_db, generator=None) -> torch.Tensor:
    """Complex AWGN at ``snr_db`` (per complex use, unit signal power: N0 = 10^(-SNR/10), N0/2 per
    real) on the valid reals of ``symbols`` [B, L, 2 v_max]; padding stays 0. Differentiable."""
    b, _, vmax2 = symbols.shape
    snr = snr_per_example(snr_db, b, symbols.device)
    sigma = torch.sqrt(0.5 * torch.pow(10.0, -snr / 10.0)).to(symbols.dtype)
    noise = torch.randn(symbols.shape, generator=generator, device=symbols.device, dtype=symbols.dtype)
    mask = torch.arange(vmax2, device=symbols.device)[None, None, :] < 2 * uses[..., None]
    return (symbols + sigma[:, None, None] * noise) * mask


__all__ = ["VariableLengthJSCC", "SNRModulation", "allocate", "normalize_power", "awgn", "sinusoid_2d"]

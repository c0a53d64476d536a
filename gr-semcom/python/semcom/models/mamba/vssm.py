"""VMamba's 2D selective scan (SS2D) and the visual state-space block, with MambaJSCC's channel
adaptation (VSSM-CA), in plain PyTorch on channels-last feature maps.

- :func:`cross_scan` / :func:`cross_merge`: VMamba's four scan orders of an ``H x W`` map (rows
  left to right, columns top to bottom, and both reversed) and their sum back onto the map.
- :class:`SS2D`: in-projection to ``x`` and a gate ``z``, a depthwise 3x3 convolution and SiLU on
  ``x``, the four scans each with their own ``Delta``/``B``/``C`` projections and state matrices
  (:func:`~semcom.models.mamba.scan.selective_scan`), the merge, a layer norm, the SiLU gate and the
  out-projection (VMamba's ``SS2D`` with ``forward_type`` v0/v2 semantics).
- :class:`CSIEncoder` and :class:`VSSBlock`: MambaJSCC's CSI embedding (Wu et al., GLOBECOM 2024,
  the reference of seed 003): ONE small MLP shared by every block of the encoder (or decoder) turns
  the channel state (SNR in dB / 10, and a fast-fading flag) into a vector; each block projects that
  vector with its own linear layer to a per-channel offset added to the block's normalised input
  before SS2D, ``x + SS2D(LN(x) + W_b c)`` (then an optional MLP branch as VMamba v2). The paper's
  abstract states the shared encoding module and the injection into every VSSM-CA block; the layer
  sizes here are this project's choice (the paper's are not reproduced).

Feature maps are ``[batch, H, W, C]`` (channels last) inside the blocks.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .scan import DEFAULT_CHUNK, MAX_LOG_DECAY, selective_scan

DIRECTIONS = 4


def cross_scan(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, H, W]`` -> ``[B, 4, C, H*W]``: row-major, column-major, and both reversed."""
    b, c, h, w = x.shape
    rows = x.flatten(2)
    cols = x.transpose(2, 3).flatten(2)
    return torch.stack([rows, cols, rows.flip(-1), cols.flip(-1)], dim=1)


def cross_merge(y: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`cross_scan` summed over directions: ``[B, 4, C, H*W]`` -> ``[B, C, H, W]``."""
    b, k, c, length = y.shape
    if k != DIRECTIONS or length != h * w:
        raise ValueError(f"cross_merge: expected [B, 4, C, {h * w}], got {tuple(y.shape)}")
    rows = y[:, 0] + y[:, 2].flip(-1)
    cols = y[:, 1] + y[:, 3].flip(-1)
    cols = cols.reshape(b, c, w, h).transpose(2, 3).reshape(b, c, length)
    return (rows + cols).reshape(b, c, h, w)


class SS2D(nn.Module):
    """VMamba's 2D selective scan.

    Parameters
    ----------
    dim : int
        Channels of the input and output.
    d_state : int
        N, state size per channel and direction.
    expand : float
        ``d_inner = expand * dim``.
    dt_rank : int or "auto"
        Rank of the ``Delta`` projection (``ceil(dim / 16)`` for "auto").
    chunk_size : int
        Chunk of the scan (:func:`selective_scan`).

    Input / output: ``[B, H, W, dim]``.
    """

    def __init__(self, dim: int, d_state: int = 4, expand: float = 2.0, dt_rank="auto", d_conv: int = 3,
                 dt_min: float = 1e-3, dt_max: float = 0.1, chunk_size: int = DEFAULT_CHUNK):
        super().__init__()
        d_inner = int(expand * dim)
        dt_rank = math.ceil(dim / 16) if dt_rank == "auto" else int(dt_rank)
        self.d_inner, self.d_state, self.dt_rank, self.chunk_size = d_inner, int(d_state), dt_rank, int(chunk_size)
        k = DIRECTIONS
        self.in_proj = nn.Linear(dim, 2 * d_inner, bias=False)
        self.conv2d = nn.Conv2d(d_inner, d_inner, d_conv, padding=d_conv // 2, groups=d_inner)
        self.x_proj_weight = nn.Parameter(torch.empty(k, dt_rank + 2 * self.d_state, d_inner))
        self.dt_projs_weight = nn.Parameter(torch.empty(k, d_inner, dt_rank))
        self.dt_projs_bias = nn.Parameter(torch.empty(k, d_inner))
        self.A_logs = nn.Parameter(torch.empty(k * d_inner, self.d_state))
        self.Ds = nn.Parameter(torch.empty(k * d_inner))
        self.out_norm = nn.LayerNorm(d_inner)
        self.out_proj = nn.Linear(d_inner, dim, bias=False)
        self._dt_range = (float(dt_min), float(dt_max))
        self.reset_ssm_parameters()

    @torch.no_grad()
    def reset_ssm_parameters(self):
        """Mamba's initialisation: ``A = -[1..N]`` per channel (S4D-real), ``D = 1``, ``Delta``'s
        bias the inverse softplus of log-uniform steps in ``[dt_min, dt_max]``."""
        k, d_inner, n = DIRECTIONS, self.d_inner, self.d_state
        nn.init.uniform_(self.x_proj_weight, -d_inner ** -0.5, d_inner ** -0.5)
        nn.init.uniform_(self.dt_projs_weight, -self.dt_rank ** -0.5, self.dt_rank ** -0.5)
        lo, hi = self._dt_range
        dt = torch.exp(torch.rand(k, d_inner) * (math.log(hi) - math.log(lo)) + math.log(lo)).clamp(min=1e-4)
        self.dt_projs_bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.A_logs.copy_(torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(k * d_inner, 1))
        self.Ds.fill_(1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        x, z = self.in_proj(x).chunk(2, dim=-1)
        x = F.silu(self.conv2d(x.permute(0, 3, 1, 2)))              # [B, d_inner, H, W]
        xs = cross_scan(x)                                           # [B, 4, d_inner, L]
        proj = torch.einsum("bkdl,kcd->bkcl", xs, self.x_proj_weight)
        dts, Bs, Cs = torch.split(proj, [self.dt_rank, self.d_state, self.d_state], dim=2)
        dts = torch.einsum("bkrl,kdr->bkdl", dts, self.dt_projs_weight)
        length = h * w
        y = selective_scan(xs.reshape(b, -1, length), dts.reshape(b, -1, length), -torch.exp(self.A_logs.float()),
                           Bs, Cs, D=self.Ds.float(), delta_bias=self.dt_projs_bias.reshape(-1).float(),
                           delta_softplus=True, chunk_size=self.chunk_size, max_log_decay=MAX_LOG_DECAY)
        y = cross_merge(y.reshape(b, DIRECTIONS, self.d_inner, length), h, w).permute(0, 2, 3, 1)
        y = self.out_norm(y) * F.silu(z)
        return self.out_proj(y)


class CSIEncoder(nn.Module):
    """The shared CSI encoding module: ``[B, csi_features]`` -> ``[B, csi_dim]``
    (two linear layers with a ReLU between and after)."""

    def __init__(self, csi_features: int, csi_dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(csi_features, csi_dim), nn.ReLU(), nn.Linear(csi_dim, csi_dim), nn.ReLU())

    def forward(self, csi: torch.Tensor) -> torch.Tensor:
        return self.net(csi)


class VSSBlock(nn.Module):
    """A VSSM-CA block on ``[B, H, W, dim]``: ``x + SS2D(LN(x) + W c)`` (``W c``: this block's CSI
    embedding of the shared CSI vector ``c`` [B, csi_dim]; omitted when ``csi_dim`` is 0), then
    ``x + MLP(LN(x))`` when ``mlp_ratio > 0``."""

    def __init__(self, dim: int, csi_dim: int = 0, d_state: int = 4, expand: float = 2.0, mlp_ratio: float = 2.0,
                 chunk_size: int = DEFAULT_CHUNK):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.csi_embed = nn.Linear(csi_dim, dim) if csi_dim else None
        self.ss2d = SS2D(dim, d_state=d_state, expand=expand, chunk_size=chunk_size)
        hidden = int(dim * mlp_ratio)
        self.mlp = (nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
                    if hidden else None)

    def forward(self, x: torch.Tensor, csi: torch.Tensor | None = None) -> torch.Tensor:
        u = self.norm(x)
        if self.csi_embed is not None:
            if csi is None:
                raise ValueError("this VSSM-CA block adapts to the channel: pass the CSI vector")
            u = u + self.csi_embed(csi)[:, None, None, :]
        x = x + self.ss2d(u)
        if self.mlp is not None:
            x = x + self.mlp(x)
        return x

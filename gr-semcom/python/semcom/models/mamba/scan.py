r"""The selective scan of Mamba (S6) in plain PyTorch: a chunked parallel form that runs on any
device (no CUDA kernels), and the naive sequential recurrence it is tested against.

For every channel ``d`` and state index ``n`` the scan runs the discretised linear recurrence

.. math::
    h_t = \exp(\Delta_t A)\, h_{t-1} + \Delta_t B_t u_t, \qquad y_t = C_t^\top h_t + D u_t

with input-dependent step :math:`\Delta_t` (after ``softplus(delta + delta_bias)``), input matrix
:math:`B_t` and output matrix :math:`C_t` (zero-order hold for :math:`A`, Euler for :math:`B`, as
Mamba's CUDA kernel and VMamba's ``selective_scan_fn``), optionally gated by ``silu(z)``.

:func:`selective_scan` splits the sequence into chunks of ``chunk_size`` steps. Inside a chunk the
recurrence is solved in closed form with cumulative sums of the log-decays
:math:`S_t = \sum_{s\le t} \Delta_s A`:

.. math::
    h_t = e^{S_t} h_0 + e^{S_t} \sum_{s \le t} e^{-S_s}\, \Delta_s B_s u_s ,

every chunk at once from a zero state (``cumsum`` along the chunk), then the chunks' start states
:math:`h_0` are carried from one chunk to the next (a Python loop of ``L / chunk_size`` small steps)
and added with their decay :math:`e^{S_t}`. The factor :math:`e^{-S_s}` grows
along a chunk; it stays finite because every per-step log-decay is floored at
``-max_log_decay`` (:data:`MAX_LOG_DECAY`, so a step keeps at least :math:`e^{-4} \approx 1.8\,\%`
of the state) and ``chunk_size * max_log_decay`` is checked against the dtype's exponent range.
The floor is part of the model's definition and :func:`selective_scan_ref` applies the same floor,
so the two compute the same function (tested in float64 against each other).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

#: Floor of the per-step log-decay ``delta * A`` (see the module docstring).
MAX_LOG_DECAY = 4.0
DEFAULT_CHUNK = 16


def _check(u, delta, A, B, C, D, z, delta_bias):
    if u.dim() != 3:
        raise ValueError(f"u must be [batch, channels, length], got {tuple(u.shape)}")
    b, d, length = u.shape
    if delta.shape != u.shape:
        raise ValueError(f"delta {tuple(delta.shape)} must have u's shape {tuple(u.shape)}")
    if A.dim() != 2 or A.shape[0] != d:
        raise ValueError(f"A must be [channels={d}, state], got {tuple(A.shape)}")
    n = A.shape[1]
    for name, m in (("B", B), ("C", C)):
        if m.dim() == 3:
            m = m[:, None]
        if m.dim() != 4 or m.shape[0] != b or m.shape[2] != n or m.shape[3] != length or d % m.shape[1]:
            raise ValueError(f"{name} must be [batch, groups, state={n}, length={length}] (or without "
                             f"groups) with groups dividing {d} channels, got {tuple(m.shape)}")
    if D is not None and tuple(D.shape) != (d,):
        raise ValueError(f"D must be [channels={d}], got {tuple(D.shape)}")
    if z is not None and z.shape != u.shape:
        raise ValueError(f"z {tuple(z.shape)} must have u's shape {tuple(u.shape)}")
    if delta_bias is not None and tuple(delta_bias.shape) != (d,):
        raise ValueError(f"delta_bias must be [channels={d}], got {tuple(delta_bias.shape)}")


def _expand_groups(m, d):
    """[B, G, N, L] or [B, N, L] -> [B, D, N, L] (each group shared by D/G consecutive channels)."""
    if m.dim() == 3:
        m = m[:, None]
    return m.repeat_interleave(d // m.shape[1], dim=1)


def _prepare(u, delta, A, B, C, D, z, delta_bias, delta_softplus, max_log_decay):
    _check(u, delta, A, B, C, D, z, delta_bias)
    if delta_bias is not None:
        delta = delta + delta_bias[None, :, None]
    if delta_softplus:
        delta = F.softplus(delta)
    d = u.shape[1]
    log_decay = (delta[:, :, None, :] * A[None, :, :, None]).clamp(min=-float(max_log_decay))  # [B, D, N, L]
    drive = delta[:, :, None, :] * _expand_groups(B, d) * u[:, :, None, :]                     # [B, D, N, L]
    return log_decay, drive, _expand_groups(C, d)


def _finish(y, u, D, z):
    if D is not None:
        y = y + D[None, :, None] * u
    if z is not None:
        y = y * F.silu(z)
    return y


def selective_scan(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus: bool = True,
                   h0=None, chunk_size: int = DEFAULT_CHUNK, max_log_decay: float = MAX_LOG_DECAY,
                   return_last_state: bool = False):
    r"""Mamba's selective scan, chunked (see the module docstring).

    Input
    -----
    u : [batch, D, L], float
        Input sequence per channel.
    delta : [batch, D, L], float
        Step sizes before ``delta_bias`` and ``softplus``.
    A : [D, N], float
        State matrix (diagonal per channel; negative entries decay).
    B, C : [batch, G, N, L] or [batch, N, L], float
        Input and output matrices, shared by groups of ``D / G`` consecutive channels
        (VMamba: one group per scan direction).
    D : [D], float, optional
        Skip connection.
    z : [batch, D, L], float, optional
        Gate: the output is multiplied by ``silu(z)``.
    delta_bias : [D], float, optional
    delta_softplus : bool
    h0 : [batch, D, N], float, optional
        Initial state (zeros by default).
    chunk_size : int
        Steps solved in closed form at once.
    max_log_decay : float
        Floor of the per-step log-decay (``-max_log_decay <= delta * A``).
    return_last_state : bool

    Output
    ------
    y : [batch, D, L], dtype of ``u``
    last_state : [batch, D, N], only with ``return_last_state``
    """
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    limit = math.log(torch.finfo(u.dtype).max) - 8.0
    if chunk_size * float(max_log_decay) > limit:
        raise ValueError(f"chunk_size * max_log_decay = {chunk_size * max_log_decay:g} exceeds {limit:.0f}: "
                         f"exp(-S) would overflow in {u.dtype}; use a smaller chunk")
    log_decay, drive, Cx = _prepare(u, delta, A, B, C, D, z, delta_bias, delta_softplus, max_log_decay)
    b, d, n, length = log_decay.shape
    chunks = -(-length // chunk_size)
    pad = chunks * chunk_size - length        # padded steps come last: they change no earlier output
    shape = (b, d, n, chunks, chunk_size)
    S = torch.cumsum(F.pad(log_decay, (0, pad)).reshape(shape), dim=-1)       # <= 0, from each chunk's start
    decay = torch.exp(S)
    # every chunk at once, each from a zero state
    local = decay * torch.cumsum(torch.exp(-S) * F.pad(drive, (0, pad)).reshape(shape), dim=-1)
    # carry the state across chunks (L / chunk_size small steps)
    h = u.new_zeros(b, d, n) if h0 is None else h0.to(u.dtype)
    starts = []
    for c in range(chunks):
        starts.append(h)
        h = decay[..., c, -1] * h + local[..., c, -1]
    states = local + decay * torch.stack(starts, dim=3)[..., None]
    states = states.reshape(b, d, n, chunks * chunk_size)[..., :length]
    y = _finish((states * Cx).sum(dim=2), u, D, z)
    return (y, h) if return_last_state else y


def selective_scan_ref(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus: bool = True,
                       h0=None, max_log_decay: float = MAX_LOG_DECAY, return_last_state: bool = False):
    """The same function as :func:`selective_scan`, one step at a time (the reference)."""
    log_decay, drive, Cx = _prepare(u, delta, A, B, C, D, z, delta_bias, delta_softplus, max_log_decay)
    b, d, n, length = log_decay.shape
    h = u.new_zeros(b, d, n) if h0 is None else h0.to(u.dtype)
    ys = []
    for t in range(length):
        h = torch.exp(log_decay[..., t]) * h + drive[..., t]
        ys.append((h * Cx[..., t]).sum(dim=2))
    y = _finish(torch.stack(ys, dim=-1), u, D, z)
    return (y, h) if return_last_state else y

"""LRISC's side information: the hyper-latent y and the per-patch length indexes in ONE rANS stream
(CompressAI's ``BufferedRansEncoder`` / ``RansDecoder``), preceded by one byte naming beta.

Layout of one image's side information (bytes)::

    [beta code: 1 byte] [rANS stream: y's symbols (EntropyBottleneck CDFs), then the length indexes]

* beta is one of :data:`BETA_GRID` (256 log-spaced values, 1e-3 ... 10): the receiver needs the
  exact value the transmitter used to predict the lengths (below), so the transmitter snaps beta
  to the grid (:func:`snap_beta`).
* y's symbols are coded exactly as ``EntropyBottleneck.compress`` codes them (channel-wise
  quantised CDFs, medians as offsets).
* The length index q_i of patch i (Eq. 3, from the realised -log2 p(z_i | y)) is coded with a
  context both ends know once y is decoded: the prediction p_i = Q(beta * H_i), where H_i is the
  expected information of patch i under the hyperprior, sum over channels of the entropy of a
  unit-bin-quantised Gaussian at the channel's scale, taken at the GaussianConditional's integer
  scale index (CompressAI's own device for identical contexts at both ends). The index is coded
  with a two-sided geometric distribution around p_i (``P(q) ~ exp(-|q - p_i| / SPREAD)``), so a
  well-predicted patch costs well under its n raw bits.

The decoder pads the received stream with zero bytes before decoding, so that a damaged (or
hostile) stream can never make the rANS decoder read past its buffer (see :meth:`SideInfoCoder.decode`).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .compressai_import import import_compressai
from .jscc import allocate

import_compressai()
from compressai._CXX import pmf_to_quantized_cdf  # noqa: E402
from compressai.ans import BufferedRansEncoder, RansDecoder  # noqa: E402

BETA_GRID = np.exp(np.linspace(math.log(1e-3), math.log(10.0), 256))
SPREAD = 1.0                 # levels; scale of the two-sided geometric law of q around its prediction
PRECISION = 16
TAIL = 1e-6


def snap_beta(beta: float) -> tuple:
    """``(code, beta on the grid)``: the nearest (in log) of :data:`BETA_GRID` to ``beta``."""
    if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive finite number, got {beta!r}")
    code = int(np.argmin(np.abs(np.log(BETA_GRID) - math.log(beta))))
    return code, float(BETA_GRID[code])


def _entropy_table(scales: torch.Tensor) -> torch.Tensor:
    """Bits of a zero-mean Gaussian of each scale quantised to unit bins centred on its mean."""
    s = scales.double()[:, None]
    k = torch.arange(-2048, 2049, dtype=torch.float64)[None, :]
    normal = torch.distributions.Normal(0.0, 1.0)
    p = (normal.cdf((k + 0.5) / s) - normal.cdf((k - 0.5) / s)).clamp_min(1e-300)
    return -(p * torch.log2(p)).sum(1)


class SideInfoCoder:
    """Codes y and the length indexes of images for a :class:`HyperpriorTransform` (see module doc).

    Parameters
    ----------
    transform : HyperpriorTransform
        Its CDF tables must be built (``update_tables``).
    lengths : list of int
        The allowed lengths V (the index alphabet has len(V) symbols).
    """

    def __init__(self, transform, lengths):
        self.transform = transform
        self.lengths = list(lengths)
        q = len(self.lengths)
        self.entropy = _entropy_table(transform.gaussian_conditional.scale_table)
        cdfs = []
        for c in range(q):
            pmf = np.exp(-np.abs(np.arange(q) - c) / SPREAD)
            pmf = pmf / pmf.sum() * (1 - TAIL)
            cdfs.append(pmf_to_quantized_cdf(list(pmf) + [TAIL], PRECISION))
        self.index_cdfs = cdfs
        self.index_cdf_lengths = [q + 2] * q

    # ------------------------------------------------------------------ the context
    def expected_bits(self, sigma: torch.Tensor) -> torch.Tensor:
        """H_i [B, h, w] (float64): the expected -log2 p(z_i | y) of each patch under the prior."""
        idx = self.transform.gaussian_conditional.build_indexes(sigma).long()
        return self.entropy.to(idx.device)[idx].sum(1)

    def predicted_index(self, sigma: torch.Tensor, beta: float) -> torch.Tensor:
        return allocate(self.expected_bits(sigma), beta, self.lengths)

    # ------------------------------------------------------------------ EntropyBottleneck pieces
    def _eb(self):
        eb = self.transform.entropy_bottleneck
        if eb._quantized_cdf.numel() == 0:
            self.transform.update_tables()
        return eb

    def _eb_tables(self, eb):
        cdfs = eb._quantized_cdf.tolist()
        return cdfs, eb._cdf_length.reshape(-1).int().tolist(), eb._offset.reshape(-1).int().tolist()

    # ------------------------------------------------------------------ coding
    def predict_from_hyper(self, y_hat: torch.Tensor, beta: float) -> torch.Tensor:
        """The prediction [1, h, w] from ONE image's decoded y_hat [1, Cy, h', w']: the very
        computation the receiver makes (one image at a time, so no batch effect can differ)."""
        _, sigma = self.transform.gaussian_params(y_hat)
        return self.predicted_index(sigma, beta)

    @torch.no_grad()
    def encode(self, y: torch.Tensor, index: torch.Tensor, beta_code: int, predicted: torch.Tensor = None) -> list:
        """y [B, Cy, h', w'] (unquantised) and index [B, h, w] -> B side-information byte strings.
        ``predicted`` [B, h, w] replaces the prediction the receiver will make (tests only)."""
        eb = self._eb()
        medians = eb._get_medians()
        symbols = eb.quantize(y, "symbols", medians)
        beta = float(BETA_GRID[beta_code])
        chan = eb._build_indexes(y.size())
        cdfs, cdf_len, offsets = self._eb_tables(eb)
        n_eb = len(cdfs)
        all_cdfs = cdfs + self.index_cdfs
        all_len = cdf_len + self.index_cdf_lengths
        all_off = offsets + [0] * len(self.index_cdfs)
        out = []
        for i in range(y.shape[0]):
            if predicted is None:
                pred = self.predict_from_hyper(eb.dequantize(symbols[i:i + 1], medians), beta)[0]
            else:
                pred = predicted[i]
            enc = BufferedRansEncoder()
            enc.encode_with_indexes(symbols[i].reshape(-1).int().tolist(), chan[i].reshape(-1).int().tolist(),
                                    all_cdfs, all_len, all_off)
            enc.encode_with_indexes(index[i].reshape(-1).int().tolist(),
                                    (pred.reshape(-1).int() + n_eb).tolist(), all_cdfs, all_len, all_off)
            out.append(bytes([beta_code]) + enc.flush())
        return out

    @torch.no_grad()
    def decode(self, data: bytes, y_shape, index_shape) -> tuple:
        """One image's side information -> ``(y_hat [1, Cy, h', w'], index [1, h, w], beta)``.
        ValueError if it is too short to be one."""
        if not isinstance(data, (bytes, bytearray)) or len(data) < 1 + 4:
            raise ValueError(f"side information of {len(data) if isinstance(data, (bytes, bytearray)) else '?'} "
                             "bytes is shorter than a beta byte and an rANS state")
        beta = float(BETA_GRID[data[0]])
        eb = self._eb()
        cy, hy, wy = y_shape
        h, w = index_shape
        n_symbols = cy * hy * wy + h * w
        # zero padding so that no stream, however made, makes the decoder read past its buffer: a
        # symbol reads at most one 32-bit word, except an escaped (tail) symbol, whose bypass count
        # (4-bit chunks of value 15, then that many chunks) is bounded by the stream's own bits
        stream = bytes(data[1:]) + bytes(16 * len(data) + 4 * n_symbols + 1024)
        cdfs, cdf_len, offsets = self._eb_tables(eb)
        n_eb = len(cdfs)
        all_cdfs = cdfs + self.index_cdfs
        all_len = cdf_len + self.index_cdf_lengths
        all_off = offsets + [0] * len(self.index_cdfs)
        dec = RansDecoder()
        dec.set_stream(stream)
        chan = eb._build_indexes((1, cy, hy, wy))
        values = dec.decode_stream(chan.reshape(-1).int().tolist(), all_cdfs, all_len, all_off)
        device = eb.quantiles.device
        y_hat = eb.dequantize(torch.tensor(values, dtype=torch.float32, device=device).reshape(1, cy, hy, wy),
                              eb._get_medians())
        predicted = self.predict_from_hyper(y_hat, beta)
        if tuple(predicted.shape[1:]) != (h, w):
            raise ValueError(f"the prior gives {tuple(predicted.shape[1:])} patches, expected {(h, w)}")
        q = dec.decode_stream((predicted.reshape(-1).int() + n_eb).tolist(), all_cdfs, all_len, all_off)
        index = torch.tensor(q, dtype=torch.long, device=device).reshape(1, h, w)
        if int(index.min()) < 0 or int(index.max()) >= len(self.lengths):
            raise ValueError("a decoded length index is outside the allowed lengths")
        return y_hat, index, beta


__all__ = ["SideInfoCoder", "BETA_GRID", "snap_beta", "SPREAD"]

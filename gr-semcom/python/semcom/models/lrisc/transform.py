"""LRISC's nonlinear transform g_e and mean-scale hyperprior h_e / h_d on CompressAI's entropy models.

Shapes (image [B, 3, H, W], H and W multiples of 2^(num_down + hyper_down)):

* analysis ``g_e``: ``num_down`` stride-2 5x5 convolutions with GDN between them (Ballé's
  analysis transform, CompressAI's ``GDN``) -> latent ``z`` [B, C, H/2^D, W/2^D]. Each spatial
  position of ``z`` is one patch embedding ``z_i`` of length C (the seed's z_1 ... z_c).
* hyper-analysis ``h_e``: a 3x3 convolution and ``hyper_down`` stride-2 5x5 convolutions with
  ReLU -> hyper-latent ``y`` [B, Cy, h/2^Dh, w/2^Dh], quantised and range coded with CompressAI's
  ``EntropyBottleneck`` (its rANS coder gives the real bytes sent on the digital stream).
* hyper-synthesis ``h_d``: the mirror with transposed convolutions and ReLU -> (mu, sigma) of
  ``z`` (2C channels), the seed's Eq. (2): p(z_i | y) = prod_c N(mu, sigma^2) * U(-1/2, 1/2),
  CompressAI's ``GaussianConditional``.

The CDF tables of the entropy models are derived from the learned parameters (``update``) and are
not saved: they are non-persistent buffers, rebuilt by :meth:`HyperpriorTransform.update_tables`
after loading or training.
"""
from __future__ import annotations

import math

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from .compressai_import import import_compressai

import_compressai()
from compressai.entropy_models import EntropyBottleneck, GaussianConditional  # noqa: E402
from compressai.layers import GDN  # noqa: E402

# CompressAI's usual scale table for the Gaussian conditional (64 log-spaced scales 0.11 ... 256).
SCALES_MIN, SCALES_MAX, SCALES_LEVELS = 0.11, 256.0, 64
_DERIVED_BUFFERS = ("_offset", "_quantized_cdf", "_cdf_length")
LOG2 = math.log(2.0)


def scale_table() -> torch.Tensor:
    return torch.exp(torch.linspace(math.log(SCALES_MIN), math.log(SCALES_MAX), SCALES_LEVELS))


def _derived_not_saved(module: nn.Module):
    """Mark the entropy model's CDF tables non-persistent (they follow from the parameters)."""
    for name in _DERIVED_BUFFERS:
        module._non_persistent_buffers_set.add(name)


class HyperpriorTransform(ModelMixin, ConfigMixin):
    """g_e, h_e, h_d and the two entropy models (see the module docstring).

    Parameters
    ----------
    latent_channels : int
        C, the length of a patch embedding z_i.
    hidden_channels : int
        Width of g_e's inner convolutions.
    hyper_channels : int
        Cy, channels of the hyper-latent y.
    num_down : int
        D, stride-2 stages of g_e (a patch covers 2^D x 2^D pixels).
    hyper_down : int
        Dh, stride-2 stages of h_e.
    """

    # CompressAI's GDN and entropy models compute their initial values on CPU tensors: the checked
    # loader builds this (small) model on the CPU, not on the meta device, to know its tensors.
    _build_checks_on_cpu = True

    @register_to_config
    def __init__(self, latent_channels: int = 64, hidden_channels: int = 64, hyper_channels: int = 32,
                 num_down: int = 4, hyper_down: int = 2, in_channels: int = 3):
        super().__init__()
        if min(latent_channels, hidden_channels, hyper_channels, num_down) < 1 or hyper_down < 0:
            raise ValueError("latent_channels, hidden_channels, hyper_channels, num_down must be >= 1 and "
                             f"hyper_down >= 0; got {latent_channels}, {hidden_channels}, {hyper_channels}, "
                             f"{num_down}, {hyper_down}")
        c, n = latent_channels, hidden_channels
        layers = []
        for i in range(num_down):
            cin, cout = (in_channels if i == 0 else n), (c if i == num_down - 1 else n)
            layers.append(nn.Conv2d(cin, cout, 5, stride=2, padding=2))
            if i < num_down - 1:
                layers.append(GDN(cout))
        self.g_e = nn.Sequential(*layers)
        hy = [nn.Conv2d(c, hyper_channels, 3, padding=1)]
        for _ in range(hyper_down):
            hy += [nn.ReLU(), nn.Conv2d(hyper_channels, hyper_channels, 5, stride=2, padding=2)]
        self.h_e = nn.Sequential(*hy)
        hd = []
        for _ in range(hyper_down):
            hd += [nn.ConvTranspose2d(hyper_channels, hyper_channels, 5, stride=2, padding=2, output_padding=1),
                   nn.ReLU()]
        hd += [nn.Conv2d(hyper_channels, 2 * c, 3, padding=1)]
        self.h_d = nn.Sequential(*hd)
        self.entropy_bottleneck = EntropyBottleneck(hyper_channels)
        self.gaussian_conditional = GaussianConditional(scale_table().tolist())
        _derived_not_saved(self.entropy_bottleneck)
        _derived_not_saved(self.gaussian_conditional)

    # ------------------------------------------------------------------ shapes
    @property
    def patch_size(self) -> int:
        """Pixels per side of one patch embedding z_i (2^D)."""
        return 2 ** self.config.num_down

    @property
    def multiple(self) -> int:
        """Image sides must be positive multiples of this (2^(D + Dh))."""
        return 2 ** (self.config.num_down + self.config.hyper_down)

    def check_size(self, height: int, width: int):
        m = self.multiple
        if height < m or width < m or height % m or width % m:
            raise ValueError(f"LRISC (D={self.config.num_down}, Dh={self.config.hyper_down}) needs image sides "
                             f"that are positive multiples of {m}, got {height}x{width}")

    def latent_shape(self, height: int, width: int) -> tuple:
        """[C, H/2^D, W/2^D]: the latent of an H x W image."""
        self.check_size(height, width)
        p = self.patch_size
        return (self.config.latent_channels, height // p, width // p)

    def hyper_shape(self, height: int, width: int) -> tuple:
        """[Cy, H/2^(D+Dh), W/2^(D+Dh)]: the hyper-latent of an H x W image."""
        self.check_size(height, width)
        m = self.multiple
        return (self.config.hyper_channels, height // m, width // m)

    # ------------------------------------------------------------------ network
    def analysis(self, images: torch.Tensor) -> torch.Tensor:
        """g_e: images [B, 3, H, W] in [0, 1] -> z [B, C, H/2^D, W/2^D]."""
        if images.dim() != 4 or images.shape[1] != self.config.in_channels:
            raise ValueError(f"images must be [B, {self.config.in_channels}, H, W], got {tuple(images.shape)}")
        self.check_size(images.shape[2], images.shape[3])
        return self.g_e(2.0 * images - 1.0)

    def gaussian_params(self, y_hat: torch.Tensor):
        """h_d: (quantised) hyper-latent -> (mu, sigma), each [B, C, h, w]."""
        mu, sigma = self.h_d(y_hat).chunk(2, dim=1)
        return mu, sigma

    def forward(self, z: torch.Tensor, training_noise: bool = None):
        """Entropy model of z, as in training (``training_noise``, default ``self.training``:
        additive uniform noise on y and z) or as coded (rounding).

        Returns a dict: ``z_tilde`` (z + U(-1/2, 1/2) or round(z - mu) + mu), ``y_hat``,
        ``bits_z`` [B, h, w] (-log2 p(z_i | y) per patch, summed over C), ``bits_y`` [B]
        (-log2 p(y) per image), ``mu``, ``sigma``.
        """
        noise = self.training if training_noise is None else training_noise
        y = self.h_e(z)
        if noise:
            y_hat, y_lik = self.entropy_bottleneck(y, training=True)
        else:
            y_hat, y_lik = self.entropy_bottleneck(y, training=False)
        mu, sigma = self.gaussian_params(y_hat)
        z_tilde, z_lik = self.gaussian_conditional(z, sigma, means=mu, training=noise)
        return {"z_tilde": z_tilde, "y_hat": y_hat, "mu": mu, "sigma": sigma,
                "bits_z": -torch.log(z_lik).sum(1) / LOG2, "bits_y": -torch.log(y_lik).flatten(1).sum(1) / LOG2}

    def aux_loss(self) -> torch.Tensor:
        """CompressAI's auxiliary loss of the EntropyBottleneck's quantiles (own optimiser)."""
        return self.entropy_bottleneck.loss()

    # ------------------------------------------------------------------ range coding of y
    def update_tables(self):
        """Rebuild the CDF tables of both entropy models from the current parameters."""
        self.entropy_bottleneck.update(force=True)
        self.gaussian_conditional.update_scale_table(scale_table(), force=True)

    def _ensure_tables(self):
        if self.entropy_bottleneck._quantized_cdf.numel() == 0:
            self.update_tables()

    @torch.no_grad()
    def compress_hyper(self, z: torch.Tensor):
        """z [B, C, h, w] -> (list of B byte strings of y from CompressAI's rANS coder, y_hat)."""
        self._ensure_tables()
        y = self.h_e(z)
        strings = self.entropy_bottleneck.compress(y)
        y_hat = self.entropy_bottleneck.decompress(strings, y.shape[-2:])
        return strings, y_hat

    @torch.no_grad()
    def decompress_hyper(self, strings, size) -> torch.Tensor:
        """Byte strings (one per image) and y's spatial size (h, w) -> y_hat [B, Cy, h, w]."""
        self._ensure_tables()
        return self.entropy_bottleneck.decompress(list(strings), tuple(size))


__all__ = ["HyperpriorTransform", "scale_table"]

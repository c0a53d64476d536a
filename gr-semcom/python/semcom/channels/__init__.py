"""Channels behind one interface, ``y, csi = channel(x, snr_db)``, and a registry by name."""
from .base import CHANNELS, Channel, get_channel, register, snr_per_example
from .simple import (AWGNChannel, PoissonChannel, PoissonGaussianChannel, RayleighBlockChannel,
                     RayleighFastChannel, RealAWGNChannel)

from . import ofdm  # noqa: F401  (registers ofdm-awgn, tdl-*, cdl-*)
from . import raytraced  # noqa: F401  (registers rt-street; sionna.rt imported lazily)

__all__ = ["CHANNELS", "Channel", "get_channel", "register", "snr_per_example", "AWGNChannel",
           "RealAWGNChannel", "RayleighBlockChannel", "RayleighFastChannel", "PoissonChannel",
           "PoissonGaussianChannel"]

"""Channels behind one interface, ``y, csi = channel(x, snr_db)``, and a registry by name."""
from .base import CHANNELS, Channel, get_channel, register, snr_per_example
from .simple import (AWGNChannel, PoissonChannel, PoissonGaussianChannel, RayleighBlockChannel,
                     RayleighFastChannel, RealAWGNChannel)

try:  # OFDM links over 3GPP TDL/CDL models
    from . import ofdm  # noqa: F401
except ImportError as exc:  # pragma: no cover - only while the module is being written
    if "ofdm" not in str(exc):
        raise

__all__ = ["CHANNELS", "Channel", "get_channel", "register", "snr_per_example", "AWGNChannel",
           "RealAWGNChannel", "RayleighBlockChannel", "RayleighFastChannel", "PoissonChannel",
           "PoissonGaussianChannel"]

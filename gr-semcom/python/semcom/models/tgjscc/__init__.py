"""Seed 003, text-guided generative JSCC: the latent-domain MambaJSCC (:mod:`.model`).

The prompt path (captioner -> range coder -> CRC + LDPC + QAM) is :mod:`semcom.models.text.prompt_coder`
and :mod:`semcom.codecs.tg_jscc`; the ControlNet receiver (issue 17, item 3) is not built yet.
"""
from .model import CHANNELS, LatentMambaJSCC, power_normalize, transmit

__all__ = ["LatentMambaJSCC", "power_normalize", "transmit", "CHANNELS"]

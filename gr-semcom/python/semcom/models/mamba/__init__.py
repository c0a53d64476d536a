"""Visual state-space models in plain PyTorch (no CUDA kernels), shared by the Mamba-based schemes.

- :mod:`.scan`: Mamba's selective scan, chunked (:func:`selective_scan`) and sequential
  (:func:`selective_scan_ref`, the test reference)
- :mod:`.vssm`: VMamba's cross-scan, :class:`SS2D`, and the VSSM-CA block with MambaJSCC's CSI
  embedding (:class:`CSIEncoder`, :class:`VSSBlock`)
"""
from .scan import MAX_LOG_DECAY, selective_scan, selective_scan_ref
from .vssm import SS2D, CSIEncoder, VSSBlock, cross_merge, cross_scan

__all__ = ["selective_scan", "selective_scan_ref", "MAX_LOG_DECAY", "SS2D", "CSIEncoder", "VSSBlock",
           "cross_scan", "cross_merge"]

"""Base class of every gr-semcom processing block."""
from __future__ import annotations

import dataclasses

import sionna.phy
import torch


def _passes_through(v) -> bool:
    return dataclasses.is_dataclass(v) and not isinstance(v, type)


class SemcomBlock(sionna.phy.Block):
    """A :class:`sionna.phy.Block` that also lets dataclasses (:class:`semcom.csi.CSI`,
    layouts, messages) and shapes (``torch.Size``) through Sionna's input casting unchanged, so
    blocks can take and return side information alongside batch-first tensors."""

    def _convert(self, v):
        if _passes_through(v):
            return v
        if isinstance(v, torch.Size):
            return tuple(v)
        return super()._convert(v)

    def _get_shape(self, v):
        if _passes_through(v):
            return None
        return super()._get_shape(v)

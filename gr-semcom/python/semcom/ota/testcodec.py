"""``ota-test``: a tiny model-free codec that exercises both stream kinds of the frame.

Encode: the image average-pooled by ``factor`` (centred, one analog stream ``"thumb"``) and the
per-channel means quantised to 8 bits (one digital stream ``"means"``, QPSK rate 1/2). Decode:
the thumbnail upsampled bilinearly, its per-channel means replaced by the received ones when the
digital stream's CRC passed (else ``last_failures`` says ``"crc"``). For tests, benchmarks and
flowgraph smoke runs while no trained model is around; not a scheme to compare.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ..codecs.base import SemanticCodec
from ..csi import CSI
from ..transport import ANALOG, DIGITAL, Message, Stream


class OTATestCodec(SemanticCodec):
    name = "ota-test"
    description = "test codec: avg-pooled thumbnail (analog) + 8-bit channel means (digital)"

    def __init__(self, factor: int = 4, mcs: str = "qpsk-1/2"):
        super().__init__()
        self.factor = int(factor)
        self.mcs = mcs

    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        images = self.check_images(images)
        thumb = F.avg_pool2d(images, self.factor) - 0.5
        means = torch.round(images.mean(dim=(2, 3)) * 255).to(torch.uint8)          # [B, 3]
        bits = ((means[..., None] >> torch.arange(7, -1, -1)) & 1).reshape(images.shape[0], 24)
        return Message({"thumb": Stream(ANALOG, thumb),
                        "means": Stream(DIGITAL, bits.float(), mcs=self.mcs)},
                       image_shape=tuple(images.shape[1:]))

    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        thumb, means = message.streams.get("thumb"), message.streams.get("means")
        if thumb is None or means is None or thumb.kind != ANALOG or means.kind != DIGITAL:
            raise ValueError(f"an ota-test message has an analog stream 'thumb' and a digital stream "
                             f"'means', got {sorted(message.streams)}")
        c, h, w = message.image_shape
        if thumb.data.dim() != 4 or thumb.data.shape[1] != 3 or means.data.shape[1] != 24 or c != 3:
            raise ValueError(f"ota-test: thumb {tuple(thumb.data.shape)} / means {tuple(means.data.shape)} "
                             f"for image {tuple(message.image_shape)}; expected [B, 3, h, w] / [B, 24], 3 channels")
        thumb = torch.nan_to_num(thumb.data.float(), nan=0.0, posinf=0.0, neginf=0.0).clamp(-1, 1) + 0.5
        out = F.interpolate(thumb, size=(h, w), mode="bilinear", align_corners=False)
        ok = means.ok if means.ok is not None else torch.ones(out.shape[0], dtype=torch.bool)
        weights = 2 ** torch.arange(7, -1, -1, dtype=torch.float32)
        m = (means.data.reshape(-1, 3, 8) * weights).sum(-1) / 255.0               # [B, 3]
        shift = (m - out.mean(dim=(2, 3))) * ok[:, None]
        self.last_failures = [None if bool(o) else "crc" for o in ok]
        return (out + shift[..., None, None]).clamp(0, 1)

"""Image files <-> tensors for the semantic transmitter/receiver blocks (Pillow)."""
from __future__ import annotations

import glob as _glob
import io
import os

import numpy as np
import torch


def expand(images) -> list:
    """A glob pattern, a comma-separated list of paths/patterns, or a list -> sorted file list."""
    if not images:
        return []
    items = images if isinstance(images, (list, tuple)) else str(images).split(",")
    out = []
    for item in items:
        item = os.path.expanduser(str(item).strip())
        if not item:
            continue
        hits = sorted(_glob.glob(item)) if any(c in item for c in "*?[") else [item]
        out += [h for h in hits if os.path.isfile(h)]
        if not hits or not any(os.path.isfile(h) for h in hits):
            raise FileNotFoundError(f"no image file matches {item!r}")
    return out


def _to_tensor(img, size: int) -> torch.Tensor:
    from PIL import Image
    img = img.convert("RGB")
    if size and size > 0:
        w, h = img.size
        s = min(w, h)
        img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
        img = img.resize((size, size), Image.BICUBIC)
    a = np.asarray(img, dtype=np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()


def _decode(source, what, size: int) -> torch.Tensor:
    from ..data import CORRUPT_IMAGE_ERRORS, open_image
    try:
        with open_image(source, what) as img:
            return _to_tensor(img, size)
    except FileNotFoundError:
        raise
    except ValueError as exc:
        if "megapixels" in str(exc):
            raise
        raise ValueError(f"{what}: unreadable or corrupt image ({exc})") from None
    except CORRUPT_IMAGE_ERRORS as exc:
        raise ValueError(f"{what}: unreadable or corrupt image ({type(exc).__name__}: {exc})") from None


def load(path, size: int = 0) -> torch.Tensor:
    """Image file -> float [1, 3, H, W] in [0, 1]; ``size > 0``: centre square crop, resized.
    A corrupt image, or one over :data:`semcom.data.MAX_DECODE_PIXELS` (checked before decoding),
    raises ValueError; a missing file FileNotFoundError."""
    return _decode(path, path, size)


def from_bytes(data: bytes, size: int = 0) -> torch.Tensor:
    """Encoded image bytes (PNG, JPEG, ...) -> float [1, 3, H, W] (errors as :func:`load`)."""
    return _decode(io.BytesIO(bytes(data)), "image bytes", size)


def to_png(image: torch.Tensor) -> bytes:
    """float [1, 3, H, W] or [3, H, W] in [0, 1] -> PNG bytes."""
    from PIL import Image
    x = image.detach().reshape(-1, *image.shape[-3:])[0].clamp(0, 1)
    a = (x.permute(1, 2, 0).cpu().numpy() * 255.0 + 0.5).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()

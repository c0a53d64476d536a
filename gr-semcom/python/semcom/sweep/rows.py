"""One row of a sweep: one image through one scheme and one channel at one SNR, one draw.

Everything a row's value depends on is in this file and the modules it calls (codecs, channels,
PHY, models, metrics): :func:`semcom.sweep.version.code_version` hashes exactly that code, so a
change here is a new version of every row.

Determinism: a row's randomness (channel noise and fading, a codec's sampling noise) comes from
:func:`row_seed`, a hash of ``(seed, channel, SNR, image, draw)``; :func:`seed_everything` resets
Sionna's generators (which also seed torch's default generator), numpy's and Python's before the
row runs. So a row's value does not depend on which rows ran before it in the same process,
on which worker ran it, or on the order. The scheme is deliberately *not* in the seed: every scheme
at the same (channel, SNR, image, draw) starts from the same generator state, so a block-fading
gain or a TDL realisation drawn first is the same for all of them (paired comparisons).
Images are sent one at a time (batch 1): a batch mate cannot change a row. Torch runs on
:data:`ROW_THREADS` thread(s) while a row computes (:func:`pin_threads`), and each network runs
once on the image size before the first row (:meth:`RowWorker.warm_up`), so a row's bits do not
depend on the process's history.
"""
from __future__ import annotations

import hashlib
import io
import json
import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch

ROW_SEED_TAG = "semcom-row/1"
ROW_THREADS = 1
# How a failed transmission is scored (SC-SIC's convention).
FAILURE_SCORES = {"psnr": 0.0, "ssim": 0.0, "ms_ssim": 0.0, "lpips": 1.0, "lpips_alex": 1.0,
                  "lpips_vgg": 1.0, "dists": 1.0}
FAILURE_FID = 500.0
ERASURE_GREY = 0.5
# Set-level metrics are rendered from per-row Inception features of these kinds.
PATCH_SIZE = 256
FEATURE_KIND = {"fid": "pool3", "kid": "pool3", "patch_fid": f"pool3_patch{PATCH_SIZE}",
                "patch_kid": f"pool3_patch{PATCH_SIZE}"}


@dataclass
class Transmission:
    """One batch through one scheme and channel at one SNR."""

    images: torch.Tensor          # reconstructions [B, 3, H, W]
    channel_uses: list
    cbr: list
    bpp: list
    failures: list
    metrics: dict = field(default_factory=dict)


def transmit(codec, images, channel, snr_db: float, equalizer: str = "zf", decoder: str = "fast") -> Transmission:
    """Encode, send through ``channel`` (a name or a Channel) at ``snr_db`` (perfect SNR knowledge), decode."""
    from ..csi import CSI
    from ..transport import send_message
    csi = CSI.from_snr(snr_db, images.shape[0])
    message = codec.encode(images, csi)
    received, rx_csi = send_message(message, channel, snr_db, equalizer=equalizer, decoder=decoder)
    rx_csi = rx_csi or csi
    codec.last_failures = []
    out = codec.decode(received, rx_csi).clamp(0, 1)
    failures = list(codec.last_failures) or [None] * images.shape[0]
    for i, failure in enumerate(failures):
        if failure is not None:
            out[i] = ERASURE_GREY
    return Transmission(out, [int(k) for k in message.channel_uses()], [float(c) for c in message.cbr()],
                        [float(b) for b in message.bpp()], failures)


def score(reference, result: Transmission, names) -> dict:
    """Per-image metrics; failed images get :data:`FAILURE_SCORES`."""
    from .. import metrics as M
    values = M.compute(names, reference, result.images)
    for name, vals in values.items():
        for i, failure in enumerate(result.failures):
            if failure is not None and name in FAILURE_SCORES:
                vals[i] = FAILURE_SCORES[name]
    return values


def canonical_snr(snr_db) -> float:
    return round(float(snr_db), 6)


def row_seed(seed: int, channel: str, snr_db: float, image: str, draw: int) -> int:
    """The row's generator seed in [0, 2^63): SHA-256 of its key without the scheme."""
    text = json.dumps([ROW_SEED_TAG, int(seed), str(channel), canonical_snr(snr_db), str(image), int(draw)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def seed_everything(value: int):
    """Sionna's generators (and through them torch's default one), numpy's and Python's."""
    import sionna.phy
    sionna.phy.config.seed = int(value)
    torch.manual_seed(int(value))
    np.random.seed(int(value) % (1 << 32))
    random.seed(int(value))


def pin_threads(n: int):
    """Torch's (and numba's) thread count to ``n``. oneDNN's convolutions give results that differ
    in the last bits with the number of threads (measured: LPIPS at 1 vs 2 threads), and numba's
    OpenMP layer resets the shared OpenMP thread count when the LDPC decoder first runs; so the
    count is set again before every row and after every transmission."""
    import sys
    torch.set_num_threads(int(n))
    numba = sys.modules.get("numba")
    if numba is not None:
        try:
            numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))
        except (ValueError, RuntimeError):
            pass


def image_digest(image: torch.Tensor) -> str:
    """16 hex digits identifying an image [3, H, W] in [0, 1] (its 8-bit pixels and shape)."""
    arr = (image.clamp(0, 1) * 255).round().to(torch.uint8).contiguous().numpy()
    h = hashlib.sha256(json.dumps(list(arr.shape)).encode())
    h.update(arr.tobytes())
    return h.hexdigest()[:16]


def png_bytes(image: torch.Tensor) -> bytes:
    """Lossless 8-bit PNG of an image [3, H, W] in [0, 1]."""
    from PIL import Image
    arr = (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def png_image(data: bytes) -> torch.Tensor:
    from PIL import Image
    arr = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def features(kind: str, image: torch.Tensor) -> np.ndarray:
    """Inception pool3 features [n, 2048] float32 of one reconstruction [1, 3, H, W]."""
    from ..metrics import extract_patches, inception_features
    if kind == "pool3":
        return inception_features(image).float().numpy()
    if kind == f"pool3_patch{PATCH_SIZE}":
        return inception_features(extract_patches(image, PATCH_SIZE)).float().numpy()
    raise ValueError(f"unknown feature kind {kind!r}")


@dataclass(frozen=True)
class RowSpec:
    """What a row is: the key without the code version (the store adds it)."""

    scheme: str
    channel: str
    snr_db: float
    image: str          # name
    image_sha: str      # image_digest of the pixels sent
    draw: int
    seed: int
    equalizer: str = "zf"
    decoder: str = "fast"

    def seed_value(self) -> int:
        return row_seed(self.seed, self.channel, self.snr_db, self.image, self.draw)


class RowWorker:
    """Computes rows; keeps each codec and channel it built (one per spec / name) for its life.

    The serial engine runs one in the driver; the Ray engine one per actor. ``images``: {name:
    tensor [3, H, W]} (or a callable returning it, to load lazily).
    """

    def __init__(self, images, threads: int = ROW_THREADS):
        self._images = images
        self.threads = int(threads)
        self.codecs: dict = {}
        self.channels: dict = {}
        self._warm: set = set()

    @property
    def images(self) -> dict:
        if callable(self._images):
            self._images = self._images()
        return self._images

    def codec(self, spec: str):
        if spec not in self.codecs:
            from ..codecs import get_codec
            self.codecs[spec] = get_codec(spec)
        return self.codecs[spec]

    def channel(self, name: str):
        if name not in self.channels:
            from ..channels import get_channel
            self.channels[name] = get_channel(name)   # draws from Sionna's generator, reset per row
        return self.channels[name]

    def compute(self, rows, metrics=(), feature_kinds=(), keep_image=()) -> list:
        """A list of :class:`RowSpec` -> a list of result dicts (same order). ``keep_image``: the
        row indices whose reconstruction is kept (PNG)."""
        previous = torch.get_num_threads()
        try:
            return [self._one(r, metrics, feature_kinds, i in keep_image) for i, r in enumerate(rows)]
        finally:
            torch.set_num_threads(previous)

    @torch.no_grad()
    def warm_up(self, scheme: str, image: torch.Tensor, metrics, feature_kinds):
        """Run the scheme, the metrics and the feature network once on this image size and throw
        the result away. The first forward pass of a network in a process can differ from every
        later one in the last bits (measured: LPIPS after an LDPC decode); after one warm-up pass
        the values are the same whatever ran before, so rows do not depend on their position."""
        shape = tuple(image.shape)
        for what, run in ((("codec", scheme, shape), lambda: transmit(self.codec(scheme), image, "awgn", 10.0)),
                          (("metrics", tuple(metrics), shape), lambda: score(image, Transmission(
                              image, [0], [0.0], [0.0], [None]), list(metrics))),
                          *[(("features", k, shape), lambda k=k: features(k, image)) for k in feature_kinds]):
            if what not in self._warm:
                pin_threads(self.threads)
                seed_everything(0)
                run()
                self._warm.add(what)

    @torch.no_grad()
    def _one(self, row: RowSpec, metrics, feature_kinds, keep: bool) -> dict:
        start = time.perf_counter()
        image = self.images[row.image][None]
        if image_digest(image[0]) != row.image_sha:
            raise ValueError(f"image {row.image!r} on this worker differs from the driver's ({row.image_sha})")
        codec, channel = self.codec(row.scheme), self.channel(row.channel)
        self.warm_up(row.scheme, image, metrics, feature_kinds)
        pin_threads(self.threads)
        seed_everything(row.seed_value())
        result = transmit(codec, image, channel, row.snr_db, row.equalizer, row.decoder)
        pin_threads(self.threads)
        values = score(image, result, list(metrics))
        out = {"channel_uses": result.channel_uses[0], "cbr": result.cbr[0], "bpp": result.bpp[0],
               "failure": result.failures[0], "metrics": {m: float(values[m][0]) for m in metrics},
               "features": {k: features(k, result.images[:1]) for k in feature_kinds},
               "png": png_bytes(result.images[0]) if keep else None}
        out["seconds"] = time.perf_counter() - start
        return out

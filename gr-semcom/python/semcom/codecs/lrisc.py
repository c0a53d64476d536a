"""LRISC (seed 002: Chen et al., "Latent Feature-Guided Conditional Diffusion for High-Fidelity
Generative Image Semantic Communication") as a :class:`SemanticCodec`.

Transmitter (:class:`semcom.models.lrisc.LRISCPipeline`): g_e maps the image to the latent z
[C, H/2^D, W/2^D]; h_e gives the hyper-latent y, range coded by CompressAI's EntropyBottleneck
(rANS); h_d(y) gives p(z_i | y) per patch and the bandwidth k_i = Q(-beta log2 p(z_i | y)) over
the allowed lengths V; the JSCC encoder (SNR-adaptive, told ``csi.snr_db``) gives each patch k_i
complex symbols, unit average power per image.

The message has two streams:

``"s"`` (analog)
    The JSCC symbols of all patches in raster order, patch i's 2 k_i reals after patch i-1's:
    data [B, 2 L v_max] reals with ``lengths`` = 2 sum_i k_i valid reals per image (the rest is
    padding, neither sent nor counted).
``"side"`` (digital: CRC + 5G LDPC + QAM at ``side_mcs``)
    The side information the receiver needs to parse and decode ``"s"``
    (:mod:`semcom.models.lrisc.side_info`): one byte naming beta (a grid of 256 values), then ONE
    rANS stream (CompressAI's coder) with y's symbols and each patch's length index, the index
    coded around the length the decoded hyperprior predicts. ``lengths`` = its bits per image.
    Its channel uses count in the image's K.

K per image = sum_i k_i + the side stream's channel uses (``Message.channel_uses()``).

Receiver: an image whose side-information blocks fail their CRC, whose side information does not
decode, or whose lengths do not add up to the analog stream's length is lost: a grey image
(0.5) and ``last_failures[i]`` = ``"crc"`` / ``"side: ..."``, never decoded with wrong lengths.
Otherwise y is range decoded, h_d gives the receiver's prior (mu, sigma), the JSCC decoder (told
the receiver's SNR, :func:`semcom.csi.decoder_snr_db`) gives z_hat, and DDIM sampling of the x0
U-Net conditioned on z_hat gives the image.

Options: ``model_dir``, ``steps`` (DDIM steps; default the folder's), ``beta`` (channel uses per
bit; default the folder's; snapped to the grid of 256 values the side information can name),
``cbr`` (a target mean CBR instead of beta: the grid value of beta whose batch mean K / (3 H W),
side information included, is closest to it),
``side_mcs``, ``seed`` (of the sampling noise; reset at each decode), ``device``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..csi import CSI, decoder_snr_db, snr_per_example
from ..phy import block_layout, get_mcs
from ..phy.digital import DigitalTransmitter
from ..transport import ANALOG, DIGITAL, Message, Stream
from .base import SemanticCodec

TRAIN_SCRIPT = "scripts/train_lrisc.py"
GREY = 0.5


def default_model_dir() -> Path:
    from .. import models_dir
    return Path(models_dir()) / "lrisc"


def bytes_to_bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes(data), np.uint8))


def bits_to_bytes(bits) -> bytes:
    bits = np.asarray(bits, dtype=np.uint8)
    if bits.size % 8:
        raise ValueError(f"side information of {bits.size} bits is not whole bytes")
    return np.packbits(bits).tobytes()


class LRISCCodec(SemanticCodec):
    """LRISC: hyperprior transform -> variable-length JSCC (analog ``"s"``) + side information
    (digital ``"side"``: y's bytes and the lengths) -> x0-predicting diffusion decoder.

    Parameters
    ----------
    model_dir : str or Path, optional
        A folder written by :meth:`LRISCPipeline.save_pretrained`; default ``semcom.models_dir() / "lrisc"``.
    steps : int, optional
        DDIM steps of the receiver (default: the folder's ``num_inference_steps``).
    beta : float, optional
        Channel uses per bit of -log2 p(z_i | y) (default: the folder's).
    cbr : float, optional
        Target mean CBR K / (3 H W) of a batch, side information included (replaces ``beta``).
    side_mcs : str, optional
        MCS of the side-information stream (default: the folder's, ``bpsk-1/2``).
    seed : int or None
        Seed of the sampling noise, reset at every ``decode``; None: torch's global generator.
    device : str
    """

    name = "lrisc"
    description = "LRISC (hyperprior + variable-length JSCC + x0 diffusion decoder)"

    def __init__(self, model_dir=None, steps: Optional[int] = None, beta: Optional[float] = None,
                 cbr: Optional[float] = None, side_mcs: Optional[str] = None, seed: Optional[int] = 0,
                 device: str = "cpu", pipeline=None):
        super().__init__()
        from ..models.lrisc import LRISCPipeline
        from ..models.lrisc.pipeline import check_options
        if pipeline is None:
            self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
            if not (self.model_dir / "pipeline_config.json").is_file():
                raise FileNotFoundError(
                    f"no LRISC model in {self.model_dir} (pipeline_config.json missing); train and export one "
                    f"with `python {TRAIN_SCRIPT} ... export --out {self.model_dir}` or point model_dir at one")
            pipeline = LRISCPipeline.from_pretrained(self.model_dir)
        else:
            self.model_dir = None
        if beta is not None and cbr is not None:
            raise ValueError("give beta or cbr, not both")
        self.device = torch.device(device)
        self.pipe = pipeline.to(self.device).eval()
        overrides = {k: v for k, v in (("num_inference_steps", steps), ("beta", beta), ("side_mcs", side_mcs))
                     if v is not None}
        if isinstance(overrides.get("beta"), int) and not isinstance(overrides.get("beta"), bool):
            overrides["beta"] = float(overrides["beta"])
        self.options = check_options({**self.pipe.options, **overrides})
        if cbr is not None and (isinstance(cbr, bool) or not isinstance(cbr, (int, float)) or not 0 < cbr < 1e3):
            raise ValueError(f"cbr must be a positive number, got {cbr!r}")
        self.cbr = None if cbr is None else float(cbr)
        self.side_mcs = get_mcs(self.options["side_mcs"])
        self.seed = None if seed is None else int(seed)
        self.last_beta: Optional[float] = None
        # -log2 p(z|y) - log2 p(y) per image of the last encode: its information content under the model
        self.last_bits: Optional[torch.Tensor] = None
        target = f"target CBR {self.cbr:g}" if self.cbr is not None else f"beta {self.options['beta']:g}"
        self.description = (f"LRISC, {target}, {len(self.pipe.lengths)} lengths {self.pipe.lengths}, "
                            f"{self.options['num_inference_steps']} DDIM steps, side info {self.side_mcs.name}")

    # ------------------------------------------------------------------ accounting
    def side_channel_uses(self, num_bits: int) -> int:
        return DigitalTransmitter(self.side_mcs).channel_uses(int(num_bits)) if num_bits > 0 else 0

    def _k(self, out: dict) -> torch.Tensor:
        """K per image [B] of a pipeline encoding: analog uses + side-information uses."""
        analog = out["uses"].flatten(1).sum(1).cpu()
        return analog + torch.tensor([self.side_channel_uses(8 * len(b)) for b in out["side"]])

    @torch.no_grad()
    def calibrate_beta(self, images: torch.Tensor, cbr: float, snr_db: float = 10.0) -> float:
        """The grid beta whose mean CBR (side information included) over ``images`` is closest to
        ``cbr``: for sweeps at equal MEAN channel uses, calibrate once on the image set and encode
        each image with ``beta=`` that value (the per-image lengths then still follow the content;
        the ``cbr`` option instead meets the target per encoded batch)."""
        images = self.check_images(images).to(self.device)
        saved, self.cbr = self.cbr, float(cbr)
        try:
            out = self._encode_for_cbr(images, snr_per_example(snr_db, images.shape[0]).to(self.device))
        finally:
            self.cbr = saved
        return out["beta"]

    def _encode_for_cbr(self, images, snr) -> dict:
        """The pipeline encoding at the grid beta whose batch mean K is closest to ``cbr``
        (bisection over the grid: K grows with beta; then the neighbours are compared)."""
        from ..models.lrisc.side_info import BETA_GRID
        target = self.cbr * math.prod(images.shape[1:])
        analysis = self.pipe.analyse(images)
        cache = {}

        def at(code):
            if code not in cache:
                out = self.pipe.encode(images, snr, float(BETA_GRID[code]), analysis)
                cache[code] = (out, float(self._k(out).double().mean()))
            return cache[code]

        lo, hi = 0, len(BETA_GRID) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if at(mid)[1] < target else (lo, mid)
        best = min(range(max(0, lo - 2), min(len(BETA_GRID), hi + 3)), key=lambda c: abs(at(c)[1] - target))
        return at(best)[0]

    # ------------------------------------------------------------------ encode
    @torch.no_grad()
    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None) -> Message:
        images = self.check_images(images)
        b, _, h, w = images.shape
        self.pipe.transform.check_size(h, w)
        if csi is None or csi.snr_db is None:
            raise ValueError("LRISC's JSCC encoder is SNR-adaptive: pass a CSI with the SNR "
                             "(e.g. CSI.from_snr(snr_db, batch)) to encode()")
        snr = snr_per_example(csi.snr_db, b).to(self.device)
        images = images.to(self.device)
        L = (h // self.pipe.transform.patch_size) * (w // self.pipe.transform.patch_size)
        vmax = self.pipe.jscc.max_length
        analog = torch.zeros(b, 2 * L * vmax)
        analog_len = torch.zeros(b, dtype=torch.long)
        side_rows = []
        beta = None
        if b > 0:
            out = self._encode_for_cbr(images, snr) if self.cbr is not None else \
                self.pipe.encode(images, snr, self.options["beta"])
            beta = out["beta"]
            self.last_bits = (out["bits_z"].flatten(1).sum(1) + out["bits_y"]).cpu()
            uses = out["uses"].reshape(b, L).cpu()
            sym = out["symbols"].cpu()
            for i in range(b):
                flat = torch.cat([sym[i, j, : 2 * int(uses[i, j])] for j in range(L)])
                analog[i, : flat.numel()] = flat
                analog_len[i] = flat.numel()
                side_rows.append(bytes_to_bits(out["side"][i]))
        self.last_beta = beta
        width = max([r.size for r in side_rows] + [8])
        side = torch.zeros(b, width)
        side_len = torch.zeros(b, dtype=torch.long)
        for i, r in enumerate(side_rows):
            side[i, : r.size] = torch.from_numpy(r.astype(np.float32))
            side_len[i] = r.size
        streams = {"s": Stream(ANALOG, analog, lengths=analog_len),
                   "side": Stream(DIGITAL, side, mcs=self.side_mcs, lengths=side_len)}
        # nothing in side_info: the receiver needs only the two streams (beta travels in "side")
        return Message(streams, (3, h, w))

    # ------------------------------------------------------------------ decode
    def _side(self, stream: Stream, i: int, image_size):
        """``((index [1, h, w], prior), None)`` of image i, or ``(None, reason)``."""
        n = int(stream.valid_lengths()[i])
        if stream.block_ok is not None:
            lay = block_layout(stream.data.shape[1], stream.mcs, stream.codeword_bits)
            needed = min(lay.num_blocks, max(1, math.ceil(n / lay.payload_bits)))
            if not bool(stream.block_ok[i, :needed].all()):
                return None, "crc"
        bits = (stream.data[i, :n] > 0.5).cpu().numpy().astype(np.uint8)
        try:
            index, prior, _ = self.pipe.read_side(bits_to_bytes(bits), image_size)
        except ValueError as exc:
            return None, f"side: {exc}"
        return (index[0].cpu(), prior), None

    def parse(self, message: Message) -> dict:
        """The receiver's reading of a (received) message, before any network runs: a dict with
        ``good`` (indexes of the images whose side information passed), ``symbols`` [G, L, 2 v_max]
        (each patch's 2 k_i reals, zero padded), ``index`` [G, h, w], ``prior`` (mu, sigma) of the
        decoded hyperprior and ``failures`` (one per image: None or the reason it is lost)."""
        for name in ("s", "side"):
            if name not in message.streams:
                raise ValueError(f"an LRISC message has streams 's' and 'side', got {list(message.streams)}")
        s, side = message.streams["s"], message.streams["side"]
        if s.kind != ANALOG or side.kind != DIGITAL:
            raise ValueError("LRISC's stream 's' must be analog and 'side' digital")
        _, h, w = message.image_shape
        self.pipe.transform.check_size(h, w)
        p = self.pipe.transform.patch_size
        L, vmax = (h // p) * (w // p), self.pipe.jscc.max_length
        if s.data.dim() != 2 or s.data.shape[1] != 2 * L * vmax or s.batch != side.batch:
            raise ValueError(f"stream 's' has shape {tuple(s.data.shape)}, expected [B, {2 * L * vmax}] for images "
                             f"{tuple(message.image_shape)}, with as many rows as 'side' ({side.batch})")
        b = s.batch
        data = torch.nan_to_num(s.data.float(), nan=0.0, posinf=0.0, neginf=0.0)
        lengths = torch.as_tensor(self.pipe.lengths)
        out = {"good": [], "symbols": torch.zeros(0, L, 2 * vmax), "index": torch.zeros(0, h // p, w // p, dtype=torch.long),
               "prior": None, "failures": [None] * b}
        symbols, indexes = [], []
        priors = []
        for i in range(b):
            parsed, reason = self._side(side, i, (h, w))
            if parsed is None:
                out["failures"][i] = reason
                continue
            index, prior = parsed
            uses = lengths[index.reshape(-1)]
            if s.lengths is not None and int(s.valid_lengths()[i]) != 2 * int(uses.sum()):
                out["failures"][i] = (f"side: the lengths add up to {2 * int(uses.sum())} reals, the analog "
                                      f"stream has {int(s.valid_lengths()[i])}")
                continue
            sym = torch.zeros(L, 2 * vmax)
            pos = 0
            for j in range(L):
                k2 = 2 * int(uses[j])
                sym[j, :k2] = data[i, pos:pos + k2]
                pos += k2
            out["good"].append(i)
            symbols.append(sym)
            indexes.append(index)
            priors.append(prior)
        if symbols:
            out["symbols"], out["index"] = torch.stack(symbols), torch.stack(indexes)
            out["prior"] = tuple(torch.cat([p[k] for p in priors]) for k in range(2))
        return out

    @torch.no_grad()
    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        rx = self.parse(message)
        _, h, w = message.image_shape
        b = len(rx["failures"])
        out = torch.full((b, 3, h, w), GREY)
        self.last_failures = list(rx["failures"])
        if b == 0:
            return out
        snr = decoder_snr_db(csi)
        if snr is None:
            raise ValueError("LRISC's JSCC decoder is SNR-adaptive: pass the receiver's CSI to decode()")
        snr = snr_per_example(snr, b, allow_nonfinite=True)
        snr = torch.where(torch.isfinite(snr), snr, torch.zeros_like(snr))
        good = rx["good"]
        if good:
            # x_N per image from the seed (the same for every image), so an image decodes the same
            # whatever else is in the batch
            shape = (1, self.pipe.unet.config.in_channels, h, w)
            noise = None if self.seed is None else torch.cat(
                [torch.randn(shape, generator=torch.Generator().manual_seed(self.seed)) for _ in good])
            try:
                images = self.pipe.decode(rx["symbols"].to(self.device), rx["index"].to(self.device),
                                          snr[good].to(self.device), (h, w), self.options["num_inference_steps"],
                                          None, tuple(t.to(self.device) for t in rx["prior"]),
                                          None if noise is None else noise.to(self.device))
            except (ValueError, RuntimeError) as exc:
                for i in good:
                    self.last_failures[i] = f"decode: {type(exc).__name__}: {exc}"
                return out
            images = images.float().cpu()
            for k, i in enumerate(good):
                if torch.isfinite(images[k]).all():
                    out[i] = images[k].clamp(0, 1)
                else:
                    self.last_failures[i] = "decode: non-finite output"
        return out


__all__ = ["LRISCCodec", "bytes_to_bits", "bits_to_bytes", "default_model_dir"]

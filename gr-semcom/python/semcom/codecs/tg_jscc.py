"""Seed 003's text-guided JSCC as a :class:`SemanticCodec`, so far WITHOUT its generative receiver:
``decoder="vae"`` (the only decoder that exists) decodes the coarse latent z_c with the VAE alone.
The ControlNet receiver with the 5-step warm-started sampler (issue 17, item 3) is not built; this
codec is the end-to-end path through the PHY that it will plug into.

Transmitter: the VAE encoder (posterior mean x ``scaling_factor``) -> the latent-domain MambaJSCC
encoder (:class:`~semcom.models.tgjscc.LatentMambaJSCC`, told the average SNR) -> one analog stream
``"z"``; and, with ``prompt=True``, the captioner (:mod:`semcom.models.text.captioner`) -> the range
coder (:class:`~semcom.models.text.prompt_coder.PromptCoder`, a fixed field of ``budget_bits``) ->
one digital stream ``"prompt"`` (CRC-24A + 5G LDPC + QAM at ``prompt_mcs`` through the project's
digital PHY), in the same frame after ``"z"`` (orthogonal channel uses).

K = K_jscc + K_prompt (:meth:`Message.channel_uses` sums the streams); CBR = K / (3 H W) as seed 003
with the prompt counted. :meth:`TGJSCCCodec.channel_uses` gives both parts.

Receiver: the MambaJSCC decoder (told the average SNR and whether the channel fades per symbol) ->
z_c -> VAE decoder. The prompt is range decoded when every LDPC block of its stream passed the CRC;
otherwise (or if the field is not a code of the caption model) the receiver uses the empty prompt, flags the image in :attr:`last_prompt_lost` and counts
it in :attr:`prompt_losses`. The image itself is decoded either way, so :attr:`last_failures` stays
``None`` (a failure there makes the evaluation replace the image with an erasure). The decoded prompts
are in :attr:`last_prompts` (with ``decoder="vae"`` nothing uses them yet).

Equaliser: the model is trained on the linear MMSE equaliser's output (seed 003). The project's links
zero-force by default (``send_message(equalizer="zf")``, ``semcom send`` / ``semcom eval``), so by default
(``link_equalizer="zf"``) the codec turns the zero-forced symbols of ``"z"`` into the MMSE ones with the
CSI's gains and noise variance (``x_mmse = x_zf |h|^2 / (|h|^2 + N0)`` per symbol, exact). With an MMSE
link (``equalizer="mmse"``, ``semcom eval --equalizer mmse``) pass ``link_equalizer="mmse"``. The link
does not record which equaliser it used, so the two must be set to match.

Sweeps: the store's model hash (:func:`semcom.sweep.version.model_paths`) covers every option naming a
path and the defaults in :data:`DEFAULT_PATHS` (JSCC, VAE, caption model, captioner), so a retrained
VAE or caption model recomputes the rows.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from ..csi import CSI, snr_per_example
from ..transport import ANALOG, DIGITAL, Message, Stream
from .base import SemanticCodec

TRAIN_SCRIPT = "scripts/train_tgjscc.py"
DECODERS = ("vae",)


def default_model_dir() -> Path:
    from .. import models_dir
    return Path(models_dir()) / "tg-jscc" / "jscc"


def default_vae_dir() -> Path:
    from .. import models_dir
    return Path(models_dir()) / "ldm-base"


def _default_prompt_model() -> Path:
    from ..models.text.prompt_coder import default_prompt_model_path
    return default_prompt_model_path()


def _default_captioner() -> Path:
    from ..models.text.captioner import captioner_dir
    return captioner_dir()


# option -> its default path, for the sweep's version key (semcom.sweep.version.model_paths)
DEFAULT_PATHS = {"model_dir": default_model_dir, "vae": default_vae_dir, "prompt_model": _default_prompt_model,
                 "captioner": _default_captioner}


def load_vae_folder(folder):
    """An ``AutoencoderKL`` from a VAE folder or from a pipeline folder holding ``vae/`` (checked loader)."""
    from diffusers import AutoencoderKL

    from ..models.loading import load_component
    folder = Path(folder)
    if (folder / "vae" / "config.json").is_file():
        folder = folder / "vae"
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"no VAE in {folder} (neither config.json nor vae/config.json); export the "
                                f"latent-diffusion base (`python scripts/train_ldm.py export`) or pass vae=<folder>")
    return load_component(AutoencoderKL, folder, "the VAE (AutoencoderKL)")


class TGJSCCCodec(SemanticCodec):
    """Text-guided JSCC (seed 003) with the VAE-only receiver (module docstring).

    Parameters
    ----------
    model_dir : str or Path, optional
        The :class:`LatentMambaJSCC` folder (``save_pretrained``); default ``models/tg-jscc/jscc``.
    vae : str or Path, optional
        VAE folder, or a pipeline folder with ``vae/``; default ``models/ldm-base``.
    prompt : bool
        Send the caption on its digital stream (False: no prompt stream, empty prompt).
    prompt_mcs : str
        MCS of the prompt stream (default ``"qpsk-1/2"``).
    prompt_model : str or Path, optional
        Caption model JSON (default ``models/tg-jscc/prompt_model.json``).
    captioner : str or Path, optional
        Captioner folder (default: the shipped classifier).
    decoder : ``"vae"``
        The only receiver built so far.
    link_equalizer : ``"zf"`` (default, the project's links) or ``"mmse"``
        What the link's equaliser was (see the module docstring).
    device : str
    """

    name = "tg-jscc"

    def __init__(self, model_dir=None, vae=None, prompt: bool = True, prompt_mcs: str = "qpsk-1/2",
                 prompt_model=None, captioner=None, decoder: str = "vae", link_equalizer: str = "zf",
                 device: str = "cpu"):
        super().__init__()
        from ..models.loading import load_component
        from ..models.tgjscc import LatentMambaJSCC
        from ..phy import get_mcs
        if decoder not in DECODERS:
            raise ValueError(f"decoder={decoder!r}: only {DECODERS} exists; the ControlNet receiver of seed 003 "
                             f"(issue 17, item 3) is not built yet")
        if link_equalizer not in ("mmse", "zf"):
            raise ValueError(f"link_equalizer must be 'mmse' or 'zf', got {link_equalizer!r}")
        self.device = torch.device(device)
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(f"no TG-JSCC model in {self.model_dir} (config.json missing); train and export "
                                    f"one with `python {TRAIN_SCRIPT}` or point model_dir at one")
        self.model = load_component(LatentMambaJSCC, self.model_dir, "TG-JSCC model").to(self.device)
        self.vae = load_vae_folder(vae if vae is not None else default_vae_dir()).to(self.device)
        self.scaling = float(self.vae.config.scaling_factor)
        self.downscale = 2 ** (len(self.vae.config.block_out_channels) - 1)
        self.prompt = bool(prompt)
        self.prompt_mcs = get_mcs(prompt_mcs)
        self.decoder_kind, self.link_equalizer = decoder, link_equalizer
        self.coder = self.captioner = None
        self._captioner_dir = captioner
        if self.prompt:
            from ..models.text.prompt_coder import load_prompt_coder
            self.coder = load_prompt_coder(prompt_model)
        self.prompt_losses = 0
        self.last_prompt_lost: list = []
        self.last_prompts: list = []
        self.last_captions: list = []
        cfg = self.model.config
        self.description = (f"TG-JSCC latent MambaJSCC (c={cfg.out_channels}), prompt "
                            f"{'on, ' + str(self.prompt_mcs) if self.prompt else 'off'}, VAE decoder only "
                            f"(no ControlNet yet)")

    # ------------------------------------------------------------------ accounting
    def latent_size(self, height: int, width: int) -> tuple:
        if height % self.downscale or width % self.downscale:
            raise ValueError(f"image {height}x{width}: sides must be multiples of {self.downscale * self.model.reduction}")
        h, w = height // self.downscale, width // self.downscale
        self.model.symbol_shape(h, w)
        return h, w

    def channel_uses(self, height: int, width: int) -> dict:
        """``{"jscc": K_jscc, "prompt": K_prompt, "total": K}`` for one image of this size."""
        from ..phy import DigitalTransmitter
        k_jscc = self.model.channel_uses(*self.latent_size(height, width))
        k_prompt = DigitalTransmitter(self.prompt_mcs).channel_uses(self.coder.budget_bits) if self.prompt else 0
        return {"jscc": k_jscc, "prompt": k_prompt, "total": k_jscc + k_prompt}

    def cbr(self, height: int, width: int) -> float:
        return self.channel_uses(height, width)["total"] / (3 * height * width)

    def _caption(self, images):
        if self.captioner is None:
            from ..models.text.captioner import load_captioner
            self.captioner = load_captioner(self._captioner_dir)
        return list(self.captioner.caption(images))

    # ------------------------------------------------------------------ codec
    @torch.no_grad()
    def encode(self, images: torch.Tensor, csi: Optional[CSI] = None, captions=None) -> Message:
        """``captions`` (list of str, optional) replaces the captioner (tests, given prompts)."""
        from ..models.ldm.vae import to_vae
        images = self.check_images(images)
        b = images.shape[0]
        self.latent_size(images.shape[2], images.shape[3])
        if csi is None:
            raise ValueError("tg-jscc adapts to the channel: pass a CSI with the SNR (CSI.from_snr(snr_db, batch))")
        snr = snr_per_example(csi.snr_db, b)
        latents = self.vae.encode(to_vae(images.to(self.device))).latent_dist.mean * self.scaling
        x = self.model.encode(latents, snr).float().cpu()
        streams = {"z": Stream(kind=ANALOG, data=x)}
        side = {"tg-jscc": {"k_jscc": self.model.channel_uses(latents.shape[2], latents.shape[3])}}
        if self.prompt:
            if captions is None:
                captions = self._caption(images)
            if len(captions) != b:
                raise ValueError(f"{len(captions)} captions for {b} images")
            bits, sent, truncated, lengths = self.coder.encode(list(captions))
            streams["prompt"] = Stream(kind=DIGITAL, data=torch.from_numpy(bits).float(), mcs=self.prompt_mcs)
            # not transmitted: what the transmitter did, for reports
            side["tg-jscc"].update(captions=list(captions), sent=sent, truncated=truncated.tolist(),
                                   code_bits=lengths.tolist())
            self.last_captions = list(captions)
        return Message(streams=streams, image_shape=tuple(images.shape[1:]), side_info=side)

    def _received_z(self, message: Message, csi: Optional[CSI]):
        z = torch.nan_to_num(message.streams["z"].data.float(), nan=0.0, posinf=0.0, neginf=0.0)
        fading = torch.zeros(z.shape[0])
        if csi is not None and csi.gain is not None and not csi.equalized:
            fading = torch.ones(z.shape[0]) if csi.gain.dim() == 2 else fading
            if self.link_equalizer == "zf":
                k = (z[0].numel() + 1) // 2
                h = csi.gain if csi.gain.dim() == 2 else csi.gain[:, None].expand(-1, k)
                no = torch.as_tensor(csi.noise_var, dtype=torch.float32).reshape(z.shape[0], -1)
                no = no[:, :k] if no.shape[1] > 1 else no
                power = h[:, :k].abs().square().float()
                w = power / (power + no)                                      # [B, K] per complex symbol
                flat = z.reshape(z.shape[0], -1)
                flat = flat * w.repeat_interleave(2, dim=1)[:, :flat.shape[1]]
                z = flat.reshape(z.shape)
        return z, fading

    @torch.no_grad()
    def decode(self, message: Message, csi: Optional[CSI] = None) -> torch.Tensor:
        from ..models.ldm.vae import from_vae
        if "z" not in message.streams:
            raise ValueError(f"a tg-jscc message has the stream 'z' (and 'prompt'), got {list(message.streams)}")
        h, w = self.latent_size(*message.image_shape[-2:])
        expected = self.model.symbol_shape(h, w)
        if tuple(message.streams["z"].shape) != expected:
            raise ValueError(f"stream 'z' has shape {message.streams['z'].shape}, expected {expected} for images "
                             f"{tuple(message.image_shape)}")
        if csi is None:
            raise ValueError("tg-jscc's decoder adapts to the channel: pass the CSI the link returned")
        b = message.batch
        z, fading = self._received_z(message, csi)
        zc = self.model.decode(z.to(self.device), snr_per_example(csi.snr_db, b), fading.to(self.device))
        images = from_vae(self.vae.decode(zc / self.scaling).sample).float().cpu()
        lost = [False] * b
        prompts = [""] * b
        if self.prompt:
            stream = message.streams.get("prompt")
            if stream is None:
                raise ValueError("this tg-jscc codec sends a prompt: the message has no 'prompt' stream")
            ok = stream.ok if stream.ok is not None else torch.ones(b, dtype=torch.bool)
            for i in range(b):
                try:
                    if not bool(ok[i]):
                        raise ValueError("CRC failed")
                    prompts[i] = self.coder.decode(stream.data[i].round().to(torch.uint8).numpy())
                except ValueError:                  # CRC failed (or an undecodable field): the empty prompt
                    lost[i] = True
                    self.prompt_losses += 1
        self.last_prompts = prompts
        self.last_prompt_lost = lost
        self.last_failures = [None] * b
        return images


__all__ = ["TGJSCCCodec", "default_model_dir", "default_vae_dir", "load_vae_folder"]

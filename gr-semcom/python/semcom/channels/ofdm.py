"""OFDM links over 3GPP TR 38.901 channels: ``ofdm-awgn``, ``tdl-a`` ... ``tdl-e``, ``cdl-a`` ...
``cdl-e`` (SISO).

Each channel takes unit-power complex symbols ``x`` [B, K], places them on as many OFDM resource
grids as needed (:class:`semcom.phy.ofdm.OFDMLink`; last grid zero padded), sends the grids
through the channel at the given SNR, estimates the channel (LS with interpolation, or perfect CSI
with ``perfect_csi=True``), equalises (``equalizer="lmmse"`` or ``"zf"``) and returns the equalised
symbols ``y`` [B, K] with ``csi.equalized = True``.

SNR convention (:mod:`semcom.snr`): signal power per RE over the noise variance ``N0``, after the
channel's normalisation. With ``normalize_channel=True`` (default) every channel realisation has
unit mean energy over its slot, so each slot is received at exactly ``snr_db`` on average over its
REs; without it the SNR is the average over realisations (the TDL/CDL power delay profiles have
unit total power). Pilots are unit power like the data; their overhead is accounting
(``csi.extra["layout"]``), not a change of the per-symbol SNR.

Example
-------
>>> ch = get_channel("tdl-a", perfect_csi=True)
>>> x = torch.ones(2, 1000, dtype=torch.complex64)
>>> y, csi = ch(x, 10.0)
>>> y.shape, csi.noise_var.shape, csi.gain.shape, csi.equalized
(torch.Size([2, 1000]), torch.Size([2, 1000]), torch.Size([2, 1000]), True)
>>> csi.extra["layout"].grids, csi.extra["layout"].padding
(2, 536)
"""
from __future__ import annotations

import torch

from ..csi import CSI
from ..phy.ofdm import (STATIC_DOPPLER_SLOT, OFDMConfig, OFDMLink, cdl_model, tdl_model)
from ..snr import db_to_linear
from .base import Channel, register, snr_per_example

_SPEED_OF_LIGHT = 299_792_458.0
_CONFIG_FIELDS = ("fft_size", "subcarrier_spacing", "num_ofdm_symbols", "cyclic_prefix_length",
                  "pilot_ofdm_symbol_indices", "num_guard_carriers", "dc_null", "carrier_frequency")


class OFDMLinkChannel(Channel):
    """An OFDM link as a :class:`~semcom.channels.Channel`: ``y, csi = channel(x, snr_db)``.

    Parameters (all keyword)
    ------------------------
    config : OFDMConfig, optional; or its fields one by one: ``fft_size`` (64),
        ``subcarrier_spacing`` (30e3 Hz), ``num_ofdm_symbols`` (14), ``cyclic_prefix_length`` (5),
        ``pilot_ofdm_symbol_indices`` ((2, 11)), ``num_guard_carriers`` ((0, 0)), ``dc_null``
        (False), ``carrier_frequency`` (3.5e9 Hz).
    perfect_csi : bool (False) -- equalise with the true channel instead of the LS estimate.
    equalizer : "lmmse" (default) or "zf".
    interpolation : "auto" (default), "nn", "lin", "lin_time_avg" (see :class:`OFDMLink`).
    normalize_channel : bool (True).
    slot_fading : "independent" (default) or "continuous" (see :class:`OFDMLink`).
    delay_spread : float, s (100e-9); TDL/CDL only.
    speed : float, m/s (0.0) -- terminal speed; ``max_speed`` (None) draws speeds uniformly in
        ``[speed, max_speed]`` per example. TDL/CDL only.
    generator : torch.Generator for the noise. The TDL/CDL realisations always come from Sionna's
        generator (``sionna.phy.config.seed``).

    Input
    -----
    x : [B, K] complex64, unit average power.
    snr_db : float or [B].

    Output
    ------
    y : [B, K] complex64, equalised symbols ``x + e``.
    csi : CSI with ``snr_db`` [B], ``noise_var`` [B, K] (post-equalisation noise variance per
        symbol, what the digital receiver demaps with), ``equalized=True``,
        ``estimated=not perfect_csi``, ``gain`` [B, K] (true channel at each symbol's RE) only with
        ``perfect_csi``, ``extra={"layout": OFDMLayout, "channel": name, "interpolation": ...}``.
    """

    model_family = None  # "tdl" | "cdl" | None (AWGN)
    model_letter = None

    def __init__(self, config: OFDMConfig | None = None, perfect_csi: bool = False, equalizer: str = "lmmse",
                 interpolation: str = "auto", normalize_channel: bool = True,
                 slot_fading: str = "independent", delay_spread: float = 100e-9, speed: float = 0.0,
                 max_speed: float | None = None, generator: torch.Generator | None = None, **kwargs):
        fields = {k: kwargs.pop(k) for k in _CONFIG_FIELDS if k in kwargs}
        super().__init__(generator=generator, **kwargs)
        if config is None:
            config = OFDMConfig(**fields)
        elif fields:
            raise ValueError(f"give either config or its fields, not both ({', '.join(fields)})")
        if delay_spread <= 0 or speed < 0 or (max_speed is not None and max_speed < speed):
            raise ValueError(f"need delay_spread > 0 and 0 <= speed <= max_speed, got {delay_spread}, "
                             f"{speed}, {max_speed}")
        self.config = config
        self.perfect_csi = perfect_csi
        self.delay_spread = delay_spread
        self.speed, self.max_speed = speed, max_speed
        if interpolation == "auto":
            doppler = (max_speed if max_speed is not None else speed) * config.carrier_frequency / _SPEED_OF_LIGHT
            interpolation = "lin_time_avg" if doppler * config.slot_duration < STATIC_DOPPLER_SLOT else "lin"
        self.interpolation = interpolation
        model = None
        if self.model_family == "tdl":
            model = tdl_model(self.model_letter, config, delay_spread, speed, max_speed, device=self.device)
        elif self.model_family == "cdl":
            model = cdl_model(self.model_letter, config, delay_spread, speed, max_speed, device=self.device)
        self.link = OFDMLink(config, model, perfect_csi=perfect_csi, equalizer=equalizer,
                             interpolation=interpolation, normalize_channel=normalize_channel,
                             slot_fading=slot_fading, generator=generator, device=self.device)

    def layout(self, num_symbols: int):
        """RE accounting of a frame of ``num_symbols`` symbols (:class:`OFDMLayout`)."""
        return self.config.layout(num_symbols)

    def call(self, x, snr_db):
        if not torch.is_tensor(x) or not x.is_complex() or x.dim() != 2:
            raise ValueError(f"{self.name} takes complex symbols [B, K], got "
                             f"{getattr(x, 'dtype', type(x))} {tuple(getattr(x, 'shape', ()))}")
        snr = snr_per_example(snr_db, x.shape[0], x.device)
        if torch.isnan(snr).any() or (snr == -float("inf")).any():
            raise ValueError(f"snr_db must be a number or +inf (noiseless), got {snr.tolist()}")
        y, no_eff, h = self.link(x, 1.0 / db_to_linear(snr))
        return y, CSI(snr_db=snr, gain=h if self.perfect_csi else None, noise_var=no_eff, equalized=True,
                      estimated=not self.perfect_csi,
                      extra={"layout": self.layout(x.shape[1]), "channel": self.name,
                             "interpolation": self.interpolation})


@register("ofdm-awgn")
class OFDMAWGNChannel(OFDMLinkChannel):
    """OFDM over AWGN (``h = 1`` on every RE): the OFDM pipeline with its pilots, estimation and
    accounting, without fading."""


def _make(family: str, letter: str):
    name = f"{family}-{letter.lower()}"
    doc = (f"OFDM over the SISO 3GPP TR 38.901 {family.upper()}-{letter} model "
           f"(delay spread 100 ns, 3.5 GHz, 0 m/s by default).")
    cls = type(f"{family.upper()}{letter}Channel", (OFDMLinkChannel,),
               {"__doc__": doc, "model_family": family, "model_letter": letter, "fading": True,
                "__module__": __name__})
    return register(name)(cls)


for _family in ("tdl", "cdl"):
    for _letter in "ABCDE":
        globals()[f"{_family.upper()}{_letter}Channel"] = _make(_family, _letter)

__all__ = ["OFDMLinkChannel", "OFDMAWGNChannel"] + [f"{f.upper()}{c}Channel" for f in ("tdl", "cdl") for c in "ABCDE"]

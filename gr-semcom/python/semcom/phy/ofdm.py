"""An OFDM link on Sionna 2.x's ``sionna.phy.ofdm``: resource grids with pilots, 3GPP channels in
the frequency domain, LS channel estimation with interpolation (or perfect CSI), ZF/LMMSE
equalisation, and the resource-element (RE) accounting of the whole thing.

The link is single input, single output (one transmitter, one stream, one antenna each side). A
frame of ``K`` complex symbols per example is cut into ``G = ceil(K / data_res)`` resource grids
(slots); the last one is zero padded. Each grid carries pilots on the OFDM symbols listed in
``pilot_ofdm_symbol_indices`` (a Kronecker pattern: pilots on every effective subcarrier of those
symbols, deterministic QPSK), data everywhere else.

Channel: ``y[s, n] = h[s, n] x[s, n] + w[s, n]`` per RE, with the frequency response ``h`` from a
Sionna channel model (``TDL``/``CDL`` of TR 38.901 through ``GenerateOFDMChannel``; ``h = 1`` for
AWGN) and ``w ~ CN(0, N0)``. With ``normalize_channel`` (default), every realisation of ``h`` has
unit mean energy over its grid, so the received signal power per RE averaged over a grid is 1 and
``SNR = 1 / N0`` exactly, per slot (see :class:`OFDMLink`).

Example
-------
>>> from semcom.phy.ofdm import OFDMConfig, OFDMLink, tdl_model
>>> cfg = OFDMConfig()
>>> cfg.data_res, cfg.pilot_res, round(cfg.pilot_overhead, 4)
(768, 128, 0.1429)
>>> link = OFDMLink(cfg, tdl_model("A", cfg))
>>> x = torch.ones(2, 1000, dtype=torch.complex64)
>>> x_hat, no_eff, h = link(x, torch.tensor([0.1, 0.1]))
>>> x_hat.shape, no_eff.shape, h.shape
(torch.Size([2, 1000]), torch.Size([2, 1000]), torch.Size([2, 1000]))
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from sionna.phy.channel import ApplyOFDMChannel, GenerateOFDMChannel
from sionna.phy.channel.utils import cir_to_ofdm_channel, subcarrier_frequencies
from sionna.phy.mimo import StreamManagement
from sionna.phy.ofdm import (LMMSEEqualizer, LSChannelEstimator, PilotPattern, ResourceGrid,
                             ResourceGridMapper, ZFEqualizer)

from ..block import SemcomBlock

EQUALIZER_NAMES = ("lmmse", "zf")
INTERPOLATIONS = ("auto", "nn", "lin", "lin_time_avg")
# "auto" averages the pilots over the slot when the channel barely moves within it: maximum
# Doppler shift times slot duration below this (0.02 at 3.5 GHz, 0.5 ms: up to ~12 km/h).
STATIC_DOPPLER_SLOT = 0.02
SLOT_FADING = ("independent", "continuous")
_PILOT_SEED = 0x0FD3


@dataclass(frozen=True)
class OFDMConfig:
    """Numerology and pilot layout of one resource grid (a slot).

    Defaults: a short-frame link of 64 subcarriers at 30 kHz (1.92 MHz) by 14 OFDM symbols
    (one 0.5 ms 5G NR slot at numerology 1), cyclic prefix of 5 samples (2.6 us, covers TDL/CDL
    delay spreads up to about 250 ns nominal; the frequency-domain model assumes no ISI anyway),
    pilots on OFDM symbols 2 and 11 (Kronecker, all subcarriers): 896 REs, 128 pilot REs, 768
    data REs, 14.3 % pilot overhead. Carrier 3.5 GHz.
    """

    fft_size: int = 64
    subcarrier_spacing: float = 30e3
    num_ofdm_symbols: int = 14
    cyclic_prefix_length: int = 5
    pilot_ofdm_symbol_indices: tuple = (2, 11)
    num_guard_carriers: tuple = (0, 0)
    dc_null: bool = False
    carrier_frequency: float = 3.5e9

    def __post_init__(self):
        object.__setattr__(self, "pilot_ofdm_symbol_indices",
                           tuple(int(i) for i in self.pilot_ofdm_symbol_indices))
        object.__setattr__(self, "num_guard_carriers", tuple(int(i) for i in self.num_guard_carriers))
        if self.fft_size < 2 or self.num_ofdm_symbols < 1:
            raise ValueError(f"need fft_size >= 2 and num_ofdm_symbols >= 1, got {self.fft_size}, "
                             f"{self.num_ofdm_symbols}")
        if self.subcarrier_spacing <= 0 or self.carrier_frequency <= 0:
            raise ValueError("subcarrier_spacing and carrier_frequency must be positive")
        if len(self.num_guard_carriers) != 2 or min(self.num_guard_carriers) < 0:
            raise ValueError(f"num_guard_carriers must be two non-negative ints, got {self.num_guard_carriers}")
        if self.effective_subcarriers < 1:
            raise ValueError("no effective subcarriers left after guards and DC")
        idx = self.pilot_ofdm_symbol_indices
        if len(set(idx)) != len(idx) or any(not 0 <= i < self.num_ofdm_symbols for i in idx):
            raise ValueError(f"pilot_ofdm_symbol_indices {idx} must be distinct and in "
                             f"[0, {self.num_ofdm_symbols})")
        if self.data_res < 1:
            raise ValueError("the grid has no data REs left")

    # -- accounting --------------------------------------------------------------------------
    @property
    def effective_subcarriers(self) -> int:
        """Subcarriers carrying data or pilots (FFT size minus guards and DC)."""
        return self.fft_size - sum(self.num_guard_carriers) - int(self.dc_null)

    @property
    def res_per_grid(self) -> int:
        """All REs of a grid, nulled ones included: ``fft_size * num_ofdm_symbols``."""
        return self.fft_size * self.num_ofdm_symbols

    @property
    def used_res(self) -> int:
        """REs that carry data or pilots."""
        return self.effective_subcarriers * self.num_ofdm_symbols

    @property
    def pilot_res(self) -> int:
        """Pilot REs per grid."""
        return self.effective_subcarriers * len(self.pilot_ofdm_symbol_indices)

    @property
    def data_res(self) -> int:
        """Data REs per grid."""
        return self.used_res - self.pilot_res

    @property
    def pilot_overhead(self) -> float:
        """Pilot REs over used REs."""
        return self.pilot_res / self.used_res

    @property
    def bandwidth(self) -> float:
        """``fft_size * subcarrier_spacing`` in Hz."""
        return self.fft_size * self.subcarrier_spacing

    @property
    def ofdm_symbol_duration(self) -> float:
        """Duration of one OFDM symbol with cyclic prefix, s."""
        return (1.0 + self.cyclic_prefix_length / self.fft_size) / self.subcarrier_spacing

    @property
    def slot_duration(self) -> float:
        return self.num_ofdm_symbols * self.ofdm_symbol_duration

    def num_grids(self, num_symbols: int) -> int:
        """Grids needed for ``num_symbols`` data symbols (at least one)."""
        return max(1, math.ceil(int(num_symbols) / self.data_res))

    def layout(self, num_symbols: int) -> "OFDMLayout":
        return OFDMLayout(self, int(num_symbols))

    # -- Sionna objects ----------------------------------------------------------------------
    def pilot_pattern(self, device=None) -> PilotPattern:
        """Kronecker pilot pattern with deterministic unit-power QPSK pilots (independent of the
        global seed, so transmitter and receiver always agree)."""
        mask = np.zeros([1, 1, self.num_ofdm_symbols, self.effective_subcarriers], bool)
        mask[..., list(self.pilot_ofdm_symbol_indices), :] = True
        bits = np.random.default_rng(_PILOT_SEED).integers(0, 2, (2, self.pilot_res))
        pilots = ((1 - 2 * bits[0]) + 1j * (1 - 2 * bits[1])) / math.sqrt(2)
        return PilotPattern(mask, pilots.astype(np.complex64).reshape(1, 1, -1), device=device)

    def resource_grid(self, device=None) -> ResourceGrid:
        rg = ResourceGrid(num_ofdm_symbols=self.num_ofdm_symbols, fft_size=self.fft_size,
                          subcarrier_spacing=self.subcarrier_spacing, num_tx=1, num_streams_per_tx=1,
                          cyclic_prefix_length=self.cyclic_prefix_length,
                          num_guard_carriers=self.num_guard_carriers, dc_null=self.dc_null,
                          device=device)
        if self.pilot_ofdm_symbol_indices:
            rg.pilot_pattern = self.pilot_pattern(device)
        return rg


@dataclass(frozen=True)
class OFDMLayout:
    """How ``symbols`` data symbols of one example fill OFDM grids.

    ``grids`` slots, ``padding`` zero symbols in the last one; ``total_res`` REs occupied in
    time-frequency (nulled ones included), ``pilot_res`` of them pilots. ``efficiency`` is data
    symbols over used REs, the factor by which an OFDM frame is longer than a single-carrier one.
    """

    config: OFDMConfig = field(repr=False)
    symbols: int

    @property
    def grids(self) -> int:
        return self.config.num_grids(self.symbols)

    @property
    def data_res(self) -> int:
        return self.grids * self.config.data_res

    @property
    def padding(self) -> int:
        return self.data_res - self.symbols

    @property
    def pilot_res(self) -> int:
        return self.grids * self.config.pilot_res

    @property
    def used_res(self) -> int:
        return self.grids * self.config.used_res

    @property
    def total_res(self) -> int:
        return self.grids * self.config.res_per_grid

    @property
    def efficiency(self) -> float:
        return self.symbols / self.used_res

    @property
    def duration(self) -> float:
        """Air time of the frame, s."""
        return self.grids * self.config.slot_duration


def max_doppler(channel_model, config: OFDMConfig) -> float:
    """Largest Doppler shift ``v_max f_c / c`` of a Sionna TDL/CDL model, Hz (0 for ``None``)."""
    if channel_model is None:
        return 0.0
    speed = getattr(channel_model, "_max_speed", None)
    if speed is None:
        speed = getattr(channel_model, "_min_speed", 0.0)
    speed = float(speed if speed is not None else 0.0)
    return speed * config.carrier_frequency / 299_792_458.0


def tdl_model(model: str, config: OFDMConfig = OFDMConfig(), delay_spread: float = 100e-9,
              min_speed: float = 0.0, max_speed: float | None = None, device=None):
    """A SISO 3GPP TR 38.901 TDL model (``"A"`` ... ``"E"``, or a TS 38.101-4 profile)."""
    from sionna.phy.channel.tr38901 import TDL
    return TDL(model=model, delay_spread=delay_spread, carrier_frequency=config.carrier_frequency,
               min_speed=min_speed, max_speed=max_speed, num_rx_ant=1, num_tx_ant=1, device=device)


def cdl_model(model: str, config: OFDMConfig = OFDMConfig(), delay_spread: float = 100e-9,
              min_speed: float = 0.0, max_speed: float | None = None, direction: str = "downlink",
              device=None):
    """A SISO 3GPP TR 38.901 CDL model (``"A"`` ... ``"E"``): one vertically polarised omni
    antenna at the base station and at the terminal."""
    from sionna.phy.channel.tr38901 import CDL, Antenna
    ant = lambda: Antenna(polarization="single", polarization_type="V", antenna_pattern="omni",  # noqa: E731
                          carrier_frequency=config.carrier_frequency, device=device)
    return CDL(model=model, delay_spread=delay_spread, carrier_frequency=config.carrier_frequency,
               ut_array=ant(), bs_array=ant(), direction=direction, min_speed=min_speed,
               max_speed=min_speed if max_speed is None else max_speed, device=device)


class OFDMLink(SemcomBlock):
    """Symbols through an OFDM link: grid mapping, channel, noise, estimation, equalisation.

    Parameters
    ----------
    config : OFDMConfig
    channel_model : a Sionna channel model ``(batch, num_time_steps, sampling_frequency) -> (a,
        tau)`` (e.g. :func:`tdl_model`, :func:`cdl_model`), or ``None`` for AWGN (``h = 1``).
    perfect_csi : bool
        Equalise with the true channel (error variance 0) instead of the LS estimate.
    equalizer : ``"lmmse"`` (Sionna's ``LMMSEEqualizer``) or ``"zf"`` (``ZFEqualizer``). Both are
        unbiased (``x_hat = x + e``); for one antenna they give the same ``x_hat = y / h_hat`` and
        the same ``no_eff = (N0 + err_var) / |h_hat|^2``: LMMSE only differs with several streams.
    interpolation : LS interpolation across the grid, Sionna's ``"nn"``, ``"lin"`` or
        ``"lin_time_avg"`` (the pilot OFDM symbols averaged over the slot: half the error variance
        with two pilot symbols, wrong under Doppler), or ``"auto"`` (default): ``"lin_time_avg"``
        when ``max Doppler * slot duration < STATIC_DOPPLER_SLOT``, else ``"lin"``.
    normalize_channel : bool
        Scale every channel realisation to unit mean energy over its grid(s) (Sionna's
        ``normalize_channel``). Per slot with ``slot_fading="independent"``, per frame with
        ``"continuous"``. This takes out the slot-to-slot power fluctuation (large-scale fading of
        a short frame); what remains is the fading across subcarriers and OFDM symbols inside it.
    slot_fading : ``"independent"`` (default): each grid of a frame sees an independent channel
        realisation (slots far apart or frequency hopped); ``"continuous"``: the grids of one
        example are consecutive slots of one time-evolving channel (at speed 0: one channel).

    Input
    -----
    x : [B, K] complex64, unit average power per symbol.
    no : [B] float32, noise variance ``N0`` per complex RE.

    Output
    ------
    x_hat : [B, K] complex64, equalised symbols (``x + e``).
    no_eff : [B, K] float32, post-equalisation noise variance of each symbol,
        ``(N0 + err_var) / |h_hat|^2`` (Sionna's equalisers' value for one antenna, in closed form). With LS, ``err_var`` is the exact variance of
        the interpolated LS estimate, ``N0 * sum_i w_i^2`` over the interpolation weights ``w_i``
        of the pilots (Sionna's interpolators report ``N0`` everywhere instead).
    h : [B, K] complex64, true channel at each data RE (after normalisation).
    """

    def __init__(self, config: OFDMConfig = OFDMConfig(), channel_model=None, perfect_csi: bool = False,
                 equalizer: str = "lmmse", interpolation: str = "lin", normalize_channel: bool = True,
                 slot_fading: str = "independent", generator: torch.Generator | None = None, **kwargs):
        super().__init__(**kwargs)
        if equalizer not in EQUALIZER_NAMES:
            raise ValueError(f"equalizer must be one of {EQUALIZER_NAMES}, not {equalizer!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
        if interpolation == "auto":
            interpolation = "lin_time_avg" if max_doppler(channel_model, config) * config.slot_duration \
                < STATIC_DOPPLER_SLOT else "lin"
        if slot_fading not in SLOT_FADING:
            raise ValueError(f"slot_fading must be one of {SLOT_FADING}, not {slot_fading!r}")
        if not perfect_csi and not config.pilot_ofdm_symbol_indices:
            raise ValueError("LS estimation needs pilots: set pilot_ofdm_symbol_indices or perfect_csi=True")
        self.config = config
        self.channel_model = channel_model
        self.perfect_csi = perfect_csi
        self.equalizer_name = equalizer
        self.interpolation = interpolation
        self.normalize_channel = normalize_channel
        self.slot_fading = slot_fading
        self.generator = generator
        self.rg = config.resource_grid(self.device)
        self._mapper = ResourceGridMapper(self.rg, device=self.device)
        self._apply_channel = ApplyOFDMChannel(device=self.device)
        self._estimator = None
        if config.pilot_ofdm_symbol_indices:
            self._estimator = LSChannelEstimator(self.rg, interpolation_type=interpolation, device=self.device)
            self.register_buffer("_err_gain", self._interpolation_error_gain(), persistent=False)
        sm = StreamManagement(np.ones([1, 1], int), 1)
        eq_cls = LMMSEEqualizer if equalizer == "lmmse" else ZFEqualizer
        self._equalizer = eq_cls(self.rg, sm, device=self.device)
        self._generate = None
        if channel_model is not None:
            self._generate = GenerateOFDMChannel(channel_model, self.rg, normalize_channel=normalize_channel,
                                                 device=self.device)
        flat_mask = self.rg.pilot_pattern.mask.reshape(-1).cpu()
        data_ind = torch.nonzero(flat_mask == 0).squeeze(-1)  # order of ResourceGridMapper/equalizer
        sc = torch.as_tensor(self.rg.effective_subcarrier_ind, dtype=torch.long)
        sym, eff = data_ind // config.effective_subcarriers, data_ind % config.effective_subcarriers
        self.register_buffer("_data_flat_ind", (sym * config.fft_size + sc[eff]).to(self.device),
                             persistent=False)
        self.register_buffer("_data_eff_ind", data_ind.to(self.device), persistent=False)

    def layout(self, num_symbols: int) -> OFDMLayout:
        return self.config.layout(num_symbols)

    def _interpolation_error_gain(self) -> torch.Tensor:
        """``sum_i w_i^2`` per RE [S, F_eff]: the interpolator is linear, so feeding it the unit
        pilot estimates ``e_i`` gives the weights ``w_i`` of every RE."""
        n = self.config.pilot_res
        eye = torch.eye(n, dtype=self.cdtype, device=self.device).reshape(n, 1, 1, 1, 1, n)
        w, _ = self._estimator._interpol(eye, torch.ones(eye.shape, dtype=self.dtype, device=self.device))
        return w.abs().square().sum(dim=0).reshape(self.config.num_ofdm_symbols, -1)

    # -- pieces ------------------------------------------------------------------------------
    def map(self, x):
        """[B, K] symbols -> ([B*G, 1, 1, S, F] grids, layout); the last grid is zero padded."""
        b, k = x.shape
        lay = self.layout(k)
        x = torch.nn.functional.pad(x, (0, lay.padding))
        return self._mapper(x.reshape(b * lay.grids, 1, 1, self.config.data_res)), lay

    def channel(self, num_examples: int, grids: int) -> torch.Tensor:
        """Frequency responses [B*G, 1, 1, 1, 1, S, F] (ones for AWGN)."""
        cfg = self.config
        if self._generate is None:
            return torch.ones(num_examples * grids, 1, 1, 1, 1, cfg.num_ofdm_symbols, cfg.fft_size,
                              dtype=self.cdtype, device=self.device)
        if self.slot_fading == "independent" or grids == 1:
            return self._generate(num_examples * grids)
        # One time-evolving channel per example over all its grids, cut into slots.
        steps = grids * cfg.num_ofdm_symbols
        a, tau = self.channel_model(num_examples, steps, 1.0 / cfg.ofdm_symbol_duration)
        freqs = subcarrier_frequencies(cfg.fft_size, cfg.subcarrier_spacing, device=self.device)
        h = cir_to_ofdm_channel(freqs, a, tau, self.normalize_channel)  # [B,1,1,1,1,G*S,F]
        h = h.reshape(num_examples, 1, 1, 1, 1, grids, cfg.num_ofdm_symbols, cfg.fft_size)
        return h.permute(0, 5, 1, 2, 3, 4, 6, 7).reshape(num_examples * grids, 1, 1, 1, 1,
                                                         cfg.num_ofdm_symbols, cfg.fft_size)

    def _noise(self, shape):
        from sionna.phy import config as sn_config
        from sionna.phy.utils import complex_normal
        gen = self.generator or sn_config.torch_rng(str(self.device))
        return complex_normal(shape, device=self.device, generator=gen)

    def call(self, x, no):
        if not torch.is_tensor(x) or not x.is_complex() or x.dim() != 2:
            raise ValueError(f"OFDMLink wants complex symbols [B, K], got "
                             f"{getattr(x, 'dtype', type(x))} {tuple(getattr(x, 'shape', ()))}")
        b, k = x.shape
        if k < 1:
            raise ValueError("OFDMLink needs at least one symbol per example")
        no = torch.as_tensor(no, dtype=self.dtype, device=self.device).reshape(-1)
        if no.numel() == 1:
            no = no.expand(b)
        if no.numel() != b:
            raise ValueError(f"no has {no.numel()} values for a batch of {b}")
        if not torch.isfinite(no).all() or (no < 0).any():
            raise ValueError("noise variance must be finite and non-negative")
        grid, lay = self.map(x)
        g = lay.grids
        no_g = no.repeat_interleave(g)  # [B*G]
        h = self.channel(b, g)
        y = self._apply_channel(grid, h)  # [B*G, 1, 1, S, F]
        y = y + self._noise(y.shape) * no_g.sqrt()[:, None, None, None, None].to(y.dtype)
        no_rx = no_g.clamp_min(1e-30)[:, None, None]  # [B*G, 1, 1], keeps LS/LMMSE finite at no=0
        if self.perfect_csi:
            h_hat = h[..., self.rg.effective_subcarrier_ind]  # [B*G,1,1,1,1,S,F_eff]
            err_var = torch.zeros((), dtype=self.dtype, device=self.device)
        else:
            h_hat, _ = self._estimator(y, no_rx)
            # LS error at a pilot: N0 / |p|^2 = N0 (unit-power pilots); interpolated: N0 sum w^2.
            err_var = no_rx[..., None, None, None, None] * self._err_gain
        x_hat, _ = self._equalizer(y, h_hat, err_var, no_rx)  # [B*G, 1, 1, data_res]
        # Post-equalisation noise variance in closed form, (N0 + err_var) / |h_hat|^2: what both
        # Sionna equalisers compute for one antenna, without LMMSE's 1/diag(GH) - 1, which cancels
        # catastrophically in float32 at high SNR (garbage of +-1e-7, even negative).
        err_data = torch.broadcast_to(err_var, h_hat.shape).reshape(b * g, -1)[:, self._data_eff_ind]
        h_hat_data = h_hat.reshape(b * g, -1)[:, self._data_eff_ind]
        no_eff = (no_g[:, None] + err_data) / h_hat_data.abs().square().clamp_min(1e-30)
        h_data = h.reshape(b * g, -1)[:, self._data_flat_ind]
        unpad = lambda t: t.reshape(b, lay.data_res)[:, :k]  # noqa: E731
        return unpad(x_hat), unpad(no_eff).to(torch.float32), unpad(h_data)


__all__ = ["OFDMConfig", "OFDMLayout", "OFDMLink", "tdl_model", "cdl_model", "max_doppler", "EQUALIZER_NAMES",
           "INTERPOLATIONS", "SLOT_FADING"]

"""``impairments``: what a pair of real radios adds, from GNU Radio's own ``channels`` blocks (C++).

A hierarchical block, in a receiver's order::

    in -> dynamic_channel_model (sample-rate offset random walk, CFO drift random walk,
          TDL-C selective fading)          [or sro_model -> cfo_model without fading]
       -> channel_model (constant sampling-clock offset: epsilon = 1 + ppm 1e-6)
       -> Wiener phase noise (noise_source_f -> frequency_modulator_fc -> multiply_cc)
       -> iqbal_gen (receiver IQ imbalance, dB / degrees) -> add_const_cc (DC offset) -> out

* ``sco_ppm``: constant sampling-clock offset, ppm (the receiver's clock fast when > 0).
* ``sro_std``/``sro_max``: random walk of the sample-rate offset, Hz per sample / Hz bound.
* ``cfo_std``/``cfo_max``: random walk of the CFO (Hz per sample; bound in subcarrier spacings of
  the 64-point FFT, ``samp_rate / 64`` Hz each): a drifting oscillator, on top of the static CFO of
  :class:`semcom.gr.channel`.
* ``linewidth``: 3-dB linewidth of Wiener phase noise, Hz (phase increments of variance
  ``2 pi linewidth / samp_rate``; 100 Hz is -65 dBc/Hz at 10 kHz offset).
* ``iq_gain``/``iq_phase``: receiver IQ imbalance (``channels.iqbal_gen``, mode RX).
* ``dc_i``/``dc_q``: DC offset added last.
* ``delay_spread``: TDL-C (3GPP TR 38.901 table 7.7.2-3) with this RMS delay spread as the
  selective fading of ``dynamic_channel_model`` (``doppler``: maximum Doppler, Hz, sum of
  ``N = 8`` sinusoids; powers normalised to unit average gain); 0: no fading.

AWGN comes from :class:`semcom.gr.channel` before this block (at the SNR of :mod:`semcom.snr`);
fading after the noise colours it without changing its average power.
"""
from __future__ import annotations

import math

import numpy as np
from gnuradio import analog, blocks, channels, gr

from semcom.ota.impairments import TDL_C_DELAYS, TDL_C_POWERS_DB

FFT = 64


def tdl_c_profile(delay_spread: float, samp_rate: float):
    """(delays in samples, amplitudes with unit total power, FIR length) of TDL-C."""
    delays = (TDL_C_DELAYS * float(delay_spread) * float(samp_rate)).tolist()
    p = 10 ** (TDL_C_POWERS_DB / 10)
    mags = np.sqrt(p / p.sum()).tolist()
    return delays, mags, int(math.ceil(max(delays))) + 8


class impairments(gr.hier_block2):
    """Radio impairments from GNU Radio's channels blocks (see the module docstring)."""

    def __init__(self, samp_rate=10e6, sco_ppm=0.0, sro_std=0.0, sro_max=0.0, cfo_std=0.0,
                 cfo_max=0.0, linewidth=0.0, iq_gain=0.0, iq_phase=0.0, dc_i=0.0, dc_q=0.0,
                 delay_spread=0.0, doppler=0.0, seed=0):
        gr.hier_block2.__init__(self, "semcom_impairments", gr.io_signature(1, 1, gr.sizeof_gr_complex),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        if samp_rate <= 0 or delay_spread < 0 or linewidth < 0 or cfo_max < 0 or sro_max < 0:
            raise ValueError("samp_rate must be > 0; delay_spread, linewidth, cfo_max, sro_max >= 0")
        self.samp_rate = float(samp_rate)
        seed = int(seed)
        cfo_max_hz = float(cfo_max) * self.samp_rate / FFT
        if delay_spread > 0:
            delays, mags, ntaps = tdl_c_profile(delay_spread, samp_rate)
            self.drift = channels.dynamic_channel_model(
                self.samp_rate, float(sro_std), float(sro_max), float(cfo_std), cfo_max_hz, 8,
                float(doppler) / self.samp_rate, False, 0.0, delays, mags, ntaps, 0.0, seed)
            stages = [self.drift]
        else:
            self.sro = channels.sro_model(self.samp_rate, float(sro_std), float(sro_max), seed + 1)
            self.cfo = channels.cfo_model(self.samp_rate, float(cfo_std), cfo_max_hz, seed + 2)
            self.drift = None
            stages = [self.sro, self.cfo]
        self.clock = channels.channel_model(noise_voltage=0.0, frequency_offset=0.0,
                                            epsilon=1.0 + float(sco_ppm) * 1e-6, taps=[1.0 + 0j],
                                            noise_seed=seed + 3, block_tags=False)
        self.pn_source = analog.noise_source_f(analog.GR_GAUSSIAN, self._pn_sigma(linewidth), seed + 4)
        self.pn_vco = analog.frequency_modulator_fc(1.0)
        self.pn_mix = blocks.multiply_cc()
        self.iq = channels.iqbal_gen(float(iq_gain), float(iq_phase), 1)
        self.dc = blocks.add_const_cc(complex(dc_i, dc_q))
        self.sco_ppm, self.linewidth = float(sco_ppm), float(linewidth)
        self.connect(self, *stages, self.clock, (self.pn_mix, 0))
        self.connect(self.pn_source, self.pn_vco, (self.pn_mix, 1))
        self.connect(self.pn_mix, self.iq, self.dc, self)

    def _pn_sigma(self, linewidth):
        return math.sqrt(2 * math.pi * max(float(linewidth), 0.0) / self.samp_rate)

    # run-time settable
    def set_sco_ppm(self, sco_ppm):
        self.sco_ppm = float(sco_ppm)
        self.clock.set_timing_offset(1.0 + self.sco_ppm * 1e-6)

    def set_linewidth(self, linewidth):
        self.linewidth = float(linewidth)
        self.pn_source.set_amplitude(self._pn_sigma(linewidth))

    def set_iq(self, iq_gain, iq_phase):
        self.iq.set_magnitude(float(iq_gain))
        self.iq.set_phase(float(iq_phase))

    def set_dc(self, dc_i, dc_q):
        self.dc.set_k(complex(dc_i, dc_q))

    def set_cfo_drift(self, cfo_std, cfo_max):
        hz = float(cfo_max) * self.samp_rate / FFT
        if self.drift is not None:
            self.drift.set_cfo_dev_std(float(cfo_std))
            self.drift.set_cfo_dev_max(hz)
        else:
            self.cfo.set_std_dev(float(cfo_std))
            self.cfo.set_max_dev(hz)

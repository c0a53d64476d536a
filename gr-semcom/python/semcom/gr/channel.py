"""``channel``: a Sionna-backed baseband channel as a GNU Radio complex stream block.

Processing chain per sample ``n`` (everything vectorised over the work() call)::

    x --> integer delay --> fading (AWGN: none | Rayleigh: h x | TDL: FIR) --> CFO --> + noise --> y

* SNR follows :mod:`semcom.snr`: received signal power over complex noise variance. The signal
  power is **assumed**, not measured: ``signal_power`` (default 1, i.e. unit-power symbols) times
  the channel's average gain (``E|h|^2 = 1`` for Rayleigh, sum of the PDP = 1 for TDL), so
  ``N0 = signal_power / 10^(snr/10)``. Measuring it per work() call would make the noise depend on
  how the scheduler splits the stream and on idle (all-zero) stretches of a bursty transmitter.
* CFO is a normalised frequency in cycles per sample (``f_offset / samp_rate``); one subcarrier
  spacing of a 64-point FFT is ``1/64 = 0.015625``. The phase is continuous across calls and
  across run-time changes.
* Rayleigh block fading: one ``h ~ CN(0, 1)`` per ``coherence`` samples (0: one draw, static).
* TDL-A ... TDL-E: Sionna's :class:`sionna.phy.channel.tr38901.TDL` (static within a block, i.e.
  no Doppler) sampled at ``samp_rate`` through :func:`sionna.phy.channel.cir_to_time_channel`
  with lags ``-6 .. ceil(W * max_delay) + 6``. The non-causal sinc lags are made causal, so the
  TDL channel adds ``6`` samples of delay besides ``delay``. Taps are redrawn every
  ``coherence`` samples (tap set of the block the *output* sample falls in); the convolution keeps
  its input history across work() calls, so it equals one ``np.convolve`` of the whole stream.
* ``seed`` (>= 0) makes the output reproducible regardless of how GNU Radio splits the stream:
  noise is drawn in fixed chunks of ``CHUNK`` samples and channel realisations in fixed batches
  of ``DRAWS`` from the block's own generators (a negative seed draws a random one).
"""
from __future__ import annotations

import math

import numpy as np
from gnuradio import gr

MODELS = ("awgn", "rayleigh", "tdl-a", "tdl-b", "tdl-c", "tdl-d", "tdl-e")
CHUNK = 4096  # noise samples per draw
DRAWS = 64    # channel realisations per draw
L_MIN = -6    # Sionna's recommended smallest lag


class _Stream:
    """An endless stream of values produced in fixed-size draws (split-independent)."""

    def __init__(self, draw):
        self._draw = draw
        self._buf = None
        self._pos = 0

    def take(self, n):
        parts = []
        while n > 0:
            if self._buf is None or self._pos >= len(self._buf):
                self._buf, self._pos = self._draw(), 0
            k = min(n, len(self._buf) - self._pos)
            parts.append(self._buf[self._pos:self._pos + k])
            self._pos += k
            n -= k
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


class ChannelModel:
    """The block's signal processing, without GNU Radio (also used directly by tests)."""

    def __init__(self, model="awgn", snr=20.0, cfo=0.0, delay=0, coherence=0, samp_rate=1e6,
                 delay_spread=100e-9, signal_power=1.0, seed=0, carrier_frequency=3.5e9):
        model = str(model).lower()
        if model not in MODELS:
            raise ValueError(f"unknown channel model {model!r}; one of {', '.join(MODELS)}")
        if delay < 0 or coherence < 0:
            raise ValueError("delay and coherence must be >= 0")
        self.model = model
        self.coherence = int(coherence)
        self.signal_power = float(signal_power)
        self.set_snr(snr)
        self.set_cfo(cfo)
        seed = int(seed) if seed is not None and int(seed) >= 0 else int(np.random.SeedSequence().entropy % 2**63)
        ss = np.random.SeedSequence(seed)
        noise_rng, fade_rng, tdl_seed = ss.spawn(3)
        noise_rng = np.random.default_rng(noise_rng)
        self._noise = _Stream(lambda: ((noise_rng.standard_normal(2 * CHUNK, dtype=np.float32)
                                        .view(np.complex64)) * np.float32(math.sqrt(0.5))))
        self._phase = 0.0
        self._n = 0  # absolute index of the next output sample
        self._delay_line = np.zeros(int(delay), np.complex64)
        self.taps_per_draw = None
        if model == "rayleigh":
            fade_rng = np.random.default_rng(fade_rng)
            self._gains = _Stream(lambda: (fade_rng.standard_normal(2 * DRAWS, dtype=np.float32)
                                           .view(np.complex64) * np.float32(math.sqrt(0.5)))[:, None])
            self.num_taps = 1
        elif model.startswith("tdl"):
            self._init_tdl(model[-1].upper(), samp_rate, delay_spread, carrier_frequency,
                           int(tdl_seed.generate_state(1)[0]))
        else:
            self.num_taps = 1
            self._gains = None
        self._hist = np.zeros(self.num_taps - 1, np.complex64)
        self._block = -1      # index of the coherence block whose taps are in self._taps
        self._taps = None

    # --- TDL -----------------------------------------------------------------------------------
    def _init_tdl(self, profile, samp_rate, delay_spread, carrier_frequency, seed):
        import torch
        from sionna.phy.channel import cir_to_time_channel
        from sionna.phy.channel.tr38901 import TDL

        gen = torch.Generator().manual_seed(seed)

        class _SeededTDL(TDL):  # Sionna draws from the global RNG; this one has its own
            @property
            def torch_rng(self):
                return gen

        tdl = _SeededTDL(profile, delay_spread=delay_spread, carrier_frequency=carrier_frequency,
                         min_speed=0.0, device="cpu")
        self.tdl = tdl
        max_delay = float(tdl.delays.max())
        self.l_max = int(math.ceil(samp_rate * max_delay)) + 6
        self.num_taps = self.l_max - L_MIN + 1
        self.samp_rate = float(samp_rate)

        def draw():
            with torch.no_grad():
                a, tau = tdl(DRAWS, 1, samp_rate)
                h = cir_to_time_channel(samp_rate, a, tau, L_MIN, self.l_max)
            return h.reshape(DRAWS, self.num_taps).numpy().astype(np.complex64)

        self._gains = _Stream(draw)

    def expected_tap_powers(self):
        """E|h_l|^2 of the TDL taps from Sionna's PDP: sum_m P_m sinc^2(l - W tau_m)."""
        p = self.tdl.mean_powers.double().numpy()
        tau = self.tdl.delays.double().numpy()
        lags = np.arange(L_MIN, self.l_max + 1)
        return (p[None, :] * np.sinc(lags[:, None] - self.samp_rate * tau[None, :]) ** 2).sum(1)

    # --- run-time parameters -------------------------------------------------------------------
    def set_snr(self, snr):
        self.snr = float(snr)
        self.noise_var = self.signal_power / 10.0 ** (self.snr / 10.0)

    def set_cfo(self, cfo):
        self.cfo = float(cfo)

    # --- processing ----------------------------------------------------------------------------
    def _fade(self, x, n0):
        """Apply the fading of the blocks covering output samples n0 .. n0+len(x)-1."""
        n = len(x)
        if self._gains is None:
            return x
        hx = np.concatenate([self._hist, x])
        if self.num_taps > 1:
            self._hist = hx[len(hx) - (self.num_taps - 1):].copy()
        if self.coherence == 0:
            first, last = 0, 0
        else:
            first, last = n0 // self.coherence, (n0 + n - 1) // self.coherence
        if last > self._block:  # draw taps of new blocks in order
            new = self._gains.take(last - self._block)
            self._taps = new if self._taps is None else np.concatenate([self._taps, new])
            self._block = last
        taps = self._taps[len(self._taps) - (last - first + 1):]  # blocks first..last
        self._taps = taps[-1:]  # keep the current block's taps only
        if self.num_taps == 1:
            if first == last:
                return x * taps[0, 0]
            idx = (np.arange(n0, n0 + n) // self.coherence) - first
            return x * taps[idx, 0]
        win = np.lib.stride_tricks.sliding_window_view(hx, self.num_taps)[:, ::-1]  # [n, L]: x[k-l]
        if first == last:
            return win @ taps[0]
        idx = (np.arange(n0, n0 + n) // self.coherence) - first
        return np.einsum("nl,nl->n", win, taps[idx])

    def process(self, x):
        x = np.asarray(x, np.complex64)
        n = len(x)
        if n == 0:
            return x.copy()
        if len(self._delay_line):
            dx = np.concatenate([self._delay_line, x])
            x, self._delay_line = dx[:n], dx[n:]
        y = self._fade(x, self._n).astype(np.complex64, copy=False)
        if self.cfo != 0.0:
            step = 2.0 * math.pi * self.cfo
            ph = self._phase + step * np.arange(n, dtype=np.float64)
            y = y * np.exp(1j * ph).astype(np.complex64)
            self._phase = float((self._phase + step * n) % (2.0 * math.pi))
        w = self._noise.take(n)
        self._n += n
        return (y + w * np.float32(math.sqrt(self.noise_var))).astype(np.complex64, copy=False)


class channel(gr.sync_block):
    """Sionna-backed channel (AWGN, Rayleigh block fading, TDL-A..E) with SNR, CFO and delay.

    Parameters
    ----------
    model : "awgn" | "rayleigh" | "tdl-a" ... "tdl-e"
    snr : float, dB (run-time: :meth:`set_snr`), assumed signal power ``signal_power``.
    cfo : float, cycles per sample (run-time: :meth:`set_cfo`); 1/64 = one 64-FFT subcarrier.
    delay : int, samples of pure delay (the TDL FIR adds 6 more).
    coherence : int, samples per fading block (0: static).
    samp_rate : float, Hz (TDL tap spacing), delay_spread : float, s (TDL RMS delay spread).
    seed : int, >= 0 for a reproducible stream, < 0 for a random one.
    """

    def __init__(self, model="awgn", snr=20.0, cfo=0.0, delay=0, coherence=0, samp_rate=1e6,
                 delay_spread=100e-9, signal_power=1.0, seed=0):
        gr.sync_block.__init__(self, name="semcom_channel", in_sig=[np.complex64], out_sig=[np.complex64])
        self.core = ChannelModel(model, snr, cfo, delay, coherence, samp_rate, delay_spread,
                                 signal_power, seed)

    def set_snr(self, snr):
        self.core.set_snr(snr)

    def snr(self):
        return self.core.snr

    def set_cfo(self, cfo):
        self.core.set_cfo(cfo)

    def work(self, input_items, output_items):
        x = input_items[0]
        output_items[0][:] = self.core.process(x)
        return len(x)

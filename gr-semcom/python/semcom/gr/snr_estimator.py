"""``snr_estimator``: SNR (and CFO) estimates from a repeated training sequence in the stream.

What it expects: a preamble holding ``reps >= 2`` back-to-back copies of any length-``period``
sequence (Schmidl & Cox style: the 802.11 short training field is ``period=16, reps=10``; the long
training field ``period=64, reps=2``; a cyclic prefix in front only widens the plateau). The
sequence itself need not be known. The defaults (``period=32, reps=4``, a 96-sample window) are
the Schmidl & Cox set-up of :mod:`semcom.ota.preamble` (STF: 5 x 32 samples, ``HALF=32``,
``WINDOW=96``), so the block finds the over-the-air frame's preamble as is. The and the estimate is insensitive to the channel (as long as its
delay spread fits in one period) and to CFO.

Per sample ``d`` it computes the repetition correlation over ``W = (reps - 1) * period`` samples,
``P(d) = sum_k conj(r[d+k]) r[d+k+period]``, and its normalised magnitude
``rho(d) = |P(d)| / sqrt(E1(d) E2(d))`` (E1, E2 the energies of the two windows), all with
cumulative sums over the whole work() call. Where ``rho`` first exceeds ``threshold`` it looks at
the next ``W`` samples, takes the middle of the stretch where ``rho`` is within 1 % of its maximum
(the peak, or the plateau a cyclic prefix makes; the middle rather than the maximum avoids picking
a favourable noise sample, which biases the SNR up by ~0.4 dB), and estimates, with ``phi = arg P``::

    N0   = mean |r[d+k+period] - e^{j phi} r[d+k]|^2 / 2        (noise: the copies differ only by it)
    S+N0 = (E1 + E2) / (2 W)
    SNR  = (S+N0 - N0) / N0   (dB; gr-semcom's convention: received signal power over N0)
    CFO  = phi / (2 pi period)  (cycles per sample)

and publishes on ``snr`` a dict ``{snr: dB, noise_var, signal_power, cfo, offset}`` (``offset``:
absolute sample index of the preamble start), then skips ``holdoff`` samples (default ``W +
period``). A ``threshold`` of 0.5 detects down to about 0 dB (rho = SNR / (1 + SNR)) with a
false-alarm probability ~exp(-W * threshold^2) per noise-only sample.
"""
from __future__ import annotations

import math

import numpy as np
import pmt
from gnuradio import gr


class RepetitionSnrEstimator:
    """The estimator without GNU Radio: :meth:`process` returns the estimates found in ``x``."""

    def __init__(self, period=32, reps=4, threshold=0.5, holdoff=0):
        if period < 1 or reps < 2:
            raise ValueError("need period >= 1 and reps >= 2")
        self.period = int(period)
        self.window = (int(reps) - 1) * self.period
        self.threshold = float(threshold)
        self.holdoff = int(holdoff) if holdoff > 0 else self.window + self.period
        self._buf = np.zeros(0, np.complex64)
        self._b0 = 0        # absolute index of self._buf[0]
        self._next = 0      # absolute index of the next position to examine

    def set_threshold(self, threshold):
        self.threshold = float(threshold)

    def process(self, x):
        L, W = self.period, self.window
        b = np.concatenate([self._buf, np.asarray(x, np.complex64)])
        m = len(b) - (W + L) + 1  # positions with complete windows
        found = []
        start = self._next - self._b0
        if m > start:
            bd = b.astype(np.complex128)
            c = np.concatenate([[0], np.cumsum(np.conj(bd[:-L]) * bd[L:])])
            e = np.concatenate([[0], np.cumsum(np.abs(bd) ** 2)])
            d = np.arange(m)
            p = c[d + W] - c[d]
            e1 = e[d + W] - e[d]
            e2 = e[d + W + L] - e[d + L]
            rho = np.abs(p) / np.sqrt(np.maximum(e1 * e2, 1e-30))
            while start < m:
                hits = np.flatnonzero(rho[start:] > self.threshold)
                if not len(hits):
                    start = m
                    break
                d0 = start + int(hits[0])
                if d0 + W > m:  # peak search window incomplete: wait for more samples
                    start = d0
                    break
                seg = rho[d0:d0 + W]
                top = np.flatnonzero(seg >= 0.99 * seg.max())  # the plateau (CP) or the peak
                dp = d0 + int(top[0] + top[-1]) // 2  # its middle: no bias from picking a noise maximum
                phi = float(np.angle(p[dp]))
                r1, r2 = bd[dp:dp + W], bd[dp + L:dp + L + W]
                no = float(np.mean(np.abs(r2 - np.exp(1j * phi) * r1) ** 2) / 2)
                total = float((e1[dp] + e2[dp]) / (2 * W))
                sig = max(total - no, 1e-30)
                found.append(dict(snr=10 * math.log10(sig / max(no, 1e-30)), noise_var=no, signal_power=sig,
                                  cfo=phi / (2 * math.pi * L), offset=self._b0 + dp, rho=float(rho[dp])))
                start = dp + self.holdoff
        keep = min(start, len(b) - (W + L - 1)) if len(b) >= W + L - 1 else 0
        keep = max(keep, 0)
        self._next = self._b0 + start
        self._buf = b[keep:].copy()
        self._b0 += keep
        return found


class snr_estimator(gr.sync_block):
    """SNR estimator on a repeated training sequence; a complex stream sink with an ``snr``
    message output (connect it to :class:`semcom.gr.digital_rx`'s ``snr`` port). See the module
    documentation for what it expects and computes.

    Parameters
    ----------
    period : samples per repetition; reps : repetitions (>= 2);
    threshold : detection threshold on the normalised correlation (run-time: set_threshold);
    holdoff : samples skipped after a detection (0: the preamble length).
    """

    def __init__(self, period=32, reps=4, threshold=0.5, holdoff=0):
        gr.sync_block.__init__(self, name="semcom_snr_estimator", in_sig=[np.complex64], out_sig=None)
        self.core = RepetitionSnrEstimator(period, reps, threshold, holdoff)
        self.last = None
        self.message_port_register_out(pmt.intern("snr"))

    def set_threshold(self, threshold):
        self.core.set_threshold(threshold)

    def snr(self):
        """The latest estimate in dB (NaN before the first preamble), e.g. for a function probe."""
        return float("nan") if self.last is None else self.last["snr"]

    def work(self, input_items, output_items):
        x = input_items[0]
        for est in self.core.process(x):
            self.last = est
            self.message_port_pub(pmt.intern("snr"), pmt.to_pmt(est))
        return len(x)

"""Compiled (numba) kernels of the over-the-air receiver's per-sample and per-frame work.

The receiver (:class:`semcom.ota.FrameReceiver`) must keep up with a continuous 10 Msps stream on
one core: about 0.1 microseconds per sample, 1.2 ms per frame of 12 000 samples. numpy costs
0.5-40 microseconds per call whatever the array size, so every pass over the samples and every
chain of small per-frame operations lives here as one compiled call:

* :func:`front_end_pass`: DC / IQ-imbalance correction and the block statistics in one pass.
* :func:`sc_metric`: the Schmidl & Cox metric, window sums from prefix sums restarted every
  :data:`MOVSUM_BLOCK` outputs (a huge burst cannot swamp sums far after it).
* :func:`derotate`: CFO removal, the phase anchored exactly every 64 samples.
* :func:`lts_search`: integer CFO and timing from the long training symbols.
* :func:`fit_slope_rate`, :func:`track_phase`: the sampling-clock drift and the common phase
  (Kalman + RTS smoother) of the pilots.

Each kernel states what it computes; ``tests/test_ota_kernels.py`` checks them against the
straightforward numpy formulas.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

HALF = 32
WINDOW = 96
FFT = 64
MOVSUM_BLOCK = 2048
TRACK_SPACING = 14
TWO_PI = 2.0 * math.pi


# ---------------------------------------------------------------------------- front end
@njit(cache=True, nogil=True)
def front_end_pass(seg, dc, beta, dc_extra, out):
    """``out = v - beta conj(v) + dc_extra`` with ``v = seg - dc`` (complex64 [m]) and the block
    statistics of ``v`` and ``seg``: (sum v, sum |seg|^2, sum v^2, sum |v|^2, sum |v|^4)."""
    s1 = 0j
    s2 = 0j
    raw = 0.0
    p = 0.0
    p4 = 0.0
    apply_beta = beta != 0
    for i in range(len(seg)):
        x = complex(seg[i])
        raw += x.real * x.real + x.imag * x.imag
        v = x - dc
        s1 += v
        s2 += v * v
        pv = v.real * v.real + v.imag * v.imag
        p += pv
        p4 += pv * pv
        if apply_beta:
            out[i] = v - beta * v.conjugate() + dc_extra
        else:
            out[i] = v + dc_extra
    return s1, raw, s2, p, p4


@njit(cache=True, nogil=True)
def first_low_window(seg, window, level):
    """Index of the first ``window``-sample block of ``seg`` whose mean power is below ``level``
    (-1: none)."""
    k = len(seg) // window
    for b in range(k):
        acc = 0.0
        for i in range(b * window, (b + 1) * window):
            acc += seg[i].real * seg[i].real + seg[i].imag * seg[i].imag
        if acc / window < level:
            return b * window
    return -1


@njit(cache=True, nogil=True)
def count_invalid(x, limit):
    """Samples of ``x`` that are NaN, infinite or above ``limit`` in magnitude."""
    n = 0
    lim2 = limit * limit
    for i in range(len(x)):
        a = x[i].real * x[i].real + x[i].imag * x[i].imag
        if not (a <= lim2):
            n += 1
    return n


# ---------------------------------------------------------------------------- detection
@njit(cache=True, nogil=True)
def sc_metric(r_in, dc_block, lead, floor=0.0):
    """Schmidl & Cox coefficient ``c(d) = |P(d)| / sqrt(R1(d) R2(d))`` for every ``d`` with
    ``d + WINDOW + HALF <= len(r)``, ``P(d) = sum_{m<WINDOW} conj(r[d+m]) r[d+m+HALF]``, ``R1``/``R2``
    the energies of the two windows (``c = 0`` where either is below 1e-20). ``dc_block``: of
    ``r`` minus its moving mean over ``HALF`` samples (fewer at the start), the first ``lead``
    samples being history only. ``floor``: ``c`` is only computed where it exceeds ``floor``
    (0 elsewhere; a detector needs no more and skips a square root per sample); so is ``P``
    (written only there: the untouched zero pages of a long output cost nothing). Window sums are
    differences of float64 prefix sums restarted every :data:`MOVSUM_BLOCK` outputs. Returns
    (c float64, P complex128)."""
    if dc_block:
        n_in = len(r_in)
        f = np.empty(n_in, np.complex128)
        acc = 0j
        for i in range(n_in):
            v = complex(r_in[i])
            acc += v
            if i >= HALF:
                acc -= complex(r_in[i - HALF])
            f[i] = v - acc / min(i + 1, HALF)
        return _sc(f[lead:], floor * floor)
    return _sc(r_in, floor * floor)


@njit(cache=True, nogil=True)
def _sc(r, floor2):
    n = len(r)
    count = n - WINDOW - HALF + 1
    if count <= 0:
        return np.zeros(0), np.zeros(0, np.complex128)
    c = np.zeros(count)
    p = np.zeros(count, np.complex128)
    span = MOVSUM_BLOCK + WINDOW + HALF
    zr = np.empty(span)
    zi = np.empty(span)
    e = np.empty(span)
    for a in range(0, count, MOVSUM_BLOCK):     # prefix sums restarted every block
        b = min(a + MOVSUM_BLOCK, count)
        m_z = b - a + WINDOW - 1                 # lag products d .. d + WINDOW - 1 of the block
        # float64 prefix sums from the block's start: |r|^2 and conj(r[m]) r[m + HALF]
        zr[0] = 0.0
        zi[0] = 0.0
        e[0] = 0.0
        acc = 0.0
        for m in range(m_z + HALF):
            x = complex(r[a + m])
            acc += x.real * x.real + x.imag * x.imag
            e[m + 1] = acc
        ar = 0.0
        ai = 0.0
        for m in range(m_z):
            x = complex(r[a + m])
            y = complex(r[a + m + HALF])
            ar += x.real * y.real + x.imag * y.imag
            ai += x.real * y.imag - x.imag * y.real
            zr[m + 1] = ar
            zi[m + 1] = ai
        for d in range(b - a):
            pr = zr[d + WINDOW] - zr[d]
            pi = zi[d + WINDOW] - zi[d]
            e1 = e[d + WINDOW] - e[d]                  # R1 of d
            e2 = e[d + HALF + WINDOW] - e[d + HALF]    # R2 of d
            pp = pr * pr + pi * pi
            ee = e1 * e2
            if pp > floor2 * ee and e1 > 1e-20 and e2 > 1e-20:
                c[a + d] = math.sqrt(pp / max(ee, 1e-30))
                p[a + d] = complex(pr, pi)
    return c, p


# ---------------------------------------------------------------------------- CFO
@njit(cache=True, nogil=True)
def derotate(x, cfo, n0):
    """``x[i] exp(-2j pi cfo (n0 + i) / 64)`` (complex64): the phase computed exactly (float64,
    reduced mod 2 pi) every 64 samples and advanced by a unit phasor in between."""
    n = len(x)
    out = np.empty(n, np.complex64)
    w = -TWO_PI * cfo / FFT
    step = complex(math.cos(w), math.sin(w))
    for a in range(0, n, 64):
        ph = ((n0 + a) * w) % TWO_PI
        z = complex(math.cos(ph), math.sin(ph))
        for i in range(a, min(a + 64, n)):
            out[i] = x[i] * z
            z *= step
    return out


@njit(cache=True, nogil=True)
def lts_search(seg, cands, n0, lts):
    """Integer CFO and timing: for every candidate CFO (subcarrier spacings) in ``cands``, derotate
    ``seg`` and correlate both long training symbols (``lts``, 64 samples, energy ``E``) at every
    lag; the metric ``(|c1| + |c2|) / sqrt(2 E (E1 + E2))`` is <= 1 (Cauchy-Schwarz). Returns (index
    of the best candidate, its lag, its metric); (-1, -1, 0) for a segment shorter than 128.

    The derotation only turns each correlation by a phase of its lag, so ``|c|`` is computed as the
    correlation of ``seg`` itself with the template rotated the other way (64 values per
    candidate), and the window energies, which no rotation changes, once."""
    lags = len(seg) - 2 * FFT + 1
    if lags < 1:
        return -1, -1, 0.0
    e_lts = 0.0
    for m in range(FFT):
        e_lts += lts[m].real * lts[m].real + lts[m].imag * lts[m].imag
    npos = len(seg) - FFT + 1
    sr = np.empty(len(seg))
    si = np.empty(len(seg))
    for i in range(len(seg)):
        sr[i] = seg[i].real
        si[i] = seg[i].imag
    en = np.empty(npos)
    acc_e = 0.0
    for m in range(FFT):
        acc_e += sr[m] * sr[m] + si[m] * si[m]
    en[0] = acc_e
    for d in range(1, npos):
        o = d - 1
        m = d + FFT - 1
        acc_e += (sr[m] * sr[m] + si[m] * si[m]) - (sr[o] * sr[o] + si[o] * si[o])
        en[d] = acc_e
    corr = np.empty(npos)
    tr = np.empty(FFT)
    ti = np.empty(FFT)
    best_i, best_k, best_m = -1, -1, -1.0
    for ci in range(len(cands)):
        # conj(lts[m] exp(+j w m)): seg[d + m] exp(-j w (n0 + d + m)) conj(lts[m]) summed over m
        # is exp(-j w (n0 + d)) times the sum of seg[d + m] times this
        w = TWO_PI * cands[ci] / FFT
        for m in range(FFT):
            v = complex(lts[m]) * complex(math.cos(w * m), math.sin(w * m))
            tr[m] = v.real
            ti[m] = -v.imag
        for d in range(npos):
            ar = 0.0
            ai = 0.0
            for m in range(FFT):
                xr = sr[d + m]
                xi = si[d + m]
                ar += xr * tr[m] - xi * ti[m]
                ai += xr * ti[m] + xi * tr[m]
            corr[d] = math.sqrt(ar * ar + ai * ai)
        for k in range(lags):
            norm = math.sqrt(max((en[k] + en[k + FFT]) * 2.0 * e_lts, 1e-30))
            metric = (corr[k] + corr[k + FFT]) / norm
            if metric > best_m:
                best_i, best_k, best_m = ci, k, metric
    return best_i, best_k, best_m


# ---------------------------------------------------------------------------- tracking
@njit(cache=True, nogil=True)
def moving_sum(z, width):
    """Centred sums of ``width`` neighbours of ``z`` (fewer at the edges), as long as ``z``:
    ``np.convolve(z, ones(width), "full")[(width - 1) // 2:][:len(z)]``."""
    n = len(z)
    out = np.zeros(n, np.complex128)
    off = (width - 1) // 2
    for i in range(n):
        j = i + off                     # index into the full convolution
        acc = 0j
        for m in range(max(0, j - width + 1), min(n - 1, j) + 1):
            acc += z[m]
        out[i] = acc
    return out


@njit(cache=True, nogil=True)
def unwrap(p):
    """``np.unwrap`` (period 2 pi) of a 1-D float array."""
    n = len(p)
    out = np.empty(n)
    if n == 0:
        return out
    out[0] = p[0]
    corr = 0.0
    for i in range(1, n):
        dd = p[i] - p[i - 1]
        ddmod = (dd + math.pi) % TWO_PI - math.pi
        if ddmod == -math.pi and dd > 0:
            ddmod = math.pi
        if abs(dd) >= math.pi:
            corr += ddmod - dd
        out[i] = p[i] + corr
    return out


@njit(cache=True, nogil=True)
def fit_slope_rate(c, t):
    """Sampling-clock drift: per-symbol slope products ``c`` (sums of ``q[j] conj(q[i])`` over
    subcarrier pairs 14 apart) at times ``t`` -> the slope's growth, radians per subcarrier per
    sample: weighted least squares through the origin on the angles of a 5-symbol moving sum,
    unwrapped along the frame from the branch closest to zero."""
    if len(c) == 0:
        return 0.0
    cs = moving_sum(c, 5)
    w = np.empty(len(cs))
    ang = np.empty(len(cs))
    tot = 0.0
    for i in range(len(cs)):
        if not (np.isfinite(cs[i].real) and np.isfinite(cs[i].imag)):
            return 0.0
        w[i] = abs(cs[i])
        tot += w[i]
        ang[i] = math.atan2(cs[i].imag, cs[i].real)
    if tot <= 0:
        return 0.0
    b = unwrap(ang) / TRACK_SPACING
    shift = TWO_PI / TRACK_SPACING * np.round(b[0] * TRACK_SPACING / TWO_PI)
    num = 0.0
    den = 0.0
    for i in range(len(b)):
        bi = b[i] - shift
        num += w[i] * t[i] * bi
        den += w[i] * t[i] * t[i]
    return num / den if den > 0 else 0.0


@njit(cache=True, nogil=True)
def kalman_phase(z, r, q, qw, w0):
    """Phase of the phasors ``z`` [n] as a two-state random walk (phase, phase step per symbol):
    a Kalman filter that unwraps each measurement around its prediction, then a
    Rauch-Tung-Striebel smoother. ``r``: measurement variance (rad^2), ``q``/``qw``: process
    variances of the phase and of its step, ``w0``: the first guess of the step. Returns the
    smoothed phases and the innovations' negative log-likelihood (after the first two symbols)."""
    az = np.empty(len(z))
    for s in range(len(z)):
        az[s] = math.atan2(z[s].imag, z[s].real)
    return kalman_angles(az, r, q, qw, w0)


@njit(cache=True, nogil=True)
def kalman_angles(az, r, q, qw, w0):
    """:func:`kalman_phase` of the phasors' angles ``az`` [n] (each measurement unwrapped around
    its prediction)."""
    n = len(az)
    xf = np.zeros((n, 2))
    pf = np.zeros((n, 2, 2))
    xp = np.zeros((n, 2))
    pp = np.zeros((n, 2, 2))
    x0, x1 = az[0], w0
    p00, p01, p11 = 1e3, 0.0, 1.0
    nll = 0.0
    for s in range(n):
        if s > 0:
            x0 = x0 + x1
            p00, p01, p11 = p00 + 2 * p01 + p11 + q, p01 + p11, p11 + qw
        xp[s, 0], xp[s, 1] = x0, x1
        pp[s, 0, 0], pp[s, 0, 1], pp[s, 1, 0], pp[s, 1, 1] = p00, p01, p01, p11
        d = az[s] - x0
        m = x0 + (d - TWO_PI * math.floor((d + math.pi) / TWO_PI))   # the angle's branch nearest x0
        sv = p00 + r
        k0, k1 = p00 / sv, p01 / sv
        e = m - x0
        if s >= 2:
            nll += e * e / sv + np.log(sv)
        x0, x1 = x0 + k0 * e, x1 + k1 * e
        p00, p01, p11 = p00 - k0 * p00, p01 - k0 * p01, p11 - k1 * p01
        xf[s, 0], xf[s, 1] = x0, x1
        pf[s, 0, 0], pf[s, 0, 1], pf[s, 1, 0], pf[s, 1, 1] = p00, p01, p01, p11
    out = np.zeros(n)
    s0, s1 = xf[n - 1, 0], xf[n - 1, 1]
    out[n - 1] = s0
    for s in range(n - 2, -1, -1):
        # C = Pf F^T Pp[s+1]^-1, F = [[1, 1], [0, 1]]
        a00 = pf[s, 0, 0] + pf[s, 0, 1]
        a01 = pf[s, 0, 1]
        a10 = pf[s, 1, 0] + pf[s, 1, 1]
        a11 = pf[s, 1, 1]
        b00, b01, b11 = pp[s + 1, 0, 0], pp[s + 1, 0, 1], pp[s + 1, 1, 1]
        det = b00 * b11 - b01 * b01
        i00, i01, i11 = b11 / det, -b01 / det, b00 / det
        c00, c01 = a00 * i00 + a01 * i01, a00 * i01 + a01 * i11
        c10, c11 = a10 * i00 + a11 * i01, a10 * i01 + a11 * i11
        d0, d1 = s0 - xp[s + 1, 0], s1 - xp[s + 1, 1]
        s0, s1 = xf[s, 0] + c00 * d0 + c01 * d1, xf[s, 1] + c10 * d0 + c11 * d1
        out[s] = s0
    return out, nll


@njit(cache=True, nogil=True)
def track_phase(q, k, t, beta, no):
    """Common phase of each symbol from its known REs ``q = y conj(h x)`` [n, m] on subcarriers
    ``k`` [m] at times ``t`` [n], after removing the sampling-clock slope ``beta * t * k``: a
    residual CFO (a phase step per symbol, allowed to drift) plus a random walk (phase noise)
    whose variance is measured from the frame's own phase steps, tracked by
    :func:`kalman_phase` with the most likely of a few step variances. Returns (phase [n] in
    radians, residual CFO in radians per sample (least-squares slope of the phase), phase-noise
    variance per symbol)."""
    n, m = q.shape
    z = np.zeros(n, np.complex128)
    finite = True
    for s in range(n):
        acc = 0j
        for j in range(m):
            ph = -beta * t[s] * k[j]
            acc += complex(q[s, j]) * complex(math.cos(ph), math.sin(ph))
        z[s] = acc
        if not (np.isfinite(acc.real) and np.isfinite(acc.imag)):
            finite = False
    if n == 0:
        return np.zeros(0), 0.0, 0.0
    if n == 1 or not finite:
        out = np.empty(n)
        for s in range(n):
            out[s] = np.angle(z[s])
        return out, 0.0, 0.0
    dt = t[1] - t[0]
    acc = 0j
    amp = 0.0
    for s in range(1, n):
        acc += z[s] * z[s - 1].conjugate()
    for s in range(n):
        amp += abs(z[s])
    w0 = np.angle(acc)
    amp /= n
    r = min(max(no / (2 * max(amp, 1e-30)), 1e-9), 10.0)
    rot = np.exp(-1j * w0)
    dsq = 0.0
    for s in range(1, n):
        d = np.angle(z[s] * z[s - 1].conjugate() * rot)
        dsq += d * d
    qv = max(dsq / (n - 1) - 2 * r, 1e-6 * r)
    phase, best = np.zeros(n), np.inf
    qws = np.array([1e-3 * qv, 1e-8, 1e-7, 1e-6, 1e-5])
    az = np.empty(n)
    for s in range(n):
        az[s] = math.atan2(z[s].imag, z[s].real)
    for i in range(len(qws)):
        ph, nll = kalman_angles(az, r, qv, qws[i], w0)
        if nll < best:
            phase, best = ph, nll
    if n > 2:
        tm = 0.0
        pm = 0.0
        for s in range(n):
            tm += t[s]
            pm += phase[s]
        tm /= n
        pm /= n
        sxy = 0.0
        sxx = 0.0
        for s in range(n):
            sxy += (t[s] - tm) * (phase[s] - pm)
            sxx += (t[s] - tm) * (t[s] - tm)
        slope = sxy / sxx
    else:
        slope = w0 / dt
    return phase, slope, qv


@njit(cache=True, nogil=True)
def slope_products(q, pair_i, pair_j):
    """Per symbol, ``sum q[j] conj(q[i])`` over the subcarrier pairs (``pair_i``, ``pair_j``)."""
    n = q.shape[0]
    out = np.zeros(n, np.complex128)
    for s in range(n):
        acc = 0j
        for u in range(len(pair_i)):
            acc += complex(q[s, pair_j[u]]) * complex(q[s, pair_i[u]]).conjugate()
        out[s] = acc
    return out


@njit(cache=True, nogil=True)
def equalise(y, h, phase, beta, t, k, pos):
    """Zero-forcing equalisation of the REs at positions ``pos`` of ``y`` [n, 52] with the
    channel ``h`` [52], the common phase ``phase`` [n] and the sampling-clock slope
    ``beta t[s] k[j]`` removed -> complex64 [n, len(pos)]. ``k`` holds integer subcarrier
    indices: the rotation is advanced by one subcarrier's step at a time from the lowest."""
    n = y.shape[0]
    npos = len(pos)
    ih = np.empty(npos, np.complex128)
    for u in range(npos):
        ih[u] = 1.0 / complex(h[pos[u]])
    k0 = k[0]
    nk = int(k[len(k) - 1] - k0) + 1
    rot = np.empty(nk, np.complex128)
    out = np.empty((n, npos), np.complex64)
    for s in range(n):
        ph = -(phase[s] + beta * t[s] * k0)
        z = complex(math.cos(ph), math.sin(ph))
        st = complex(math.cos(beta * t[s]), -math.sin(beta * t[s]))
        for i in range(nk):
            rot[i] = z
            z *= st
        for u in range(npos):
            j = pos[u]
            out[s, u] = complex(y[s, j]) * rot[int(k[j] - k0)] * ih[u]
    return out


@njit(cache=True, nogil=True)
def runs_above(c, threshold):
    """(start, stop) [k, 2] of every run of ``c > threshold``."""
    out = np.empty((len(c) // 2 + 1, 2), np.int64)
    k = 0
    inside = False
    for i in range(len(c)):
        above = c[i] > threshold
        if above and not inside:
            out[k, 0] = i
            inside = True
        elif not above and inside:
            out[k, 1] = i
            k += 1
            inside = False
    if inside:
        out[k, 1] = len(c)
        k += 1
    return out[:k]


@njit(cache=True, nogil=True)
def pilot_products(y, h, pil, pos):
    """``y[:, pos] conj(h[pos] pil)`` [n, len(pos)] (complex64): the pilots' phasors."""
    n = y.shape[0]
    out = np.empty((n, len(pos)), np.complex64)
    for s in range(n):
        for u in range(len(pos)):
            j = pos[u]
            out[s, u] = complex(y[s, j]) * (complex(h[j]) * complex(pil[s, u])).conjugate()
    return out


@njit(cache=True, nogil=True)
def slope_phasors(bt, k0, rot):
    """``rot[i] = exp(-1j bt (k0 + i))`` for every i (one subcarrier's step at a time; integer
    subcarrier indices from ``k0``): the sampling-clock slope without a sine per RE."""
    z = complex(math.cos(bt * k0), -math.sin(bt * k0))
    st = complex(math.cos(bt), -math.sin(bt))
    for i in range(len(rot)):
        rot[i] = z
        z *= st


@njit(cache=True, nogil=True)
def header_refit(y_ltf, y, h0, known, t, k, pair_i, pair_j, tracking):
    """Decision-directed channel refit once the header is decoded: the two long training symbols
    ``y_ltf`` [2, 52] and the header's symbols ``y`` [n, 52], every RE known (``known`` [n + 2,
    52], LTS rows first). With ``tracking`` the header symbols first lose their sampling-clock
    slope (fitted over all their REs) and their common phase. Each symbol is then rotated onto
    the first estimate ``h0`` and the channel is the mean of ``y conj(x)``; the noise variance per
    RE is the residual over its degrees of freedom. Returns (h [52] complex64, noise variance,
    signal power per RE, the header's slope products [n] (empty without tracking))."""
    n = y.shape[0]
    m_used = y.shape[1]
    rows = n + 2
    ys = np.empty((rows, m_used), np.complex128)
    for j in range(m_used):
        ys[0, j] = y_ltf[0, j]
        ys[1, j] = y_ltf[1, j]
    c_hdr = np.zeros(0, np.complex128)
    if tracking:
        q = np.empty((n, m_used), np.complex128)
        for s in range(n):
            for j in range(m_used):
                q[s, j] = complex(y[s, j]) * (complex(h0[j]) * complex(known[s + 2, j])).conjugate()
        c_hdr = np.zeros(n, np.complex128)
        for s in range(n):
            acc = 0j
            for u in range(len(pair_i)):
                acc += q[s, pair_j[u]] * q[s, pair_i[u]].conjugate()
            c_hdr[s] = acc
        beta = fit_slope_rate(c_hdr, t)
        k0 = k[0]
        rot = np.empty(int(k[m_used - 1] - k0) + 1, np.complex128)
        for s in range(n):
            slope_phasors(beta * t[s], k0, rot)
            acc = 0j
            for j in range(m_used):
                acc += q[s, j] * rot[int(k[j] - k0)]
            a = math.atan2(acc.imag, acc.real)
            za = complex(math.cos(a), -math.sin(a))
            for j in range(m_used):
                ys[s + 2, j] = complex(y[s, j]) * za * rot[int(k[j] - k0)]
    else:
        for s in range(n):
            for j in range(m_used):
                ys[s + 2, j] = y[s, j]
    h = np.zeros(m_used, np.complex128)
    for s in range(rows):
        acc = 0j
        for j in range(m_used):
            acc += ys[s, j] * (complex(h0[j]) * complex(known[s, j])).conjugate()
        a = math.atan2(acc.imag, acc.real)
        rot = complex(math.cos(a), -math.sin(a))
        for j in range(m_used):
            ys[s, j] *= rot
            h[j] += ys[s, j] * complex(known[s, j]).conjugate()
    h /= rows
    resid = 0.0
    for s in range(rows):
        for j in range(m_used):
            e = ys[s, j] - h[j] * complex(known[s, j])
            resid += e.real * e.real + e.imag * e.imag
    dof = m_used * (rows - 1) - (rows - 1) / 2
    no = max(resid / dof, 1e-12)
    sig = 0.0
    for j in range(m_used):
        sig += h[j].real * h[j].real + h[j].imag * h[j].imag
    signal = max(sig / m_used - no / rows, 1e-12)
    return h.astype(np.complex64), no, signal, c_hdr


@njit(cache=True, nogil=True)
def smooth_channel(h, k, width):
    """Channel estimate ``h`` [52] on subcarriers ``k`` averaged over ``width`` neighbouring
    positions (fewer at the edges), after removing the linear phase of the timing offset (the
    angle of the sum of ``h[i+1] conj(h[i])`` over adjacent subcarriers) -> complex64 [52]."""
    n = len(h)
    acc = 0j
    for i in range(n - 1):
        if k[i + 1] - k[i] == 1:
            acc += complex(h[i + 1]) * complex(h[i]).conjugate()
    slope = math.atan2(acc.imag, acc.real)
    hr = np.empty(n, np.complex128)
    for i in range(n):
        hr[i] = complex(h[i]) * complex(math.cos(slope * k[i]), -math.sin(slope * k[i]))
    out = np.empty(n, np.complex64)
    half = width // 2
    for i in range(n):
        s = 0j
        cnt = 0
        for j in range(max(0, i - half), min(n, i + width - half)):
            s += hr[j]
            cnt += 1
        out[i] = s / cnt * complex(math.cos(slope * k[i]), math.sin(slope * k[i]))
    return out


@njit(cache=True, nogil=True)
def smooth_adaptive(h, k, no):
    """:func:`smooth_channel` with the widest of 5, 3, 1 subcarriers whose averaging error
    ``mean |h - hs|^2`` stays within 1.5 times the noise it removes, ``no (1 - 1 / width)``
    (``no``: noise variance of ``h`` per subcarrier) -> complex64 [52]."""
    for width in (5, 3):
        hs = smooth_channel(h, k, width)
        err = 0.0
        for i in range(len(h)):
            d = complex(h[i]) - complex(hs[i])
            err += d.real * d.real + d.imag * d.imag
        if err / len(h) <= 1.5 * no * (1 - 1 / width) + 1e-12:
            return hs
    return h.astype(np.complex64)


@njit(cache=True, nogil=True)
def ltf_channel(seg, cfo_c, n0_lts, n0_win, backoff, twiddle, lts_freq, k, tracking):
    """Fine CFO and the first channel estimate from the two long training symbols. ``seg``: the
    samples from ``backoff`` before the first long symbol (at least ``backoff + 128``); ``cfo_c``:
    the integer-searched CFO; ``n0_lts``/``n0_win``: the sample times of ``seg[backoff]`` for the
    fine-CFO derotation and of ``seg[0]`` for the FFT windows. The windows start ``backoff`` early
    (as the data symbols' do); ``twiddle`` [52, 64] is the orthonormal DFT on the used bins.
    Returns (cfo, y [2, 52] REs of both symbols, noise variance per RE, h0 [52] complex64:
    smoothed across subcarriers, adaptively with ``tracking``, else over 5)."""
    s = derotate(seg[backoff: backoff + 2 * FFT], cfo_c, n0_lts)
    acc = 0j
    for i in range(FFT):
        acc += complex(s[i]).conjugate() * complex(s[i + FFT])
    cfo = cfo_c + math.atan2(acc.imag, acc.real) / TWO_PI
    d = derotate(seg[: 2 * FFT], cfo, n0_win)
    nb = twiddle.shape[0]
    y = np.zeros((2, nb), np.complex128)
    for sym in range(2):
        for b in range(nb):
            a2 = 0j
            for i in range(FFT):
                a2 += complex(d[sym * FFT + i]) * twiddle[b, i]
            y[sym, b] = a2
    no = 0.0
    h = np.empty(nb, np.complex128)
    for b in range(nb):
        e = y[0, b] - y[1, b]
        no += e.real * e.real + e.imag * e.imag
        h[b] = 0.5 * (y[0, b] + y[1, b]) * lts_freq[b]
    no /= 2 * nb
    if tracking:
        h0 = smooth_adaptive(h, k, no / 2)
    else:
        h0 = smooth_channel(h, k, 5)
    return cfo, y, no, h0


@njit(cache=True, nogil=True)
def track_equalise(y, h, pil, pos_pilot, pos_data, k, t, no, tracking, c_prev, t_prev):
    """Pilot tracking and equalisation of OFDM symbols ``y`` [n, 52] with the channel ``h``:
    pilot phasors ``q = y conj(h x)`` against the known pilots ``pil`` [n, 4]; with
    ``tracking``, the sampling-clock slope rate (:func:`fit_slope_rate`, over the slope products
    ``c_prev`` at times ``t_prev`` of earlier symbols, e.g. the header's, and these symbols'
    pilots) and the common phase (:func:`track_phase`); without, the angle of the pilots' sum over
    9 symbols. Returns (equalised data REs [n, 48] complex64, slope rate beta, residual CFO in
    radians per sample, phase-noise variance per symbol)."""
    q = pilot_products(y, h, pil, pos_pilot)
    kp = np.empty(len(pos_pilot))
    for u in range(len(pos_pilot)):
        kp[u] = k[pos_pilot[u]]
    n = y.shape[0]
    if tracking:
        pi_ = np.arange(len(pos_pilot) - 1)
        pj_ = pi_ + 1
        cp = slope_products(q, pi_, pj_)
        c_all = np.concatenate((c_prev, cp))
        t_all = np.concatenate((t_prev, t))
        beta = fit_slope_rate(c_all, t_all)
        phase, omega, qv = track_phase(q, kp, t, beta, no)
    else:
        z = np.zeros(n, np.complex128)
        for s in range(n):
            acc = 0j
            for u in range(q.shape[1]):
                acc += complex(q[s, u])
            z[s] = acc
        zs = moving_sum(z, 9)
        phase = np.empty(n)
        for s in range(n):
            phase[s] = math.atan2(zs[s].imag, zs[s].real)
        beta, omega, qv = 0.0, 0.0, 0.0
    return equalise(y, h, phase, beta, t, k, pos_data), beta, omega, qv


@njit(cache=True, nogil=True)
def derotate_windows(x, cfo, n0, count, symbol, start, fft):
    """The FFT windows of ``count`` OFDM symbols of ``x`` (symbol ``s`` spans ``x[s * symbol:]``,
    its window ``fft`` samples from ``start``), CFO removed as :func:`derotate` does (sample ``i``
    of ``x`` at time ``n0 + i``) -> complex64 [count, fft]."""
    out = np.empty((count, fft), np.complex64)
    w = -TWO_PI * cfo / FFT
    step = complex(math.cos(w), math.sin(w))
    for s in range(count):
        a = s * symbol + start
        ph = ((n0 + a) * w) % TWO_PI
        z = complex(math.cos(ph), math.sin(ph))
        for i in range(fft):
            out[s, i] = x[a + i] * z
            z *= step
    return out

"""The compiled kernels of the real-time receiver (semcom.ota.kernels, the LLR / CRC kernels of
semcom.phy.digital) against the straightforward numpy formulas they replace."""
import numpy as np
import pytest

from semcom.ota import kernels as K
from semcom.ota.ofdm import BIN_USED, FFT, USED
from semcom.ota.preamble import HALF, LTS, LTS_FREQ, WINDOW

RNG = np.random.default_rng(7)


def cplx(n, scale=1.0):
    return (scale * (RNG.standard_normal(n) + 1j * RNG.standard_normal(n))).astype(np.complex64)


def sc_reference(r, dc_block=False, lead=0):
    """The Schmidl & Cox metric straight from its definition (sums over explicit windows)."""
    r = r.astype(np.complex128)
    if dc_block:
        f = np.empty_like(r)
        for i in range(len(r)):
            f[i] = r[i] - r[max(0, i - HALF + 1): i + 1].mean()
        r = f[lead:]
    count = len(r) - WINDOW - HALF + 1
    c, p = np.zeros(count), np.zeros(count, np.complex128)
    for d in range(count):
        a, b = r[d: d + WINDOW], r[d + HALF: d + HALF + WINDOW]
        p[d] = np.sum(np.conj(a) * b)
        e1, e2 = np.sum(np.abs(a) ** 2), np.sum(np.abs(b) ** 2)
        c[d] = abs(p[d]) / np.sqrt(e1 * e2) if e1 > 1e-20 and e2 > 1e-20 else 0.0
    return c, p


@pytest.mark.parametrize("dc_block,lead", [(False, 0), (True, 0), (True, 20)])
def test_sc_metric_matches_definition(dc_block, lead):
    r = cplx(2600) + np.complex64(0.3 - 0.2j)          # crosses a running-sum restart (2048)
    c, p = K.sc_metric(r, dc_block, lead)
    cr, pr = sc_reference(r, dc_block, lead)
    assert np.allclose(p, pr, rtol=1e-9, atol=1e-9)
    assert np.allclose(c, cr, rtol=1e-9, atol=1e-12)
    # the floor only zeroes what lies below it, in c and in P (a floor that splits the outputs)
    floor = float(np.median(cr))
    cf, pf = K.sc_metric(r, dc_block, lead, floor)
    clear = np.abs(cr - floor) > 1e-9          # (not the outputs the rounding can put either side)
    assert np.allclose(cf[clear], np.where(cr > floor, cr, 0.0)[clear], rtol=1e-9, atol=1e-12)
    assert 0.4 < np.mean(cf > 0) < 0.6
    assert np.allclose(pf, np.where(cf > 0, pr, 0), rtol=1e-9, atol=1e-9)


def test_sc_metric_silence_and_short_input():
    c, p = K.sc_metric(np.zeros(500, np.complex64), False, 0)
    assert len(c) == 500 - WINDOW - HALF + 1 and not c.any()
    c, p = K.sc_metric(np.zeros(10, np.complex64), False, 0)
    assert len(c) == 0 and len(p) == 0


def test_derotate_and_windows():
    x = cplx(1000)
    cfo, n0 = 1.37, 123456789
    ref = x * np.exp(-2j * np.pi * cfo * (n0 + np.arange(1000)) / FFT)
    assert np.abs(K.derotate(x, cfo, n0) - ref).max() < 1e-5
    win = K.derotate_windows(x, cfo, n0, 10, 80, 12, 64)
    for s in range(10):
        assert np.abs(win[s] - ref[s * 80 + 12: s * 80 + 76]).max() < 1e-5


def test_lts_search_finds_the_planted_symbols():
    lag, cfo = 37, -2.0 + 0.13
    seg = cplx(300, 0.05)
    seg[lag: lag + 128] += np.tile(LTS, 2) * np.exp(2j * np.pi * cfo * (lag + np.arange(128)) / FFT)
    cands = np.array([0.13 - 2, 0.13, 0.13 + 2])
    i, k, metric = K.lts_search(seg, cands, 0, LTS.astype(np.complex128))
    assert (i, k) == (0, lag) and 0.9 < metric <= 1.0


def test_tracking_helpers_match_numpy():
    z = cplx(23).astype(np.complex128)
    for width in (1, 5, 9):
        ref = np.convolve(z, np.ones(width), mode="full")[(width - 1) // 2: (width - 1) // 2 + len(z)]
        assert np.allclose(K.moving_sum(z, width), ref)
    p = np.cumsum(RNG.uniform(-3, 3, 50))
    assert np.allclose(K.unwrap(np.angle(np.exp(1j * p))), np.unwrap(np.angle(np.exp(1j * p))))
    # the sampling-clock fit: as the numpy formula (moving sum, unwrap, branch, weighted LS)
    t = 108 + 80 * np.arange(40.0)
    beta = 3e-6
    c = 5 * np.exp(1j * 14 * beta * t) + cplx(40, 0.3)
    cs = np.convolve(c, np.ones(5), mode="full")[2: 2 + len(c)]
    w = np.abs(cs)
    b = np.unwrap(np.angle(cs)) / 14
    b -= 2 * np.pi / 14 * np.round(b[0] * 14 / (2 * np.pi))
    ref = np.sum(w * t * b) / np.sum(w * t * t)
    assert abs(K.fit_slope_rate(c.astype(np.complex128), t) - ref) < 1e-12
    assert abs(ref - beta) < 0.1 * beta


def test_equalise_matches_formula():
    n = 7
    y = cplx(n * 52).reshape(n, 52)
    h = cplx(52) + 2
    phase, t, beta = RNG.uniform(-3, 3, n), 100 + 80 * np.arange(n, dtype=float), 2e-5
    k = USED.astype(np.float64)
    pos = np.array([0, 3, 10, 26, 51])
    ref = y[:, pos] * np.exp(-1j * (phase[:, None] + beta * t[:, None] * k[None, pos])) / h[pos]
    assert np.abs(K.equalise(y, h, phase, beta, t, k, pos) - ref).max() < 1e-5


def test_smooth_channel_matches_convolution():
    h = (cplx(52) + 3).astype(np.complex128)
    k = USED.astype(np.float64)
    for width in (3, 5):
        slope = np.angle(np.sum(h[1:] * np.conj(h[:-1]) * (np.diff(USED) == 1)))
        rot = np.exp(-1j * slope * USED)
        num = np.convolve(h * rot, np.ones(width), mode="same")
        den = np.convolve(np.ones(len(h)), np.ones(width), mode="same")
        assert np.abs(K.smooth_channel(h, k, width) - num / den / rot).max() < 1e-5


def test_ltf_channel_matches_fft():
    cfo, backoff = 0.31, 4
    h = (cplx(52) * 0.3 + 1).astype(np.complex64)
    grid = np.zeros(FFT, np.complex64)
    grid[BIN_USED] = LTS_FREQ * h
    sym = np.fft.ifft(grid, norm="ortho")
    x = np.concatenate([sym[-backoff:], sym, sym]).astype(np.complex64)   # the window starts early
    x = (x * np.exp(2j * np.pi * cfo * (188 + np.arange(len(x))) / FFT)).astype(np.complex64)
    tw = np.exp(-2j * np.pi * np.outer(BIN_USED, np.arange(FFT)) / FFT) / np.sqrt(FFT)
    est, y, no, h0 = K.ltf_channel(x, 0.0, 188 + backoff, 188, backoff, tw, LTS_FREQ.astype(np.complex128),
                                   USED.astype(np.float64), True)
    assert abs(est - cfo) < 1e-4 and no < 1e-8
    yr = np.stack([np.fft.fft(K.derotate(x, est, 188)[i * 64: (i + 1) * 64], norm="ortho")[BIN_USED] for i in range(2)])
    assert np.abs(y - yr).max() < 1e-4
    # noise-free, a BACKOFF-early window is a linear phase the estimate keeps
    assert np.abs(h0 - h * np.exp(2j * np.pi * USED * -backoff / FFT) * 0 - (y.mean(0) * LTS_FREQ)).max() < 0.5


def test_runs_above():
    c = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], float)
    assert K.runs_above(c, 0.5).tolist() == [[1, 3], [5, 6], [7, 10]]
    assert K.runs_above(np.zeros(4), 0.5).shape == (0, 2)


def test_front_end_pass_statistics():
    seg = cplx(4096) + np.complex64(0.1 + 0.05j)
    out = np.empty_like(seg)
    dc, beta, extra = 0.1 + 0.05j, 0.02 - 0.01j, 0.001j
    s1, raw, s2, p, p4 = K.front_end_pass(seg, dc, beta, extra, out)
    v = seg.astype(np.complex128) - dc
    assert np.allclose(out, v - beta * np.conj(v) + extra, atol=1e-6)
    assert np.isclose(s1, v.sum()) and np.isclose(s2, np.sum(v * v)) and np.isclose(p, np.sum(np.abs(v) ** 2))
    assert np.isclose(raw, np.sum(np.abs(seg.astype(np.complex128)) ** 2)) and np.isclose(p4, np.sum(np.abs(v) ** 4))


def test_crc_table_and_llr_fast_paths():
    from semcom.phy.digital import (_CRC24A, _CRC24A_TABLE, _crc_attach, _crc_ok, _crc_ok_table, _pam_llr,
                                    _pam_table, _symbol_llrs)
    for k in (40, 845, 1001):
        b = _crc_attach(RNG.integers(0, 2, (20, k)).astype(np.uint8), _CRC24A)
        b[::3, RNG.integers(0, k)] ^= 1
        assert np.array_equal(_crc_ok(b, _CRC24A), _crc_ok_table(b, _CRC24A_TABLE))
    y = cplx(500).astype(np.complex128)
    no = RNG.uniform(0.01, 1, 500)
    erased = np.zeros(500, bool)
    for bps in (1, 2, 4):
        points, labels = _pam_table(max(1, bps // 2))
        got = _symbol_llrs(y, no, erased, points, labels, bps, np.zeros(1, bool), False)
        if bps == 1:
            ref = _pam_llr(y.real.copy(), no, points, labels)[:, 0]
        else:
            ax = np.stack([y.real, y.imag], -1).reshape(-1) * np.sqrt(2)
            ref = _pam_llr(ax, np.repeat(2 * no, 2), points, labels).reshape(500, 2, bps // 2).transpose(0, 2, 1).reshape(-1)
        assert np.allclose(got, ref, rtol=1e-5, atol=1e-4)

"""Tests of semcom.phy.ldpc.LDPC5GFastDecoder against Sionna's LDPC5GEncoder/LDPC5GDecoder."""
import math

import numpy as np
import pytest
import torch

import semcom  # noqa: F401  (sets OMP_WAIT_POLICY before numba loads)
import sionna.phy
from sionna.phy.channel import AWGN
from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
from sionna.phy.mapping import Demapper, Mapper

from semcom.phy.ldpc import LDPC5GFastDecoder
from semcom.snr import noise_variance, snr_db_from_ebno

_MAPPER = Mapper("qam", 2)
_DEMAPPER = Demapper("app", "qam", 2)
_AWGN = AWGN()


def _qpsk_awgn(enc, ebno_db, batch, seed):
    """Random info bits -> 5G LDPC -> QPSK -> AWGN -> app demapper (Sionna logits)."""
    sionna.phy.config.seed = seed
    g = torch.Generator().manual_seed(seed)
    u = torch.randint(0, 2, (batch, enc.k), generator=g).float()
    c = enc(u)
    no = noise_variance(snr_db_from_ebno(ebno_db, 2, enc.k / enc.n))
    llr = _DEMAPPER(_AWGN(_MAPPER(c), no), no)
    return u, c, llr


def _block_errors(u, u_hat):
    return (u != u_hat).any(dim=-1)


# ---------------------------------------------------------------- (a) noiseless
@pytest.mark.parametrize("k,n", [(300, 700), (512, 1024), (100, 150), (12, 60), (1024, 1152),
                                 (40, 200), (2000, 2300), (8448, 9000), (3840, 19200)])
def test_noiseless_exact(k, n):
    enc = LDPC5GEncoder(k, n)
    dec = LDPC5GFastDecoder(enc)
    g = torch.Generator().manual_seed(k + n)
    u = torch.randint(0, 2, (16, k), generator=g).float()
    c = enc(u)
    for scale in (1.0, 4.0, 100.0):
        u_hat, ok = dec(scale * (2.0 * c - 1.0))  # positive logit => bit 1
        assert u_hat.dtype == torch.float32 and ok.dtype == torch.bool
        assert u_hat.shape == (16, k) and ok.shape == (16,)
        assert torch.equal(u_hat, u)
        assert bool(ok.all())


def test_shapes_interleaver_and_sign_convention():
    k, n = 300, 700
    enc = LDPC5GEncoder(k, n, num_bits_per_symbol=4)  # output interleaver on
    dec = LDPC5GFastDecoder(enc)
    ref = LDPC5GDecoder(enc, num_iter=20)
    u = torch.randint(0, 2, (2, 3, k)).float()
    llr = 3.0 * (2.0 * enc(u) - 1.0)
    u_hat, ok = dec(llr)
    assert u_hat.shape == (2, 3, k) and ok.shape == (2, 3) and bool(ok.all())
    assert torch.equal(u_hat, u) and torch.equal(ref(llr), u_hat)
    # wrong sign convention must not decode
    u_bad, ok_bad = dec(-llr)
    assert not torch.equal(u_bad, u)
    # return_ok=False returns only the bits
    dec2 = LDPC5GFastDecoder(enc, return_ok=False)
    assert torch.equal(dec2(llr), u)
    with pytest.raises(ValueError):
        dec(torch.zeros(4, n + 1))


# ---------------------------------------------------------------- (b) BLER vs Sionna
def _crossing(ebnos, blers, target=1e-2):
    """Eb/N0 where log10(BLER) crosses ``target`` (linear interpolation)."""
    lt = math.log10(target)
    for (e0, b0), (e1, b1) in zip(zip(ebnos, blers), zip(ebnos[1:], blers[1:])):
        if b0 >= target > b1:
            l0, l1 = math.log10(b0), math.log10(max(b1, 1e-4))
            return e0 + (lt - l0) * (e1 - e0) / (l1 - l0)
    raise AssertionError(f"BLER curve {blers} does not cross {target}")


def test_bler_not_worse_than_sionna():
    k, n = 100, 150
    batch = 2500
    enc = LDPC5GEncoder(k, n)
    fast = LDPC5GFastDecoder(enc, num_iter=20)
    ref = LDPC5GDecoder(enc, num_iter=20)  # Sionna default: flooding boxplus-phi
    ebnos = [3.0, 3.75]  # brackets BLER 1e-2 for both decoders
    b_fast, b_ref = [], []
    for i, eb in enumerate(ebnos):
        u, _, llr = _qpsk_awgn(enc, eb, batch, seed=100 + i)
        uf, _ = fast(llr)
        b_fast.append(_block_errors(u, uf).float().mean().item())
        b_ref.append(_block_errors(u, ref(llr)).float().mean().item())
    for bf, br in zip(b_fast, b_ref):
        # same noise realisations; allow a small statistical margin
        assert bf <= 1.15 * br + 3.0 / batch, (b_fast, b_ref)
    assert _crossing(ebnos, b_fast) <= _crossing(ebnos, b_ref) + 0.1, (b_fast, b_ref)


def test_bler_rate_matched_code_vs_sionna():
    k, n = 300, 700
    batch = 600
    enc = LDPC5GEncoder(k, n)
    u, _, llr = _qpsk_awgn(enc, 1.5, batch, seed=7)
    bf = _block_errors(u, LDPC5GFastDecoder(enc)(llr)[0]).float().mean().item()
    br = _block_errors(u, LDPC5GDecoder(enc, num_iter=20)(llr)).float().mean().item()
    assert bf <= 1.15 * br + 3.0 / batch, (bf, br)


# ---------------------------------------------------------------- (c) no undetected "ok"
@pytest.mark.parametrize("k,n,ebnos", [(512, 1024, [0.5, 1.0, 1.5]), (300, 700, [0.5, 1.0, 1.5])])
def test_no_false_ok(k, n, ebnos):
    # Rate-1/2-ish codes: at these lengths the minimum distance makes a decoder converging to
    # a *different* codeword practically impossible, so every block with errors must be
    # flagged. (For short high-rate codes such as (100,150) or (1024,1152) genuine undetected
    # errors -- convergence to a valid but wrong codeword -- do happen at a rate of ~1e-4.)
    enc = LDPC5GEncoder(k, n)
    for early_stop in (True, False):
        dec = LDPC5GFastDecoder(enc, early_stop=early_stop)
        n_err = n_ok = 0
        for i, eb in enumerate(ebnos):
            u, c, llr = _qpsk_awgn(enc, eb, 1500, seed=1000 + i)
            u_hat, ok = dec(llr)
            err = _block_errors(u, u_hat)
            assert not bool((err & ok).any())
            n_err += int(err.sum())
            n_ok += int(ok.sum())
        assert n_err > 50 and n_ok > 50  # both outcomes were exercised


def test_ok_flags_converged_blocks():
    # Error-free blocks are almost always flagged ok; the rare exception is a block whose
    # information bits are right but whose parity part has not converged after num_iter
    # iterations -- then the hard decision is not a codeword and ok=False is correct.
    k, n = 100, 150
    enc = LDPC5GEncoder(k, n)
    dec = LDPC5GFastDecoder(enc)
    u, c, llr = _qpsk_awgn(enc, 2.0, 500, seed=3)
    u_hat, ok = dec(llr)
    err = _block_errors(u, u_hat)
    assert 50 < int(ok.sum()) < 500 and int(err.sum()) > 50
    assert int((~err & ~ok).sum()) <= 5
    assert (dec.last_num_iter[ok.numpy()] < 20).mean() > 0.9  # early stop did stop


# ---------------------------------------------------------------- (d) NaN / inf
def test_nan_and_inf_inputs():
    k, n = 512, 1024
    enc = LDPC5GEncoder(k, n)
    dec = LDPC5GFastDecoder(enc)
    u, c, llr = _qpsk_awgn(enc, 4.0, 8, seed=5)
    llr = llr.clone()
    llr[0] = float("nan")                 # fully erased block
    llr[1, :n // 2] = float("nan")        # half erased: not decodable at rate 1/2
    g = torch.Generator().manual_seed(0)
    sel = torch.rand(n, generator=g) < 0.05
    llr[2, sel] = float("nan")            # a few erasures at high SNR: still decodable
    llr[3, :10] = float("inf")            # infinities are clipped, wrong-signed or not
    llr[3, 10:20] = -float("inf")
    u_hat, ok = dec(llr)
    assert not torch.isnan(u_hat).any()
    assert not bool(ok[0]) and not bool(ok[1])
    assert bool(ok[2]) and torch.equal(u_hat[2], u[2])
    assert bool(ok[4:].all()) and torch.equal(u_hat[4:], u[4:])
    err = _block_errors(u, u_hat)
    assert not bool((err & ok).any())
    # all-NaN batch and an empty batch do not crash
    u0, ok0 = dec(torch.full((3, n), float("nan")))
    assert u0.shape == (3, k) and not bool(ok0.any())
    u_e, ok_e = dec(torch.zeros(0, n))
    assert u_e.shape == (0, k) and ok_e.shape == (0,)


_POOL_PROBE = """
import sys
import numpy as np
import numba.np.ufunc.parallel as pool
import semcom
from semcom.phy.digital import _ldpc_encoder
from semcom.phy.ldpc import LDPC5GFastDecoder
order = sys.argv[1].split(",")
enc = _ldpc_encoder(824, 1696)
llr = (4.0 + np.random.default_rng(0).standard_normal((8, 1696))).astype(np.float32)
seen = []
for threads in order:
    LDPC5GFastDecoder(enc, num_iter=5, num_threads=None if threads == "pool" else 1).decode_numpy(llr)
    seen.append(pool._is_initialized)
print(",".join(map(str, seen)))
"""


def test_one_thread_decoder_never_starts_the_thread_pool(tmp_path):
    """num_threads=1 runs the kernel compiled without numba's thread pool, whatever the on-disk
    cache holds. numba keys its cache by function name, line and bytecode, not by the compile
    flags. When the serial kernel was compiled from the parallel one's function, it loaded the
    parallel machine code, so every call in the frame receiver woke a pool thread and waited on it.
    Each process compiles, or loads from the cache, one kernel first; the pool starts only for
    the parallel kernel."""
    import subprocess
    import sys
    probe = tmp_path / "probe.py"
    probe.write_text(_POOL_PROBE)
    for order, expect in (("pool,serial", "True,True"), ("serial,pool", "False,True"), ("serial", "False")):
        out = subprocess.run([sys.executable, str(probe), order], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().splitlines()[-1] == expect, (order, out.stdout)

"""The numba demapper and CRC check of DigitalReceiver against Sionna's (what they replace for speed)."""
import numpy as np
import pytest
import torch
from sionna.phy.fec.crc import CRCDecoder, CRCEncoder
from sionna.phy.mapping import Demapper

from semcom.phy import DigitalReceiver, DigitalTransmitter
from semcom.phy.digital import _CRC24A, _crc_ok, _pam_llr, _pam_table


@pytest.mark.parametrize("m", [1, 2, 3])
def test_pam_llrs_equal_sionnas_app_demapper(m):
    rng = np.random.default_rng(m)
    y = rng.standard_normal(4000) * 1.3
    no = rng.uniform(0.01, 2.0, 4000)
    points, labels = _pam_table(m)
    ours = _pam_llr(y, no, points, labels)
    ref = Demapper("app", "pam", m)(torch.from_numpy(y.astype(np.complex64)),
                                    torch.from_numpy(no.astype(np.float32))).reshape(-1, m).numpy()
    assert np.allclose(ours, ref, atol=2e-3, rtol=1e-3), np.abs(ours - ref).max()


def test_crc_check_equals_sionnas():
    rng = np.random.default_rng(0)
    enc = CRCEncoder("CRC24A")
    blocks = enc(torch.from_numpy(rng.integers(0, 2, (64, 500)).astype(np.float32)))
    flip = blocks.clone()
    flip[::2, rng.integers(0, 524, 32)] = 1 - flip[::2, rng.integers(0, 524, 32)]
    for b in (blocks, flip):
        _, ref = CRCDecoder(enc)(b)
        assert np.array_equal(_crc_ok(b.numpy().astype(np.uint8), _CRC24A), ref.reshape(-1).numpy())


@pytest.mark.parametrize("mcs", ["bpsk-1/2", "qpsk-1/2", "16qam-3/4", "64qam-2/3"])
def test_digital_chain_round_trip(mcs):
    bits = torch.randint(0, 2, (3, 2000)).float()
    x = DigitalTransmitter(mcs)(bits)
    noise = 0.05 * torch.complex(torch.randn(x.shape), torch.randn(x.shape))
    out, ok = DigitalReceiver(mcs)(x + noise, 0.005, num_bits=2000)
    assert bool(ok.all()) and torch.equal(out, bits)
    bad, ok = DigitalReceiver(mcs)(torch.randn(x.shape, dtype=torch.complex64), 0.005, num_bits=2000)
    assert not bool(ok.any())


@pytest.mark.parametrize("mcs", ["bpsk-1/2", "qpsk-1/2", "16qam-1/2", "64qam-3/4", "256qam-3/4"])
def test_transmitter_symbols_equal_sionnas_mapper(mcs):
    from sionna.phy.mapping import Mapper

    from semcom.phy import get_mcs
    tx = DigitalTransmitter(mcs)
    bps = get_mcs(mcs).bits_per_symbol
    coded = torch.randint(0, 2, (2, 60 * bps)).float()
    ref = Mapper("qam" if bps > 1 else "pam", bps)(coded)
    assert torch.allclose(tx._map(coded), ref.to(torch.complex64), atol=1e-6)


@pytest.mark.parametrize("k,n", [(536, 1072), (300, 700), (972, 1944), (100, 132)])
def test_generator_encoding_equals_sionnas_encoder(k, n):
    from semcom.phy.digital import _ldpc_encoder, ldpc_encode
    u = torch.randint(0, 2, (7, k)).float()
    assert torch.equal(ldpc_encode(u, k, n), _ldpc_encoder(k, n)(u).float())


@pytest.mark.parametrize("mcs,bits", [("bpsk-1/2", 512), ("qpsk-1/2", 5744), ("16qam-3/4", 300),
                                      ("qpsk-uncoded", 77)])
def test_encode_numpy_equals_call(mcs, bits):
    tx = DigitalTransmitter(mcs)
    u = torch.randint(0, 2, (1, bits)).float()
    assert np.allclose(tx.encode_numpy(u[0].numpy()), tx(u)[0].numpy(), atol=1e-6)

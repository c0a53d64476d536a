"""The physical layer against closed forms and properties."""
import math

import numpy as np
import pytest
import torch
from scipy.optimize import brentq

from semcom.channels import get_channel
from semcom.phy import (AnalogDemapper, AnalogMapper, DigitalReceiver, DigitalTransmitter, HT_MCS,
                        get_mcs, zf_equalize)
from semcom.snr import capacity, ebno_db, snr_db_from_ebno

from theory import ber_bpsk_awgn, ber_bpsk_rayleigh, ber_qam_awgn


def _theory(modulation):
    bps = get_mcs(f"{modulation}-uncoded").bits_per_symbol
    return (lambda s: ber_bpsk_awgn(s)) if bps == 1 else (lambda s: ber_qam_awgn(s, bps))


def _simulate_uncoded(modulation, snr_db, channel, min_errors=1000, max_bits=12_000_000):
    mcs = f"{modulation}-uncoded"
    tx, rx = DigitalTransmitter(mcs), DigitalReceiver(mcs)
    ch = get_channel(channel)
    errors = bits_sent = 0
    n = 240_000
    while errors < min_errors and bits_sent < max_bits:
        bits = torch.randint(0, 2, (1, n)).float()
        y, csi = ch(tx(bits), snr_db)
        no = csi.noise_var
        if csi.gain is not None:
            y, no = zf_equalize(y, csi.gain, no)
        bits_hat, _ = rx(y, no, num_bits=n)
        errors += int((bits_hat != bits).sum())
        bits_sent += n
    return errors / bits_sent, errors


@pytest.mark.parametrize("modulation", ["bpsk", "qpsk", "16qam", "64qam"])
def test_uncoded_ber_over_awgn_matches_the_closed_form(modulation):
    theory = _theory(modulation)
    for target in (1e-2, 1e-3, 1e-4):
        snr = brentq(lambda s: math.log(max(float(theory(s)), 1e-300)) - math.log(target), -10, 40)
        ber, errors = _simulate_uncoded(modulation, snr, "awgn")
        assert errors >= 1000
        assert abs(ber / target - 1) < 0.10, f"{modulation} at {snr:.2f} dB: BER {ber:.3g} vs {target:g}"


def test_bpsk_over_fast_rayleigh_matches_the_closed_form():
    for snr in (5.0, 15.0):
        ber, errors = _simulate_uncoded("bpsk", snr, "rayleigh-fast")
        assert errors >= 1000
        assert abs(ber / ber_bpsk_rayleigh(snr) - 1) < 0.10


def test_rayleigh_gains_have_unit_mean_power():
    x = torch.ones(4000, 64, dtype=torch.complex64)
    _, block = get_channel("rayleigh-block")(x, 10.0)
    _, fast = get_channel("rayleigh-fast")(x[:500], 10.0)
    for h in (block.gain, fast.gain):
        assert abs(float(h.abs().square().mean()) - 1) < 0.02


@pytest.mark.parametrize("snr_db", [0.0, 7.5, 20.0])
@pytest.mark.parametrize("channel", ["awgn", "awgn-real"])
def test_analog_mapping_delivers_the_requested_snr(snr_db, channel):
    z = torch.randn(64, 16, 12, 12) * 3 + 1  # arbitrary scale and offset
    ch = get_channel(channel)
    if ch.real:
        y, _ = ch(z, snr_db)
        err, power = (y - z).square().mean(), z.square().mean()
    else:
        x, scale = AnalogMapper()(z)
        y, _ = ch(x, snr_db)
        err, power = (y - x).abs().square().mean(), x.abs().square().mean()
        assert abs(float(power) - 1) < 1e-4
        assert torch.allclose(AnalogDemapper()(x, scale, z.shape[1:]), z, atol=1e-4)
    assert abs(10 * math.log10(float(power / err)) - snr_db) < 0.1


def test_analog_mapper_reports_channel_uses_and_pads_odd_sizes():
    assert AnalogMapper.channel_uses((16, 12, 12)) == 1152
    z = torch.randn(3, 5)
    x, scale = AnalogMapper()(z)
    assert x.shape == (3, 3)
    assert torch.allclose(AnalogDemapper()(x, scale, (5,)), z, atol=1e-5)
    with pytest.raises(ValueError, match="NaN"):
        AnalogMapper()(torch.tensor([[1.0, float("nan")]]))


@pytest.mark.parametrize("mcs", ["bpsk-1/2", "qpsk-2/3", "16qam-3/4", "64qam-5/6", "256qam-1/2"])
def test_digital_chain_is_error_free_at_high_snr_and_flags_at_low_snr(mcs):
    tx, rx = DigitalTransmitter(mcs), DigitalReceiver(mcs)
    bits = torch.randint(0, 2, (4, 2500)).float()
    x = tx(bits)
    assert x.shape[1] == tx.channel_uses(2500)
    assert abs(float(x.abs().square().mean()) - 1) < 0.05  # scrambled: padding keeps unit power
    m = get_mcs(mcs)
    y, csi = get_channel("awgn")(x, m.shannon_snr_db + 6)
    bits_hat, ok = rx(y, csi.noise_var, num_bits=2500)
    assert ok.all() and torch.equal(bits_hat, bits)
    y, csi = get_channel("awgn")(x, m.shannon_snr_db - 4)
    bits_hat, ok = rx(y, csi.noise_var, num_bits=2500)
    assert not ok.any()
    # A block reported ok is never wrong.
    wrong = (bits_hat != bits).reshape(4, -1).any(dim=1)
    assert not (ok.all(dim=1) & wrong).any()


def test_every_block_with_errors_is_flagged_near_the_threshold():
    mcs = "qpsk-1/2"
    tx, rx = DigitalTransmitter(mcs, codeword_bits=480), DigitalReceiver(mcs, codeword_bits=480)
    bits = torch.randint(0, 2, (64, 2000)).float()
    y, csi = get_channel("awgn")(tx(bits), 0.5)
    bits_hat, ok = rx(y, csi.noise_var, num_bits=2000)
    lay = rx.layout(2000)
    padded = lambda b: torch.nn.functional.pad(b, (0, lay.num_blocks * lay.payload_bits - 2000))
    block_err = (padded(bits_hat) != padded(bits)).reshape(64, lay.num_blocks, -1).any(dim=-1)
    assert block_err.any() and (~block_err).any(), "the SNR should give a mix of good and bad blocks"
    assert not (ok & block_err).any()


def test_truncated_frames_raise_and_nan_symbols_are_counted_erasures():
    tx, rx = DigitalTransmitter("qpsk-1/2"), DigitalReceiver("qpsk-1/2")
    bits = torch.randint(0, 2, (2, 1000)).float()
    x = tx(bits)
    with pytest.raises(ValueError, match="truncated"):
        rx(x[:, :-5], 0.01, num_bits=1000)
    y = x.clone()
    y[:, :10] = complex(float("nan"), 0.0)
    bits_hat, ok = rx(y, 0.01, num_bits=1000)
    assert rx.erasures == 20
    assert ok.all() and torch.equal(bits_hat, bits)  # 10 erased symbols are corrected


def test_mcs_table_has_the_80211n_rates_and_consistent_accounting():
    rates = {(get_mcs(i).modulation, str(get_mcs(i).code_rate)) for i in range(8)}
    for mod in ("bpsk", "qpsk", "16qam", "64qam"):
        assert any(m == mod for m, _ in rates)
    assert {r for _, r in rates} == {"1/2", "2/3", "3/4", "5/6"}
    assert len(HT_MCS) == 8
    m = get_mcs("16qam-3/4")
    assert m.spectral_efficiency == 3.0
    assert math.isclose(capacity(m.shannon_snr_db), 3.0, rel_tol=1e-9)
    assert math.isclose(ebno_db(10.0, 4, 0.75), 10 - 10 * math.log10(3))
    assert math.isclose(snr_db_from_ebno(ebno_db(7.0, 2, 0.5), 2, 0.5), 7.0)
    with pytest.raises(ValueError):
        get_mcs("ht9")


@pytest.mark.parametrize("mcs,bps", [("qpsk-1/2", 2), ("16qam-1/2", 4), ("64qam-2/3", 6), ("256qam-3/4", 8)])
def test_separable_llrs_equal_sionnas_full_qam_demapper(mcs, bps):
    from sionna.phy.mapping import Demapper
    y = torch.randn(3, 400, dtype=torch.complex64)
    no = torch.rand(3, 400) + 0.05
    reference = Demapper("app", "qam", bps)(y, no).reshape(3, -1)
    assert torch.allclose(DigitalReceiver(mcs).llrs(y, no), reference, atol=1e-3, rtol=1e-4)

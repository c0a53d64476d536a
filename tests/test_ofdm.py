"""OFDM link and 3GPP TDL/CDL channels (semcom.phy.ofdm, semcom.channels.ofdm).

Checked against closed forms (QPSK over AWGN and Rayleigh, the LS error variance of averaged
pilots), exact identities (mapping order at infinite SNR, ZF = LMMSE for one antenna) and the
issue's must-show: LS estimation over TDL-A within 3 dB of perfect CSI at BER 1e-2.
"""
import math
import time

import numpy as np
import pytest
import sionna.phy
import torch
from scipy.special import erfc
from sionna.phy.mapping import Mapper

from semcom.channels import CHANNELS, get_channel
from semcom.phy.ofdm import OFDMConfig, OFDMLink
from semcom.transport import Message, Stream, send_message

NAMES = ["ofdm-awgn"] + [f"{f}-{c}" for f in ("tdl", "cdl") for c in "abcde"]


def qfunc(x):
    return 0.5 * erfc(np.asarray(x) / math.sqrt(2))


def qpsk(batch, num_symbols, seed=0):
    """Random bits [B, 2K] and Sionna's Gray QPSK symbols [B, K] (unit power)."""
    bits = torch.randint(0, 2, (batch, 2 * num_symbols), generator=torch.Generator().manual_seed(seed))
    x = Mapper("qam", 2)(bits.float())
    return bits, x


def qpsk_hard(y):
    """Gray QPSK hard decisions: bit 0 <-> real part, bit 1 <-> imaginary part, 0 <-> positive."""
    return torch.stack([y.real < 0, y.imag < 0], dim=-1).reshape(y.shape[0], -1).long()


def test_mapper_is_the_gray_qpsk_we_decide_on():
    bits = torch.tensor([[0, 0, 0, 1, 1, 0, 1, 1]])
    x = Mapper("qam", 2)(bits.float())
    assert torch.allclose(x * math.sqrt(2), torch.tensor([[1 + 1j, 1 - 1j, -1 + 1j, -1 - 1j]]))
    assert torch.equal(qpsk_hard(x), bits)


def test_registry_and_accounting():
    assert set(NAMES) <= set(CHANNELS)
    cfg = OFDMConfig()
    assert (cfg.res_per_grid, cfg.pilot_res, cfg.data_res) == (64 * 14, 2 * 64, 12 * 64)
    assert cfg.pilot_overhead == pytest.approx(2 / 14)
    # Guards and DC: 72 - 4 - 3 - 1 = 64 effective subcarriers, 3 pilot symbols.
    odd = OFDMConfig(fft_size=72, num_guard_carriers=(4, 3), dc_null=True, pilot_ofdm_symbol_indices=[2, 7, 11])
    assert (odd.effective_subcarriers, odd.used_res, odd.pilot_res, odd.data_res) == (64, 896, 192, 704)
    assert odd.res_per_grid == 72 * 14
    for k, grids in [(1, 1), (768, 1), (769, 2), (3 * 768, 3)]:
        lay = cfg.layout(k)
        assert (lay.grids, lay.padding, lay.pilot_res) == (grids, grids * 768 - k, grids * 128)
        assert lay.efficiency == pytest.approx(k / (grids * 896))
    with pytest.raises(ValueError):
        OFDMConfig(pilot_ofdm_symbol_indices=[2, 14])
    with pytest.raises(ValueError):
        OFDMConfig(pilot_ofdm_symbol_indices=range(14))


@pytest.mark.parametrize("name", NAMES)
def test_k_in_k_out_and_order_at_infinite_snr(name):
    """Every channel gives back exactly the K symbols it was given, in order: at 300 dB with LS
    estimation the equalised output equals the input (a wrong RE order would scramble it)."""
    kwargs = dict(fft_size=72, num_guard_carriers=(4, 3), dc_null=True) if name == "tdl-c" else {}
    ch = get_channel(name, **kwargs)
    _, x = qpsk(2, 1000)
    y, csi = ch(x, 300.0)
    assert y.shape == x.shape and y.dtype == torch.complex64
    assert csi.noise_var.shape == x.shape and csi.equalized and csi.estimated and csi.gain is None
    assert csi.extra["layout"].grids == math.ceil(1000 / ch.config.data_res)
    assert torch.allclose(y, x, atol=1e-3)
    assert float(csi.noise_var.max()) < 1e-20
    y, csi = ch(x, float("inf"))  # noiseless
    assert torch.allclose(y, x, atol=1e-4)


def test_perfect_csi_gain_and_normalisation():
    ch = get_channel("tdl-a", perfect_csi=True)
    _, x = qpsk(16, 3 * 768)
    y, csi = ch(x, 20.0)
    assert csi.gain.shape == x.shape and not csi.estimated
    # Perfect CSI: y = x + n / h and noise_var = N0 / |h|^2 exactly.
    assert torch.allclose(csi.noise_var, 0.01 / csi.gain.abs().square(), rtol=1e-4)
    # normalize_channel: unit mean energy per slot (over all its REs; data REs are 6/7 of them).
    per_slot = csi.gain.abs().square().reshape(16 * 3, 768).mean(dim=1)
    assert float(per_slot.mean()) == pytest.approx(1.0, abs=0.05)
    assert float(per_slot.std()) < 0.25


def test_qpsk_ber_ofdm_awgn_matches_closed_form():
    """(a) Perfect CSI over ofdm-awgn: per-symbol SNR is the nominal one, pilots or not, so the
    QPSK bit error rate is Q(sqrt(SNR))."""
    ch = get_channel("ofdm-awgn", perfect_csi=True)
    bits, x = qpsk(32, 8 * 768)
    for snr_db in (4.0, 7.0):
        y, csi = ch(x, snr_db)
        assert torch.allclose(csi.noise_var, torch.tensor(10 ** (-snr_db / 10)))
        ber = (qpsk_hard(y) != bits).float().mean().item()
        ref = float(qfunc(math.sqrt(10 ** (snr_db / 10))))
        print(f"ofdm-awgn SNR {snr_db} dB: BER {ber:.4e}, Q(sqrt(SNR)) {ref:.4e}")
        assert ber == pytest.approx(ref, rel=0.10)


def test_qpsk_ber_tdl_unnormalised_matches_rayleigh():
    """Without normalisation every RE of TDL-A sees h ~ CN(0, 1) (unit-power PDP, NLoS), so with
    perfect CSI the QPSK BER is the Rayleigh one, 0.5 (1 - sqrt(g / (1 + g))), g = SNR / 2.
    Many short grids (2 OFDM symbols, 300 ns) for many independent fades at little cost."""
    ch = get_channel("tdl-a", perfect_csi=True, normalize_channel=False, delay_spread=300e-9,
                     num_ofdm_symbols=2, pilot_ofdm_symbol_indices=[0])
    bits, x = qpsk(2048, ch.config.data_res)
    snr_db = 6.0
    y, csi = ch(x, snr_db)
    assert float(csi.gain.abs().square().mean()) == pytest.approx(1.0, abs=0.05)
    ber = (qpsk_hard(y) != bits).float().mean().item()
    g = 10 ** (snr_db / 10) / 2
    ref = 0.5 * (1 - math.sqrt(g / (1 + g)))
    print(f"tdl-a unnormalised, perfect CSI, SNR {snr_db} dB: BER {ber:.4e}, Rayleigh {ref:.4e}")
    assert ber == pytest.approx(ref, rel=0.10)


def test_ls_noise_variance_is_exact_over_awgn():
    """LS on two pilot symbols averaged over the slot ("lin_time_avg", the default at 0 m/s) has
    error variance N0 / 2, so at high SNR the equalised error is N0 (1 + 1/2); the reported
    noise_var must say so, and "nn" (one pilot symbol each, error N0) must give 2 N0."""
    _, x = qpsk(32, 4 * 768)
    n0 = 10 ** (-25.0 / 10)
    for interp, factor in [("auto", 1.5), ("nn", 2.0)]:
        ch = get_channel("ofdm-awgn", interpolation=interp)
        y, csi = ch(x, 25.0)
        mse = (y - x).abs().square().mean().item() / n0
        rep = csi.noise_var.mean().item() / n0
        print(f"ofdm-awgn LS {interp}: MSE/N0 {mse:.3f}, reported {rep:.3f}, closed form {factor}")
        assert mse == pytest.approx(factor, rel=0.03)
        assert rep == pytest.approx(factor, rel=0.03)


def test_zf_equals_lmmse_for_one_antenna():
    _, x = qpsk(4, 768)
    out = []
    for eq in ("zf", "lmmse"):
        sionna.phy.config.seed = 5
        out.append(get_channel("tdl-b", equalizer=eq)(x, 8.0))
    assert torch.allclose(out[0][0], out[1][0], atol=1e-5)
    assert torch.allclose(out[0][1].noise_var, out[1][1].noise_var, rtol=1e-4)


def _crossing(snrs, bers, target=1e-2):
    """SNR where log10(BER) crosses log10(target), linear interpolation between grid points."""
    lb = np.log10(np.maximum(bers, 1e-9))
    for i in range(len(snrs) - 1):
        if lb[i] >= math.log10(target) > lb[i + 1]:
            t = (lb[i] - math.log10(target)) / (lb[i] - lb[i + 1])
            return snrs[i] + t * (snrs[i + 1] - snrs[i])
    raise AssertionError(f"BER {bers} does not cross {target} on {snrs}")


def test_ls_within_3db_of_perfect_csi_on_tdl_a():
    """(b) The issue's must-show: OFDM with LS estimation over TDL-A stays within 3 dB of perfect
    CSI at BER 1e-2 (uncoded QPSK, default numerology, 100 ns, 0 m/s, normalised channel).

    Common random numbers: every SNR point and both receivers see the same channel realisations
    and the same unit noise (the seed is reset before each call), so the curves are monotone and
    the gap is a paired comparison rather than the difference of two noisy estimates."""
    snrs = np.arange(6.0, 17.0, 2.0)
    bits, x = qpsk(24, 4 * 768, seed=3)
    base_seed = sionna.phy.config.seed
    crossings = {}
    for perfect in (True, False):
        t0 = time.time()
        ch = get_channel("tdl-a", perfect_csi=perfect)
        bers = []
        for snr_db in snrs:
            sionna.phy.config.seed = base_seed
            y, _ = ch(x, float(snr_db))
            bers.append((qpsk_hard(y) != bits).float().mean().item())
        bers = np.array(bers)
        assert (np.diff(bers) < 0).all()
        crossings[perfect] = _crossing(snrs, bers)
        print(f"tdl-a {'perfect CSI' if perfect else 'LS'}: BER {np.array2string(bers, precision=4)} "
              f"on {snrs.tolist()} dB; BER 1e-2 at {crossings[perfect]:.2f} dB ({time.time() - t0:.1f} s)")
    gap = crossings[False] - crossings[True]
    print(f"LS - perfect CSI gap at BER 1e-2: {gap:.2f} dB")
    assert 0.0 < gap < 3.0


def test_reproducible_with_sionna_seed():
    """(d) Channel realisations and noise come from Sionna's seeded generator."""
    _, x = qpsk(2, 900)
    runs = {}
    for name in ("tdl-a", "cdl-b"):
        for seed in (11, 11, 12):
            sionna.phy.config.seed = seed
            y, csi = get_channel(name)(x, 5.0)
            runs.setdefault(name, []).append((y, csi.noise_var))
        (y1, n1), (y2, n2), (y3, _) = runs[name]
        assert torch.equal(y1, y2) and torch.equal(n1, n2)
        assert not torch.allclose(y1, y3)


def test_continuous_slots_share_a_static_channel():
    """At 0 m/s with slot_fading="continuous" consecutive slots see the same channel; with
    "independent" they do not."""
    cfg = OFDMConfig()
    _, x = qpsk(2, 3 * 768)
    for mode, same in [("continuous", True), ("independent", False)]:
        ch = get_channel("tdl-a", perfect_csi=True, slot_fading=mode)
        _, csi = ch(x, 10.0)
        h = csi.gain.reshape(2, 3, cfg.data_res)
        assert torch.allclose(h[:, 0], h[:, 2], atol=1e-4) == same


def test_through_send_message_with_ldpc():
    """The equalised symbols and per-symbol noise_var feed the digital receiver unchanged."""
    bits = torch.randint(0, 2, (2, 1500), generator=torch.Generator().manual_seed(9)).float()
    msg = Message({"b": Stream("digital", bits, mcs="qpsk-1/2")}, image_shape=(3, 8, 8))
    rx, csi = send_message(msg, "tdl-c", 15.0, decoder="sionna")
    assert csi.equalized and csi.noise_var.shape[1] == msg.channel_uses()[0]
    assert bool(rx.streams["b"].block_ok.all()) and torch.equal(rx.streams["b"].data, bits)


def test_bad_input_is_a_clear_error():
    ch = get_channel("ofdm-awgn")
    with pytest.raises(ValueError, match="complex"):
        ch(torch.ones(2, 10), 10.0)
    with pytest.raises(ValueError, match="batch"):
        ch(torch.ones(2, 10, dtype=torch.complex64), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="number"):
        ch(torch.ones(2, 10, dtype=torch.complex64), float("nan"))
    with pytest.raises(ValueError, match="at least one"):
        ch(torch.ones(2, 0, dtype=torch.complex64), 10.0)
    with pytest.raises(ValueError, match="equalizer"):
        get_channel("tdl-a", equalizer="mmse-sic")
    with pytest.raises(ValueError, match="pilots"):
        OFDMLink(OFDMConfig(pilot_ofdm_symbol_indices=()))
    with pytest.raises(ValueError, match="config"):
        get_channel("tdl-a", config=OFDMConfig(), fft_size=32)

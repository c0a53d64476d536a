"""Messages of streams across channels, and the accounting every scheme reports."""
import math

import pytest
import torch

from semcom.transport import Message, Stream, send_message


def _mixed(batch=4):
    return Message({"z": Stream("analog", torch.randn(batch, 16, 6, 6)),
                    "text": Stream("digital", torch.randint(0, 2, (batch, 700)).float(), mcs="qpsk-1/2")},
                   image_shape=(3, 64, 64))


@pytest.mark.parametrize("channel", ["awgn", "rayleigh-block", "rayleigh-fast", "awgn-real", "ofdm-awgn"])
def test_a_mixed_message_crosses_every_kind_of_channel(channel):
    message = _mixed()
    received, csi = send_message(message, channel, 25.0)
    z, z_hat = message.streams["z"].data, received.streams["z"].data
    assert z_hat.shape == z.shape
    nmse = float((z_hat - z).square().mean() / z.square().mean())
    assert nmse < (0.05 if channel != "rayleigh-fast" else 0.5)
    text = received.streams["text"]
    assert text.block_ok is not None and text.ok.shape == (4,)
    assert torch.equal(text.data[text.ok], message.streams["text"].data[text.ok])
    assert csi.snr_db.shape == (4,)


def test_a_block_fading_gain_is_shared_by_the_whole_frame():
    message = _mixed(batch=2)
    received, csi = send_message(message, "rayleigh-block", 40.0)
    assert csi.gain.shape == (2,)  # one gain per example covers analog and digital streams alike


def test_accounting_matches_sc_sics_compression_ratio_and_counts_digital_blocks():
    message = Message({"z": Stream("analog", torch.zeros(1, 16, 12, 12))}, image_shape=(3, 512, 512))
    assert int(message.channel_uses()[0]) == 1152
    assert math.isclose(float(message.compression_ratio()[0]), 3 * 512 * 512 / (16 * 12 * 12))  # 341.33
    assert math.isclose(float(message.cbr()[0]), 1152 / (3 * 512 * 512))
    mixed = _mixed(batch=1)
    from semcom.phy import DigitalTransmitter
    assert int(mixed.channel_uses()[0]) == 16 * 36 // 2 + DigitalTransmitter("qpsk-1/2").channel_uses(700)
    assert int(mixed.bits()[0]) == 700 and math.isclose(float(mixed.bpp()[0]), 700 / 64 ** 2)


def test_variable_length_streams_send_and_count_only_their_valid_part():
    data = torch.randn(3, 100)
    lengths = torch.tensor([100, 40, 10])
    message = Message({"z": Stream("analog", data, lengths=lengths)}, image_shape=(3, 8, 8))
    assert message.channel_uses().tolist() == [50, 20, 5]
    received, _ = send_message(message, "awgn", 30.0)
    out = received.streams["z"].data
    assert torch.all(out[1, 40:] == 0) and torch.all(out[2, 10:] == 0)
    for i, n in enumerate(lengths.tolist()):
        err = (out[i, :n] - data[i, :n]).square().mean() / data[i, :n].square().mean()
        assert float(err) < 0.01  # 30 dB over the valid symbols, renormalised to unit power


def test_streams_reject_bad_input():
    with pytest.raises(ValueError, match="kind"):
        Stream("optical", torch.zeros(1, 4))
    with pytest.raises(ValueError, match=r"bits \[B, L\]"):
        Stream("digital", torch.zeros(1, 2, 3))

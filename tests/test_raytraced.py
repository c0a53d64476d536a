"""The ray-traced OFDM channel ``rt-street`` (Sionna RT built-in street canyon)."""
import subprocess
import sys

import pytest
import torch

from semcom.channels import CHANNELS, get_channel
from semcom.transport import Message, Stream, send_message


@pytest.fixture(scope="module")
def perfect():
    return get_channel("rt-street", perfect_csi=True, generator=torch.Generator().manual_seed(0))


def _qpsk(bits):
    return ((1 - 2 * bits[..., 0]) + 1j * (1 - 2 * bits[..., 1])).to(torch.complex64) / 2 ** 0.5


def test_registered_and_the_import_stays_lazy():
    assert "rt-street" in CHANNELS
    code = "import sys, semcom.channels; assert 'sionna.rt' not in sys.modules and 'mitsuba' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shapes_dtypes_and_noiseless_qpsk(perfect):
    bits = torch.randint(0, 2, (3, 1000, 2), generator=torch.Generator().manual_seed(1)).float()
    x = _qpsk(bits)
    y, csi = perfect(x, 40.0)
    assert y.shape == x.shape and y.dtype == torch.complex64
    assert csi.noise_var.shape == x.shape and csi.noise_var.dtype == torch.float32
    assert csi.gain.shape == x.shape and csi.equalized and not csi.estimated
    assert csi.snr_db.shape == (3,)
    bits_hat = torch.stack([(y.real < 0), (y.imag < 0)], -1).float()
    assert torch.equal(bits_hat, bits)  # BER 0 at 40 dB, perfect CSI
    # Unit-power channel: post-equalisation noise variance ~ N0 = 1e-4.
    assert 0.5e-4 < float(csi.noise_var.mean()) < 2e-4


def test_paths_and_frequency_response(perfect):
    info = perfect.paths_info()
    assert int(info["num_paths"][0]) >= 5  # LoS + reflections
    h = perfect.frequency_response()
    assert h.shape == (64,)
    assert abs(float(h.abs().square().mean()) - 1.0) < 1e-3
    # Delay spread of a few ns: nearly flat over 1.92 MHz, selective over a 30.72 MHz band.
    wide = get_channel("rt-street", perfect_csi=True, subcarrier_spacing=480e3)
    hw = wide.frequency_response()
    gain_db = 10 * torch.log10(hw.abs().square())
    assert abs(float(hw.abs().square().mean()) - 1.0) < 1e-3
    assert float(gain_db.max() - gain_db.min()) > 3.0


def test_ls_estimation_and_receiver_positions():
    ch = get_channel("rt-street", num_positions=4, rx_jitter=2.0,
                     generator=torch.Generator().manual_seed(2))
    assert len(ch.paths_info()["num_paths"]) == 4
    x = _qpsk(torch.randint(0, 2, (4, 800, 2), generator=torch.Generator().manual_seed(3)).float())
    y, csi = ch(x, 20.0)
    mse = float((y - x).abs().square().mean())
    assert csi.estimated and 0.5 * float(csi.noise_var.mean()) < mse < 2 * float(csi.noise_var.mean())


def test_a_mixed_message_decodes_over_rt_street():
    message = Message({"z": Stream("analog", torch.randn(2, 16, 6, 6)),
                       "text": Stream("digital", torch.randint(0, 2, (2, 700)).float(), mcs="qpsk-1/2")},
                      image_shape=(3, 64, 64))
    received, csi = send_message(message, "rt-street", 30.0, generator=torch.Generator().manual_seed(4))
    text = received.streams["text"]
    assert bool(text.ok.all())
    assert torch.equal(text.data, message.streams["text"].data)
    z, z_hat = message.streams["z"].data, received.streams["z"].data
    assert float((z_hat - z).square().mean() / z.square().mean()) < 0.05

"""Yang and Kim's SNR-adaptive CNN JSCC (semcom.models.snr_jscc): rate, CSI use, the codec over
AWGN and block fading, the training script's yang-kim arch with --init-from."""
import json

import pytest
import torch

from semcom.codecs import get_codec
from semcom.csi import CSI
from semcom.models.loading import load_component, write_checksums
from semcom.models.snr_jscc import SNRAdaptiveJSCC
from semcom.transport import send_message

TINY = dict(num_down=3, base_channels=8, max_channels=16, num_enc_blocks=1, num_dec_blocks=1)


@pytest.mark.parametrize("c,d,rho", [(4, 4, 1 / 384), (16, 4, 1 / 96), (32, 4, 1 / 48), (96, 4, 1 / 16), (24, 3, 1 / 16)])
def test_rate_is_the_seeds_formula_and_the_channel_uses(c, d, rho):
    """rho = C / (3 * 2^(2D+1)) is K / (3 H W) with K = half the latent's reals."""
    net = SNRAdaptiveJSCC(latent_channels=c, num_down=d, base_channels=4, max_channels=8,
                          num_enc_blocks=1, num_dec_blocks=1)
    z = net.encode(torch.rand(1, 3, 64, 96), 3.0)
    assert net.cbr() == pytest.approx(rho)
    assert z[0].numel() / 2 / (3 * 64 * 96) == pytest.approx(rho)
    assert tuple(z.shape[1:]) == net.latent_shape(64, 96)
    with pytest.raises(ValueError, match="multiples of 2"):
        net.encode(torch.rand(1, 3, 64, 90), 3.0)


def test_csi_steers_both_ends_and_decoding_is_batch_independent():
    torch.manual_seed(0)
    net = SNRAdaptiveJSCC(latent_channels=4, **TINY).eval()
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(net.encode(x, 0.0), net.encode(x, 20.0))
        z = net.encode(x, 5.0)
        base = net.decode(z, 5.0)
        assert not torch.allclose(base, net.decode(z, 15.0))
        assert not torch.allclose(base, net.decode(z, 5.0, torch.tensor([0.3 + 0.4j] * 3)))
        assert torch.allclose(base, net.decode(z, 5.0, torch.ones(3, dtype=torch.complex64)))   # h = 1 is AWGN
        # group norm: an image decodes the same alone as in a batch
        assert torch.allclose(base[1:2], net.decode(z[1:2], 5.0), atol=1e-6)
    with pytest.raises(ValueError, match="needs snr_db"):
        net.encode(x, None)
    with pytest.raises(ValueError, match="one per image"):
        net.decode(z, 5.0, torch.ones(2, dtype=torch.complex64))


def test_codec_over_awgn_and_block_fading(tmp_path):
    """A model trained a few steps on one image lowers its error through send_message on both
    channels, with the receiver's h reaching the decoder; more SNR, less error."""
    torch.manual_seed(1)
    net = SNRAdaptiveJSCC(latent_channels=8, **TINY)
    x = torch.rand(1, 3, 32, 32).repeat(4, 1, 1, 1)
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    for _ in range(150):
        snr = torch.rand(4) * 20
        z = net.encode(x, snr)
        z = z / z.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() * 0.7071
        noisy = z + (10 ** (-snr / 20) * 0.7071)[:, None, None, None] * torch.randn_like(z)
        loss = (net.decode(noisy, snr) - x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    folder = tmp_path / "yk"
    net.save_pretrained(str(folder), safe_serialization=True)
    write_checksums(folder)
    codec = get_codec(f"deepjscc:model_dir={folder}")
    assert codec.yang_kim and codec.cbr() == pytest.approx(8 / (3 * 2 ** 7))
    for channel in ("awgn", "rayleigh-block"):
        errors = {}
        for snr in (0.0, 20.0):
            g = torch.Generator().manual_seed(7)
            rx, csi = send_message(codec.encode(x, CSI.from_snr(snr, 4)), channel, snr, generator=g)
            out = codec.decode(rx, csi)
            assert out.shape == x.shape and torch.isfinite(out).all()
            errors[snr] = float((out - x).pow(2).mean())
        assert errors[20.0] < errors[0.0], (channel, errors)


def test_training_script_yang_kim_with_init_from(tmp_path, monkeypatch):
    """The training script's yang-kim arch trains, exports a loadable folder with a card, and a
    new run of another rate starts from it: every tensor but those whose shape depends on C copied."""
    from repo_scripts import load
    train = load("scripts/train_deepjscc.py")
    monkeypatch.setattr(train, "train_crops", lambda size, n, seed, version=None:
                        torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)))
    monkeypatch.setattr(train, "test_images", lambda size, version=None: torch.rand(2, 3, size, size))
    common = ["--arch", "yang-kim", "--size", "16", "--num-down", "2", "--base-channels", "4", "--max-channels", "8",
              "--enc-blocks", "1", "--dec-blocks", "1", "--batch", "2", "--steps", "3", "--crops-per-chunk", "4",
              "--ckpt-every", "1", "--log-every", "1", "--eval-draws", "1", "--eval-size", "32"]
    train.main(common + ["--latent-channels", "4", "--run-dir", str(tmp_path / "a"), "--out", str(tmp_path / "ma")])
    first = load_component(SNRAdaptiveJSCC, tmp_path / "ma", "JSCC")
    card = (tmp_path / "ma" / "README.md").read_text()
    assert "Yang and Kim" in card and "rho = C / (3 * 2^(2D+1)) = 1/24" in card and "32x32" in card
    train.main(common + ["--latent-channels", "8", "--steps", "1", "--init-from", str(tmp_path / "ma"),
                         "--run-dir", str(tmp_path / "b"), "--no-export"])
    state = json.loads((tmp_path / "b" / "checkpoint" / "state.json").read_text())
    assert state["init_from"] == (f"{len(first.state_dict()) - 3} tensors copied, 3 kept at initialisation "
                                  "(dec_in.weight, enc_out.bias, enc_out.weight)")

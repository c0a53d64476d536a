"""DeepJSCC: the network, the codec, the training script and the shipped model."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from semcom.channels import get_channel
from semcom.codecs import get_codec
from semcom.codecs.deepjscc import DeepJSCCCodec, decoder_snr_db, default_model_dir
from semcom.csi import CSI
from semcom.models.deepjscc import DeepJSCC
from semcom.phy import AnalogMapper, zf_equalize
from semcom.transport import send_message

import repo_scripts

TINY = dict(latent_channels=2, num_down=1, channels=(4, 6), snr_adaptive=True, af_hidden=4)


def _tiny(tmp_path, **overrides):
    torch.manual_seed(0)
    model = DeepJSCC(**{**TINY, **overrides})
    with torch.no_grad():  # a random net whose output follows its input (untrained ones are ~0.5 flat)
        for conv in [*model.enc_convs, *model.dec_convs]:
            conv.weight *= 8.0
    folder = tmp_path / "model"
    model.save_pretrained(str(folder))
    return model, folder


def _psnr(a, b):
    mse = (a - b).square().flatten(1).mean(dim=1)
    return -10 * torch.log10(mse)


def _train_script():
    return repo_scripts.load("scripts/train_deepjscc.py")


# ------------------------------------------------------------------------------- the network
def test_save_load_round_trip(tmp_path):
    model, folder = _tiny(tmp_path)
    files = sorted(p.name for p in folder.iterdir())
    assert "config.json" in files and any(f.endswith(".safetensors") for f in files)
    assert not any(f.endswith((".bin", ".pt", ".pth", ".ckpt")) for f in files)
    loaded = DeepJSCC.from_pretrained(str(folder), low_cpu_mem_usage=False)
    public = lambda cfg: {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items() if not k.startswith("_")}
    assert public(loaded.config) == public(model.config)
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    x, snr = torch.rand(2, 3, 8, 12), torch.tensor([3.0, 15.0])
    assert torch.equal(model.eval()(x, snr), loaded.eval()(x, snr))


@pytest.mark.parametrize("c,d", [(4, 2), (8, 1), (3, 3)])
def test_cbr_formula(c, d):
    model = DeepJSCC(latent_channels=c, num_down=d, channels=(4,) * max(d, 2))
    images = torch.rand(1, 3, 8 * 2 ** d, 16 * 2 ** d)
    z = model.encode(images)
    assert tuple(z.shape[1:]) == model.latent_shape(*images.shape[2:])
    # complex channel uses of the latent over source reals, counted by the project's mapper
    measured = AnalogMapper.channel_uses(z.shape[1:]) / images[0].numel()
    assert model.cbr() == pytest.approx(c / (6 * 4 ** d)) == pytest.approx(measured)
    assert model.decode(z).shape == images.shape


def test_snr_changes_adaptive_output_only():
    torch.manual_seed(1)
    adaptive = DeepJSCC(**TINY)
    x = torch.rand(1, 3, 8, 8)
    assert not torch.allclose(adaptive(x, 0.0), adaptive(x, 20.0))
    with pytest.raises(ValueError, match="snr_db is required"):
        adaptive(x)
    fixed = DeepJSCC(**{**TINY, "snr_adaptive": False})
    assert torch.equal(fixed(x, 0.0), fixed(x, 20.0))


def test_bad_configs_and_shapes():
    with pytest.raises(ValueError, match="num_down"):
        DeepJSCC(num_down=5, channels=(4, 4))
    with pytest.raises(ValueError, match="odd"):
        DeepJSCC(kernel_size=4)
    model = DeepJSCC(**TINY)
    with pytest.raises(ValueError, match="multiples of 2"):
        model.encode(torch.rand(1, 3, 9, 8), 10.0)


# --------------------------------------------------------------------------------- the codec
def test_decoder_snr_is_post_zf_snr():
    """The receiver's SNR for a block-faded frame equals the measured SNR after zero forcing."""
    gen = torch.Generator().manual_seed(5)
    x = torch.complex(torch.randn(3, 20000, generator=gen), torch.randn(3, 20000, generator=gen)) / math.sqrt(2)
    y, csi = get_channel("rayleigh-block", generator=gen)(x, 10.0)
    x_hat, _ = zf_equalize(y, csi.gain, csi.noise_var)
    measured = 10 * torch.log10(1.0 / (x_hat - x).abs().square().mean(dim=1))
    assert torch.allclose(decoder_snr_db(csi), measured, atol=0.15)
    _, awgn_csi = get_channel("awgn")(x, 7.0)
    assert torch.equal(decoder_snr_db(awgn_csi), torch.full((3,), 7.0))


def test_codec_near_noiseless_at_high_snr(tmp_path):
    model, folder = _tiny(tmp_path)
    codec = get_codec("deepjscc", model_dir=folder)
    assert isinstance(codec, DeepJSCCCodec)
    images = torch.rand(4, 3, 16, 24, generator=torch.Generator().manual_seed(2))
    csi = CSI.from_snr(30.0, 4)
    message = codec.encode(images, csi)
    assert list(message.streams) == ["z"] and message.streams["z"].kind == "analog"
    assert tuple(message.streams["z"].data.shape) == (4, 2, 8, 12)
    assert torch.allclose(message.cbr(), torch.full((4,), model.cbr(), dtype=torch.float64))
    noiseless = codec.decode(message, csi)
    with torch.no_grad():
        reference = model.eval().decode(model.encode(images, 30.0), 30.0)
    assert torch.allclose(noiseless, reference, atol=1e-6)

    def error(snr):
        gen = torch.Generator().manual_seed(3)
        rx, rx_csi = send_message(codec.encode(images, CSI.from_snr(snr, 4)), "awgn", snr, generator=gen)
        with torch.no_grad():
            clean = model.decode(model.encode(images, snr), snr)
        return float((codec.decode(rx, rx_csi) - clean).square().mean())

    assert float(noiseless.std()) > 0.05  # the output depends on the latent
    high, low = error(30.0), error(0.0)
    assert low > 1e-3 and high < 0.01 * low


def test_codec_errors(tmp_path):
    _, folder = _tiny(tmp_path)
    codec = DeepJSCCCodec(model_dir=folder)
    with pytest.raises(ValueError, match="multiples of 2"):
        codec.encode(torch.rand(1, 3, 15, 16), CSI.from_snr(10.0, 1))
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        codec.encode(torch.rand(1, 1, 16, 16), CSI.from_snr(10.0, 1))
    with pytest.raises(ValueError, match="SNR-adaptive"):
        codec.encode(torch.rand(1, 3, 16, 16), None)
    message = codec.encode(torch.rand(2, 3, 16, 16), CSI.from_snr(10.0, 2))
    with pytest.raises(ValueError, match="SNR-adaptive"):
        codec.decode(message, None)
    with pytest.raises(FileNotFoundError, match="train_deepjscc.py"):
        DeepJSCCCodec(model_dir=tmp_path / "nowhere")


# ---------------------------------------------------------------------- the training script
def test_training_resumes_exactly(tmp_path, monkeypatch):
    """Stopping after 2 steps and re-running to 4 gives the weights of one 4-step run."""
    train = _train_script()
    versions = []
    monkeypatch.setattr(train, "train_crops", lambda size, n, seed, version=None: versions.append(version) or
                        torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)))
    monkeypatch.setattr(train, "test_images", lambda size, version=None: torch.rand(2, 3, size, size))
    common = ["--size", "8", "--num-down", "1", "--latent-channels", "2", "--channels", "4,4",
              "--af-hidden", "4", "--batch", "4", "--crops-per-chunk", "6", "--decay-at", "1.0",
              "--ckpt-every", "1", "--log-every", "1", "--eval-draws", "1"]
    one = train.main(common + ["--steps", "4", "--run-dir", str(tmp_path / "a"), "--out", str(tmp_path / "ma")])
    train.main(common + ["--steps", "2", "--run-dir", str(tmp_path / "b"), "--no-export"])
    calls, link = [], train.link
    monkeypatch.setattr(train, "link", lambda *a: calls.append(1) or link(*a))
    two = train.main(common + ["--steps", "4", "--run-dir", str(tmp_path / "b"), "--out", str(tmp_path / "mb")])
    assert one["step"] == two["step"] == 4
    assert len(calls) == 2  # the re-run trained only the 2 missing steps
    state = json.loads((tmp_path / "b" / "checkpoint" / "state.json").read_text())
    assert state["step"] == 4 and len(state["history"]) == 4
    assert not list((tmp_path / "b").rglob("*.pt")) and not list((tmp_path / "b").rglob("*.bin"))
    a = DeepJSCC.from_pretrained(str(tmp_path / "ma"), low_cpu_mem_usage=False).state_dict()
    b = DeepJSCC.from_pretrained(str(tmp_path / "mb"), low_cpu_mem_usage=False).state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    init = DeepJSCC(latent_channels=2, num_down=1, channels=(4, 4), snr_adaptive=True, af_hidden=4)
    assert any(not torch.allclose(a[k], init.state_dict()[k]) for k in a)  # it did train
    for name in ("config.json", "README.md", "loss.png"):
        assert (tmp_path / "mb" / name).is_file()
    assert "| awgn |" in (tmp_path / "mb" / "README.md").read_text()
    # the run trains on the current data manifest, records it, and keeps it on resume
    from semcom.data import MANIFEST_VERSION
    assert set(versions) == {MANIFEST_VERSION} and state["data_version"] == MANIFEST_VERSION
    assert f"train split of data manifest v{MANIFEST_VERSION}" in (tmp_path / "mb" / "README.md").read_text()
    with pytest.raises(SystemExit, match="manifest v2 of semcom.data; --data-version 1 needs a new"):
        train.main(common + ["--steps", "5", "--run-dir", str(tmp_path / "b"), "--no-export", "--data-version", "1"])


# ------------------------------------------------------------------------- the shipped model
def _test_photos(n=6, size=64):
    try:
        from semcom.data import load_images
        return load_images("test", size, version=1)[:n]
    except (ImportError, OSError, RuntimeError):  # no image cache: photos bundled with scikit-image
        import skimage.data
        from PIL import Image
        out = []
        for name in ("astronaut", "chelsea", "coffee"):
            im = getattr(skimage.data, name)()
            s = min(im.shape[:2])
            out.append(np.asarray(Image.fromarray(im[:s, :s]).resize((size, size), Image.BICUBIC)))
        return torch.as_tensor(np.stack(out)).permute(0, 3, 1, 2).float() / 255


@pytest.fixture(scope="module")
def shipped():
    folder = default_model_dir()
    assert (folder / "config.json").is_file(), f"the shipped model is missing from {folder}"
    return DeepJSCCCodec(model_dir=folder)


def test_shipped_model_is_the_specified_one(shipped):
    cfg = shipped.model.config
    assert (cfg.latent_channels, cfg.num_down, cfg.snr_adaptive) == (4, 2, True)
    assert shipped.cbr() == pytest.approx(1 / 24)
    assert all(p.stat().st_size < 5e6 for p in default_model_dir().iterdir())


@pytest.mark.parametrize("channel,floor", [("awgn", 17.5), ("rayleigh-block", 16.5)])
def test_shipped_psnr_grows_with_snr(shipped, channel, floor):
    images = _test_photos()
    means = []
    for snr in (0.0, 5.0, 10.0, 20.0):
        gen = torch.Generator().manual_seed(11)  # the same noise and fades at every SNR, scaled
        values = []
        for _ in range(3 if channel == "awgn" else 8):
            csi = CSI.from_snr(snr, images.shape[0])
            rx, rx_csi = send_message(shipped.encode(images, csi), channel, snr, generator=gen)
            values.append(_psnr(images, shipped.decode(rx, rx_csi)))
        means.append(float(torch.cat(values).mean()))
    assert all(b >= a - 0.05 for a, b in zip(means, means[1:])), means
    assert means[0] > floor, means
    assert means[-1] > means[0] + 1.0, means  # the SNR matters


# ------------------------------------------------- the equal-K model (SC-SIC's baseline)
EQUAL_K_DIR = "deepjscc-c1"
FLOOR_0DB = 16.3  # measured 17.0-17.4 dB over 3 noise seeds on these 6 photos (19.8 dB at 20 dB)


def test_equal_k_model_sends_sc_sics_k_and_works():
    """models/deepjscc-c1 is SC-SIC's equal-channel-use DeepJSCC: c = 1 gives CBR 1/96, i.e. the
    same K as SC-SIC's CR 48 embedding at SC-SIC's native size; and it is a trained model."""
    from semcom import models_dir
    from semcom.codecs.sc_sic import native_image_size
    codec = get_codec(f"deepjscc:model_dir={Path(models_dir()) / EQUAL_K_DIR}")
    assert (codec.model.config.latent_channels, codec.model.config.num_down) == (1, 2)
    assert codec.cbr() == pytest.approx(1 / 96)
    size = native_image_size()
    sc_sic = get_codec("sc-sic")
    k_sc_sic = math.prod(sc_sic.embedding_shape(size, size)) // 2
    x = torch.rand(1, 3, size, size)
    assert int(codec.encode(x, CSI.from_snr(10.0, 1)).channel_uses()[0]) == k_sc_sic
    images = _test_photos()
    psnrs = []
    for snr in (0.0, 20.0):
        gen = torch.Generator().manual_seed(5)
        rx, csi = send_message(codec.encode(images, CSI.from_snr(snr, images.shape[0])), "awgn", snr, generator=gen)
        psnrs.append(float(_psnr(images, codec.decode(rx, csi)).mean()))
    assert psnrs[0] > FLOOR_0DB and psnrs[1] > psnrs[0] + 1.0, psnrs

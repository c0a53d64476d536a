"""LRISC (seed 002; semcom.models.lrisc, codec 'lrisc'): range-coded hyper-latent, bandwidth
allocation, channel-use accounting, power, save/load checks, the DDIM x0 sampler against a
closed form, and the codec end to end over AWGN, all on tiny random models."""
import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from semcom.codecs import get_codec
from semcom.csi import CSI
from semcom.models.lrisc import (HyperpriorTransform, LRISCPipeline, VariableLengthJSCC, allocate, ddim_sample,
                                 default_scheduler)
from semcom.phy.digital import DigitalTransmitter
from semcom.transport import send_message

TINY = dict(
    transform=dict(latent_channels=8, hidden_channels=16, hyper_channels=8, num_down=2, hyper_down=1),
    jscc=dict(dim=16, num_heads=2, num_blocks=1, num_sm=2, lengths=[1, 2, 3, 4]),
    unet=dict(block_channels=[16, 16, 32], attention_levels=[False, False, True], cond_levels=3, cond_channels=16,
              attention_head_dim=16),
)
SIZE = 32


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_pipeline(**options) -> LRISCPipeline:
    """A random tiny pipeline; g_e's output is scaled x10 so that z spans several quantisation bins
    (37 ... 190 bits per patch on the test pictures) as a trained transform's does (a freshly
    initialised g_e gives |z| < 1/2: every patch ~0 bits)."""
    torch.manual_seed(0)
    pipe = LRISCPipeline.from_config(**TINY, options={"num_inference_steps": 2, **options})
    with torch.no_grad():
        pipe.transform.g_e[-1].weight.mul_(10.0)
        pipe.transform.g_e[-1].bias.mul_(10.0)
    return pipe.eval()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lrisc") / "model"
    tiny_pipeline().save_pretrained(folder)
    return folder


def images(n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    # smooth-ish pictures: a low-resolution random field upsampled
    low = torch.rand(n, 3, 4, 4, generator=g)
    return torch.nn.functional.interpolate(low, size=(SIZE, SIZE), mode="bilinear", align_corners=False)


# ------------------------------------------------------------------------------- hyper-latent
def test_range_coded_hyper_latent_decodes_to_the_same_symbols():
    torch.manual_seed(0)
    tr = HyperpriorTransform(**TINY["transform"]).eval()
    with torch.no_grad():
        # train the quantiles a little so the CDFs are non-trivial; scale z so y spans many symbols
        z = 4.0 * torch.randn(3, 8, 8, 8)
        strings, y_hat = tr.compress_hyper(z)
        y = tr.h_e(z)
        medians = tr.entropy_bottleneck.quantiles[:, 0, 1].reshape(1, -1, 1, 1)
        expected = torch.round(y - medians) + medians        # CompressAI's symbols: round(y - median)
    assert all(isinstance(s, bytes) and len(s) > 0 for s in strings)
    assert torch.equal(y_hat, expected)
    assert torch.equal(tr.decompress_hyper(strings, y.shape[-2:]), expected)
    assert tr.hyper_shape(32, 32) == tuple(y.shape[1:])


def test_side_information_round_trip_and_its_cost():
    """y's symbols and the length indexes in one rANS stream: the receiver gets back exactly the
    transmitter's y_hat (hence prior) and indexes; a well-predicted index costs little."""
    from semcom.models.lrisc.side_info import BETA_GRID, snap_beta
    pipe = tiny_pipeline()
    x = images(3)
    out = pipe.encode(x, 5.0, beta=0.02)
    a = pipe.analyse(x)
    assert out["beta"] == snap_beta(0.02)[1] and abs(math.log(out["beta"] / 0.02)) < math.log(BETA_GRID[1] / BETA_GRID[0])
    for i in range(3):
        index, (mu, sigma), beta = pipe.read_side(out["side"][i], (SIZE, SIZE))
        assert torch.equal(index[0], out["index"][i]) and beta == out["beta"]
        # (h_d on one image vs on the batch: equal up to float rounding)
        assert torch.allclose(mu[0], a["mu"][i], atol=1e-5) and torch.allclose(sigma[0], a["sigma"][i], atol=1e-5)
    # the indexes are coded around the prediction: all predictions right -> far below n raw bits
    coder = pipe.side_coder
    eb = pipe.transform.entropy_bottleneck
    code = snap_beta(0.02)[0]
    predicted = coder.predicted_index(a["sigma"], out["beta"])
    right = coder.encode(a["y"], predicted, code, predicted)
    wrong = coder.encode(a["y"], (predicted + 2) % 4, code, predicted)
    y_only = eb.compress(a["y"])
    for r, wr, yo in zip(right, wrong, y_only):
        assert len(r) - 1 - len(yo) < 64 * 2 / 8 / 2          # < 1 bit per patch (2 raw bits)
        assert len(wr) > len(r)
    with pytest.raises(ValueError, match="shorter"):
        pipe.read_side(b"\x05\x01", (SIZE, SIZE))


# ------------------------------------------------------------------------------- allocation
def test_bandwidth_is_monotone_in_information_and_uses_only_allowed_lengths():
    lengths = [2, 4, 6, 8, 10, 12, 14, 16]
    bits = torch.rand(1000) * 120
    for beta in (0.05, 0.2, 1.0):
        q = allocate(bits, beta, lengths)
        k = torch.tensor(lengths)[q]
        assert set(k.tolist()) <= set(lengths)
        order = torch.argsort(bits)
        assert bool((k[order].diff() >= 0).all())                       # monotone in -log p
        # nearest allowed length to beta * bits (ties to the larger), by brute force
        target = beta * bits.double()
        dist = (torch.tensor(lengths, dtype=torch.float64)[None, :] - target[:, None]).abs()
        best = torch.tensor([max(j for j in range(len(lengths)) if dist[i, j] == dist[i].min())
                             for i in range(len(bits))])
        assert torch.equal(q, best)
    # more beta never gives fewer channel uses
    k_lo = torch.tensor(lengths)[allocate(bits, 0.1, lengths)]
    k_hi = torch.tensor(lengths)[allocate(bits, 0.3, lengths)]
    assert bool((k_hi >= k_lo).all())
    with pytest.raises(ValueError, match="beta"):
        allocate(bits, 0.0, lengths)
    with pytest.raises(ValueError, match="2\\^n"):
        VariableLengthJSCC(latent_channels=8, lengths=[1, 2, 3], dim=16, num_heads=2)


# ------------------------------------------------------------------------------- power
def test_symbols_have_unit_average_power_over_the_used_channel_uses():
    pipe = tiny_pipeline()
    out = pipe.encode(images(3), 7.0, beta=0.3)
    s, uses = out["symbols"], out["uses"].flatten(1)
    assert s.shape == (3, 64, 8)
    for i in range(3):
        k = uses[i]
        assert float(s[i].square().sum() / k.sum()) == pytest.approx(1.0, rel=1e-5)   # (1/K) sum |s|^2 = P = 1
        pad = torch.arange(8)[None, :] >= 2 * k[:, None]
        assert bool((s[i][pad] == 0).all())


# ------------------------------------------------------------------------------- codec accounting
def test_channel_uses_are_the_patch_lengths_plus_the_side_information(model_dir):
    codec = get_codec("lrisc", model_dir=str(model_dir), beta=0.25)
    x = images(2)
    msg = codec.encode(x, CSI.from_snr(10.0, 2))
    ref = codec.pipe.encode(x, torch.full((2,), 10.0), beta=0.25)   # the pipeline alone
    k_analog = ref["uses"].flatten(1).sum(1)
    side_bits = torch.tensor([8 * len(s) for s in ref["side"]])
    side_uses = torch.tensor([DigitalTransmitter("bpsk-1/2").channel_uses(int(n)) for n in side_bits])
    assert torch.equal(msg.streams["s"].lengths, 2 * k_analog)
    assert torch.equal(msg.streams["side"].lengths, side_bits)
    assert torch.equal(msg.channel_uses(), k_analog + side_uses)
    assert torch.allclose(msg.cbr(), (k_analog + side_uses).double() / (3 * SIZE * SIZE))
    # a larger beta spends more channel uses (betas placed inside the allowed range 1 ... 4 uses)
    mean_bits = float(ref["bits_z"].mean())
    ks = []
    assert mean_bits > 10
    for beta in (1.5 / mean_bits, 3.0 / mean_bits):
        ks.append(get_codec("lrisc", model_dir=str(model_dir), beta=beta).encode(x, CSI.from_snr(10.0, 2)).channel_uses())
    assert bool((ks[1] >= ks[0]).all()) and bool((ks[1] > ks[0]).any())
    # a target mean CBR picks the grid beta whose mean K is closest: no neighbour on the grid is closer
    from semcom.models.lrisc.side_info import BETA_GRID, snap_beta
    pixels = 3 * SIZE * SIZE
    for per_patch in (1.5, 3.5):
        target = float(side_uses.double().mean() + 64 * per_patch) / pixels
        c = get_codec(f"lrisc:cbr={target}", model_dir=str(model_dir))
        got = float(c.encode(x, CSI.from_snr(10.0, 2)).channel_uses().double().mean())
        code = snap_beta(c.last_beta)[0]
        for other in (code - 1, code + 1):
            k = get_codec("lrisc", model_dir=str(model_dir), beta=float(BETA_GRID[other])).encode(
                x, CSI.from_snr(10.0, 2)).channel_uses().double().mean()
            assert abs(got - target * pixels) <= abs(float(k) - target * pixels)
        assert abs(got - target * pixels) < 0.05 * target * pixels
        # calibrating on the set gives the same grid value; last_bits is the information content
        assert get_codec("lrisc", model_dir=str(model_dir)).calibrate_beta(x, target) == c.last_beta
        assert torch.allclose(c.last_bits, ref["bits_z"].flatten(1).sum(1) + ref["bits_y"])


# ------------------------------------------------------------------------------- folders
def test_save_load_round_trip_and_damaged_folders_are_refused(model_dir, tmp_path):
    import shutil
    a = LRISCPipeline.from_pretrained(model_dir)
    b = LRISCPipeline.from_pretrained(model_dir)
    x = images(1)
    ea, eb = a.encode(x, 5.0), b.encode(x, 5.0)
    assert torch.equal(ea["symbols"], eb["symbols"]) and ea["side"] == eb["side"]
    ref = tiny_pipeline()                       # the same seed as the saved model
    for name in ("transform", "jscc", "unet"):
        saved, made = getattr(a, name).state_dict(), getattr(ref, name).state_dict()
        assert saved.keys() == made.keys() and all(torch.equal(saved[k], made[k]) for k in made)
    er = ref.encode(x, 5.0)
    # (the attention kernels of a module built here and one loaded by diffusers differ by ~1e-8)
    assert torch.allclose(er["symbols"], ea["symbols"], atol=1e-6) and er["side"] == ea["side"]
    assert json.loads((model_dir / "pipeline_config.json").read_text())["num_inference_steps"] == 2

    def damaged(edit):
        folder = tmp_path / f"copy{len(list(tmp_path.iterdir()))}"
        shutil.copytree(model_dir, folder)
        edit(folder)
        return folder

    def drop_tensor(folder):
        f = folder / "jscc" / "diffusion_pytorch_model.safetensors"
        state = load_file(str(f))
        state.pop("dec_out.weight")
        save_file(state, str(f))
        (folder / "jscc" / "checksums.json").unlink()

    def reshape_tensor(folder):
        f = folder / "unet" / "diffusion_pytorch_model.safetensors"
        state = load_file(str(f))
        state["conv_in.weight"] = torch.zeros(16, 3, 5, 5)
        save_file(state, str(f))
        (folder / "unet" / "checksums.json").unlink()

    def edit_options(folder):
        p = folder / "pipeline_config.json"
        p.write_text(p.read_text().replace('"beta": 0.2', '"beta": 0.3'))

    with pytest.raises(ValueError, match="missing weights: dec_out.weight"):
        LRISCPipeline.from_pretrained(damaged(drop_tensor))
    with pytest.raises(ValueError, match="wrong shape: conv_in.weight"):
        LRISCPipeline.from_pretrained(damaged(reshape_tensor))
    with pytest.raises(ValueError, match="edited or damaged"):
        LRISCPipeline.from_pretrained(damaged(edit_options))
    with pytest.raises(FileNotFoundError, match="no LRISC model"):
        get_codec("lrisc", model_dir=str(tmp_path / "nowhere"))


# ------------------------------------------------------------------------------- DDIM
@pytest.mark.parametrize("steps", [1, 4, 25])
def test_ddim_x0_sampler_matches_the_closed_form_for_gaussian_data(steps):
    """Data x0 ~ N(m, s^2) per pixel, the exact x0 predictor E[x0 | x_t] = m + sqrt(a) s^2 (x_t -
    sqrt(a) m) / (a s^2 + 1 - a). A deterministic DDIM step t -> t' then maps r = x - sqrt(a) m to
    r' = r (sqrt(a' a) s^2 + sqrt((1 - a')(1 - a))) / (a s^2 + 1 - a), ending at a = 1."""
    m, s = 0.3, 0.2
    sched = default_scheduler()
    alphas = sched.alphas_cumprod.double()
    n_train = sched.config.num_train_timesteps
    seen = []

    def oracle(x, t_cont, cond):
        t = float(t_cont) * n_train
        assert abs(t - round(t)) < 1e-3                          # the network sees t / N_train
        t = int(round(t))
        seen.append(t)
        a = alphas[t]
        x0 = m + a.sqrt() * s ** 2 * (x.double() - a.sqrt() * m) / (a * s ** 2 + 1 - a)
        assert float(x0.abs().max()) < 1.0                        # clipping to [-1, 1] stays inactive
        return x0.to(x.dtype)

    noise = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    out = ddim_sample(oracle, sched, torch.zeros(2, 1, dtype=torch.float64), (3, 4, 4), steps, noise=noise)

    ts = seen
    assert len(ts) == steps and ts[0] == n_train - 1 and ts == sorted(ts, reverse=True)
    r = noise - alphas[ts[0]].sqrt() * m
    for i, t in enumerate(ts):
        a = alphas[t]
        a_next = alphas[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, dtype=torch.float64)
        r = r * ((a_next * a).sqrt() * s ** 2 + ((1 - a_next) * (1 - a)).sqrt()) / (a * s ** 2 + 1 - a)
    assert torch.allclose(out.double(), m + r, atol=1e-5)
    with pytest.raises(ValueError, match=">= 1"):
        ddim_sample(oracle, sched, torch.zeros(1, 1), (3, 4, 4), 0)


# ------------------------------------------------------------------------------- end to end
def test_codec_end_to_end_over_awgn_and_lost_frames(model_dir):
    codec = get_codec("lrisc:steps=2,beta=0.02", model_dir=str(model_dir))
    x = images(2)
    msg = codec.encode(x, CSI.from_snr(8.0, 2))
    sent = codec.pipe.encode(x, torch.full((2,), 8.0), beta=0.02)
    assert len(sent["uses"].unique()) >= 3                            # the patches really differ in length
    gen = torch.Generator().manual_seed(3)
    rx, csi = send_message(msg, "awgn", 8.0, generator=gen)
    assert bool(rx.streams["side"].ok.all())
    out = codec.decode(rx, csi)
    assert out.shape == x.shape and bool(((out >= 0) & (out <= 1)).all())
    assert codec.last_failures == [None, None]
    assert not torch.allclose(out[0], torch.full_like(out[0], 0.5))
    assert torch.equal(codec.decode(rx, csi), out)                # the sampling noise is seeded
    # the same received message through the pipeline directly
    assert torch.equal(sent["uses"].flatten(1).sum(1) * 2, rx.streams["s"].lengths)

    # nearly noise-free, the codec parses the frame back into what the pipeline sent, patch by patch
    clean, clean_csi = send_message(get_codec("lrisc:steps=2,beta=0.02", model_dir=str(model_dir)).encode(
        x, CSI.from_snr(60.0, 2)), "awgn", 60.0, generator=gen)
    sent60 = codec.pipe.encode(x, torch.full((2,), 60.0), beta=0.02)
    parsed = codec.parse(clean)
    assert parsed["good"] == [0, 1]
    assert torch.equal(parsed["index"], sent60["index"])
    assert torch.allclose(parsed["prior"][1], codec.pipe.analyse(x)["sigma"], atol=1e-5)
    assert torch.allclose(parsed["symbols"], sent60["symbols"], atol=0.02)   # noise std 1e-3 per real

    # a failed CRC on the side information: the image is lost (grey), never decoded
    bad = rx.streams["side"].block_ok.clone()
    bad[1, 0] = False
    rx.streams["side"].block_ok = bad
    lost = codec.decode(rx, csi)
    assert codec.last_failures == [None, "crc"]
    assert torch.equal(lost[1], torch.full_like(lost[1], 0.5))
    assert torch.allclose(lost[0], out[0], atol=1e-5)        # image 0 decodes alike alone (float rounding)
    # lengths that do not add up to the analog stream: lost as well
    rx.streams["side"].block_ok = None
    rx.streams["s"].lengths = rx.streams["s"].lengths - torch.tensor([0, 2])
    codec.decode(rx, csi)
    assert codec.last_failures[0] is None and codec.last_failures[1].startswith("side: the lengths add up")
    # far below the side information's threshold every frame is lost
    rx, csi = send_message(msg, "awgn", -15.0, generator=gen)
    codec.decode(rx, csi)
    assert codec.last_failures == ["crc", "crc"]


def test_bad_input_gets_a_clear_error(model_dir):
    codec = get_codec("lrisc", model_dir=str(model_dir))
    with pytest.raises(ValueError, match="SNR-adaptive"):
        codec.encode(images(1))
    with pytest.raises(ValueError, match="multiples of 8"):
        codec.encode(torch.rand(1, 3, 36, 32), CSI.from_snr(5.0, 1))
    with pytest.raises(ValueError, match="beta or cbr"):
        get_codec("lrisc:beta=0.2,cbr=0.1", model_dir=str(model_dir))
    with pytest.raises(ValueError, match="beta"):
        get_codec("lrisc:beta=-1", model_dir=str(model_dir))
    with pytest.raises(ValueError, match="unknown option"):
        get_codec("lrisc:lambda=1", model_dir=str(model_dir))
    msg = codec.encode(images(1), CSI.from_snr(5.0, 1))
    msg.streams.pop("side")
    with pytest.raises(ValueError, match="streams 's' and 'side'"):
        codec.decode(msg, CSI.from_snr(5.0, 1))


def test_snr_modulation_steers_both_ends_and_can_be_bypassed():
    pipe = tiny_pipeline()
    jscc = pipe.jscc
    z = torch.randn(2, 8, 8, 8)
    index = torch.randint(0, 4, (2, 8, 8))
    with torch.no_grad():
        a, b = jscc.encode(z, index, 0.0), jscc.encode(z, index, 20.0)
        assert not torch.allclose(a, b)
        prior = (torch.zeros_like(z), torch.ones_like(z))
        assert not torch.allclose(jscc.decode(a, index, 0.0, prior), jscc.decode(a, index, 20.0, prior))
        jscc.snr_bypass = True
        assert torch.equal(jscc.encode(z, index, 0.0), jscc.encode(z, index, 20.0))
        jscc.snr_bypass = False
    # the U-Net's condition enters through zero-initialised projections: no effect at first, an
    # effect once they are trained
    unet = pipe.unet
    x, t = torch.randn(1, 3, SIZE, SIZE), torch.tensor([0.5])
    with torch.no_grad():
        assert torch.equal(unet(x, t, torch.zeros(1, 8, 8, 8)), unet(x, t, torch.randn(1, 8, 8, 8)))
        for proj in unet.cond_proj:
            proj.weight.normal_(std=0.1)
        assert not torch.allclose(unet(x, t, torch.zeros(1, 8, 8, 8)), unet(x, t, torch.randn(1, 8, 8, 8)))


def test_training_script_runs_every_stage_and_exports_a_loadable_model(tmp_path):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "scripts" / "train_lrisc.py"
    spec = importlib.util.spec_from_file_location("train_lrisc", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    run = str(tmp_path / "run")
    common = ["--tiny", "--size", "32", "--batch", "2", "--steps", "1", "--crops-per-chunk", "4", "--run-dir", run]
    with pytest.raises(SystemExit, match="start with `stage1`"):
        script.main(["stage2a"] + common)
    for stage in ("stage1", "stage2a", "stage2b", "stage3"):
        script.main([stage] + common)
        assert (tmp_path / "run" / stage / "checkpoint" / "state.json").is_file()
    state = json.loads((tmp_path / "run" / "stage3" / "checkpoint" / "state.json").read_text())
    assert state["step"] == 1 and state["started_from"] == "stage2b"
    script.main(["stage3"] + common[:-2] + ["--steps", "2", "--run-dir", run])          # resumes to step 2
    assert json.loads((tmp_path / "run" / "stage3" / "checkpoint" / "state.json").read_text())["step"] == 2
    out = tmp_path / "model"
    script.main(["export", "--out", str(out), "--run-dir", run, "--eval-images", "0", "--steps-infer", "2"])
    assert (out / "README.md").is_file() and (out / "checksums.json").is_file()
    codec = get_codec("lrisc", model_dir=str(out))
    assert codec.options["num_inference_steps"] == 2
    y = codec.decode(*send_message(codec.encode(images(1), CSI.from_snr(10.0, 1)), "awgn", 10.0))
    assert y.shape == (1, 3, SIZE, SIZE)


def test_variable_length_message_crosses_the_air_frame(model_dir):
    """One image's LRISC message through the over-the-air frame (header with the streams' lengths,
    OFDM, preamble sync) at 15 dB: the receiver parses the variable-length payload from the header
    and the codec decodes it; a frame whose side information fails its CRC is lost."""
    from semcom.ota import FrameReceiver, FrameTransmitter, noise_voltage
    codec = get_codec("lrisc:beta=0.02", model_dir=str(model_dir))
    msg = codec.encode(images(1), CSI.from_snr(15.0, 1))
    frame = FrameTransmitter().frame(msg, "lrisc", 0)
    rng = np.random.default_rng(0)
    s = np.concatenate([np.zeros(500, np.complex64), frame, np.zeros(2000, np.complex64)])
    s = s + noise_voltage(15.0) / np.sqrt(2) * (rng.standard_normal(len(s)) + 1j * rng.standard_normal(len(s)))
    rx = FrameReceiver()
    got = rx.push(s.astype(np.complex64))
    assert len(got) == 1 and rx.stats["decoded"] == 1
    received = got[0].message
    assert torch.equal(received.streams["s"].lengths, msg.streams["s"].lengths)
    assert torch.equal(received.streams["side"].lengths, msg.streams["side"].lengths)
    assert got[0].extra["uses"]["payload"] == int(msg.channel_uses()[0])
    assert torch.equal(codec.parse(received)["index"], codec.parse(msg)["index"])
    out = codec.decode(received, CSI.from_snr(15.0, 1))
    assert codec.last_failures == [None] and out.shape == (1, 3, SIZE, SIZE)
    received.streams["side"].block_ok = torch.zeros_like(received.streams["side"].block_ok)
    codec.decode(received, CSI.from_snr(15.0, 1))
    assert codec.last_failures == ["crc"]

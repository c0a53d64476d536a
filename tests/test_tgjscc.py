"""Seed 003 (text-guided JSCC), items 1-2: the selective scan, the latent-domain MambaJSCC, its
channel, its folder, the prompt's range coder and the tg-jscc codec's prompt stream and accounting."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from semcom.channels import get_channel
from semcom.csi import CSI
from semcom.models.loading import load_component
from semcom.models.mamba import cross_merge, cross_scan, selective_scan, selective_scan_ref
from semcom.models.tgjscc import LatentMambaJSCC, power_normalize, transmit
from semcom.models.text.prompt_coder import ALPHABET, CaptionModel, PromptCoder, load_prompt_coder
from semcom.phy import AnalogDemapper, AnalogMapper, DigitalTransmitter
from semcom.transport import send_message

TINY = dict(out_channels=4, patch_size=2, dims=(8, 12), depths=(1, 1), d_state=2, expand=1.0, mlp_ratio=1.0,
            csi_dim=4, chunk_size=4)
REPO = Path(__file__).resolve().parents[1]
PROMPT_MODEL = REPO / "models" / "tg-jscc" / "prompt_model.json"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------------------ the scan
def _scan_inputs(b=2, d=6, n=3, length=23, groups=3, big_steps=False, seed=0):
    """Random float64 inputs; ``big_steps`` makes some per-step log-decays reach the floor."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    delta = r(b, d, length) * (4.0 if big_steps else 1.0)
    return dict(u=r(b, d, length), delta=delta, A=-torch.rand(d, n, generator=g, dtype=torch.float64) * 3,
                B=r(b, groups, n, length), C=r(b, groups, n, length), D=r(d), z=r(b, d, length),
                delta_bias=r(d), h0=r(b, d, n))


@pytest.mark.parametrize("chunk", [1, 4, 7, 23, 64])
@pytest.mark.parametrize("big_steps", [False, True])
def test_selective_scan_matches_the_sequential_recurrence(chunk, big_steps):
    """The chunked closed form equals the step-by-step recurrence (float64, random inputs, lengths
    that are and are not multiples of the chunk, groups, an initial state, steps reaching the floor)."""
    args = _scan_inputs(big_steps=big_steps)
    y, h = selective_scan(**args, chunk_size=chunk, return_last_state=True)
    y_ref, h_ref = selective_scan_ref(**args, return_last_state=True)
    assert torch.allclose(y, y_ref, rtol=1e-10, atol=1e-10)
    assert torch.allclose(h, h_ref, rtol=1e-10, atol=1e-10)


def test_selective_scan_gradients_match_the_sequential_recurrence():
    """Training differentiates the chunked form: its gradients with respect to every input equal the
    sequential recurrence's (float64)."""
    args = {k: v.requires_grad_() for k, v in _scan_inputs(big_steps=True, seed=3).items()}
    weights = torch.randn(2, 6, 23, dtype=torch.float64)
    grads = []
    for f, kw in ((selective_scan, {"chunk_size": 5}), (selective_scan_ref, {})):
        y, h = f(**args, **kw, return_last_state=True)
        grads.append(torch.autograd.grad((y * weights).sum() + h.sum(), list(args.values())))
    for name, a, b in zip(args, *grads):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-9), name


def test_selective_scan_reference_is_the_textbook_recurrence():
    """The reference itself against the S6 recurrence written out for one channel and state."""
    a = _scan_inputs(b=1, d=1, n=1, length=9, groups=1)
    a["delta"], a["delta_bias"] = a["delta"] * 0.5, torch.full((1,), -1.0, dtype=torch.float64)   # steps ~0.1 ... 1
    y = selective_scan_ref(a["u"], a["delta"], a["A"], a["B"], a["C"], delta_bias=a["delta_bias"])
    dt = torch.nn.functional.softplus(a["delta"][0, 0] + a["delta_bias"][0])
    assert float((dt * a["A"][0, 0]).min()) > -4.0    # the floor (MAX_LOG_DECAY) is not reached here
    h, out = 0.0, []
    for t in range(9):
        h = math.exp(float(dt[t] * a["A"][0, 0])) * h + float(dt[t] * a["B"][0, 0, 0, t] * a["u"][0, 0, t])
        out.append(h * float(a["C"][0, 0, 0, t]))
    assert np.allclose(y[0, 0].numpy(), out, rtol=1e-12, atol=1e-12)


def test_selective_scan_rejects_bad_shapes_and_overflowing_chunks():
    a = _scan_inputs()
    with pytest.raises(ValueError, match="A must be"):
        selective_scan(**{**a, "A": a["A"][:-1]})
    with pytest.raises(ValueError, match="overflow"):
        selective_scan(**{k: v.float() for k, v in a.items()}, chunk_size=64)


def test_cross_scan_orders_and_merge():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    xs = cross_scan(x)
    assert torch.equal(xs[:, 0], x.reshape(2, 3, 20))
    assert torch.equal(xs[:, 1], x.permute(0, 1, 3, 2).reshape(2, 3, 20))
    assert torch.equal(xs[:, 2], x.reshape(2, 3, 20).flip(-1))
    assert torch.equal(cross_merge(xs, 4, 5), 4 * x)


# ------------------------------------------------------------------------------ model and channel
def test_power_normalisation_gives_unit_power_symbols():
    torch.manual_seed(0)
    model = LatentMambaJSCC(**TINY).eval()
    z = torch.randn(3, 4, 8, 8) * torch.tensor([0.1, 1.0, 10.0])[:, None, None, None]
    x = model.encode(z, torch.tensor([1.0, 10.0, 20.0]))
    assert x.shape == (3, 4, 2, 2) and model.channel_uses(8, 8) == 8
    symbols, scale = AnalogMapper()(x)
    assert torch.allclose((symbols.abs() ** 2).mean(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(scale, torch.ones(3), atol=1e-5)      # the network normalised already
    y = power_normalize(torch.randn(5, 7) * 3)
    assert torch.allclose(y.square().mean(dim=1), torch.full((5,), 0.5), atol=1e-6)


def test_transmit_is_mmse_over_fast_rayleigh():
    """The training channel = mapper, i.i.d. CN(0,1) gain per symbol, noise, the closed-form linear
    MMSE estimate conj(h) y / (|h|^2 + N0), demapper (same draws by the same seed)."""
    x = power_normalize(torch.randn(2, 4, 3, 3))
    out = transmit(x, "rayleigh-fast", 5.0, generator=torch.Generator().manual_seed(7))
    s, scale = AnalogMapper()(x)
    y, csi = get_channel("rayleigh-fast", generator=torch.Generator().manual_seed(7))(s, 5.0)
    no = 10 ** -0.5
    assert csi.gain.shape == s.shape and torch.allclose(csi.noise_var, torch.full((2,), no))
    x_hat = csi.gain.conj() * y / (csi.gain.abs() ** 2 + no)
    assert torch.allclose(out, AnalogDemapper()(x_hat, scale, x.shape[1:]), atol=1e-5)
    # AWGN: no equaliser, y = x + n
    out = transmit(x, "awgn", 5.0, generator=torch.Generator().manual_seed(3))
    y, _ = get_channel("awgn", generator=torch.Generator().manual_seed(3))(AnalogMapper()(x)[0], 5.0)
    assert torch.allclose(out, AnalogDemapper()(y, torch.ones(2), x.shape[1:]), atol=1e-5)


def test_mmse_equaliser_is_the_conditional_mean():
    """For x ~ CN(0, 1) the linear MMSE estimate leaves an error orthogonal to y and of variance
    N0 / (|h|^2 + N0) (closed form), below zero forcing's N0 / |h|^2."""
    from semcom.phy.equalization import mmse_equalize, zf_equalize
    g = torch.Generator().manual_seed(1)
    n = 200_000
    cn = lambda: torch.complex(torch.randn(n, generator=g), torch.randn(n, generator=g)) / math.sqrt(2)
    h = torch.full((1, n), 0.6 - 0.3j, dtype=torch.complex64)
    x, no = cn()[None], 0.2
    y = h * x + math.sqrt(no) * cn()[None]
    x_mmse, mse = mmse_equalize(y, h, no)
    x_zf, _ = zf_equalize(y, h, no)
    closed = no / (abs(0.6 - 0.3j) ** 2 + no)
    assert abs(float((x_mmse - x).abs().square().mean()) - closed) < 0.01 * closed + 3e-3
    assert torch.allclose(mse, torch.full_like(mse, closed))
    assert abs(complex(((x_mmse - x) * y.conj()).mean())) < 5e-3
    assert float((x_zf - x).abs().square().mean()) > float((x_mmse - x).abs().square().mean())


def test_save_load_round_trip_and_rejections(tmp_path):
    torch.manual_seed(0)
    model = LatentMambaJSCC(**TINY).eval()
    folder = tmp_path / "jscc"
    model.save_pretrained(str(folder))
    loaded = load_component(LatentMambaJSCC, folder, "TG-JSCC model")
    z = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        assert torch.equal(model.encode(z, 3.0), loaded.encode(z, 3.0))
        y = model.encode(z, 3.0)
        assert torch.equal(model.decode(y, 3.0, 1.0), loaded.decode(y, 3.0, 1.0))
    weights = folder / "diffusion_pytorch_model.safetensors"
    state = load_file(str(weights))
    missing = dict(state)
    missing.pop("dec_out.weight")
    bad = tmp_path / "missing"
    model.save_pretrained(str(bad))
    save_file(missing, str(bad / weights.name))
    with pytest.raises(ValueError, match="missing weights: dec_out.weight"):
        load_component(LatentMambaJSCC, bad, "TG-JSCC model")
    wrong = tmp_path / "wrong"
    model.save_pretrained(str(wrong))
    config = json.loads((wrong / "config.json").read_text())
    config["out_channels"] = 6
    (wrong / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="wrong shape"):
        load_component(LatentMambaJSCC, wrong, "TG-JSCC model")


def test_bad_latent_sizes_are_rejected():
    model = LatentMambaJSCC(**TINY)
    with pytest.raises(ValueError, match="multiple of 4"):
        model.encode(torch.randn(1, 4, 6, 8), 1.0)
    with pytest.raises(ValueError, match="pass the SNR"):
        model.encode(torch.randn(1, 4, 8, 8))


# ------------------------------------------------------------------------------ prompt coder
def test_caption_model_probabilities_closed_form():
    """Order 1, alpha 1, trained on "ab": P(b | a) = (1 + (1 + 1/257) / 3) / 2 by the formula."""
    m = CaptionModel.fit(["ab"], order=1, alpha=1.0)
    p0_b = (1 + 1 / ALPHABET) / (3 + 1)           # order 0: 3 symbols seen (a, b, end), b once
    assert math.isclose(m.probabilities(b"a")[ord("b")], (1 + p0_b) / (1 + 1), rel_tol=1e-12)
    assert math.isclose(float(m.probabilities(b"xyz").sum()), 1.0, rel_tol=1e-12)


def _captions():
    rows = json.loads((PROMPT_MODEL.parent / "prompt_model_test.json").read_text())
    return [r["caption"] for r in rows] + ["", "Ünïcode, and words the model never saw: zebra-quokka!"]


def test_range_coder_round_trip_and_bits_vs_information():
    """Every caption decodes to what was sent; the code is no longer than an ideal arithmetic code,
    ceil(information) + 1 < information + 2 bits, plus the quantisation of the model's probabilities to
    constriction's fixed point (well under 0.01 bit a symbol)."""
    coder = PromptCoder(CaptionModel.load(PROMPT_MODEL), budget_bits=1 << 12)
    for caption in _captions():
        bits, sent, truncated, lengths = coder.encode([caption])
        assert sent == [caption] and not truncated[0]
        assert coder.decode(bits[0]) == caption
        symbols = len(caption.encode("utf-8")) + 1
        assert lengths[0] <= coder.model.information_bits(caption) + 2 + 0.01 * symbols


def test_prompt_budget_drops_trailing_classes():
    coder = load_prompt_coder(PROMPT_MODEL)
    long = "a photo of a castle, a palace, a suspension bridge, a hand-held computer, a cassette player"
    bits, sent, truncated, lengths = coder.encode([long])
    assert truncated[0] and long.startswith(sent[0]) and lengths[0] <= coder.budget_bits
    assert coder.decode(bits[0]) == sent[0]
    assert bits.shape == (1, coder.budget_bits)


# ------------------------------------------------------------------------------ the codec
@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from semcom.models.ldm.vae import make_vae
    root = tmp_path_factory.mktemp("tgjscc")
    torch.manual_seed(0)
    make_vae(channels=(8, 8, 8, 8), layers_per_block=1, norm_num_groups=4, sample_size=64).save_pretrained(
        str(root / "vae"))
    LatentMambaJSCC(**TINY).save_pretrained(str(root / "jscc"))
    return root


def _codec(folders, **kw):
    from semcom.codecs import get_codec
    return get_codec("tg-jscc", model_dir=folders / "jscc", vae=folders / "vae", prompt_model=PROMPT_MODEL, **kw)


CAPTIONS = ["a photo of a castle, a palace", "a photo of a bee"]


def test_codec_channel_uses_count_the_prompt_stream(folders):
    codec = _codec(folders)
    images = torch.rand(2, 3, 64, 64)
    msg = codec.encode(images, CSI.from_snr(10.0, 2), captions=CAPTIONS)
    k_jscc = LatentMambaJSCC(**TINY).channel_uses(8, 8)
    k_prompt = DigitalTransmitter("qpsk-1/2").channel_uses(codec.coder.budget_bits)
    assert k_prompt == (codec.coder.budget_bits + 24)        # CRC-24A, rate 1/2, 2 bits a symbol
    assert msg.channel_uses().tolist() == [k_jscc + k_prompt] * 2
    assert codec.channel_uses(64, 64) == {"jscc": k_jscc, "prompt": k_prompt, "total": k_jscc + k_prompt}
    assert math.isclose(float(msg.cbr()[0]), (k_jscc + k_prompt) / (3 * 64 * 64))
    off = _codec(folders, prompt=False)
    assert off.encode(images, CSI.from_snr(10.0, 2)).channel_uses().tolist() == [k_jscc] * 2


@pytest.mark.parametrize("channel", ["awgn", "rayleigh-fast"])
def test_codec_prompt_survives_high_snr_and_falls_back_when_lost(folders, channel):
    codec = _codec(folders, link_equalizer="mmse")
    images = torch.rand(2, 3, 64, 64)
    gen = torch.Generator().manual_seed(5)
    msg = codec.encode(images, CSI.from_snr(25.0, 2), captions=CAPTIONS)
    rx, csi = send_message(msg, get_channel(channel, generator=gen), 25.0, equalizer="mmse")
    out = codec.decode(rx, csi)
    assert out.shape == images.shape and torch.isfinite(out).all()
    assert codec.last_prompts == CAPTIONS and codec.last_prompt_lost == [False, False] and codec.prompt_losses == 0
    msg = codec.encode(images, CSI.from_snr(-15.0, 2), captions=CAPTIONS)
    rx, csi = send_message(msg, get_channel(channel, generator=gen), -15.0, equalizer="mmse")
    out = codec.decode(rx, csi)
    assert torch.isfinite(out).all()
    assert codec.last_prompts == ["", ""] and codec.last_prompt_lost == [True, True]
    assert codec.prompt_losses == 2
    assert codec.last_failures == [None, None]      # the image is decoded: not an erasure


def test_codec_zf_link_is_turned_into_mmse(folders):
    """A zero-forcing link plus link_equalizer="zf" gives the decoder what an MMSE link gives it."""
    images = torch.rand(1, 3, 64, 64)
    a, b = _codec(folders, prompt=False, link_equalizer="mmse"), _codec(folders, prompt=False)
    msg = a.encode(images, CSI.from_snr(5.0, 1))
    rx_m, csi_m = send_message(msg, get_channel("rayleigh-fast", generator=torch.Generator().manual_seed(2)), 5.0,
                               equalizer="mmse")
    rx_z, csi_z = send_message(msg, get_channel("rayleigh-fast", generator=torch.Generator().manual_seed(2)), 5.0,
                               equalizer="zf")
    assert torch.allclose(a._received_z(rx_m, csi_m)[0], b._received_z(rx_z, csi_z)[0], atol=1e-4)


def test_codec_rejects_what_does_not_exist(folders):
    with pytest.raises(ValueError, match="ControlNet"):
        _codec(folders, decoder="controlnet")
    codec = _codec(folders, prompt=False)
    with pytest.raises(ValueError, match="multiple of 32"):
        codec.encode(torch.rand(1, 3, 48, 48), CSI.from_snr(1.0, 1))
    with pytest.raises(ValueError, match="CSI"):
        codec.encode(torch.rand(1, 3, 64, 64))


def test_codec_runs_through_the_evaluation_path(folders):
    """The sweep's transmit (encode, send_message, decode) reports K = K_jscc + K_prompt per image and
    keeps every image (no erasure) even when the prompt is lost; the transmitter's captioner (the
    shipped classifier) writes the prompts."""
    from semcom.data import load_images
    from semcom.sweep.rows import transmit as sweep_transmit
    codec = _codec(folders, link_equalizer="mmse")
    images = load_images("test", 64)[:2]
    k = codec.channel_uses(64, 64)["total"]
    for snr in (-15.0, 20.0):
        result = sweep_transmit(codec, images, "rayleigh-fast", snr, equalizer="mmse")
        assert result.channel_uses == [k, k] and result.failures == [None, None]
        assert all(c.startswith("a photo of ") for c in codec.last_captions)
        sent = [codec.coder.fit(c)[0] for c in codec.last_captions]
        assert codec.last_prompts == (["", ""] if snr < 0 else sent)
        assert codec.last_prompt_lost == ([True, True] if snr < 0 else [False, False])


def test_training_script_runs_resumes_and_exports(folders, tmp_path):
    """Two steps, then a resume to four (the checkpoint's step and history continue), an export the
    checked loader reads, and a run folder of another model refused."""
    import repo_scripts
    script = repo_scripts.load("scripts/train_tgjscc.py")
    tiny = ["--vae", str(folders / "vae"), "--out-channels", "4", "--dims", "8,12", "--depths", "1,1",
            "--d-state", "2", "--csi-dim", "4", "--expand", "1", "--mlp-ratio", "1", "--size", "64", "--batch", "2",
            "--crops-per-chunk", "4", "--ckpt-every", "1", "--log-every", "1", "--run-dir", str(tmp_path / "run"),
            "--out", str(tmp_path / "export"), "--eval-images", "2"]
    script.main(tiny + ["--steps", "2", "--no-export"])
    state = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())
    assert state["step"] == 2 and [h["step"] for h in state["history"]] == [1, 2]
    script.main(tiny + ["--steps", "4"])
    state = json.loads((tmp_path / "run" / "checkpoint" / "state.json").read_text())
    assert state["step"] == 4 and [h["step"] for h in state["history"]] == [1, 2, 3, 4]
    model = load_component(LatentMambaJSCC, tmp_path / "export", "TG-JSCC model")
    assert model.config.out_channels == 4 and (tmp_path / "export" / "checksums.json").is_file()
    info = json.loads((tmp_path / "export" / "training.json").read_text())
    assert info["steps"] == 4 and info["k_jscc_at_crop"] == 8
    with pytest.raises(SystemExit, match="another model"):
        script.main([*tiny[:tiny.index("--dims")], "--dims", "8,16", *tiny[tiny.index("--depths"):], "--steps", "5"])

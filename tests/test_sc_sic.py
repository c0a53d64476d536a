"""SC-SIC (seed 000): encoder layout, Stage A/B/pipeline folders, the upstream loader, the codec, the
shipped model."""
from __future__ import annotations

import json
import math
import shutil

import pytest
import torch
from safetensors.torch import save_file

from semcom.channels import get_channel
from semcom.codecs import get_codec
from semcom.codecs.sc_sic import EMBEDDING_BOUND, SCSICCodec, native_image_size
from semcom.transport import ANALOG, Message, Stream, send_message
from semcom.models.sc_sic import EfficientNetEncoder, SCSICPipeline, load_stable_cascade, tiny_effnet_config
from semcom.models.sc_sic import stage_a, stage_b
from semcom.models.sc_sic.pipeline import SAMPLERS, alpha_cumprod, discrete_betas, ratio_from_alpha_cumprod
from safetensors.torch import load_file

import repo_scripts

# shipped model (256 px), 3 test images at 20 dB awgn-real: mean LPIPS 0.482-0.486 over 3 noise and
# sampling seeds, 0.81 against another image's decode; bound = the former + margin
SHIPPED_LPIPS_BOUND = 0.54

# stride 32 like EfficientNetV2-S (for the 512 px accounting), everything tiny
TINY_EFFNET_32 = dict(stages=(("fused", 1, 1, 8, 1), ("fused", 2, 2, 8, 1), ("mbconv", 2, 2, 16, 1),
                              ("mbconv", 2, 2, 16, 1), ("mbconv", 2, 2, 16, 1)),
                      stem_channels=8, head_channels=32, c_latent=16)


def _tiny_decoder(c_hidden=(16, 32), **overrides):
    from diffusers.models.unets.unet_stable_cascade import StableCascadeUNet
    dec = StableCascadeUNet(**{**stage_b.tiny_decoder_config(c_hidden, 16, heads=2), **overrides})
    with torch.no_grad():  # untrained Stage B outputs zeros (clf is zero-initialised): make it act
        for p in dec.clf.parameters():
            p.normal_(0, 0.3)
    return dec


def _tiny_pipeline(sampler="ddim", steps=3, effnet=None, scale=1.0, decoder=None, image_size=None):
    torch.manual_seed(0)
    vq = stage_a.make_vqgan(embed_dim=16, bottleneck_blocks=1, num_vq_embeddings=16)
    ef = effnet or EfficientNetEncoder(**tiny_effnet_config(width=0.5))
    dec = decoder or _tiny_decoder()
    return SCSICPipeline.from_parts(vq.eval(), ef.eval(), dec.eval(), sampler=sampler, steps=steps,
                                    effnet_input_scale=scale, image_size=image_size)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sc-sic-tiny")
    _tiny_pipeline().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def stable_cascade_dir(tmp_path_factory):
    """A tiny model in Stable Cascade's published layout: vqgan/, decoder_lite/ only, scheduler/ and
    the original effnet_encoder.safetensors (EfficientNetV2-S layout, random weights), no
    pipeline_config.json."""
    folder = tmp_path_factory.mktemp("stable-cascade-tiny")
    _tiny_pipeline(sampler="wuerstchen", steps=2).save_pretrained(folder)
    shutil.rmtree(folder / "effnet")
    (folder / "pipeline_config.json").unlink()
    (folder / "model_index.json").unlink()
    (folder / "decoder").rename(folder / "decoder_lite")
    torch.manual_seed(1)
    effnet = EfficientNetEncoder().eval()
    save_file({k: v.contiguous() for k, v in effnet.state_dict().items()}, str(folder / "effnet_encoder.safetensors"))
    return folder


def _images(n=2, size=64, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


# ------------------------------------------------------------------------------ networks
def test_effnet_default_is_efficientnet_v2_s_layout():
    enc = EfficientNetEncoder()
    # torchvision efficientnet_v2_s: 21,458,488 params, of which the classifier has 1280*1000+1000
    assert sum(p.numel() for p in enc.backbone.parameters()) == 21_458_488 - 1_281_000
    keys = set(enc.state_dict())
    for key in ("backbone.0.0.weight", "backbone.0.1.running_var", "backbone.1.0.block.0.0.weight",
                "backbone.2.0.block.1.1.weight", "backbone.4.0.block.2.fc1.weight",
                "backbone.6.14.block.3.0.weight", "backbone.7.0.weight", "mapper.0.weight",
                "mapper.1.running_mean"):
        assert key in keys, key
    assert "mapper.1.weight" not in keys  # BatchNorm2d(affine=False)
    assert enc.downscale == 32 and enc.embedding_shape(384, 384) == (16, 12, 12)


def test_schedule_and_ratio_inverse():
    t = torch.linspace(0.05, 0.95, 7)
    assert torch.allclose(ratio_from_alpha_cumprod(alpha_cumprod(t)), t, atol=1e-4)
    betas = torch.tensor(discrete_betas(1000), dtype=torch.float64)
    ac = torch.cumprod(1 - betas, 0)
    assert torch.allclose(ac[[99, 499, 899]].float(), alpha_cumprod(torch.tensor([0.1, 0.5, 0.9])), rtol=1e-4)


# ------------------------------------------------------------------------ folders, loader
def test_save_load_roundtrip_stable_cascade_layout(tiny_dir):
    for sub in ("vqgan", "effnet", "decoder"):
        assert (tiny_dir / sub / "config.json").is_file()
        assert (tiny_dir / sub / "diffusion_pytorch_model.safetensors").is_file()
    assert json.loads((tiny_dir / "scheduler" / "scheduler_config.json").read_text())["_class_name"] == "DDIMScheduler"
    assert (tiny_dir / "model_index.json").is_file()
    x = _images()
    a = _tiny_pipeline()
    b = SCSICPipeline.from_pretrained(tiny_dir)
    for p in (a, b):
        p.effnet.eval()
    za, zb = a.encode(x), b.encode(x)
    assert torch.equal(za, zb)
    ya = a.decode(za, generator=torch.Generator().manual_seed(3))
    yb = b.decode(zb, generator=torch.Generator().manual_seed(3))
    assert torch.equal(ya, yb)
    assert ya.shape == x.shape and float(ya.std()) > 1e-3


def test_resaved_folder_names_no_source_path(tiny_dir, tmp_path):
    """A loaded pipeline saved again (what the training script's exports do) does not record the
    folder it came from: shipped configs must not name this machine's paths."""
    SCSICPipeline.from_pretrained(tiny_dir).save_pretrained(tmp_path / "again")
    configs = list((tmp_path / "again").rglob("*config.json"))
    assert len(configs) == 5  # vqgan, effnet, decoder, scheduler, pipeline
    for path in configs:
        assert str(tiny_dir) not in path.read_text() and "_name_or_path" not in json.loads(path.read_text()), path
    assert SCSICPipeline.from_pretrained(tmp_path / "again").options == SCSICPipeline.from_pretrained(tiny_dir).options


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_samplers_run_and_are_deterministic(tiny_dir, sampler):
    pipe = SCSICPipeline.from_pretrained(tiny_dir)
    z = pipe.encode(_images(1))
    y1 = pipe.decode(z, num_inference_steps=2, sampler=sampler, generator=torch.Generator().manual_seed(1))
    y2 = pipe.decode(z, num_inference_steps=2, sampler=sampler, generator=torch.Generator().manual_seed(1))
    assert y1.shape == (1, 3, 64, 64) and torch.equal(y1, y2) and torch.isfinite(y1).all()


def test_guidance_is_classifier_free_guidance_on_the_embedding(tiny_dir):
    pipe = SCSICPipeline.from_pretrained(tiny_dir)
    z = pipe.encode(_images(2)) * 3.0
    g = lambda: torch.Generator().manual_seed(2)  # noqa: E731
    plain = pipe.decode(z, generator=g(), return_latents=True)
    assert torch.equal(pipe.decode(z, generator=g(), guidance_scale=1.0, return_latents=True), plain)
    # scale 0 is the unconditional model: the same as decoding the all-zero embedding
    assert torch.allclose(pipe.decode(z, generator=g(), guidance_scale=0.0, return_latents=True),
                          pipe.decode(torch.zeros_like(z), generator=g(), return_latents=True), atol=1e-5)
    # one deterministic DDIM step is affine in the noise prediction, so in the scale
    one = lambda s: pipe.decode(z, generator=g(), guidance_scale=s, num_inference_steps=1,  # noqa: E731
                                sampler="ddim", return_latents=True)
    l0, l1, l3 = one(0.0), one(1.0), one(3.0)
    assert not torch.allclose(l0, l1, atol=1e-3)  # the embedding matters
    assert torch.allclose(l3, l0 + 3.0 * (l1 - l0), atol=1e-4)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="guidance_scale"):
            pipe.decode(z, guidance_scale=bad)


def test_codec_guidance_option_and_folder_default(tiny_dir, tmp_path):
    x = _images(1)
    folder = _copy(tiny_dir, tmp_path / "m")
    cfg = json.loads((folder / "pipeline_config.json").read_text())
    (folder / "pipeline_config.json").write_text(json.dumps({**cfg, "guidance_scale": 2.0}))
    from_folder, explicit, plain = (get_codec("sc-sic", model_dir=folder), get_codec(f"sc-sic:guidance=2,model_dir={folder}"),
                                    get_codec("sc-sic", model_dir=tiny_dir))
    assert from_folder.guidance == explicit.guidance == 2.0 and plain.guidance == 1.0
    assert "guidance 2" in explicit.description and "guidance" not in plain.description
    decode = lambda c: c.decode(*send_message(c.encode(x), get_channel("awgn-real", generator=torch.Generator().manual_seed(0)), 20.0))  # noqa: E731
    assert torch.equal(decode(from_folder), decode(explicit)) and not torch.equal(decode(explicit), decode(plain))
    with pytest.raises(ValueError, match="guidance"):
        get_codec("sc-sic", model_dir=tiny_dir, guidance=-0.5)


def test_load_stable_cascade_tiny_folder(tiny_dir):
    ref = SCSICPipeline.from_pretrained(tiny_dir)
    pipe = load_stable_cascade(tiny_dir)
    x = _images()
    z = pipe.encode(x)
    assert torch.equal(z, ref.encode(x))
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    assert torch.equal(pipe.decode(z, generator=g()), ref.decode(z, generator=g()))


def test_load_stable_cascade_original_effnet_file(tmp_path):
    """Stable Cascade ships the encoder as effnet_encoder.safetensors (backbone.* / mapper.*)."""
    pipe = _tiny_pipeline(sampler="wuerstchen", steps=2)
    pipe.save_pretrained(tmp_path)
    import shutil
    shutil.rmtree(tmp_path / "effnet")
    (tmp_path / "pipeline_config.json").unlink()
    torch.manual_seed(1)
    effnet = EfficientNetEncoder().eval()  # EfficientNetV2-S layout, random weights
    save_file({k: v.contiguous() for k, v in effnet.state_dict().items()}, str(tmp_path / "effnet_encoder.safetensors"))
    loaded = load_stable_cascade(tmp_path)
    assert loaded.effnet_input_scale == 0.75 and loaded.options["sampler"] == "wuerstchen"
    x = _images(1, 128)
    ref = effnet(torch.nn.functional.interpolate(x, size=(96, 96), mode="bilinear", antialias=True))
    assert torch.allclose(loaded.encode(x), ref)
    assert loaded.embedding_shape(512, 512) == (16, 12, 12)
    assert loaded.embedding_shape(1024, 1024) == (16, 24, 24)


def test_missing_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_sc_sic.py"):
        SCSICCodec(model_dir=tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="decoder"):
        SCSICPipeline.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="effnet"):
        load_stable_cascade(tmp_path)
    # a folder that is neither layout: the error lists everything missing
    (tmp_path / "vqgan").mkdir()
    with pytest.raises(FileNotFoundError) as err:
        SCSICCodec(model_dir=tmp_path)
    text = str(err.value)
    for part in ("decoder/ (or decoder_lite/)", "scheduler/", "effnet/ (or effnet_encoder.safetensors)",
                 "train_sc_sic.py"):
        assert part in text, text
    assert "vqgan/" not in text.split(": missing ")[1], text
    with pytest.raises(FileNotFoundError, match="decoder_lite/"):
        load_stable_cascade(tmp_path, decoder_subfolder="decoder_lite")


def test_codec_loads_stable_cascade_layout(stable_cascade_dir, tmp_path):
    """The codec runs on Stable Cascade's published layout (effnet_encoder.safetensors, decoder_lite/
    only), through load_stable_cascade, with Stable Cascade's defaults (encoder input at 0.75)."""
    codec = SCSICCodec(model_dir=stable_cascade_dir, steps=1)
    assert codec.pipe.effnet_input_scale == 0.75 and codec.pipe.effnet.downscale == 32
    x = _images(1, 128)
    msg = codec.encode(x)
    assert tuple(msg.streams["z"].data.shape) == (1, 16, 3, 3)  # 128 px -> 96 px -> stride 32
    ref = load_stable_cascade(stable_cascade_dir)
    assert torch.equal(msg.streams["z"].data, ref.encode(x))
    y = codec.decode(msg)
    assert y.shape == x.shape and torch.isfinite(y).all() and codec.last_failures == [None]
    with pytest.raises(ValueError, match="stride 32"):  # 64 px -> 48 px, not a multiple of 32
        codec.encode(_images(1, 64))
    # both decoders present: decoder/ by default, decoder_lite/ on request
    both = _copy(stable_cascade_dir, tmp_path / "both")
    _tiny_decoder((8, 16)).save_pretrained(str(both / "decoder"), safe_serialization=True)
    assert list(SCSICCodec(model_dir=both).pipe.decoder.config.block_out_channels) == [8, 16]
    lite = SCSICCodec(model_dir=both, decoder_subfolder="decoder_lite")
    assert list(lite.pipe.decoder.config.block_out_channels) == [16, 32]
    assert get_codec(f"sc-sic:model_dir={both},decoder_subfolder=decoder_lite").pipe.decoder.config.block_out_channels[0] == 16


def test_missing_or_unexpected_weights_raise(tiny_dir, stable_cascade_dir, tmp_path):
    """diffusers only warns about missing keys (and leaves them random): the loader refuses."""
    folder = _copy(tiny_dir, tmp_path / "m")
    path = folder / "effnet" / "diffusion_pytorch_model.safetensors"
    state = load_file(str(path))
    del state["backbone.0.0.weight"]
    save_file(state, str(path))
    with pytest.raises(ValueError, match=r"effnet.*missing weights: backbone\.0\.0\.weight"):
        SCSICPipeline.from_pretrained(folder)
    with pytest.raises(ValueError, match="backbone.0.0.weight"):
        SCSICCodec(model_dir=folder)
    folder = _copy(tiny_dir, tmp_path / "u")
    path = folder / "vqgan" / "diffusion_pytorch_model.safetensors"
    save_file({**load_file(str(path)), "extra.weight": torch.zeros(2)}, str(path))
    with pytest.raises(ValueError, match=r"vqgan.*unexpected weights: extra\.weight"):
        load_stable_cascade(folder)
    folder = _copy(tiny_dir, tmp_path / "d")
    path = folder / "decoder" / "diffusion_pytorch_model.safetensors"
    state = load_file(str(path))
    dropped = sorted(state)[:7]
    for key in dropped:
        del state[key]
    save_file(state, str(path))
    with pytest.raises(ValueError, match=r"decoder.*missing weights: .*\(7 in all\)"):
        load_stable_cascade(folder)
    # the original encoder file: a missing key, and the wrong network (the tiny encoder's weights)
    folder = _copy(stable_cascade_dir, tmp_path / "o")
    path = folder / "effnet_encoder.safetensors"
    state = load_file(str(path))
    del state["mapper.0.weight"]
    save_file(state, str(path))
    with pytest.raises(ValueError, match=r"effnet_encoder\.safetensors.*missing weights: mapper\.0\.weight"):
        load_stable_cascade(folder)
    tiny = EfficientNetEncoder(**tiny_effnet_config(width=0.5))
    save_file({k: v.contiguous() for k, v in tiny.state_dict().items()}, str(path))
    with pytest.raises(ValueError, match="effnet_encoder.safetensors"):
        load_stable_cascade(folder)


def test_unreadable_weight_files_give_clear_errors(tiny_dir, stable_cascade_dir, tmp_path, capsys):
    from semcom.cli import main
    folder = _copy(tiny_dir, tmp_path / "t")
    path = folder / "decoder" / "diffusion_pytorch_model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated download
    with pytest.raises(ValueError, match=r"cannot (load|read) Stage B .*decoder.*diffusion_pytorch_model\.safetensors") as err:
        SCSICCodec(model_dir=folder)
    assert err.value.__cause__ is not None  # chained to the original error
    code = main(["send", "demo", "--scheme", f"sc-sic:model_dir={folder}", "--baseline", "none", "--size", "64",
                 "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2 and "Error: cannot read Stage B" in captured.err and "Traceback" not in captured.err
    # a weight file missing altogether, an empty config, a garbage original encoder file
    folder = _copy(tiny_dir, tmp_path / "w")
    (folder / "vqgan" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"no Stage A .*weights.*vqgan"):
        SCSICCodec(model_dir=folder)
    folder = _copy(tiny_dir, tmp_path / "c")
    (folder / "effnet" / "config.json").write_text("")
    with pytest.raises(ValueError, match=r"cannot read the encoder .*config.*effnet"):
        SCSICCodec(model_dir=folder)
    folder = _copy(stable_cascade_dir, tmp_path / "g")
    (folder / "effnet_encoder.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(ValueError, match="cannot read Stable Cascade's encoder weights .*effnet_encoder.safetensors"):
        SCSICCodec(model_dir=folder)


def test_stage_b_lite_config_is_the_published_700m_model():
    from diffusers.models.unets.unet_stable_cascade import StableCascadeUNet
    cfg = stage_b.STABLE_CASCADE_LITE_CONFIG
    assert cfg["patch_size"] == 2 and cfg["block_out_channels"] == [320, 576, 1152, 1152]
    with torch.device("meta"):  # no memory, no init cost
        unet = StableCascadeUNet(**cfg)
    assert sum(p.numel() for p in unet.parameters()) == pytest.approx(699.47e6, rel=1e-4)  # "Stage B lite, 700M"


def test_pipeline_config_records_the_native_image_size(tiny_dir, tmp_path):
    assert SCSICPipeline.from_pretrained(tiny_dir).native_image_size == 64  # unknown -> 64
    assert native_image_size(tiny_dir) == 64 and native_image_size(tmp_path / "nothing") == 64
    _tiny_pipeline(image_size=128).save_pretrained(tmp_path)
    assert json.loads((tmp_path / "pipeline_config.json").read_text())["image_size"] == 128
    assert SCSICPipeline.from_pretrained(tmp_path).native_image_size == 128
    assert native_image_size(tmp_path) == 128
    assert SCSICCodec(model_dir=tmp_path).native_image_size == 128


# ---------------------------------------------------------------------- shapes and CR
def test_compression_ratio_accounting():
    # the seed's 512 px setting: [3,512,512] -> [16,12,12] (encoder input 384 px, stride 32)
    pipe = _tiny_pipeline(effnet=EfficientNetEncoder(**TINY_EFFNET_32), scale=0.75)
    assert pipe.embedding_shape(512, 512) == (16, 12, 12)
    z = pipe.encode(_images(1, 512))
    assert tuple(z.shape) == (1, 16, 12, 12)
    msg = Message(streams={"z": Stream(kind=ANALOG, data=z)}, image_shape=(3, 512, 512))
    assert int(msg.channel_uses()[0]) == 1152
    assert float(msg.compression_ratio()[0]) == pytest.approx(3 * 512 * 512 / 2304)
    assert float(msg.compression_ratio()[0]) == pytest.approx(341.33, abs=0.01)
    # the 64 px CPU model: [16,4,4] = 256 reals = 128 complex channel uses, CR 48
    small = _tiny_pipeline()
    z = small.encode(_images(1, 64))
    msg = Message(streams={"z": Stream(kind=ANALOG, data=z)}, image_shape=(3, 64, 64))
    assert tuple(z.shape[1:]) == (16, 4, 4) and int(msg.channel_uses()[0]) == 128
    assert float(msg.compression_ratio()[0]) == pytest.approx(48.0)


# ------------------------------------------------------------------------------ codec
def test_codec_shapes_range_channels(tiny_dir):
    codec = get_codec("sc-sic", model_dir=str(tiny_dir), steps=2)
    x = _images(2)
    msg = codec.encode(x)
    assert list(msg.streams) == ["z"] and msg.streams["z"].kind == ANALOG
    assert tuple(msg.streams["z"].data.shape) == (2, 16, 4, 4)
    for channel in ("awgn-real", "awgn", "rayleigh-block"):
        rx, csi = send_message(msg, get_channel(channel, generator=torch.Generator().manual_seed(0)), 10.0)
        y = codec.decode(rx, csi)
        assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1
        assert codec.last_failures == [None, None]
    assert torch.equal(codec.decode(msg), codec.decode(msg))  # fixed seed: deterministic
    random_codec = SCSICCodec(model_dir=tiny_dir, steps=2, seed=None, sampler="wuerstchen")
    assert not torch.equal(random_codec.decode(msg), random_codec.decode(msg))


def test_codec_errors(tiny_dir):
    codec = SCSICCodec(model_dir=tiny_dir, steps=1)
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        codec.encode(torch.rand(1, 1, 64, 64))
    with pytest.raises(ValueError, match="multiple"):
        codec.encode(torch.rand(1, 3, 60, 60))
    msg = codec.encode(_images(1))
    bad = Message(streams={"z": Stream(kind=ANALOG, data=torch.zeros(1, 16, 3, 3))}, image_shape=(3, 64, 64))
    with pytest.raises(ValueError, match="expected"):
        codec.decode(bad)
    with pytest.raises(ValueError, match="stream 'z'"):
        codec.decode(Message(streams={"y": msg.streams["z"]}, image_shape=(3, 64, 64)))
    with pytest.raises(ValueError, match="sampler"):
        SCSICCodec(model_dir=tiny_dir, sampler="euler")


def test_size_checks_include_patch_size_and_scaled_stride(tmp_path):
    pipe = _tiny_pipeline(decoder=_tiny_decoder(patch_size=2))  # Stage A 4 x patch 2: multiples of 8
    assert pipe.latent_shape(40, 40) == (4, 10, 10)
    with pytest.raises(ValueError, match="multiples of 8 .*patch size 2"):
        pipe.latent_shape(36, 36)
    with pytest.raises(ValueError, match="patch size 2"):  # not a crash in pixel_unshuffle
        pipe.decode(torch.zeros(1, 16, 3, 3), image_size=(36, 36), num_inference_steps=1)
    pipe = _tiny_pipeline(decoder=_tiny_decoder(patch_size=8))  # multiples of 32, encoder stride 16
    pipe.save_pretrained(tmp_path / "p8")
    codec = SCSICCodec(model_dir=tmp_path / "p8", steps=1)
    with pytest.raises(ValueError, match="patch size 8"):
        codec.encode(_images(1, 48))
    assert codec.decode(codec.encode(_images(1, 64))).shape == (1, 3, 64, 64)
    # encoder input resized by 0.75: the stride check applies to the resized side
    scaled = _tiny_pipeline(effnet=EfficientNetEncoder(**TINY_EFFNET_32), scale=0.75)
    scaled.check_image_size(128, 128)  # 96 = 3 x 32
    with pytest.raises(ValueError, match=r"stride 32 \(the encoder sees the image resized by 0.75 to 48x48\)"):
        scaled.check_image_size(64, 64)
    scaled.save_pretrained(tmp_path / "s")
    with pytest.raises(ValueError, match="stride 32"):
        SCSICCodec(model_dir=tmp_path / "s").encode(_images(1, 64))


# ------------------------------------------------------------------------ SNR condition
def test_snr_condition_reaches_every_example_through_sca():
    """A batch of different SNRs gives each example what a call of its own gives (diffusers 0.36's
    ``sca or zeros`` raises on a batch), 0 dB is exactly the sca = 0 a Stage B without the SNR
    always saw, and the SNR changes the prediction."""
    torch.manual_seed(0)
    dec = _tiny_decoder().eval()
    x, z, t = torch.randn(3, 4, 8, 8), torch.randn(3, 16, 2, 2), torch.rand(3)
    snrs = torch.tensor([1.0, 10.0, 20.0])
    with torch.no_grad():
        batched = stage_b.predict_noise(dec, x, t, z, snr_db=snrs)
        single = torch.cat([stage_b.predict_noise(dec, x[i:i + 1], t[i:i + 1], z[i:i + 1], snr_db=float(s))
                            for i, s in enumerate(snrs)])
        plain = stage_b.predict_noise(dec, x, t, z)
        at_zero = stage_b.predict_noise(dec, x, t, z, snr_db=0.0)
    assert type(batched) is torch.Tensor
    assert torch.allclose(batched, single, atol=1e-5)
    assert torch.equal(plain, at_zero)
    assert (batched - plain).flatten(1).abs().amax(1).gt(1e-3).all()
    assert torch.allclose(stage_b.snr_condition([-3.0, 20.0, 80.0], 3),
                          torch.tensor([0.0, 0.5, 1.0]) * stage_b.SCA_AT_MAX_SNR)
    with pytest.raises(ValueError, match="finite"):
        stage_b.snr_condition(float("nan"), 1)
    with pytest.raises(ValueError, match="2 SNR values for a batch of 3"):
        stage_b.snr_condition([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="no 'sca'"):
        stage_b.predict_noise(_tiny_decoder(timestep_conditioning_type=[]), x, t, z, snr_db=5.0)


def test_snr_conditioned_training_trains_the_sca_mapping():
    from semcom.models.sc_sic.pipeline import diffusion_loss
    pipe = _tiny_pipeline()
    images = _images(2)
    grads = {}
    for conditioned in (False, True):
        pipe.decoder.zero_grad(set_to_none=True)
        loss, _ = diffusion_loss(pipe.vqgan, pipe.effnet, pipe.decoder, images, snr_db=torch.tensor([2.0, 15.0]),
                                 generator=torch.Generator().manual_seed(0), train_effnet=False,
                                 snr_conditioning=conditioned)
        loss.backward()
        grads[conditioned] = [p.grad for n, p in pipe.decoder.named_parameters() if "mapper_sca.weight" in n]
    assert grads[True] and all(g is not None and float(g.abs().sum()) > 0 for g in grads[True])
    # without the condition sca is 0: its embedding is constant and only biases can learn from it
    assert all(g is None or float(g[:, :g.shape[1] // 2].abs().sum()) == 0 for g in grads[False])
    with pytest.raises(ValueError, match="needs snr_db"):
        diffusion_loss(pipe.vqgan, pipe.effnet, pipe.decoder, images, snr_conditioning=True)


def test_condition_dropout_trains_on_the_zero_embedding():
    """cond_dropout=1 is the loss of an encoder that outputs zeros (guidance's unconditional input),
    the same noise draws; cond_dropout=0 is the plain loss; anything outside [0, 1] raises."""
    from semcom.models.sc_sic.pipeline import diffusion_loss
    pipe = _tiny_pipeline()
    images = _images(2)

    def effnet(x):  # scaled up so that the untrained Stage B's output depends on the condition
        return 100 * pipe.effnet(x)

    def zero_effnet(x):
        return torch.zeros_like(pipe.effnet(x))

    def loss(effnet, **kw):
        with torch.no_grad():
            return diffusion_loss(pipe.vqgan, effnet, pipe.decoder, images, snr_db=torch.tensor([2.0, 15.0]),
                                  generator=torch.Generator().manual_seed(3), train_effnet=False, **kw)[0]

    dropped, zero, plain = loss(effnet, cond_dropout=1.0), loss(zero_effnet), loss(effnet)
    assert torch.equal(dropped, zero)
    assert torch.equal(loss(effnet, cond_dropout=0.0), plain)
    assert abs(float(dropped - plain)) > 1e-5, (float(dropped), float(plain))  # float noise: ~5e-7
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="cond_dropout"):
            loss(effnet, cond_dropout=bad)


@pytest.fixture(scope="module")
def snr_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sc-sic-snr")
    pipe = _tiny_pipeline(steps=2)
    pipe.options["snr_conditioning"] = True
    pipe.save_pretrained(folder)
    return folder


def test_snr_conditioned_codec_decodes_with_the_receivers_snr(snr_dir, tiny_dir):
    assert json.loads((snr_dir / "pipeline_config.json").read_text())["snr_conditioning"] is True
    codec = SCSICCodec(model_dir=snr_dir)
    assert codec.snr_conditioned and "SNR-conditioned" in codec.description
    msg = codec.encode(_images(2))
    with pytest.raises(ValueError, match="SNR-conditioned: pass the receiver's CSI"):
        codec.decode(msg)
    from semcom.csi import CSI
    z = msg.streams["z"].data
    y = codec.decode(msg, CSI(snr_db=torch.tensor([3.0, 18.0])))
    ref = codec.pipe.decode(z, num_inference_steps=2, generator=torch.Generator().manual_seed(0),
                            snr_db=torch.tensor([3.0, 18.0]))
    assert torch.equal(y, ref)
    assert not torch.equal(y, codec.decode(msg, CSI.from_snr(18.0, 2)))
    # block fading: the SNR after zero forcing (decoder_snr_db), as DeepJSCC's decoder gets it
    faded = CSI(snr_db=torch.tensor([20.0, 20.0]), gain=torch.tensor([0.5 + 0j, 1.0 + 0j]))
    expected = codec.pipe.decode(z, num_inference_steps=2, generator=torch.Generator().manual_seed(0),
                                 snr_db=torch.tensor([20.0 + 20 * math.log10(0.5), 20.0]))
    assert torch.equal(codec.decode(msg, faded), expected)
    # a failed SNR estimate: decoded at the fallback, noted, not a crash
    from semcom.codecs.sc_sic import FALLBACK_SNR_DB
    y_nan = codec.decode(msg, CSI(snr_db=torch.tensor([float("nan"), 18.0])))
    assert codec.last_repairs[0] == f"snr: estimate nan replaced by {FALLBACK_SNR_DB:g} dB"
    assert codec.last_repairs[1] is None and codec.last_failures == [None, None]
    assert torch.equal(y_nan[0], codec.decode(msg, CSI.from_snr(FALLBACK_SNR_DB, 2))[0])
    with pytest.raises(ValueError, match="3 SNR values for a batch of 2"):
        codec.decode(msg, CSI(snr_db=torch.tensor([1.0, 2.0, 3.0])))
    # the pipeline refuses to guess; a Stage B without the condition ignores the SNR
    with pytest.raises(ValueError, match="needs snr_db"):
        codec.pipe.decode(z, num_inference_steps=1)
    plain = SCSICCodec(model_dir=tiny_dir, steps=2)
    assert not plain.snr_conditioned
    assert torch.equal(plain.decode(msg), plain.decode(msg, CSI.from_snr(3.0, 2)))
    # a replacement Stage B (the ablations) is taken as trained without the SNR unless told
    swapped = SCSICCodec(model_dir=snr_dir, decoder_dir=tiny_dir / "decoder")
    assert not swapped.snr_conditioned
    assert get_codec(f"sc-sic:model_dir={snr_dir},snr_conditioning=false").snr_conditioned is False
    assert get_codec(f"sc-sic:model_dir={tiny_dir},snr_conditioning=true").snr_conditioned is True
    with pytest.raises(ValueError, match="snr_conditioning must be true or false"):
        SCSICCodec(model_dir=snr_dir, snr_conditioning="maybe")


@pytest.fixture(scope="module")
def switch_dir(tmp_path_factory):
    """A tiny model with a second Stage B for receiver SNRs of 8 dB and more."""
    folder = tmp_path_factory.mktemp("sc-sic-switch")
    base = _tiny_pipeline(sampler="wuerstchen", steps=2)
    torch.manual_seed(7)
    SCSICPipeline(base.vqgan, base.effnet, base.decoder, base.scheduler,
                  {**base.options, "high_snr_decoder": "clean/decoder", "high_snr_from_db": 8.0},
                  high_snr_decoder=_tiny_decoder().eval()).save_pretrained(folder)
    return folder


def _one_stage_b(pipe, decoder):
    return SCSICPipeline(pipe.vqgan, pipe.effnet, decoder, pipe.scheduler, pipe.options)


def test_high_snr_stage_b_samples_the_examples_at_or_above_the_switch(switch_dir, tmp_path):
    assert (switch_dir / "clean" / "decoder" / "diffusion_pytorch_model.safetensors").is_file()
    pipe = SCSICPipeline.from_pretrained(switch_dir)
    assert pipe.high_snr_from_db == 8.0 and pipe.options["high_snr_decoder"] == "clean/decoder"
    z = pipe.encode(_images(3))
    g = lambda: torch.Generator().manual_seed(4)  # noqa: E731
    low = _one_stage_b(pipe, pipe.decoder).decode(z, generator=g(), guidance_scale=1.5)
    high = _one_stage_b(pipe, pipe.high_snr_decoder).decode(z, generator=g(), guidance_scale=1.5)
    assert not torch.allclose(low, high, atol=1e-2)
    # the same noise draws whichever Stage B samples an example (sub-batches: float rounding only)
    mixed = pipe.decode(z, generator=g(), guidance_scale=1.5, snr_db=torch.tensor([7.9, 8.0, float("nan")]))
    for i, ref in enumerate((low, high, low)):
        assert torch.allclose(mixed[i], ref[i], atol=1e-4), i
    assert torch.allclose(pipe.decode(z, generator=g(), guidance_scale=1.5, snr_db=20.0), high, atol=1e-4)
    assert torch.equal(pipe.decode(z, generator=g(), guidance_scale=1.5), low)  # no SNR: decoder/
    assert pipe.high_snr_examples([1.0, 8.0, 30.0], 3).tolist() == [False, True, True]
    with pytest.raises(ValueError, match="2 SNR values for a batch of 3"):
        pipe.decode(z, snr_db=[10.0, 10.0])
    pipe.set_high_snr_from_db(float("inf"))
    assert pipe.high_snr_from_db is None and not pipe.high_snr_examples(100.0, 1).any()
    with pytest.raises(ValueError, match="nan"):
        pipe.set_high_snr_from_db(float("nan"))
    single = SCSICPipeline.from_pretrained(_without_high_snr_stage_b(switch_dir, tmp_path))
    with pytest.raises(ValueError, match="no high-SNR Stage B"):
        single.set_high_snr_from_db(5.0)
    single.set_high_snr_from_db(float("inf"))  # "never" is true of any model
    assert single.high_snr_from_db is None and single.options["high_snr_decoder"] is None
    # the folder names its subfolder; a missing one or one outside the folder is a clear error
    bad = _copy(switch_dir, tmp_path / "bad")
    shutil.rmtree(bad / "clean")
    with pytest.raises(FileNotFoundError, match="clean/decoder"):
        SCSICPipeline.from_pretrained(bad)
    cfg = json.loads((bad / "pipeline_config.json").read_text())
    for name in ("../decoder", "", 3):
        (bad / "pipeline_config.json").write_text(json.dumps({**cfg, "high_snr_decoder": name}))
        with pytest.raises(ValueError, match="high_snr_decoder must name a subfolder"):
            SCSICPipeline.from_pretrained(bad)


def _without_high_snr_stage_b(folder, tmp_path):
    """A copy of ``folder`` without its high-SNR Stage B."""
    plain = _copy(folder, tmp_path / "plain")
    cfg = json.loads((plain / "pipeline_config.json").read_text())
    (plain / "pipeline_config.json").write_text(json.dumps({**cfg, "high_snr_decoder": None}))
    return plain


def test_codec_switches_stage_b_by_the_receivers_snr(switch_dir):
    from semcom.csi import CSI
    from semcom.codecs.sc_sic import FALLBACK_SNR_DB
    codec = SCSICCodec(model_dir=switch_dir)
    assert "high-SNR Stage B from 8 dB" in codec.description
    msg = codec.encode(_images(2))
    z = msg.streams["z"].data
    pipe = codec.pipe
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    low = _one_stage_b(pipe, pipe.decoder).decode(z, num_inference_steps=2, generator=g())
    high = _one_stage_b(pipe, pipe.high_snr_decoder).decode(z, num_inference_steps=2, generator=g())
    y = codec.decode(msg, CSI(snr_db=torch.tensor([3.0, 18.0])))
    assert torch.allclose(y[0], low[0], atol=1e-4) and torch.allclose(y[1], high[1], atol=1e-4)
    # block fading: the SNR after zero forcing decides (20 dB at gain 0.25 is 8 dB below the switch)
    faded = codec.decode(msg, CSI(snr_db=torch.tensor([20.0, 20.0]), gain=torch.tensor([0.25 + 0j, 1.0 + 0j])))
    assert torch.allclose(faded[0], low[0], atol=1e-4) and torch.allclose(faded[1], high[1], atol=1e-4)
    assert torch.equal(codec.decode(msg), low)  # no CSI: the fine-tuned Stage B, as in the seed
    y_nan = codec.decode(msg, CSI(snr_db=torch.tensor([float("nan"), 18.0])))
    assert codec.last_repairs[0] == f"snr: estimate nan replaced by {FALLBACK_SNR_DB:g} dB"
    assert torch.allclose(y_nan[0], low[0], atol=1e-4) and codec.last_failures == [None, None]
    # options: move the switch, switch it off, or replace Stage B everywhere
    assert torch.equal(get_codec(f"sc-sic:model_dir={switch_dir},high_snr_from_db=inf").decode(
        msg, CSI.from_snr(30.0, 2)), low)
    later = get_codec(f"sc-sic:model_dir={switch_dir},high_snr_from_db=19")
    assert later.pipe.high_snr_from_db == 19.0 and torch.equal(later.decode(msg, CSI.from_snr(18.0, 2)), low)
    swapped = SCSICCodec(model_dir=switch_dir, decoder_dir=switch_dir / "clean" / "decoder")
    assert swapped.pipe.high_snr_from_db is None and "high-SNR" not in swapped.description
    assert torch.equal(swapped.decode(msg), swapped.decode(msg, CSI.from_snr(30.0, 2)))
    with pytest.raises(ValueError, match="cannot be combined"):
        SCSICCodec(model_dir=switch_dir, decoder_dir=switch_dir / "decoder", high_snr_from_db=5)
    with pytest.raises(ValueError, match="high_snr_from_db must be a number"):
        SCSICCodec(model_dir=switch_dir, high_snr_from_db="high")


def test_switch_point_rule():
    choose = repo_scripts.load("scripts/choose_sc_sic_switch.py").choose
    row = lambda snr, mean: {"snr_db": snr, "mean": mean}  # noqa: E731
    assert choose([row(5, 0.02), row(7, -0.001), row(10, -0.02), row(12, -0.03)]) == 7
    # a positive difference above a negative one: the switch is above both
    assert choose([row(5, -0.01), row(7, 0.004), row(10, -0.02)]) == 10
    assert choose([row(5, 0.02), row(10, 0.01)]) == math.inf


def test_switch_script_measures_paired_differences_and_applies_the_choice(switch_dir, tmp_path):
    script = repo_scripts.load("scripts/choose_sc_sic_switch.py")
    run = lambda folder, *extra: script.main(["--model-dir", str(folder), "--snrs", "5,20", "--draws", "2",  # noqa: E731
                                              "--images", "2", "--size", "64", "--threads", "1", *extra])
    # the same weights as both Stage Bs: every paired difference is exactly 0, so never switch
    same = _without_high_snr_stage_b(switch_dir, tmp_path)
    rows, switch = run(same, "--high-snr-decoder", "decoder", "--apply", "--json", str(tmp_path / "s.json"))
    assert [(r["pairs"], r["mean"], r["clean_better"]) for r in rows] == [(4, 0.0, 0), (4, 0.0, 0)]
    assert switch == math.inf
    cfg = json.loads((same / "pipeline_config.json").read_text())
    assert cfg["high_snr_decoder"] == "decoder" and cfg["high_snr_from_db"] is None
    assert json.loads((tmp_path / "s.json").read_text())["command"].endswith("--json " + str(tmp_path / "s.json"))
    # two different Stage Bs: the choice follows the rule on the measured rows and lands in the folder
    folder = _copy(switch_dir, tmp_path / "two")
    rows, switch = run(folder, "--apply")
    assert all(r["mean"] != 0.0 for r in rows) and switch == script.choose(rows)
    saved = json.loads((folder / "pipeline_config.json").read_text())["high_snr_from_db"]
    assert saved == (None if switch == math.inf else switch)


def test_decode_counts_and_repairs_bad_embeddings(tiny_dir):
    codec = SCSICCodec(model_dir=tiny_dir, steps=2)
    msg = codec.encode(_images(4))
    z = msg.streams["z"].data.clone()
    n = z[0].numel()
    z[0, 0, 0, :3] = float("nan")
    z[0, 1, 1, 1] = float("inf")
    z[1] = 1e30                        # huge but finite: Stage B's LayerNorm overflows without clipping
    z[2, :, 0, 0] = -1e30
    z[3] = float("nan")                # nothing received
    bad = Message(streams={"z": Stream(kind=ANALOG, data=z)}, image_shape=msg.image_shape)
    y = codec.decode(bad)
    assert y.shape == (4, 3, 64, 64) and torch.isfinite(y).all() and float(y.min()) >= 0 and float(y.max()) <= 1
    assert codec.last_erased == [4, 0, 0, n] and codec.last_clipped == [0, n, 16, 0]
    assert codec.last_failures[:3] == [None, None, None]  # degraded but delivered
    assert codec.last_failures[3] == f"embedding: all {n} values non-finite"
    assert codec.last_repairs[0] == f"embedding: 4 of {n} non-finite values erased"
    assert codec.last_repairs[1] == f"embedding: {n} values clipped to +-{EMBEDDING_BOUND:g}"
    codec.decode(msg)  # the counters are reset per call
    assert codec.last_repairs == [None] * 4 and codec.last_erased == [0] * 4 and codec.last_failures == [None] * 4


def test_decode_guarantees_finite_output(tiny_dir, monkeypatch):
    codec = SCSICCodec(model_dir=tiny_dir, steps=1)
    msg = codec.encode(_images(2))
    original = codec.pipe.decode

    def broken(*args, **kwargs):
        out = original(*args, **kwargs)
        out[1, 0, :2, :2] = float("nan")
        return out
    monkeypatch.setattr(codec.pipe, "decode", broken)
    y = codec.decode(msg)
    assert torch.isfinite(y).all()
    assert codec.last_failures == [None, "decode: 4 non-finite output values"]


def test_decode_counts_an_overflowing_stage_a(tiny_dir, monkeypatch):
    """+-inf out of Stage A is not clamped into a plausible 0 / 1 before the codec counts it."""
    codec = SCSICCodec(model_dir=tiny_dir, steps=1)
    msg = codec.encode(_images(2))
    original = stage_a.decode_latents

    def overflowing(*args, **kwargs):
        out = original(*args, **kwargs)
        out[0, :, 0, 0] = float("inf")
        out[0, 0, 1, 1] = -float("inf")
        return out
    monkeypatch.setattr(stage_a, "decode_latents", overflowing)
    assert int((~torch.isfinite(codec.pipe.decode(msg.streams["z"].data))).sum()) == 4
    y = codec.decode(msg)
    assert torch.isfinite(y).all() and y[0, :, 0, 0].eq(1).all() and y[0, 0, 1, 1] == 0
    assert codec.last_failures == ["decode: 4 non-finite output values", None]


def test_decode_device_and_empty_batch(tiny_dir, monkeypatch):
    import semcom.models.sc_sic.pipeline as pl
    pipe = SCSICPipeline.from_pretrained(tiny_dir)
    seen = []
    real = pl.randn_tensor
    monkeypatch.setattr(pl, "randn_tensor", lambda *a, **k: seen.append(k.get("device")) or real(*a, **k))
    z = pipe.encode(_images(1))
    pipe.decode(z, num_inference_steps=1, generator=torch.Generator().manual_seed(0))
    assert seen == [z.device]  # the noise goes to the embedding's device (cuda: no CPU latents)
    empty = pipe.decode(torch.zeros(0, 16, 4, 4), image_size=(64, 64), num_inference_steps=1)
    assert empty.shape == (0, 3, 64, 64)
    codec = SCSICCodec(model_dir=tiny_dir, steps=1)
    msg = codec.encode(torch.zeros(0, 3, 64, 64))
    assert tuple(msg.streams["z"].data.shape) == (0, 16, 4, 4)
    assert codec.decode(msg).shape == (0, 3, 64, 64) and codec.last_failures == []


# ---------------------------------------------------------------------- shipped model
def test_shipped_model_quality_and_determinism():
    from semcom.data import load_images
    from semcom.metrics import lpips
    codec = get_codec("sc-sic")
    size = native_image_size()  # the size the shipped model was trained at (pipeline_config.json)
    assert codec.native_image_size == size
    images = load_images("test", size, version=1)[:3]
    msg = codec.encode(images)
    assert tuple(msg.streams["z"].data.shape) == (3, 16, size // 16, size // 16)  # encoder stride 16
    assert float(msg.compression_ratio()[0]) == pytest.approx(48.0)
    rx, csi = send_message(msg, get_channel("awgn-real", generator=torch.Generator().manual_seed(0)), 20.0)
    y = codec.decode(rx, csi)
    own = lpips(images, y)
    assert float(own.mean()) < SHIPPED_LPIPS_BOUND
    # the decode depends on the embedding: each image is closer to its own decode than to the others'
    assert (own < lpips(images, y.roll(1, 0))).all() and (own < lpips(images, y.roll(2, 0))).all()
    assert torch.equal(y, codec.decode(rx, csi))
    assert math.isfinite(float(y.sum()))


def test_shipped_switch_point_is_the_measured_one():
    """models/sc-sic/switch.json (scripts/choose_sc_sic_switch.py) and the folder's switch agree."""
    import semcom
    folder = semcom.models_dir() / "sc-sic"
    measured = json.loads((folder / "switch.json").read_text())
    choose = repo_scripts.load("scripts/choose_sc_sic_switch.py").choose
    assert choose(measured["rows"]) == measured["high_snr_from_db"]
    cfg = json.loads((folder / "pipeline_config.json").read_text())
    assert cfg["high_snr_from_db"] == measured["high_snr_from_db"]
    assert cfg["high_snr_decoder"] == "ablation/decoder"  # the Fig. 8a clean-embedding Stage B
    assert measured["options"] == {k: cfg[k] for k in ("sampler", "num_inference_steps", "guidance_scale")}
    assert get_codec("sc-sic").pipe.high_snr_from_db == cfg["high_snr_from_db"]


def test_image_size_from_options_reads_whole_positive_sizes_only(tmp_path):
    from semcom.codecs.sc_sic import native_image_size
    from semcom.models.sc_sic.pipeline import FALLBACK_IMAGE_SIZE, image_size_from_options
    assert image_size_from_options({"image_size": 128}) == 128
    assert image_size_from_options({"image_size": "256"}) == 256
    for bad in (None, 0, -8, 0.5, True, "big", [128]):
        assert image_size_from_options({"image_size": bad}) == FALLBACK_IMAGE_SIZE, bad
    assert image_size_from_options({}) == FALLBACK_IMAGE_SIZE
    # the codec's file-only reader agrees with the pipeline's property, and survives a broken file
    (tmp_path / "pipeline_config.json").write_text('{"image_size": "96"}')
    assert native_image_size(tmp_path) == 96
    (tmp_path / "pipeline_config.json").write_text("{not json")
    assert native_image_size(tmp_path) == FALLBACK_IMAGE_SIZE


# --------------------------------------------------------------------------- the benchmark script
def _bench_script():
    return repo_scripts.load("scripts/bench_sc_sic.py")


def test_bench_choice_rule_with_a_predictability_bound():
    bench = _bench_script()
    row = lambda steps, t, lp, sd: {"sampler": "s", "steps": steps, "seconds_per_image": t, "lpips": lp,
                                    "pairwise_lpips_std": sd}
    rows = [row(10, 0.6, 0.458, 0.017), row(20, 1.3, 0.440, 0.011), row(40, 2.7, 0.440, 0.009), row(80, 5.0, 0.47, 0.005)]
    assert bench.choose(rows, 0.01)["steps"] == 20                       # fastest within 0.01 LPIPS of the best
    assert bench.choose(rows, 0.01, max_spread=0.01)["steps"] == 40      # ... whose spread is at most 0.01
    assert bench.choose(rows, 0.01, max_spread=0.001)["steps"] == 20     # none is: the LPIPS rule alone


def test_bench_measures_predictability_with_fresh_noise(tiny_dir, tmp_path):
    bench = _bench_script()
    out = tmp_path / "rows.json"
    rows, choice = bench.main(["--model-dir", str(tiny_dir), "--samplers", "wuerstchen", "--steps", "1,2",
                               "--size", "64", "--images", "2", "--timing-images", "1", "--seeds", "1",
                               "--threads", "1", "--spread-images", "1", "--max-spread", "1.0", "--json", str(out)])
    assert [r["steps"] for r in rows] == [1, 2]
    for r in rows:  # 25 decodes with fresh channel and sampling noise differ, but are not unrelated
        assert 0.0 < r["pairwise_lpips_std"] < r["pairwise_lpips_mean"] < 1.0
    assert choice in rows and json.loads(out.read_text())["choice"]["steps"] == choice["steps"]
    again, choice2 = bench.main(["--from-json", str(out), "--max-spread", "1.0"])  # no re-measuring
    assert again == rows and choice2 == choice
    with pytest.raises(SystemExit):
        bench.main(["--model-dir", str(tiny_dir), "--max-spread", "0.01"])

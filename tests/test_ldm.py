"""The shared latent-diffusion base (issue 15): SD 2.1's folder layout through one loader, the
sampler's closed forms (epsilon and v prediction), classifier-free guidance, ControlNet residuals."""
from __future__ import annotations

import json
import shutil

import pytest
import torch
from diffusers import (AutoencoderKL, ControlNetModel, DDIMScheduler, PNDMScheduler, UNet2DConditionModel)

from semcom import models_dir
from semcom.models.ldm import (SD21_UNET_CONFIG, SD21_VAE_CONFIG, LDMPipeline, diffusion_loss, make_scheduler,
                               make_unet, make_vae)
from semcom.models.ldm.pipeline import load_scheduler
from semcom.models.text.text_encoder import TextEncoder, load_tokenizer

SHIPPED_TOKENIZER = models_dir() / "ldm-base" / "tokenizer"


def tiny_bert(hidden=16):
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=24, max_position_embeddings=64)
    return BertModel(cfg).eval()


def tiny_pipeline(prediction_type="epsilon", act=True) -> LDMPipeline:
    """VAE (downscale 8), U-Net (cross-attention 16), BERT (hidden 16) + the shipped tokenizer (L = 32)."""
    torch.manual_seed(0)
    vae = make_vae(channels=(8, 8, 16, 16), norm_num_groups=4, sample_size=32)
    unet = make_unet(channels=(16, 32), cross_attention_dim=16, attention_head_dim=8, sample_size=4,
                     norm_num_groups=4)
    if act:  # untrained U-Nets output zeros (conv_out is zero-initialised): make it act
        with torch.no_grad():
            unet.conv_out.weight.normal_(0, 0.1)
    text = tiny_bert()
    return LDMPipeline(vae.eval(), text, load_tokenizer(SHIPPED_TOKENIZER), unet.eval(),
                       make_scheduler(prediction_type, "ddim"), {"num_inference_steps": 4, "image_size": 32})


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ldm-tiny")
    tiny_pipeline().save_pretrained(folder)
    return folder


def _images(n=2, size=32, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_sd21_configs_are_the_published_models():
    """The SD 2.1 configurations build the published models: 83,653,863 VAE and 865,910,724 U-Net
    parameters (the counts of the stabilityai/stable-diffusion-2-1 checkpoints)."""
    with torch.device("meta"):
        vae = AutoencoderKL.from_config(SD21_VAE_CONFIG)
        unet = UNet2DConditionModel.from_config(SD21_UNET_CONFIG)
    assert sum(p.numel() for p in vae.parameters()) == 83_653_863
    assert sum(p.numel() for p in unet.parameters()) == 865_910_724


def test_round_trip_in_sd21_layout(tiny_dir):
    """save_pretrained -> the folder of SD 2.1's diffusers layout -> from_pretrained gives the same
    latents, images, prompt embeddings and samples (bit for bit)."""
    for part in ("vae", "unet", "text_encoder"):
        assert (tiny_dir / part / "config.json").is_file() and (tiny_dir / part / "checksums.json").is_file()
        assert list((tiny_dir / part).glob("*.safetensors"))
    assert (tiny_dir / "scheduler" / "scheduler_config.json").is_file()
    assert (tiny_dir / "tokenizer" / "tokenizer_config.json").is_file()
    index = json.loads((tiny_dir / "model_index.json").read_text())
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"] and index["text_encoder"] == ["transformers", "BertModel"]
    a, b = tiny_pipeline(), LDMPipeline.from_pretrained(tiny_dir)
    x = _images()
    assert torch.equal(a.encode_images(x), b.encode_images(x))
    z = a.encode_images(x)
    assert torch.equal(a.decode_latents(z), b.decode_latents(z))
    prompts = ["a photo of a ladybug", ""]
    assert torch.equal(a.encode_prompt(prompts), b.encode_prompt(prompts))
    kw = dict(guidance_scale=2.0, num_inference_steps=3)
    assert torch.equal(a(prompts, generator=torch.Generator().manual_seed(3), **kw),
                       b(prompts, generator=torch.Generator().manual_seed(3), **kw))
    assert b.text.max_length == 32 and b.native_image_size == 32


def test_latent_scaling_and_shapes(tiny_dir):
    pipe = LDMPipeline.from_pretrained(tiny_dir)
    x = _images(2, 48)
    z = pipe.encode_images(x)
    assert z.shape == (2, 4, 6, 6)
    raw = pipe.vae.encode(x * 2 - 1).latent_dist.mean
    assert torch.allclose(z, raw * pipe.vae.config.scaling_factor)
    with pytest.raises(ValueError, match="multiples of 8"):
        pipe.encode_images(_images(1, 36))
    img = pipe.sample(pipe.encode_prompt(["x"]), height=40, width=24, num_inference_steps=1)
    assert img.shape == (1, 3, 40, 24) and float(img.min()) >= 0 and float(img.max()) <= 1


def _write_sd21_folder(folder, prediction_type, scheduler_cls):
    """A tiny model written the way the hub's SD 2.1 folder is: every key of SD 2.1's vae / unet
    configs (sizes shrunk), a CLIPTextModel with SD 2.1's text config keys and a CLIP BPE tokenizer,
    the scheduler class and prediction type of SD 2.1 (DDIM, v) or 2.1-base (PNDM, epsilon)."""
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    torch.manual_seed(0)
    vae_cfg = {**SD21_VAE_CONFIG, "block_out_channels": [8, 8, 16, 16], "norm_num_groups": 4, "layers_per_block": 1,
               "sample_size": 32}
    AutoencoderKL.from_config(vae_cfg).save_pretrained(str(folder / "vae"))
    unet_cfg = {**SD21_UNET_CONFIG, "block_out_channels": [8, 8, 16, 16], "attention_head_dim": [1, 1, 2, 2],
                "norm_num_groups": 4, "layers_per_block": 1, "cross_attention_dim": 16, "sample_size": 4}
    UNet2DConditionModel.from_config(unet_cfg).save_pretrained(str(folder / "unet"))
    text_cfg = CLIPTextConfig(vocab_size=60, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                              num_attention_heads=2, max_position_embeddings=77, hidden_act="gelu",
                              projection_dim=16, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    CLIPTextModel(text_cfg).save_pretrained(str(folder / "text_encoder"))
    tok = folder / "tokenizer"
    tok.mkdir()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2, "</w>": 3}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    merges = ["#version: 0.2", "p h", "o t"]
    for m in merges[1:]:
        vocab.setdefault(m.replace(" ", ""), len(vocab))
    (tok / "vocab.json").write_text(json.dumps(vocab))
    (tok / "merges.txt").write_text("\n".join(merges) + "\n")
    (tok / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "!", "do_lower_case": True}))
    sched = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "prediction_type": prediction_type, "set_alpha_to_one": False, "steps_offset": 1,
             "skip_prk_steps": True, "clip_sample": False}
    scheduler_cls.from_config(sched).save_pretrained(str(folder / "scheduler"))
    (folder / "model_index.json").write_text(json.dumps({
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.10.0.dev0",
        "feature_extractor": ["transformers", "CLIPImageProcessor"], "requires_safety_checker": False,
        "safety_checker": [None, None], "scheduler": ["diffusers", scheduler_cls.__name__],
        "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}))
    return folder


@pytest.mark.parametrize("prediction_type,scheduler_cls", [("v_prediction", DDIMScheduler),
                                                           ("epsilon", PNDMScheduler)])
def test_sd21_layout_with_clip_loads_through_the_same_loader(tmp_path, prediction_type, scheduler_cls):
    folder = _write_sd21_folder(tmp_path / "sd21", prediction_type, scheduler_cls)
    pipe = LDMPipeline.from_pretrained(folder)
    assert type(pipe.text_encoder).__name__ == "CLIPTextModel" and pipe.text.max_length == 77
    assert isinstance(pipe.scheduler, scheduler_cls) and pipe.prediction_type == prediction_type
    emb = pipe.encode_prompt(["a photo", ""])
    assert emb.shape == (2, 77, 16)
    assert pipe.make_sampler("ddim").config.prediction_type == prediction_type
    assert pipe.make_sampler("ddpm").config.prediction_type == prediction_type
    img = pipe(["a photo"], num_inference_steps=2, generator=torch.Generator().manual_seed(0))
    assert img.shape == (1, 3, 32, 32) and bool(torch.isfinite(img).all())
    # a damaged component is named by the checked loader
    cfg = json.loads((folder / "unet" / "config.json").read_text())
    cfg["cross_attention_dim"] = 24
    (folder / "unet" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="U-Net"):
        LDMPipeline.from_pretrained(folder)


def test_missing_parts_and_bad_scheduler(tiny_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="unet/"):
        LDMPipeline.from_pretrained(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(tiny_dir, bad)
    cfg = json.loads((bad / "scheduler" / "scheduler_config.json").read_text())
    cfg["prediction_type"] = "sample"
    (bad / "scheduler" / "scheduler_config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="prediction_type"):
        load_scheduler(bad / "scheduler")
    (bad / "text_encoder" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="set-up"):
        LDMPipeline.from_pretrained(bad)


def test_sampler_is_deterministic_for_a_seed(tiny_dir):
    pipe = LDMPipeline.from_pretrained(tiny_dir)
    emb = pipe.encode_prompt(["a photo of a castle", "a photo of a bee"])
    for sampler in ("ddim", "ddpm"):
        one = pipe.sample(emb, sampler=sampler, generator=torch.Generator().manual_seed(5), guidance_scale=3.0)
        two = pipe.sample(emb, sampler=sampler, generator=torch.Generator().manual_seed(5), guidance_scale=3.0)
        other = pipe.sample(emb, sampler=sampler, generator=torch.Generator().manual_seed(6), guidance_scale=3.0)
        assert torch.equal(one, two) and not torch.equal(one, other)


def test_guidance_is_classifier_free_guidance(tiny_dir):
    """scale 1 = the conditional U-Net output alone; scale s = uncond + s (cond - uncond) with the
    empty prompt as the unconditional input; scale 0 = the unconditional output."""
    pipe = LDMPipeline.from_pretrained(tiny_dir)
    x = torch.randn(2, 4, 4, 4, generator=torch.Generator().manual_seed(1))
    t = torch.tensor(500)
    cond = pipe.encode_prompt(["a photo of a castle", "a photo of a bee"])
    empty = pipe.encode_prompt(["", ""])
    with torch.no_grad():
        c = pipe.unet(x, t, encoder_hidden_states=cond).sample
        u = pipe.unet(x, t, encoder_hidden_states=empty).sample
    assert not torch.allclose(c, u)
    assert torch.equal(pipe.predict(x, t, cond, guidance_scale=1.0), c)
    assert torch.allclose(pipe.predict(x, t, cond, guidance_scale=4.0), u + 4.0 * (c - u), atol=1e-5)
    assert torch.allclose(pipe.predict(x, t, cond, guidance_scale=0.0), u, atol=1e-5)
    assert torch.allclose(pipe.empty_prompt(2), empty)


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
@pytest.mark.parametrize("sampler", ["ddim", "ddpm"])
def test_sampler_honours_the_prediction_type(prediction_type, sampler, monkeypatch):
    """An oracle denoiser that knows the clean latent x0 (the exact noise or velocity of every x_t,
    in the scheduler's parametrisation) gives the closed-form end points: deterministic DDIM keeps the
    noise direction eps1 of its first step and ends at SD's last noise level,
    sqrt(a0) x0 + sqrt(1 - a0) eps1 (a0 = alphas_cumprod[0]: SD 2.1's set_alpha_to_one false); spaced
    DDPM's last posterior step has zero variance and ends at x0. A sampler that read v as noise would
    miss both. A warm start from x0 (img2img) ends at sqrt(a0) x0 + sqrt(1 - a0) noise."""
    pipe = tiny_pipeline(prediction_type)
    ac = pipe.scheduler.alphas_cumprod
    x0 = torch.linspace(-1.5, 1.5, 4 * 4 * 4).view(1, 4, 4, 4)

    def oracle(x, t, embeds, control):
        a = ac[t.long()].view(-1, 1, 1, 1)
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        return eps if prediction_type == "epsilon" else a.sqrt() * eps - (1 - a).sqrt() * x0

    monkeypatch.setattr(pipe, "_unet", oracle)
    emb = pipe.encode_prompt(["a photo"])
    noise = torch.randn(1, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    steps = pipe.make_sampler(sampler)
    steps.set_timesteps(10)
    first = int(steps.timesteps[0])
    a0 = ac[0]
    out = pipe.sample(emb, num_inference_steps=10, sampler=sampler, generator=torch.Generator().manual_seed(0),
                      return_latents=True)
    warm = pipe.sample(emb, num_inference_steps=10, sampler=sampler, init_latents=x0, strength=0.5,
                       latents=noise, generator=torch.Generator().manual_seed(0), return_latents=True)
    if sampler == "ddim":
        eps1 = (noise - ac[first].sqrt() * x0) / (1 - ac[first]).sqrt()
        assert torch.allclose(out, a0.sqrt() * x0 + (1 - a0).sqrt() * eps1, atol=1e-4)
        assert torch.allclose(warm, a0.sqrt() * x0 + (1 - a0).sqrt() * noise, atol=1e-4)
    else:
        assert torch.allclose(out, x0, atol=1e-4) and torch.allclose(warm, x0, atol=1e-4)


def test_controlnet_residuals_plug_into_the_sampler(tiny_dir):
    """diffusers' ControlNetModel made from the U-Net: at initialisation its zero convolutions add
    nothing (same samples as without control); once they are non-zero the samples change."""
    pipe = LDMPipeline.from_pretrained(tiny_dir)
    controlnet = ControlNetModel.from_unet(pipe.unet, conditioning_embedding_out_channels=(4, 4, 4, 4)).eval()
    hint = torch.rand(1, 3, 32, 32)
    calls = []

    def control(x, t, embeds):
        calls.append(x.shape[0])
        out = controlnet(x, t, encoder_hidden_states=embeds, controlnet_cond=hint.expand(x.shape[0], -1, -1, -1),
                         return_dict=False)
        return out[0], out[1]

    emb = pipe.encode_prompt(["a photo of a castle"])
    kw = dict(num_inference_steps=3, guidance_scale=2.0)
    plain = pipe.sample(emb, generator=torch.Generator().manual_seed(0), **kw)
    zero = pipe.sample(emb, generator=torch.Generator().manual_seed(0), control=control, **kw)
    assert torch.equal(plain, zero) and calls == [2, 2, 2]   # guidance doubles the batch the control sees
    with torch.no_grad():
        controlnet.controlnet_mid_block.weight.normal_(0, 0.5)
    steered = pipe.sample(emb, generator=torch.Generator().manual_seed(0), control=control, **kw)
    assert not torch.allclose(plain, steered)


def test_diffusion_loss_targets_and_caption_dropout():
    """The loss is the MSE to the noise (epsilon) or to the velocity (v) of the scheduler's forward
    process; caption dropout 1 trains on the empty prompt only, 0 never."""
    pipe = tiny_pipeline()
    images = _images(2)
    cond = pipe.encode_prompt(["a photo of a castle", "a photo of a bee"])
    empty = pipe.empty_prompt(1)
    seen = []
    real_forward = pipe.unet.forward

    def spy(x, t, encoder_hidden_states=None, **kw):
        seen.append(encoder_hidden_states.clone())
        return real_forward(x, t, encoder_hidden_states=encoder_hidden_states, **kw)

    pipe.unet.forward = spy
    for p, want in ((1.0, empty.expand(2, -1, -1)), (0.0, cond)):
        loss, parts = diffusion_loss(pipe.vae, pipe.unet, make_scheduler("epsilon", "ddpm"), images, cond, empty,
                                     caption_dropout=p, generator=torch.Generator().manual_seed(0))
        assert torch.equal(seen[-1], want) and loss.item() > 0
    pipe.unet.forward = real_forward
    # the target: with a U-Net that outputs exactly the target, the loss is 0
    for ptype in ("epsilon", "v_prediction"):
        sched = make_scheduler(ptype, "ddpm")
        g = torch.Generator().manual_seed(7)
        with torch.no_grad():
            lat = pipe.vae.encode(images * 2 - 1).latent_dist.sample(generator=g) * pipe.vae.config.scaling_factor
        t = torch.randint(0, 1000, (2,), generator=g)
        noise = torch.randn(lat.shape, generator=g)
        target = noise if ptype == "epsilon" else sched.get_velocity(lat, noise, t)

        class Oracle(torch.nn.Module):
            config = pipe.unet.config

            def forward(self, x, tt, encoder_hidden_states=None):
                return type("Out", (), {"sample": target})()

        loss, _ = diffusion_loss(pipe.vae, Oracle(), sched, images, cond, empty, caption_dropout=0.0,
                                 generator=torch.Generator().manual_seed(7))
        assert loss.item() < 1e-12


def test_text_encoder_and_unet_must_match():
    pipe = tiny_pipeline()
    with pytest.raises(ValueError, match="cross_attention_dim"):
        LDMPipeline(pipe.vae, tiny_bert(hidden=24), pipe.tokenizer, pipe.unet, pipe.scheduler)
    assert isinstance(pipe.text, TextEncoder)


def test_train_ldm_vae_unet_export_resume(tmp_path):
    """scripts/train_ldm.py end to end at 32 px, two steps per stage: vae (export: scaling factor =
    1 / latent std, PSNR beside SC-SIC's Stage A), unet on its latents with the shipped text encoder
    and given captions (export: samples, patch FID / KID per guidance scale, the chosen scale in
    pipeline_config.json, grid, card), resume without training, export to a model folder that loads."""
    import repo_scripts
    from semcom.data import list_images
    train = repo_scripts.load("scripts/train_ldm.py")
    captions = tmp_path / "captions.json"
    captions.write_text(json.dumps({n: "a photo of a test" for n in list_images("all")}))
    common = ["--size", "32", "--batch", "2", "--steps", "2", "--crops-per-chunk", "4", "--threads", "1",
              "--run-root", str(tmp_path), "--log-every", "1", "--eval-size", "32"]
    vae_state = train.main(["vae", "--vae-channels", "8,8,16,16", "--vae-groups", "4", "--scale-crops", "4"] + common)
    assert vae_state["step"] == 2
    m = json.loads((tmp_path / "vae" / "export" / "metrics.json").read_text())
    vae = AutoencoderKL.from_pretrained(str(tmp_path / "vae" / "export" / "vae"))
    assert abs(vae.config.scaling_factor * m["latent_std"] - 1) < 1e-6 and m["psnr"] > 0
    assert "sc_sic_stage_a" in m and "SC-SIC Stage A" in (tmp_path / "vae" / "export" / "README.md").read_text()
    unet_cmd = ["unet", "--unet-channels", "16,32", "--unet-attention", "1,0", "--unet-head-dim", "8",
                "--unet-groups", "4", "--captions", str(captions), "--eval-samples", "2", "--eval-real", "3", "--eval-guidance", "1,3",
                "--eval-steps", "1"] + common
    state = train.main(unet_cmd)
    assert (tmp_path / "unet" / "chunk_latents.safetensors").is_file()   # 2 steps x 2 crops: one chunk, used twice
    export = tmp_path / "unet" / "export"
    metrics = json.loads((export / "metrics.json").read_text())
    assert set(metrics["guidance"]) == {"1", "3"} and metrics["chosen_guidance_scale"] in (1.0, 3.0)
    pipe = LDMPipeline.from_pretrained(export)
    assert pipe.options["guidance_scale"] == metrics["chosen_guidance_scale"] and pipe.text.hidden_size == 384
    assert (export / "samples.png").is_file() and "patch FID" in (export / "README.md").read_text()
    again = train.main(unet_cmd + ["--no-export"])
    assert again["step"] == 2 and again["train_seconds"] == state["train_seconds"]
    assert again["commands"] == [unet_cmd, unet_cmd + ["--no-export"]]
    out = tmp_path / "model"
    train.main(["export", "--run-root", str(tmp_path), "--out", str(out)])
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["scheduler", "text_encoder", "tokenizer", "unet", "vae"]
    assert torch.equal(LDMPipeline.from_pretrained(out).unet.conv_out.weight, pipe.unet.conv_out.weight)

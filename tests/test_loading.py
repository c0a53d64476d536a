"""The checked model loader (semcom.models.loading): every damaged folder gives one clear error naming
the file and the tensor, for the project's own models and for folders in upstream layouts."""
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from semcom.cli import main
from semcom.codecs import get_codec
from semcom.models.deepjscc import DeepJSCC
from semcom.models.loading import load_component, write_checksums

WEIGHTS = "diffusion_pytorch_model.safetensors"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny DeepJSCC exported as the training script exports one (save_pretrained + checksums)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny") / "deepjscc"
    DeepJSCC(latent_channels=2, num_down=2, channels=(4, 4), snr_adaptive=True, af_hidden=4).save_pretrained(
        str(folder), safe_serialization=True)
    write_checksums(folder)
    return folder


def _copy(folder, dest, checksums=True):
    shutil.copytree(folder, dest)
    if not checksums:
        (dest / "checksums.json").unlink()
    return dest


def _edit_weights(folder, change):
    path = folder / WEIGHTS
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))
    write_checksums(folder)   # the damage is in the tensors, not caught by the checksums alone
    return folder


def test_intact_folder_loads_bit_identical(tiny):
    model = load_component(DeepJSCC, tiny, "DeepJSCC model")
    saved = load_file(str(tiny / WEIGHTS))
    assert set(saved) == set(model.state_dict())
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())
    assert not model.training


@pytest.mark.parametrize("damage,pattern", [
    (lambda s: s.pop("enc_convs.0.weight"), r"missing weights: enc_convs\.0\.weight"),
    (lambda s: s.update(extra=torch.zeros(3)), r"unexpected weights: extra \(in diffusion_pytorch_model"),
    (lambda s: s.update({"enc_convs.0.bias": torch.zeros(5)}),
     r"wrong shape: enc_convs\.0\.bias in diffusion_pytorch_model\.safetensors is \[5\], expected \[4\]"),
    (lambda s: s.update({"enc_convs.0.bias": torch.zeros(4, dtype=torch.int32)}),
     r"wrong type: enc_convs\.0\.bias in diffusion_pytorch_model\.safetensors is I32 \(integer\), "
     r"expected floating point"),
    (lambda s: s["dec_convs.1.weight"].view(-1).__setitem__(3, float("nan")),
     r"tensor dec_convs\.1\.weight holds NaN or Inf"),
])
def test_damaged_weights_are_named(tiny, tmp_path, damage, pattern):
    folder = _edit_weights(_copy(tiny, tmp_path / "m"), damage)
    with pytest.raises(ValueError, match=pattern):
        load_component(DeepJSCC, folder, "DeepJSCC model")


def test_edited_config_is_caught(tiny, tmp_path):
    # num_down 2 -> 1 keeps every tensor shape (only the strides change): the checksum catches it
    folder = _copy(tiny, tmp_path / "edited")
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, "num_down": 1}))
    with pytest.raises(ValueError, match=r"config\.json differs from the file saved with the model"):
        load_component(DeepJSCC, folder, "DeepJSCC model")
    # without a checksum list the structural checks still hold: an unknown key, a bad value, a
    # change that alters the shapes, another class, a config that is not JSON
    cases = [({**cfg, "latnt_channels": 3}, r"keys DeepJSCC does not take: latnt_channels"),
             ({**cfg, "kernel_size": 4}, r"does not build a DeepJSCC: ValueError: kernel_size must be odd"),
             ({**cfg, "channels": "abc"}, r"does not build a DeepJSCC"),
             ({**cfg, "latent_channels": 3}, r"wrong shape: enc_convs\.2\.weight"),
             ({**cfg, "snr_adaptive": False}, r"unexpected weights: dec_af\.0\.mlp\.0\.bias \(in diffusion_pytorch_model\.safetensors\).*\(16 in all\)"),
             ({**cfg, "_class_name": "UNet2DModel"}, r"is for 'UNet2DModel', not DeepJSCC")]
    for i, (config, pattern) in enumerate(cases):
        folder = _copy(tiny, tmp_path / f"c{i}", checksums=False)
        (folder / "config.json").write_text(json.dumps(config))
        with pytest.raises(ValueError, match=pattern):
            load_component(DeepJSCC, folder, "DeepJSCC model")
    folder = _copy(tiny, tmp_path / "garbage", checksums=False)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"cannot read DeepJSCC model config .*config\.json"):
        load_component(DeepJSCC, folder, "DeepJSCC model")


def test_missing_and_unreadable_files(tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match="no DeepJSCC model folder"):
        load_component(DeepJSCC, tmp_path / "none", "DeepJSCC model")
    folder = _copy(tiny, tmp_path / "noweights")
    (folder / WEIGHTS).unlink()
    with pytest.raises(FileNotFoundError, match=r"checksums\.json|no DeepJSCC model weights"):
        load_component(DeepJSCC, folder, "DeepJSCC model")
    folder = _copy(tiny, tmp_path / "truncated", checksums=False)
    data = (folder / WEIGHTS).read_bytes()
    (folder / WEIGHTS).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cannot read DeepJSCC model weights .*diffusion_pytorch_model"):
        load_component(DeepJSCC, folder, "DeepJSCC model")
    folder = _copy(tiny, tmp_path / "flipped")
    data = bytearray((folder / WEIGHTS).read_bytes())
    data[-5] ^= 0x40                                  # one bit of one weight
    (folder / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"diffusion_pytorch_model\.safetensors differs"):
        load_component(DeepJSCC, folder, "DeepJSCC model")


def test_codec_and_cli_refuse_a_missing_tensor(tiny, tmp_path, capsys):
    """The issue's case: a missing tensor used to be initialised at random (exit 0, PSNR 9.8 dB)."""
    folder = _edit_weights(_copy(tiny, tmp_path / "m"), lambda s: s.pop("dec_convs.0.bias"))
    with pytest.raises(ValueError, match=r"missing weights: dec_convs\.0\.bias"):
        get_codec(f"deepjscc:model_dir={folder}")
    code = main(["send", "demo", "--scheme", f"deepjscc:model_dir={folder}", "--baseline", "none",
                 "--size", "32", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "missing weights: dec_convs.0.bias" in err and len(err.strip().splitlines()) == 1


def test_shipped_models_pass_every_check():
    """Every shipped model folder has a checksum list that matches and loads through the checks."""
    from semcom import models_dir
    folders = sorted(p.parent for p in models_dir().glob("**/config.json") if "metrics" not in p.parts)
    assert len(folders) >= 7
    for folder in folders:
        assert (folder / "checksums.json").is_file(), folder
    assert get_codec("deepjscc").model.config.latent_channels >= 1


def test_upstream_layouts_sharded_and_fp16_variant(tmp_path):
    """A diffusers folder as the hub ships upstream models: sharded weights with an index, and an
    fp16 variant beside float32 weights; both load into a float32 model through the same checks."""
    from diffusers import AutoencoderKL
    torch.manual_seed(1)
    vae = AutoencoderKL(block_out_channels=(8, 16), down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=4,
                        layers_per_block=1)
    sharded = tmp_path / "sharded"
    vae.save_pretrained(str(sharded), safe_serialization=True, max_shard_size="20KB")
    assert (sharded / "diffusion_pytorch_model.safetensors.index.json").is_file()
    loaded = load_component(AutoencoderKL, sharded, "VAE")
    assert all(torch.equal(a, b) for a, b in zip(vae.state_dict().values(), loaded.state_dict().values()))
    fp16 = tmp_path / "fp16"
    vae.save_pretrained(str(fp16), safe_serialization=True)
    vae.to(torch.float16).save_pretrained(str(fp16), safe_serialization=True, variant="fp16")
    half = load_component(AutoencoderKL, fp16, "VAE", variant="fp16")
    assert next(half.parameters()).dtype == torch.float32
    index = json.loads((sharded / "diffusion_pytorch_model.safetensors.index.json").read_text())
    first = sorted(set(index["weight_map"].values()))[0]
    (sharded / first).unlink()
    with pytest.raises(FileNotFoundError, match=f"weight shard {first}"):
        load_component(AutoencoderKL, sharded, "VAE")

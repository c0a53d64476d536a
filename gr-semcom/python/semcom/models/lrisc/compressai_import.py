"""CompressAI's entropy models, layers and rANS coder without its optional point-cloud stack.

``compressai/__init__.py`` imports every subpackage, among them the point-cloud datasets and
transforms, which need ``torch_geometric``, ``torchvision`` and ``pandas`` (and those in turn
``xxhash``, a CUDA-free torchvision matching the installed torch, ...). LRISC uses only
``compressai.entropy_models`` (``EntropyBottleneck``, ``GaussianConditional``),
``compressai.layers`` (``GDN``), ``compressai.ops`` and ``compressai.ans`` (the rANS coder and its
C++ CDF builder, ``compressai._CXX``), which import nothing beyond numpy, scipy and torch.

So set-up installs ``compressai==1.2.8`` with ``--no-deps`` (``scripts/setup.sh``), and
:func:`import_compressai` imports the real package when its whole dependency set is there; otherwise
it registers a bare parent package ``compressai`` (the installed package's folder as its path,
plus the three entropy-coder functions of CompressAI's ``__init__``: only ``"ans"``) and imports the
four subpackages from the installed files. Nothing of CompressAI's code is copied or changed.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

INSTALL_HINT = ("LRISC needs CompressAI's entropy models: run scripts/setup.sh, or "
                "`pip install --no-deps compressai==1.2.8`")
SUBMODULES = ("ops", "layers", "entropy_models", "ans")


def _bare_parent(spec) -> types.ModuleType:
    """A ``compressai`` package module that runs none of CompressAI's ``__init__`` imports."""
    module = types.ModuleType("compressai")
    module.__path__ = list(spec.submodule_search_locations)
    module.__file__ = spec.origin
    module.__package__ = "compressai"
    module.__spec__ = spec
    module._entropy_coder = "ans"
    module._available_entropy_coders = ["ans"]

    def get_entropy_coder():
        return module._entropy_coder

    def available_entropy_coders():
        return list(module._available_entropy_coders)

    def set_entropy_coder(name):
        if name not in module._available_entropy_coders:
            raise ValueError(f"invalid entropy coder {name!r}, choose from {module._available_entropy_coders}")
        module._entropy_coder = name

    module.get_entropy_coder = get_entropy_coder
    module.available_entropy_coders = available_entropy_coders
    module.set_entropy_coder = set_entropy_coder
    try:
        from importlib.metadata import version
        module.__version__ = version("compressai")
    except Exception:  # noqa: BLE001 - metadata is informative only
        module.__version__ = "unknown"
    return module


def import_compressai() -> types.ModuleType:
    """The ``compressai`` package with ``entropy_models``, ``layers``, ``ops`` and ``ans`` imported."""
    existing = sys.modules.get("compressai")
    if existing is None:
        spec = importlib.util.find_spec("compressai")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(INSTALL_HINT)
        try:
            existing = importlib.import_module("compressai")
        except ImportError:
            # the optional point-cloud / dataset stack is missing: drop what the failed import left
            for name in [n for n in sys.modules if n == "compressai" or n.startswith("compressai.")]:
                del sys.modules[name]
            existing = _bare_parent(spec)
            sys.modules["compressai"] = existing
    for name in SUBMODULES:
        try:
            importlib.import_module(f"compressai.{name}")
        except ImportError as exc:
            raise ImportError(f"{INSTALL_HINT} ({exc})") from exc
    return existing


__all__ = ["import_compressai", "INSTALL_HINT"]

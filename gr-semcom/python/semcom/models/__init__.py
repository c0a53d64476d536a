"""Neural networks of gr-semcom (weights in ``semcom.models_dir()``).

Submodules are imported on first use, so ``import semcom.models`` stays cheap:
``semcom.models.DeepJSCC`` loads :mod:`semcom.models.deepjscc` (diffusers, torch),
``semcom.models.SCSICPipeline`` loads :mod:`semcom.models.sc_sic`.
"""
import importlib

# attribute -> submodule that defines it
_LAZY = {"DeepJSCC": "deepjscc", "SCSICPipeline": "sc_sic", "load_stable_cascade": "sc_sic",
         "LRISCPipeline": "lrisc"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))

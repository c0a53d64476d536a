"""One checked loader for every model folder (shipped, trained here, or upstream checkpoints).

A model folder in diffusers' layout holds ``config.json`` and safetensors weights
(``diffusion_pytorch_model.safetensors``, ``model.safetensors``, a variant such as
``*.fp16.safetensors``, or shards listed by ``*.safetensors.index.json``). :func:`load_component`
checks everything before and after diffusers loads it, and answers every problem with one
``FileNotFoundError`` (a missing folder, config or weight file) or ``ValueError`` naming the file
and the first tensors or keys at fault:

* ``config.json``: readable JSON object, made for this class (``_class_name``), no key the class
  does not take, values the class accepts;
* the weights' headers (read without loading the data): no missing tensor, no extra tensor, every
  shape as the configuration builds it, every dtype of the right kind (floating point where the
  model has floating point; an upstream fp16 file loads into a float32 model as diffusers casts it);
* ``checksums.json`` when the folder has one (written by :func:`write_checksums` when a model is
  exported here): the SHA-256 of ``config.json`` and of every weight file, so an edited config or a
  damaged weight file is caught even where the shapes still fit;
* after loading: every floating-point tensor finite.

:func:`load_state_dict_checked` applies the same header checks to a plain ``torch.nn.Module`` and
one safetensors file (metric networks, Stable Cascade's original encoder file).
"""
from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

LOAD_ERRORS = (OSError, ValueError, RuntimeError, KeyError, TypeError, SafetensorError)
CHECKSUMS = "checksums.json"
CONFIG = "config.json"
WEIGHT_NAMES = ("diffusion_pytorch_model", "model")
_KIND = {"F": "floating point", "B": "floating point", "I": "integer", "U": "integer"}


# ------------------------------------------------------------------------------- small pieces
def read_json(path, what: str) -> dict:
    """A JSON file as a dict; FileNotFoundError / ValueError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {what} {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what} {path} is not a JSON object")
    return data


def _first(items, n: int = 5) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f", ... ({len(items)} in all)" if len(items) > n else "")


def check_loading_info(info: dict, where, what: str):
    """Raise a ValueError if ``info`` (diffusers' ``output_loading_info`` / torch's
    ``load_state_dict(strict=False)``) lists missing, unexpected or mismatched weights."""
    problems = []
    for key, label in (("missing_keys", "missing"), ("unexpected_keys", "unexpected")):
        if info.get(key):
            problems.append(f"{label} weights: {_first(sorted(info[key]))}")
    if info.get("mismatched_keys"):
        problems.append("weights of the wrong shape: " + _first(str(k[0]) if isinstance(k, (tuple, list)) else str(k)
                                                                  for k in info["mismatched_keys"]))
    if info.get("error_msgs"):
        problems.append("errors: " + "; ".join(str(e) for e in info["error_msgs"][:3]))
    if problems:
        raise ValueError(f"{what} in {where} does not match its configuration: " + "; ".join(problems))


def _dtype_kind(dtype) -> str:
    """'floating point', 'integer' or 'bool' for a torch dtype or a safetensors dtype string."""
    if isinstance(dtype, torch.dtype):
        return "floating point" if dtype.is_floating_point else ("bool" if dtype == torch.bool else "integer")
    return "bool" if dtype == "BOOL" else _KIND.get(dtype[:1], dtype)


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------- weight files
def weight_files(folder, variant: str | None = None, what: str = "model") -> list:
    """The safetensors files diffusers loads from ``folder`` (shards of an index, or one file)."""
    folder = Path(folder)
    suffix = f".{variant}.safetensors" if variant else ".safetensors"
    for stem in WEIGHT_NAMES:
        index = folder / f"{stem}{suffix}.index.json"
        if index.is_file():
            data = read_json(index, "weight index")
            shards = data.get("weight_map")
            if not isinstance(shards, dict) or not shards:
                raise ValueError(f"weight index {index} has no weight_map")
            files = [folder / str(name) for name in dict.fromkeys(shards.values())]
            for f in files:
                if Path(f.name) != Path(str(f.relative_to(folder))) or not f.is_file():
                    raise FileNotFoundError(f"weight shard {f.name} listed in {index} is not in {folder}")
            return files
        single = folder / f"{stem}{suffix}"
        if single.is_file():
            return [single]
    found = sorted(p.name for p in folder.glob("*.safetensors"))
    raise FileNotFoundError(f"no {what} weights {WEIGHT_NAMES[0]}{suffix} (or sharded, or {WEIGHT_NAMES[1]}{suffix}) "
                            f"in {folder}" + (f"; found {_first(found)}" if found else ""))


def tensor_specs(files, what: str = "model") -> dict:
    """``{tensor name: (file name, safetensors dtype, shape)}`` from the files' headers only."""
    specs = {}
    for path in files:
        try:
            with safe_open(str(path), framework="pt") as f:
                for name in f.keys():
                    if name in specs:
                        raise ValueError(f"tensor {name!r} is in both {specs[name][0]} and {Path(path).name}")
                    part = f.get_slice(name)
                    specs[name] = (Path(path).name, part.get_dtype(), tuple(part.get_shape()))
        except (SafetensorError, OSError) as exc:
            raise ValueError(f"cannot read {what} weights {path}: {exc}") from exc
    return specs


def compare_tensors(expected: dict, found: dict, where, what: str, optional=()):
    """Missing, extra, mis-shaped or wrongly typed tensors -> one ValueError naming them.

    ``expected``: ``{name: torch tensor or (dtype, shape)}`` (what the module holds);
    ``found``: :func:`tensor_specs`. Names matching a suffix in ``optional`` may be absent."""
    expected = {k: (v.dtype, tuple(v.shape)) if torch.is_tensor(v) else v for k, v in expected.items()}
    problems = []
    missing = [k for k in expected if k not in found and not k.endswith(tuple(optional))]
    if missing:
        problems.append(f"missing weights: {_first(missing)}")
    extra = [f"{k} (in {found[k][0]})" for k in found if k not in expected]
    if extra:
        problems.append(f"unexpected weights: {_first(extra)}")
    shapes = [f"{k} in {found[k][0]} is {list(found[k][2])}, expected {list(shape)}"
              for k, (_, shape) in expected.items() if k in found and tuple(found[k][2]) != tuple(shape)]
    if shapes:
        problems.append(f"weights of the wrong shape: {_first(shapes, 3)}")
    kinds = [f"{k} in {found[k][0]} is {found[k][1]} ({_dtype_kind(found[k][1])}), expected {_dtype_kind(dtype)}"
             for k, (dtype, _) in expected.items() if k in found and _dtype_kind(found[k][1]) != _dtype_kind(dtype)]
    if kinds:
        problems.append(f"weights of the wrong type: {_first(kinds, 3)}")
    if problems:
        raise ValueError(f"{what} in {where} does not match its configuration: " + "; ".join(problems))


def check_finite(named_tensors, where, what: str):
    """A ValueError naming the first floating-point tensor with NaN or Inf values."""
    for name, t in named_tensors:
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ValueError(f"{what} in {where}: tensor {name} holds NaN or Inf values")


# ------------------------------------------------------------------------------- checksums
def write_checksums(folder, files=None) -> Path:
    """Record the SHA-256 of ``config.json`` and the weight files of a model folder (call after
    ``save_pretrained`` when exporting a model)."""
    folder = Path(folder)
    files = list(files) if files is not None else [folder / CONFIG] + weight_files(folder)
    sums = {Path(f).name: sha256(f) for f in files}
    path = folder / CHECKSUMS
    path.write_text(json.dumps(sums, indent=1, sort_keys=True) + "\n")
    return path


def verify_checksums(folder, what: str):
    """If ``folder`` has ``checksums.json``, every file it lists must be there with that SHA-256."""
    folder = Path(folder)
    path = folder / CHECKSUMS
    if not path.is_file():
        return
    sums = read_json(path, "checksum list")
    for name, digest in sums.items():
        f = folder / name
        if Path(name).name != name or not f.is_file():
            raise FileNotFoundError(f"{what}: {name} listed in {path} is missing")
        if sha256(f) != digest:
            raise ValueError(f"{what}: {f} differs from the file saved with the model (SHA-256 in {path}): "
                             f"edited or damaged")


# ------------------------------------------------------------------------------- configs
def check_config(cls, config: dict, path, what: str):
    """``_class_name`` is ``cls`` and every non-private key is an argument of ``cls.__init__``."""
    name = config.get("_class_name")
    if name is not None and name != cls.__name__:
        raise ValueError(f"{what} config {path} is for {name!r}, not {cls.__name__}")
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    unknown = [k for k in config if not k.startswith("_") and k not in params]
    if unknown:
        raise ValueError(f"{what} config {path} has keys {cls.__name__} does not take: {_first(unknown)}")


def expected_tensors(cls, config: dict, path, what: str) -> dict:
    """``{name: (dtype, shape)}`` of a model built from ``config`` on the meta device (no memory);
    on the CPU for a class that sets ``_build_checks_on_cpu`` (small models whose constructors compute
    on CPU tensors, such as CompressAI's entropy models)."""
    try:
        with torch.device("cpu" if getattr(cls, "_build_checks_on_cpu", False) else "meta"):
            model = cls.from_config(config)
    except (TypeError, ValueError, KeyError, AssertionError, RuntimeError, ZeroDivisionError) as exc:
        raise ValueError(f"{what} config {path} does not build a {cls.__name__}: {type(exc).__name__}: {exc}") from exc
    return {k: (v.dtype, tuple(v.shape)) for k, v in model.state_dict().items()}


# ------------------------------------------------------------------------------- loaders
def load_component(cls, folder, what: str, variant: str | None = None):
    """``cls.from_pretrained(folder)`` (local files only) with every check of the module docstring;
    returns the model in eval mode."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no {what} folder at {folder}")
    config = read_json(folder / CONFIG, f"{what} config")
    files = weight_files(folder, variant, what)
    check_config(cls, config, folder / CONFIG, what)
    compare_tensors(expected_tensors(cls, config, folder / CONFIG, what), tensor_specs(files, what), folder, what)
    verify_checksums(folder, what)     # last: what the structure cannot show (an edited value, a flipped bit)
    try:
        model, info = cls.from_pretrained(str(folder), use_safetensors=True, local_files_only=True, variant=variant,
                                          low_cpu_mem_usage=False, output_loading_info=True)
    except LOAD_ERRORS as exc:
        raise ValueError(f"cannot load {what} from {folder} ({_first(f.name for f in files)}): "
                         f"{type(exc).__name__}: {exc}") from exc
    check_loading_info(info, folder, what)
    check_finite(model.state_dict().items(), folder, what)
    return model.eval()


def load_state_dict_checked(module: torch.nn.Module, path, what: str, rename=None, optional=()) -> torch.nn.Module:
    """Load one safetensors file into ``module`` after the header checks (names after
    ``rename(name)``; module tensors whose names end with a suffix in ``optional`` may be absent)."""
    from safetensors.torch import load_file
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} weights at {path}")
    found = tensor_specs([path], what)
    if rename is not None:
        found = {rename(k): v for k, v in found.items()}
    compare_tensors(module.state_dict(), found, path, what, optional)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"cannot read {what} weights {path}: {exc}") from exc
    if rename is not None:
        state = {rename(k): v for k, v in state.items()}
    check_finite(state.items(), path, what)
    module.load_state_dict(state, strict=False)
    return module


def load_transformers_component(cls, folder, what: str, variant: str | None = None):
    """A ``transformers`` model (``BertModel``, ``CLIPTextModel``, ``Blip2ForConditionalGeneration``
    ...) from a local folder with the same checks as :func:`load_component`: ``config.json`` of the
    class's ``model_type``, the weight headers against the model the configuration builds (tensors
    the class ignores on load, such as ``position_ids`` buffers, may be in the file; tied weights
    may be absent), ``checksums.json``, transformers' own loading report, finite weights."""
    import re
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no {what} folder at {folder}")
    config = read_json(folder / CONFIG, f"{what} config")
    files = weight_files(folder, variant, what)
    config_cls = cls.config_class
    if config.get("model_type") != config_cls.model_type:
        raise ValueError(f"{what} config {folder / CONFIG} has model_type {config.get('model_type')!r}, "
                         f"not {config_cls.model_type!r} ({cls.__name__})")
    try:
        cfg = config_cls.from_dict({k: v for k, v in config.items() if k not in ("_name_or_path",)})
        with torch.device("meta"):
            skeleton = cls(cfg)
    except (TypeError, ValueError, KeyError, AssertionError, RuntimeError, ZeroDivisionError, AttributeError) as exc:
        raise ValueError(f"{what} config {folder / CONFIG} does not build a {cls.__name__}: "
                         f"{type(exc).__name__}: {exc}") from exc
    if hasattr(skeleton, "tie_weights"):
        skeleton.tie_weights()
    state = skeleton.state_dict(keep_vars=True)
    expected = {k: (v.dtype, tuple(v.shape)) for k, v in state.items()}
    ignore = [re.compile(p) for p in (getattr(cls, "_keys_to_ignore_on_load_unexpected", None) or [])]
    ignore.append(re.compile(r"(^|\.)position_ids$"))
    found = {k: v for k, v in tensor_specs(files, what).items()
             if k in expected or not any(p.search(k) for p in ignore)}
    # tied weights (one tensor under several names, e.g. a language model's lm_head and its input
    # embedding) are saved once: a name of a tied group may be absent if another of the group is there
    groups: dict = {}
    for k, v in state.items():
        groups.setdefault(id(v), []).append(k)
    tied_absent = tuple(k for names in groups.values() if len(names) > 1 and any(n in found for n in names)
                        for k in names if k not in found)
    compare_tensors(expected, found, folder, what, optional=tied_absent)
    verify_checksums(folder, what)
    try:
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()
        model, info = cls.from_pretrained(str(folder), local_files_only=True, use_safetensors=True, variant=variant,
                                          output_loading_info=True)
    except LOAD_ERRORS as exc:
        raise ValueError(f"cannot load {what} from {folder} ({_first(f.name for f in files)}): "
                         f"{type(exc).__name__}: {exc}") from exc
    info = dict(info)
    info["unexpected_keys"] = [k for k in info.get("unexpected_keys") or [] if not any(p.search(k) for p in ignore)]
    check_loading_info(info, folder, what)
    check_finite(model.state_dict().items(), folder, what)
    return model.float().eval()


def drop_source_path(subfolder) -> None:
    """diffusers writes ``_name_or_path`` (the folder a model was loaded from) into a re-saved
    config: keep this machine's paths out of a folder meant to be shipped."""
    for name in ("config.json", "scheduler_config.json"):
        path = Path(subfolder) / name
        if path.is_file():
            config = json.loads(path.read_text())
            if config.pop("_name_or_path", None) is not None:
                path.write_text(json.dumps(config, indent=2) + "\n")


def diffusers_version() -> str:
    """The installed diffusers' version (written into a saved pipeline's ``model_index.json``)."""
    import diffusers
    return diffusers.__version__

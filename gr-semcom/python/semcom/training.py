"""Resumable training state for the training scripts: safetensors + JSON, never pickles.

A checkpoint folder ``<run_dir>/checkpoint`` holds one ``<name>.safetensors`` per module, the
optimiser state and the random generators' states in ``optimizer.safetensors`` and the JSON state
(step, history, ...) with the optimiser's param groups in ``state.json``; with an exponential moving
average of the weights (diffusers' ``EMAModel``), also ``<name>.ema.safetensors``. It is written to
``checkpoint.tmp`` and renamed into place, so a session that stops mid-write leaves the previous
checkpoint (or ``checkpoint.old``) intact.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def save_checkpoint(run_dir: Path, modules: dict, opt, state: dict, gens: dict, ema: dict = None) -> None:
    """Write ``modules`` (name -> nn.Module), ``opt``, ``state``, ``gens`` (name -> Generator) and
    ``ema`` (name -> ``EMAModel`` of that module's parameters, see :func:`load_ema`; its update count
    is recorded in ``state["ema_updates"]``)."""
    run_dir = Path(run_dir)
    tmp = run_dir / "checkpoint.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, module in modules.items():
        save_file({k: v.detach().contiguous().clone() for k, v in module.state_dict().items()},
                  str(tmp / f"{name}.safetensors"))
    for name, average in (ema or {}).items():
        names = [k for k, _ in modules[name].named_parameters()]
        save_file({k: v.detach().contiguous().clone() for k, v in zip(names, average.shadow_params)},
                  str(tmp / f"{name}.ema.safetensors"))
        state.setdefault("ema_updates", {})[name] = average.optimization_step
    opt_sd = opt.state_dict()
    tensors = {f"{pid}.{key}": torch.as_tensor(val).detach().clone().contiguous()
               for pid, pstate in opt_sd["state"].items() for key, val in pstate.items()}
    tensors.update({f"rng.{name}": gen.get_state() for name, gen in gens.items()})
    save_file(tensors, str(tmp / "optimizer.safetensors"))
    (tmp / "state.json").write_text(json.dumps({**state, "param_groups": opt_sd["param_groups"]}, indent=1))
    final, old = run_dir / "checkpoint", run_dir / "checkpoint.old"
    if final.exists():
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)


def _checkpoint_dir(run_dir: Path):
    for ckpt in (Path(run_dir) / "checkpoint", Path(run_dir) / "checkpoint.old"):  # .old: interrupted rename
        if (ckpt / "state.json").is_file():
            return ckpt
    return None


def load_checkpoint(run_dir: Path, modules: dict, opt, gens: dict):
    """Restore what :func:`save_checkpoint` wrote; returns the JSON state, or None if there is none."""
    ckpt = _checkpoint_dir(run_dir)
    if ckpt is None:
        return None
    state = json.loads((ckpt / "state.json").read_text())
    for name, module in modules.items():
        module.load_state_dict(load_file(str(ckpt / f"{name}.safetensors")))
    tensors = load_file(str(ckpt / "optimizer.safetensors"))
    opt_state = {}
    for key, val in tensors.items():
        if not key.startswith("rng."):
            pid, name = key.split(".", 1)
            opt_state.setdefault(int(pid), {})[name] = val
    opt.load_state_dict({"state": opt_state, "param_groups": state.pop("param_groups")})
    for name, gen in gens.items():
        if f"rng.{name}" in tensors:
            gen.set_state(tensors[f"rng.{name}"])
    return state


def load_ema(run_dir: Path, modules: dict, decay: float) -> dict:
    """An exponential moving average (diffusers' ``EMAModel`` with its default warm-up: the first
    update copies the weights, the k-th uses decay ``min(decay, k / (9 + k))``) of each module's
    parameters.

    Restored from the checkpoint in ``run_dir`` when it holds one for the module (call after
    :func:`load_checkpoint`); otherwise started from the module's current weights, so an average can
    be switched on when a run is continued. Returns name -> ``EMAModel``; ``average.copy_to(
    module.parameters())`` puts the averaged weights into the module.
    """
    from diffusers.training_utils import EMAModel
    if not 0.0 < decay < 1.0:
        raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
    ckpt = _checkpoint_dir(run_dir)
    state = json.loads((ckpt / "state.json").read_text()) if ckpt is not None else {}
    averages = {}
    for name, module in modules.items():
        average = EMAModel(module.parameters(), decay=decay)
        path = ckpt / f"{name}.ema.safetensors" if ckpt is not None else None
        if path is not None and path.is_file():
            tensors = load_file(str(path))
            names = [k for k, _ in module.named_parameters()]
            shapes = {k: tuple(p.shape) for k, p in module.named_parameters()}
            if {k: tuple(v.shape) for k, v in tensors.items()} != shapes:
                raise ValueError(f"{path} does not hold the parameters of {name!r}")
            for shadow, key in zip(average.shadow_params, names):
                shadow.copy_(tensors[key])
            average.optimization_step = int(state.get("ema_updates", {}).get(name, 0))
        averages[name] = average
    return averages

"""Resumable training state for the training scripts: safetensors + JSON, never pickles.

A checkpoint folder ``<run_dir>/checkpoint`` holds one ``<name>.safetensors`` per module, the
optimiser state and the random generators' states in ``optimizer.safetensors`` and the JSON state
(step, history, ...) with the optimiser's param groups in ``state.json``. It is written to
``checkpoint.tmp`` and renamed into place, so a session that stops mid-write leaves the previous
checkpoint (or ``checkpoint.old``) intact.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def save_checkpoint(run_dir: Path, modules: dict, opt, state: dict, gens: dict) -> None:
    """Write ``modules`` (name -> nn.Module), ``opt``, ``state`` and ``gens`` (name -> Generator)."""
    run_dir = Path(run_dir)
    tmp = run_dir / "checkpoint.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, module in modules.items():
        save_file({k: v.detach().contiguous().clone() for k, v in module.state_dict().items()},
                  str(tmp / f"{name}.safetensors"))
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


def load_checkpoint(run_dir: Path, modules: dict, opt, gens: dict):
    """Restore what :func:`save_checkpoint` wrote; returns the JSON state, or None if there is none."""
    run_dir = Path(run_dir)
    ckpt = run_dir / "checkpoint"
    if not (ckpt / "state.json").is_file():
        ckpt = run_dir / "checkpoint.old"  # interrupted between the two renames
        if not (ckpt / "state.json").is_file():
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

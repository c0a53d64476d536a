#!/usr/bin/env python
"""Train LRISC (seed 002) in the seed's three stages (Algorithm 1), then export a model folder.

Stages (each a sub-command; each resumes from its own checkpoint, and starts from the previous
stage's last checkpoint the first time):

``stage1``
    g_e, h_e, h_d, the entropy models and the x0 U-Net, from random initialisation; the JSCC is
    not used. Per step: z = g_e(x) + U(-1/2, 1/2) (CompressAI's training noise), a random
    timestep n, x_n = sqrt(a_n) x0 + sqrt(1 - a_n) eps, x_bar0 = X(x_n, n/N, z); loss (Algorithm 1,
    stage 1): (1 - eta) MSE(x0, x_bar0) + eta LPIPS(x0, x_bar0) + lambda (bits(z|y) + bits(y)) / (H W),
    plus CompressAI's auxiliary loss of the EntropyBottleneck's quantiles.
``stage2a``
    The JSCC alone (everything else frozen) at a fixed SNR (``--snr-fixed``, the seed's 10 dB) with
    the SNR-adaptive modules bypassed (and not trained).
``stage2b``
    The whole JSCC, SNR-adaptive modules included, with the SNR drawn uniformly per image in
    [``--snr-min``, ``--snr-max``] dB.
``stage3``
    Everything end to end, the SNR drawn as in stage 2b, the learning rate decaying (cosine) to
    ``--lr-final-ratio`` of ``--lr``.
``export``
    The last checkpoint of the latest stage run (or ``--stage``) -> a model folder (``--out``):
    config + safetensors + checksums per component, ``pipeline_config.json``, a model card
    ``README.md`` with the sizes, the training record and test metrics.

Stages 2 and 3 use Eq. (11): (1 - eta) [MSE(x0, x_hat0) + MSE(x0, x_bar0)] + eta [LPIPS(x0, x_hat0)
+ LPIPS(x0, x_bar0)] + lambda rate, where x_bar0 is the one-shot prediction from the noised image
at a random n (as in stage 1) and x_hat0 the reconstruction; on CPU the reconstruction in the loss
is the first DDIM step's x0 prediction from pure noise (t = N - 1), not a full sampling chain. The
rate term is constant in stage 2 (frozen entropy model) and only logged. In stages 2 and 3 the
bandwidth follows Eq. (3) with beta drawn log-uniformly in [``--beta-min``, ``--beta-max``] per
batch (the seed fixes beta = 0.2; a range trains every length head and lets one model serve a CBR
sweep). The channel is complex AWGN on the variable-length symbols (unit power per channel use).

Run folder: ``--run-dir`` (default ``~/.cache/semcom/runs/lrisc``) holds ``config.json`` (the
architecture, fixed by the first stage run) and one sub-folder per stage with its checkpoint
(safetensors + JSON, :mod:`semcom.training`).

Examples::

    python scripts/train_lrisc.py stage1 --size 64 --batch 8 --steps 20000 --threads 2
    python scripts/train_lrisc.py stage2a --steps 3000 && python scripts/train_lrisc.py stage2b --steps 6000
    python scripts/train_lrisc.py stage3 --steps 6000
    python scripts/train_lrisc.py export --out models/lrisc
    # a smoke run of the whole chain on a tiny configuration:
    python scripts/train_lrisc.py stage1 --tiny --size 32 --batch 2 --steps 3 --run-dir /tmp/lrisc-smoke
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from semcom.training import load_checkpoint, save_checkpoint  # noqa: E402

STAGES = ("stage1", "stage2a", "stage2b", "stage3")
MODULES = ("transform", "jscc", "unet")
DEFAULT_RUN_DIR = Path.home() / ".cache" / "semcom" / "runs" / "lrisc"
EVAL_SNRS = (0.0, 5.0, 10.0, 20.0)

# The default sizes (written down in the model card; see models/lrisc/README.md once exported).
DEFAULT_ARCH = {
    "transform": {"latent_channels": 64, "hidden_channels": 64, "hyper_channels": 32, "num_down": 4, "hyper_down": 2},
    "jscc": {"lengths": [8, 16, 24, 32, 40, 48, 56, 64], "dim": 128, "num_blocks": 2, "num_heads": 4, "mlp_ratio": 2.0,
             "num_sm": 7, "snr_adaptive": True, "use_prior": True},
    "unet": {"block_channels": [32, 64, 96, 128], "layers_per_block": 1, "attention_levels": [False, False, False, True],
             "cond_levels": 4, "cond_channels": 64, "attention_head_dim": 32},
}
TINY_ARCH = {
    "transform": {"latent_channels": 8, "hidden_channels": 16, "hyper_channels": 8, "num_down": 2, "hyper_down": 1},
    "jscc": {"lengths": [1, 2, 3, 4], "dim": 16, "num_blocks": 1, "num_heads": 2, "mlp_ratio": 2.0, "num_sm": 2,
             "snr_adaptive": True, "use_prior": True},
    "unet": {"block_channels": [16, 16, 32], "layers_per_block": 1, "attention_levels": [False, False, True],
             "cond_levels": 3, "cond_channels": 16, "attention_head_dim": 16},
}


# ---------------------------------------------------------------------------------------- data
def train_crops(size: int, n: int, seed: int) -> torch.Tensor:
    from semcom.data import random_crops
    return random_crops("train", size, n, seed)


def test_images(size: int, n: int) -> torch.Tensor:
    from semcom.data import load_images
    images = load_images("test", size)
    return images[:n] if n else images


# ---------------------------------------------------------------------------------------- model
def build_pipeline(arch: dict, options: dict = None):
    from semcom.models.lrisc import LRISCPipeline
    return LRISCPipeline.from_config(transform=arch["transform"], jscc=arch["jscc"], unet=arch["unet"],
                                     options=options)


def run_config(args, run_dir: Path) -> dict:
    """The run's architecture: fixed by the first stage run (``config.json`` in the run folder)."""
    path = run_dir / "config.json"
    if path.is_file():
        cfg = json.loads(path.read_text())
        if args.tiny and cfg["arch"] != TINY_ARCH:
            raise SystemExit(f"{run_dir} holds a run of another architecture; use a new --run-dir for --tiny")
        return cfg
    if args.command != "stage1":
        raise SystemExit(f"no run in {run_dir}: start with `stage1`")
    cfg = {"arch": TINY_ARCH if args.tiny else DEFAULT_ARCH, "size": args.size}
    run_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cfg, indent=1) + "\n")
    return cfg


def trainable(pipe, stage: str) -> list:
    """(name, parameter) pairs a stage trains; the rest is frozen."""
    jscc_snr = ("enc_snr.", "dec_snr.")
    if stage == "stage1":
        mods = {"transform": pipe.transform, "unet": pipe.unet}
    elif stage in ("stage2a", "stage2b"):
        mods = {"jscc": pipe.jscc}
    else:
        mods = {"transform": pipe.transform, "jscc": pipe.jscc, "unet": pipe.unet}
    params = []
    for mname, module in mods.items():
        for pname, p in module.named_parameters():
            if stage == "stage2a" and pname.startswith(jscc_snr):
                continue
            params.append((f"{mname}.{pname}", p))
    return params


# ---------------------------------------------------------------------------------------- loss
class Losses:
    """The seed's loss terms: MSE and LPIPS on [0, 1] images, the rate in bits per pixel."""

    def __init__(self, eta: float, lam: float):
        from semcom.metrics.perceptual import get_network
        self.eta, self.lam = eta, lam
        self.lpips = get_network("lpips-alex")

    def distortion(self, x, x_pred):
        """(1 - eta) MSE + eta LPIPS of an x0 prediction in [-1, 1] against images x in [0, 1]."""
        y = ((x_pred + 1) / 2).clamp(-0.5, 1.5)
        mse = torch.nn.functional.mse_loss(y, x)
        lp = self.lpips(y.clamp(0, 1), x).mean()
        return (1 - self.eta) * mse + self.eta * lp, mse.detach(), lp.detach()


def noised(scheduler, x0, gen):
    """(x_n, n / N) for a random timestep n per image (Algorithm 1, line 5)."""
    n_train = scheduler.config.num_train_timesteps
    t = torch.randint(0, n_train, (x0.shape[0],), generator=gen)
    a = scheduler.alphas_cumprod[t].to(x0.dtype)[:, None, None, None]
    eps = torch.randn(x0.shape, generator=gen, dtype=x0.dtype)
    return a.sqrt() * x0 + (1 - a).sqrt() * eps, t.to(x0.dtype) / n_train


def step_loss(pipe, losses, images, stage, args, gen, snr_db):
    """One step's loss and its logged parts."""
    from semcom.models.lrisc import allocate, awgn
    n_train = pipe.scheduler.config.num_train_timesteps
    hw = images.shape[2] * images.shape[3]
    x0 = 2 * images - 1
    log = {}
    if stage == "stage1":
        z = pipe.transform.analysis(images)
        ent = pipe.transform(z, training_noise=True)
        cond = ent["z_tilde"]
        bpp = (ent["bits_z"].flatten(1).sum(1) + ent["bits_y"]) / hw
        xn, t = noised(pipe.scheduler, x0, gen)
        d_bar, mse, lp = losses.distortion(images, pipe.unet(xn, t, cond))
        loss = d_bar + losses.lam * bpp.mean()
        log.update(mse_bar=mse.item(), lpips_bar=lp.item())
    else:
        end_to_end = stage == "stage3"
        with torch.set_grad_enabled(end_to_end):
            z = pipe.transform.analysis(images)
            ent = pipe.transform(z, training_noise=end_to_end)
        bpp = (ent["bits_z"].flatten(1).sum(1) + ent["bits_y"]) / hw
        beta = math.exp(math.log(args.beta_min) + (math.log(args.beta_max) - math.log(args.beta_min))
                        * torch.rand((), generator=gen).item())
        index = allocate(ent["bits_z"].detach(), beta, pipe.lengths)
        uses = pipe.jscc.lengths_of(index).flatten(1)
        symbols = pipe.jscc.encode(z, index, snr_db)
        received = awgn(symbols, uses, snr_db, generator=gen)
        z_hat = pipe.jscc.decode(received, index, snr_db, (ent["mu"], ent["sigma"]))
        xn, t = noised(pipe.scheduler, x0, gen)
        d_bar, mse_b, lp_b = losses.distortion(images, pipe.unet(xn, t, z_hat))
        noise = torch.randn(x0.shape, generator=gen)
        d_hat, mse_h, lp_h = losses.distortion(images, pipe.unet(noise, torch.full((x0.shape[0],), (n_train - 1) / n_train),
                                                                 z_hat))
        loss = d_bar + d_hat
        if end_to_end:
            loss = loss + losses.lam * bpp.mean()
        if args.latent_weight > 0:
            loss = loss + args.latent_weight * torch.nn.functional.mse_loss(z_hat, z.detach())
        log.update(mse_bar=mse_b.item(), lpips_bar=lp_b.item(), mse_hat=mse_h.item(), lpips_hat=lp_h.item(),
                   cbr=float(uses.sum(1).double().mean()) / (3 * hw), beta=beta)
    log.update(loss=loss.item(), bpp=bpp.mean().item())
    if stage in ("stage1", "stage3"):
        aux = pipe.transform.aux_loss()       # only the quantiles get its gradient
        loss = loss + aux
        log["aux"] = aux.item()
    return loss, log


# ---------------------------------------------------------------------------------------- train
def previous_stage_dir(run_dir: Path, stage: str):
    i = STAGES.index(stage)
    for prev in reversed(STAGES[:i]):
        d = run_dir / prev
        if (d / "checkpoint" / "state.json").is_file() or (d / "checkpoint.old" / "state.json").is_file():
            return d
    return None


def load_modules(pipe, stage_dir: Path):
    from safetensors.torch import load_file
    ckpt = stage_dir / "checkpoint"
    if not (ckpt / "state.json").is_file():
        ckpt = stage_dir / "checkpoint.old"
    for name in MODULES:
        getattr(pipe, name).load_state_dict(load_file(str(ckpt / f"{name}.safetensors")))


def train(args):
    torch.set_num_threads(args.threads)
    run_dir = Path(args.run_dir).expanduser()
    cfg = run_config(args, run_dir)
    stage = args.command
    stage_dir = run_dir / stage
    stage_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    pipe = build_pipeline(cfg["arch"])
    size = cfg["size"]
    pipe.transform.check_size(size, size)
    named = trainable(pipe, stage)
    for m in MODULES:
        getattr(pipe, m).requires_grad_(False)
    for _, p in named:
        p.requires_grad_(True)
    quantiles = [p for n, p in named if n.endswith("entropy_bottleneck.quantiles")]
    main = [p for n, p in named if not n.endswith("entropy_bottleneck.quantiles")]
    groups = [{"params": main, "lr": args.lr}] + ([{"params": quantiles, "lr": args.aux_lr}] if quantiles else [])
    opt = torch.optim.Adam(groups)
    gens = {"train": torch.Generator().manual_seed(args.seed + STAGES.index(stage) + 1)}
    modules = {m: getattr(pipe, m) for m in MODULES}
    state = load_checkpoint(stage_dir, modules, opt, gens)
    if state is None:
        prev = previous_stage_dir(run_dir, stage)
        if stage != "stage1":
            if prev is None:
                raise SystemExit(f"{stage} starts from an earlier stage's checkpoint; none in {run_dir}")
            load_modules(pipe, prev)
            print(f"{stage}: starting from {prev.name}'s last checkpoint", flush=True)
        state = {"step": 0, "train_seconds": 0.0, "history": [], "argv": sys.argv[1:], "threads": args.threads,
                 "started_from": None if prev is None or stage == "stage1" else prev.name}
    else:
        print(f"{stage}: resuming from step {state['step']} ({state['train_seconds'] / 60:.1f} min trained)", flush=True)
    pipe.jscc.snr_bypass = stage == "stage2a"
    for m in MODULES:
        getattr(pipe, m).train()
    losses = Losses(args.eta, args.lam)
    n_trainable = sum(p.numel() for _, p in named)
    print(f"{stage}: {n_trainable} trainable parameters, images {size}x{size}, batch {args.batch}", flush=True)

    chunk_index, crops = None, None
    start = time.time()
    window: dict = {}
    stopped_early = False
    bar = tqdm(total=args.steps, initial=state["step"], desc=f"lrisc {stage}", mininterval=5, dynamic_ncols=True)
    while state["step"] < args.steps:
        if args.max_minutes is not None and (time.time() - start) / 60 >= args.max_minutes:
            stopped_early = True
            break
        t0 = time.time()
        step = state["step"]
        k, offset = divmod(step * args.batch, args.crops_per_chunk)
        if k != chunk_index:
            crops, chunk_index = train_crops(size, args.crops_per_chunk, args.seed + 1000 * STAGES.index(stage) + k), k
        images = crops[(torch.arange(args.batch) + offset) % args.crops_per_chunk]
        if stage == "stage2a":
            snr = torch.full((args.batch,), float(args.snr_fixed))
        else:
            snr = args.snr_min + (args.snr_max - args.snr_min) * torch.rand(args.batch, generator=gens["train"])
        lr_scale = 1.0
        if stage == "stage3":
            frac = step / max(1, args.steps)
            lr_scale = args.lr_final_ratio + (1 - args.lr_final_ratio) * 0.5 * (1 + math.cos(math.pi * frac))
        opt.param_groups[0]["lr"] = args.lr * lr_scale
        loss, log = step_loss(pipe, losses, images, stage, args, gens["train"], snr)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step} of {stage}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(main, args.clip)
        opt.step()
        state["train_seconds"] += time.time() - t0
        state["step"] = step + 1
        for key, v in log.items():
            window.setdefault(key, []).append(v)
        bar.update(1)
        if state["step"] % args.log_every == 0 or state["step"] == args.steps:
            means = {key: float(np.mean(v)) for key, v in window.items()}
            state["history"].append({"step": state["step"], **means})
            bar.set_postfix_str(" ".join(f"{key}={v:.4g}" for key, v in means.items() if key in
                                         ("loss", "mse_bar", "lpips_bar", "lpips_hat", "bpp", "cbr")))
            window = {}
        if state["step"] % args.ckpt_every == 0:
            save_checkpoint(stage_dir, modules, opt, state, gens)
    bar.close()
    save_checkpoint(stage_dir, modules, opt, state, gens)
    why = f"time limit of {args.max_minutes:g} min" if stopped_early else "all steps done"
    print(f"{stage}: stopped at step {state['step']} ({why}), {state['train_seconds'] / 60:.1f} min of training",
          flush=True)
    return state


# ---------------------------------------------------------------------------------------- export
def latest_stage(run_dir: Path, wanted=None) -> str:
    done = [s for s in STAGES if (run_dir / s / "checkpoint" / "state.json").is_file()
            or (run_dir / s / "checkpoint.old" / "state.json").is_file()]
    if wanted:
        if wanted not in done:
            raise SystemExit(f"no {wanted} checkpoint in {run_dir} (have: {', '.join(done) or 'none'})")
        return wanted
    if not done:
        raise SystemExit(f"no checkpoint in {run_dir}")
    return done[-1]


def evaluate(model_dir: Path, n_images: int, size: int, steps: int, snrs=EVAL_SNRS, seed: int = 1234) -> dict:
    """PSNR, LPIPS and mean CBR of the exported codec over AWGN on ``n_images`` test images."""
    from semcom.codecs import get_codec
    from semcom.csi import CSI
    from semcom.metrics.perceptual import lpips
    from semcom.transport import send_message
    codec = get_codec("lrisc", model_dir=str(model_dir), steps=steps)
    images = test_images(size, n_images)
    out = {}
    for snr in snrs:
        gen = torch.Generator().manual_seed(seed)
        msg = codec.encode(images, CSI.from_snr(snr, len(images)))
        rx, csi = send_message(msg, "awgn", snr, generator=gen)
        rec = codec.decode(rx, csi)
        mse = (rec - images).square().flatten(1).mean(1).clamp_min(1e-10)
        out[f"{snr:g}"] = {"psnr": float((-10 * torch.log10(mse)).mean()), "lpips": float(lpips(rec, images).mean()),
                           "cbr": float(msg.cbr().mean()), "lost": sum(f is not None for f in codec.last_failures)}
    return out


def write_card(out: Path, cfg: dict, states: dict, metrics: dict, args, n_test: int):
    arch = cfg["arch"]
    counts = {}
    from semcom.models.lrisc import LRISCPipeline
    pipe = LRISCPipeline.from_pretrained(out)
    for m in MODULES:
        counts[m] = sum(p.numel() for p in getattr(pipe, m).parameters())
    lines = [
        "# LRISC (seed 002), trained here",
        "",
        "Hyperprior transform (CompressAI EntropyBottleneck + GaussianConditional), variable-length JSCC with "
        "rate tokens and SwinJSCC SNR modulation, pixel-space x0-predicting conditional U-Net sampled with DDIM. "
        f"Made by `scripts/train_lrisc.py` ({' '.join(sys.argv[1:])}).",
        "",
        f"Images {cfg['size']}x{cfg['size']} (train crops of semcom.data's train split). Parameters: "
        + ", ".join(f"{m} {n:,}" for m, n in counts.items()) + ".",
        "",
        "## Sizes",
        "```json",
        json.dumps(arch, indent=1),
        "```",
        "",
        "## Training record",
        "| stage | steps | minutes | last logged losses |",
        "| --- | --- | --- | --- |",
    ]
    for s, st in states.items():
        last = st["history"][-1] if st.get("history") else {}
        lines.append(f"| {s} | {st['step']} | {st['train_seconds'] / 60:.1f} | "
                     + ", ".join(f"{k}={v:.4g}" for k, v in last.items() if k != "step") + " |")
    if metrics:
        lines += ["", f"## Test ({n_test} test images, AWGN, {pipe.options['num_inference_steps']} DDIM steps, "
                  f"beta {pipe.options['beta']:g})", "| SNR [dB] | PSNR [dB] | LPIPS | mean CBR | lost |",
                  "| --- | --- | --- | --- | --- |"]
        for snr, m in metrics.items():
            lines.append(f"| {snr} | {m['psnr']:.2f} | {m['lpips']:.3f} | {m['cbr']:.4f} | {m['lost']} |")
    (out / "README.md").write_text("\n".join(lines) + "\n")


def export(args):
    torch.set_num_threads(args.threads)
    run_dir = Path(args.run_dir).expanduser()
    cfg = json.loads((run_dir / "config.json").read_text())
    stage = latest_stage(run_dir, args.stage)
    pipe = build_pipeline(cfg["arch"], {"beta": args.beta, "num_inference_steps": args.steps_infer,
                                        "image_size": cfg["size"], "side_mcs": args.side_mcs})
    load_modules(pipe, run_dir / stage)
    pipe.eval()
    out = Path(args.out)
    pipe.save_pretrained(out)
    states = {}
    for s in STAGES:
        p = run_dir / s / "checkpoint" / "state.json"
        if p.is_file():
            st = json.loads(p.read_text())
            states[s] = {k: st[k] for k in ("step", "train_seconds", "history") if k in st}
    (out / "training_state.json").write_text(json.dumps({"exported_stage": stage, "stages": states}, indent=1) + "\n")
    metrics = evaluate(out, args.eval_images, cfg["size"], args.steps_infer) if args.eval_images > 0 else {}
    write_card(out, cfg, states, metrics, args, args.eval_images)
    print(f"exported {stage} to {out}" + (f": {json.dumps(metrics)}" if metrics else ""), flush=True)


# ---------------------------------------------------------------------------------------- CLI
def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for stage in STAGES:
        p = sub.add_parser(stage)
        p.add_argument("--size", type=int, default=64, help="training crop side (stage1 fixes it for the run)")
        p.add_argument("--tiny", action="store_true", help="a tiny architecture for smoke runs (stage1 fixes it)")
        p.add_argument("--batch", type=int, default=8)
        p.add_argument("--steps", type=int, default=1000, help="total steps of this stage (resumes up to it)")
        p.add_argument("--max-minutes", type=float, default=None)
        p.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (the seed: 1e-4)")
        p.add_argument("--aux-lr", type=float, default=1e-3, help="learning rate of the EntropyBottleneck quantiles")
        p.add_argument("--lr-final-ratio", type=float, default=0.1, help="stage3: final lr / lr (cosine decay)")
        p.add_argument("--eta", type=float, default=0.5, help="perception weight of Eq. (11) (the seed: 0.5)")
        p.add_argument("--lam", type=float, default=0.02, help="rate weight lambda, per bit per pixel")
        p.add_argument("--beta-min", type=float, default=0.1)
        p.add_argument("--beta-max", type=float, default=0.4)
        p.add_argument("--snr-fixed", type=float, default=10.0, help="stage2a's SNR in dB (the seed: 10)")
        p.add_argument("--snr-min", type=float, default=0.0)
        p.add_argument("--snr-max", type=float, default=20.0)
        p.add_argument("--latent-weight", type=float, default=0.0,
                       help="extra MSE(z_hat, z) weight in stages 2-3 (not in the seed; 0 = off)")
        p.add_argument("--clip", type=float, default=1.0)
        p.add_argument("--crops-per-chunk", type=int, default=256)
        p.add_argument("--log-every", type=int, default=25)
        p.add_argument("--ckpt-every", type=int, default=200)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--run-dir", default=str(DEFAULT_RUN_DIR))
    p = sub.add_parser("export")
    p.add_argument("--out", required=True)
    p.add_argument("--stage", choices=STAGES, default=None, help="default: the latest stage with a checkpoint")
    p.add_argument("--beta", type=float, default=0.2, help="default channel uses per bit (the seed: 0.2)")
    p.add_argument("--steps-infer", type=int, default=10, help="default DDIM steps of the receiver")
    p.add_argument("--side-mcs", default="bpsk-1/2")
    p.add_argument("--eval-images", type=int, default=8, help="test images for the model card (0: none)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--run-dir", default=str(DEFAULT_RUN_DIR))
    args = ap.parse_args(argv)
    if args.command != "export":
        if not (0 <= args.eta <= 1) or args.lam < 0 or not (0 < args.beta_min <= args.beta_max):
            ap.error("need 0 <= eta <= 1, lam >= 0, 0 < beta-min <= beta-max")
        if args.snr_min > args.snr_max or args.batch < 1 or args.steps < 0:
            ap.error("need snr-min <= snr-max, batch >= 1, steps >= 0")
    return args


def main(argv=None):
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "export":
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()

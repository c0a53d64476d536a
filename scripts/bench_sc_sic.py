#!/usr/bin/env python
"""SC-SIC decoder benchmark: decode time per image vs Stage B sampler and step count, with LPIPS.

For every sampler (``wuerstchen`` = DDPMWuerstchenScheduler, Stable Cascade's own; ``ddim``;
``dpm`` = DPM-Solver++(2M), both on the same cosine schedule with trailing timestep spacing) and
step count, the test images' embeddings go through ``awgn-real`` at ``--snr`` dB and are decoded
(Stage B sampling + Stage A decode). Reported: wall-clock decode time per image (batch 1, median
over images, after a warm-up; torch with ``--threads`` threads) and LPIPS / PSNR over all test
images. With ``--spread-images N``, also the seed's predictability (Table 2) of each setting: the
first N images each sent 25 times at ``--snr`` with fresh channel and Stage B sampling noise, mean
and std of the pairwise LPIPS of the 25 decodes (``semcom.metrics.predictability``), averaged over
the images. The chosen default is the fastest setting whose LPIPS is within ``--tolerance`` of the
best one (and, with ``--max-spread``, whose pairwise-LPIPS std is at most that); ``--apply`` writes
it into the model folder (``scheduler/`` + ``pipeline_config.json``)
and ``--write`` the table into the "## SC-SIC decoder" section of BENCHMARKS.md.

Example::

    python scripts/bench_sc_sic.py --steps 1,2,3,5,10,20 --write --apply
    python scripts/bench_sc_sic.py --steps 10,20,40 --spread-images 2 --max-spread 0.01
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

SECTION = "## SC-SIC decoder"


def measure(pipe, images, sampler, steps, snr, timing_images, seeds=3, guidance=1.0):
    from semcom.channels import get_channel
    from semcom.metrics import lpips, psnr
    z = pipe.encode(images)
    hw = tuple(images.shape[-2:])
    lp, ps = [], []
    decode = functools.partial(pipe.decode, image_size=hw, num_inference_steps=steps, sampler=sampler, snr_db=snr,
                               guidance_scale=guidance)
    for seed in range(seeds):  # channel noise and Stage B sampling noise both drawn with this seed
        z_rx, _ = get_channel("awgn-real", generator=torch.Generator().manual_seed(seed))(z, snr)
        rec = decode(z_rx, generator=torch.Generator().manual_seed(seed))
        lp.append(float(lpips(images, rec).mean()))
        ps.append(float(psnr(images, rec).mean()))
    seed = 0
    times = []
    decode(z_rx[:1], generator=torch.Generator().manual_seed(seed))  # warm-up
    for i in range(min(timing_images, images.shape[0])):
        t0 = time.perf_counter()
        decode(z_rx[i:i + 1], generator=torch.Generator().manual_seed(seed))
        times.append(time.perf_counter() - t0)
    return {"sampler": sampler, "steps": steps, "guidance": guidance, "seconds_per_image": statistics.median(times),
            "lpips": statistics.mean(lp), "lpips_seed_std": statistics.pstdev(lp), "psnr": statistics.mean(ps)}


def measure_spread(pipe, images, sampler, steps, snr, runs=25, guidance=1.0):
    """(mean, std) of pairwise LPIPS over ``runs`` transmissions of each image, averaged over images."""
    from semcom.channels import get_channel
    from semcom.metrics import predictability
    channel = get_channel("awgn-real", generator=torch.Generator().manual_seed(100))
    hw = tuple(images.shape[-2:])
    means, stds = [], []
    for i in range(images.shape[0]):
        z = pipe.encode(images[i:i + 1]).expand(runs, -1, -1, -1)
        z_rx, _ = channel(z, snr)  # independent noise per row: 25 separate transmissions
        dec = pipe.decode(z_rx, image_size=hw, num_inference_steps=steps, sampler=sampler,
                          generator=torch.Generator().manual_seed(200 + i), snr_db=snr, guidance_scale=guidance)
        mean, std = predictability(dec)
        means.append(mean)
        stds.append(std)
    return statistics.mean(means), statistics.mean(stds)


def choose(rows, tolerance, max_spread=None):
    best = min(r["lpips"] for r in rows)
    ok = [r for r in rows if r["lpips"] <= best + tolerance]
    if max_spread is not None:
        ok = [r for r in ok if r.get("pairwise_lpips_std", float("inf")) <= max_spread] or ok
    return min(ok, key=lambda r: (r["seconds_per_image"], r["lpips"]))


def apply_choice(model_dir: Path, choice):
    from semcom.models.sc_sic.pipeline import make_scheduler
    sched_dir = model_dir / "scheduler"
    for f in sched_dir.glob("*.json"):
        f.unlink()
    make_scheduler(choice["sampler"]).save_pretrained(str(sched_dir))
    cfg_path = model_dir / "pipeline_config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    cfg.update(sampler=choice["sampler"], num_inference_steps=int(choice["steps"]),
               guidance_scale=float(choice.get("guidance", 1.0)))
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    index = model_dir / "model_index.json"
    if index.is_file():
        idx = json.loads(index.read_text())
        idx["scheduler"] = ["diffusers", type(make_scheduler(choice["sampler"])).__name__]
        index.write_text(json.dumps(idx, indent=2) + "\n")


def section_text(rows, choice, args, argv, n_images, extra_load):
    names = {"wuerstchen": "DDPMWuerstchenScheduler (Stable Cascade's)", "ddim": "DDIMScheduler (eta 0)",
             "dpm": "DPMSolverMultistepScheduler (DPM-Solver++ 2M)"}
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [args.section, "",
             f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python scripts/bench_sc_sic.py {shlex.join(argv)}` "
             f"({platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} "
             f"thread(s), load average {load} at the end; the machine is shared{extra_load}).",
             "",
             f"Model `{args.model_dir}` ({args.size}x{args.size} images, embedding {list(args.embedding_shape)} = "
             f"{args.channel_uses} complex channel uses, CR {3 * args.size ** 2 / (2 * args.channel_uses):g}). "
             f"{n_images} test images of `semcom.data` (manifest v{getattr(args, 'data_version', 1)}); embeddings through `awgn-real` at {args.snr:g} dB; LPIPS and "
             f"PSNR are means over {args.seeds} seeds of channel and Stage B sampling noise (the seed-to-seed std of "
             "the LPIPS mean is given: differences below it are noise). Time = wall clock per image (batch 1, median over "
             f"{args.timing_images} images after a warm-up): Stage B steps + Stage A decode (encoding excluded). "
             "DDIM and DPM-Solver run on Stable Cascade's cosine schedule discretised to 1000 steps, trailing "
             "timestep spacing, Stage B conditioned on the ratio recovered from alpha_cumprod (as diffusers' "
             "StableCascadeDecoderPipeline does).",
             ""]
    if any(r.get("guidance", 1.0) != 1.0 for r in rows):
        lines += ["Guidance s: classifier-free guidance on the received embedding (noise = uncond + s (cond - "
                  "uncond), the all-zero embedding as the unconditional input, as diffusers' "
                  "StableCascadeDecoderPipeline does); s != 1 runs Stage B twice per step.", ""]
    spread = args.spread_images > 0
    if spread:
        lines += [f"Predictability (the seed's Table 2 protocol): each of the first {args.spread_images} test images "
                  f"sent 25 times at {args.snr:g} dB with fresh channel and Stage B sampling noise; mean +- std of "
                  "the pairwise LPIPS over the 300 pairs of decodes, averaged over the images.", ""]
    lines += ["| sampler | steps | guidance | s / image | LPIPS | LPIPS seed std | PSNR [dB] |"
              + (" pairwise LPIPS (25 runs) |" if spread else ""), "|---|---|---|---|---|---|---|" + ("---|" if spread else "")]
    for r in rows:
        mark = " **(default)**" if r is choice else ""
        cell = f" {r['pairwise_lpips_mean']:.4f} +- {r['pairwise_lpips_std']:.4f} |" if spread else ""
        seed_std = f"{r['lpips_seed_std']:.4f}" if args.seeds > 1 else "-"  # one seed: no spread to show
        lines.append(f"| {names.get(r['sampler'], r['sampler'])}{mark} | {r['steps']} | {r.get('guidance', 1.0):g} | "
                     f"{r['seconds_per_image']:.3f} | {r['lpips']:.4f} | {seed_std} | {r['psnr']:.2f} |" + cell)
    rule = f"fastest within {args.tolerance:g} LPIPS of the best"
    if args.max_spread is not None:
        met = choice.get("pairwise_lpips_std", float("inf")) <= args.max_spread
        rule += (f" with a pairwise-LPIPS std of at most {args.max_spread:g}" if met else
                 f"; no such setting has a pairwise-LPIPS std of at most {args.max_spread:g}")
    lines += ["", f"Chosen default ({rule}): **{choice['sampler']}, "
              f"{choice['steps']} steps, guidance {choice.get('guidance', 1.0):g}**, {choice['seconds_per_image']:.3f} s per image; written to the model's "
              "`pipeline_config.json` and `scheduler/`.", ""]
    return "\n".join(lines)


def write_section(path: Path, text: str, section: str = SECTION):
    old = path.read_text() if path.is_file() else "# Benchmarks\n"
    lines = old.splitlines()
    start = next((i for i, l in enumerate(lines) if l.strip() == section), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        new = "\n".join(lines[:start] + text.rstrip("\n").splitlines() + ([""] if end < len(lines) else [])
                        + lines[end:]) + "\n"
    path.write_text(new if new.endswith("\n") else new + "\n")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", default=None, help="default models/sc-sic")
    p.add_argument("--samplers", default="wuerstchen,ddim,dpm")
    p.add_argument("--steps", default="1,2,3,5,10,20")
    p.add_argument("--guidance", default="1",
                   help="comma-separated classifier-free guidance scales on the embedding (1 = none)")
    p.add_argument("--snr", type=float, default=20.0)
    p.add_argument("--images", type=int, default=0, help="0: all test images")
    p.add_argument("--size", type=int, default=None,
                   help="test images are centre-cropped to size x size (default: the model's native size)")
    p.add_argument("--timing-images", type=int, default=5)
    p.add_argument("--seeds", type=int, default=3, help="noise/sampling seeds averaged for LPIPS and PSNR")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-version", type=int, default=1,
                   help="semcom.data manifest version whose test split to use (BENCHMARKS.md: v1, 13 images)")
    p.add_argument("--tolerance", type=float, default=0.01)
    p.add_argument("--spread-images", type=int, default=0,
                   help="also measure predictability (pairwise LPIPS of 25 transmissions) on this many images")
    p.add_argument("--max-spread", type=float, default=None,
                   help="choose only among settings whose pairwise-LPIPS std is at most this (needs --spread-images)")
    p.add_argument("--json", default=None, help="also write the rows (and this command) here")
    p.add_argument("--from-json", default=None,
                   help="take the rows of an earlier --json run instead of measuring (then --write / --apply "
                        "record that run's command)")
    p.add_argument("--write", action="store_true", help="update the SC-SIC section of BENCHMARKS.md")
    p.add_argument("--apply", action="store_true", help="write the chosen default into the model folder")
    p.add_argument("--section", default=SECTION,
                   help="the BENCHMARKS.md heading that --write replaces (or appends), e.g. for a second table")
    args = p.parse_args(argv)
    saved = None
    if args.from_json:  # the measured run's settings; the choice rule and outputs from this command
        saved = json.loads(Path(args.from_json).read_text())
        measured = p.parse_args(saved["argv"])
        for key in ("model_dir", "samplers", "steps", "guidance", "snr", "images", "size", "timing_images",
                    "seeds", "threads", "spread_images"):
            setattr(args, key, getattr(measured, key))
    if args.max_spread is not None and args.spread_images < 1:
        p.error("--max-spread needs --spread-images")
    torch.set_num_threads(args.threads)
    import semcom
    from semcom.data import load_images
    from semcom.models.sc_sic import SCSICPipeline
    model_dir = Path(args.model_dir or Path(semcom.models_dir()) / "sc-sic")
    args.model_dir = os.path.relpath(model_dir, semcom.repo_root()) if model_dir.is_absolute() else str(model_dir)
    pipe = SCSICPipeline.from_pretrained(model_dir)
    args.size = args.size or pipe.native_image_size
    images = load_images("test", args.size, version=args.data_version)
    args.embedding_shape = pipe.embedding_shape(args.size, args.size)
    args.channel_uses = int(torch.Size(args.embedding_shape).numel()) // 2
    if args.images:
        images = images[:args.images]
    rows = saved["rows"] if saved else []
    grid = [] if saved else [(sampler, int(steps), float(g)) for sampler in args.samplers.split(",")
                             for g in args.guidance.split(",") for steps in args.steps.split(",")]
    for sampler, steps, guidance in grid:
        r = measure(pipe, images, sampler, steps, args.snr, args.timing_images, args.seeds, guidance)
        if args.spread_images:
            r["pairwise_lpips_mean"], r["pairwise_lpips_std"] = measure_spread(
                pipe, images[:args.spread_images], sampler, steps, args.snr, guidance=guidance)
        rows.append(r)
        print(f"{sampler:11s} {steps:3d} steps guidance {guidance:g}  {r['seconds_per_image']:.3f} s/img  "
              f"LPIPS {r['lpips']:.4f} "
              f"(+-{r['lpips_seed_std']:.4f})  PSNR {r['psnr']:.2f}"
              + (f"  pairwise {r['pairwise_lpips_mean']:.4f} +- {r['pairwise_lpips_std']:.4f}"
                 if args.spread_images else ""), flush=True)
    choice = choose(rows, args.tolerance, args.max_spread)
    print(f"chosen: {choice}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"argv": saved["argv"] if saved else argv, "rows": rows,
                                               "choice": choice}, indent=1))
    others = sum(1 for pid in os.listdir("/proc") if pid.isdigit() and _is_training(pid))
    extra = f"; {others} training job(s) ran beside it" if others else ""
    if saved:
        extra += (f"; the table was written from that run's --json by `scripts/bench_sc_sic.py {shlex.join(argv)}`, "
                  "so the date and load average are those of the writing")
    if args.write:
        write_section(Path(semcom.repo_root()) / "BENCHMARKS.md",
                      section_text(rows, choice, args, saved["argv"] if saved else argv, images.shape[0], extra),
                      args.section)
    if args.apply:
        apply_choice(model_dir, choice)
    return rows, choice


def _is_training(pid) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
    except OSError:
        return False
    return "python" in cmd and "scripts/train_" in cmd


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Where an SC-SIC receiver should switch from the noise-fine-tuned Stage B to the clean-trained one.

The shipped model has two Stage Bs: ``decoder/`` (fine-tuned on embeddings through ``awgn-real`` at
1-20 dB, the seed's recipe) and the clean-embedding one named by ``pipeline_config.json``'s
``high_snr_decoder`` (the Fig. 8a ablation). The fine-tuned one is better at low SNR, the clean one
at high SNR. For every SNR in ``--snrs``, each test image's embedding goes through ``awgn-real``
``--draws`` times; both Stage Bs decode the same received embeddings with the same sampling noise
(the folder's sampler, steps and guidance), and the paired LPIPS difference clean - fine-tuned is
averaged (mean +- standard error over the image x draw pairs).

Chosen switch point: the lowest tested SNR from which the clean Stage B is better (mean difference
< 0) at it and at every higher tested SNR; ``inf`` if it never is. ``--apply`` writes it to the
folder's ``pipeline_config.json`` (``high_snr_from_db``, and ``high_snr_decoder`` when given by
``--high-snr-decoder``); ``--json`` keeps the rows and the command.

Example (how the shipped model got its switch)::

    python scripts/choose_sc_sic_switch.py --high-snr-decoder ablation/decoder --snrs 5,6,7,8,9,10,12 --draws 2 \
        --apply --json models/sc-sic/switch.json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402


def paired_lpips(pipe, images, snr_db: float, draws: int, seed: int = 0) -> list:
    """LPIPS(clean-trained decode) - LPIPS(fine-tuned decode) per image and draw, paired on the
    channel noise and the sampling noise."""
    from semcom.channels import get_channel
    from semcom.metrics import lpips
    z = pipe.encode(images)
    size = tuple(images.shape[-2:])
    diffs = []
    for draw in range(draws):
        channel = get_channel("awgn-real", generator=torch.Generator().manual_seed(seed + draw))
        received, _ = channel(z, snr_db)
        decodes = []
        for switch in (math.inf, -math.inf):  # fine-tuned everywhere, then clean-trained everywhere
            pipe.set_high_snr_from_db(switch)
            decodes.append(pipe.decode(received, image_size=size, snr_db=snr_db,
                                       generator=torch.Generator().manual_seed(seed + draw)))
        diffs += (lpips(images, decodes[1]) - lpips(images, decodes[0])).flatten().tolist()
    return diffs


def choose(rows) -> float:
    """The lowest SNR from which the mean difference is negative at every higher SNR (inf: none)."""
    switch = math.inf
    for row in sorted(rows, key=lambda r: r["snr_db"], reverse=True):
        if row["mean"] >= 0:
            break
        switch = row["snr_db"]
    return switch


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", default=None, help="default models/sc-sic")
    p.add_argument("--high-snr-decoder", default=None,
                   help="subfolder of the clean-trained Stage B (default: the folder's high_snr_decoder)")
    p.add_argument("--snrs", default="5,6,7,8,9,10,12")
    p.add_argument("--draws", type=int, default=2, help="channel and sampling noise draws per image and SNR")
    p.add_argument("--images", type=int, default=0, help="0: all test images")
    p.add_argument("--size", type=int, default=None, help="default: the model's native size")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-version", type=int, default=1,
                   help="semcom.data manifest version whose test split to use (switch.json: v1, 13 images)")
    p.add_argument("--json", default=None, help="write the rows, the choice and this command here")
    p.add_argument("--apply", action="store_true", help="write the switch point into pipeline_config.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    import semcom
    from semcom import data
    from semcom.models.sc_sic import load_stable_cascade
    from tqdm import tqdm
    model_dir = Path(args.model_dir) if args.model_dir else semcom.models_dir() / "sc-sic"
    pipe = load_stable_cascade(model_dir, options={"high_snr_decoder": args.high_snr_decoder} if args.high_snr_decoder
                               else None)
    if pipe.high_snr_decoder is None:
        p.error(f"{model_dir} has no high-SNR Stage B (pipeline_config.json: high_snr_decoder; or --high-snr-decoder)")
    images = data.load_images("test", size=args.size or pipe.native_image_size, version=args.data_version)
    if args.images:
        images = images[:args.images]
    rows = []
    for snr in tqdm([float(s) for s in args.snrs.split(",")], desc="SNR", unit="point"):
        d = torch.tensor(paired_lpips(pipe, images, snr, args.draws), dtype=torch.float64)
        rows.append({"snr_db": snr, "pairs": d.numel(), "mean": float(d.mean()),
                     "stderr": float(d.std() / math.sqrt(d.numel())), "clean_better": int((d < 0).sum())})
        r = rows[-1]
        tqdm.write(f"{snr:5.1f} dB: clean - fine-tuned LPIPS {r['mean']:+.4f} +- {r['stderr']:.4f} "
                   f"(clean better on {r['clean_better']}/{r['pairs']})")
    switch = choose(rows)
    print(f"switch to the clean-trained Stage B from {switch:g} dB")
    command = "python scripts/choose_sc_sic_switch.py " + shlex.join(argv)
    if args.json:
        Path(args.json).write_text(json.dumps({"command": command, "images": images.shape[0],
                                               "size": images.shape[-1], "options": {
                                                   k: pipe.options[k] for k in ("sampler", "num_inference_steps",
                                                                                "guidance_scale")},
                                               "rows": rows, "high_snr_from_db": switch}, indent=1) + "\n")
    if args.apply:
        cfg_path = model_dir / "pipeline_config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg.update(high_snr_decoder=pipe.options["high_snr_decoder"],
                   high_snr_from_db=None if switch == math.inf else switch)
        cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    return rows, switch


if __name__ == "__main__":
    main()

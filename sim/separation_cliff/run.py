"""The cliff effect of separate source/channel coding, and its distance from the capacity bound.

skimage's astronaut at 128x128, a fixed budget of K complex channel uses, a fixed MCS over AWGN.
For each SNR of a fine grid, N transmissions of the same codestream (fresh noise each): the
fraction of images delivered (all CRCs pass / rate below capacity) and the PSNR (a failure is the
grey erasure image). Reports the SNR at which 50 % are delivered for every scheme and the gap
between the LDPC cliff and the capacity threshold.

    .venv/bin/python sim/separation_cliff/run.py                # the committed results
    .venv/bin/python sim/separation_cliff/run.py --runs 20 --step 0.25 --out out/cliff   # quick

Writes results.json, cliff.png and the table in README.md (between the RESULTS markers) into
--out (default: this directory).
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from semcom.codecs import get_codec
from semcom.codecs.separation import LDPC_THRESHOLDS_DB
from semcom.csi import CSI
from semcom.phy import get_mcs
from semcom.transport import send_message

HERE = Path(__file__).resolve().parent


def astronaut(size: int) -> torch.Tensor:
    from skimage import data, transform
    img = transform.resize(data.astronaut(), (size, size), anti_aliasing=True)
    return torch.from_numpy(img).permute(2, 0, 1)[None].float()


def psnr(x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """PSNR (dB) per image of float images in [0, 1], on the 8-bit grid."""
    a = (x * 255).round().double()
    b = (y * 255).round().double()
    mse = ((a - b) ** 2).flatten(1).mean(1).numpy()
    return 10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-12))


def crossing(snrs, fractions, level=0.5):
    """SNR where the delivered fraction first reaches ``level`` (linear interpolation)."""
    for i in range(1, len(snrs)):
        f0, f1 = fractions[i - 1], fractions[i]
        if f0 < level <= f1:
            return snrs[i - 1] + (level - f0) / (f1 - f0) * (snrs[i] - snrs[i - 1])
    return snrs[0] if fractions[0] >= level else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--channel-uses", type=int, default=4096)
    ap.add_argument("--mcs", default="qpsk-1/2")
    ap.add_argument("--schemes", default="jpeg2000-ldpc,jpeg2000-capacity")
    ap.add_argument("--snr-min", type=float, default=-0.5)
    ap.add_argument("--snr-max", type=float, default=2.0)
    ap.add_argument("--step", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=100, help="transmissions per SNR point")
    ap.add_argument("--decoder", default="fast", choices=["fast", "sionna"])
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default=str(HERE))
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    image = astronaut(args.size)
    snrs = np.round(np.arange(args.snr_min, args.snr_max + 1e-9, args.step), 3).tolist()
    gen = torch.Generator().manual_seed(args.seed)
    mcs = get_mcs(args.mcs)
    results = {"config": {**vars(args), "image": f"skimage astronaut {args.size}x{args.size}",
                          "channel": "awgn", "torch": torch.__version__, "python": platform.python_version()},
               "schemes": {}}
    started = time.time()
    for scheme in args.schemes.split(","):
        codec = get_codec(scheme, channel_uses=args.channel_uses, mcs=args.mcs)
        msg = codec.encode(image.repeat(args.runs, 1, 1, 1))
        info = msg.side_info["separation"]
        clean = codec.decode(msg, CSI.from_snr(100.0, args.runs))  # loopback / infinite SNR
        clean_psnr = float(psnr(clean[:1], image)[0])
        bits = info["length_bits"][0] + 8 * info["payload_bytes"][0]
        row = {"description": codec.description, "payload_bytes": info["payload_bytes"][0],
               "message_bits": bits, "channel_uses": int(msg.channel_uses()[0]),
               "bpp": bits / args.size ** 2, "error_free_psnr": clean_psnr,
               "snr_db": [], "delivered": [], "mean_psnr": [], "failures": []}
        if codec.link == "capacity":
            row["rate"] = info["rate"][0]
            row["shannon_threshold_db"] = 10 * math.log10(2 ** info["rate"][0] - 1)
        for snr in tqdm(snrs, desc=scheme):
            rx, csi = send_message(msg, "awgn", snr, decoder=args.decoder, generator=gen)
            y = codec.decode(rx, csi)
            fails = codec.last_failures
            row["snr_db"].append(snr)
            row["delivered"].append(sum(f is None for f in fails) / len(fails))
            row["mean_psnr"].append(float(psnr(y, image.expand_as(y)).mean()))
            row["failures"].append({k: fails.count(k) for k in set(fails) if k is not None})
        row["snr50_db"] = crossing(row["snr_db"], row["delivered"])
        if codec.link == "capacity":
            # deterministic on AWGN: the grid crossing only brackets the exact threshold
            row["grid_snr50_db"] = row["snr50_db"]
            thr = row["shannon_threshold_db"]
            assert all((d == 1.0) == (s >= thr) for s, d in zip(row["snr_db"], row["delivered"])), \
                "capacity variant does not switch at its Shannon threshold"
            row["snr50_db"] = thr
        results["schemes"][scheme] = row
        tqdm.write(f"{scheme}: {row['payload_bytes']} B codestream, {bits} bits in "
                   f"{row['channel_uses']} uses, PSNR {clean_psnr:.2f} dB, 50 % delivered at "
                   f"{row['snr50_db']} dB")

    ldpc = [s for s in results["schemes"] if s.endswith("-ldpc")]
    cap = [s for s in results["schemes"] if s.endswith("-capacity")]
    summary = {"mcs": mcs.name, "shannon_snr_db_of_mcs_rate": mcs.shannon_snr_db,
               "single_block_10pct_bler_db": LDPC_THRESHOLDS_DB.get(mcs.name)}
    for l in ldpc:
        for c in cap:
            if l.split("-")[0] == c.split("-")[0]:
                s_l, s_c = results["schemes"][l]["snr50_db"], results["schemes"][c]["snr50_db"]
                summary[f"gap_{l}_vs_{c}_db"] = None if None in (s_l, s_c) else s_l - s_c
    results["summary"] = summary
    results["seconds"] = round(time.time() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    plot(results, out / "cliff.png")
    write_readme(results, out / "README.md")
    print(json.dumps(summary, indent=1))


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, row in results["schemes"].items():
        style = "-" if name.endswith("ldpc") else "--"
        ax1.plot(row["snr_db"], row["delivered"], style, marker=".", label=name)
        ax2.plot(row["snr_db"], row["mean_psnr"], style, marker=".", label=name)
        if row["snr50_db"] is not None:
            ax1.axvline(row["snr50_db"], color=ax1.lines[-1].get_color(), lw=0.6, ls=":")
    ax1.set(xlabel="SNR (dB)", ylabel="fraction delivered", title="delivery (all CRCs / rate < C)")
    ax2.set(xlabel="SNR (dB)", ylabel="mean PSNR (dB), grey on failure", title="PSNR")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    cfg = results["config"]
    fig.suptitle(f"{cfg['image']}, K={cfg['channel_uses']}, {cfg['mcs']}, AWGN, {cfg['runs']} runs/point",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_readme(results, path):
    cfg = results["config"]
    lines = ["| scheme | codestream (B) | message bits | channel uses | bpp | error-free PSNR (dB) "
             "| SNR at 50 % delivered (dB) |", "|---|---|---|---|---|---|---|"]
    for name, row in results["schemes"].items():
        s50 = "n/a" if row["snr50_db"] is None else f"{row['snr50_db']:.2f}"
        lines.append(f"| {name} | {row['payload_bytes']} | {row['message_bits']} | {row['channel_uses']} "
                     f"| {row['bpp']:.3f} | {row['error_free_psnr']:.2f} | {s50} |")
    summ = results["summary"]
    lines.append("")
    for key, value in summ.items():
        if key.startswith("gap_") and value is not None:
            lines.append(f"**Gap LDPC cliff - capacity threshold ({key[4:-3].replace('_vs_', ' vs ')}): "
                         f"{value:.2f} dB.**")
    for name, row in results["schemes"].items():
        if "shannon_threshold_db" in row:
            lines.append(f"{name}: rate {row['rate']:.4f} bit/use, exact threshold "
                         f"10 log10(2^rate - 1) = {row['shannon_threshold_db']:.3f} dB (the table's 50 % point).  ")
    lines.append(f"Shannon limit of the MCS rate ({summ['mcs']}): {summ['shannon_snr_db_of_mcs_rate']:.2f} dB; "
                 f"single 1944-bit block at 10 % BLER: {summ['single_block_10pct_bler_db']} dB.")
    lines.append("")
    lines.append("| SNR (dB) | " + " | ".join(f"{n} delivered / PSNR" for n in results["schemes"]) + " |")
    lines.append("|---|" + "---|" * len(results["schemes"]))
    first = next(iter(results["schemes"].values()))
    for j, snr in enumerate(first["snr_db"]):
        cells = [f"{r['delivered'][j]:.2f} / {r['mean_psnr'][j]:.2f}" for r in results["schemes"].values()]
        lines.append(f"| {snr:.2f} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    command = (f".venv/bin/python sim/separation_cliff/run.py --size {cfg['size']} --channel-uses "
               f"{cfg['channel_uses']} --mcs {cfg['mcs']} --schemes {cfg['schemes']} --snr-min "
               f"{cfg['snr_min']} --snr-max {cfg['snr_max']} --step {cfg['step']} --runs {cfg['runs']} "
               f"--decoder {cfg['decoder']} --seed {cfg['seed']}")
    begin, end = "<!-- RESULTS -->", "<!-- /RESULTS -->"
    block = f"{begin}\nCommand (run time {results['seconds']:.0f} s on this machine):\n\n    {command}\n\n{table}\n{end}"
    text = path.read_text() if path.exists() else f"# Separation cliff\n\n{begin}\n{end}\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()

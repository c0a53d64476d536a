"""The separation baseline at its best: the envelope over the MCS table, and the margin of mcs=best.

The test photographs of ``semcom.data`` (centre crops at --size), K complex channel uses per image,
complex AWGN. For every coded MCS of the table (fixed) and every SNR of a grid, R transmissions of
each image's codestream (fresh noise each): delivered (every CRC passes) or not. A delivered image
has the PSNR of its codestream (deterministic per image and MCS); a failed one scores PSNR 0, the
convention of ``semcom eval``.

* **envelope**: per SNR, the fixed MCS of the highest mean PSNR, chosen in hindsight (what the seed
  papers plot for BPG + LDPC; an oracle, not a transmitter).
* **mcs=best, margin m**: the transmitter's rule (``semcom.codecs.separation.best_mcs``): told the
  SNR, it takes the MCS that carries the most bits in K among those with 10 % BLER threshold
  + m <= SNR. Its result at each SNR is the fixed-MCS result of the MCS it picks, so one sweep
  scores every margin. The recommended margin maximises the mean PSNR over the grid.
* **mcs=adaptive**: DiffJSCC's ladder rule (0.5 dB), for reference.

    .venv/bin/python sim/separation_cliff/envelope.py                 # the committed numbers
    .venv/bin/python sim/separation_cliff/envelope.py --runs 4 --step 1 --out out/envelope   # quick
    .venv/bin/python sim/separation_cliff/envelope.py --from-json sim/separation_cliff/envelope.json

Writes envelope.json, envelope.png and the table of README.md between the ENVELOPE markers into
--out (default: this directory); ``--from-json`` redraws the figure and table from a saved run.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from semcom import data
from semcom.codecs import get_codec
from semcom.codecs.separation import LDPC_THRESHOLDS_DB, adaptive_mcs, best_mcs
from semcom.transport import send_message

HERE = Path(__file__).resolve().parent
MARKERS = ("<!-- ENVELOPE -->", "<!-- /ENVELOPE -->")


def psnr(x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """PSNR (dB) per image of [B, 3, H, W] float images in [0, 1], on the 8-bit grid."""
    a, b = (x * 255).round().double(), (y * 255).round().double()
    mse = ((a - b) ** 2).flatten(1).mean(1).numpy()
    return 10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-12))


def sweep_mcs(spec: str, mcs: str, images: torch.Tensor, snrs, runs: int, gen) -> dict:
    """One fixed MCS: error-free PSNR per image and delivered counts [SNR, image] out of ``runs``."""
    codec = get_codec(spec, mcs=mcs)
    n = images.shape[0]
    message = codec.encode(images)
    info = message.side_info["separation"]
    clean = psnr(codec.decode(message), images)  # loopback: no channel, every block passes
    fits = [f is None for f in info["failures"]]
    batch = codec.encode(images.repeat(runs, 1, 1, 1))  # the cached codestreams, runs times
    delivered = np.zeros((len(snrs), n), dtype=int)
    for s, snr in enumerate(snrs):
        if not any(fits):
            break
        received, _ = send_message(batch, "awgn", float(snr), generator=gen)
        for j in range(n * runs):
            if fits[j % n]:
                delivered[s, j % n] += codec.receive(received, j)[1] is None
    return {"psnr": [float(p) if ok else None for p, ok in zip(clean, fits)],
            "payload_bytes": info["payload_bytes"], "max_bits": info["max_bits"][0],
            "delivered": delivered.tolist()}


def mean_psnr(row: dict, s: int, runs: int) -> tuple:
    """(mean PSNR with failures as 0, delivered fraction) of one MCS at SNR index ``s``."""
    counts = np.array(row["delivered"][s]) / runs
    clean = np.array([0.0 if p is None else p for p in row["psnr"]])
    return float(np.mean(counts * clean)), float(np.mean(counts))


def score_rule(results: dict, pick, snrs, runs: int) -> dict:
    """The MCS ``pick(snr)`` chooses at each SNR, with its mean PSNR and delivered fraction."""
    out = {"mcs": [], "psnr": [], "delivered": []}
    for s, snr in enumerate(snrs):
        name = pick(snr)
        p, d = mean_psnr(results[name], s, runs)
        out["mcs"].append(name)
        out["psnr"].append(p)
        out["delivered"].append(d)
    out["mean_psnr"] = float(np.mean(out["psnr"]))
    return out


def envelope(results: dict, snrs, runs: int) -> dict:
    """Per SNR the fixed MCS of the highest mean PSNR (hindsight)."""
    def pick_best(snr):
        s = snrs.index(snr)
        return max(results, key=lambda m: mean_psnr(results[m], s, runs)[0])
    return score_rule(results, pick_best, snrs, runs)


def table(res: dict, report_snrs) -> str:
    snrs, margins = res["snrs"], res["margins"]
    cols = [snrs.index(s) for s in report_snrs if s in snrs]
    head = ("| rule | mean PSNR over the grid | below the envelope | "
            + " | ".join(f"{snrs[c]:g} dB" for c in cols) + " |")
    lines = [head, "|" + "---|" * (3 + len(cols))]

    def row(label, r):
        cells = [f"{r['mcs'][c]}: {r['psnr'][c]:.2f} / {100 * r['delivered'][c]:.0f} %" for c in cols]
        gap = res["envelope"]["mean_psnr"] - r["mean_psnr"]
        lines.append(f"| {label} | {r['mean_psnr']:.2f} | {gap:.3f} | " + " | ".join(cells) + " |")

    row("envelope (best fixed MCS in hindsight)", res["envelope"])
    for m in margins:
        mark = " **(chosen)**" if m == res["chosen_margin"] else ""
        row(f"mcs=best, margin {m:g} dB{mark}", res["best"][f"{m:g}"])
    row("mcs=adaptive (DiffJSCC ladder, 0.5 dB)", res["adaptive"])
    return "\n".join(lines)


def plot(res: dict, path: Path) -> None:
    """Mean PSNR vs SNR of every fixed MCS, the envelope and mcs=best at the chosen margin."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    snrs, runs = res["snrs"], res["settings"]["runs"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, row in res["mcs"].items():
        ax.plot(snrs, [mean_psnr(row, s, runs)[0] for s in range(len(snrs))], lw=0.6, color="0.7")
    ax.plot(snrs, res["envelope"]["psnr"], lw=3, color="C1", alpha=0.6, label="envelope over the 20 MCSes")
    best = res["best"][f"{res['chosen_margin']:g}"]
    ax.plot(snrs, best["psnr"], lw=1.2, color="C0", label=f"mcs=best, margin {res['chosen_margin']:g} dB")
    ax.plot(snrs, res["adaptive"]["psnr"], lw=1, ls="--", color="C2", label="mcs=adaptive (DiffJSCC ladder)")
    ax.set_ylim(0, None)
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("mean PSNR (dB), failures 0")
    st = res["settings"]
    ax.set_title(f"{st['scheme']}, {st['size']}x{st['size']}, K = {st['channel_uses']}, AWGN "
                 f"(grey: each fixed MCS)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(res: dict, out: Path) -> str:
    """The README block for a finished run (command, table, chosen margin); writes the figure."""
    st = res["settings"]
    plot(res, out / "envelope.png")
    text = (f"Command (run time {st['seconds']:.0f} s on this machine):\n\n"
            f"    .venv/bin/python sim/separation_cliff/envelope.py --scheme '{st['scheme']}' --size {st['size']} "
            f"--channel-uses {st['channel_uses']} --snr-min {st['snr_min']:g} --snr-max {st['snr_max']:g} "
            f"--step {st['step']:g} --runs {st['runs']} --margins={st['margins']} --seed {st['seed']}\n\n"
            f"{len(st['images'])} {st['split']} photographs at {st['size']}x{st['size']}, K = {st['channel_uses']}, "
            f"AWGN, {st['runs']} noise draws per image and SNR; grid {st['snr_min']:g} ... {st['snr_max']:g} dB in "
            f"{st['step']:g} dB steps. Cells: MCS: mean PSNR (dB, failures 0) / share delivered.\n\n"
            + table(res, [float(s) for s in st["report_snrs"].split(",")])
            + f"\n\n**Chosen margin: {res['chosen_margin']:g} dB** (highest mean PSNR over the grid).\n\n"
            + "![envelope](envelope.png)")
    return text


def write_readme(text: str, out: Path) -> None:
    path = out / "README.md"
    old = path.read_text() if path.is_file() else ""
    block = f"{MARKERS[0]}\n{text}\n{MARKERS[1]}"
    if MARKERS[0] in old:
        head, _, rest = old.partition(MARKERS[0])
        _, _, tail = rest.partition(MARKERS[1])
        path.write_text(head + block + tail)
    else:
        path.write_text(old.rstrip("\n") + "\n\n" + block + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scheme", default="bpg-ldpc", help="an LDPC separation scheme, with options")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--channel-uses", type=int, default=2048)
    ap.add_argument("--split", default="test")
    ap.add_argument("--snr-min", type=float, default=-2.0)
    ap.add_argument("--snr-max", type=float, default=24.0)
    ap.add_argument("--step", type=float, default=0.5)
    ap.add_argument("--runs", type=int, default=10, help="transmissions per image and SNR point")
    ap.add_argument("--margins", default="0,0.25,0.5,0.75,1,1.5,2")
    ap.add_argument("--report-snrs", default="1,5,10,15,20")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--from-json", default=None, help="redraw figure and table from a saved envelope.json")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        text = report(json.loads(Path(args.from_json).read_text()), out)
        write_readme(text, out)
        print(text)
        return
    images = data.load_images(args.split, size=args.size)
    snrs = np.round(np.arange(args.snr_min, args.snr_max + 1e-9, args.step), 3).tolist()
    margins = [float(m) for m in args.margins.split(",")]
    spec = f"{args.scheme}{',' if ':' in args.scheme else ':'}channel_uses={args.channel_uses}"
    gen = torch.Generator().manual_seed(args.seed)
    k = args.channel_uses

    start = time.time()
    results = {}
    for name in tqdm(LDPC_THRESHOLDS_DB, desc="MCS"):
        results[name] = sweep_mcs(spec, name, images, snrs, args.runs, gen)
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "from_json")}
    res = {"settings": {**settings, "spec": spec, "images": data.list_images(args.split),
                        "machine": platform.machine(), "seconds": round(time.time() - start, 1)},
           "snrs": snrs, "margins": margins, "thresholds_db": dict(LDPC_THRESHOLDS_DB), "mcs": results}
    res["envelope"] = envelope(results, snrs, args.runs)
    res["best"] = {f"{m:g}": score_rule(results, lambda snr, m=m: best_mcs(snr, k, m).name, snrs, args.runs)
                   for m in margins}
    res["adaptive"] = score_rule(results, lambda snr: adaptive_mcs(snr).name, snrs, args.runs)
    res["chosen_margin"] = max(margins, key=lambda m: res["best"][f"{m:g}"]["mean_psnr"])
    (out / "envelope.json").write_text(json.dumps(res, indent=1))

    text = report(res, out)
    write_readme(text, out)
    print(text)


if __name__ == "__main__":
    main()

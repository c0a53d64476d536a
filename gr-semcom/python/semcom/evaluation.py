"""Schemes x channels x SNRs x images x runs: one results file, curves and an image grid.

Results follow one schema, ``semcom-eval/1``: ``rows`` (one per image and run), ``sets`` (set-level
metrics per scheme, channel and SNR) and ``curves`` (per scheme and channel, mean metrics against
SNR and CBR, in CompressAI's layout of name/description/results lists), so curves can be re-plotted
and compared across schemes and versions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sionna.phy
import torch
from tqdm import tqdm

from . import metrics as M
from .codecs import get_codec, parse_spec
from .csi import CSI
from .transport import send_message

SCHEMA = "semcom-eval/1"
# How a failed transmission is scored (SC-SIC's convention).
FAILURE_SCORES = {"psnr": 0.0, "ssim": 0.0, "ms_ssim": 0.0, "lpips": 1.0, "lpips_alex": 1.0,
                  "lpips_vgg": 1.0, "dists": 1.0}
FAILURE_FID = 500.0
ERASURE_GREY = 0.5


@dataclass
class Transmission:
    """One batch through one scheme and channel at one SNR."""

    images: torch.Tensor          # reconstructions [B, 3, H, W]
    channel_uses: list
    cbr: list
    bpp: list
    failures: list
    metrics: dict = field(default_factory=dict)


def transmit(codec, images, channel: str, snr_db: float, equalizer: str = "zf", decoder: str = "fast") -> Transmission:
    """Encode, send through ``channel`` at ``snr_db`` (perfect SNR knowledge), decode."""
    csi = CSI.from_snr(snr_db, images.shape[0])
    message = codec.encode(images, csi)
    received, rx_csi = send_message(message, channel, snr_db, equalizer=equalizer, decoder=decoder)
    rx_csi = rx_csi or csi
    codec.last_failures = []
    out = codec.decode(received, rx_csi).clamp(0, 1)
    failures = list(codec.last_failures) or [None] * images.shape[0]
    for i, failure in enumerate(failures):
        if failure is not None:
            out[i] = ERASURE_GREY
    return Transmission(out, [int(k) for k in message.channel_uses()], [float(c) for c in message.cbr()],
                        [float(b) for b in message.bpp()], failures)


def score(reference, result: Transmission, names) -> dict:
    """Per-image metrics; failed images get :data:`FAILURE_SCORES`."""
    values = M.compute(names, reference, result.images)
    for name, vals in values.items():
        for i, failure in enumerate(result.failures):
            if failure is not None and name in FAILURE_SCORES:
                vals[i] = FAILURE_SCORES[name]
    return values


def evaluate(schemes, channels, snrs, images, image_names=None, runs: int = 1,
             metrics=("psnr", "ssim", "ms_ssim", "lpips"), set_metrics=(), seed: int = 0,
             equalizer: str = "zf", decoder: str = "fast", progress: bool = True) -> dict:
    """Run the grid and return results in the ``semcom-eval/1`` schema (also keeps
    ``_reconstructions`` of the first run for the image grid; not serialised)."""
    image_names = image_names or [f"img{i}" for i in range(images.shape[0])]
    rows, sets, recon = [], [], {}
    codecs = {spec: get_codec(spec) for spec in schemes}
    grid = [(s, c, snr, r) for s in schemes for c in channels for snr in snrs for r in range(runs)]
    for spec, channel, snr, run in tqdm(grid, desc="eval", disable=not progress):
        sionna.phy.config.seed = seed + run
        torch.manual_seed(seed + run)
        result = transmit(codecs[spec], images, channel, float(snr), equalizer, decoder)
        values = score(images, result, metrics)
        for i, name in enumerate(image_names):
            rows.append({"scheme": spec, "channel": channel, "snr_db": float(snr), "image": name, "run": run,
                         "channel_uses": result.channel_uses[i], "cbr": result.cbr[i], "bpp": result.bpp[i],
                         "failure": result.failures[i], **{m: values[m][i] for m in metrics}})
        if run == 0:
            recon[(spec, channel, float(snr))] = result.images
        if set_metrics:
            delivered = [f is None for f in result.failures]
            entry = {"scheme": spec, "channel": channel, "snr_db": float(snr), "run": run}
            for name, value in M.compute_set(set_metrics, images, result.images).items():
                entry[name] = FAILURE_FID if not any(delivered) and "fid" in name else float(value)
            sets.append(entry)
    results = {"schema": SCHEMA,
               "settings": {"schemes": list(schemes), "channels": list(channels), "snrs": [float(s) for s in snrs],
                            "images": list(image_names), "image_shape": list(images.shape[1:]), "runs": runs,
                            "metrics": list(metrics), "set_metrics": list(set_metrics), "seed": seed,
                            "equalizer": equalizer, "decoder": decoder, "failure_scores": FAILURE_SCORES},
               "rows": rows, "sets": sets}
    results["curves"] = curves(results)
    results["_reconstructions"] = recon
    return results


def curves(results) -> list:
    """Mean metrics per scheme and channel against SNR (CompressAI-style records)."""
    rows, out = results["rows"], []
    metric_names = results["settings"]["metrics"] + ["channel_uses", "cbr", "bpp"]
    for spec in results["settings"]["schemes"]:
        for channel in results["settings"]["channels"]:
            record = {"name": spec, "description": parse_spec(spec)[0], "channel": channel,
                      "results": {"snr_db": [], "delivered": [], **{m: [] for m in metric_names}}}
            for snr in results["settings"]["snrs"]:
                sel = [r for r in rows if r["scheme"] == spec and r["channel"] == channel and r["snr_db"] == snr]
                record["results"]["snr_db"].append(snr)
                record["results"]["delivered"].append(float(np.mean([r["failure"] is None for r in sel])))
                for m in metric_names:
                    record["results"][m].append(float(np.mean([r[m] for r in sel])))
            for key in results["settings"]["set_metrics"]:  # mean over runs, one value per SNR
                record["results"][key] = [
                    float(np.mean([e[key] for e in results["sets"]
                                   if e["scheme"] == spec and e["channel"] == channel and e["snr_db"] == snr]))
                    for snr in results["settings"]["snrs"]]
            out.append(record)
    return out


def save(results, out_dir) -> dict:
    """Write results.json, one PNG per metric against SNR and against CBR, and grid.png."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    serialisable = {k: v for k, v in results.items() if not k.startswith("_")}
    (out / "results.json").write_text(json.dumps(serialisable, indent=1))
    written = {"results": out / "results.json"}
    names = results["settings"]["metrics"] + results["settings"]["set_metrics"]
    for axis in ("snr_db", "cbr"):
        fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
        for ax, name in zip(axes[0], names):
            for rec in results["curves"]:
                r = rec["results"]
                if name in r:
                    ax.plot(r[axis], r[name], "o-", label=f"{rec['name']} / {rec['channel']}")
            ax.set_xlabel("SNR (dB)" if axis == "snr_db" else "CBR (channel uses / source dims)")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        path = out / f"metrics_vs_{'snr' if axis == 'snr_db' else 'cbr'}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written[path.stem] = path
    if results.get("_reconstructions"):
        written["grid"] = image_grid(results, out / "grid.png")
    return written


def image_grid(results, path, image_index: int = 0):
    """Rows: scheme x channel; columns: SNRs; the first image of the set."""
    from PIL import Image, ImageDraw
    recon = results["_reconstructions"]
    keys = sorted({(s, c) for s, c, _ in recon})
    snrs = sorted({snr for _, _, snr in recon})
    tile = next(iter(recon.values())).shape[-1]
    label_h, label_w = 14, 150
    canvas = Image.new("RGB", (label_w + tile * len(snrs), label_h + tile * len(keys)), "white")
    draw = ImageDraw.Draw(canvas)
    for j, snr in enumerate(snrs):
        draw.text((label_w + j * tile + 2, 1), f"{snr:g} dB", fill="black")
    for i, (spec, channel) in enumerate(keys):
        draw.text((2, label_h + i * tile + 2), f"{spec[:22]}\n{channel}", fill="black")
        for j, snr in enumerate(snrs):
            img = recon[(spec, channel, snr)][image_index]
            arr = (img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            canvas.paste(Image.fromarray(arr), (label_w + j * tile, label_h + i * tile))
    canvas.save(path)
    return Path(path)

"""Views rendered from the store: results.json (``semcom-eval/1``), curves and the image grid.

Every file is written to a temporary name and moved into place (``os.replace``), so a reader never
sees half a file. ``results.json`` says whether the grid is complete (``settings.complete``,
``settings.rows_done`` of ``settings.rows_total``); curves average the rows present.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

SCHEMA = "semcom-eval/1"


def atomic_write(path, data):
    """Write bytes or text to ``path`` through a temporary file in the same folder + os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def collect(store, grid, with_images: bool = True) -> dict:
    """The grid's rows at the current code version, in ``semcom-eval/1``."""
    from ..metrics import compute_set
    from .rows import FAILURE_FID, FAILURE_SCORES, FEATURE_KIND, png_image
    from .store import row_key
    specs = grid.specs()
    keys = [row_key(grid.fields(s)) for s in specs]
    stored = {r["key"]: r for r in store.rows(keys)}
    rows = []
    for spec, key in zip(specs, keys):
        r = stored.get(key)
        if r is None or not set(grid.metrics) <= set(r["metrics"]):
            continue
        rows.append({"scheme": r["scheme"], "channel": r["channel"], "snr_db": r["snr_db"], "image": r["image"],
                     "run": r["draw"], "channel_uses": r["channel_uses"], "cbr": r["cbr"], "bpp": r["bpp"],
                     "failure": r["failure"], **{m: r["metrics"][m] for m in grid.metrics},
                     "image_sha": r["image_sha"], "seed": r["seed"], "version": r["version"], "_key": key})
    settings = grid.settings()
    settings.update({"complete": len(rows) == len(specs), "rows_done": len(rows), "rows_total": len(specs),
                     "store": store.path, "versions": sorted({r["version"] for r in rows}),
                     "failure_scores": FAILURE_SCORES})
    sets = []
    if grid.set_metrics:
        by_point = {}
        for r in rows:
            by_point.setdefault((r["scheme"], r["channel"], r["snr_db"], r["run"]), []).append(r)
        reference = {}
        for scheme in grid.schemes:
            for channel in grid.channels:
                for snr in grid.snrs:
                    for draw in range(grid.draws):
                        sel = by_point.get((scheme, channel, snr, draw), [])
                        if len(sel) != len(grid.image_names):
                            continue   # a set metric needs the whole set
                        entry = {"scheme": scheme, "channel": channel, "snr_db": snr, "run": draw}
                        for name in grid.set_metrics:
                            kind = FEATURE_KIND[name]
                            fake = [store.blob(r["_key"], kind) for r in sel]
                            if any(f is None for f in fake):
                                continue
                            if kind not in reference:
                                from .rows import features
                                reference[kind] = np.concatenate([features(kind, im[None]) for im in grid.images])
                            if all(r["failure"] is not None for r in sel) and "fid" in name:
                                entry[name] = FAILURE_FID
                            else:
                                entry[name] = float(compute_set([name], reference[kind].astype(np.float64),
                                                                np.concatenate(fake).astype(np.float64))[name])
                        sets.append(entry)
    results = {"schema": SCHEMA, "settings": settings,
               "rows": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows], "sets": sets}
    results["curves"] = curves(results)
    if with_images:
        recon = {}
        for r in rows:
            if r["run"] == 0 and r["image"] in grid.image_names[:max(grid.keep_images, 0)]:
                data = store.blob(r["_key"], "png")
                if data is not None:
                    recon.setdefault((r["scheme"], r["channel"], r["snr_db"]), {})[r["image"]] = png_image(data)
        results["_reconstructions"] = recon
    return results


def curves(results) -> list:
    """Mean metrics per scheme and channel against SNR (CompressAI-style records); points without
    rows are ``null``; set-level metrics are averaged over the draws (one value per SNR)."""
    rows, out = results["rows"], []
    settings = results["settings"]
    metric_names = settings["metrics"] + ["channel_uses", "cbr", "bpp"]
    from ..codecs import parse_spec
    for spec in settings["schemes"]:
        for channel in settings["channels"]:
            record = {"name": spec, "description": parse_spec(spec)[0], "channel": channel,
                      "results": {"snr_db": [], "delivered": [], "count": [], **{m: [] for m in metric_names}}}
            for snr in settings["snrs"]:
                sel = [r for r in rows if r["scheme"] == spec and r["channel"] == channel and r["snr_db"] == snr]
                record["results"]["snr_db"].append(snr)
                record["results"]["count"].append(len(sel))
                record["results"]["delivered"].append(_mean([r["failure"] is None for r in sel]))
                for m in metric_names:
                    record["results"][m].append(_mean([r[m] for r in sel]))
            for key in settings["set_metrics"]:
                record["results"][key] = [
                    _mean([e.get(key) for e in results["sets"]
                           if e["scheme"] == spec and e["channel"] == channel and e["snr_db"] == snr])
                    for snr in settings["snrs"]]
            out.append(record)
    return out


def _json(results) -> str:
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    return json.dumps(clean({k: v for k, v in results.items() if not k.startswith("_")}), indent=1)


def save(results, out_dir) -> dict:
    """results.json, one PNG per metric against SNR and against CBR, and grid.png (atomically)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"results": atomic_write(out / "results.json", _json(results))}
    names = results["settings"]["metrics"] + results["settings"]["set_metrics"]
    for axis in ("snr_db", "cbr"):
        fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
        for ax, name in zip(axes[0], names):
            for rec in results["curves"]:
                r = rec["results"]
                if name in r:
                    pts = [(x, y) for x, y in zip(r[axis], r[name]) if x is not None and y is not None]
                    if pts:
                        ax.plot(*zip(*pts), "o-", label=f"{rec['name']} / {rec['channel']}")
            ax.set_xlabel("SNR (dB)" if axis == "snr_db" else "CBR (channel uses / source dims)")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
        if any(ax.get_legend_handles_labels()[0] for ax in axes[0]):
            axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        path = out / f"metrics_vs_{'snr' if axis == 'snr_db' else 'cbr'}.png"
        written[path.stem] = _save_figure(fig, path)
        plt.close(fig)
    if results.get("_reconstructions"):
        written["grid"] = image_grid(results, out / "grid.png")
    return written


def _save_figure(fig, path, **kw):
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=kw.pop("dpi", 100), **kw)
    return atomic_write(path, buf.getvalue())


def image_grid(results, path, image_index: int = 0, keys=None, title: str | None = None):
    """Rows: scheme x channel (or ``keys``); columns: SNRs; one image of the set (the original first)."""
    import io

    from PIL import Image, ImageDraw
    recon = results["_reconstructions"]
    names = results["settings"]["images"]
    name = names[image_index]
    entries = {k: v[name] if isinstance(v, dict) else v[image_index] for k, v in recon.items()
               if not isinstance(v, dict) or name in v}
    if not entries:
        return None
    keys = keys or sorted({(s, c) for s, c, _ in entries})
    snrs = sorted({snr for _, _, snr in entries})
    tile = next(iter(entries.values())).shape[-1]
    label_h, label_w = 14 + (14 if title else 0), 170
    canvas = Image.new("RGB", (label_w + tile * len(snrs), label_h + tile * len(keys)), "white")
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((2, 1), title, fill="black")
    for j, snr in enumerate(snrs):
        draw.text((label_w + j * tile + 2, label_h - 13), f"{snr:g} dB", fill="black")
    for i, (spec, channel) in enumerate(keys):
        draw.text((2, label_h + i * tile + 2), f"{spec[:26]}\n{channel}", fill="black")
        for j, snr in enumerate(snrs):
            img = entries.get((spec, channel, snr))
            if img is None:
                continue
            arr = (img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            canvas.paste(Image.fromarray(arr), (label_w + j * tile, label_h + i * tile))
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return atomic_write(path, buf.getvalue())


def render(store, grid, out_dir, json_only: bool = False) -> dict:
    results = collect(store, grid, with_images=not json_only)
    if json_only:
        return {"results": atomic_write(Path(out_dir) / "results.json", _json(results))}
    return save(results, out_dir)
